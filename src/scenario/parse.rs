//! TOML text to a validated [`Scenario`].
//!
//! The TOML is parsed into a tree that keeps every value's byte span, then
//! walked by hand: that way every problem (unknown keys with a "did you mean",
//! wrong types, values out of range, dangling names) is collected with its
//! line and column, instead of stopping at the first as serde would.

use std::path::Path;

use toml::de::DeTable;

use super::error::{STDIN_NAME, ScenarioError, line_column, not_a_scenario_hint, single};
use super::limits::{MAX_SCENARIO_BYTES, too_big};
use super::priors::{Priors, locate};
use super::reader::{Dates, Reader, Tbl};
use super::sections::MetricNames;
use super::{Effect, Scenario};

/// Reads and parses a scenario file. The file name appears in every message.
/// A file larger than [`MAX_SCENARIO_BYTES`] is refused without reading it all.
pub fn parse_file(path: &Path) -> Result<Scenario, ScenarioError> {
    parse_str(&read_file(path)?, &path.display().to_string())
}

/// Reads a scenario file's text (UTF-8, at most [`MAX_SCENARIO_BYTES`]),
/// with the same messages as [`parse_file`].
pub fn read_file(path: &Path) -> Result<String, ScenarioError> {
    let file = path.display().to_string();
    let cannot_read = |e: std::io::Error| single(&file, format!("cannot read the scenario file: {e}"));
    let handle = std::fs::File::open(path).map_err(cannot_read)?;
    if let Ok(meta) = handle.metadata()
        && meta.is_file()
        && meta.len() > MAX_SCENARIO_BYTES
    {
        return Err(too_big(&file, Some(meta.len())));
    }
    read_bounded(handle, &file)
}

/// Reads a scenario from standard input (`-` on the command line), named
/// [`STDIN_NAME`] in messages, with the limits of [`read_file`].
pub fn read_stdin() -> Result<String, ScenarioError> {
    read_bounded(std::io::stdin().lock(), STDIN_NAME)
}

/// The UTF-8 text of `input`, refused past [`MAX_SCENARIO_BYTES`]; `file`
/// names it in messages.
fn read_bounded(input: impl std::io::Read, file: &str) -> Result<String, ScenarioError> {
    use std::io::Read;
    let cannot_read = |e: std::io::Error| single(file, format!("cannot read the scenario file: {e}"));
    // Read at most one byte past the limit: enough to know it is too big,
    // whatever the file is (a device or a pipe has no size to check first).
    let mut bytes = Vec::new();
    input
        .take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(too_big(file, None));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to());
        let mut error = single(file, "the file is not UTF-8 text".to_string());
        error.problems[0].line = line;
        error.problems[0].column = column;
        error
    })?;
    Ok(text)
}

/// Parses scenario text; `file` names it in messages.
pub fn parse_str(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    if text.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(too_big(file, Some(text.len() as u64)));
    }
    let (root, errors) = DeTable::parse_recoverable(text);
    let mut reader = Reader {
        text,
        problems: Vec::new(),
        report_days: None,
        horizon: None,
        arrivals: 0,
        arrivals_reported: false,
        host_most: 0,
        international_most: 0,
        head_counts_reported: false,
        capability_most: Vec::new(),
        broken_events: Vec::new(),
        ceiling_refused: false,
        lines: None,
        priors: None,
        prior_uses: Vec::new(),
        start: None,
        shock_names: Vec::new(),
        requires: Vec::new(),
        contributors_read: 0,
    };
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            let message = match bad_date(text, span.start) {
                Some(message) => message,
                None => format!("not valid TOML: {}", e.message().trim()),
            };
            reader.problem(span, "", message);
        }
        let hint = not_a_scenario_hint(text, file, &reader.problems, true);
        return Err(ScenarioError {
            file: file.to_string(),
            problems: reader.problems,
            hint,
        });
    }
    let root = Tbl {
        table: root.get_ref(),
        span: root.span(),
        path: String::new(),
    };
    let scenario = reader.scenario(&root, text, file);
    match scenario {
        Some(s) if reader.problems.is_empty() => Ok(s),
        _ => {
            if reader.problems.is_empty() {
                reader.problem(0..0, "", "the scenario could not be read".to_string());
            }
            reader.problems.sort_by_key(|p| (p.line, p.column));
            let hint = not_a_scenario_hint(text, file, &reader.problems, false);
            Err(ScenarioError {
                file: file.to_string(),
                problems: reader.problems,
                hint,
            })
        }
    }
}

/// The message for a value TOML cannot read that is meant as a date
/// (`start = 30/04/2026`, `2026-4-30`, `-2024-01-01`): the value at `at`,
/// up to a blank, a comma, a bracket or a comment, if it looks like one.
fn bad_date(text: &str, at: usize) -> Option<String> {
    let rest = text.get(at..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
        .unwrap_or(rest.len());
    let value = &rest[..end];
    if !super::dates::looks_like_date(value) {
        return None;
    }
    let key = text
        .get(..at)?
        .rsplit('\n')
        .next()
        .and_then(|line| line.split('=').next())
        .map(str::trim);
    let key = key
        .filter(|k| !k.is_empty())
        .map(|k| format!(" of `{k}`"))
        .unwrap_or_default();
    let error = super::dates::parse(value).err()?;
    Some(format!("the value{key} must be a date: {error}"))
}

/// The keys a scenario's top level may hold.
const ROOT_KEYS: &[&str] = &[
    "name",
    "simulation",
    "population",
    "host_police",
    "contributors",
    "events",
    "targets",
    "correlations",
    "mission",
    "funding",
    "benchmarks",
    "priors",
    "areas",
];

impl Reader<'_> {
    fn scenario(&mut self, root: &Tbl, text: &str, file: &str) -> Option<Scenario> {
        self.check_keys(root, ROOT_KEYS);
        self.priors = self.priors_file(root, file);
        let name = self.name(root, "name");
        if root.get("name").is_none() {
            self.missing(root, "name", "the scenario's name, e.g. name = \"Haiti baseline\"");
        }
        let (simulation, dates) = match self.sub_table(root, "simulation") {
            Some(t) => {
                let start = self.start(&t);
                self.start = start;
                // Dates elsewhere count from a valid start even when another
                // key of [simulation] is wrong.
                (self.simulation(&t, start), start.map_or(Dates::Unknown, Dates::From))
            }
            None => {
                if root.get("simulation").is_none() {
                    self.missing(root, "simulation", "a [simulation] table with start and horizon_days");
                }
                (None, Dates::Unknown)
            }
        };
        self.report_days = simulation.as_ref().map(|s| s.report_days().len() as u64);
        self.horizon = simulation.as_ref().map(|s| s.horizon_days);
        let population = match self.sub_table(root, "population") {
            Some(t) => self.population(&t),
            None => {
                if root.get("population").is_none() {
                    self.missing(root, "population", "a [population] table with initial");
                }
                None
            }
        };
        let host_police = self.sub_table(root, "host_police").map(|t| self.host_police(&t, dates));
        let mut events = self.events(root, dates);
        let mission = self.sub_table(root, "mission").map(|t| self.mission(&t));
        let funding = self.sub_table(root, "funding").map(|t| self.funding(&t, dates));
        let mut capability_names = Vec::new();
        let mut contributors = self.contributors(root, &events, &mut capability_names);
        self.resolve_shocks(&mut events, &contributors);
        self.resolve_requires(&mut contributors, &events, &capability_names, funding.is_some());
        let areas = self.areas(root, &contributors);
        let names = MetricNames {
            contributors: &contributors,
            funding: funding.is_some(),
            capabilities: &capability_names,
            layers: host_police.as_ref().is_some_and(|h| h.layers.is_some()),
            areas: &areas,
        };
        let ceiling = has_ceiling(mission.as_ref(), &events) || self.ceiling_refused;
        let targets = self.targets(root, names, ceiling);
        let benchmarks = self.benchmarks(root, names);
        let mut scenario = Scenario {
            name: name?,
            file: file.to_string(),
            source: text.to_string(),
            overrides: Vec::new(),
            simulation: simulation?,
            population: population?,
            host_police,
            contributors,
            events,
            targets,
            benchmarks,
            correlations: Vec::new(),
            mission,
            funding,
            capability_names,
            areas,
            prior_uses: std::mem::take(&mut self.prior_uses),
            priors_sha256: match &self.priors {
                Some(Ok(priors)) => Some(priors.sha256.clone()),
                _ => None,
            },
        };
        scenario.correlations = self.correlations(root, &scenario);
        Some(scenario)
    }

    /// `priors = "FILE"`: the priors file, relative to the scenario's folder.
    fn priors_file(&mut self, root: &Tbl, file: &str) -> Option<Result<Priors, ()>> {
        let name = self.string(root, "priors")?;
        let span = root.get("priors").map(|v| v.span()).unwrap_or(0..0);
        match Priors::read(&locate(file, &name)) {
            Ok(priors) => Some(Ok(priors)),
            Err(message) => {
                self.problem(span, "priors", message);
                Some(Err(()))
            }
        }
    }
}

/// True when some day may have a ceiling: `[mission]`'s or a transform's.
fn has_ceiling(mission: Option<&super::Mission>, events: &[super::Event]) -> bool {
    mission.is_some_and(|m| m.ceiling.is_some())
        || events
            .iter()
            .any(|e| matches!(e.effect, Effect::Transform { ceiling: Some(_), .. }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::Problem;

    pub(crate) const MINIMAL: &str =
        "name = \"t\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n[population]\ninitial = 1000\n";

    /// The problems of [`MINIMAL`] followed by `extra`, which must fail.
    pub(crate) fn problems(extra: &str) -> Vec<Problem> {
        parse_str(&format!("{MINIMAL}{extra}"), "t.toml")
            .expect_err("should fail")
            .problems
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let p = problems(
            "[[contributors]]\nname = \"K\"\npleged = 5\nprobability = 2\n[[targets]]\nname = \"x\"\nmetric = \"nope\"\nat_least = 1\n",
        );
        let lines: Vec<usize> = p.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![9, 10, 13]);
        assert!(p[0].message.contains("did you mean `pledged`"));
    }
}
