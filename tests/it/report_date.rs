//! `[simulation] report_date`: the scenario's default for `run --report-date`.
//! On the shipped GSF scenario (report_date = 2026-10-02) a plain run dates
//! `distribution.csv` and the report's findings on it, and the terminal
//! summary gives each target's chance by it as `targets.csv` has it;
//! `--report-date` and `--set` override it; a date outside the simulated
//! period or not a date is refused with its line and field, nothing written.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{cell, forcegen, read_csv, run_output, scenarios_dir, stderr_of, write_file};

const ARGS: [&str; 5] = ["--trials", "2000", "--seed", "17", "--no-drivers"];

fn gsf() -> PathBuf {
    scenarios_dir().join("haiti-gsf-2026-04.toml")
}

/// Runs `forcegen run SCENARIO --out OUT ARGS...` (not quiet); its stdout.
fn run_summary(scenario: &Path, out: &Path, args: &[&str]) -> String {
    let output = forcegen()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(ARGS)
        .args(args)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The one date of `distribution.csv` in `out`.
fn distribution_date(out: &Path) -> String {
    let (header, rows) = read_csv(&out.join("distribution.csv"));
    let mut dates: Vec<&str> = rows.iter().map(|r| cell(&header, r, "date")).collect();
    dates.dedup();
    assert_eq!(dates.len(), 1, "{dates:?}");
    dates[0].to_string()
}

/// `targets.csv`'s `p_reached` of `target` on `date`, as a percentage.
fn p_reached(out: &Path, target: &str, date: &str) -> String {
    let (header, rows) = read_csv(&out.join("targets.csv"));
    let row = rows
        .iter()
        .find(|r| cell(&header, r, "target") == target && cell(&header, r, "date") == date)
        .unwrap_or_else(|| panic!("targets.csv has no {target} on {date}"));
    let p: f64 = cell(&header, row, "p_reached").parse().unwrap();
    format!("{:.1}%", 100.0 * p)
}

#[test]
fn the_scenarios_report_date_dates_the_distribution_findings_and_summary() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let stdout = run_summary(&gsf(), &out, &[]);
    assert_eq!(distribution_date(&out), "2026-10-02");
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    for target in ["GSF at 5,500", "GSF at 2,500"] {
        let (by_date, by_horizon) = (
            p_reached(&out, target, "2026-10-02"),
            p_reached(&out, target, "2027-04-30"),
        );
        let finding = format!(
            "{target} (international at least {}): {by_date} by 2 Oct 2026, {by_horizon} by 30 Apr 2027",
            &target[7..]
        );
        assert!(report.contains(&finding), "no `{finding}` in the findings");
        let line = format!(
            "  {target} (international at least {}): {by_date} by 2026-10-02, {by_horizon} by 2027-04-30",
            &target[7..]
        );
        assert!(
            stdout.lines().any(|l| l.starts_with(&line)),
            "no `{line}` in the summary:\n{stdout}"
        );
    }
}

#[test]
fn report_date_and_set_override_the_scenarios() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("cli");
    let stdout = run_summary(&gsf(), &out, &["--report-date", "2026-12-01"]);
    assert_eq!(distribution_date(&out), "2026-12-01");
    let line = format!(
        "  GSF at 2,500 (international at least 2,500): {} by 2026-12-01, ",
        p_reached(&out, "GSF at 2,500", "2026-12-01")
    );
    assert!(stdout.contains(&line), "no `{line}` in:\n{stdout}");
    assert!(!stdout.contains("2026-10-02"), "{stdout}");
    let set = work.path().join("set");
    run_summary(&gsf(), &set, &["--set", "simulation.report_date=2026-11-01"]);
    assert_eq!(distribution_date(&set), "2026-11-01");
    // On the horizon, the summary is as without a report date.
    let horizon = work.path().join("horizon");
    let stdout = run_summary(&gsf(), &horizon, &["--report-date", "2027-04-30"]);
    assert_eq!(distribution_date(&horizon), "2027-04-30");
    let line = format!(
        "  GSF at 2,500 (international at least 2,500): {} by 2027-04-30",
        p_reached(&horizon, "GSF at 2,500", "2027-04-30")
    );
    assert!(
        stdout.lines().any(|l| l.starts_with(&line)),
        "no `{line}` in:\n{stdout}"
    );
}

#[test]
fn a_report_date_outside_the_period_or_not_a_date_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(gsf()).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("report_date = 2026-10-02"))
        .expect("the GSF scenario sets report_date")
        + 1;
    for (value, says) in [
        (
            "2027-05-01",
            "must be a date within the simulated period, 2026-04-30 to 2027-04-30 (start to start + \
             horizon_days), got 2027-05-01",
        ),
        (
            "2026-04-29",
            "must be a date within the simulated period, 2026-04-30 to 2027-04-30 (start to start + \
             horizon_days), got 2026-04-29",
        ),
        (
            "\"2 Oct 2026\"",
            "must be a date: `2 Oct 2026` is not a date; write dates as YYYY-MM-DD",
        ),
        ("155", "must be a date (YYYY-MM-DD, quotes optional), found integer"),
    ] {
        let bad = text.replacen("report_date = 2026-10-02", &format!("report_date = {value}"), 1);
        let scenario = write_file(work.path(), "bad.toml", &bad);
        let out = work.path().join("out");
        let output = run_output(&scenario, &out, &[]);
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{value}: {stderr}");
        let prefix = format!("bad.toml:{line}:15: field `simulation.report_date`: {says}");
        assert!(stderr.contains(&prefix), "{value}: no `{prefix}` in {stderr}");
        assert!(!out.exists(), "{value}: a refused run wrote {}", out.display());
    }
    // Through --set, the override is named.
    let out = work.path().join("set");
    let output = run_output(&gsf(), &out, &["--set", "simulation.report_date=2028-01-01"]);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .contains("--set simulation.report_date=2028-01-01: field `simulation.report_date`: must be a date within"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// Runs `forcegen ARGS --out OUT --quiet`, asserting success.
fn quietly(args: &[&str], out: &Path) {
    let output = forcegen()
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
}

#[test]
fn sweep_compare_and_sensitivity_honour_the_report_date() {
    let work = tempfile::tempdir().unwrap();
    let gsf = gsf();
    let gsf = gsf.to_str().unwrap();
    let set = "contributors.Chad.probability=0.9";
    // The what-if as a plain run: its chance by the report date.
    let run = work.path().join("run");
    quietly(
        &[
            "run",
            gsf,
            "--set",
            set,
            "--trials",
            "2000",
            "--seed",
            "17",
            "--no-drivers",
        ],
        &run,
    );
    let by_date = |target: &str| p_reached(&run, target, "2026-10-02");
    sweep_honours_it(work.path(), gsf, &by_date);
    compare_honours_it(work.path(), gsf, set, &by_date);
    sensitivity_honours_it(work.path(), gsf);
}

/// sweep: the point with Chad at 0.9 has the run's chances by 2 Oct 2026
/// (`by_date`), and --report-date moves them.
fn sweep_honours_it(work: &Path, gsf: &str, by_date: &dyn Fn(&str) -> String) {
    let sweep = work.join("sweep");
    let swept = "contributors.Chad.probability=0.5,0.9";
    quietly(
        &["sweep", gsf, "--set", swept, "--trials", "2000", "--seed", "17"],
        &sweep,
    );
    let (header, rows) = read_csv(&sweep.join("sweep.csv"));
    for row in rows.iter().filter(|r| cell(&header, r, "point") == "2") {
        assert_eq!(cell(&header, row, "report_date"), "2026-10-02");
        let p: f64 = cell(&header, row, "p_reached_by_report_date").parse().unwrap();
        assert_eq!(format!("{:.1}%", 100.0 * p), by_date(cell(&header, row, "target")));
    }
    let page = fs::read_to_string(sweep.join("sweep.html")).unwrap();
    assert!(
        page.contains("Probability of reaching GSF at 2,500 by 2 Oct 2026"),
        "the sweep page"
    );
    let later = work.join("later-sweep");
    quietly(
        &[
            "sweep",
            gsf,
            "--set",
            swept,
            "--trials",
            "300",
            "--report-date",
            "2026-12-01",
        ],
        &later,
    );
    let (header, rows) = read_csv(&later.join("sweep.csv"));
    assert!(rows.iter().all(|r| cell(&header, r, "report_date") == "2026-12-01"));
}

/// compare: the what-if's rows by 2026-10-02 are the run's (`by_date`).
fn compare_honours_it(work: &Path, gsf: &str, set: &str, by_date: &dyn Fn(&str) -> String) {
    let compare = work.join("compare");
    quietly(
        &["compare", gsf, "--set", set, "--trials", "2000", "--seed", "17"],
        &compare,
    );
    let (header, rows) = read_csv(&compare.join("compare.csv"));
    let dated: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| cell(&header, r, "date") == "2026-10-02" && cell(&header, r, "kind") == "target")
        .filter(|r| cell(&header, r, "scenario").contains("what-if"))
        .collect();
    assert_eq!(dated.len(), 4, "each target by the report date: {rows:?}");
    for row in dated {
        let p: f64 = cell(&header, row, "value").parse().unwrap();
        assert_eq!(format!("{:.1}%", 100.0 * p), by_date(cell(&header, row, "quantity")));
    }
    let page = fs::read_to_string(compare.join("compare.html")).unwrap();
    assert!(page.contains("Targets by 2 Oct 2026") && page.contains("Targets by 30 Apr 2027"));
}

/// sensitivity: the strength on the date and each target by it are
/// ranked, and --report-date moves them.
fn sensitivity_honours_it(work: &Path, gsf: &str) {
    let sensitivity = work.join("sensitivity");
    quietly(&["sensitivity", gsf, "--trials", "1000", "--seed", "17"], &sensitivity);
    let (header, rows) = read_csv(&sensitivity.join("sensitivity.csv"));
    let outcomes: Vec<&str> = rows.iter().map(|r| cell(&header, r, "outcome")).collect();
    for outcome in [
        "international_on_2026-10-02",
        "reached_by_2026-10-02:GSF at 2,500",
        "international_at_horizon",
    ] {
        assert!(outcomes.contains(&outcome), "no outcome {outcome}");
    }
    let (header, info) = read_csv(&sensitivity.join("sensitivity_info.csv"));
    assert_eq!(cell(&header, &info[0], "report_date"), "2026-10-02");
    let later = work.join("later");
    quietly(
        &["sensitivity", gsf, "--trials", "300", "--report-date", "2026-12-01"],
        &later,
    );
    let (header, rows) = read_csv(&later.join("sensitivity.csv"));
    assert!(
        rows.iter()
            .any(|r| cell(&header, r, "outcome") == "international_on_2026-12-01")
    );
}
