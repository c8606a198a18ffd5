//! End-to-end tests of `forcegen sweep`: the grid and its rows, common
//! random numbers across grid points, thread-count independence, agreement
//! with `run --set` of the same point, and a bad value refused before any
//! work.

use std::fs;
use std::path::Path;

use crate::cli_support::{cell, entries, forcegen, read_csv, stderr_of, write_file};

/// `X` only arrives if its pledge is honoured (nobody deployed, no attrition,
/// full fulfilment, first wave within 30 days), so `X at 50` is reached
/// exactly in the trials where the pledge is honoured.
const SCENARIO: &str = r#"name = "Sweep test"

[simulation]
start = 2024-01-01
horizon_days = 90
step = "week"
trials = 2000
seed = 5

[population]
initial = 1000000

[host_police]
initial = 800
attrition_per_year = "uniform(0.05, 0.2)"

[[contributors]]
name = "X"
pledged = 100
probability = 0.5
first_arrival_days = "uniform(0, 30)"

[[contributors]]
name = "Y, the other"
deployed = 20
pledged = 200
probability = 0.7
fulfilment = "beta(8, 2)"
first_arrival_days = "uniform(10, 120)"
waves = 2
wave_interval_days = 15

[[targets]]
name = "X at 50"
metric = "contributor:X"
at_least = 50

[[targets]]
name = "Force at 150, all told"
metric = "international"
at_least = 150
"#;

const METRIC_COLUMNS: [&str; 7] = [
    "international_p50",
    "international_police_p50",
    "host_police_p50",
    "police_p50",
    "security_forces_p50",
    "police_per_100k_p50",
    "security_per_1000_p50",
];

/// `forcegen sweep SCENARIO --out OUT --quiet ARGS...`; returns the output.
fn sweep(scenario: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    forcegen()
        .arg("sweep")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(args)
        .output()
        .expect("run forcegen")
}

fn sweep_ok(scenario: &Path, out: &Path, args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let output = sweep(scenario, out, args);
    assert!(output.status.success(), "sweep failed: {}", stderr_of(&output));
    read_csv(&out.join("sweep.csv"))
}

fn number(header: &[String], row: &[String], column: &str) -> f64 {
    let text = cell(header, row, column);
    text.parse()
        .unwrap_or_else(|_| panic!("{column} is not a number: {text:?}"))
}

#[test]
fn the_grid_has_one_row_per_point_and_target_first_set_slowest() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    let (header, rows) = sweep_ok(
        &scenario,
        &out,
        &[
            "--trials",
            "200",
            "--set",
            "contributors.X.pledged=60,100",
            "--set",
            "contributors.Y, the other.fulfilment=beta(8, 2),\"beta(2, 8)\",0.5",
        ],
    );
    let mut expected = vec![
        "point",
        "contributors.X.pledged",
        "contributors.Y, the other.fulfilment",
        "target",
        "report_date",
        "p_reached_by_report_date",
        "p_reached_by_report_date_se",
        "p_reached_by_horizon",
        "p_reached_by_horizon_se",
        "date_p50",
    ];
    expected.extend(METRIC_COLUMNS);
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 2 * 3 * 2);
    let grid: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str()))
        .collect();
    let fulfilment = ["beta(8, 2)", "beta(2, 8)", "0.5"];
    for (i, row) in grid.iter().enumerate() {
        let point = i / 2;
        let target = ["X at 50", "Force at 150, all told"][i % 2];
        let pledged = ["60", "100"][point / 3];
        let expected = ((point + 1).to_string(), pledged, fulfilment[point % 3], target);
        assert_eq!(
            *row,
            (expected.0.as_str(), expected.1, expected.2, expected.3),
            "row {i}"
        );
    }
    // The metric columns are the same for both targets of a point.
    for pair in rows.chunks(2) {
        assert_eq!(pair[0][10..], pair[1][10..]);
    }
    let (h, info) = read_csv(&out.join("sweep_info.csv"));
    assert_eq!(info.len(), 1);
    assert_eq!(cell(&h, &info[0], "points"), "6");
    assert_eq!(cell(&h, &info[0], "trials"), "200");
    assert_eq!(cell(&h, &info[0], "seed"), "5");
}

#[test]
fn a_scenario_without_targets_gets_one_row_per_point() {
    let work = tempfile::tempdir().unwrap();
    let text = SCENARIO.split("[[targets]]").next().unwrap();
    let scenario = write_file(work.path(), "s.toml", text);
    let out = work.path().join("out");
    let (header, rows) = sweep_ok(
        &scenario,
        &out,
        &["--trials", "100", "--set", "host_police.initial=100,200,300"],
    );
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string());
        for column in ["target", "p_reached_by_horizon", "p_reached_by_horizon_se", "date_p50"] {
            assert_eq!(cell(&header, row, column), "", "{column}");
        }
        assert!(number(&header, row, "host_police_p50") <= 100.0 * (i + 1) as f64);
    }
}

/// With common random numbers, raising X's probability adds trials in which
/// its pledge is honoured and changes nothing else: X is honoured in trial
/// i when u_i < p, with u_i drawn from X's own stream, the same at every grid
/// point; and X reaches 50 exactly when honoured. So the share is monotone
/// point to point without any noise, and each is within 4 standard errors
/// of p.
#[test]
fn common_random_numbers_make_a_probability_sweep_monotone() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    let (header, rows) = sweep_ok(
        &scenario,
        &out,
        &["--set", "contributors.X.probability=0.2,0.5,0.8,0.81,1"],
    );
    let reached: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| cell(&header, r, "target") == "X at 50")
        .map(|r| {
            (
                number(&header, r, "contributors.X.probability"),
                number(&header, r, "p_reached_by_horizon"),
            )
        })
        .collect();
    assert_eq!(reached.len(), 5);
    for pair in reached.windows(2) {
        assert!(pair[0].1 <= pair[1].1, "not monotone: {reached:?}");
    }
    assert_eq!(reached[4].1, 1.0);
    // 0.80 -> 0.81 adds about 1% of the 2,000 trials and removes none.
    assert!(reached[3].1 - reached[2].1 < 0.03, "{reached:?}");
    for (p, share) in &reached {
        let se = (p * (1.0 - p) / 2000.0).sqrt();
        assert!((share - p).abs() <= 4.0 * se + 1e-9, "p = {p}: share {share}");
    }
    // The host police do not move with X's probability.
    let others: Vec<&str> = rows
        .iter()
        .filter(|r| cell(&header, r, "target") == "X at 50")
        .map(|r| cell(&header, r, "host_police_p50"))
        .collect();
    assert!(others.windows(2).all(|w| w[0] == w[1]), "{others:?}");
}

#[test]
fn the_thread_count_does_not_change_a_byte() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let sets = [
        "--set",
        "contributors.X.probability=0.3,0.9",
        "--set",
        "simulation.step=day,month",
    ];
    let (one, two) = (work.path().join("one"), work.path().join("two"));
    sweep_ok(&scenario, &one, &[&sets[..], &["--threads", "1"]].concat());
    sweep_ok(&scenario, &two, &[&sets[..], &["--threads", "2"]].concat());
    for file in ["sweep.csv", "sweep_info.csv"] {
        assert_eq!(
            fs::read(one.join(file)).unwrap(),
            fs::read(two.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn each_point_equals_a_run_with_the_same_sets() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    let (header, rows) = sweep_ok(
        &scenario,
        &out,
        &[
            "--trials",
            "500",
            "--seed",
            "77",
            "--set",
            "contributors.X.probability=0.25,0.75",
            "--set",
            "contributors.Y, the other.waves=1,3",
        ],
    );
    for (point, (probability, waves)) in [("0.25", "1"), ("0.25", "3"), ("0.75", "1"), ("0.75", "3")]
        .iter()
        .enumerate()
    {
        let dir = work.path().join(format!("run{point}"));
        forcegen()
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&dir)
            .args(["--quiet", "--trials", "500", "--seed", "77", "--set"])
            .arg(format!("contributors.X.probability={probability}"))
            .arg("--set")
            .arg(format!("contributors.Y, the other.waves={waves}"))
            .assert()
            .success();
        let point_rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == (point + 1).to_string()).collect();
        let (sh, summary) = read_csv(&dir.join("summary.csv"));
        assert_eq!(point_rows.len(), summary.len());
        for (row, target) in point_rows.iter().zip(&summary) {
            assert_eq!(cell(&header, row, "target"), cell(&sh, target, "target"));
            for column in ["p_reached_by_horizon", "p_reached_by_horizon_se", "date_p50"] {
                assert_eq!(
                    cell(&header, row, column),
                    cell(&sh, target, column),
                    "point {point}: {column}"
                );
            }
        }
        // The medians are those of timeseries.csv on the horizon (its last row per metric).
        let (th, series) = read_csv(&dir.join("timeseries.csv"));
        for column in METRIC_COLUMNS {
            let metric = column.trim_end_matches("_p50");
            let last = series.iter().rfind(|r| cell(&th, r, "metric") == metric).unwrap();
            assert_eq!(cell(&th, last, "day"), "90");
            assert_eq!(
                cell(&header, point_rows[0], column),
                cell(&th, last, "p50"),
                "point {point}: {column}"
            );
        }
    }
}

#[test]
fn a_bad_value_anywhere_in_the_grid_stops_before_any_work() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    // Point 7 (the third value of the first list, first of the second) is bad.
    let output = sweep(
        &scenario,
        &out,
        &[
            "--set",
            "contributors.X.probability=0.2,0.5,1.5",
            "--set",
            "simulation.horizon_days=60,90,120",
            "--trials",
            "10000000",
        ],
    );
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("grid point 7: --set contributors.X.probability=1.5"),
        "{stderr}"
    );
    assert!(stderr.contains("between 0 and 1"), "{stderr}");
    assert!(stderr.contains("3 of 9 grid points"), "{stderr}");
    // Once per problem, not once per point.
    assert_eq!(stderr.matches("probability=1.5").count(), 1, "{stderr}");
    assert!(!out.exists(), "wrote {:?}", entries(&out));

    let output = sweep(&scenario, &out, &["--set", "contributors.Z.probability=0.2,0.5"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("no contributor named \"Z\""));
    let output = sweep(&scenario, &out, &["--set", "contributors.X.probability=0.2,,0.5"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("value 2 of the list is empty"));
    let output = sweep(&scenario, &out, &["--set", "simulation.seed=1,2"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("the same trials with the same seed"));
    assert!(!out.exists());
}

#[test]
fn the_default_folder_and_ownership() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "mission.toml", SCENARIO);
    let sets = ["--trials", "50", "--set", "contributors.X.probability=0.5,1"];
    forcegen()
        .current_dir(work.path())
        .arg("sweep")
        .arg(&scenario)
        .args(sets)
        .assert()
        .success()
        .stdout(predicates::str::contains("2 grid points x 50 trials"))
        .stdout(predicates::str::contains("X at 50"));
    let out = work.path().join("output").join("mission-sweep");
    assert_eq!(entries(&out), ["sweep.csv", "sweep.html", "sweep_info.csv"]);
    // Another grid of the same scenario replaces it; another scenario needs --force.
    sweep_ok(
        &scenario,
        &out,
        &["--trials", "50", "--set", "contributors.X.pledged=10,20,30"],
    );
    let other = write_file(work.path(), "other.toml", &SCENARIO.replace("Sweep test", "Other"));
    let output = sweep(&other, &out, &sets);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("--force"));
    assert_eq!(
        read_csv(&out.join("sweep.csv")).1.len(),
        6,
        "the earlier sweep was replaced"
    );
    sweep_ok(&other, &out, &[&sets[..], &["--force"]].concat());
}
