//! One date grammar (issue #30 point 7): every date field of a scenario,
//! quoted or not, every date given to `--set`, the `--report-date` flag and
//! `solve`'s `--by` and `--range` read `YYYY-MM-DD` alike; `2026-4-30`, `30/04/2026` and `-2024-01-01` are
//! refused everywhere with exit code 2, an example of the right form and
//! nothing written.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{entries, forcegen, scenarios_dir, stderr_of, write_file};

fn gsf() -> PathBuf {
    scenarios_dir().join("haiti-gsf-2026-04.toml")
}

/// The GSF scenario with `line_start`'s line replaced by `line`.
fn edited(dir: &Path, line_start: &str, line: &str) -> PathBuf {
    let text = crate::cli_support::gsf_copy_text();
    let at = text.lines().position(|l| l.starts_with(line_start)).expect(line_start);
    let lines: Vec<&str> = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i == at { line } else { l })
        .collect();
    write_file(dir, "edited.toml", &(lines.join("\n") + "\n"))
}

/// `forcegen run` of `scenario` with `args` into a fresh folder: its exit
/// code, its stderr, and whether it wrote anything.
fn run(scenario: &Path, args: &[&str]) -> (Option<i32>, String, bool) {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let output = forcegen()
        .arg("run")
        .arg(scenario)
        .args(["--trials", "20", "--quiet", "--no-drivers", "--out"])
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), stderr_of(&output), !entries(&out).is_empty())
}

const BAD: [(&str, &str); 3] = [
    ("2026-4-30", "e.g. 2026-04-30"),
    ("30/04/2026", "e.g. 2026-04-30"),
    ("-2024-01-01", "e.g. 2024-09-30"),
];

fn assert_refused((code, stderr, wrote): (Option<i32>, String, bool), example: &str, what: &str) {
    assert_eq!(code, Some(2), "{what}: {stderr}");
    assert!(!wrote, "{what}: nothing may be written");
    assert!(
        stderr.contains("write dates as YYYY-MM-DD") && stderr.contains(example),
        "{what}: no example `{example}` in: {stderr}"
    );
}

#[test]
fn every_date_field_reads_iso_dates_quoted_or_not() {
    let work = tempfile::tempdir().unwrap();
    for (start, line) in [
        ("start = ", "start = \"2026-04-30\""),
        ("report_date = ", "report_date = \"2026-10-02\""),
        ("day = 2026-02-08", "day = \"2026-02-08\""),
        ("first_day = 2026-08-01", "first_day = '2026-08-01'"),
        ("day = 2026-03-31", "day = \"2026-03-31\""),
    ] {
        let scenario = edited(work.path(), start, line);
        let (code, stderr, _) = run(&scenario, &[]);
        assert_eq!(code, Some(0), "{line}: {stderr}");
    }
}

#[test]
fn a_date_in_another_form_is_refused_in_every_field_with_an_example() {
    let work = tempfile::tempdir().unwrap();
    for (bad, example) in BAD {
        for (start, key) in [
            ("start = ", "start"),
            ("report_date = ", "report_date"),
            ("day = 2026-02-08", "day"),
        ] {
            for line in [format!("{key} = {bad}"), format!("{key} = \"{bad}\"")] {
                let scenario = edited(work.path(), start, &line);
                assert_refused(run(&scenario, &[]), example, &line);
            }
        }
    }
}

#[test]
fn set_and_report_date_take_the_same_grammar() {
    for (bad, example) in BAD {
        for set in [
            format!("simulation.start={bad}"),
            format!("simulation.report_date={bad}"),
            format!("host_police.intakes.1.day={bad}"),
        ] {
            assert_refused(run(&gsf(), &["--set", &set]), example, &set);
        }
        let flag = format!("--report-date={bad}");
        assert_refused(run(&gsf(), &[&flag]), example, &flag);
    }
    // Quoted or not, the right form is accepted everywhere.
    for args in [
        ["--set", "simulation.start=2026-04-30"],
        ["--set", "simulation.start=\"2026-04-30\""],
        ["--set", "simulation.report_date=\"2026-10-02\""],
        ["--report-date", "2026-10-02"],
    ] {
        let (code, stderr, _) = run(&gsf(), &args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
    // A date outside the period shows one inside it.
    let (code, stderr, _) = run(&gsf(), &["--report-date", "2030-01-01"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("e.g. 2027-04-30"), "{stderr}");
}

/// A small scenario with a report date, for `solve`.
const SOLVE_SCENARIO: &str = r#"name = "Dates for solve"

[simulation]
start = 2024-01-01
horizon_days = 90
report_date = "2024-03-01"
step = "week"
trials = 200
seed = 3

[population]
initial = 1000000

[[contributors]]
name = "X"
pledged = 100
probability = 0.5
first_arrival_days = 30

[[targets]]
name = "X at 50"
metric = "contributor:X"
at_least = 50
"#;

/// `forcegen solve` of `scenario` with `args` into a fresh folder: as [`run`].
fn solve(scenario: &Path, out: &Path, args: &[&str]) -> (Option<i32>, String, bool) {
    let output = forcegen()
        .arg("solve")
        .arg(scenario)
        .args([
            "--target",
            "X at 50",
            "--chance",
            "0.3",
            "--vary",
            "contributors.X.probability",
        ])
        .args(["--quiet", "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), stderr_of(&output), !entries(out).is_empty())
}

#[test]
fn solve_takes_the_same_grammar_and_the_report_date() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "solve.toml", SOLVE_SCENARIO);
    // Without --by, the chance is by the scenario's report_date.
    let out = work.path().join("ok");
    let (code, stderr, _) = solve(&scenario, &out, &["--range", "0..1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let info = fs::read_to_string(out.join("solve_info.csv")).unwrap();
    assert!(info.contains(",2024-03-01,"), "by the report date: {info}");
    for (bad, example) in BAD {
        let by = format!("--by={bad}");
        let refused = solve(&scenario, &work.path().join("by"), &[&by, "--range", "0..1"]);
        assert_refused(refused, example, &by);
    }
    let range = "2024-1-15..2024-02-01";
    let (code, stderr, wrote) = solve(&scenario, &work.path().join("range"), &["--range", range]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        !wrote && stderr.contains("write dates as YYYY-MM-DD") && stderr.contains("e.g. 2024-01-15"),
        "{stderr}"
    );
}
