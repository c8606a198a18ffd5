//! `forcegen backtest`: how well did a scenario's forecast match what was
//! later observed?
//!
//! The observed file is a CSV with a header `date,metric,value`. The scenario
//! is simulated with its report days replaced by the distinct observed days
//! (plus day 0 and the horizon), so the forecast is taken exactly on each observed
//! date, and every observation is scored against the forecast distribution
//! of its metric on its day:
//!
//! - the forecast percentiles p5..p95, as in `timeseries.csv`;
//! - `pit`, the mid-rank percentile of the observation in the forecast,
//!   `(count(X < y) + count(X = y) / 2) / trials`, whose mean is 1/2 under a
//!   calibrated forecast even where whole-person values tie (it is uniform
//!   only where they do not: a tie puts all its trials on one PIT value);
//! - `in_50` / `in_90`: whether it lies in the central 50% / 90% band,
//!   `p25 <= y <= p75` / `p5 <= y <= p95`;
//! - `band_50_mass` / `band_90_mass`: the forecast's own probability of
//!   landing in that band, `P(p25 <= X <= p75)` / `P(p5 <= X <= p95)`. A
//!   band's edges are values of the forecast, so with ties (a contributor
//!   with nobody in 80% of trials has p25 = p75 = 0) it holds more than 50% /
//!   90% of the trials; its mean over observations is the coverage a
//!   calibrated forecast shows;
//! - `crps`, the continuous ranked probability score of the forecast's
//!   empirical distribution, `E|X - y| - E|X - X'| / 2`, in the metric's
//!   units (0 for a perfect point forecast; lower is better).
//!
//! All of these come straight from the per-day histograms: exact for head
//! counts up to 65,535, and within the 0.05% bin width for ratios and larger
//! head counts.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::app::{self, Failure, RunRequest};
use crate::engine::Aggregates;
use crate::engine::histogram::{
    DayHistogram, EXACT_LIMIT, HistogramRecorder, count_key, count_value, float_key, float_value,
};
use crate::model::{GENERATOR_NAME, Model};
use crate::output::stats::{count_stats, ratio_stats};
use crate::output::{self, OutputError, cell_text, csv_bytes, number, sha256_hex};
use crate::scenario::{Metric, Scenario, parse_metric};

/// The file of scored observations.
pub const FILE: &str = "backtest.csv";
/// What produced it (scenario fingerprint, observed file, seed, trials).
pub const INFO_FILE: &str = "backtest_info.csv";
/// The columns the observed file must have (in any order).
pub const OBSERVED_COLUMNS: [&str; 3] = ["date", "metric", "value"];
/// Most observations one file may hold.
pub const MAX_OBSERVATIONS: usize = 1_000_000;
/// Largest observed file read, in bytes.
pub const MAX_OBSERVED_BYTES: u64 = 64 * 1024 * 1024;
/// Problems listed in one error message; the rest are counted.
const SHOWN_PROBLEMS: usize = 20;
/// Problems after which reading stops (a file that is not an observed file at all).
const MAX_PROBLEMS: usize = 1000;

/// The header of `backtest.csv`.
pub const HEADER: [&str; 17] = [
    "row",
    "date",
    "day",
    "metric",
    "n",
    "observed",
    "p5",
    "p25",
    "p50",
    "p75",
    "p95",
    "pit",
    "in_50",
    "in_90",
    "band_50_mass",
    "band_90_mass",
    "crps",
];

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

/// Where the three columns are, from the header row.
#[derive(Debug, Clone, Copy)]
struct Columns {
    date: usize,
    metric: usize,
    value: usize,
}

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
                        .filter(|n| !OBSERVED_COLUMNS.contains(&n.as_str()))
                        .map(|n| (strsim::jaro_winkler(n, wanted), n))
                        .filter(|(score, _)| *score > 0.8)
                        .max_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(_, n)| format!(" (`{n}`: did you mean `{wanted}`?)"))
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
        Ok(Columns {
            date: at[0],
            metric: at[1],
            value: at[2],
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
        let date = cells.0.and_then(|text| {
            self.date(text)
                .map_err(|m| problems.push(problem(line, columns.date + 1, "date", m)))
                .ok()
        });
        let metric = cells.1.and_then(|text| {
            self.metric(text)
                .map_err(|m| problems.push(problem(line, columns.metric + 1, "metric", m)))
                .ok()
        });
        let value = cells.2.and_then(|text| {
            value(text)
                .map_err(|m| problems.push(problem(line, columns.value + 1, "value", m)))
                .ok()
        });
        match (date, metric, value) {
            (Some((date, day)), Some(metric), Some(value)) if problems.is_empty() => Ok(Observation {
                line,
                date,
                day,
                metric,
                value,
            }),
            _ => Err(problems),
        }
    }

    fn date(&self, text: &str) -> Result<(NaiveDate, u32), String> {
        let range = format!(
            "observations must lie from the start, {} (simulation.start), to the horizon, {} (day {})",
            self.start, self.last, self.horizon
        );
        let Some(date) = parse_date(text) else {
            return Err(format!(
                "`{text}` is not a date; write dates as YYYY-MM-DD, such as {}",
                self.start
            ));
        };
        if date < self.start {
            return Err(format!("{date} is before the start; {range}"));
        }
        if date > self.last {
            return Err(format!("{date} is after the horizon; {range}"));
        }
        Ok((date, (date - self.start).num_days() as u32))
    }

    fn metric(&self, text: &str) -> Result<Metric, String> {
        if let Some(metric) = parse_metric(text, &self.scenario.contributors) {
            return Ok(metric);
        }
        let hint = self
            .metric_names
            .iter()
            .map(|n| (strsim::jaro_winkler(n, text), n))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        Err(format!(
            "unknown metric `{text}`{hint} (allowed: {})",
            self.metric_names.join(", ")
        ))
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn value(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) if v.is_finite() => Err(format!("{text} is negative; a head count or a ratio is 0 or more")),
        _ => Err(format!(
            "`{text}` is not a number; write a plain number such as 1234 or 49.5 (a dot as the decimal mark, no \
             thousands separators)"
        )),
    }
}

/// One bin of a forecast: a value and how many trials had it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bin {
    key: i64,
    value: f64,
    count: u64,
    /// The bin holds exactly `value` (a head count below [`EXACT_LIMIT`]);
    /// otherwise it spans 0.1% around it.
    exact: bool,
}

/// The forecast distribution of one metric on one day, from its histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    bins: Vec<Bin>,
    trials: u64,
    ratio: bool,
}

impl Forecast {
    /// The distribution on report day `day` of a histogram of `trials` trials.
    pub fn from_histogram(histogram: &DayHistogram, day: usize, trials: u64, ratio: bool) -> Forecast {
        let bins = histogram
            .column(day)
            .map(|(key, count)| Bin {
                key,
                value: if ratio { float_value(key) } else { count_value(key) },
                count,
                exact: !ratio && key < i64::from(EXACT_LIMIT),
            })
            .collect();
        Forecast { bins, trials, ratio }
    }

    /// A forecast of whole-person values, one per trial (for tests).
    pub fn from_counts(values: &[u32]) -> Forecast {
        let mut histogram = HistogramRecorder::new(1);
        for &v in values {
            histogram.add(count_key(v), 0);
        }
        let histogram = histogram.finish();
        Forecast::from_histogram(&histogram, 0, values.len() as u64, false)
    }

    /// The bin key `y` falls in.
    fn key_of(&self, y: f64) -> i64 {
        if self.ratio {
            float_key(y)
        } else {
            count_key(y.round().clamp(0.0, f64::from(u32::MAX)) as u32)
        }
    }

    /// How a bin's values compare with `y` (whose key is `y_key`). A head
    /// count below 65,536 is compared exactly; a binned value equals `y`
    /// when both fall in the same 0.1% bin.
    fn order(bin: &Bin, y: f64, y_key: i64) -> std::cmp::Ordering {
        if bin.exact {
            bin.value.total_cmp(&y)
        } else {
            bin.key.cmp(&y_key)
        }
    }

    /// Trials below `y` and trials tied with it.
    fn below_and_tied(&self, y: f64) -> (u64, u64) {
        let y_key = self.key_of(y);
        let (mut below, mut tied) = (0, 0);
        for bin in &self.bins {
            match Forecast::order(bin, y, y_key) {
                std::cmp::Ordering::Less => below += bin.count,
                std::cmp::Ordering::Equal => tied += bin.count,
                std::cmp::Ordering::Greater => {}
            }
        }
        (below, tied)
    }

    /// Mid-rank percentile of `y`: `(count(X < y) + count(X = y) / 2) / trials`.
    pub fn pit(&self, y: f64) -> f64 {
        if self.trials == 0 {
            return f64::NAN;
        }
        let (below, tied) = self.below_and_tied(y);
        (below as f64 + 0.5 * tied as f64) / self.trials as f64
    }

    /// Share of trials with `low <= X <= high`: for a band whose edges are
    /// forecast percentiles, the probability the forecast itself gives to
    /// landing inside it (whole bins count for binned values, which are
    /// within 0.1%).
    pub fn mass_within(&self, low: f64, high: f64) -> f64 {
        if self.trials == 0 {
            return f64::NAN;
        }
        let (low_key, high_key) = (self.key_of(low), self.key_of(high));
        let inside: u64 = self
            .bins
            .iter()
            .filter(|bin| Forecast::order(bin, low, low_key).is_ge() && Forecast::order(bin, high, high_key).is_le())
            .map(|bin| bin.count)
            .sum();
        inside as f64 / self.trials as f64
    }

    /// CRPS of the empirical distribution at `y`: `E|X - y| - E|X - X'| / 2`,
    /// with `E|X - X'|` summed over ordered pairs of bins in one pass.
    pub fn crps(&self, y: f64) -> f64 {
        if self.trials == 0 {
            return f64::NAN;
        }
        let n = self.trials as f64;
        let (mut distance, mut spread) = (0.0, 0.0);
        // Trials and the sum of their values in the bins below the current one.
        let (mut count_below, mut sum_below) = (0.0, 0.0);
        for bin in &self.bins {
            let count = bin.count as f64;
            distance += count * (bin.value - y).abs();
            spread += count * (bin.value * count_below - sum_below);
            count_below += count;
            sum_below += count * bin.value;
        }
        // E|X - X'| = 2 * spread / n^2, halved.
        distance / n - spread / (n * n)
    }
}

/// The score of one observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub observation: Observation,
    /// Index into the model's metrics.
    pub metric_index: usize,
    pub percentiles: [f64; 5],
    pub pit: f64,
    pub in_50: bool,
    pub in_90: bool,
    /// The forecast's probability of the 50% band, `P(p25 <= X <= p75)`:
    /// 0.5, or more where trials tie at its edges.
    pub band_50_mass: f64,
    /// The same for the 90% band, `P(p5 <= X <= p95)`.
    pub band_90_mass: f64,
    pub crps: f64,
}

/// Averages over a group of scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Overall {
    pub n: usize,
    pub in_50: f64,
    pub in_90: f64,
    /// Mean `band_50_mass`: the share of observations a calibrated forecast
    /// puts in the 50% band (compare `in_50` with this, not with 0.5).
    pub band_50_mass: f64,
    /// Mean `band_90_mass`.
    pub band_90_mass: f64,
    pub mean_pit: f64,
    /// `None` when the group mixes metrics (CRPS is in each metric's units).
    pub mean_crps: Option<f64>,
}

impl Overall {
    pub fn of(scores: &[&Score]) -> Overall {
        let n = scores.len();
        let mean = |f: &dyn Fn(&Score) -> f64| {
            if n == 0 {
                f64::NAN
            } else {
                scores.iter().map(|s| f(s)).sum::<f64>() / n as f64
            }
        };
        let one_metric = scores.windows(2).all(|w| w[0].metric_index == w[1].metric_index);
        Overall {
            n,
            in_50: mean(&|s| f64::from(u8::from(s.in_50))),
            in_90: mean(&|s| f64::from(u8::from(s.in_90))),
            band_50_mass: mean(&|s| s.band_50_mass),
            band_90_mass: mean(&|s| s.band_90_mass),
            mean_pit: mean(&|s| s.pit),
            mean_crps: one_metric.then(|| mean(&|s| s.crps)),
        }
    }
}

/// The report days for a backtest: the distinct observed days, with day 0
/// and the horizon (the model, like every run, starts and ends its report
/// days there), ascending.
pub fn report_days(observations: &[Observation], horizon: u32) -> Vec<u32> {
    let mut days: Vec<u32> = observations.iter().map(|o| o.day).collect();
    days.extend([0, horizon]);
    days.sort_unstable();
    days.dedup();
    days
}

/// Scores every observation against the forecast of a model whose report
/// days are [`report_days`] of these observations. Sorted by metric (in the
/// model's order), then date.
pub fn score(model: &Model, aggregates: &Aggregates, observations: &[Observation]) -> Vec<Score> {
    let mut scores: Vec<Score> = observations
        .iter()
        .filter_map(|o| {
            let r = model.report_days.binary_search(&o.day).ok()?;
            let m = model.metrics.iter().position(|&metric| metric == o.metric)?;
            Some(score_one(model, aggregates, o, r, m))
        })
        .collect();
    scores.sort_by_key(|s| (s.metric_index, s.observation.day, s.observation.line));
    scores
}

fn score_one(model: &Model, aggregates: &Aggregates, observation: &Observation, r: usize, m: usize) -> Score {
    let histogram = &aggregates.metrics[m];
    let trials = aggregates.trials;
    let ratio = model.metrics[m].is_ratio();
    let percentiles = if ratio {
        let nth = model.metrics[..m].iter().filter(|x| x.is_ratio()).count();
        ratio_stats(histogram, aggregates.ratio_sums[nth][r], r, trials).percentiles
    } else {
        count_stats(histogram, r, trials).percentiles
    };
    let forecast = Forecast::from_histogram(histogram, r, trials, ratio);
    let y = observation.value;
    let [p5, p25, _, p75, p95] = percentiles;
    Score {
        observation: observation.clone(),
        metric_index: m,
        percentiles,
        pit: forecast.pit(y),
        in_50: p25 <= y && y <= p75,
        in_90: p5 <= y && y <= p95,
        band_50_mass: forecast.mass_within(p25, p75),
        band_90_mass: forecast.mass_within(p5, p95),
        crps: forecast.crps(y),
    }
}

/// The groups of the overall rows: each metric with observations (model
/// order), then all of them, each with its label.
pub fn groups<'a>(scenario: &Scenario, model: &Model, scores: &'a [Score]) -> Vec<(String, Vec<&'a Score>)> {
    let mut groups: Vec<(String, Vec<&Score>)> = Vec::new();
    for (m, metric) in model.metrics.iter().enumerate() {
        let members: Vec<&Score> = scores.iter().filter(|s| s.metric_index == m).collect();
        if !members.is_empty() {
            groups.push((metric.name(scenario), members));
        }
    }
    groups.push(("all".to_string(), scores.iter().collect()));
    groups
}

/// The bytes of `backtest.csv`.
pub fn render(scenario: &Scenario, model: &Model, scores: &[Score]) -> Vec<u8> {
    let mut rows = Vec::new();
    for s in scores {
        let o = &s.observation;
        let decimals = if o.metric.is_ratio() { 4 } else { 0 };
        let mut row = vec![
            "observation".to_string(),
            o.date.format("%Y-%m-%d").to_string(),
            o.day.to_string(),
            cell_text(&o.metric.name(scenario)),
            "1".to_string(),
            number(o.value, 6),
        ];
        row.extend(s.percentiles.iter().map(|p| number(*p, decimals)));
        row.push(number(s.pit, 4));
        row.push(u8::from(s.in_50).to_string());
        row.push(u8::from(s.in_90).to_string());
        row.push(number(s.band_50_mass, 4));
        row.push(number(s.band_90_mass, 4));
        row.push(number(s.crps, 4));
        rows.push(row);
    }
    for (label, members) in groups(scenario, model, scores) {
        let overall = Overall::of(&members);
        let mut row = vec!["overall".to_string(), String::new(), String::new(), cell_text(&label)];
        row.push(overall.n.to_string());
        row.extend(std::iter::repeat_n(String::new(), 6));
        row.push(number(overall.mean_pit, 4));
        row.push(number(overall.in_50, 4));
        row.push(number(overall.in_90, 4));
        row.push(number(overall.band_50_mass, 4));
        row.push(number(overall.band_90_mass, 4));
        row.push(overall.mean_crps.map(|c| number(c, 4)).unwrap_or_default());
        rows.push(row);
    }
    csv_bytes(&HEADER, rows)
}

/// What a backtest was run on, for `backtest_info.csv`.
struct Provenance<'a> {
    scenario: &'a Scenario,
    observed_file: &'a Path,
    observed_bytes: &'a [u8],
    observations: usize,
    trials: u64,
}

fn render_info(p: &Provenance) -> Vec<u8> {
    let header = [
        "scenario",
        "scenario_sha256",
        "observed_file",
        "observed_sha256",
        "observations",
        "seed",
        "trials",
        "forcegen_version",
        "generator",
        "start",
        "horizon_days",
    ];
    let simulation = &p.scenario.simulation;
    let row = vec![
        cell_text(&p.scenario.name),
        sha256_hex(&p.scenario.source),
        cell_text(&p.observed_file.display().to_string()),
        sha256_bytes(p.observed_bytes),
        p.observations.to_string(),
        simulation.seed.to_string(),
        p.trials.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        GENERATOR_NAME.to_string(),
        simulation.start.format("%Y-%m-%d").to_string(),
        simulation.horizon_days.to_string(),
    ];
    csv_bytes(&header, vec![row])
}

fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Refuses, unless `force`, to replace backtest files in `dir` written for
/// another scenario (judged by `backtest_info.csv`), or not by forcegen:
/// the owner check every command's files get.
pub fn check_owner(dir: &Path, sha256: &str, force: bool) -> Result<(), OutputError> {
    output::check_owner_of(dir, &[FILE, INFO_FILE], INFO_FILE, sha256, force)
}

/// What `backtest` was asked to do, free of clap.
#[derive(Debug, Clone, Default)]
pub struct BacktestRequest {
    pub scenario: PathBuf,
    pub observed: PathBuf,
    pub out: Option<PathBuf>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub quiet: bool,
    pub force: bool,
}

/// `output/<scenario file stem>-backtest/`.
pub fn default_out_dir(scenario: &Path) -> PathBuf {
    app::suffixed_out_dir(Some(scenario), "backtest")
}

/// `forcegen backtest`: checks everything, simulates, scores, writes
/// `backtest.csv` and `backtest_info.csv` atomically, prints a summary.
pub fn run(request: &BacktestRequest) -> Result<(), Failure> {
    crate::interrupt::install();
    let mut scenario = app::load_scenario(Some(&request.scenario), &[])?;
    app::apply_overrides(&mut scenario, request.trials, request.seed)?;
    let (observations, bytes) =
        read_observations(&request.observed, &scenario).map_err(|e| Failure::Usage(e.to_string()))?;
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&request.scenario));
    let created = !out.exists();
    output::prepare_dir(&out)?;
    let result = simulate_and_write(&scenario, &observations, &bytes, &out, request);
    if result.is_err() && created {
        // Leave no empty folder behind (fails harmlessly if anything is in it).
        let _ = fs::remove_dir(&out);
    }
    result
}

fn simulate_and_write(
    scenario: &Scenario,
    observations: &[Observation],
    bytes: &[u8],
    out: &Path,
    request: &BacktestRequest,
) -> Result<(), Failure> {
    let sha256 = sha256_hex(&scenario.source);
    check_owner(out, &sha256, request.force)?;
    let mut model = Model::new(scenario);
    model.report_days = report_days(observations, model.horizon);
    let started = Instant::now();
    let engine_request = RunRequest {
        threads: request.threads,
        quiet: request.quiet,
        ..RunRequest::default()
    };
    let aggregates = app::simulate(&model, 0..scenario.simulation.trials, &engine_request)?;
    let elapsed = started.elapsed();
    let scores = score(&model, &aggregates, observations);
    let provenance = Provenance {
        scenario,
        observed_file: &request.observed,
        observed_bytes: bytes,
        observations: scores.len(),
        trials: aggregates.trials,
    };
    let files = [
        (FILE, render(scenario, &model, &scores)),
        (INFO_FILE, render_info(&provenance)),
    ];
    if crate::interrupt::requested() {
        return Err(Failure::Engine(crate::engine::EngineError::Cancelled));
    }
    check_owner(out, &sha256, request.force)?;
    output::write_atomically(out, &files)?;
    if !request.quiet {
        print_summary(scenario, &model, &scores, out, aggregates.trials, elapsed);
    }
    Ok(())
}

fn print_summary(scenario: &Scenario, model: &Model, scores: &[Score], out: &Path, trials: u64, elapsed: Duration) {
    println!(
        "{}: backtest of {} observations against {trials} trials (seed {}) in {:.2} s; results in {}",
        scenario.name,
        scores.len(),
        scenario.simulation.seed,
        elapsed.as_secs_f64(),
        out.display()
    );
    let groups = groups(scenario, model, scores);
    let width = groups.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0);
    let line = |cells: [&str; 8]| {
        let [label, n, in_50, expect_50, in_90, expect_90, pit, crps] = cells;
        let text = format!(
            "  {label:width$}  {n:>5}  {in_50:>12}  {expect_50:>8}  {in_90:>12}  {expect_90:>8}  {pit:>8}  {crps:>9}"
        );
        println!("{}", text.trim_end());
    };
    line([
        "metric",
        "n",
        "in 50% band",
        "expected",
        "in 90% band",
        "expected",
        "mean PIT",
        "mean CRPS",
    ]);
    let percent = |share: f64| format!("{:.0}%", 100.0 * share);
    for (label, members) in &groups {
        let o = Overall::of(members);
        let hits = |share: f64| {
            let k = (share * o.n as f64).round();
            format!("{k}/{} ({})", o.n, percent(share))
        };
        let crps = o.mean_crps.map(|c| number(c, 2)).unwrap_or_default();
        let pit = format!("{:.3}", o.mean_pit);
        line([
            label,
            &o.n.to_string(),
            &hits(o.in_50),
            &percent(o.band_50_mass),
            &hits(o.in_90),
            &percent(o.band_90_mass),
            &pit,
            &crps,
        ]);
    }
    println!(
        "  expected: the coverage of a calibrated forecast (over 50% and 90% where many trials tie at a band edge)."
    );
    if scores.len() < 20 {
        println!(
            "  Few observations: band shares and mean PIT can be far from the expected shares and 0.5 by chance alone."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;

    /// Brute force over every pair: `mean|x - y| - mean|x - x'| / 2`.
    fn crps_brute(xs: &[u32], y: f64) -> f64 {
        let n = xs.len() as f64;
        let first: f64 = xs.iter().map(|&x| (f64::from(x) - y).abs()).sum::<f64>() / n;
        let mut pairs = 0.0;
        for &a in xs {
            for &b in xs {
                pairs += (f64::from(a) - f64::from(b)).abs();
            }
        }
        first - pairs / (2.0 * n * n)
    }

    #[test]
    fn crps_matches_brute_force() {
        let samples: [&[u32]; 4] = [
            &[3, 5, 5, 9, 12],
            &[7],
            &[0, 0, 0, 100],
            &[10, 11, 12, 13, 14, 15, 400, 2],
        ];
        for xs in samples {
            let forecast = Forecast::from_counts(xs);
            for y in [0.0, 4.0, 5.0, 7.5, 12.0, 20.0, 1000.0] {
                let (got, want) = (forecast.crps(y), crps_brute(xs, y));
                assert!((got - want).abs() < 1e-9, "{xs:?} at {y}: {got} vs {want}");
            }
        }
        // A point forecast scores the absolute error.
        assert!((Forecast::from_counts(&[7, 7, 7]).crps(10.0) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn pit_is_the_mid_rank() {
        let forecast = Forecast::from_counts(&[1, 2, 2, 3, 4]);
        assert_eq!(forecast.pit(0.0), 0.0);
        assert_eq!(forecast.pit(2.0), (1.0 + 0.5 * 2.0) / 5.0);
        assert_eq!(forecast.pit(2.5), 3.0 / 5.0);
        assert_eq!(forecast.pit(9.0), 1.0);
        // All tied: exactly the middle.
        assert_eq!(Forecast::from_counts(&[0, 0, 0, 0]).pit(0.0), 0.5);
    }

    #[test]
    fn band_mass_counts_the_trials_inside_including_ties_at_the_edges() {
        // 0 in 8 of 10 trials: p5 = p25 = p75 = 0, so the 50% band holds 80%.
        let tied = Forecast::from_counts(&[0, 0, 0, 0, 0, 0, 0, 0, 40, 90]);
        assert_eq!(tied.mass_within(0.0, 0.0), 0.8);
        assert_eq!(tied.mass_within(0.0, 40.0), 0.9);
        assert_eq!(tied.mass_within(1.0, 89.0), 0.1);
        assert_eq!(tied.mass_within(91.0, 100.0), 0.0);
        // Without ties a band between two percentiles holds what they span.
        let spread: Vec<u32> = (1..=100).collect();
        assert_eq!(Forecast::from_counts(&spread).mass_within(25.0, 75.0), 0.51);
        // Binned values count whole bins: 100,000 and 100,001 share one.
        let large = Forecast::from_counts(&[100_000, 100_001, 200_000]);
        assert!((large.mass_within(100_000.0, 100_000.0) - 2.0 / 3.0).abs() < 1e-12);
        assert!(Forecast::from_counts(&[]).mass_within(0.0, 1.0).is_nan());
    }

    #[test]
    fn large_counts_tie_within_their_bin() {
        let forecast = Forecast::from_counts(&[100_000, 100_001, 200_000]);
        // 100,000 and 100,001 share a 0.1% bin: an observation there ties with both.
        assert!((forecast.pit(100_000.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(forecast.pit(150_000.0), 2.0 / 3.0);
    }

    const SCENARIO: &str = "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 90\n\
        [population]\ninitial = 1000\n[[contributors]]\nname = \"Kenya\"\ndeployed = 10\n";

    fn read(text: &str) -> Result<Vec<Observation>, ObservedError> {
        let scenario = parse_str(SCENARIO, "t.toml").expect("valid scenario");
        read_observations_from(text.as_bytes(), "obs.csv", &scenario)
    }

    fn first_problem(text: &str) -> String {
        let error = read(text).expect_err("should fail");
        error.to_string().lines().next().unwrap_or_default().to_string()
    }

    #[test]
    fn reads_a_good_file_with_comments_and_extra_columns() {
        let text = "# illustrative\ndate,metric,value,source\n2025-01-01,international,10,x\n\
                    2025-03-31, contributor:Kenya ,9.5,\n";
        let observations = read(text).expect("valid");
        assert_eq!(observations.len(), 2);
        assert_eq!(observations[0].line, 3);
        assert_eq!(observations[1].day, 89);
        assert_eq!(observations[1].metric, Metric::Contributor(0));
        assert_eq!(observations[1].value, 9.5);
        // Columns in another order, and an Excel byte-order mark.
        let reordered = read("\u{feff}Value,Date,Metric\n3,2025-02-01,police\n").expect("valid");
        assert_eq!(reordered[0].metric, Metric::Police);
    }

    #[test]
    fn bad_rows_name_file_line_column_and_what_is_allowed() {
        for (text, expect) in [
            ("", "obs.csv:1:1: the file is empty"),
            ("date,metric,value\n", "obs.csv:2:1: there are no observations"),
            (
                "2025-01-01,international,10\n",
                "obs.csv:1:1: the header row is missing",
            ),
            ("date,metrc,value\n", "(`metrc`: did you mean `metric`?)"),
            (
                "date,metric,value\n2024-12-31,international,1\n",
                "obs.csv:2:1: column `date`: 2024-12-31 is before the start",
            ),
            (
                "date,metric,value\n2025-04-02,international,1\n",
                "obs.csv:2:1: column `date`: 2025-04-02 is after the horizon; observations must lie from the \
                 start, 2025-01-01 (simulation.start), to the horizon, 2025-04-01",
            ),
            (
                "date,metric,value\n31/01/2025,international,1\n",
                "not a date; write dates as YYYY-MM-DD",
            ),
            (
                "date,metric,value\n2025-01-05,internatonal,1\n",
                "obs.csv:2:2: column `metric`: unknown metric `internatonal`; did you mean `international`?",
            ),
            (
                "date,metric,value\n2025-01-05,contributor:Kenia,1\n",
                "did you mean `contributor:Kenya`?",
            ),
            (
                "date,metric,value\n2025-01-05,police,\"1,200\"\n",
                "obs.csv:2:3: column `value`: `1,200` is not a number",
            ),
            ("date,metric,value\n2025-01-05,police,-3\n", "is negative"),
            (
                "date,metric,value\n2025-01-05,police\n",
                "obs.csv:2:3: column `value`: is missing",
            ),
        ] {
            let message = first_problem(text);
            assert!(
                message.contains(expect),
                "{text:?}:\n{message}\nshould contain\n{expect}"
            );
        }
    }

    #[test]
    fn every_bad_row_is_reported() {
        let text = "date,metric,value\n2025-01-05,x,1\n2025-01-06,police,y\n2025-01-07,police,1\n";
        let error = read(text).expect_err("two bad rows");
        let lines: Vec<u64> = error.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3]);
    }

    #[test]
    fn a_file_of_nothing_but_bad_rows_stops_early_and_lists_twenty() {
        let text = format!("date,metric,value\n{}", "2025-01-05,x,1\n".repeat(5000));
        let error = read(&text).expect_err("all bad");
        assert_eq!(error.problems.len(), MAX_PROBLEMS + 1);
        let message = error.to_string();
        assert_eq!(message.lines().count(), SHOWN_PROBLEMS + 1);
        assert!(message.ends_with("obs.csv: ... and 981 more problems"), "{message}");
    }

    #[test]
    fn report_days_are_the_observed_days_and_the_horizon() {
        let observations =
            read("date,metric,value\n2025-02-01,police,1\n2025-01-05,police,2\n2025-02-01,host_police,3\n")
                .expect("valid");
        assert_eq!(report_days(&observations, 90), vec![0, 4, 31, 90]);
    }

    #[test]
    fn bands_and_overall_rows() {
        let scenario = parse_str(SCENARIO, "t.toml").expect("valid scenario");
        let mut model = Model::new(&scenario);
        let observations =
            read("date,metric,value\n2025-01-11,contributor:Kenya,10\n2025-01-11,international,3\n").expect("valid");
        model.report_days = report_days(&observations, model.horizon);
        let progress = crate::engine::Progress::default();
        let aggregates = crate::engine::run(&model, 0..50, 1, &progress).expect("runs");
        let scores = score(&model, &aggregates, &observations);
        // No attrition: Kenya is exactly 10 on every day; 3 is far below.
        assert_eq!(scores[0].observation.metric, Metric::International);
        assert!(!scores[0].in_50 && !scores[0].in_90);
        assert_eq!((scores[0].pit, scores[0].crps), (0.0, 7.0));
        assert!(scores[1].in_50 && scores[1].in_90);
        assert_eq!((scores[1].pit, scores[1].crps), (0.5, 0.0));
        let text = String::from_utf8(render(&scenario, &model, &scores)).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        // Every trial ties at 10: both bands hold all of them.
        assert_eq!(
            lines[1],
            "observation,2025-01-11,10,international,1,3,10,10,10,10,10,0,0,0,1,1,7"
        );
        assert_eq!(lines[3], "overall,,,international,1,,,,,,,0,0,0,1,1,7");
        assert_eq!(lines[5], "overall,,,all,2,,,,,,,0.25,0.5,0.5,1,1,");
    }
}
