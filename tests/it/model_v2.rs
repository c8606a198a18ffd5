//! Model v2 (docs/MODEL.md §2.10 to §2.13), end to end: each rule with a
//! small scenario written here and a closed-form or hand-computed answer
//! (submodules by rule), and the properties the day-by-day trial keeps:
//! byte-identical files whatever the thread count, a contributor's results
//! independent of another's v2 inputs when no fund or ceiling couples them,
//! and a donor added to a fund that is not binding changing no contributor.
//!
//! Deterministic scenarios are compared exactly: every trial is alike, so
//! the mean is the value (to its printed precision; the fund's money is
//! recorded in whole USD). Random ones within 4 Monte Carlo standard errors
//! (`common::Z`), with fixed seeds.

mod capabilities;
mod ceilings;
mod funding;
mod rotations;

use std::path::Path;

use crate::cli_support::{assert_same_outputs, read_csv, run_ok, write_file};
use crate::common::{Run, day, num, run};

/// A scenario with daily report days from 2024-01-01 over `horizon` days
/// and a fixed population (only the ratio metrics use it).
pub fn scenario(horizon: u32, body: &str) -> String {
    format!(
        "name = \"model v2\"\n\n[simulation]\nstart = 2024-01-01\nhorizon_days = {horizon}\nstep = \"day\"\n\n\
         [population]\ninitial = 1000000\n\n{body}"
    )
}

/// The mean of `metric` on every day 0..=horizon, in day order.
pub fn means(run: &Run, metric: &str) -> Vec<f64> {
    let rows = run.series(metric);
    for (d, row) in rows.iter().enumerate() {
        assert_eq!(day(row), d as u32, "{metric}: daily rows expected");
    }
    rows.iter().map(|r| num(r, "mean")).collect()
}

/// Runs a scenario whose trials are all alike and returns the daily values
/// of `metric` (checking that every trial had the same: sd 0).
pub fn exact_series(run: &Run, metric: &str) -> Vec<f64> {
    for row in run.series(metric) {
        assert_eq!(num(row, "sd"), 0.0, "{metric}: trials differ on day {}", day(row));
    }
    means(run, metric)
}

/// A head-count series given as runs of (first day, value) up to `len` days.
pub fn steps(len: usize, runs: &[(usize, f64)]) -> Vec<f64> {
    let mut out = vec![0.0; len];
    for (i, &(from, value)) in runs.iter().enumerate() {
        let to = runs.get(i + 1).map_or(len, |r| r.0);
        out[from..to].iter_mut().for_each(|v| *v = value);
    }
    out
}

/// Asserts two daily series are equal, naming the first day they differ.
pub fn assert_series(what: &str, got: &[f64], want: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "{what}: days");
    for (d, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance,
            "{what}: day {d}: {g}, expected {w}\n got {got:?}"
        );
    }
}

/// Runs `text` (3 trials, all alike) and returns the run.
pub fn run_exact(text: &str) -> Run {
    run(text, 3, 1)
}

/// A v2 scenario in which every v2 input is random: rotations with an
/// uncertain tour, relief and gap, capabilities, own costs, a fund with
/// donors (one may not pay, one may be frozen), an outside payer, a
/// ceiling and a transform that raises it and unlocks a pledge.
const EVERYTHING: &str = r#"
[mission]
name = "MSS"
ceiling = 900

[funding]
start_balance = "uniform(2e6, 6e6)"
cost_per_person_month = "uniform(1500, 2500)"
cover_months = 2
arrears_withdrawal_factor = 3

[[funding.contributions]]
name = "North"
amount = "uniform(1e6, 4e6)"
probability = 0.7
day = "30 to 200"
freeze_probability = 0.3
freeze_day = "uniform(100, 300)"
freeze_share = "uniform(0.2, 0.8)"

[[funding.outside]]
name = "UN"
day = "uniform(100, 250)"
share = 0.35

[[events]]
name = "GSF"
probability = 0.6
day = "uniform(60, 200)"
effect = "transform"
mission = "GSF"
ceiling = 1500
cost_per_person_month = 1800

[[contributors]]
name = "K"
deployed = 200
pledged = 600
probability = 0.9
fulfilment = "beta(6, 2)"
first_arrival_days = "10 to 90"
waves = 3
wave_interval_days = "uniform(20, 60)"
attrition_per_year = 0.05
withdrawal_per_year = 0.2
tour_days = "uniform(120, 200)"
relief = "uniform(0.5, 1)"
relief_gap_days = "triangular(-20, 0, 30)"
capabilities = { helicopters = 4, vehicles = 30 }

[[contributors]]
name = "J"
pledged = 300
first_arrival_days = "uniform(5, 60)"
after = "GSF"
waves = 2
wave_interval_days = 30
tour_days = 180
relief_gap_days = 10
cost_per_person_month = "uniform(2000, 3000)"
capabilities = { vehicles = 10 }

[[targets]]
name = "90% of the ceiling"
metric = "international"
at_least_share_of_ceiling = 0.9

[[targets]]
name = "helicopters"
metric = "capability:helicopters"
at_least = 3
"#;

#[test]
fn a_v2_run_is_byte_identical_whatever_the_thread_count() {
    let work = tempfile::tempdir().unwrap();
    let text = scenario(400, EVERYTHING);
    let path = write_file(work.path(), "v2.toml", &text);
    let one = work.path().join("one");
    let two = work.path().join("two");
    // 1031 trials: not a multiple of the 512-trial chunks.
    run_ok(&path, &one, &["--trials", "1031", "--seed", "7", "--threads", "1"]);
    run_ok(&path, &two, &["--trials", "1031", "--seed", "7", "--threads", "2"]);
    assert_same_outputs(&one, &two, "model v2, --threads 1 vs 2");
}

/// The `timeseries.csv` rows of `metrics` in `dir`, as raw records.
fn rows_of(dir: &Path, metrics: &[&str]) -> Vec<Vec<String>> {
    let (header, rows) = read_csv(&dir.join("timeseries.csv"));
    let i = header.iter().position(|h| h == "metric").unwrap();
    rows.into_iter().filter(|r| metrics.contains(&r[i].as_str())).collect()
}

/// Runs each scenario text (600 trials, seed 5) and returns its folder.
fn run_all(work: &Path, texts: &[(&str, String)]) -> Vec<std::path::PathBuf> {
    texts
        .iter()
        .map(|(name, text)| {
            let path = write_file(work, &format!("{name}.toml"), text);
            let out = work.join(name);
            run_ok(&path, &out, &["--trials", "600", "--seed", "5"]);
            out
        })
        .collect()
}

/// Two contingents with every v2 input of their own, and a fund that never
/// binds (no cover asked, a balance no cost can use up), so nothing but
/// their own draws makes their strength.
const FREE: &str = r#"
[funding]
start_balance = 1e12
cost_per_person_month = 2000
"#;

const A: &str = r#"
[[contributors]]
name = "A"
deployed = 100
pledged = 400
fulfilment = "uniform(0.5, 1)"
first_arrival_days = "10 to 60"
waves = 4
wave_interval_days = "uniform(10, 40)"
attrition_per_year = 0.1
withdrawal_per_year = 0.3
tour_days = "uniform(90, 150)"
relief = "uniform(0.4, 1)"
relief_gap_days = "uniform(-10, 20)"
capabilities = { helicopters = 3 }
"#;

const B: &str = r#"
[[contributors]]
name = "B"
deployed = 50
pledged = 200
probability = 0.8
first_arrival_days = "uniform(0, 90)"
waves = 2
wave_interval_days = 25
attrition_per_year = 0.2
withdrawal_per_year = 0.2
tour_days = 120
relief = 0.7
relief_gap_days = 15
cost_per_person_month = 3000
capabilities = { vehicles = 8 }
"#;

#[test]
fn a_contributors_v2_draws_do_not_depend_on_another_contributors_inputs() {
    let work = tempfile::tempdir().unwrap();
    // B's rotation, relief, gap, cost and capabilities change; A's stay.
    let b_changed = B
        .replace("tour_days = 120", "tour_days = \"uniform(60, 200)\"")
        .replace("relief = 0.7", "relief = 0.2")
        .replace("relief_gap_days = 15", "relief_gap_days = -30")
        .replace("cost_per_person_month = 3000", "funded_outside = true")
        .replace("vehicles = 8", "vehicles = 2, boats = 5");
    let texts = [
        ("ab", scenario(500, &format!("{FREE}{A}{B}"))),
        ("a_b_changed", scenario(500, &format!("{FREE}{A}{b_changed}"))),
        ("b_first", scenario(500, &format!("{FREE}{b_changed}{A}"))),
        ("a_alone", scenario(500, &format!("{FREE}{A}"))),
    ];
    let outs = run_all(work.path(), &texts);
    let a_rows = |dir: &Path| {
        let mut rows = rows_of(dir, &["contributor:A", "capability:helicopters"]);
        rows.sort();
        rows
    };
    let reference = a_rows(&outs[0]);
    assert!(!reference.is_empty());
    for ((name, _), out) in texts.iter().zip(&outs).skip(1) {
        assert_eq!(a_rows(out), reference, "A's series changed in {name}");
    }
}

#[test]
fn a_donor_added_to_a_fund_that_does_not_bind_changes_no_contributor() {
    let work = tempfile::tempdir().unwrap();
    let donor = r#"
[[funding.contributions]]
name = "Extra"
amount = "uniform(1e6, 5e6)"
probability = 0.5
day = "uniform(10, 300)"
freeze_probability = 0.5
freeze_day = 200
"#;
    // cover_months = 3 is asked, and the balance always covers it.
    let fund = FREE.replace(
        "cost_per_person_month = 2000",
        "cost_per_person_month = 2000\ncover_months = 3",
    );
    let texts = [
        ("without", scenario(500, &format!("{fund}{A}{B}"))),
        ("with", scenario(500, &format!("{fund}{donor}{A}{B}"))),
    ];
    let outs = run_all(work.path(), &texts);
    let people = [
        "contributor:A",
        "contributor:B",
        "international",
        "capability:helicopters",
    ];
    assert_eq!(rows_of(&outs[0], &people), rows_of(&outs[1], &people));
    let contributors = |dir: &Path| read_csv(&dir.join("contributors.csv"));
    assert_eq!(contributors(&outs[0]), contributors(&outs[1]));
    // The donor did change the fund.
    assert_ne!(
        rows_of(&outs[0], &["fund_balance"]),
        rows_of(&outs[1], &["fund_balance"])
    );
}
