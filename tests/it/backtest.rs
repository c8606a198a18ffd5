//! `forcegen backtest` end to end.
//!
//! Calibration: observations are drawn from the model itself (the Haiti
//! baseline run with another seed, one observation per independent trial),
//! so a correct backtest must find the 50% and 90% bands covering about
//! 50% and 90% of them and a mean PIT near 0.5. Where many trials tie (a
//! contributor with nobody in 80% of trials) the bands hold more than that,
//! and coverage must match the forecast's own mean `band_50_mass` and
//! `band_90_mass` instead. The tolerance is 3.5
//! binomial standard errors of the observed share, `sqrt(p (1 - p) / n)`,
//! widened by the forecast band's own sampling error over its trials
//! (`sqrt(p (1 - p) / trials)`, small); two-sided, a correct program fails
//! one such check with probability about 5e-4 for a random seed, and the
//! seeds here are fixed, so the outcome never flakes. A truth 50% above the
//! model must instead fall far outside the bands and raise the CRPS.
//!
//! Bad observed files must stop with exit code 2, a message naming the
//! file, line, column and field, and write nothing.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{self, baseline, entries, forcegen, read_csv, stderr_of, write_file};
use forcegen::model::{Model, Trial};
use forcegen::scenario::{Metric, Scenario, parse_metric, parse_str};

/// Standard errors allowed between a share and its nominal value.
const Z: f64 = 3.5;
/// Trials of each backtest forecast.
const TRIALS: u64 = 10_000;
/// Observations per calibration test: one per independent trial.
const OBSERVATIONS: u64 = 400;

/// (metric, day) pairs the observations cycle through: head counts with a
/// wide spread (few ties at the band edges) and a ratio, before the
/// mandate's end makes zeros common.
const SPECS: [(&str, u32); 7] = [
    ("host_police", 120),
    ("host_police", 400),
    ("host_police", 700),
    ("international", 120),
    ("international", 200),
    ("international", 300),
    ("police_per_100k", 250),
];

fn baseline_scenario() -> Scenario {
    let text = fs::read_to_string(baseline()).expect("the baseline scenario");
    parse_str(&text, "haiti-mss-2024-09.toml").expect("the baseline parses")
}

/// `OBSERVATIONS` observations of the baseline, drawn with `seed` (not the
/// backtest's), each value multiplied by `factor`, as CSV text.
fn observed_from_model(seed: u64, factor: f64) -> String {
    observed_from(baseline_scenario(), &SPECS, OBSERVATIONS, seed, factor)
}

/// `count` observations of `scenario` drawn with `seed`, cycling through
/// the (metric, day) pairs `specs`, each value multiplied by `factor`.
fn observed_from(mut scenario: Scenario, specs: &[(&str, u32)], count: u64, seed: u64, factor: f64) -> String {
    scenario.simulation.seed = seed;
    let mut model = Model::new(&scenario);
    let mut days: Vec<u32> = specs.iter().map(|(_, d)| *d).collect();
    days.extend([0, model.horizon]);
    days.sort_unstable();
    days.dedup();
    model.report_days = days;
    let mut trial = Trial::default();
    let mut text = String::from("date,metric,value\n");
    for index in 0..count {
        // Trials 0..N of this seed: independent of each other and of the
        // backtest's own trials (another seed).
        model.run_trial(index, &mut trial);
        let (name, day) = specs[(index % specs.len() as u64) as usize];
        let metric: Metric = parse_metric(name, &scenario.contributors).expect("a metric");
        let r = model.report_days.binary_search(&day).expect("a report day");
        let k = trial.report_positions[r] as usize;
        let value = trial.metric(metric, k) * factor;
        text.push_str(&format!("{},{name},{value:.6}\n", scenario.date_of(day)));
    }
    text
}

/// Runs `forcegen backtest` on the baseline and returns backtest.csv.
fn backtest(dir: &Path, observed: &str, name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    backtest_of(&baseline(), dir, observed, name)
}

/// Runs `forcegen backtest` on `scenario` and returns backtest.csv.
fn backtest_of(scenario: &Path, dir: &Path, observed: &str, name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let observed_path = write_file(dir, &format!("{name}.csv"), observed);
    let out = dir.join(name);
    forcegen()
        .arg("backtest")
        .arg(scenario)
        .arg(&observed_path)
        .arg("--out")
        .arg(&out)
        .args(["--trials", &TRIALS.to_string(), "--seed", "11", "--threads", "2", "-q"])
        .assert()
        .success();
    read_csv(&out.join("backtest.csv"))
}

/// The overall row of `label` as (n, in_50, in_90, mean PIT, mean CRPS).
fn overall(table: &(Vec<String>, Vec<Vec<String>>), label: &str) -> (f64, f64, f64, f64, Option<f64>) {
    let row = overall_row(table, label);
    (
        row("n"),
        row("in_50"),
        row("in_90"),
        row("pit"),
        row_text(table, label, "crps").parse().ok(),
    )
}

/// A number of the overall row of `label`, by column.
fn overall_row<'a>(table: &'a (Vec<String>, Vec<Vec<String>>), label: &'a str) -> impl Fn(&str) -> f64 + 'a {
    move |name: &str| {
        let text = row_text(table, label, name);
        text.parse::<f64>().unwrap_or_else(|_| panic!("{label} {name}: {text}"))
    }
}

/// A cell of the overall row of `label`.
fn row_text(table: &(Vec<String>, Vec<Vec<String>>), label: &str, name: &str) -> String {
    let (header, rows) = table;
    let row = rows
        .iter()
        .find(|r| r[0] == "overall" && r[3] == label)
        .unwrap_or_else(|| panic!("no overall row for {label}"));
    cli_support::cell(header, row, name).to_string()
}

fn tolerance(p: f64, n: f64) -> f64 {
    Z * (p * (1.0 - p) / n + p * (1.0 - p) / TRIALS as f64).sqrt()
}

#[test]
fn observations_drawn_from_the_model_are_covered_at_the_nominal_rates() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let calibrated = backtest(dir.path(), &observed_from_model(2024, 1.0), "calibrated");
    let shifted = backtest(dir.path(), &observed_from_model(2024, 1.5), "shifted");

    for (label, table) in [("calibrated", &calibrated), ("shifted", &shifted)] {
        for row in table.1.iter().filter(|r| r[0] == "overall") {
            eprintln!("{label}: {}", row.join(","));
        }
    }
    let (n, in_50, in_90, pit, crps) = overall(&calibrated, "all");
    assert_eq!(n, OBSERVATIONS as f64);
    assert!(crps.is_none(), "mixed metrics have no overall CRPS");
    assert!((in_50 - 0.5).abs() < tolerance(0.5, n), "50% band covers {in_50}");
    assert!((in_90 - 0.9).abs() < tolerance(0.9, n), "90% band covers {in_90}");
    // PIT is uniform on [0, 1] under calibration: sd sqrt(1/12).
    let pit_tolerance = Z * (1.0 / 12.0 / n).sqrt();
    assert!((pit - 0.5).abs() < pit_tolerance, "mean PIT {pit}");
    for metric in ["host_police", "international", "police_per_100k"] {
        let (n, in_50, in_90, pit, _) = overall(&calibrated, metric);
        assert!(
            (in_50 - 0.5).abs() < tolerance(0.5, n),
            "{metric}: 50% band covers {in_50}"
        );
        assert!(
            (in_90 - 0.9).abs() < tolerance(0.9, n),
            "{metric}: 90% band covers {in_90}"
        );
        assert!(
            (pit - 0.5).abs() < Z * (1.0 / 12.0 / n).sqrt(),
            "{metric}: mean PIT {pit}"
        );
    }

    // 50% too high: far outside the bands, PIT near 1, CRPS much worse.
    let (_, in_50, in_90, pit, _) = overall(&shifted, "all");
    assert!(in_90 < 0.9 - 0.3, "shifted: 90% band still covers {in_90}");
    assert!(in_50 < 0.5 - 0.3, "shifted: 50% band still covers {in_50}");
    assert!(pit > 0.8, "shifted: mean PIT {pit}");
    for metric in ["host_police", "international", "police_per_100k"] {
        let good = overall(&calibrated, metric).4.expect("one metric has a CRPS");
        let bad = overall(&shifted, metric).4.expect("one metric has a CRPS");
        assert!(bad > 2.0 * good, "{metric}: CRPS {bad} shifted vs {good} calibrated");
    }
}

/// A contributor that comes in only 20% of trials, with spread-out
/// arrivals, strength and attrition: 0 in 80% to 97% of trials, by date.
const TIED: &str = r#"name = "Tied"
[simulation]
start = 2025-01-01
horizon_days = 180
seed = 1
[population]
initial = 100000
[[contributors]]
name = "Benin"
pledged = 150
probability = 0.2
fulfilment = "beta(4, 2)"
first_arrival_days = "uniform(10, 150)"
attrition_per_year = 0.2
"#;

/// With heavy ties the 50% band is 0 to 0 and holds about 80% of the
/// trials: observations drawn from the model must be covered at the
/// forecast's mean `band_50_mass` (and `band_90_mass`), not at 50% and 90%.
#[test]
fn with_heavy_ties_coverage_matches_the_band_mass_not_the_nominal_rate() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = write_file(dir.path(), "tied.toml", TIED);
    let scenario = parse_str(TIED, "tied.toml").expect("the tied scenario parses");
    let specs = [
        ("contributor:Benin", 60),
        ("contributor:Benin", 120),
        ("contributor:Benin", 175),
    ];
    let n = 600;
    let table = backtest_of(&path, dir.path(), &observed_from(scenario, &specs, n, 77, 1.0), "tied");
    for row in table.1.iter().filter(|r| r[0] == "overall") {
        eprintln!("tied: {}", row.join(","));
    }
    let all = overall_row(&table, "all");
    assert_eq!(all("n"), n as f64);
    let (in_50, mass_50) = (all("in_50"), all("band_50_mass"));
    let (in_90, mass_90) = (all("in_90"), all("band_90_mass"));
    // The ties matter: the bands hold far more than 50% and 90%...
    assert!(mass_50 > 0.75 && mass_90 > 0.92, "band masses {mass_50}, {mass_90}");
    assert!(in_50 - 0.5 > tolerance(0.5, n as f64), "50% band covers only {in_50}");
    // ...and coverage matches them. Four standard errors (see the module doc).
    let within = |p: f64| 4.0 / Z * tolerance(p, n as f64);
    assert!(
        (in_50 - mass_50).abs() < within(mass_50),
        "50% band covers {in_50}, expected {mass_50}"
    );
    assert!(
        (in_90 - mass_90).abs() < within(mass_90),
        "90% band covers {in_90}, expected {mass_90}"
    );
    // The mid-rank PIT still averages 1/2 (its variance is at most 1/12).
    let pit = all("pit");
    assert!(
        (pit - 0.5).abs() < 4.0 * (1.0 / 12.0 / n as f64).sqrt(),
        "mean PIT {pit}"
    );
}

#[test]
fn each_observation_row_is_consistent_with_its_scores() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (header, rows) = backtest(dir.path(), &observed_from_model(99, 1.0), "rows");
    assert_eq!(
        header,
        [
            "row",
            "date",
            "day",
            "metric",
            "n",
            "observed",
            "p5",
            "p25",
            "p50",
            "p75",
            "p95",
            "pit",
            "in_50",
            "in_90",
            "band_50_mass",
            "band_90_mass",
            "crps"
        ]
    );
    let observations: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "observation").collect();
    assert_eq!(observations.len() as u64, OBSERVATIONS);
    for row in observations {
        let num = |name: &str| -> f64 { cli_support::cell(&header, row, name).parse().expect("a number") };
        let y = num("observed");
        let p: Vec<f64> = ["p5", "p25", "p50", "p75", "p95"].iter().map(|c| num(c)).collect();
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "percentiles in order: {row:?}");
        assert_eq!(num("in_50"), f64::from(u8::from(p[1] <= y && y <= p[3])), "{row:?}");
        assert_eq!(num("in_90"), f64::from(u8::from(p[0] <= y && y <= p[4])), "{row:?}");
        let pit = num("pit");
        assert!((0.0..=1.0).contains(&pit), "{row:?}");
        // Inside the 90% band the PIT is within it too (up to ties at the edges).
        if p[0] < y && y < p[4] {
            assert!((0.04..=0.96).contains(&pit), "{row:?}");
        }
        assert!(num("crps") >= 0.0, "{row:?}");
        assert_eq!(num("n"), 1.0);
        // A band between percentiles holds at least its share of trials
        // (more with ties at its edges), and the 90% band holds the 50% one.
        let (mass_50, mass_90) = (num("band_50_mass"), num("band_90_mass"));
        assert!((0.5..=1.0).contains(&mass_50), "{row:?}");
        assert!((0.9..=1.0).contains(&mass_90) && mass_90 >= mass_50, "{row:?}");
    }
}

/// With observations on every report day of the scenario, the backtest's
/// report days are the run's own, so its percentiles are exactly those of
/// `timeseries.csv`.
#[test]
fn forecast_percentiles_equal_the_run_on_its_own_report_days() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = baseline_scenario();
    let mut observed = String::from("date,metric,value\n");
    for day in scenario.report_days() {
        observed.push_str(&format!("{},international,1000\n", scenario.date_of(day)));
    }
    let observed_path = write_file(dir.path(), "every-day.csv", &observed);
    let run_out = dir.path().join("run");
    let backtest_out = dir.path().join("backtest");
    let common = ["--trials", "3000", "--seed", "5", "-q"];
    forcegen()
        .arg("run")
        .arg(baseline())
        .arg("--out")
        .arg(&run_out)
        .args(common)
        .assert()
        .success();
    forcegen()
        .arg("backtest")
        .arg(baseline())
        .arg(&observed_path)
        .arg("--out")
        .arg(&backtest_out)
        .args(common)
        .assert()
        .success();
    let (run_header, run_rows) = read_csv(&run_out.join("timeseries.csv"));
    let (header, rows) = read_csv(&backtest_out.join("backtest.csv"));
    let mut checked = 0;
    for row in rows.iter().filter(|r| r[0] == "observation") {
        let day = cli_support::cell(&header, row, "day");
        let run_row = run_rows
            .iter()
            .find(|r| {
                cli_support::cell(&run_header, r, "day") == day
                    && cli_support::cell(&run_header, r, "metric") == "international"
            })
            .expect("the same day in timeseries.csv");
        for column in ["p5", "p25", "p50", "p75", "p95"] {
            assert_eq!(
                cli_support::cell(&header, row, column),
                cli_support::cell(&run_header, run_row, column),
                "day {day}, {column}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, scenario.report_days().len());
}

#[test]
fn results_do_not_depend_on_threads_and_the_default_folder_is_named_after_the_scenario() {
    let dir = tempfile::tempdir().expect("temporary folder");
    write_file(dir.path(), "small.toml", SMALL);
    write_file(
        dir.path(),
        "obs.csv",
        "date,metric,value\n2025-02-01,international,120\n",
    );
    for threads in ["1", "2"] {
        forcegen()
            .current_dir(dir.path())
            .args([
                "backtest",
                "small.toml",
                "obs.csv",
                "--trials",
                "2000",
                "-q",
                "--threads",
                threads,
            ])
            .assert()
            .success();
        let out = dir.path().join("output/small-backtest");
        assert_eq!(entries(&out), ["backtest.csv", "backtest.html", "backtest_info.csv"]);
        fs::rename(&out, dir.path().join(format!("threads-{threads}"))).expect("rename");
    }
    for file in ["backtest.csv", "backtest_info.csv", "backtest.html"] {
        let one = fs::read(dir.path().join("threads-1").join(file)).expect("read");
        let two = fs::read(dir.path().join("threads-2").join(file)).expect("read");
        assert_eq!(one, two, "{file} differs between 1 and 2 threads");
    }
}

#[test]
fn the_summary_reports_coverage_and_another_scenarios_folder_needs_force() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = write_file(dir.path(), "small.toml", SMALL);
    let other = write_file(
        dir.path(),
        "other.toml",
        &SMALL.replace("name = \"Small\"", "name = \"Other\""),
    );
    let observed = write_file(
        dir.path(),
        "obs.csv",
        "date,metric,value\n2025-02-01,international,120\n",
    );
    let out = dir.path().join("out");
    let run = |scenario: &PathBuf, extra: &[&str]| {
        forcegen()
            .arg("backtest")
            .arg(scenario)
            .arg(&observed)
            .arg("--out")
            .arg(&out)
            .args(["--trials", "500"])
            .args(extra)
            .output()
            .expect("run forcegen")
    };
    let first = run(&scenario, &[]);
    assert!(first.status.success(), "{}", stderr_of(&first));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("backtest of 1 observations against 500 trials"),
        "{stdout}"
    );
    assert!(stdout.contains("in 50% band") && stdout.contains("all"), "{stdout}");
    // The expected coverage stands beside the observed one.
    let header = stdout
        .lines()
        .find(|l| l.contains("in 50% band"))
        .expect("a table header");
    assert!(
        header.contains("in 50% band  expected") && header.contains("in 90% band  expected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected: the coverage of a calibrated forecast"),
        "{stdout}"
    );
    let before = fs::read(out.join("backtest.csv")).expect("written");

    let refused = run(&other, &["-q"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr_of(&refused));
    assert!(stderr_of(&refused).contains("--force"), "{}", stderr_of(&refused));
    assert_eq!(fs::read(out.join("backtest.csv")).expect("kept"), before);

    let forced = run(&other, &["-q", "--force"]);
    assert!(forced.status.success(), "{}", stderr_of(&forced));
    assert!(forced.stdout.is_empty(), "-q prints nothing");
    let (header, rows) = read_csv(&out.join("backtest_info.csv"));
    assert_eq!(cli_support::cell(&header, &rows[0], "scenario"), "Other");
}

/// A small scenario: 100 deployed, 100 more pledged, a 90-day horizon.
const SMALL: &str = r#"name = "Small"
[simulation]
start = 2025-01-01
horizon_days = 90
trials = 1000
seed = 3
[population]
initial = 100000
[host_police]
initial = "uniform(900, 1100)"
attrition_per_year = 0.1
[[contributors]]
name = "Kenya"
deployed = 100
pledged = 100
probability = 0.7
first_arrival_days = "uniform(10, 60)"
attrition_per_year = 0.05
"#;

#[test]
fn bad_observed_files_stop_with_exit_2_naming_file_line_and_column_and_write_nothing() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = write_file(dir.path(), "small.toml", SMALL);
    let cases: [(&str, &str, &[&str]); 9] = [
        ("", "obs.csv:1:1:", &["empty", "date,metric,value"]),
        ("date,metric,value\n", "obs.csv:2:1:", &["no observations"]),
        (
            "2025-01-05,police,1\n",
            "obs.csv:1:1:",
            &["header row is missing", "date,metric,value"],
        ),
        (
            "date,metric,value\n2024-12-01,police,1\n",
            "obs.csv:2:1: column `date`:",
            &["before the start", "2025-01-01", "2025-04-01 (day 90)"],
        ),
        (
            "date,metric,value\n2025-01-05,police,1\n2026-01-01,police,1\n",
            "obs.csv:3:1: column `date`:",
            &["after the horizon", "2025-04-01 (day 90)"],
        ),
        (
            "date,metric,value\n2025-1-32,police,1\n",
            "obs.csv:2:1: column `date`:",
            &["YYYY-MM-DD"],
        ),
        (
            "date,metric,value\n2025-01-05,contributor:Kenia,1\n",
            "obs.csv:2:2: column `metric`:",
            &["did you mean `contributor:Kenya`?", "allowed: international"],
        ),
        (
            "date,value,metric\n2025-01-05,many,police\n",
            "obs.csv:2:2: column `value`:",
            &["not a number", "1234 or 49.5"],
        ),
        (
            "date,metric,value\n2025-01-05,police,-1\n",
            "obs.csv:2:3: column `value`:",
            &["negative"],
        ),
    ];
    for (text, place, words) in cases {
        let observed = write_file(dir.path(), "obs.csv", text);
        let out = dir.path().join("out");
        let output = forcegen()
            .current_dir(dir.path())
            .arg("backtest")
            .arg(&scenario)
            .arg("obs.csv")
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run forcegen");
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{text:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(place), "{text:?}: {stderr} should contain {place}");
        for word in words {
            assert!(stderr.contains(word), "{text:?}: {stderr} should contain {word}");
        }
        assert!(!out.exists(), "{text:?}: the output folder was created");
        assert!(output.stdout.is_empty());
        let _ = fs::remove_file(observed);
    }
}

#[test]
fn a_missing_observed_file_or_a_bad_scenario_is_exit_2() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = write_file(dir.path(), "small.toml", SMALL);
    let missing = forcegen()
        .arg("backtest")
        .arg(&scenario)
        .arg(dir.path().join("nope.csv"))
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr_of(&missing).contains("nope.csv: cannot read the observed file"));
    let bad_scenario = write_file(dir.path(), "bad.toml", "name = 3\n");
    let observed = write_file(dir.path(), "obs.csv", "date,metric,value\n2025-01-05,police,1\n");
    let output = forcegen()
        .arg("backtest")
        .arg(&bad_scenario)
        .arg(&observed)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
}

#[test]
fn every_bad_row_is_listed_before_giving_up() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = write_file(dir.path(), "small.toml", SMALL);
    let observed = write_file(
        dir.path(),
        "obs.csv",
        "# comment lines count\ndate,metric,value\n2025-01-05,polce,1\n2025-01-06,police,1\n2025-01-07,police,x\n",
    );
    let output = forcegen()
        .arg("backtest")
        .arg(&scenario)
        .arg(&observed)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("run");
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("obs.csv:3:2: column `metric`: unknown metric `polce`; did you mean `police`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("obs.csv:5:3: column `value`: `x` is not a number"),
        "{stderr}"
    );
}
