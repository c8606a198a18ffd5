//! TOML text to a validated [`Scenario`].
//!
//! The TOML is parsed into a tree that keeps every value's byte span, then
//! walked by hand: that way every problem (unknown keys with a "did you mean",
//! wrong types, values out of range, dangling names) is collected with its
//! line and column, instead of stopping at the first as serde would.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::correlation::{CopulaPlan, Correlation};
use super::error::{Problem, ScenarioError, line_column};
use super::{
    Contributor, Dist, Effect, Event, FORMS_HELP, HostPolice, Input, Intake, IntakeSchedule, Kind, Metric, Population,
    Scenario, Simulation, Step, Target, ValueKind,
};

/// Largest accepted horizon (100 years).
pub const MAX_HORIZON_DAYS: u32 = 36_525;
/// Largest accepted number of trials.
pub const MAX_TRIALS: u64 = 10_000_000_000;
/// Largest accepted head count in one field (deployed, pledged, a constant initial strength).
pub const MAX_COUNT: f64 = 100_000_000.0;
/// Largest accepted number of waves.
pub const MAX_WAVES: u32 = 10_000;
/// The last date a simulation may reach: dates stay four-digit years.
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
/// Largest accepted scenario file (10 MiB): real scenarios are a few kB;
/// anything near this is a mistake, refused before it is parsed.
pub const MAX_SCENARIO_BYTES: u64 = 10 * 1024 * 1024;
/// Most data rows allowed in `timeseries.csv` (report days times metrics)
/// and in `targets.csv` (report days times targets): 1,048,575, so that with
/// its header row every file fits a spreadsheet (Excel's limit is 1,048,576
/// rows). It also bounds the memory and time spent per trial on recording.
pub const MAX_CSV_ROWS: u64 = 1_048_575;
/// Most arrivals one trial may have to plan: every contributor's waves (at
/// most one per pledged person) plus every host police class within the
/// horizon. Keeps a trial's work and memory bounded.
pub const MAX_ARRIVALS: u64 = 1_000_000;

/// Reads and parses a scenario file. The file name appears in every message.
/// A file larger than [`MAX_SCENARIO_BYTES`] is refused without reading it all.
pub fn parse_file(path: &Path) -> Result<Scenario, ScenarioError> {
    parse_str(&read_file(path)?, &path.display().to_string())
}

/// Reads a scenario file's text (UTF-8, at most [`MAX_SCENARIO_BYTES`]),
/// with the same messages as [`parse_file`].
pub fn read_file(path: &Path) -> Result<String, ScenarioError> {
    use std::io::Read;
    let file = path.display().to_string();
    let cannot_read = |e: std::io::Error| single(&file, format!("cannot read the scenario file: {e}"));
    let handle = std::fs::File::open(path).map_err(cannot_read)?;
    if let Ok(meta) = handle.metadata()
        && meta.is_file()
        && meta.len() > MAX_SCENARIO_BYTES
    {
        return Err(too_big(&file, Some(meta.len())));
    }
    // Read at most one byte past the limit: enough to know it is too big,
    // whatever the file is (a device or a pipe has no size to check first).
    let mut bytes = Vec::new();
    handle
        .take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(too_big(&file, None));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to());
        let mut error = single(&file, "the file is not UTF-8 text".to_string());
        error.problems[0].line = line;
        error.problems[0].column = column;
        error
    })?;
    Ok(text)
}

/// The file is larger than [`MAX_SCENARIO_BYTES`]: `size` when known.
fn too_big(file: &str, size: Option<u64>) -> ScenarioError {
    let size = size.map_or_else(|| format!("more than {MAX_SCENARIO_BYTES}"), |s| s.to_string());
    single(
        file,
        format!("the scenario file is too large ({size} bytes); the limit is {MAX_SCENARIO_BYTES} bytes (10 MiB)"),
    )
}

fn single(file: &str, message: String) -> ScenarioError {
    ScenarioError {
        file: file.to_string(),
        problems: vec![Problem {
            line: 1,
            column: 1,
            field: String::new(),
            message,
        }],
    }
}

/// The keys of a `[[contributors]]` entry.
pub(crate) const CONTRIBUTOR_KEYS: [&str; 12] = [
    "name",
    "deployed",
    "pledged",
    "probability",
    "fulfilment",
    "first_arrival_days",
    "after",
    "waves",
    "wave_interval_days",
    "attrition_per_year",
    "withdrawal_per_year",
    "kind",
];
/// The keys of an `[[events]]` entry.
pub(crate) const EVENT_KEYS: [&str; 5] = ["name", "probability", "day", "effect", "drawdown_days"];
/// The keys of a `[[targets]]` entry.
pub(crate) const TARGET_KEYS: [&str; 3] = ["name", "metric", "at_least"];
/// The keys of a `[[host_police.intakes]]` entry.
pub(crate) const INTAKE_KEYS: [&str; 5] = ["day", "first_day", "every_days", "size", "probability"];

/// The largest `simulation.seed` a scenario can hold: 2^53, the last whole
/// number every TOML reader keeps exactly (the `--seed` option takes any u64).
pub const MAX_FILE_SEED: u64 = 1 << 53;

/// The keys of a `[[correlations]]` entry.
pub(crate) const CORRELATION_KEYS: [&str; 2] = ["inputs", "rank_correlation"];

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
    };
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            let message = format!("not valid TOML: {}", e.message().trim());
            reader.problem(span, "", message);
        }
        return Err(ScenarioError {
            file: file.to_string(),
            problems: reader.problems,
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
            Err(ScenarioError {
                file: file.to_string(),
                problems: reader.problems,
            })
        }
    }
}

type Value<'a> = Spanned<DeValue<'a>>;

/// A table with its span and dotted path, for messages.
struct Tbl<'b, 'a> {
    table: &'b DeTable<'a>,
    span: Range<usize>,
    path: String,
}

impl<'b, 'a> Tbl<'b, 'a> {
    fn get(&self, key: &str) -> Option<&'b Value<'a>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

struct Reader<'t> {
    text: &'t str,
    problems: Vec<Problem>,
    /// Number of report days, once `[simulation]` is read (for [`MAX_CSV_ROWS`]).
    report_days: Option<u64>,
    /// `simulation.horizon_days`, once read.
    horizon: Option<u32>,
    /// Arrivals per trial so far (for [`MAX_ARRIVALS`]).
    arrivals: u64,
    arrivals_reported: bool,
}

impl Reader<'_> {
    fn problem(&mut self, span: Range<usize>, field: &str, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.problems.push(Problem {
            line,
            column,
            field: field.to_string(),
            message,
        });
    }

    /// Reports keys of `t` that are not in `allowed`, suggesting the closest.
    fn check_keys(&mut self, t: &Tbl, allowed: &[&str]) {
        for (key, _) in t.table.iter() {
            let name = key.get_ref().as_ref();
            if allowed.contains(&name) {
                continue;
            }
            let suggestion = allowed
                .iter()
                .map(|a| (strsim::jaro_winkler(a, name), *a))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, a)| format!("; did you mean `{a}`?"))
                .unwrap_or_default();
            let message = format!(
                "unknown key `{name}`{suggestion} (allowed here: {})",
                allowed.join(", ")
            );
            self.problem(key.span(), &t.field(name), message);
        }
    }

    /// Counts `more` arrivals per trial for the entry `t`, and reports the
    /// entry that takes the total past [`MAX_ARRIVALS`] (once).
    fn add_arrivals(&mut self, t: &Tbl, key: &str, more: u64, what: &str) {
        self.arrivals = self.arrivals.saturating_add(more);
        if self.arrivals > MAX_ARRIVALS && !self.arrivals_reported {
            self.arrivals_reported = true;
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "too many arrivals in one trial: with this {what}, contributors' waves (at most one per pledged \
                 person) and host police classes within the horizon add up to {}, more than the limit of {}; \
                 use fewer waves or classes, or a shorter horizon_days",
                self.arrivals,
                fmt_thousands(MAX_ARRIVALS)
            );
            self.problem(span, &t.field(key), message);
        }
    }

    /// Reports the entry number `count` of a list (contributors or targets)
    /// when it takes a CSV file past [`MAX_CSV_ROWS`] rows.
    fn check_rows(&mut self, t: &Tbl, count: u64, per_day: u64, what: &str, file: &str) {
        let Some(days) = self.report_days else { return };
        let rows = days.saturating_mul(per_day);
        let before = days.saturating_mul(per_day - 1);
        if rows > MAX_CSV_ROWS && before <= MAX_CSV_ROWS {
            let span = t.get("name").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "too many {what}s for the report grid: {file} has one row per report day ({days}) for each {}; \
                 this {what}, number {count}, takes it to {} rows, past the limit of {} (the most a spreadsheet \
                 opens); use a coarser simulation.step, a shorter horizon_days, or fewer {what}s",
                if what == "contributor" {
                    "of the 7 standard metrics and each contributor"
                } else {
                    "target"
                },
                fmt_thousands(rows),
                fmt_thousands(MAX_CSV_ROWS)
            );
            self.problem(span, &t.field("name"), message);
        }
    }

    fn missing(&mut self, t: &Tbl, key: &str, what: &str) {
        self.problem(t.span.clone(), &t.field(key), format!("is required: {what}"));
    }

    fn sub_table<'b, 'a>(&mut self, parent: &Tbl<'b, 'a>, key: &str) -> Option<Tbl<'b, 'a>> {
        let value = parent.get(key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some(Tbl {
                table,
                span: value.span(),
                path: parent.field(key),
            }),
            other => {
                let message = format!("must be a table ([{}]), found {}", parent.field(key), other.type_str());
                self.problem(value.span(), &parent.field(key), message);
                None
            }
        }
    }

    /// The tables of an array of tables (`[[key]]`); each gets a path from `label`.
    fn table_array<'b, 'a>(&mut self, parent: &Tbl<'b, 'a>, key: &str) -> Vec<Tbl<'b, 'a>> {
        let Some(value) = parent.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!(
                "must be an array of tables ([[{}]]), found {}",
                parent.field(key),
                value.get_ref().type_str()
            );
            self.problem(value.span(), &parent.field(key), message);
            return Vec::new();
        };
        let mut tables = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(table) => tables.push(Tbl {
                    table,
                    span: item.span(),
                    path: format!("{}.{}", parent.field(key), i + 1),
                }),
                other => {
                    let message = format!("each entry must be a table, found {}", other.type_str());
                    self.problem(item.span(), &parent.field(key), message);
                }
            }
        }
        tables
    }

    fn string(&mut self, t: &Tbl, key: &str) -> Option<String> {
        let value = t.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.problem(
                    value.span(),
                    &t.field(key),
                    format!("must be a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    /// A plain number (integer or float); `None` if absent or wrong.
    fn number(&mut self, t: &Tbl, key: &str) -> Option<f64> {
        let value = t.get(key)?;
        match to_number(value.get_ref()) {
            Some(v) if v.is_finite() => Some(v),
            Some(_) => {
                self.problem(value.span(), &t.field(key), "must be a finite number".to_string());
                None
            }
            None => {
                let hint = if value.get_ref().is_str() {
                    " (this field takes a plain number, not a distribution)"
                } else {
                    ""
                };
                let message = format!("must be a number, found {}{hint}", value.get_ref().type_str());
                self.problem(value.span(), &t.field(key), message);
                None
            }
        }
    }

    /// A plain number within `[min, max]`, rounded when `whole`.
    fn bounded(&mut self, t: &Tbl, key: &str, min: f64, max: f64, whole: bool, what: &str) -> Option<f64> {
        let v = self.number(t, key)?;
        let v = if whole { v.round() } else { v };
        if v < min || v > max {
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            self.problem(span, &t.field(key), format!("{what}, got {}", fmt_num(v)));
            return None;
        }
        Some(v)
    }

    fn probability(&mut self, t: &Tbl, key: &str) -> f64 {
        self.bounded(t, key, 0.0, 1.0, false, "must be a probability between 0 and 1")
            .unwrap_or(1.0)
    }

    fn count(&mut self, t: &Tbl, key: &str) -> u64 {
        let what = format!("must be a whole number of people between 0 and {}", fmt_num(MAX_COUNT));
        self.bounded(t, key, 0.0, MAX_COUNT, true, &what).unwrap_or(0.0) as u64
    }

    /// A day number or a TOML date (days from `simulation.start`), as a plain value.
    fn plain_day(&mut self, t: &Tbl, key: &str, dates: Dates) -> Option<u32> {
        let value = t.get(key)?;
        if let DeValue::Datetime(dt) = value.get_ref() {
            let date = self.date_value(value, &t.field(key), dt)?;
            // Day 0 stands in when the start is invalid (see `uncertain`).
            return Some(dates.day_of(date).unwrap_or(0));
        }
        let what = format!("must be a day number >= 0 (or a date), at most {MAX_HORIZON_DAYS}");
        self.bounded(t, key, 0.0, f64::from(MAX_HORIZON_DAYS), true, &what)
            .map(|v| v as u32)
    }

    fn date_value(&mut self, value: &Value, field: &str, dt: &toml::value::Datetime) -> Option<NaiveDate> {
        let date = match (dt.date, dt.time) {
            (Some(d), None) => NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day)),
            _ => None,
        };
        if date.is_none() {
            self.problem(
                value.span(),
                field,
                format!("must be a date such as 2024-09-30, found {dt}"),
            );
        }
        date
    }

    /// An uncertain value: a number, a distribution string, or (for days) a date.
    fn uncertain(&mut self, t: &Tbl, key: &str, path: &str, kind: ValueKind, dates: Dates) -> Option<Input> {
        let value = t.get(key)?;
        let field = t.field(key);
        let dist = match value.get_ref() {
            DeValue::String(s) => match Dist::parse(s) {
                Ok(d) => d,
                Err(message) => {
                    self.problem(value.span(), &field, message);
                    return None;
                }
            },
            DeValue::Datetime(dt) if kind == ValueKind::Day && dates.allowed() => {
                let date = self.date_value(value, &field, dt)?;
                // With no valid start (already reported) the scenario is not
                // built: day 0 only stands in, so that nothing else complains.
                Dist::Constant(f64::from(dates.day_of(date).unwrap_or(0)))
            }
            other => match to_number(other) {
                Some(v) if v.is_finite() => Dist::Constant(v),
                _ => {
                    let dates = if kind == ValueKind::Day && dates.allowed() {
                        ", a date"
                    } else {
                        ""
                    };
                    let message = format!("must be {FORMS_HELP}{dates}; found {}", other.type_str());
                    self.problem(value.span(), &field, message);
                    return None;
                }
            },
        };
        if let Dist::Constant(v) = dist
            && let Some(rule) = constant_rule(kind, v)
        {
            self.problem(value.span(), &field, format!("{rule}, got {}", fmt_num(v)));
            return None;
        }
        Some(Input {
            path: path.to_string(),
            dist,
            kind,
        })
    }

    fn uncertain_or(&mut self, t: &Tbl, key: &str, kind: ValueKind, default: f64, dates: Dates) -> Input {
        let path = t.field(key);
        self.uncertain(t, key, &path, kind, dates)
            .unwrap_or_else(|| Input::constant(path, default, kind))
    }

    fn scenario(&mut self, root: &Tbl, text: &str, file: &str) -> Option<Scenario> {
        self.check_keys(
            root,
            &[
                "name",
                "simulation",
                "population",
                "host_police",
                "contributors",
                "events",
                "targets",
                "correlations",
            ],
        );
        let name = self.string(root, "name");
        if root.get("name").is_none() {
            self.missing(root, "name", "the scenario's name, e.g. name = \"Haiti baseline\"");
        }
        let (simulation, dates) = match self.sub_table(root, "simulation") {
            Some(t) => {
                let start = self.start(&t);
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
        let events = self.events(root, dates);
        let contributors = self.contributors(root, &events);
        let targets = self.targets(root, &contributors);
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
            correlations: Vec::new(),
        };
        scenario.correlations = self.correlations(root, &scenario);
        Some(scenario)
    }

    /// Reads `[[correlations]]`: each names two uncertain inputs drawn once
    /// per trial and their rank correlation; together they must describe a
    /// possible joint distribution.
    fn correlations(&mut self, root: &Tbl, scenario: &Scenario) -> Vec<Correlation> {
        let inputs = scenario.inputs();
        let per_class: Vec<&str> = scenario.per_class_inputs().iter().map(|i| i.path.as_str()).collect();
        let mut correlations = Vec::new();
        let mut last_span = root.span.clone();
        let mut last_field = String::new();
        for t in self.table_array(root, "correlations") {
            self.check_keys(&t, &CORRELATION_KEYS);
            let pair = self.correlated_pair(&t, &inputs, &per_class);
            if t.get("rank_correlation").is_none() {
                self.missing(&t, "rank_correlation", "the Spearman rank correlation, from -1 to 1");
            }
            let rank = self.bounded(
                &t,
                "rank_correlation",
                -1.0,
                1.0,
                false,
                "must be a number from -1 to 1",
            );
            let (Some(pair), Some(rank)) = (pair, rank) else {
                continue;
            };
            if correlations
                .iter()
                .any(|c: &Correlation| c.inputs == pair || c.inputs == [pair[1].clone(), pair[0].clone()])
            {
                let span = t.get("inputs").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!("the pair {} and {} is already correlated above", pair[0], pair[1]);
                self.problem(span, &t.field("inputs"), message);
                continue;
            }
            last_span = t.get("rank_correlation").map(|v| v.span()).unwrap_or(t.span.clone());
            last_field = t.field("rank_correlation");
            correlations.push(Correlation {
                inputs: pair,
                rank_correlation: rank,
            });
        }
        if let Err(impossible) = CopulaPlan::new(&correlations) {
            let message = format!(
                "these correlations are impossible together: no joint distribution of {} has them (the \
                 correlation matrix is not positive semi-definite; pairs not listed count as uncorrelated); weaken one \
                 of them or list the missing pairs",
                impossible.paths.join(", ")
            );
            self.problem(last_span, &last_field, message);
        }
        correlations
    }

    /// The two input paths of a correlation, each an uncertain input drawn once per trial.
    fn correlated_pair(&mut self, t: &Tbl, inputs: &[&Input], per_class: &[&str]) -> Option<[String; 2]> {
        let Some(value) = t.get("inputs") else {
            self.missing(
                t,
                "inputs",
                "two input paths, e.g. inputs = [\"contributors.Kenya.fulfilment\", \
                 \"contributors.Jamaica.fulfilment\"]",
            );
            return None;
        };
        let field = t.field("inputs");
        let paths: Option<Vec<String>> = match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .map(|item| match item.get_ref() {
                    DeValue::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let pair: [String; 2] = match paths.map(<[String; 2]>::try_from) {
            Some(Ok(pair)) => pair,
            _ => {
                let message = "must be an array of two input paths (strings), e.g. [\"contributors.Kenya.fulfilment\", \
                     \"contributors.Jamaica.fulfilment\"]";
                self.problem(value.span(), &field, message.to_string());
                return None;
            }
        };
        if pair[0] == pair[1] {
            self.problem(
                value.span(),
                &field,
                format!("names {} twice; name two different inputs", pair[0]),
            );
            return None;
        }
        let mut ok = true;
        for path in &pair {
            if let Some(message) = correlatable(path, inputs, per_class) {
                self.problem(value.span(), &field, message);
                ok = false;
            }
        }
        ok.then_some(pair)
    }

    /// `simulation.start`; `None` (with a problem) when missing or not a date.
    fn start(&mut self, t: &Tbl) -> Option<NaiveDate> {
        match t.get("start") {
            Some(value) => match value.get_ref() {
                DeValue::Datetime(dt) => self.date_value(value, &t.field("start"), dt),
                other => {
                    let message = match other.as_str() {
                        // `--set simulation.start=2025-13-01` arrives as text.
                        Some(text) if NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").is_err() => {
                            format!("must be a date such as 2024-09-30, found `{text}`, which is not a date")
                        }
                        _ => format!(
                            "must be a TOML date such as 2024-09-30 (no quotes), found {}",
                            other.type_str()
                        ),
                    };
                    self.problem(value.span(), &t.field("start"), message);
                    None
                }
            },
            None => {
                self.missing(t, "start", "the date of day 0, e.g. start = 2024-09-30");
                None
            }
        }
    }

    /// The rest of `[simulation]`, given its `start` (read by [`Reader::start`]).
    fn simulation(&mut self, t: &Tbl, start: Option<NaiveDate>) -> Option<Simulation> {
        self.check_keys(t, &["start", "horizon_days", "step", "trials", "seed"]);
        let horizon = if t.get("horizon_days").is_some() {
            let what = format!("must be a whole number of days from 1 to {MAX_HORIZON_DAYS}");
            self.bounded(t, "horizon_days", 1.0, f64::from(MAX_HORIZON_DAYS), true, &what)
        } else {
            self.missing(t, "horizon_days", "how many days to simulate, e.g. horizon_days = 730");
            None
        };
        let step = match self.string(t, "step").as_deref() {
            None | Some("week") => Some(Step::Week),
            Some("day") => Some(Step::Day),
            Some("month") => Some(Step::Month),
            Some(other) => {
                let span = t.get("step").map(|v| v.span()).unwrap_or(t.span.clone());
                self.problem(
                    span,
                    &t.field("step"),
                    format!("must be \"day\", \"week\" or \"month\", got \"{other}\""),
                );
                None
            }
        };
        let trials_what = format!(
            "must be a whole number of trials from 1 to {}",
            fmt_num(MAX_TRIALS as f64)
        );
        let trials = self.bounded(t, "trials", 1.0, MAX_TRIALS as f64, true, &trials_what);
        let seed = self.seed(t);
        let trials = if t.get("trials").is_some() { trials? } else { 10_000.0 };
        let seed = if t.get("seed").is_some() { seed? } else { 0 };
        if let (Some(start), Some(horizon)) = (start, horizon) {
            let last = start.checked_add_days(chrono::Days::new(horizon as u64));
            if last.is_none_or(|last| last > LAST_DATE) {
                let span = t.get("horizon_days").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!(
                    "the last simulated day (start + horizon_days) must be on or before {LAST_DATE}, so that every \
                     date is a four-digit year; with start = {start} horizon_days can be at most {}",
                    (LAST_DATE - start).num_days()
                );
                self.problem(span, &t.field("horizon_days"), message);
                return None;
            }
        }
        Some(Simulation {
            start: start?,
            horizon_days: horizon? as u32,
            step: step?,
            trials: trials as u64,
            seed,
        })
    }

    /// `simulation.seed`: a whole number up to [`MAX_FILE_SEED`], read
    /// exactly when written as an integer; `None` if absent or wrong.
    fn seed(&mut self, t: &Tbl) -> Option<u64> {
        let value = t.get("seed")?;
        let what = format!(
            "must be a whole number from 0 to {MAX_FILE_SEED} in a scenario file or --set (the --seed option \
             takes any whole number up to {})",
            u64::MAX
        );
        let DeValue::Integer(integer) = value.get_ref() else {
            return self
                .bounded(t, "seed", 0.0, MAX_FILE_SEED as f64, true, &what)
                .map(|v| v as u64);
        };
        match i128::from_str_radix(&integer.as_str().replace('_', ""), integer.radix()) {
            Ok(v) if (0..=i128::from(MAX_FILE_SEED)).contains(&v) => Some(v as u64),
            _ => {
                let shown = integer.to_string().replace('_', "");
                self.problem(value.span(), &t.field("seed"), format!("{what}, got {shown}"));
                None
            }
        }
    }

    fn population(&mut self, t: &Tbl) -> Option<Population> {
        self.check_keys(t, &["initial", "annual_growth"]);
        if t.get("initial").is_none() {
            self.missing(t, "initial", "the population on day 0, e.g. initial = 11870000");
        }
        let initial = self.uncertain(t, "initial", "population.initial", ValueKind::PositiveCount, Dates::No);
        let annual_growth = self.uncertain_or(t, "annual_growth", ValueKind::Growth, 0.0, Dates::No);
        Some(Population {
            initial: initial?,
            annual_growth,
        })
    }

    fn host_police(&mut self, t: &Tbl, dates: Dates) -> HostPolice {
        self.check_keys(t, &["initial", "attrition_per_year", "intakes"]);
        let initial = self.uncertain_or(t, "initial", ValueKind::Count, 0.0, Dates::No);
        let attrition_per_year = self.uncertain_or(t, "attrition_per_year", ValueKind::Fraction, 0.0, Dates::No);
        let intakes = self
            .table_array(t, "intakes")
            .iter()
            .filter_map(|it| self.intake(it, dates))
            .collect();
        HostPolice {
            initial,
            attrition_per_year,
            intakes,
        }
    }

    fn intake(&mut self, t: &Tbl, dates: Dates) -> Option<Intake> {
        self.check_keys(t, &INTAKE_KEYS);
        let schedule = match (t.get("day"), t.get("first_day"), t.get("every_days")) {
            (Some(_), None, None) => IntakeSchedule::Once {
                day: self.plain_day(t, "day", dates)?,
            },
            (None, Some(_), Some(_)) => {
                let first_day = self.plain_day(t, "first_day", dates)?;
                let what = format!("must be a whole number of days from 1 to {MAX_HORIZON_DAYS}");
                let every = self.bounded(t, "every_days", 1.0, f64::from(MAX_HORIZON_DAYS), true, &what)?;
                IntakeSchedule::Recurring {
                    first_day,
                    every_days: every as u32,
                }
            }
            _ => {
                let message = "give either `day` (one class) or both `first_day` and `every_days` (a recurring class)";
                self.problem(t.span.clone(), &t.path, message.to_string());
                return None;
            }
        };
        if let Some(horizon) = self.horizon {
            let classes = match schedule {
                IntakeSchedule::Once { day } => u64::from(day <= horizon),
                IntakeSchedule::Recurring { first_day, every_days } if first_day <= horizon => {
                    u64::from((horizon - first_day) / every_days.max(1)) + 1
                }
                IntakeSchedule::Recurring { .. } => 0,
            };
            let key = if t.get("every_days").is_some() {
                "every_days"
            } else {
                "day"
            };
            self.add_arrivals(t, key, classes, "intake");
        }
        if t.get("size").is_none() {
            self.missing(
                t,
                "size",
                "the number of graduates per class (a number or a distribution)",
            );
        }
        let size = self.uncertain(t, "size", &t.field("size"), ValueKind::Count, Dates::No)?;
        let probability = self.probability(t, "probability");
        Some(Intake {
            schedule,
            size,
            probability,
        })
    }

    fn events(&mut self, root: &Tbl, dates: Dates) -> Vec<Event> {
        let mut seen = HashSet::new();
        let mut events = Vec::new();
        for mut t in self.table_array(root, "events") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "event", &EVENT_KEYS) else {
                continue;
            };
            let probability = self.probability(&t, "probability");
            if t.get("day").is_none() {
                self.missing(&t, "day", "the day it happens: a day number, a date or a distribution");
            }
            let day = self.uncertain(&t, "day", &t.field("day"), ValueKind::Day, dates);
            let effect = match self.string(&t, "effect").as_deref() {
                Some("unlock") => {
                    if let Some(v) = t.get("drawdown_days") {
                        let message = "only applies to effect = \"end_mission\"".to_string();
                        self.problem(v.span(), &t.field("drawdown_days"), message);
                    }
                    Some(Effect::Unlock)
                }
                Some("end_mission") => {
                    let what = format!("must be a whole number of days from 0 to {MAX_HORIZON_DAYS}");
                    let drawdown = self.bounded(&t, "drawdown_days", 0.0, f64::from(MAX_HORIZON_DAYS), true, &what);
                    Some(Effect::EndMission {
                        drawdown_days: drawdown.unwrap_or(0.0) as u32,
                    })
                }
                Some(other) => {
                    let span = t.get("effect").map(|v| v.span()).unwrap_or(t.span.clone());
                    let message = format!("must be \"unlock\" or \"end_mission\", got \"{other}\"");
                    self.problem(span, &t.field("effect"), message);
                    None
                }
                None => {
                    if t.get("effect").is_none() {
                        self.missing(&t, "effect", "\"unlock\" or \"end_mission\"");
                    }
                    None
                }
            };
            if let (Some(day), Some(effect)) = (day, effect) {
                events.push(Event {
                    name,
                    probability,
                    day,
                    effect,
                });
            }
        }
        events
    }

    /// Reads an entry of `[[events]]`, `[[contributors]]` or `[[targets]]`:
    /// its unique name, which then names it in every message
    /// (`contributors.Kenya.pledged`), and its keys.
    fn named_entry(&mut self, t: &mut Tbl, seen: &mut HashSet<String>, what: &str, allowed: &[&str]) -> Option<String> {
        let name = self.unique_name(t, seen, what);
        if let Some(name) = &name {
            t.path = format!("{what}s.{name}");
        }
        self.check_keys(t, allowed);
        name
    }

    /// Reads `name`, checks it is unique among `seen`, and reports otherwise.
    fn unique_name(&mut self, t: &Tbl, seen: &mut HashSet<String>, what: &str) -> Option<String> {
        let Some(name) = self.string(t, "name") else {
            if t.get("name").is_none() {
                self.missing(t, "name", &format!("a unique name for this {what}"));
            }
            return None;
        };
        let span = t.get("name").map(|v| v.span()).unwrap_or(t.span.clone());
        if name.trim().is_empty() {
            self.problem(span, &t.field("name"), "must not be empty".to_string());
            return None;
        }
        if !seen.insert(name.clone()) {
            self.problem(
                span,
                &t.field("name"),
                format!("another {what} is already named \"{name}\"; names must be unique"),
            );
            return None;
        }
        Some(name)
    }

    fn contributors(&mut self, root: &Tbl, events: &[Event]) -> Vec<Contributor> {
        let mut seen = HashSet::new();
        let mut contributors = Vec::new();
        for mut t in self.table_array(root, "contributors") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "contributor", &CONTRIBUTOR_KEYS) else {
                continue;
            };
            let number = contributors.len() as u64 + 1;
            self.check_rows(
                &t,
                number,
                Metric::STANDARD.len() as u64 + number,
                "contributor",
                "timeseries.csv",
            );
            let deployed = self.count(&t, "deployed");
            let pledged = self.count(&t, "pledged");
            let probability = self.probability(&t, "probability");
            let fulfilment = self.uncertain_or(&t, "fulfilment", ValueKind::Fraction, 1.0, Dates::No);
            // Durations, not days from the start: no dates here.
            let first_arrival_days = self.uncertain_or(&t, "first_arrival_days", ValueKind::Day, 0.0, Dates::No);
            let wave_interval_days = self.uncertain_or(&t, "wave_interval_days", ValueKind::Day, 0.0, Dates::No);
            let attrition_per_year = self.uncertain_or(&t, "attrition_per_year", ValueKind::Fraction, 0.0, Dates::No);
            let withdrawal_per_year = self.uncertain_or(&t, "withdrawal_per_year", ValueKind::Fraction, 0.0, Dates::No);
            let waves_what = format!("must be a whole number of waves from 1 to {MAX_WAVES}");
            let waves = self
                .bounded(&t, "waves", 1.0, f64::from(MAX_WAVES), true, &waves_what)
                .unwrap_or(1.0) as u32;
            let key = if t.get("waves").is_some() { "waves" } else { "pledged" };
            self.add_arrivals(&t, key, u64::from(waves).min(pledged), "contributor");
            let kind = match self.string(&t, "kind").as_deref() {
                None | Some("police") => Kind::Police,
                Some("military") => Kind::Military,
                Some(other) => {
                    let span = t.get("kind").map(|v| v.span()).unwrap_or(t.span.clone());
                    self.problem(
                        span,
                        &t.field("kind"),
                        format!("must be \"police\" or \"military\", got \"{other}\""),
                    );
                    Kind::Police
                }
            };
            let after = self.string(&t, "after").and_then(|after| {
                let found = events
                    .iter()
                    .position(|e| e.name == after && e.effect == Effect::Unlock);
                if found.is_none() {
                    let unlocks: Vec<&str> = events
                        .iter()
                        .filter(|e| e.effect == Effect::Unlock)
                        .map(|e| e.name.as_str())
                        .collect();
                    let allowed = if unlocks.is_empty() {
                        "there are no events with effect = \"unlock\"".to_string()
                    } else {
                        format!("unlock events: {}", unlocks.join(", "))
                    };
                    let span = t.get("after").map(|v| v.span()).unwrap_or(t.span.clone());
                    let message = format!("names no event with effect = \"unlock\": \"{after}\" ({allowed})");
                    self.problem(span, &t.field("after"), message);
                }
                found
            });
            contributors.push(Contributor {
                name,
                deployed,
                pledged,
                probability,
                fulfilment,
                first_arrival_days,
                after,
                waves,
                wave_interval_days,
                attrition_per_year,
                withdrawal_per_year,
                kind,
            });
        }
        contributors
    }

    fn targets(&mut self, root: &Tbl, contributors: &[Contributor]) -> Vec<Target> {
        let mut seen = HashSet::new();
        let mut targets = Vec::new();
        for mut t in self.table_array(root, "targets") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "target", &TARGET_KEYS) else {
                continue;
            };
            let number = targets.len() as u64 + 1;
            self.check_rows(&t, number, number, "target", "targets.csv");
            let metric = self.string(&t, "metric").and_then(|m| {
                let found = parse_metric(&m, contributors);
                if found.is_none() {
                    let span = t.get("metric").map(|v| v.span()).unwrap_or(t.span.clone());
                    let message = format!(
                        "unknown metric \"{m}\"; allowed: {}, or contributor:NAME with NAME one of the contributors",
                        Metric::STANDARD_NAMES.join(", ")
                    );
                    self.problem(span, &t.field("metric"), message);
                }
                found
            });
            if t.get("metric").is_none() {
                self.missing(&t, "metric", "the metric to watch, e.g. metric = \"international\"");
            }
            if t.get("at_least").is_none() {
                self.missing(&t, "at_least", "the threshold, e.g. at_least = 2500");
            }
            let at_least = self.bounded(&t, "at_least", 0.0, 1e12, false, "must be a number >= 0");
            if let (Some(metric), Some(at_least)) = (metric, at_least) {
                targets.push(Target { name, metric, at_least });
            }
        }
        targets
    }
}

/// Why `path` cannot take part in a correlation, if it cannot.
fn correlatable(path: &str, inputs: &[&Input], per_class: &[&str]) -> Option<String> {
    let Some(input) = inputs.iter().find(|i| i.path == path) else {
        let suggestion = inputs
            .iter()
            .map(|i| (strsim::jaro_winkler(&i.path, path), i.path.as_str()))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, p)| format!("; did you mean `{p}`?"))
            .unwrap_or_default();
        let uncertain: Vec<&str> = inputs
            .iter()
            .filter(|i| !matches!(i.dist, Dist::Constant(_)) && !per_class.contains(&i.path.as_str()))
            .map(|i| i.path.as_str())
            .collect();
        let allowed = if uncertain.is_empty() {
            "this scenario has no uncertain input drawn once per trial".to_string()
        } else {
            format!("uncertain inputs here: {}", uncertain.join(", "))
        };
        return Some(format!(
            "`{path}` is not an input of this scenario{suggestion} ({allowed})"
        ));
    };
    if per_class.contains(&path) {
        return Some(format!(
            "`{path}` is drawn anew for every class or wave gap, not once per trial, so it cannot be correlated"
        ));
    }
    if matches!(input.dist, Dist::Constant(_)) {
        return Some(format!(
            "`{path}` is a constant here; only an uncertain input (a distribution) can be correlated"
        ));
    }
    None
}

/// Parses a metric name (`international`, `contributor:Kenya`, ...).
pub fn parse_metric(name: &str, contributors: &[Contributor]) -> Option<Metric> {
    if let Some(who) = name.strip_prefix("contributor:") {
        return contributors.iter().position(|c| c.name == who).map(Metric::Contributor);
    }
    Metric::STANDARD_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| Metric::STANDARD[i])
}

/// The rule a constant of this kind breaks, if any.
fn constant_rule(kind: ValueKind, v: f64) -> Option<String> {
    match kind {
        ValueKind::Count if !(0.0..=MAX_COUNT).contains(&v) => Some(format!(
            "must be a number of people between 0 and {}",
            fmt_num(MAX_COUNT)
        )),
        ValueKind::PositiveCount if !(1.0..=1e11).contains(&v) => {
            Some("must be a population of at least 1".to_string())
        }
        ValueKind::Day if !(0.0..=f64::from(MAX_HORIZON_DAYS)).contains(&v) => {
            Some(format!("must be a number of days between 0 and {MAX_HORIZON_DAYS}"))
        }
        ValueKind::Fraction if !(0.0..=1.0).contains(&v) => Some("must be a fraction between 0 and 1".to_string()),
        ValueKind::Growth if !(-0.99..=10.0).contains(&v) => {
            Some("must be a yearly growth rate between -0.99 and 10".to_string())
        }
        _ => None,
    }
}

fn to_number(value: &DeValue) -> Option<f64> {
    match value {
        // Beyond 64 bits TOML has no integer, but it is still a (too large) number.
        DeValue::Integer(i) => i128::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .ok()
            .map(|v| v as f64),
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        _ => None,
    }
}

/// How a date in a day field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dates {
    /// As days from this `simulation.start`.
    From(NaiveDate),
    /// Allowed, but `simulation.start` is missing or invalid (already
    /// reported, so the scenario is not built): a date is not an error too.
    Unknown,
    /// Not allowed: a duration or a value that is not a day.
    No,
}

impl Dates {
    fn allowed(self) -> bool {
        self != Dates::No
    }

    /// Days from the start to `date`, when the start is known.
    fn day_of(self, date: NaiveDate) -> Option<u32> {
        match self {
            Dates::From(start) => Some(days_from(start, date)),
            Dates::Unknown | Dates::No => None,
        }
    }
}

fn days_from(start: NaiveDate, date: NaiveDate) -> u32 {
    (date - start).num_days().clamp(0, i64::from(u32::MAX)) as u32
}

/// A whole number with thousands separators, for messages: 1,048,575.
fn fmt_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number as a person would write it: no trailing `.0`.
fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() >= 1e21 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "name = \"t\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n[population]\ninitial = 1000\n";

    fn problems(extra: &str) -> Vec<Problem> {
        parse_str(&format!("{MINIMAL}{extra}"), "t.toml")
            .expect_err("should fail")
            .problems
    }

    #[test]
    fn minimal_scenario_gets_the_documented_defaults() {
        let s = parse_str(MINIMAL, "t.toml").expect("valid");
        assert_eq!(
            (s.simulation.trials, s.simulation.seed, s.simulation.step),
            (10_000, 0, super::super::Step::Week)
        );
        assert!(s.host_police.is_none() && s.contributors.is_empty() && s.events.is_empty() && s.targets.is_empty());
        // Weekly from day 0, and the horizon closes the series.
        assert_eq!(s.report_days(), vec![0, 7, 14, 21, 28, 30]);
    }

    #[test]
    fn dates_are_days_from_the_start_where_a_day_is_counted_from_day_0() {
        let s = parse_str(
            &format!("{MINIMAL}[[events]]\nname = \"e\"\nday = 2024-01-11\neffect = \"unlock\"\n"),
            "t.toml",
        )
        .expect("valid");
        assert_eq!(s.events[0].day.dist, Dist::Constant(10.0));
    }

    #[test]
    fn a_bad_simulation_value_leaves_dates_elsewhere_alone() {
        let event = "[[events]]\nname = \"e\"\nday = 2024-01-11\neffect = \"unlock\"\n";
        for (from, to) in [
            ("horizon_days = 30", "horizon_days = \"abc\""),
            ("horizon_days = 30", "horizon_days = 30\ntrials = 0"),
            ("start = 2024-01-01", "start = \"2024-13-01\""),
            ("start = 2024-01-01\n", ""),
        ] {
            let text = format!("{MINIMAL}{event}").replacen(from, to, 1);
            let p = parse_str(&text, "t.toml").expect_err("invalid").problems;
            assert_eq!(p.len(), 1, "{to:?}: {p:?}");
            assert!(p[0].field.starts_with("simulation."), "{to:?}: {p:?}");
        }
    }

    #[test]
    fn seeds_are_read_exactly_up_to_two_to_the_53() {
        let with_seed = |seed: &str| {
            parse_str(
                &MINIMAL.replace("horizon_days = 30", &format!("horizon_days = 30\nseed = {seed}")),
                "t.toml",
            )
        };
        assert_eq!(
            with_seed("9007199254740992").expect("valid").simulation.seed,
            MAX_FILE_SEED
        );
        assert_eq!(with_seed("0x1F").expect("valid").simulation.seed, 31);
        for bad in ["9007199254740993", "18446744073709551615", "-1", "1e300"] {
            let p = with_seed(bad).expect_err("too large").problems;
            assert_eq!(p.len(), 1, "{bad}: {p:?}");
            assert!(p[0].message.contains("from 0 to 9007199254740992"), "{bad}: {p:?}");
            assert!(p[0].message.contains(&format!("got {bad}")), "{bad}: {p:?}");
        }
    }

    #[test]
    fn durations_do_not_take_dates() {
        let p = problems("[[contributors]]\nname = \"K\"\npledged = 5\nfirst_arrival_days = 2024-02-01\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, "contributors.K.first_arrival_days");
        assert_eq!(p[0].line, 10);
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
