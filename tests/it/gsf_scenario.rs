//! `scenarios/haiti-gsf-2026-04.toml`, the GSF as known on 30 Apr 2026: it
//! validates, runs, writes its targets, the fund's and the police layers'
//! metrics, and gives the same bytes on 1 and 2 threads. The same file
//! without its layer keys still runs, and then writes no layer rows.

use std::fs;
use std::path::{Path, PathBuf};

use predicates::prelude::predicate;

use crate::cli_support::{assert_same_outputs, cell, forcegen, read_csv, run_ok, scenarios_dir, write_file};

/// A few thousand trials with a fixed seed: quick, and not a multiple of the
/// work chunks, so they are uneven.
const ARGS: [&str; 4] = ["--trials", "3000", "--seed", "17"];

const TARGETS: [&str; 3] = ["GSF at 5,500", "GSF at 90% of ceiling", "GSF at 2,500"];
const FUND_METRICS: [&str; 2] = ["fund_balance", "months_of_cover"];
const LAYER_METRICS: [&str; 4] = [
    "host_payroll",
    "host_available",
    "police_per_100k_payroll",
    "police_per_100k_available",
];
const LAYER_KEYS: [&str; 2] = ["available_share", "course_days"];

fn shipped() -> PathBuf {
    scenarios_dir().join("haiti-gsf-2026-04.toml")
}

/// The shipped text without the layer keys of `[host_police]` and without the
/// benchmarks drawn on a layer metric.
fn without_layers() -> String {
    let text = fs::read_to_string(shipped()).expect("the GSF scenario is readable");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !LAYER_KEYS.iter().any(|k| l.starts_with(&format!("{k} ="))))
        .collect();
    let text = lines.join("\n") + "\n";
    // The copy is written elsewhere: its priors file by its full path.
    let priors = shipped().parent().unwrap().join("../data/priors-2026-04.toml");
    let text = text.replace(
        "priors = \"../data/priors-2026-04.toml\"",
        &format!("priors = \"{}\"", priors.display()),
    );
    let mut blocks = text.split("[[benchmarks]]");
    let mut out = blocks.next().unwrap_or_default().to_string();
    for block in blocks.filter(|b| !LAYER_METRICS.iter().any(|m| b.contains(&format!("\"{m}\"")))) {
        out.push_str("[[benchmarks]]");
        out.push_str(block);
    }
    assert_ne!(
        out,
        fs::read_to_string(shipped()).unwrap(),
        "the shipped file has layer keys"
    );
    out
}

/// The metric names of `timeseries.csv` in `dir`, once each.
fn metrics(dir: &Path) -> Vec<String> {
    let (header, rows) = read_csv(&dir.join("timeseries.csv"));
    let mut names: Vec<String> = rows.iter().map(|r| cell(&header, r, "metric").to_string()).collect();
    names.sort();
    names.dedup();
    names
}

/// The three targets are in `summary.csv` with their thresholds, and a
/// harder target is never likelier than an easier one (5,500 ⊂ 4,950 ⊂ 2,500).
fn check_targets(dir: &Path) {
    let (header, rows) = read_csv(&dir.join("summary.csv"));
    let row = |name: &str| {
        rows.iter()
            .find(|r| cell(&header, r, "target") == name)
            .unwrap_or_else(|| panic!("summary.csv has no target {name:?}"))
    };
    let p = |name: &str| -> f64 { cell(&header, row(name), "p_reached_by_horizon").parse().unwrap() };
    // 90% of the ceiling of 5,500, which no event changes: 4,950.
    for (name, at_least) in TARGETS.iter().zip(["5500", "4950", "2500"]) {
        assert_eq!(cell(&header, row(name), "metric"), "international", "{name}");
        assert_eq!(cell(&header, row(name), "at_least"), at_least, "{name}");
    }
    assert!(p(TARGETS[0]) <= p(TARGETS[1]) && p(TARGETS[1]) <= p(TARGETS[2]));
}

fn run_twice(scenario: &Path, work: &Path) -> PathBuf {
    let one = work.join("threads1");
    let two = work.join("threads2");
    run_ok(scenario, &one, &[&ARGS[..], &["--threads", "1"]].concat());
    run_ok(scenario, &two, &[&ARGS[..], &["--threads", "2"]].concat());
    assert_same_outputs(&one, &two, "the GSF scenario, --threads 1 vs 2");
    one
}

#[test]
fn the_shipped_file_validates() {
    forcegen()
        .arg("validate")
        .arg(shipped())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: \"Haiti GSF as of 30 Apr 2026\""));
}

#[test]
fn it_runs_with_its_targets_the_fund_and_the_layers_the_same_on_1_and_2_threads() {
    let work = tempfile::tempdir().unwrap();
    let out = run_twice(&shipped(), work.path());
    check_targets(&out);
    let names = metrics(&out);
    for metric in FUND_METRICS.iter().chain(&LAYER_METRICS) {
        assert!(
            names.iter().any(|n| n == metric),
            "timeseries.csv lacks {metric}: {names:?}"
        );
    }
    // The report answers the questions: the chance of each target,
    // the months of money left, and both police ratios.
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    for expected in [
        "GSF at 5,500 (international at least 5,500): ",
        "GSF at 90% of ceiling (international at least 4,950): ",
        "Strength on 2 Oct 2026: international personnel ",
        "Money on ",
        "months of cover in the median trial",
        "police per 100,000 on the payroll",
        "police per 100,000 available for duty",
        "<svg id=\"chart-money\"",
        "<svg id=\"chart-police-layers\"",
    ] {
        assert!(report.contains(expected), "report.html lacks {expected}");
    }
}

#[test]
fn without_its_layer_keys_it_runs_with_its_targets_and_the_fund_and_no_layer_rows() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "gsf-no-layers.toml", &without_layers());
    forcegen().arg("validate").arg(&scenario).assert().code(0);
    let out = run_twice(&scenario, work.path());
    check_targets(&out);
    let names = metrics(&out);
    for metric in FUND_METRICS {
        assert!(
            names.iter().any(|n| n == metric),
            "timeseries.csv lacks {metric}: {names:?}"
        );
    }
    for metric in LAYER_METRICS {
        assert!(
            !names.iter().any(|n| n == metric),
            "{metric} without a layer key: {names:?}"
        );
    }
}
