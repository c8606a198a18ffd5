//! The observed-data file of `forcegen backtest` and `run --observed`
//! (`date,metric,value`, with optional `contributor` and `error` columns):
//! read within its limits, every row checked against the scenario, and
//! every bad row reported with its line, column and what is allowed.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;

use super::{MAX_OBSERVATIONS, MAX_OBSERVED_BYTES, MAX_OBSERVED_VALUE, MAX_RELATIVE_ERROR, OBSERVED_COLUMNS};
use crate::scenario::shown::cut;
use crate::scenario::{Metric, Scenario};

/// Problems after which reading stops (a file that is not an observed file at all).
pub(super) const MAX_PROBLEMS: usize = 1000;
/// Problems listed in one error message; the rest are counted.
pub(super) const SHOWN_PROBLEMS: usize = 20;
/// One observation of the observed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// 1-based line in the file.
    pub line: u64,
    pub date: NaiveDate,
    /// Days from `simulation.start`.
    pub day: u32,
    pub metric: Metric,
    pub value: f64,
    /// The relative error of `value` (`error` column: 0.1 for "about");
    /// 0 when exact or not given. Only `run --observed` and `backtest
    /// --rolling` use it.
    pub error: f64,
    /// The 1-based column of its value (for messages).
    pub value_column: usize,
}

/// One thing wrong with the observed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedProblem {
    /// 1-based line (0: the file as a whole).
    pub line: u64,
    /// 1-based column: the position of the cell in its row.
    pub column: usize,
    /// The column's name (`date`, `metric`, `value`), or empty.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Every problem found in an observed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedError {
    pub file: String,
    pub problems: Vec<ObservedProblem>,
}

impl ObservedError {
    fn whole(file: &str, message: String) -> ObservedError {
        ObservedError {
            file: file.to_string(),
            problems: vec![ObservedProblem {
                line: 0,
                column: 0,
                field: String::new(),
                message,
            }],
        }
    }
}

impl fmt::Display for ObservedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().take(SHOWN_PROBLEMS).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match (p.line, p.field.as_str()) {
                (0, _) => write!(f, "{}: {}", self.file, p.message)?,
                (_, "") => write!(f, "{}:{}:{}: {}", self.file, p.line, p.column, p.message)?,
                (_, field) => write!(
                    f,
                    "{}:{}:{}: column `{field}`: {}",
                    self.file, p.line, p.column, p.message
                )?,
            }
        }
        if self.problems.len() > SHOWN_PROBLEMS {
            write!(
                f,
                "\n{}: ... and {} more problems",
                self.file,
                self.problems.len() - SHOWN_PROBLEMS
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ObservedError {}

/// Reads and checks an observed file against `scenario`; returns it with its bytes (for the fingerprint).
pub fn read_observations(path: &Path, scenario: &Scenario) -> Result<(Vec<Observation>, Vec<u8>), ObservedError> {
    let file = path.display().to_string();
    let cannot_read = |e: std::io::Error| ObservedError::whole(&file, format!("cannot read the observed file: {e}"));
    let handle = fs::File::open(path).map_err(cannot_read)?;
    let mut bytes = Vec::new();
    handle
        .take(MAX_OBSERVED_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_OBSERVED_BYTES {
        let message = format!("the observed file is larger than the limit of {MAX_OBSERVED_BYTES} bytes (64 MiB)");
        return Err(ObservedError::whole(&file, message));
    }
    let observations = read_observations_from(bytes.as_slice(), &file, scenario)?;
    Ok((observations, bytes))
}

/// Parses an observed file's text (`file` names it in messages). Blank
/// lines and lines starting with `#` are skipped; extra columns are ignored.
/// Several rows may give the same metric on the same date (two sources, or
/// repeated draws in a test): each is scored on its own.
pub fn read_observations_from<R: Read>(
    input: R,
    file: &str,
    scenario: &Scenario,
) -> Result<Vec<Observation>, ObservedError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut records = reader.records();
    let error = |problems| ObservedError {
        file: file.to_string(),
        problems,
    };
    let header = match records.next() {
        None => {
            let message = "the file is empty (or only comments); it needs a header row `date,metric,value` and one row per \
                           observation, such as `2025-03-31,international,1000`";
            return Err(error(vec![problem(1, 1, "", message.to_string())]));
        }
        Some(Err(e)) => return Err(error(vec![read_problem(&e)])),
        Some(Ok(header)) => header,
    };
    let columns = Columns::find(&header).map_err(|p| error(vec![p]))?;
    let rules = Rules::new(scenario);
    let mut problems = Vec::new();
    let mut observations: Vec<Observation> = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                problems.push(read_problem(&e));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        if problems.len() >= MAX_PROBLEMS {
            let message = format!("stopped reading after {MAX_PROBLEMS} problems");
            problems.push(problem(line, 1, "", message));
            break;
        }
        if observations.len() >= MAX_OBSERVATIONS {
            let message = format!("more than {MAX_OBSERVATIONS} observations; split the file");
            problems.push(problem(line, 1, "", message));
            break;
        }
        match rules.observation(&record, &columns, line) {
            Ok(observation) => observations.push(observation),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if observations.is_empty() && problems.is_empty() {
        let line = header.position().map_or(1, csv::Position::line) + 1;
        let message = "there are no observations after the header row; add rows such as \
                       `2025-03-31,international,1000`";
        problems.push(problem(line, 1, "", message.to_string()));
    }
    if problems.is_empty() {
        Ok(observations)
    } else {
        Err(error(problems))
    }
}

fn problem(line: u64, column: usize, field: &str, message: String) -> ObservedProblem {
    ObservedProblem {
        line,
        column,
        field: field.to_string(),
        message,
    }
}

/// A CSV reading error as a problem on its line.
fn read_problem(e: &csv::Error) -> ObservedProblem {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text; save the file as \"CSV UTF-8\"".to_string(),
        _ => format!("cannot be read: {e}"),
    };
    problem(line.max(1), 1, "", message)
}

/// Where the three columns are, from the header row, and the optional
/// [`OPTIONAL_COLUMNS`] if the header has them.
#[derive(Debug, Clone, Copy)]
struct Columns {
    date: usize,
    metric: usize,
    value: usize,
    contributor: Option<usize>,
    error: Option<usize>,
}

/// Columns an observed file may have besides the three: `contributor`
/// (the row's metric is that contributor's head count) and `error` (the
/// value's relative error).
pub const OPTIONAL_COLUMNS: [&str; 2] = ["contributor", "error"];

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Columns, ObservedProblem> {
        let line = header.position().map_or(1, csv::Position::line);
        let names: Vec<String> = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = if i == 0 { h.trim_start_matches('\u{feff}') } else { h };
                h.trim().to_ascii_lowercase()
            })
            .collect();
        let expected = "the first row must be the header `date,metric,value` (in any order; other columns are \
                        ignored)";
        if names.first().is_some_and(|first| parse_date(first).is_some()) {
            return Err(problem(line, 1, "", format!("the header row is missing: {expected}")));
        }
        let mut at = [0usize; 3];
        for (slot, wanted) in at.iter_mut().zip(OBSERVED_COLUMNS) {
            let found: Vec<usize> = (0..names.len()).filter(|&i| names[i] == wanted).collect();
            match found.as_slice() {
                [i] => *slot = *i,
                [] => {
                    let hint = names
                        .iter()
                        .filter(|n| !OBSERVED_COLUMNS.contains(&n.as_str()) && !OPTIONAL_COLUMNS.contains(&n.as_str()))
                        .map(|n| (strsim::jaro_winkler(n, wanted), n))
                        .filter(|(score, _)| *score > 0.8)
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(_, n)| format!(" (`{}`: did you mean `{wanted}`?)", cut(n)))
                        .unwrap_or_default();
                    let message = format!("no column `{wanted}` in the header row{hint}; {expected}");
                    return Err(problem(line, names.len() + 1, "", message));
                }
                [_, second, ..] => {
                    let message = format!("the header names `{wanted}` twice; {expected}");
                    return Err(problem(line, second + 1, "", message));
                }
            }
        }
        let mut optional = [None; 2];
        for (slot, wanted) in optional.iter_mut().zip(OPTIONAL_COLUMNS) {
            let found: Vec<usize> = (0..names.len()).filter(|&i| names[i] == wanted).collect();
            if let [_, second, ..] = found.as_slice() {
                let message = format!("the header names `{wanted}` twice; {expected}");
                return Err(problem(line, second + 1, "", message));
            }
            *slot = found.first().copied();
        }
        Ok(Columns {
            date: at[0],
            metric: at[1],
            value: at[2],
            contributor: optional[0],
            error: optional[1],
        })
    }
}

/// What the scenario allows in an observation.
struct Rules<'a> {
    scenario: &'a Scenario,
    start: NaiveDate,
    horizon: u32,
    last: NaiveDate,
    metric_names: Vec<String>,
}

impl<'a> Rules<'a> {
    fn new(scenario: &'a Scenario) -> Rules<'a> {
        let horizon = scenario.simulation.horizon_days;
        Rules {
            scenario,
            start: scenario.simulation.start,
            horizon,
            last: scenario.date_of(horizon),
            metric_names: scenario.metrics().iter().map(|m| m.name(scenario)).collect(),
        }
    }

    /// Checks one row; every problem in it is reported.
    fn observation(
        &self,
        record: &csv::StringRecord,
        columns: &Columns,
        line: u64,
    ) -> Result<Observation, Vec<ObservedProblem>> {
        let mut problems = Vec::new();
        let mut cell = |at: usize, field: &str| match record.get(at) {
            Some(text) => Some(text),
            None => {
                let message = format!("is missing: this row has {} cells", record.len());
                problems.push(problem(line, at + 1, field, message));
                None
            }
        };
        let cells = (
            cell(columns.date, "date"),
            cell(columns.metric, "metric"),
            cell(columns.value, "value"),
        );
        // Optional cells: an absent or short cell is empty.
        let optional = |at: Option<usize>| at.and_then(|at| record.get(at)).unwrap_or("");
        let contributor = optional(columns.contributor);
        let error_text = optional(columns.error);
        let date = cells.0.and_then(|text| {
            self.date(text)
                .map_err(|m| problems.push(problem(line, columns.date + 1, "date", m)))
                .ok()
        });
        let metric = cells.1.and_then(|text| {
            self.metric_of(text, contributor)
                .map_err(|(m, field)| {
                    let at = if field == "contributor" {
                        columns.contributor
                    } else {
                        Some(columns.metric)
                    };
                    problems.push(problem(line, at.unwrap_or(columns.metric) + 1, field, m))
                })
                .ok()
        });
        let value = cells.2.and_then(|text| {
            value(text)
                .map_err(|m| problems.push(problem(line, columns.value + 1, "value", m)))
                .ok()
        });
        let error = relative_error(error_text)
            .map_err(|m| problems.push(problem(line, columns.error.unwrap_or(0) + 1, "error", m)))
            .ok();
        match (date, metric, value, error) {
            (Some((date, day)), Some(metric), Some(value), Some(error)) if problems.is_empty() => Ok(Observation {
                line,
                date,
                day,
                metric,
                value,
                error,
                value_column: columns.value + 1,
            }),
            _ => Err(problems),
        }
    }

    /// The metric of a row: its `metric` cell, or with a `contributor`
    /// cell that contributor's head count (the `metric` cell then empty,
    /// `contributor`, or `contributor:NAME` of the same name). An error
    /// names the column at fault.
    fn metric_of(&self, text: &str, contributor: &str) -> Result<Metric, (String, &'static str)> {
        let contributor = contributor.trim();
        if contributor.is_empty() {
            return self.metric(text).map_err(|m| (m, "metric"));
        }
        let Some(c) = self.scenario.contributors.iter().position(|c| c.name == contributor) else {
            let names: Vec<&str> = self.scenario.contributors.iter().map(|c| c.name.as_str()).collect();
            let hint = closest(contributor, names.iter().copied()).map(|n| format!("; did you mean `{n}`?"));
            let message = format!(
                "unknown contributor `{contributor}`{} (allowed: {})",
                hint.unwrap_or_default(),
                names.join(", ")
            );
            return Err((message, "contributor"));
        };
        let metric = Metric::Contributor(c);
        let text = text.trim();
        if text.is_empty()
            || text.eq_ignore_ascii_case("contributor")
            || self.scenario.metric_named(text) == Some(metric)
        {
            return Ok(metric);
        }
        Err((
            format!(
                "`{text}` does not go with contributor `{contributor}`: a row naming a contributor observes its head \
                 count; leave `metric` empty or write `contributor` (or `{}`)",
                metric.name(self.scenario)
            ),
            "metric",
        ))
    }

    fn date(&self, text: &str) -> Result<(NaiveDate, u32), String> {
        let range = format!(
            "observations must lie from the start, {} (simulation.start), to the horizon, {} (day {})",
            self.start, self.last, self.horizon
        );
        let date = crate::scenario::dates::parse(text)?;
        if date < self.start {
            return Err(format!("{date} is before the start; {range}"));
        }
        if date > self.last {
            return Err(format!("{date} is after the horizon; {range}"));
        }
        Ok((date, (date - self.start).num_days() as u32))
    }

    fn metric(&self, text: &str) -> Result<Metric, String> {
        if let Some(metric) = self.scenario.metric_named(text) {
            return Ok(metric);
        }
        let hint = closest(text, self.metric_names.iter().map(String::as_str))
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        Err(format!(
            "unknown metric `{}`{hint} (allowed: {})",
            cut(text),
            self.metric_names.join(", ")
        ))
    }
}

/// The name among `names` closest to `text`, if one is close.
fn closest<'n>(text: &str, names: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    names
        .map(|n| (strsim::jaro_winkler(n, text), n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

/// The `error` cell: empty (exact), or a relative error from 0 to
/// [`MAX_RELATIVE_ERROR`].
fn relative_error(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0.0);
    }
    match text.parse::<f64>() {
        Ok(e) if (0.0..=MAX_RELATIVE_ERROR).contains(&e) => Ok(e),
        Ok(e) if e.is_finite() && e > 0.0 => Err(format!(
            "{text} is too large: a relative error is at most {MAX_RELATIVE_ERROR} (write 0.1 for \"about\", \
             i.e. 10%)"
        )),
        _ => Err(format!(
            "`{text}` is not a relative error; write a plain number from 0 (exact) to {MAX_RELATIVE_ERROR}, \
             such as 0.1 for \"about\" (10%), or leave it empty for an exact value"
        )),
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    crate::scenario::dates::parse(text).ok()
}

fn value(text: &str) -> Result<f64, String> {
    let parsed = text.trim().parse::<f64>();
    // As written, cut short (a 300-digit number is shown in 200 characters).
    let text = cut(text.trim());
    match parsed {
        Ok(v) if v.is_finite() && v > MAX_OBSERVED_VALUE => Err(format!(
            "{text} is too large: an observed head count or ratio is at most {MAX_OBSERVED_VALUE:e} (larger ones \
             would overflow the scores)"
        )),
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) if v.is_finite() => Err(format!("{text} is negative; a head count or a ratio is 0 or more")),
        _ => Err(format!(
            "`{text}` is not a number; write a plain number such as 1234 or 49.5 (a dot as the decimal mark, no \
             thousands separators)"
        )),
    }
}
