//! `--set PATH=VALUE`: changes to a scenario given on the command line.
//!
//! An override edits the scenario's TOML *text* with `toml_edit`, which keeps
//! every other line and comment as it was: the key at PATH gets VALUE, or is
//! inserted where the file does not have it. The edited text is then read by
//! [`parse_str`] like any file, so an overridden value is checked exactly as
//! the same value written in the file would be. Problems an override causes
//! are reported against that `--set`; the others keep the file's line numbers.
//!
//! PATH is the dotted path the error messages use: `simulation.horizon_days`,
//! `contributors.Kenya.probability` (entries of `[[contributors]]`,
//! `[[events]]` and `[[targets]]` by their `name`), `host_police.intakes.2.size`
//! (intakes by 1-based number). A name may contain dots, spaces, commas or
//! `=`: the longest name of an existing entry that fits is taken. VALUE is a
//! TOML value (`0.5`, `2025-01-01`, `true`, `"text"`) or, when it is not one,
//! a bare string (`beta(8, 2)`, `day`).

mod edit;
mod location;
mod values;

use std::fmt;

use toml_edit::DocumentMut;

use self::edit::{LineMap, Origin, set_value};
pub use self::location::{Location, locate};
pub use self::values::{display_value, is_number, split_values, value_of};
use crate::scenario::error::write_tail;
use crate::scenario::shown::{cut, escaped};
use crate::scenario::{MAX_SHOWN_PROBLEMS, Problem, Scenario, ScenarioError, parse_str};

/// One problem of a scenario read with overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetProblem {
    /// The `PATH=VALUE` of the override that caused it; `None` when it comes
    /// from the file (then `problem.line` and `column` are the file's).
    pub set: Option<String>,
    pub problem: Problem,
}

/// Every problem of a scenario read with overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    pub file: String,
    pub problems: Vec<SetProblem>,
    /// The file's [`ScenarioError::hint`], if any.
    pub hint: Option<String>,
}

impl From<ScenarioError> for OverrideError {
    fn from(error: ScenarioError) -> OverrideError {
        OverrideError {
            file: error.file,
            problems: error
                .problems
                .into_iter()
                .map(|problem| SetProblem { set: None, problem })
                .collect(),
            hint: error.hint,
        }
    }
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().take(MAX_SHOWN_PROBLEMS).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            // One line each, as in `ScenarioError`: escaped, long parts cut.
            let problem = &p.problem;
            match &p.set {
                Some(set) => write!(f, "--set {}: ", cut(set))?,
                None => write!(f, "{}:{}:{}: ", escaped(&self.file), problem.line, problem.column)?,
            }
            if !problem.field.is_empty() {
                write!(f, "field `{}`: ", cut(&problem.field))?;
            }
            write!(f, "{}", escaped(&problem.message))?;
        }
        write_tail(f, self.problems.len(), self.hint.as_deref())
    }
}

impl std::error::Error for OverrideError {}

/// An override that was applied: its number (0-based), text and location.
struct Applied {
    number: usize,
    spec: String,
    location: Location,
}

impl Applied {
    /// True for a field this override set, inside it, or inside a table it created.
    fn covers(&self, field: &str) -> bool {
        let within = |path: &str| field == path || field.strip_prefix(path).is_some_and(|r| r.starts_with('.'));
        within(&self.location.path) || self.location.created.as_deref().is_some_and(within)
    }

    /// For a problem elsewhere in the file whose message names, in
    /// backquotes, the field this override set (a correlation of an input
    /// that `--set` made a constant), or a field of the entry it renamed:
    /// the note that says so.
    fn note_for(&self, message: &str) -> Option<String> {
        let path = &self.location.path;
        if message.contains(&format!("`{path}`")) {
            return Some(format!("(the value comes from --set {})", self.spec));
        }
        let entry = path.strip_suffix(".name").filter(|_| self.location.key == "name")?;
        message
            .contains(&format!("`{entry}."))
            .then(|| format!("(the name comes from --set {})", self.spec))
    }
}

/// Reads the scenario `text` (from `file`) with the overrides `sets`
/// (`PATH=VALUE` each, applied in order), checked as if written in the file.
pub fn apply(text: &str, file: &str, sets: &[String]) -> Result<Scenario, OverrideError> {
    if sets.is_empty() {
        return Ok(parse_str(text, file)?);
    }
    let mut document = edit_document(text, file)?;
    let mut lines = LineMap::new(text);
    let mut current = document.to_string();
    lines.edit(text, &current, None);
    let mut applied = Vec::new();
    let mut problems = Vec::new();
    let mut hint = None;
    for (k, spec) in sets.iter().enumerate() {
        let spec = spec.trim();
        let located = locate(document.as_table(), spec).and_then(|location| {
            let value = value_of(&spec[location.path_len + 1..]);
            set_value(document.as_table_mut(), &location, value)
                .map(|()| location)
                .map_err(|message| (String::new(), message))
        });
        match located {
            Ok(location) => {
                let edited = document.to_string();
                lines.edit(&current, &edited, Some(k));
                current = edited;
                applied.push(Applied {
                    number: k,
                    spec: spec.to_string(),
                    location,
                });
            }
            Err((field, message)) => problems.push((k, set_problem(spec, field, message))),
        }
    }
    // Read the text even when an override could not be placed, so that
    // every problem is reported at once.
    match parse_str(&current, file) {
        Ok(mut scenario) if problems.is_empty() => {
            scenario.overrides = sets.iter().map(|s| s.trim().to_string()).collect();
            return Ok(scenario);
        }
        Ok(_) => {}
        Err(error) => {
            hint.clone_from(&error.hint);
            problems.extend(attribute(error, &lines, &applied));
        }
    }
    // Overrides first, in the order given; then the file's problems by line.
    problems.sort_by_key(|(k, p)| (*k, p.problem.line, p.problem.column));
    Err(OverrideError {
        file: file.to_string(),
        problems: problems.into_iter().map(|(_, p)| p).collect(),
        hint,
    })
}

/// The text as an editable document; where it is not valid TOML, the
/// reader's messages for the file as it is.
fn edit_document(text: &str, file: &str) -> Result<DocumentMut, OverrideError> {
    match text.parse::<DocumentMut>() {
        Ok(document) => Ok(document),
        Err(e) => Err(match parse_str(text, file) {
            Err(error) => error.into(),
            Ok(_) => OverrideError {
                file: file.to_string(),
                problems: vec![SetProblem {
                    set: None,
                    problem: Problem {
                        line: 1,
                        column: 1,
                        field: String::new(),
                        message: format!("the file cannot be edited for --set: {}", e.message()),
                    },
                }],
                hint: None,
            },
        }),
    }
}

fn set_problem(spec: &str, field: String, message: String) -> SetProblem {
    SetProblem {
        set: Some(spec.to_string()),
        problem: Problem {
            line: 0,
            column: 0,
            field,
            message,
        },
    }
}

/// Reports each problem of the edited text against the override that
/// caused it (by the line it is on, or its field), or at its line in the
/// file; each with the override's number (`usize::MAX` for the file).
fn attribute(error: ScenarioError, lines: &LineMap, applied: &[Applied]) -> Vec<(usize, SetProblem)> {
    error
        .problems
        .into_iter()
        .map(|mut problem| {
            let origin = lines.origin(problem.line);
            let by = match origin {
                Some(Origin::Set(k)) => applied.iter().find(|a| a.number == k),
                _ => applied.iter().rev().find(|a| a.covers(&problem.field)),
            };
            match by {
                Some(a) => (a.number, set_problem(&a.spec, problem.field, problem.message)),
                None => {
                    if let Some(Origin::File(line)) = origin {
                        problem.line = line;
                    }
                    // A line of the file that is wrong only because of an override says which.
                    if let Some(note) = applied.iter().rev().find_map(|a| a.note_for(&problem.message)) {
                        problem.message = format!("{} {note}", problem.message);
                    }
                    (usize::MAX, SetProblem { set: None, problem })
                }
            }
        })
        .collect()
}

/// Splits `spec` (`PATH=VALUES`) against the scenario `text`: PATH as
/// written, the field's path as the reader names it, and VALUES.
pub fn split_set(text: &str, file: &str, spec: &str) -> Result<(String, String, String), OverrideError> {
    let spec = spec.trim();
    let document = edit_document(text, file)?;
    let location = locate(document.as_table(), spec).map_err(|(field, message)| OverrideError {
        file: file.to_string(),
        problems: vec![set_problem(spec, field, message)],
        hint: None,
    })?;
    Ok((
        spec[..location.path_len].to_string(),
        location.path,
        spec[location.path_len + 1..].to_string(),
    ))
}

#[cfg(test)]
mod test_support {
    use super::*;

    pub(super) const BASE: &str = r#"name = "Base" # the name

[simulation]
start = 2024-01-01
horizon_days = 60   # two months
trials = 10

[population]
initial = 1000

[[contributors]]
name = "Kenya"
pledged = 100
probability = 0.9 # a comment that must stay

[[contributors]]
name = "Kenya.North"
pledged = 50

[[targets]]
name = "MSS at 2,500"
metric = "international"
at_least = 2500

[[events]]
name = "vote"
day = 30
effect = "unlock"
"#;

    pub(super) fn sets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    pub(super) fn located(spec: &str) -> Result<Location, (String, String)> {
        let document: DocumentMut = BASE.parse().expect("valid TOML");
        locate(document.as_table(), spec)
    }

    pub(super) fn failure(text: &str, list: &[&str]) -> OverrideError {
        apply(text, "t.toml", &sets(list)).expect_err("should fail")
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{BASE, failure, located, sets};
    use super::*;

    #[test]
    fn problems_elsewhere_caused_by_an_override_name_it() {
        let applied = |spec: &str| Applied {
            number: 0,
            spec: spec.to_string(),
            location: located(spec).expect("found"),
        };
        let constant = "`contributors.Kenya.fulfilment` is a constant here";
        assert_eq!(
            applied("contributors.Kenya.fulfilment=1").note_for(constant).as_deref(),
            Some("(the value comes from --set contributors.Kenya.fulfilment=1)")
        );
        assert_eq!(
            applied("contributors.Kenya.name=Kenia").note_for(constant).as_deref(),
            Some("(the name comes from --set contributors.Kenya.name=Kenia)")
        );
        assert_eq!(applied("contributors.Kenya.pledged=1").note_for(constant), None);
        assert_eq!(
            applied("contributors.Kenya.North.fulfilment=1").note_for(constant),
            None
        );
    }

    #[test]
    fn malformed_specs_are_errors_not_crashes() {
        for spec in [
            "",
            "=",
            ".",
            "..",
            "a",
            "contributors",
            "contributors.",
            "contributors.1",
            "contributors.1.",
            "contributors.Kenya",
            "contributors.Kenya.",
            "contributors.Kenya.=1",
            "contributors.=1",
            "targets.MSS at 2,500",
            "host_police.intakes",
            "é.ü=1",
            "name.x=1",
            "simulation.start.x=1",
            "simulation.=1",
            " = ",
        ] {
            assert!(apply(BASE, "t.toml", &sets(&[spec])).is_err(), "{spec:?}");
        }
    }

    #[test]
    fn random_specs_never_crash() {
        let parts = [
            "contributors",
            "Kenya",
            "Kenya.North",
            "1",
            "2",
            "0",
            "",
            "=",
            ".",
            "probability",
            "pledged",
            "0.5",
            "beta(8, 2)",
            "\"x\"",
            "é",
            "[",
            "{a = 1}",
            "targets",
            "MSS at 2,500",
            "host_police",
            "intakes",
            "simulation",
            "step",
            "name",
            "events",
            "vote",
            "day",
            " ",
            "1e999",
            "2024-02-30",
            "[[x]]",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        for _ in 0..1000 {
            let mut spec = String::new();
            for _ in 0..1 + next(6) {
                spec.push_str(parts[next(parts.len())]);
                spec.push_str([".", "=", ".", ""][next(4)]);
            }
            // Must return, with or without problems; never panic.
            let _ = apply(BASE, "t.toml", &sets(&[&spec]));
            let _ = split_set(BASE, "t.toml", &spec);
        }
    }

    #[test]
    fn a_set_replaces_the_value_and_keeps_the_rest() {
        let s = apply(BASE, "t.toml", &sets(&["contributors.Kenya.probability=0.25"])).expect("valid");
        assert_eq!(s.contributors[0].probability, 0.25);
        assert_eq!(s.overrides, ["contributors.Kenya.probability=0.25"]);
        let expected = BASE.replace("probability = 0.9 #", "probability = 0.25 #");
        assert_eq!(s.source, expected);
    }

    #[test]
    fn a_missing_key_or_table_is_inserted() {
        let s = apply(
            BASE,
            "t.toml",
            &sets(&[
                "contributors.Kenya.fulfilment=beta(8, 2)",
                "simulation.step=day",
                "host_police.initial=50",
            ]),
        )
        .expect("valid");
        assert!(s.source.contains("fulfilment = \"beta(8, 2)\""));
        assert_eq!(s.simulation.step, crate::scenario::Step::Day);
        assert!(s.host_police.is_some());
        // Everything of the file is still there, in order.
        let kept: Vec<&str> = BASE.lines().collect();
        let mut edited = s.source.lines();
        assert!(kept.iter().all(|line| edited.any(|e| e == *line)), "{}", s.source);
    }

    #[test]
    fn names_with_dots_and_commas_are_settable() {
        let s = apply(
            BASE,
            "t.toml",
            &sets(&["contributors.Kenya.North.pledged=7", "targets.MSS at 2,500.at_least=10"]),
        )
        .expect("valid");
        assert_eq!((s.contributors[1].pledged, s.targets[0].at_least), (7, 10.0));
    }

    #[test]
    fn bad_values_are_reported_against_the_set() {
        let e = failure(BASE, &["contributors.Kenya.probability=1.5"]);
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].set.as_deref(), Some("contributors.Kenya.probability=1.5"));
        let text = e.to_string();
        assert!(
            text.starts_with("--set contributors.Kenya.probability=1.5: field"),
            "{text}"
        );
        assert!(text.contains("between 0 and 1"), "{text}");
    }

    #[test]
    fn unknown_keys_are_reported_against_the_set() {
        let e = failure(BASE, &["contributors.Kenya.probabilty=0.5"]);
        assert_eq!(e.problems[0].set.as_deref(), Some("contributors.Kenya.probabilty=0.5"));
        assert!(e.to_string().contains("did you mean `probability`"), "{e}");
        let e = failure(BASE, &["simulaton.horizon_days=5"]);
        assert_eq!(e.problems[0].set.as_deref(), Some("simulaton.horizon_days=5"));
        assert!(e.to_string().contains("did you mean `simulation`"), "{e}");
    }

    #[test]
    fn the_files_own_problems_keep_their_lines() {
        // Line 18 of the file is wrong; the inserted keys shift it in the edited text.
        let bad = BASE.replace("pledged = 50", "pledged = -5");
        let e = failure(&bad, &["simulation.step=day"]);
        assert_eq!(e.problems.len(), 1, "{e}");
        assert_eq!((e.problems[0].set.as_ref(), e.problems[0].problem.line), (None, 18));
        let e = failure(&bad, &["population.annual_growth=0.01", "simulation.seed=-1"]);
        let lines: Vec<(Option<&str>, usize)> = e.problems.iter().map(|p| (p.set.as_deref(), p.problem.line)).collect();
        assert_eq!(lines, [(Some("simulation.seed=-1"), 0), (None, 18)]);
        assert!(e.to_string().contains("t.toml:18:"), "{e}");
    }

    #[test]
    fn an_override_can_fix_the_file() {
        let bad = BASE.replace("probability = 0.9", "probability = 9");
        assert!(apply(&bad, "t.toml", &sets(&["contributors.Kenya.probability=0.9"])).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = failure(
            BASE,
            &[
                "contributors.Kenia.probability=0.5",
                "simulation.horizon_days=0",
                "events.vot.day=3",
            ],
        );
        let sets: Vec<&str> = e.problems.iter().filter_map(|p| p.set.as_deref()).collect();
        assert_eq!(
            sets,
            [
                "contributors.Kenia.probability=0.5",
                "simulation.horizon_days=0",
                "events.vot.day=3"
            ]
        );
        assert!(e.to_string().contains("did you mean \"vote\""), "{e}");
    }

    #[test]
    fn later_overrides_win_and_no_sets_reads_the_file_as_it_is() {
        let s = apply(
            BASE,
            "t.toml",
            &sets(&["simulation.horizon_days=5", "simulation.horizon_days=9"]),
        )
        .expect("valid");
        assert_eq!(s.simulation.horizon_days, 9);
        let plain = apply(BASE, "t.toml", &[]).expect("valid");
        assert_eq!((plain.source.as_str(), plain.overrides.len()), (BASE, 0));
    }

    #[test]
    fn split_set_finds_the_path_against_the_file() {
        let (path, field, values) = split_set(BASE, "t.toml", "targets.MSS at 2,500.at_least=1,2").expect("found");
        assert_eq!(
            (path.as_str(), field.as_str(), values.as_str()),
            ("targets.MSS at 2,500.at_least", "targets.MSS at 2,500.at_least", "1,2")
        );
        assert!(split_set(BASE, "t.toml", "contributors.Nope.pledged=1").is_err());
    }

    #[test]
    fn windows_line_endings_are_kept() {
        let crlf = BASE.replace('\n', "\r\n");
        let s = apply(&crlf, "t.toml", &sets(&["simulation.horizon_days=5"])).expect("valid");
        // The edited text has `\n` line endings (as `toml_edit` writes them).
        assert_eq!(s.source, BASE.replace("horizon_days = 60 ", "horizon_days = 5 "));
        let bad = crlf.replace("pledged = 50", "pledged = -5");
        let e = failure(&bad, &["simulation.step=day"]);
        assert_eq!((e.problems[0].set.as_ref(), e.problems[0].problem.line), (None, 18));
    }
}
