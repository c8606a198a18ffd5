//! End-to-end tests of the `forcegen` binary: the files a run writes and
//! their format (MODEL.md section 4), flags, help, exit codes, and
//! spreadsheet-safe text.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::cli_support::{
    self, FILES, HEADERS, assert_exactly_the_five_files, baseline, cell, entries, forcegen, read_csv, run_info, run_ok,
    scenario_files, sha256_hex, stderr_of, write_file,
};
use chrono::NaiveDate;
use predicates::prelude::*;

/// A small scenario that runs in a few milliseconds.
const TINY: &str = r#"name = "Tiny"

[simulation]
start = 2024-01-01
horizon_days = 60
step = "week"
trials = 50
seed = 3

[population]
initial = 1000000

[[contributors]]
name = "A"
deployed = 10
pledged = 20
first_arrival_days = "uniform(5, 30)"

[[targets]]
name = "A at 25"
metric = "contributor:A"
at_least = 25
"#;

/// Parses an ISO 8601 calendar date (YYYY-MM-DD), failing the test otherwise.
fn iso_date(text: &str, what: &str) -> NaiveDate {
    assert_eq!(text.len(), 10, "{what}: {text:?} is not an ISO date YYYY-MM-DD");
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{what}: {text:?} is not an ISO date: {e}"))
}

/// An optional ISO date: empty means "not within the horizon".
fn optional_date(text: &str, what: &str) -> Option<NaiveDate> {
    (!text.is_empty()).then(|| iso_date(text, what))
}

/// A plain number: digits, at most one dot, an optional leading minus; no
/// exponent, no thousands separator, no NaN or infinity.
fn plain_number(text: &str, what: &str) -> f64 {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    assert!(plain, "{what}: {text:?} is not a plain number");
    let value: f64 = text
        .parse()
        .unwrap_or_else(|e| panic!("{what}: {text:?} does not parse as f64: {e}"));
    assert!(value.is_finite(), "{what}: {text:?} is not finite");
    value
}

fn whole_number(text: &str, what: &str) -> u64 {
    text.parse()
        .unwrap_or_else(|e| panic!("{what}: {text:?} is not a whole number: {e}"))
}

fn share(text: &str, what: &str) -> f64 {
    let p = plain_number(text, what);
    assert!((0.0..=1.0).contains(&p), "{what}: {p} is not a share in [0, 1]");
    p
}

/// pXX date columns: each empty or ISO, non-decreasing, and once empty
/// (never within the horizon) the later ones are empty too.
fn date_percentile_columns(header: &[String], row: &[String], columns: &[&str], what: &str) {
    let mut previous: Option<NaiveDate> = None;
    let mut seen_empty = false;
    for column in columns {
        let date = optional_date(cell(header, row, column), &format!("{what} {column}"));
        match date {
            Some(d) => {
                assert!(
                    !seen_empty,
                    "{what}: {column} is {d} after an earlier empty percentile date"
                );
                if let Some(p) = previous {
                    assert!(
                        p <= d,
                        "{what}: {column} {d} is before the previous percentile date {p}"
                    );
                }
                previous = Some(d);
            }
            None => seen_empty = true,
        }
    }
}

/// Checks the five files of one run in `dir`: exactly these files (no
/// temporary leftovers), exact headers, ISO dates consistent with the day
/// numbers, plain numbers, and a run_info row that matches the scenario file.
fn check_run_folder(dir: &Path, scenario_bytes: &[u8], trials: u64) {
    check_run_folder_with(dir, scenario_bytes, &sha256_hex(scenario_bytes), trials);
}

/// [`check_run_folder`] with the expected `scenario_sha256`.
fn check_run_folder_with(dir: &Path, scenario_bytes: &[u8], expected_sha256: &str, trials: u64) {
    check_files_and_headers(dir);
    let (start, horizon) = check_run_info(dir, expected_sha256, trials);
    let date_of_day = |day: &str, what: &str| -> NaiveDate {
        let day = whole_number(day, what);
        assert!(day <= horizon, "{what}: day {day} is past the horizon {horizon}");
        start + chrono::Days::new(day)
    };
    let metrics = check_timeseries(dir, &date_of_day);
    let target_names = check_targets(dir, &date_of_day);
    check_summary(dir, &target_names, scenario_bytes);
    check_contributors(dir, &metrics);
}

/// Exactly the five files, none hidden, each UTF-8 with its exact header.
fn check_files_and_headers(dir: &Path) {
    assert_exactly_the_five_files(dir);
    for name in entries(dir) {
        assert!(
            !name.starts_with('.'),
            "a hidden or temporary file was left behind: {name}"
        );
    }
    for (file, expected) in FILES.iter().zip(HEADERS) {
        let (header, _) = read_csv(&dir.join(file));
        assert_eq!(header, expected.to_vec(), "header row of {file}");
        let text = fs::read(dir.join(file)).unwrap();
        assert!(std::str::from_utf8(&text).is_ok(), "{file} is not UTF-8");
        let first_line = text.split(|&b| b == b'\n').next().unwrap();
        assert_eq!(first_line, expected.join(",").as_bytes(), "raw header line of {file}");
    }
}

/// run_info.csv matches the scenario and the run; returns its start date
/// and horizon.
fn check_run_info(dir: &Path, expected_sha256: &str, trials: u64) -> (NaiveDate, u64) {
    let (h, info) = run_info(dir);
    assert!(
        !cell(&h, &info, "scenario").is_empty(),
        "run_info scenario name is empty"
    );
    assert_eq!(cell(&h, &info, "scenario_sha256"), expected_sha256, "scenario_sha256");
    whole_number(cell(&h, &info, "seed"), "run_info seed");
    assert_eq!(
        whole_number(cell(&h, &info, "trials"), "run_info trials"),
        trials,
        "run_info trials"
    );
    assert_eq!(
        cell(&h, &info, "forcegen_version"),
        env!("CARGO_PKG_VERSION"),
        "run_info forcegen_version"
    );
    assert!(!cell(&h, &info, "generator").is_empty(), "run_info generator is empty");
    let start = iso_date(cell(&h, &info, "start"), "run_info start");
    let horizon = whole_number(cell(&h, &info, "horizon_days"), "run_info horizon_days");
    let step = cell(&h, &info, "step");
    assert!(["day", "week", "month"].contains(&step), "run_info step {step:?}");
    (start, horizon)
}

/// timeseries.csv: dates, plain numbers, ordered percentiles, every
/// standard metric; returns the metrics it has.
fn check_timeseries(dir: &Path, date_of_day: &impl Fn(&str, &str) -> NaiveDate) -> BTreeSet<String> {
    let (h, rows) = read_csv(&dir.join("timeseries.csv"));
    assert!(!rows.is_empty(), "timeseries.csv has no rows");
    let mut metrics = BTreeSet::new();
    for (i, row) in rows.iter().enumerate() {
        let what = format!("timeseries.csv row {}", i + 2);
        let date = iso_date(cell(&h, row, "date"), &what);
        assert_eq!(
            date,
            date_of_day(cell(&h, row, "day"), &what),
            "{what}: date and day disagree"
        );
        let metric = cell(&h, row, "metric");
        assert!(!metric.is_empty(), "{what}: empty metric");
        metrics.insert(metric.to_string());
        let sd = plain_number(cell(&h, row, "sd"), &what);
        assert!(sd >= 0.0, "{what}: negative sd");
        plain_number(cell(&h, row, "mean"), &what);
        let ps: Vec<f64> = ["p5", "p25", "p50", "p75", "p95"]
            .iter()
            .map(|c| plain_number(cell(&h, row, c), &what))
            .collect();
        assert!(
            ps.windows(2).all(|w| w[0] <= w[1]),
            "{what}: percentiles not in order: {ps:?}"
        );
    }
    for standard in [
        "international",
        "international_police",
        "host_police",
        "police",
        "security_forces",
        "police_per_100k",
        "security_per_1000",
    ] {
        assert!(
            metrics.contains(standard),
            "timeseries.csv has no rows for metric {standard}"
        );
    }
    let first_day = cell(&h, &rows[0], "day");
    assert_eq!(first_day, "0", "the first report day is day 0");
    metrics
}

/// targets.csv: dates, shares and standard errors; returns its targets.
fn check_targets(dir: &Path, date_of_day: &impl Fn(&str, &str) -> NaiveDate) -> BTreeSet<String> {
    let (h, rows) = read_csv(&dir.join("targets.csv"));
    let mut target_names = BTreeSet::new();
    for (i, row) in rows.iter().enumerate() {
        let what = format!("targets.csv row {}", i + 2);
        target_names.insert(cell(&h, row, "target").to_string());
        let date = iso_date(cell(&h, row, "date"), &what);
        assert_eq!(
            date,
            date_of_day(cell(&h, row, "day"), &what),
            "{what}: date and day disagree"
        );
        share(cell(&h, row, "p_reached"), &what);
        assert!(
            plain_number(cell(&h, row, "p_reached_se"), &what) >= 0.0,
            "{what}: negative se"
        );
    }
    target_names
}

/// summary.csv: one row per target of targets.csv, with plain numbers.
fn check_summary(dir: &Path, target_names: &BTreeSet<String>, scenario_bytes: &[u8]) {
    let (h, rows) = read_csv(&dir.join("summary.csv"));
    assert_eq!(
        rows.len(),
        target_names.len(),
        "summary.csv has one row per target of targets.csv"
    );
    for (i, row) in rows.iter().enumerate() {
        let what = format!("summary.csv row {}", i + 2);
        assert!(
            target_names.contains(cell(&h, row, "target")),
            "{what}: target not in targets.csv"
        );
        assert!(!cell(&h, row, "metric").is_empty(), "{what}: empty metric");
        // Empty for a target set as a share of the ceiling (MODEL.md §2.11).
        let at_least = cell(&h, row, "at_least");
        if at_least.is_empty() {
            let text = String::from_utf8_lossy(scenario_bytes);
            assert!(text.contains("at_least_share_of_ceiling"), "{what}: empty at_least");
        } else {
            plain_number(at_least, &what);
        }
        share(cell(&h, row, "p_reached_by_horizon"), &what);
        assert!(
            plain_number(cell(&h, row, "p_reached_by_horizon_se"), &what) >= 0.0,
            "{what}: negative se"
        );
        date_percentile_columns(&h, row, &["date_p5", "date_p50", "date_p95"], &what);
    }
}

/// contributors.csv: each contributor has its timeseries rows, and its
/// mean delivery lies within its pledge.
fn check_contributors(dir: &Path, metrics: &BTreeSet<String>) {
    let (h, rows) = read_csv(&dir.join("contributors.csv"));
    for (i, row) in rows.iter().enumerate() {
        let what = format!("contributors.csv row {}", i + 2);
        let name = cell(&h, row, "contributor");
        assert!(!name.is_empty(), "{what}: empty contributor");
        // A formula-like name is written as 'NAME in this file, but inside
        // `contributor:NAME` it needs no apostrophe.
        let name = name
            .strip_prefix('\'')
            .filter(|rest| rest.starts_with(['=', '+', '-', '@', '\t', '\r']))
            .unwrap_or(name);
        assert!(
            metrics.contains(&format!("contributor:{name}")),
            "{what}: timeseries.csv has no contributor:{name} rows"
        );
        let pledged = whole_number(cell(&h, row, "pledged"), &what);
        let delivered = plain_number(cell(&h, row, "mean_delivered"), &what);
        assert!(
            (0.0..=pledged as f64).contains(&delivered),
            "{what}: mean_delivered {delivered} outside [0, pledged {pledged}]"
        );
        // Empty exactly when nothing was pledged (a contingent only deployed).
        match cell(&h, row, "p_full_delivery") {
            "" => assert_eq!(pledged, 0, "{what}: p_full_delivery empty with a pledge"),
            full => {
                assert!(pledged > 0, "{what}: p_full_delivery {full} with nothing pledged");
                share(full, &what);
            }
        }
        date_percentile_columns(
            &h,
            row,
            &["last_wave_date_p5", "last_wave_date_p50", "last_wave_date_p95"],
            &what,
        );
    }
}

#[test]
fn built_in_baseline_writes_the_five_files_under_output() {
    let work = tempfile::tempdir().unwrap();
    forcegen()
        .current_dir(work.path())
        .args(["run", "--trials", "2000"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("2000 trials"));
    let out = work.path().join("output").join("haiti-mss-2024-09");
    assert_eq!(
        entries(work.path()),
        vec!["output".to_string()],
        "nothing else is written in the working folder"
    );
    // The built-in baseline is the text of scenarios/haiti-mss-2024-09.toml.
    check_run_folder(&out, &fs::read(baseline()).unwrap(), 2000);
}

#[test]
fn every_shipped_scenario_runs_and_writes_well_formed_csv() {
    let files = scenario_files();
    assert!(
        files.len() >= 4,
        "expected the shipped scenarios in scenarios/, found {files:?}"
    );
    let work = tempfile::tempdir().unwrap();
    for scenario in files {
        let stem = scenario.file_stem().unwrap().to_string_lossy().into_owned();
        let out = work.path().join(&stem);
        forcegen()
            .arg("run")
            .arg(&scenario)
            .args(["--trials", "1000", "--out"])
            .arg(&out)
            .assert()
            .code(0)
            .stderr(predicate::function(only_out_of_reach_warnings));
        // With a priors file, the fingerprint covers its bytes too.
        let text = fs::read_to_string(&scenario).unwrap();
        let expected = match forcegen::scenario::parse_file(&scenario).unwrap().priors_sha256 {
            Some(priors) => sha256_hex(format!("{text}\n# priors file SHA-256 {priors}\n").as_bytes()),
            None => sha256_hex(text.as_bytes()),
        };
        check_run_folder_with(&out, text.as_bytes(), &expected, 1000);
    }
}

#[test]
fn validate_accepts_every_shipped_scenario() {
    for scenario in scenario_files() {
        forcegen()
            .arg("validate")
            .arg(&scenario)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("ok"))
            .stderr(predicate::function(only_out_of_reach_warnings));
    }
}

/// The shipped scenarios' only warnings: their ratio benchmarks (the UN
/// norm, Quinlivan's levels) are out of reach within the horizon.
fn only_out_of_reach_warnings(stderr: &str) -> bool {
    stderr
        .lines()
        .all(|l| l.starts_with("warning: targets.") && l.contains(" is out of reach: "))
}

#[test]
fn trials_and_seed_flags_override_the_file() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "tiny.toml", TINY);

    let from_file = work.path().join("from_file");
    run_ok(&scenario, &from_file, &[]);
    let (h, info) = run_info(&from_file);
    assert_eq!(cell(&h, &info, "trials"), "50");
    assert_eq!(cell(&h, &info, "seed"), "3");

    let overridden = work.path().join("overridden");
    run_ok(&scenario, &overridden, &["--trials", "77", "--seed", "123456"]);
    let (h, info) = run_info(&overridden);
    assert_eq!(cell(&h, &info, "trials"), "77");
    assert_eq!(cell(&h, &info, "seed"), "123456");
    check_run_folder(&overridden, TINY.as_bytes(), 77);

    // A different seed gives different results (the flag really reaches the engine).
    let ts = |dir: &Path| fs::read(dir.join("timeseries.csv")).unwrap();
    let reseeded = work.path().join("reseeded");
    run_ok(&scenario, &reseeded, &["--trials", "77", "--seed", "654321"]);
    assert_ne!(ts(&overridden), ts(&reseeded), "--seed has no effect on timeseries.csv");
}

#[test]
fn run_info_hash_is_the_sha256_of_the_file_bytes() {
    // CRLF line endings, a BOM-free non-ASCII name and a trailing comment:
    // the hash is of the bytes as they are on disk.
    let work = tempfile::tempdir().unwrap();
    let text = TINY
        .replace("name = \"Tiny\"", "name = \"Tiny – Port-au-Prince, Haïti\"")
        .replace('\n', "\r\n")
        + "# trailing comment \u{e9}\r\n";
    let scenario = write_file(work.path(), "crlf.toml", &text);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &[]);
    let (h, info) = run_info(&out);
    assert_eq!(cell(&h, &info, "scenario_sha256"), sha256_hex(text.as_bytes()));
    assert_eq!(cell(&h, &info, "scenario"), "Tiny – Port-au-Prince, Haïti");
    check_run_folder(&out, text.as_bytes(), 50);
}

#[test]
fn help_mentions_exit_codes() {
    let output = forcegen().arg("--help").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout).to_lowercase();
    assert!(
        help.contains("exit code"),
        "--help does not mention exit codes:\n{help}"
    );
    for code in ["0", "1", "2"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(code)),
            "--help does not describe exit code {code}:\n{help}"
        );
    }
}

#[test]
fn unknown_flag_exits_2() {
    forcegen()
        .args(["run", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
    forcegen()
        .args(["--bogus"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--bogus"));
    forcegen().args(["validate"]).assert().code(2);
    forcegen().args(["frobnicate"]).assert().code(2);
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let work = tempfile::tempdir().unwrap();
    // Long enough (the baseline, 1500 trials in a debug build) that a bar
    // would be drawn if it were shown; stderr is a pipe under assert_cmd.
    for quiet in [false, true] {
        let out = work.path().join(format!("quiet_{quiet}"));
        let mut cmd = forcegen();
        cmd.arg("run")
            .arg(baseline())
            .args(["--trials", "1500", "--out"])
            .arg(&out);
        if quiet {
            cmd.arg("--quiet");
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr_of(&output));
        // Only the scenario's warnings (explain's, not with --quiet): no bar.
        let stderr = stderr_of(&output);
        assert!(
            stderr
                .lines()
                .all(|line| !quiet && line.starts_with("warning: targets.")),
            "stderr must hold no progress bar when it is not a terminal (quiet = {quiet}): {stderr}"
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        if quiet {
            assert_eq!(stdout, "", "--quiet prints nothing");
        } else {
            assert!(stdout.contains("1500 trials"), "the summary goes to stdout: {stdout}");
        }
    }
}

#[test]
fn formula_like_names_get_a_leading_apostrophe_in_every_csv() {
    let hyperlink = r#"=HYPERLINK("http://x","y")"#;
    let scenario_text = format!(
        r#"name = "@SUM(1)"

[simulation]
start = 2024-01-01
horizon_days = 60
trials = 50

[population]
initial = 1000000

[[contributors]]
name = '{hyperlink}'
deployed = 10
pledged = 20
first_arrival_days = 7

[[contributors]]
name = "-minus"
pledged = 5

[[targets]]
name = "+1"
metric = 'contributor:{hyperlink}'
at_least = 15

[[targets]]
name = "=1+1"
metric = "international"
at_least = 1
"#
    );
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "formula.toml", &scenario_text);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &[]);
    check_run_folder(&out, scenario_text.as_bytes(), 50);

    let escaped = format!("'{hyperlink}");
    let (h, rows) = read_csv(&out.join("contributors.csv"));
    let names: Vec<&str> = rows.iter().map(|r| cell(&h, r, "contributor")).collect();
    assert_eq!(names, vec![escaped.as_str(), "'-minus"], "contributors.csv");

    for file in ["targets.csv", "summary.csv"] {
        let (h, rows) = read_csv(&out.join(file));
        let mut names: Vec<&str> = rows.iter().map(|r| cell(&h, r, "target")).collect();
        names.dedup();
        assert_eq!(names, vec!["'+1", "'=1+1"], "{file}");
    }

    let (h, info) = run_info(&out);
    assert_eq!(cell(&h, &info, "scenario"), "'@SUM(1)", "run_info.csv");

    // The metric column holds `contributor:=HYPERLINK(...)`, which starts with
    // a letter: no formula, so written as is.
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    let metric = format!("contributor:{hyperlink}");
    assert!(
        rows.iter().any(|r| cell(&h, r, "metric") == metric),
        "timeseries.csv has no {metric} rows"
    );

    // No text cell in any file starts with a formula character.
    for file in FILES {
        let (_, rows) = read_csv(&out.join(file));
        for row in &rows {
            for value in row {
                let numeric = value.parse::<f64>().is_ok();
                let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(numeric || !formula, "{file}: cell {value:?} would be read as a formula");
            }
        }
    }
}

#[test]
fn missing_scenario_file_exits_2_with_its_path() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("no-such-scenario.toml");
    let out = work.path().join("out");
    forcegen()
        .arg("run")
        .arg(&missing)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(missing.display().to_string()));
    assert!(entries(&out).is_empty(), "run wrote {:?}", entries(&out));
}

/// The schema the writers and the report reader use names the files and
/// columns users rely on, exactly.
#[test]
fn the_schema_is_the_public_interface() {
    use forcegen::output::schema;
    assert_eq!(
        schema::RUN_FILES,
        [
            "timeseries.csv",
            "targets.csv",
            "summary.csv",
            "contributors.csv",
            "run_info.csv"
        ]
    );
    for (file, (theirs, ours)) in schema::RUN_FILES
        .iter()
        .zip(schema::RUN_COLUMNS.iter().zip(cli_support::HEADERS))
    {
        assert_eq!(*theirs, ours, "{file}");
    }
    assert_eq!(schema::WIDE, "timeseries_wide.csv");
    assert_eq!(
        schema::RUN_EXTRA_FILES,
        ["benchmarks.csv", "distribution.csv", "drivers.csv", "assumptions.csv"]
    );
    let extra: [&[&str]; 4] = [
        &["name", "metric", "value", "source"],
        &["metric", "date", "value", "share"],
        &[
            "outcome",
            "rank",
            "input",
            "spearman",
            "first_order",
            "mean_when_input_low",
            "mean_when_input_high",
            "trials",
        ],
        &["kind", "name", "value", "unit", "p5", "p50", "p95", "source"],
    ];
    assert_eq!(schema::RUN_EXTRA_COLUMNS, extra);
}
