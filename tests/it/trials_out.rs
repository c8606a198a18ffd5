//! `run --trials-out FILE` (issue #30 point 8): one row per trial of the
//! chosen metrics on the chosen dates, the run's own trials (each column's
//! mean is timeseries.csv's), the same bytes whatever the thread count;
//! bounded (refused past 10,000,000 values before any work) and refused
//! with a clear message for an unknown metric, a bad date, a shard or a
//! file that is not a trials file.

use std::fs;
use std::path::Path;

use crate::cli_support::{baseline, cell, forcegen, read_csv, stderr_of};

const METRICS: [&str; 4] = ["--trials-metric", "international", "--trials-metric", "police_per_100k"];
const DATES: [&str; 4] = ["--trials-date", "2025-06-30", "--trials-date", "2026-09-30"];

/// `forcegen run` of the baseline with `args`; exit code and stderr.
fn run(args: &[&str], out: &Path) -> (Option<i32>, String) {
    let output = forcegen()
        .arg("run")
        .arg(baseline())
        .args(["--trials", "1200", "--seed", "4", "-q", "--no-drivers", "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), stderr_of(&output))
}

#[test]
fn one_row_per_trial_whose_means_are_the_runs() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("trials.csv");
    let file_arg = file.to_str().unwrap();
    let out = work.path().join("out");
    let args = [&["--trials-out", file_arg, "--threads", "1"][..], &METRICS, &DATES].concat();
    assert_eq!(run(&args, &out).0, Some(0));
    let (header, rows) = read_csv(&file);
    assert_eq!(rows.len(), 1200);
    assert_eq!(
        header,
        [
            "trial",
            "international_2025-06-30",
            "police_per_100k_2025-06-30",
            "international_2026-09-30",
            "police_per_100k_2026-09-30"
        ]
    );
    assert_eq!(cell(&header, &rows[0], "trial"), "0");
    let (th, timeseries) = read_csv(&out.join("timeseries.csv"));
    for column in &header[1..] {
        let (metric, date) = column.rsplit_once('_').unwrap();
        let row = timeseries
            .iter()
            .find(|r| cell(&th, r, "metric") == metric && cell(&th, r, "date") == date)
            .expect("a timeseries row");
        let values: Vec<f64> = rows.iter().map(|r| cell(&header, r, column).parse().unwrap()).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let expected: f64 = cell(&th, row, "mean").parse().unwrap();
        // Ratios are written with 4 decimals: their mean within that rounding.
        assert!((mean - expected).abs() < 1e-4, "{column}: {mean} vs {expected}");
    }
    // The same bytes on two threads; without --trials-date, the report date.
    let again = work.path().join("again.csv");
    let args = [
        &["--trials-out", again.to_str().unwrap(), "--threads", "2"][..],
        &METRICS,
        &DATES,
    ]
    .concat();
    assert_eq!(run(&args, &work.path().join("out2")).0, Some(0));
    assert_eq!(fs::read(&file).unwrap(), fs::read(&again).unwrap());
    let default = work.path().join("default.csv");
    assert_eq!(
        run(&["--trials-out", default.to_str().unwrap()], &work.path().join("out3")).0,
        Some(0)
    );
    let (header, _) = read_csv(&default);
    assert_eq!(header, ["trial", "international_2026-09-30"]);
}

#[test]
fn bad_choices_are_refused_before_any_work() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("trials.csv");
    let file_arg = file.to_str().unwrap();
    let cases: [(Vec<&str>, &str); 3] = [
        (
            vec!["--trials-metric", "internatonal"],
            "--trials-metric internatonal: not a metric",
        ),
        (vec!["--trials-date", "30/06/2025"], "e.g. 2025-06-30"),
        (vec!["--trials-date", "2030-01-01"], "--trials-date"),
    ];
    for (extra, message) in cases {
        let out = work.path().join("out");
        let (code, stderr) = run(&[&["--trials-out", file_arg][..], &extra].concat(), &out);
        assert_eq!(code, Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
        assert!(
            !file.exists() && !out.join("timeseries.csv").exists(),
            "{extra:?}: nothing written"
        );
    }
    // 4,000,000 trials x 3 dates: past the bound, refused at once.
    let out = work.path().join("big");
    let output = forcegen()
        .args(["run", "--trials", "4000000", "--trials-out", file_arg, "--out"])
        .arg(&out)
        .args([
            "--trials-date",
            "2025-01-01",
            "--trials-date",
            "2025-06-30",
            "--trials-date",
            "2026-01-01",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("is 12000000 values, more than the 10000000"),
        "{}",
        stderr_of(&output)
    );
    assert!(!file.exists() && !out.join("timeseries.csv").exists());
    // A file that is not a trials file is not replaced.
    fs::write(&file, "precious,data\n").unwrap();
    let (code, stderr) = run(&["--trials-out", file_arg], &work.path().join("out"));
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "precious,data\n");
    let output = forcegen()
        .args([
            "run",
            "--trials",
            "10",
            "--trials-out",
            file_arg,
            "--shard",
            "1/2",
            "--partial",
        ])
        .arg(work.path().join("part"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--trials-out is for a whole run"));
}
