//! Bad scenario files (MODEL.md section 3): each must stop `validate` and
//! `run` with exit code 2 before simulating, with a message that names the
//! file, the line (as `file:LINE:COL`) and the field and says what is
//! allowed, and `run` must write nothing.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::cli_support::{self, FILES, assert_same_outputs, entries, forcegen, run_ok, stderr_of, write_file};

/// A valid scenario; each case below breaks it in one place.
const BASE: &str = r#"name = "Bad input base"

[simulation]
start = 2024-09-30
horizon_days = 365
step = "week"
trials = 100
seed = 1

[population]
initial = 11000000
annual_growth = 0.01

[host_police]
initial = 5000
attrition_per_year = 0.1

[[contributors]]
name = "Kenya"
deployed = 400
pledged = 600
probability = 0.95
fulfilment = "beta(8, 2)"
first_arrival_days = "triangular(14, 45, 180)"
waves = 3
wave_interval_days = "uniform(20, 60)"

[[contributors]]
name = "Jamaica"
pledged = 200
probability = 0.5
after = "un_takeover"

[[events]]
name = "un_takeover"
probability = 0.5
day = 200
effect = "unlock"

[[events]]
name = "mandate_lapse"
probability = 0.15
day = 365
effect = "end_mission"

[[targets]]
name = "MSS at 1,000"
metric = "international"
at_least = 1000
"#;

/// What the error message for one bad file must contain.
struct Case {
    /// Short description, also the file name.
    name: &'static str,
    /// The file's bytes.
    bytes: Vec<u8>,
    /// The 1-based line the message must point at.
    line: usize,
    /// The dotted field the message must name (None for a file that is not
    /// a TOML table at all, where no field can be named).
    field: Option<&'static str>,
    /// Words that say what is allowed (each must appear).
    allowed: &'static [&'static str],
}

/// `BASE` with the first occurrence of `from` replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "test bug: {from:?} is not in BASE");
    BASE.replacen(from, to, 1)
}

/// 1-based number of the first line of `text` that contains `snippet`.
fn line_of(text: &str, snippet: &str) -> usize {
    text.lines()
        .position(|l| l.contains(snippet))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("test bug: {snippet:?} not found"))
}

/// A case where `from` is replaced by `to` and the message points at the
/// line holding `at` in the edited text.
fn replaced(
    name: &'static str,
    from: &str,
    to: &str,
    at: &str,
    field: &'static str,
    allowed: &'static [&'static str],
) -> Case {
    let text = edit(from, to);
    let line = line_of(&text, at);
    Case {
        name,
        bytes: text.into_bytes(),
        line,
        field: Some(field),
        allowed,
    }
}

fn cases() -> Vec<Case> {
    let without_simulation = {
        let start = BASE.find("[simulation]").unwrap();
        let end = BASE.find("[population]").unwrap();
        format!("{}{}", &BASE[..start], &BASE[end..])
    };
    let without_population = edit("[population]\ninitial = 11000000\nannual_growth = 0.01\n", "");
    let duplicate = format!("{BASE}\n[[contributors]]\nname = \"Kenya\"\npledged = 10\n");
    let duplicate_line = duplicate.lines().count() - 1;
    let mut binary: Vec<u8> = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0x00, 0x80, 0xc3];
    binary.extend((0u8..=255).rev());
    vec![
        // Unknown keys, with a suggestion.
        replaced(
            "unknown_top_level_key",
            "name = \"Bad input base\"\n",
            "name = \"Bad input base\"\nnmae = \"typo\"\n",
            "nmae",
            "nmae",
            &["did you mean `name`"],
        ),
        replaced(
            "unknown_simulation_key",
            "seed = 1",
            "seeed = 1",
            "seeed",
            "simulation.seeed",
            &["did you mean `seed`"],
        ),
        // Wrong types.
        replaced(
            "string_for_a_number",
            "deployed = 400",
            "deployed = \"400\"",
            "deployed",
            "contributors.Kenya.deployed",
            &["number"],
        ),
        replaced(
            "distribution_in_a_plain_number_field",
            "probability = 0.95",
            "probability = \"uniform(0,1)\"",
            "uniform(0,1)",
            "contributors.Kenya.probability",
            &["plain number"],
        ),
        // A quoted start is a date like any other (tests/it/dates.rs); a
        // date in another form is not.
        replaced(
            "day_first_start_date",
            "start = 2024-09-30",
            "start = \"30/09/2024\"",
            "start",
            "simulation.start",
            &["YYYY-MM-DD", "e.g. 2024-09-30"],
        ),
        replaced(
            "string_horizon",
            "horizon_days = 365",
            "horizon_days = \"365\"",
            "horizon_days",
            "simulation.horizon_days",
            &["number"],
        ),
        replaced(
            "boolean_for_an_uncertain_value",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = true",
            "first_arrival_days",
            "contributors.Kenya.first_arrival_days",
            &["uniform(a, b)"],
        ),
        // Probabilities outside [0, 1].
        replaced(
            "probability_above_one",
            "probability = 0.95",
            "probability = 1.5",
            "probability = 1.5",
            "contributors.Kenya.probability",
            &["between 0 and 1"],
        ),
        replaced(
            "negative_event_probability",
            "probability = 0.15",
            "probability = -0.1",
            "probability = -0.1",
            "events.mandate_lapse.probability",
            &["between 0 and 1"],
        ),
        replaced(
            "fulfilment_above_one",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = 1.5",
            "fulfilment",
            "contributors.Kenya.fulfilment",
            &["between 0 and 1"],
        ),
        // Negative counts.
        replaced(
            "negative_pledged",
            "pledged = 600",
            "pledged = -5",
            "pledged = -5",
            "contributors.Kenya.pledged",
            &["between 0 and"],
        ),
        replaced(
            "negative_deployed",
            "deployed = 400",
            "deployed = -1",
            "deployed = -1",
            "contributors.Kenya.deployed",
            &["between 0 and"],
        ),
        replaced(
            "negative_host_police",
            "initial = 5000",
            "initial = -100",
            "-100",
            "host_police.initial",
            &["between 0 and"],
        ),
        replaced(
            "zero_waves",
            "waves = 3",
            "waves = 0",
            "waves",
            "contributors.Kenya.waves",
            &["from 1"],
        ),
        // Unknown distribution, metric, effect, kind, step.
        replaced(
            "unknown_distribution",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = \"weibull(1, 2)\"",
            "weibull",
            "contributors.Kenya.fulfilment",
            &["uniform(a, b)", "beta(alpha, beta)"],
        ),
        replaced(
            "unknown_metric",
            "metric = \"international\"",
            "metric = \"internationl\"",
            "internationl",
            "targets.MSS at 1,000.metric",
            &["international_police", "contributor:NAME"],
        ),
        replaced(
            "unknown_effect",
            "effect = \"unlock\"",
            "effect = \"explode\"",
            "explode",
            "events.un_takeover.effect",
            &["\"unlock\"", "\"end_mission\""],
        ),
        replaced(
            "unknown_kind",
            "waves = 3",
            "waves = 3\nkind = \"navy\"",
            "navy",
            "contributors.Kenya.kind",
            &["\"police\"", "\"military\""],
        ),
        replaced(
            "step_year",
            "step = \"week\"",
            "step = \"year\"",
            "step = \"year\"",
            "simulation.step",
            &["\"day\"", "\"week\"", "\"month\""],
        ),
        // `after` must name an unlock event.
        replaced(
            "after_names_no_event",
            "after = \"un_takeover\"",
            "after = \"un_takover\"",
            "un_takover",
            "contributors.Jamaica.after",
            &["unlock", "un_takeover"],
        ),
        replaced(
            "after_names_an_end_mission_event",
            "after = \"un_takeover\"",
            "after = \"mandate_lapse\"",
            "after = \"mandate_lapse\"",
            "contributors.Jamaica.after",
            &["unlock", "un_takeover"],
        ),
        // Parameters a distribution cannot take.
        replaced(
            "beta_zero_alpha",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = \"beta(0, 1)\"",
            "beta(0, 1)",
            "contributors.Kenya.fulfilment",
            &["alpha > 0"],
        ),
        replaced(
            "uniform_reversed",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = \"uniform(5, 1)\"",
            "uniform(5, 1)",
            "contributors.Kenya.first_arrival_days",
            &["a < b"],
        ),
        replaced(
            "normal_negative_sd",
            "wave_interval_days = \"uniform(20, 60)\"",
            "wave_interval_days = \"normal(0, -1)\"",
            "normal(0, -1)",
            "contributors.Kenya.wave_interval_days",
            &["sd > 0"],
        ),
        replaced(
            "triangular_mode_outside",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = \"triangular(14, 450, 180)\"",
            "triangular(14, 450, 180)",
            "contributors.Kenya.first_arrival_days",
            &["min <= mode <= max"],
        ),
        replaced(
            "a_to_b_from_zero",
            "first_arrival_days = \"triangular(14, 45, 180)\"",
            "first_arrival_days = \"0 to 30\"",
            "0 to 30",
            "contributors.Kenya.first_arrival_days",
            &["0 < A < B"],
        ),
        replaced(
            "wrong_parameter_count",
            "fulfilment = \"beta(8, 2)\"",
            "fulfilment = \"beta(8)\"",
            "beta(8)",
            "contributors.Kenya.fulfilment",
            &["2 parameters"],
        ),
        // Missing required fields.
        Case {
            name: "missing_name",
            bytes: edit("name = \"Bad input base\"\n", "").into_bytes(),
            line: 1,
            field: Some("name"),
            allowed: &["required"],
        },
        Case {
            name: "missing_simulation",
            line: 1,
            bytes: without_simulation.into_bytes(),
            field: Some("simulation"),
            allowed: &["required", "start", "horizon_days"],
        },
        replaced(
            "missing_start",
            "start = 2024-09-30\n",
            "",
            "[simulation]",
            "simulation.start",
            &["required"],
        ),
        replaced(
            "missing_horizon",
            "horizon_days = 365\n",
            "",
            "[simulation]",
            "simulation.horizon_days",
            &["required"],
        ),
        Case {
            name: "missing_population",
            line: 1,
            bytes: without_population.into_bytes(),
            field: Some("population"),
            allowed: &["required", "initial"],
        },
        replaced(
            "missing_population_initial",
            "initial = 11000000\n",
            "",
            "[population]",
            "population.initial",
            &["required"],
        ),
        // Whole-file problems.
        Case {
            name: "empty_file",
            bytes: Vec::new(),
            line: 1,
            field: Some("name"),
            allowed: &["required"],
        },
        Case {
            name: "binary_file",
            bytes: binary,
            line: 1,
            // Not text: there is no field to name.
            field: None,
            allowed: &["UTF-8"],
        },
        Case {
            name: "json_file",
            bytes: br#"{"name": "Haiti", "simulation": {"start": "2024-09-30"}}"#.to_vec(),
            line: 1,
            // Not TOML: there is no field to name.
            field: None,
            allowed: &["TOML"],
        },
        {
            let text = edit("pledged = 600", "pledged = ");
            let line = line_of(&text, "pledged = ");
            Case {
                name: "toml_syntax_error",
                bytes: text.into_bytes(),
                line,
                field: None,
                allowed: &["TOML"],
            }
        },
        replaced(
            "negative_horizon",
            "horizon_days = 365",
            "horizon_days = -30",
            "horizon_days = -30",
            "simulation.horizon_days",
            &["from 1"],
        ),
        Case {
            name: "duplicate_contributor",
            line: duplicate_line,
            bytes: duplicate.into_bytes(),
            field: Some("contributors.3.name"),
            allowed: &["Kenya", "unique"],
        },
    ]
}

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
