//! `forcegen compare`: common random numbers make the paired difference far
//! more precise than two independent runs, values agree with `run`, and bad
//! combinations are refused.

use std::path::{Path, PathBuf};

use crate::cli_support::{baseline, cell, forcegen, read_csv, scenarios_dir, stderr_of, write_file};

const HEADER: [&str; 9] = [
    "kind",
    "quantity",
    "date",
    "scenario",
    "value",
    "value_se",
    "difference_to_first",
    "difference_se",
    "unpaired_difference_se",
];

/// The baseline with Benin's pledge honoured with probability 0.18, not 0.15:
/// with common random numbers only the trials whose draw falls in [0.15, 0.18)
/// differ, so the paired difference is far less noisy than two separate runs.
fn benin_more_likely(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(baseline()).expect("baseline");
    let changed = text.replacen("probability = 0.15 ", "probability = 0.18 ", 1);
    assert_ne!(text, changed, "the baseline's Benin line moved; update this test");
    write_file(dir, "benin.toml", &changed)
}

fn compare(files: &[&Path], out: &Path, extra: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let output = forcegen()
        .arg("compare")
        .args(files)
        .arg("--out")
        .arg(out)
        .args(["-q", "--trials", "4000"])
        .args(extra)
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr_of(&output));
    read_csv(&out.join("compare.csv"))
}

/// The row of `quantity` in `scenario` by the horizon (the last of its
/// dates; a scenario with a report date has a row by that date first).
fn row<'a>(rows: &'a [Vec<String>], header: &[String], quantity: &str, scenario: &str) -> &'a Vec<String> {
    rows.iter()
        .rfind(|r| cell(header, r, "quantity") == quantity && cell(header, r, "scenario").ends_with(scenario))
        .unwrap_or_else(|| panic!("no row for {quantity} / {scenario}"))
}

fn value(header: &[String], row: &[String], column: &str) -> f64 {
    cell(header, row, column)
        .parse()
        .unwrap_or_else(|_| panic!("{column} is not a number in {row:?}"))
}

#[test]
fn the_paired_standard_error_is_well_below_the_unpaired_one() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let variant = benin_more_likely(dir.path());
    let (header, rows) = compare(&[&baseline(), &variant], &dir.path().join("out"), &[]);
    assert_eq!(header, HEADER);
    for quantity in ["MSS at 2,500", "international", "security_forces", "security_per_1000"] {
        let r = row(&rows, &header, quantity, "benin.toml");
        let paired = value(&header, r, "difference_se");
        let unpaired = value(&header, r, "unpaired_difference_se");
        assert!(
            paired < 0.5 * unpaired,
            "{quantity}: paired SE {paired} vs unpaired {unpaired}"
        );
        assert!(
            value(&header, r, "difference_to_first") > 0.0,
            "{quantity}: more Benin, more strength"
        );
    }
    // Host police and police (Benin sends soldiers) do not depend on Benin at
    // all: with common random numbers the difference is exactly 0, no noise.
    for quantity in ["host_police", "police", "police_per_100k"] {
        let r = row(&rows, &header, quantity, "benin.toml");
        assert_eq!(value(&header, r, "difference_to_first"), 0.0, "{quantity}");
        assert_eq!(value(&header, r, "difference_se"), 0.0, "{quantity}");
    }
    // The reference row has no difference.
    let first = row(&rows, &header, "MSS at 2,500", "haiti-mss-2024-09.toml");
    assert_eq!(cell(&header, first, "difference_to_first"), "");
}

#[test]
fn values_agree_with_a_plain_run_of_each_scenario() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let variant = benin_more_likely(dir.path());
    let (header, rows) = compare(&[&baseline(), &variant], &dir.path().join("out"), &[]);
    for (file, label) in [(baseline(), "haiti-mss-2024-09.toml"), (variant.clone(), "benin.toml")] {
        let out = dir.path().join(format!("run-{label}"));
        forcegen()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .args(["-q", "--trials", "4000"])
            .assert()
            .success();
        let (sh, summary) = read_csv(&out.join("summary.csv"));
        for s in &summary {
            let target = cell(&sh, s, "target");
            let expected: f64 = cell(&sh, s, "p_reached_by_horizon").parse().expect("number");
            let got = value(&header, row(&rows, &header, target, label), "value");
            assert!((got - expected).abs() < 1e-6, "{label} {target}: {got} vs {expected}");
        }
        let (th, series) = read_csv(&out.join("timeseries.csv"));
        let last = series.last().expect("rows");
        let horizon = cell(&th, last, "day");
        for s in series.iter().filter(|r| cell(&th, r, "day") == horizon) {
            let metric = cell(&th, s, "metric");
            if metric.starts_with("contributor:") {
                continue;
            }
            let expected: f64 = cell(&th, s, "mean").parse().expect("number");
            let got = value(&header, row(&rows, &header, metric, label), "value");
            assert!((got - expected).abs() < 1e-4, "{label} {metric}: {got} vs {expected}");
        }
    }
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (header, rows) = compare(&[&baseline(), &baseline()], &dir.path().join("out"), &[]);
    for r in rows
        .iter()
        .filter(|r| !cell(&header, r, "difference_to_first").is_empty())
    {
        assert_eq!(value(&header, r, "difference_to_first"), 0.0, "{r:?}");
        assert_eq!(value(&header, r, "difference_se"), 0.0, "{r:?}");
    }
}

#[test]
fn a_missing_contributor_counts_as_nobody_and_targets_are_shared() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let head = "[simulation]\nstart = 2024-01-01\nhorizon_days = 100\n[population]\ninitial = 1000000\n";
    let a = write_file(
        dir.path(),
        "a.toml",
        &format!(
            "name = \"a\"\n{head}[[contributors]]\nname = \"X\"\ndeployed = 50\n[[targets]]\nname = \"X at 40\"\n\
             metric = \"contributor:X\"\nat_least = 40\n"
        ),
    );
    let b = write_file(
        dir.path(),
        "b.toml",
        &format!(
            "name = \"b\"\n{head}[[contributors]]\nname = \"Y\"\ndeployed = 70\n[[targets]]\nname = \"60 in all\"\n\
             metric = \"international\"\nat_least = 60\n"
        ),
    );
    let (header, rows) = compare(&[&a, &b], &dir.path().join("out"), &[]);
    assert_eq!(value(&header, row(&rows, &header, "X at 40", "a.toml"), "value"), 1.0);
    assert_eq!(value(&header, row(&rows, &header, "X at 40", "b.toml"), "value"), 0.0);
    assert_eq!(value(&header, row(&rows, &header, "60 in all", "a.toml"), "value"), 0.0);
    assert_eq!(value(&header, row(&rows, &header, "60 in all", "b.toml"), "value"), 1.0);
    let diff = row(&rows, &header, "60 in all", "b.toml");
    assert_eq!(value(&header, diff, "difference_to_first"), 1.0);
}

#[test]
fn the_file_is_the_same_whatever_the_thread_count() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let other = scenarios_dir().join("haiti-un-transition.toml");
    compare(&[&baseline(), &other], &dir.path().join("one"), &["--threads", "1"]);
    compare(&[&baseline(), &other], &dir.path().join("two"), &["--threads", "2"]);
    let one = std::fs::read(dir.path().join("one/compare.csv")).expect("file");
    let two = std::fs::read(dir.path().join("two/compare.csv")).expect("file");
    assert_eq!(one, two);
}

#[test]
fn different_horizons_or_a_bad_file_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = std::fs::read_to_string(baseline()).expect("baseline");
    let shorter = text.replacen("horizon_days = 730", "horizon_days = 365", 1);
    assert_ne!(text, shorter, "the baseline's horizon line moved; update this test");
    let shorter = write_file(dir.path(), "short.toml", &shorter);
    let broken = write_file(
        dir.path(),
        "broken.toml",
        &text.replacen("probability = 0.15 ", "probability = 2 ", 1),
    );
    for (file, needle) in [
        (&shorter, "same simulation.start and horizon_days"),
        (&broken, "broken.toml:"),
    ] {
        let out = dir.path().join("out");
        let output = forcegen()
            .arg("compare")
            .arg(baseline())
            .arg(file)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr_of(&output).contains(needle), "{}", stderr_of(&output));
        assert!(!out.exists(), "nothing may be written");
    }
    let output = forcegen().arg("compare").arg(baseline()).output().expect("run");
    assert_eq!(output.status.code(), Some(2), "one scenario is not a comparison");
}

#[test]
fn a_target_name_meaning_two_things_is_an_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = std::fs::read_to_string(baseline()).expect("baseline");
    let changed = text.replacen("at_least = 2500", "at_least = 2000", 1);
    assert_ne!(text, changed, "the baseline's 2,500 target moved; update this test");
    let changed = write_file(dir.path(), "h2000.toml", &changed);
    let out = dir.path().join("out");
    let output = forcegen()
        .arg("compare")
        .arg(baseline())
        .arg(&changed)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let message = stderr_of(&output);
    assert!(
        message.contains("target \"MSS at 2,500\" means international >= 2500"),
        "{message}"
    );
    assert!(message.contains("international >= 2000 in"), "{message}");
    assert!(!out.exists());
}

#[test]
fn the_info_file_names_every_scenario_and_guards_the_folder() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let other = scenarios_dir().join("haiti-un-transition.toml");
    let out = dir.path().join("out");
    compare(&[&baseline(), &other], &out, &[]);
    let (header, rows) = read_csv(&out.join("compare_info.csv"));
    assert_eq!(rows.len(), 1);
    let files = cell(&header, &rows[0], "scenario_files");
    assert!(files.contains("haiti-mss-2024-09.toml") && files.contains("haiti-un-transition.toml"));
    assert_eq!(cell(&header, &rows[0], "trials"), "4000");
    // The same pair again is fine; another pair needs --force.
    compare(&[&baseline(), &other], &out, &[]);
    let output = forcegen()
        .arg("compare")
        .arg(&other)
        .arg(baseline())
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    compare(&[&other, &baseline()], &out, &["--force"]);
}

#[test]
fn the_gsf_compared_with_its_copy_differs_by_exactly_zero() {
    // Its share-of-the-ceiling target once made compare refuse the pair
    // ("international >= NaN ... but international >= NaN").
    let dir = tempfile::tempdir().expect("temporary folder");
    let gsf = scenarios_dir().join("haiti-gsf-2026-04.toml");
    let copy = write_file(dir.path(), "copy.toml", &crate::cli_support::gsf_copy_text());
    let (header, rows) = compare(&[&gsf, &copy], &dir.path().join("out"), &[]);
    let differences: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| !cell(&header, r, "difference_to_first").is_empty())
        .collect();
    assert!(!differences.is_empty());
    for r in differences {
        assert_eq!(value(&header, r, "difference_to_first"), 0.0, "{r:?}");
        assert_eq!(value(&header, r, "difference_se"), 0.0, "{r:?}");
    }
    // The share-of-the-ceiling target is compared as in a run.
    let out = dir.path().join("run");
    forcegen()
        .arg("run")
        .arg(&gsf)
        .arg("--out")
        .arg(&out)
        .args(["-q", "--trials", "4000", "--no-drivers"])
        .assert()
        .success();
    let (sh, summary) = read_csv(&out.join("summary.csv"));
    for s in &summary {
        let target = cell(&sh, s, "target");
        let expected: f64 = cell(&sh, s, "p_reached_by_horizon").parse().expect("number");
        let got = value(&header, row(&rows, &header, target, "copy.toml"), "value");
        assert!((got - expected).abs() < 1e-6, "{target}: {got} vs {expected}");
    }
}

#[test]
fn compare_set_compares_a_what_if_without_a_copy() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let set = "contributors.Benin.probability=0.18";
    let (header, rows) = compare(&[&baseline()], &dir.path().join("out"), &["--set", set]);
    let label = format!("haiti-mss-2024-09.toml (what-if: --set {set})");
    // The what-if equals the copy with the same change, trial for trial.
    let variant = benin_more_likely(dir.path());
    let (vh, copy) = compare(&[&baseline(), &variant], &dir.path().join("copy"), &[]);
    for r in rows.iter().filter(|r| cell(&header, r, "scenario").ends_with(&label)) {
        let quantity = cell(&header, r, "quantity");
        let twin = row(&copy, &vh, quantity, "benin.toml");
        for column in ["value", "difference_to_first", "difference_se"] {
            assert_eq!(cell(&header, r, column), cell(&vh, twin, column), "{quantity} {column}");
        }
    }
    assert!(
        rows.iter().any(|r| cell(&header, r, "scenario").ends_with(&label)),
        "{rows:?}"
    );
    for bad in ["simulation.seed=3", "contributors.Nobody.probability=1"] {
        let output = forcegen()
            .arg("compare")
            .arg(baseline())
            .args(["--set", bad, "--out"])
            .arg(dir.path().join("bad"))
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", stderr_of(&output));
        assert!(!dir.path().join("bad").exists());
    }
}
