//! Bad scenario files (MODEL.md section 3): each must stop `validate` and
//! `run` with exit code 2 before simulating, with a message that names the
//! file, the line (as `file:LINE:COL`) and the field and says what is
//! allowed, and `run` must write nothing.

mod cases;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::cli_support::{self, FILES, assert_same_outputs, entries, forcegen, run_ok, stderr_of, write_file};
use cases::{BASE, Case, cases, edit, line_of, replaced};

/// The `LINE` of every `PATH:LINE:COL` location in `stderr`.
fn located_lines(stderr: &str, path: &str) -> BTreeSet<usize> {
    let prefix = format!("{path}:");
    let mut lines = BTreeSet::new();
    for (at, _) in stderr.match_indices(&prefix) {
        let rest = &stderr[at + prefix.len()..];
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().and_then(|l| l.parse::<usize>().ok());
        let column = parts.next().and_then(|c| c.parse::<usize>().ok());
        if let (Some(line), Some(_)) = (line, column) {
            lines.insert(line);
        }
    }
    lines
}

/// Everything wrong with `stderr` for `case`, empty if it is as required.
fn message_problems(case: &Case, path: &Path, stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let shown = path.display().to_string();
    let lines = located_lines(stderr, &shown);
    if lines.is_empty() {
        problems.push(format!("no `{shown}:LINE:COL` location"));
    } else if !lines.contains(&case.line) {
        problems.push(format!(
            "expected line {} in a `{shown}:LINE:COL` location, found lines {lines:?}",
            case.line
        ));
    }
    if let Some(field) = case.field {
        let named = stderr.contains(&format!("`{field}`")) || stderr.contains(&format!("{field}:"));
        if !named {
            problems.push(format!("does not name the field `{field}`"));
        }
    }
    for word in case.allowed {
        if !stderr.contains(word) {
            problems.push(format!("does not say what is allowed ({word:?} missing)"));
        }
    }
    problems
}

/// Checks `validate` and `run` on one bad file; returns a description of
/// each failure (so one test reports every failing case at once).
fn check_case(case: &Case, work: &Path) -> Vec<String> {
    let path = work.join(format!("{}.toml", case.name));
    fs::write(&path, &case.bytes).unwrap();
    let mut failures = Vec::new();

    let validate = forcegen().arg("validate").arg(&path).output().unwrap();
    let stderr = stderr_of(&validate);
    if validate.status.code() != Some(2) {
        failures.push(format!("validate exit code {:?}, expected 2", validate.status.code()));
    }
    for p in message_problems(case, &path, &stderr) {
        failures.push(format!("validate: {p}"));
    }

    let out = work.join(format!("{}_out", case.name));
    let run = forcegen()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let run_stderr = stderr_of(&run);
    if run.status.code() != Some(2) {
        failures.push(format!("run exit code {:?}, expected 2", run.status.code()));
    }
    for p in message_problems(case, &path, &run_stderr) {
        failures.push(format!("run: {p}"));
    }
    if !entries(&out).is_empty() {
        failures.push(format!("run wrote {:?} into {}", entries(&out), out.display()));
    }
    if !run.stdout.is_empty() {
        failures.push(format!(
            "run printed to stdout: {}",
            String::from_utf8_lossy(&run.stdout)
        ));
    }
    if failures.is_empty() {
        Vec::new()
    } else {
        let mut report = vec![format!("case {}:", case.name)];
        report.extend(failures.into_iter().map(|f| format!("  {f}")));
        report.push(format!("  validate stderr:\n{stderr}"));
        report
    }
}

#[test]
fn base_scenario_is_valid() {
    let work = tempfile::tempdir().unwrap();
    let path = write_file(work.path(), "base.toml", BASE);
    forcegen().arg("validate").arg(&path).assert().code(0);
}

#[test]
fn every_bad_input_is_refused_with_file_line_field_and_what_is_allowed() {
    let work = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    let cases = cases();
    for case in &cases {
        report.extend(check_case(case, work.path()));
    }
    assert!(
        report.is_empty(),
        "bad inputs not handled as required:\n{}",
        report.join("\n")
    );
}

/// Unknown keys in a named table ([[contributors]], [[events]], [[targets]]):
/// the field should be named like every other field of that table, by the
/// entry's name (`contributors.Kenya.pleged`), with a "did you mean".
#[test]
fn unknown_keys_in_named_tables_name_the_entry() {
    let work = tempfile::tempdir().unwrap();
    let cases = [
        replaced(
            "unknown_contributor_key",
            "pledged = 600",
            "pleged = 600",
            "pleged",
            "contributors.Kenya.pleged",
            &["did you mean `pledged`"],
        ),
        replaced(
            "unknown_event_key",
            "effect = \"unlock\"",
            "effect = \"unlock\"\ndrawdown = 30",
            "drawdown = 30",
            "events.un_takeover.drawdown",
            &["did you mean `drawdown_days`"],
        ),
        replaced(
            "unknown_target_key",
            "at_least = 1000",
            "at_lest = 1000",
            "at_lest",
            "targets.MSS at 1,000.at_lest",
            &["did you mean `at_least`"],
        ),
    ];
    let mut report = Vec::new();
    for case in &cases {
        report.extend(check_case(case, work.path()));
    }
    assert!(
        report.is_empty(),
        "unknown keys not reported as required:\n{}",
        report.join("\n")
    );
}

#[test]
fn validate_reports_every_error_in_the_file() {
    let text = edit("seed = 1", "seed = 1\nstep = \"year\"")
        .replacen("step = \"week\"\n", "", 1)
        .replacen("probability = 0.95", "probability = 1.5", 1)
        .replacen("pledged = 200", "pledged = -5", 1)
        .replacen("fulfilment = \"beta(8, 2)\"", "fulfilment = \"weibull(1, 2)\"", 1)
        .replacen("metric = \"international\"", "metric = \"internationl\"", 1);
    let work = tempfile::tempdir().unwrap();
    let path = write_file(work.path(), "several.toml", &text);
    let output = forcegen().arg("validate").arg(&path).output().unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    let lines = located_lines(&stderr, &path.display().to_string());
    let expected: BTreeSet<usize> = [
        "step = \"year\"",
        "probability = 1.5",
        "pledged = -5",
        "weibull",
        "internationl",
    ]
    .iter()
    .map(|s| line_of(&text, s))
    .collect();
    assert!(
        lines.len() >= 3,
        "fewer than 3 distinct lines reported: {lines:?}\n{stderr}"
    );
    assert_eq!(lines, expected, "every mistake reported at its line:\n{stderr}");
    for field in [
        "simulation.step",
        "contributors.Kenya.probability",
        "contributors.Jamaica.pledged",
        "contributors.Kenya.fulfilment",
        "targets.MSS at 1,000.metric",
    ] {
        assert!(stderr.contains(field), "{field} not reported:\n{stderr}");
    }

    // `run` reports the same problems and writes nothing.
    let out = work.path().join("out");
    let run = forcegen()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(stderr_of(&run), stderr, "run and validate report the same problems");
    assert!(entries(&out).is_empty(), "run wrote {:?}", entries(&out));
}

#[test]
fn missing_scenario_file_is_refused_with_its_path() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("does-not-exist.toml");
    let shown = missing.display().to_string();
    let validate = forcegen().arg("validate").arg(&missing).output().unwrap();
    assert_eq!(validate.status.code(), Some(2));
    assert!(
        stderr_of(&validate).contains(&shown),
        "validate: {}",
        stderr_of(&validate)
    );

    let out = work.path().join("out");
    let run = forcegen()
        .arg("run")
        .arg(&missing)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr_of(&run).contains(&shown), "run: {}", stderr_of(&run));
    assert!(entries(&out).is_empty(), "run wrote {:?}", entries(&out));
}

#[test]
fn a_bad_scenario_leaves_earlier_results_untouched() {
    let work = tempfile::tempdir().unwrap();
    let good = write_file(work.path(), "good.toml", BASE);
    let out = work.path().join("out");
    run_ok(&good, &out, &[]);
    let before = work.path().join("before");
    fs::create_dir(&before).unwrap();
    for file in FILES {
        fs::copy(out.join(file), before.join(file)).unwrap();
    }
    let bad = write_file(work.path(), "bad.toml", &edit("probability = 0.95", "probability = 2"));
    forcegen().arg("run").arg(&bad).arg("--out").arg(&out).assert().code(2);
    assert_same_outputs(&before, &out, "results before and after a refused run");
    assert_eq!(
        entries(&out).len(),
        FILES.len() + cli_support::REPORT_FILES.len() + cli_support::EXTRA_FILES.len(),
        "the refused run added files: {:?}",
        entries(&out)
    );
}

/// An invalid `[simulation]` value must be the only problem reported: a
/// date-valued day elsewhere (an event on `2025-06-01`, an intake on
/// `2025-01-15`) is read against the start when the start is valid, and is
/// not a second, false error when it is not.
#[test]
fn a_bad_simulation_value_does_not_make_dates_elsewhere_errors() {
    let dated = edit("day = 200", "day = 2025-06-01").replacen(
        "attrition_per_year = 0.1\n",
        "attrition_per_year = 0.1\n\n[[host_police.intakes]]\nday = 2025-01-15\nsize = 100\n",
        1,
    );
    let work = tempfile::tempdir().unwrap();
    let good = write_file(work.path(), "dated.toml", &dated);
    forcegen().arg("validate").arg(&good).assert().code(0);
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "horizon_days = 365",
            "horizon_days = \"abc\"",
            "simulation.horizon_days",
            "number",
        ),
        ("trials = 100", "trials = 0", "simulation.trials", "from 1 to"),
        ("seed = 1", "seed = -1", "simulation.seed", "from 0 to 9007199254740992"),
        (
            "start = 2024-09-30",
            "start = \"2025-13-01\"",
            "simulation.start",
            "not a day of the calendar",
        ),
        (
            "start = 2024-09-30",
            "start = 20240930",
            "simulation.start",
            "must be a date (YYYY-MM-DD",
        ),
        ("start = 2024-09-30\n", "", "simulation.start", "is required"),
    ];
    for (from, to, field, words) in cases {
        assert!(dated.contains(from), "test bug: {from:?}");
        let text = dated.replacen(from, to, 1);
        let path = write_file(work.path(), "bad-simulation.toml", &text);
        let output = forcegen().arg("validate").arg(&path).output().unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{to:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{to:?}: only the real problem:\n{stderr}");
        assert!(
            stderr.contains(&format!("`{field}`")) && stderr.contains(words),
            "{to:?}: {stderr}"
        );
        let line = if to.is_empty() {
            line_of(&text, "[simulation]")
        } else {
            line_of(&text, to)
        };
        assert_eq!(
            located_lines(&stderr, &path.display().to_string()),
            BTreeSet::from([line]),
            "{to:?}: {stderr}"
        );
    }
    // The same through --set on the built-in Haiti baseline, whose
    // mandate_lapse event is on 2025-10-02.
    for set in [
        "simulation.horizon_days=abc",
        "simulation.trials=0",
        "simulation.start=2025-13-01",
    ] {
        let out = work.path().join("out");
        let output = forcegen()
            .args(["run", "-q", "--set", set])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{set}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{set}: only the real problem:\n{stderr}");
        assert!(stderr.starts_with(&format!("error: --set {set}: ")), "{stderr}");
        assert!(!out.exists(), "{set}: wrote {}", out.display());
    }
}
