//! `forcegen sensitivity` on scenarios whose dominant input is known by
//! construction, its file layout, and its reproducibility.
//!
//! Tolerances: for an input with no influence, the sample Spearman
//! correlation of n trials has standard error 1/sqrt(n - 1), and the
//! bias-corrected first-order index a standard deviation of about
//! sqrt(2 (bins - 1)) / n; the checks allow 4 of those (see `common::Z`).
//! For influential inputs the exact first-order index is derived in each
//! test; the binned estimate loses at most 1/bins^2 of a smooth effect
//! (50 bins here) and its sampling error is a fraction of a percent at
//! 20,000 trials, so a 0.01 allowance is about 4 standard errors.

use std::path::Path;

use crate::cli_support::{cell, forcegen, read_csv, write_file};

const N: u64 = 20_000;

fn run(dir: &Path, text: &str, threads: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = write_file(dir, "s.toml", text);
    let out = dir.join(format!("out-{threads}"));
    forcegen()
        .arg("sensitivity")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .args(["--trials", &N.to_string(), "--seed", "11", "--threads", threads, "-q"])
        .assert()
        .success();
    read_csv(&out.join("sensitivity.csv"))
}

fn block<'a>(rows: &'a [Vec<String>], header: &[String], outcome: &str) -> Vec<&'a Vec<String>> {
    rows.iter().filter(|r| cell(header, r, "outcome") == outcome).collect()
}

fn value(header: &[String], row: &[String], column: &str) -> f64 {
    cell(header, row, column)
        .parse()
        .unwrap_or_else(|_| panic!("{column} is not a number in {row:?}"))
}

/// A: 2,000 pledged, fulfilment uniform(0.5, 1), first wave uniform(0, 600)
/// days; B: 100 pledged, fulfilment uniform(0, 1), first wave likewise; an
/// unlock event nobody waits for, with a random day (no influence at all).
///
/// International at the horizon (730 days, no attrition) is
/// 2000 f_A + 100 f_B: Var = 2000^2 0.5^2/12 + 100^2/12, so A's fulfilment
/// explains 83,333.3 / 84,166.7 = 0.9901 and B's 0.0099. The target "900"
/// is reached exactly when A's first wave lands (A alone brings >= 1,000,
/// B at most 100), so A's arrival day explains all of its variance.
const KNOWN: &str = r#"name = "known drivers"
[simulation]
start = 2024-01-01
horizon_days = 730
[population]
initial = 1000000
[[events]]
name = "noise"
effect = "unlock"
day = "uniform(0, 700)"
[[contributors]]
name = "A"
pledged = 2000
fulfilment = "uniform(0.5, 1)"
first_arrival_days = "uniform(0, 600)"
[[contributors]]
name = "B"
pledged = 100
fulfilment = "uniform(0, 1)"
first_arrival_days = "uniform(0, 600)"
[[targets]]
name = "900"
metric = "international"
at_least = 900
"#;

/// sensitivity.csv of the `KNOWN` scenario: its header, and each of the
/// five inputs ranked once, 1 to 5, for each of the three outcomes.
fn check_every_input_ranked_once(header: &[String], rows: &[Vec<String>]) {
    assert_eq!(
        header,
        [
            "outcome",
            "rank",
            "input",
            "spearman",
            "first_order",
            "mean_when_input_low",
            "mean_when_input_high"
        ]
    );
    let inputs = [
        "contributors.A.fulfilment",
        "contributors.A.first_arrival_days",
        "contributors.B.fulfilment",
        "contributors.B.first_arrival_days",
        "events.noise.day",
    ];
    let outcomes = [
        "international_at_horizon",
        "police_per_100k_at_horizon",
        "day_reached:900",
    ];
    assert_eq!(rows.len(), inputs.len() * outcomes.len());
    for outcome in outcomes {
        let rows = block(rows, header, outcome);
        let mut names: Vec<&str> = rows.iter().map(|r| cell(header, r, "input")).collect();
        names.sort_unstable();
        let mut expected = inputs.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected, "{outcome}: every input once");
        let ranks: Vec<&str> = rows.iter().map(|r| cell(header, r, "rank")).collect();
        assert_eq!(ranks, ["1", "2", "3", "4", "5"], "{outcome}: ranks in order");
    }
}

#[test]
fn the_input_that_drives_an_outcome_ranks_first() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (header, rows) = run(dir.path(), KNOWN, "2");
    check_every_input_ranked_once(&header, &rows);

    let international = block(&rows, &header, "international_at_horizon");
    assert_eq!(cell(&header, international[0], "input"), "contributors.A.fulfilment");
    let s_a = value(&header, international[0], "first_order");
    assert!((s_a - 0.9901).abs() < 0.01, "A's first-order index {s_a}");
    assert!(value(&header, international[0], "spearman") > 0.95);
    // Low and high ends of the tornado bar: f_A in its bottom and top 10%
    // (0.5-0.55 and 0.95-1) give about 2,000 * 0.525 + 50 and 2,000 * 0.975 + 50.
    let low = value(&header, international[0], "mean_when_input_low");
    let high = value(&header, international[0], "mean_when_input_high");
    assert!(
        (low - 1100.0).abs() < 10.0 && (high - 2000.0).abs() < 10.0,
        "{low} {high}"
    );
    let b = international
        .iter()
        .find(|r| cell(&header, r, "input") == "contributors.B.fulfilment")
        .expect("B's row");
    assert!((value(&header, b, "first_order") - 0.0099).abs() < 0.01);

    let reached = block(&rows, &header, "day_reached:900");
    assert_eq!(cell(&header, reached[0], "input"), "contributors.A.first_arrival_days");
    assert!(value(&header, reached[0], "first_order") > 0.99);
    assert!(value(&header, reached[0], "spearman") > 0.99);

    // The event's day drives nothing.
    let bins: f64 = 50.0;
    let n = N as f64;
    for outcome in ["international_at_horizon", "day_reached:900"] {
        let rows = block(&rows, &header, outcome);
        let noise = rows
            .iter()
            .find(|r| cell(&header, r, "input") == "events.noise.day")
            .expect("noise row");
        let rho = value(&header, noise, "spearman");
        assert!(rho.abs() < 4.0 / (n - 1.0).sqrt(), "{outcome}: noise Spearman {rho}");
        let s = value(&header, noise, "first_order");
        assert!(
            s < 4.0 * (2.0 * (bins - 1.0)).sqrt() / n + 1e-4,
            "{outcome}: noise first-order {s}"
        );
    }

    // Police per 100,000 has no host police here: it is international
    // police over a fixed population, driven by the same input.
    let police = block(&rows, &header, "police_per_100k_at_horizon");
    assert_eq!(cell(&header, police[0], "input"), "contributors.A.fulfilment");
}

/// Two yes/no pledges of 1,000 arriving on day 0: C honoured with
/// probability 0.5, D with 0.9. International = 1000 (I_C + I_D), whose
/// variance is 1000^2 (0.25 + 0.09): C explains 0.25 / 0.34 = 0.735, D 0.265.
#[test]
fn yes_no_pledges_split_the_variance_by_their_bernoulli_variance() {
    let text = r#"name = "two pledges"
[simulation]
start = 2024-01-01
horizon_days = 30
[population]
initial = 1000000
[[contributors]]
name = "C"
pledged = 1000
probability = 0.5
[[contributors]]
name = "D"
pledged = 1000
probability = 0.9
"#;
    let dir = tempfile::tempdir().expect("temporary folder");
    let (header, rows) = run(dir.path(), text, "1");
    let international = block(&rows, &header, "international_at_horizon");
    assert_eq!(cell(&header, international[0], "input"), "contributors.C.probability");
    let s_c = value(&header, international[0], "first_order");
    let s_d = value(&header, international[1], "first_order");
    // SE of each share is below 0.005 at 20,000 trials; 4 SE = 0.02.
    assert!((s_c - 0.25 / 0.34).abs() < 0.02, "C {s_c}");
    assert!((s_d - 0.09 / 0.34).abs() < 0.02, "D {s_d}");
    // Low = pledge not honoured, high = honoured: means 1000 * 0.9 and 1000 * 1.9.
    let low = value(&header, international[0], "mean_when_input_low");
    let high = value(&header, international[0], "mean_when_input_high");
    assert!(
        (low - 900.0).abs() < 20.0 && (high - 1900.0).abs() < 20.0,
        "{low} {high}"
    );
}

#[test]
fn the_file_is_the_same_whatever_the_thread_count() {
    let dir = tempfile::tempdir().expect("temporary folder");
    run(dir.path(), KNOWN, "1");
    run(dir.path(), KNOWN, "2");
    let one = std::fs::read(dir.path().join("out-1/sensitivity.csv")).expect("file");
    let two = std::fs::read(dir.path().join("out-2/sensitivity.csv")).expect("file");
    assert_eq!(one, two);
}

#[test]
fn the_baseline_runs_and_names_every_outcome() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    let output = forcegen()
        .arg("sensitivity")
        .arg("--out")
        .arg(&out)
        .args(["--trials", "2000"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("international_at_horizon:"), "{stdout}");
    assert!(stdout.contains("day_reached:MSS at 2,500"), "{stdout}");
    let (header, rows) = read_csv(&out.join("sensitivity.csv"));
    assert!(
        rows.iter()
            .any(|r| cell(&header, r, "input") == "contributors.Kenya.probability")
    );
}

#[test]
fn too_many_trials_is_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    let output = forcegen()
        .arg("sensitivity")
        .arg("--out")
        .arg(&out)
        .args(["--trials", "100000000"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("trials for this scenario (4 GiB)"), "{stderr}");
    assert!(!out.exists());
}

/// One contingent of 1,000 on day 0 with a constant withdrawal rate: the
/// rate is no input, but whether and when the contingent leaves is random,
/// and it is what decides the strength at the horizon (it is 0 after a
/// withdrawal): `contributors.X.withdrawal_day` ranks first. A rare yes/no
/// input (an event with probability 0.05 that ends the mission) shows the
/// mean when it happens at the high end of its bar.
#[test]
fn the_drawn_withdrawal_day_and_rare_events_are_inputs() {
    let text = r#"name = "withdrawal"
[simulation]
start = 2024-01-01
horizon_days = 365
[population]
initial = 1000000
[[contributors]]
name = "X"
deployed = 1000
withdrawal_per_year = 0.5
[[events]]
name = "end"
probability = 0.05
day = 100
effect = "end_mission"
"#;
    let dir = tempfile::tempdir().expect("temporary folder");
    let (header, rows) = run(dir.path(), text, "2");
    let international = block(&rows, &header, "international_at_horizon");
    assert_eq!(
        cell(&header, international[0], "input"),
        "contributors.X.withdrawal_day"
    );
    let end = international
        .iter()
        .find(|r| cell(&header, r, "input") == "events.end.probability")
        .expect("the event's row");
    // When the mission ends on day 100, nobody is left at the horizon.
    assert_eq!(value(&header, end, "mean_when_input_high"), 0.0);
    assert!(value(&header, end, "mean_when_input_low") > 0.0);
    // What produced the file, and the noise floor at these trials.
    let (info_header, info) = read_csv(&dir.path().join("out-2/sensitivity_info.csv"));
    assert_eq!(info.len(), 1);
    assert_eq!(cell(&info_header, &info[0], "trials"), N.to_string());
    let noise: f64 = cell(&info_header, &info[0], "spearman_noise").parse().expect("number");
    assert!((noise - 2.0 / ((N - 1) as f64).sqrt()).abs() < 1e-4);
}

#[test]
fn another_scenarios_results_are_kept_unless_forced() {
    let dir = tempfile::tempdir().expect("temporary folder");
    run(dir.path(), KNOWN, "2");
    let other = write_file(dir.path(), "other.toml", &KNOWN.replace("known drivers", "other"));
    let out = dir.path().join("out-2");
    let refused = forcegen()
        .arg("sensitivity")
        .arg(&other)
        .arg("--out")
        .arg(&out)
        .args(["--trials", "200", "-q"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    forcegen()
        .arg("sensitivity")
        .arg(&other)
        .arg("--out")
        .arg(&out)
        .args(["--trials", "200", "-q", "--force"])
        .assert()
        .success();
}
