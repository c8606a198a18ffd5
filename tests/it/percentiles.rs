//! `--percentiles` (issue #30 point 8): `timeseries.csv` (and the wide file)
//! carries the percentile columns asked for, each equal to the default
//! run's where they share a percentile; the report names its bands by them
//! and is rebuilt the same by `forcegen report`; `merge --percentiles`
//! writes what a single run with them writes; bad lists are refused.

use std::fs;
use std::path::Path;

use crate::cli_support::{baseline, cell, forcegen, read_csv, stderr_of};

const ARGS: [&str; 5] = ["--trials", "1500", "--seed", "4", "-q"];

fn run(out: &Path, args: &[&str]) {
    let output = forcegen()
        .arg("run")
        .arg(baseline())
        .arg("--out")
        .arg(out)
        .args(ARGS)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
}

/// `timeseries.csv`'s column `name`, row by row.
fn column(out: &Path, name: &str) -> Vec<String> {
    let (header, rows) = read_csv(&out.join("timeseries.csv"));
    rows.iter().map(|r| cell(&header, r, name).to_string()).collect()
}

#[test]
fn the_columns_asked_for_are_written_and_agree_with_the_default_run() {
    let work = tempfile::tempdir().unwrap();
    let (plain, custom) = (work.path().join("plain"), work.path().join("custom"));
    run(&plain, &["--no-drivers"]);
    run(
        &custom,
        &["--no-drivers", "--wide", "--percentiles", "1,5,10,50,90,95,99"],
    );
    let (header, rows) = read_csv(&custom.join("timeseries.csv"));
    assert_eq!(
        header,
        [
            "date", "day", "metric", "mean", "sd", "p1", "p5", "p10", "p50", "p90", "p95", "p99"
        ]
    );
    for shared in ["p5", "p50", "p95", "mean", "sd"] {
        assert_eq!(column(&plain, shared), column(&custom, shared), "{shared}");
    }
    for row in &rows {
        let p: Vec<f64> = header[5..]
            .iter()
            .map(|h| cell(&header, row, h).parse().unwrap())
            .collect();
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "percentiles out of order: {row:?}");
    }
    let (wide, _) = read_csv(&custom.join("timeseries_wide.csv"));
    assert!(wide.iter().any(|h| h == "international_p1") && wide.iter().any(|h| h == "international_p99"));
    // The report's bands say which percentiles they are, and rebuild alike.
    let report = fs::read_to_string(custom.join("report.html")).unwrap();
    assert!(report.contains("98% of trials (p1 to p99)"), "the outer band");
    assert!(
        report.contains("80% of trials (p10 to p90)"),
        "the inner band, nearest 25 and 75"
    );
    assert!(!report.contains("90% of trials"), "no band the file does not have");
    forcegen().arg("report").arg(&custom).arg("-q").assert().success();
    assert_eq!(fs::read_to_string(custom.join("report.html")).unwrap(), report);
    // The default is the five of before: the summary says 90% of trials.
    let plain_report = fs::read_to_string(plain.join("report.html")).unwrap();
    assert!(plain_report.contains("90% of trials (p5 to p95)"));
}

#[test]
fn merge_takes_them_as_a_single_run_does() {
    let work = tempfile::tempdir().unwrap();
    let single = work.path().join("single");
    run(&single, &["--percentiles", "1,10,50,90,99"]);
    let mut parts = Vec::new();
    for shard in ["1/2", "2/2"] {
        let part = work.path().join(format!("part-{}", &shard[..1]));
        forcegen()
            .arg("run")
            .arg(baseline())
            .args(ARGS)
            .args(["--shard", shard, "--partial"])
            .arg(&part)
            .assert()
            .success();
        parts.push(part);
    }
    let merged = work.path().join("merged");
    forcegen()
        .args(["merge", "-q", "--percentiles", "1,10,50,90,99", "--out"])
        .arg(&merged)
        .args(&parts)
        .assert()
        .success();
    assert_eq!(
        fs::read(merged.join("timeseries.csv")).unwrap(),
        fs::read(single.join("timeseries.csv")).unwrap()
    );
}

#[test]
fn a_bad_list_is_refused_with_an_example_and_nothing_written() {
    let work = tempfile::tempdir().unwrap();
    for bad in ["5,95", "50,10", "1,1,50", "0.5,50", "50,101", "x"] {
        let out = work.path().join("out");
        let output = forcegen()
            .arg("run")
            .args(["--trials", "10", "--percentiles", bad, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(
            stderr_of(&output).contains("e.g. --percentiles 1,10,50,90,99"),
            "{bad}: {}",
            stderr_of(&output)
        );
        assert!(!out.exists(), "{bad}: nothing written");
    }
    let output = forcegen()
        .args([
            "run",
            "--trials",
            "10",
            "--percentiles",
            "10,50,90",
            "--shard",
            "1/2",
            "--partial",
        ])
        .arg(work.path().join("part"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("give them to `forcegen merge`"));
}
