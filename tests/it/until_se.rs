//! `--until-se X` on `run`, `sweep`, `compare` and `solve`: trials are
//! added in batches until the probabilities are precise enough, and the
//! files then equal those of a plain run of the trials it ended with, byte
//! for byte (the info file only gains the `--until-se` columns).

use std::fs;
use std::path::Path;

use crate::cli_support::{baseline, cell, entries, forcegen, read_csv, scenarios_dir, stderr_of};

/// The columns `--until-se` adds to an info file.
const PRECISION_COLUMNS: [&str; 5] = ["until_se", "max_trials", "batches", "largest_se", "se_reached"];

/// Runs forcegen with `args` and asserts success; its standard output.
fn ok(args: &[&str], out: &Path) -> String {
    let output = forcegen()
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The one row of an info file, as (header, row).
fn info(path: &Path) -> (Vec<String>, Vec<String>) {
    let (header, mut rows) = read_csv(path);
    assert_eq!(rows.len(), 1, "{}", path.display());
    (header, rows.remove(0))
}

/// Every file of `a` equals its namesake in `b`, but `info_file`, which
/// equals it once the `--until-se` columns are dropped (they say how the
/// trials were chosen, and what they say is checked by the callers).
fn assert_same_but_the_precision(a: &Path, b: &Path, info_file: &str) {
    assert_eq!(entries(a), entries(b));
    for name in entries(a) {
        let (left, right) = (a.join(&name), b.join(&name));
        if name == info_file {
            let (header, row) = info(&left);
            let kept: Vec<usize> = (0..header.len())
                .filter(|&i| !PRECISION_COLUMNS.contains(&header[i].as_str()))
                .collect();
            let pick = |v: &[String]| kept.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
            assert_eq!(pick(&header), info(&right).0, "{name}: the plain run's columns");
            assert_eq!(pick(&row), info(&right).1, "{name}: the plain run's values");
            assert_eq!(&header[header.len() - 5..], PRECISION_COLUMNS, "{name}");
        } else {
            let same = fs::read(&left).expect("read") == fs::read(&right).expect("read");
            assert!(same, "{name} differs between {} and {}", a.display(), b.display());
        }
    }
}

/// The trials and the `--until-se` columns of an info file.
fn trials_and_precision(path: &Path) -> (String, Vec<String>) {
    let (header, row) = info(path);
    let precision = PRECISION_COLUMNS
        .iter()
        .map(|c| cell(&header, &row, c).to_string())
        .collect();
    (cell(&header, &row, "trials").to_string(), precision)
}

#[test]
fn run_until_se_equals_a_plain_run_of_its_trials() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (a, b) = (dir.path().join("until"), dir.path().join("plain"));
    let stdout = ok(
        &["run", "--until-se", "0.006", "--trials", "1000", "--threads", "2"],
        &a,
    );
    let (trials, precision) = trials_and_precision(&a.join("run_info.csv"));
    assert_eq!(precision[0], "0.006");
    assert_eq!(precision[1], "1000000", "the default --max-trials");
    assert_eq!(precision[4], "yes");
    let batches: u32 = precision[2].parse().expect("a count");
    assert!(batches >= 2, "1,024 trials are too few for 0.006: {precision:?}");
    let n: u64 = trials.parse().expect("a count");
    assert_eq!(n % 512, 0, "batches end on whole chunks: {n}");
    assert!(
        stdout.contains(&format!("after {n} trials in {batches} batches")),
        "{stdout}"
    );
    // Every probability of targets.csv within the error asked for.
    let (header, rows) = read_csv(&a.join("targets.csv"));
    let worst = rows
        .iter()
        .map(|r| cell(&header, r, "p_reached_se").parse::<f64>().expect("a number"))
        .fold(0.0, f64::max);
    assert!(worst <= 0.006, "{worst}");
    assert_eq!(
        precision[3].parse::<f64>().ok(),
        Some(worst),
        "largest_se is targets.csv's largest"
    );
    ok(&["run", "--quiet", "--trials", &trials, "--threads", "1"], &b);
    assert_same_but_the_precision(&a, &b, "run_info.csv");
}

#[test]
fn max_trials_stops_a_run_and_says_so() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    let output = forcegen()
        .args(["run", "--until-se", "0.001", "--max-trials", "3000", "--trials", "1000"])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("note: --until-se 0.001: stopped at --max-trials 3000"),
        "{stderr}"
    );
    let (trials, precision) = trials_and_precision(&out.join("run_info.csv"));
    assert_eq!(trials, "3000");
    assert_eq!(precision[4], "no");
}

#[test]
fn bad_until_se_flags_are_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    let cases: [(&[&str], &str); 5] = [
        (
            &["run", "--until-se", "0"],
            "--until-se must be a standard error above 0",
        ),
        (&["run", "--until-se", "0.7"], "--until-se must be"),
        (
            &["run", "--until-se", "0.01", "--max-trials", "100", "--trials", "200"],
            "is below the first batch",
        ),
        (&["run", "--max-trials", "100"], "--until-se"),
        (
            &["run", "--until-se", "0.01", "--shard", "1/2", "--partial", "p.bin"],
            "cannot be used with",
        ),
    ];
    for (args, message) in cases {
        let output = forcegen()
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run forcegen");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr_of(&output).contains(message), "{args:?}: {}", stderr_of(&output));
        assert!(!out.exists(), "{args:?} wrote nothing");
    }
}

#[test]
fn sweep_until_se_equals_a_plain_sweep_of_its_trials() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (a, b) = (dir.path().join("until"), dir.path().join("plain"));
    let set = "contributors.Kenya.probability=0.5,0.9";
    ok(
        &[
            "sweep",
            "--quiet",
            "--set",
            set,
            "--until-se",
            "0.008",
            "--trials",
            "600",
            "--threads",
            "2",
        ],
        &a,
    );
    let (trials, precision) = trials_and_precision(&a.join("sweep_info.csv"));
    assert_eq!(precision[4], "yes");
    let (header, rows) = read_csv(&a.join("sweep.csv"));
    for row in &rows {
        let se: f64 = cell(&header, row, "p_reached_by_horizon_se").parse().expect("a number");
        assert!(se <= 0.008, "{row:?}");
    }
    ok(
        &["sweep", "--quiet", "--set", set, "--trials", &trials, "--threads", "1"],
        &b,
    );
    assert_same_but_the_precision(&a, &b, "sweep_info.csv");
}

#[test]
fn compare_until_se_equals_a_plain_compare_of_its_trials() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (a, b) = (dir.path().join("until"), dir.path().join("plain"));
    let other = scenarios_dir().join("haiti-optimistic.toml");
    let (first, second) = (baseline().display().to_string(), other.display().to_string());
    ok(
        &[
            "compare",
            &first,
            &second,
            "--quiet",
            "--until-se",
            "0.008",
            "--trials",
            "700",
            "--threads",
            "2",
        ],
        &a,
    );
    let (trials, precision) = trials_and_precision(&a.join("compare_info.csv"));
    assert_eq!(precision[4], "yes");
    assert!(precision[2].parse::<u32>().expect("a count") >= 2, "{precision:?}");
    ok(
        &[
            "compare",
            &first,
            &second,
            "--quiet",
            "--trials",
            &trials,
            "--threads",
            "1",
        ],
        &b,
    );
    // compare.csv's paired sums are floating point: equal only when added
    // in the same order, chunk by chunk.
    assert_same_but_the_precision(&a, &b, "compare_info.csv");
}

#[test]
fn solve_until_se_equals_a_plain_solve_of_its_trials() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (a, b) = (dir.path().join("until"), dir.path().join("plain"));
    let question = [
        "solve",
        "--target",
        "MSS at 1,000",
        "--chance",
        "0.8",
        "--vary",
        "contributors.Kenya.probability",
        "--range",
        "0..1",
        "--quiet",
    ];
    let until = [
        &question[..],
        &["--until-se", "0.006", "--trials", "500", "--threads", "2"][..],
    ]
    .concat();
    ok(&until, &a);
    let (trials, precision) = trials_and_precision(&a.join("solve_info.csv"));
    assert_eq!(precision[4], "yes");
    assert!(precision[2].parse::<u32>().expect("a count") >= 2, "{precision:?}");
    // The chance at the answer within the error asked for.
    let (header, rows) = read_csv(&a.join("solve_summary.csv"));
    let se: f64 = cell(&header, &rows[0], "chance_se").parse().expect("a number");
    assert!(se <= 0.006, "{se}");
    // Every value tried on all the trials.
    let (header, rows) = read_csv(&a.join("solve.csv"));
    assert!(rows.iter().all(|r| cell(&header, r, "trials") == trials), "{rows:?}");
    let plain = [&question[..], &["--trials", &trials, "--threads", "1"][..]].concat();
    ok(&plain, &b);
    assert_same_but_the_precision(&a, &b, "solve_info.csv");
}
