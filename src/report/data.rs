//! The CSV files of a run, parsed back into what the report shows. Every
//! value the charts use is checked (dates within chrono's and the
//! scenarios' range, days within the horizon, finite numbers), so that a
//! damaged or edited file gives an error naming the file, line and column
//! instead of a panic or a chart plotters cannot finish.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::ReportError;
use crate::model::MAX_MONTHS_OF_COVER;
use crate::output::schema;
use crate::scenario::shown::number;
use crate::scenario::{LAST_DATE, MAX_CSV_ROWS, MAX_HEAD_COUNT, MAX_HORIZON_DAYS, MIN_POPULATION};

/// The largest threshold a target may have (`at_least`, as the scenario
/// reader allows).
const MAX_AT_LEAST: f64 = 1e12;

/// Largest CSV file `forcegen report` reads, in bytes: room for the most
/// rows a file may have ([`MAX_CSV_ROWS`]) at 1,000 bytes a row.
pub const MAX_CSV_BYTES: u64 = 1 << 30;
/// Most characters of a cell quoted in an error message.
const QUOTED_CHARS: usize = 40;

/// A parsed CSV file: its header and its rows, as text.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The line each row starts on in its file (for messages; may be empty
    /// for a table not read from a file).
    pub lines: Vec<u64>,
}

impl Table {
    /// Parses a CSV file of at most [`MAX_CSV_ROWS`] rows.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Table, ReportError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
        let error = |e: csv::Error| ReportError::Csv {
            file: file.to_string(),
            message: e.to_string(),
        };
        let header = reader.headers().map_err(error)?.iter().map(str::to_string).collect();
        let (mut rows, mut lines) = (Vec::new(), Vec::new());
        for record in reader.records() {
            let record = record.map_err(error)?;
            if rows.len() as u64 >= MAX_CSV_ROWS {
                return Err(ReportError::Csv {
                    file: file.to_string(),
                    message: format!("more than {MAX_CSV_ROWS} rows, the limit (see docs/reliability.md, Size limits)"),
                });
            }
            lines.push(record.position().map_or(0, |p| p.line()));
            rows.push(record.iter().map(str::to_string).collect());
        }
        Ok(Table { header, rows, lines })
    }

    /// The index of column `name`, or an error naming the file.
    pub(super) fn column(&self, file: &str, name: &str) -> Result<usize, ReportError> {
        debug_assert!(
            schema::run_columns(file).is_some_and(|columns| columns.contains(&name)),
            "{file} has no column {name} in output/schema.rs"
        );
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReportError::Csv {
                file: file.to_string(),
                message: format!("no column \"{name}\""),
            })
    }

    /// An error in row `row`, column `name`.
    pub(super) fn error(&self, file: &str, row: usize, name: &str, message: String) -> ReportError {
        let line = self.lines.get(row).map_or_else(String::new, |l| format!("line {l}, "));
        ReportError::Csv {
            file: file.to_string(),
            message: format!("{line}column \"{name}\": {message}"),
        }
    }

    /// The number in row `row`, column `col` (named `name`): finite and at
    /// least `low`.
    pub(super) fn number(
        &self,
        file: &str,
        row: usize,
        (col, name): (usize, &str),
        low: f64,
    ) -> Result<f64, ReportError> {
        let text = &self.rows[row][col];
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() && value >= low => Ok(value),
            Ok(value) if value.is_finite() => {
                let message = format!("{} is below {low}, which no run writes", quoted(text));
                Err(self.error(file, row, name, message))
            }
            _ => Err(self.error(file, row, name, format!("{} is not a finite number", quoted(text)))),
        }
    }

    /// The number in row `row`, column `col` (named `name`): finite, from
    /// `low` to `high`.
    pub(super) fn bounded(
        &self,
        file: &str,
        row: usize,
        (col, name): (usize, &str),
        low: f64,
        high: f64,
    ) -> Result<f64, ReportError> {
        let value = self.number(file, row, (col, name), low)?;
        if value > high {
            let message = format!(
                "{} is above {}, the most a run writes there",
                quoted(&self.rows[row][col]),
                // Six significant digits: 4303360000, 120.234.
                number(format!("{high:.5e}").parse().unwrap_or(high))
            );
            return Err(self.error(file, row, name, message));
        }
        Ok(value)
    }

    /// [`Table::bounded`], or `None` for an empty cell (a value a run
    /// leaves out).
    pub(super) fn optional(
        &self,
        file: &str,
        row: usize,
        column: (usize, &str),
        low: f64,
        high: f64,
    ) -> Result<Option<f64>, ReportError> {
        match self.rows[row][column.0].is_empty() {
            true => Ok(None),
            false => self.bounded(file, row, column, low, high).map(Some),
        }
    }

    /// The report day in row `row`, column `col`: a whole number from 0 to `horizon`.
    fn day(&self, file: &str, row: usize, col: usize, horizon: u32) -> Result<i32, ReportError> {
        let value = self.number(file, row, (col, "day"), 0.0)?;
        if value.fract() != 0.0 || value > f64::from(horizon) {
            let text = quoted(&self.rows[row][col]);
            let message = format!("{text} is not a day from 0 to the horizon, {horizon} (run_info.csv)");
            return Err(self.error(file, row, "day", message));
        }
        Ok(value as i32)
    }
}

/// `text` in quotes, cut short if long.
pub(super) fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("\"{}...\"", text[..end].escape_debug()),
        None => format!("\"{}\"", text.escape_debug()),
    }
}

/// The index of the last of `days` (ascending report days) on or before `day`.
pub fn last_on_or_before(days: &[i32], day: i32) -> Option<usize> {
    days.iter().rposition(|&d| d <= day)
}

/// One metric of `timeseries.csv`, by report date.
#[derive(Debug, Clone)]
pub struct Series {
    pub metric: String,
    /// Report day of each point.
    pub days: Vec<i32>,
    pub mean: Vec<f64>,
    /// The five percentiles of [`RunData::bands`] of each point (by
    /// default p5, p25, p50, p75, p95).
    pub percentiles: Vec<[f64; 5]>,
}

/// One target of `targets.csv`: the share of trials that reached it by day.
#[derive(Debug, Clone)]
pub struct TargetSeries {
    pub name: String,
    pub days: Vec<i32>,
    pub p_reached: Vec<f64>,
}

/// Everything the report shows, from the five CSV files.
#[derive(Debug, Clone)]
pub struct RunData {
    /// `run_info.csv`: column name and value.
    pub info: Vec<(String, String)>,
    pub start: NaiveDate,
    pub horizon_days: u32,
    pub series: Vec<Series>,
    /// Which percentiles of `timeseries.csv` the series hold.
    pub bands: Bands,
    pub targets: Vec<TargetSeries>,
    pub summary: Table,
    pub contributors: Table,
}

/// Groups rows by name in first-seen order: the index of `name`'s group in
/// `groups`, made with `new` when it is not there yet.
fn group<T>(index: &mut HashMap<String, usize>, groups: &mut Vec<T>, name: &str, new: impl FnOnce() -> T) -> usize {
    if let Some(&i) = index.get(name) {
        return i;
    }
    groups.push(new());
    index.insert(name.to_string(), groups.len() - 1);
    groups.len() - 1
}

/// Which percentiles of `timeseries.csv` the five values of a [`Series`]
/// are: the outer band's low end, the inner band's, the median, the inner
/// band's high end and the outer's. By default 5, 25, 50, 75, 95; with
/// `run --percentiles`, the outermost pair and the pair nearest 25 and 75
/// inside it (the outer pair again when there is only one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bands(pub [u32; 5]);

impl Default for Bands {
    fn default() -> Bands {
        Bands([5, 25, 50, 75, 95])
    }
}

impl Bands {
    /// The bands of the percentiles `percents` (ascending); `None` without 50.
    pub fn choose(percents: &[u32]) -> Option<Bands> {
        percents.contains(&50).then_some(())?;
        let lows: Vec<u32> = percents.iter().copied().filter(|&p| p < 50).collect();
        let highs: Vec<u32> = percents.iter().copied().filter(|&p| p > 50).collect();
        let (outer_low, outer_high) = (lows.first().copied().unwrap_or(50), highs.last().copied().unwrap_or(50));
        let nearest = |side: &[u32], outer: u32, to: u32| {
            let inside: Vec<u32> = side
                .iter()
                .copied()
                .filter(|&p| p != outer || side.len() == 1)
                .collect();
            inside.into_iter().min_by_key(|p| p.abs_diff(to)).unwrap_or(outer)
        };
        Some(Bands([
            outer_low,
            nearest(&lows, outer_low, 25),
            50,
            nearest(&highs, outer_high, 75),
            outer_high,
        ]))
    }

    /// "90% of trials": the share the outer band holds.
    pub fn outer(&self) -> String {
        format!("{}% of trials", self.0[4] - self.0[0])
    }

    /// "90% of trials (p5 to p95)".
    pub fn outer_named(&self) -> String {
        format!("{} (p{} to p{})", self.outer(), self.0[0], self.0[4])
    }

    /// "50% of trials (p25 to p75)".
    pub fn inner_named(&self) -> String {
        format!(
            "{}% of trials (p{} to p{})",
            self.0[3] - self.0[1],
            self.0[1],
            self.0[3]
        )
    }
}

/// The percentile columns of `timeseries.csv` (`p5`, ...): their percents
/// and columns, in ascending order of percent.
fn percentile_columns(timeseries: &Table) -> Vec<(u32, usize)> {
    let mut columns: Vec<(u32, usize)> = timeseries
        .header
        .iter()
        .enumerate()
        .filter(|(_, h)| crate::output::wide::is_percentile(h))
        .filter_map(|(c, h)| Some((h[1..].parse::<u32>().ok().filter(|p| *p <= 100)?, c)))
        .collect();
    columns.sort_unstable();
    columns
}

/// `timeseries.csv` grouped by metric, in first-seen order, and which of
/// its percentiles the series hold.
fn metric_series(timeseries: &Table, horizon_days: u32) -> Result<(Vec<Series>, Bands), ReportError> {
    let file = schema::TIMESERIES;
    let day_col = timeseries.column(file, "day")?;
    let metric_col = timeseries.column(file, "metric")?;
    let mean_col = timeseries.column(file, "mean")?;
    let sd_col = timeseries.column(file, "sd")?;
    let columns = percentile_columns(timeseries);
    let percents: Vec<u32> = columns.iter().map(|&(p, _)| p).collect();
    let bands = Bands::choose(&percents).ok_or_else(|| ReportError::Csv {
        file: file.to_string(),
        message: "no column \"p50\" (the median every chart draws)".to_string(),
    })?;
    let p_cols: Vec<(usize, &str)> = bands
        .0
        .iter()
        .map(|p| {
            let c = columns.iter().find(|(q, _)| q == p).map_or(0, |&(_, c)| c);
            (c, timeseries.header[c].as_str())
        })
        .collect();
    let mut series: Vec<Series> = Vec::new();
    let mut index = HashMap::new();
    for (r, row) in timeseries.rows.iter().enumerate() {
        let metric = &row[metric_col];
        let i = group(&mut index, &mut series, metric, || Series {
            metric: metric.clone(),
            days: Vec::new(),
            mean: Vec::new(),
            percentiles: Vec::new(),
        });
        let s = &mut series[i];
        let top = largest_value(metric);
        s.days.push(timeseries.day(file, r, day_col, horizon_days)?);
        s.mean.push(timeseries.bounded(file, r, (mean_col, "mean"), 0.0, top)?);
        timeseries.bounded(file, r, (sd_col, "sd"), 0.0, top)?;
        let mut p = [0.0; 5];
        for (slot, &col) in p.iter_mut().zip(&p_cols) {
            *slot = timeseries.bounded(file, r, col, 0.0, top)?;
        }
        s.percentiles.push(p);
    }
    Ok((series, bands))
}

/// `targets.csv` grouped by target, in first-seen order; every
/// `p_reached` a share from 0 to 1.
fn target_series(targets_table: &Table, horizon_days: u32) -> Result<Vec<TargetSeries>, ReportError> {
    let file = schema::TARGETS;
    let (name_col, day_col, p_col) = (
        targets_table.column(file, "target")?,
        targets_table.column(file, "day")?,
        targets_table.column(file, "p_reached")?,
    );
    let mut targets: Vec<TargetSeries> = Vec::new();
    let mut index = HashMap::new();
    for (r, row) in targets_table.rows.iter().enumerate() {
        let name = &row[name_col];
        let i = group(&mut index, &mut targets, name, || TargetSeries {
            name: name.clone(),
            days: Vec::new(),
            p_reached: Vec::new(),
        });
        let day = targets_table.day(file, r, day_col, horizon_days)?;
        let p = targets_table.number(file, r, (p_col, "p_reached"), 0.0)?;
        if p > 1.0 {
            let message = format!("{} is not a share from 0 to 1", quoted(&row[p_col]));
            return Err(targets_table.error(file, r, "p_reached", message));
        }
        targets[i].days.push(day);
        targets[i].p_reached.push(p);
    }
    Ok(targets)
}

impl RunData {
    /// Parses the five CSV files (name and bytes; any order).
    pub fn parse(files: &[(&str, Vec<u8>)]) -> Result<RunData, ReportError> {
        let table = |name: &str| -> Result<Table, ReportError> {
            let (_, bytes) = files.iter().find(|(n, _)| *n == name).ok_or_else(|| ReportError::Csv {
                file: name.to_string(),
                message: "missing".to_string(),
            })?;
            Table::parse(name, bytes)
        };
        let run_info = table(schema::RUN_INFO)?;
        let values = run_info.rows.first().ok_or_else(|| ReportError::Csv {
            file: schema::RUN_INFO.to_string(),
            message: "no data row".to_string(),
        })?;
        let info: Vec<(String, String)> = run_info.header.iter().cloned().zip(values.iter().cloned()).collect();
        let (start, horizon_days) = dates(&info)?;
        let (series, bands) = metric_series(&table(schema::TIMESERIES)?, horizon_days)?;
        let targets = target_series(&table(schema::TARGETS)?, horizon_days)?;
        let summary = table(schema::SUMMARY)?;
        check_summary(&summary)?;
        Ok(RunData {
            info,
            start,
            horizon_days,
            series,
            bands,
            targets,
            summary,
            contributors: table(schema::CONTRIBUTORS)?,
        })
    }

    /// A `run_info.csv` value, or "" if the column is missing.
    pub fn info(&self, key: &str) -> &str {
        self.info
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The series of a metric, if the run reported it.
    pub fn series(&self, metric: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.metric == metric)
    }

    /// The `contributor:NAME` series, in file order.
    pub fn contributor_series(&self) -> Vec<&Series> {
        self.series
            .iter()
            .filter(|s| s.metric.trim_start_matches('\'').starts_with("contributor:"))
            .collect()
    }

    /// Targets on `metric` from `summary.csv`: name and threshold.
    pub fn targets_on(&self, metric: &str) -> Vec<(String, f64)> {
        let (Ok(t), Ok(m), Ok(a)) = (
            self.summary.column(schema::SUMMARY, "target"),
            self.summary.column(schema::SUMMARY, "metric"),
            self.summary.column(schema::SUMMARY, "at_least"),
        ) else {
            return Vec::new();
        };
        self.summary
            .rows
            .iter()
            .filter(|row| row[m] == metric)
            .filter_map(|row| row[a].parse::<f64>().ok().map(|v| (row[t].clone(), v)))
            .filter(|(_, v)| v.is_finite())
            .collect()
    }

    /// `p_reached_by_horizon` of a target from `summary.csv`.
    pub fn p_by_horizon(&self, target: &str) -> Option<f64> {
        self.p_by_horizon_all().get(target).copied()
    }

    /// `p_reached_by_horizon` of every target from `summary.csv` (the first
    /// row of each name; finite numbers only).
    pub fn p_by_horizon_all(&self) -> HashMap<&str, f64> {
        let (Ok(t), Ok(p)) = (
            self.summary.column(schema::SUMMARY, "target"),
            self.summary.column(schema::SUMMARY, "p_reached_by_horizon"),
        ) else {
            return HashMap::new();
        };
        let mut shares = HashMap::new();
        for row in &self.summary.rows {
            let share = row[p].parse::<f64>().ok().filter(|v| v.is_finite());
            shares.entry(row[t].as_str()).or_insert(share);
        }
        shares
            .into_iter()
            .filter_map(|(name, share)| Some((name, share?)))
            .collect()
    }

    /// The date of report day `day` (the last date chrono holds if past it).
    pub fn date_of(&self, day: i32) -> NaiveDate {
        self.start
            .checked_add_days(chrono::Days::new(day.max(0) as u64))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// The most a run writes for a metric of `timeseries.csv`, with room for
/// the bins large values share (under 0.1% wide): head counts stay below
/// 2^32, the ratios are head counts over a population of at least
/// [`MIN_POPULATION`], months of cover stop at [`MAX_MONTHS_OF_COVER`], and
/// money (USD) stays far below [`LARGEST_MONEY`]. Past these a value was
/// edited (1e308 made axis labels of 309 digits).
pub fn largest_value(metric: &str) -> f64 {
    const ROOM: f64 = 1.0 + 1.0 / 512.0;
    let heads = MAX_HEAD_COUNT as f64 * ROOM;
    match metric {
        "months_of_cover" => MAX_MONTHS_OF_COVER * ROOM,
        "police_per_100k" | "police_per_100k_payroll" | "police_per_100k_available" => heads * 1e5 / MIN_POPULATION,
        "security_per_1000" => heads * 1e3 / MIN_POPULATION,
        "fund_balance" | "monthly_cost" | "funding_gap" => LARGEST_MONEY,
        _ => heads,
    }
}

/// An amount of USD no run reaches: every cost and payment is at most
/// 10^15, times at most 2^32 people, 1,200 months or a few hundred
/// thousand payments (a 10 MiB scenario), below 10^28.
pub const LARGEST_MONEY: f64 = 1e30;

/// `summary.csv`: each target's threshold (empty for a share of the
/// ceiling, whose line moves) from 0 to 10^12, as a scenario allows; its
/// share from 0 to 1 and that share's standard error from 0 to 0.5; its
/// dates empty (not reached often enough) or dates.
fn check_summary(summary: &Table) -> Result<(), ReportError> {
    let file = schema::SUMMARY;
    let column = |name: &'static str| summary.column(file, name).map(|c| (c, name));
    let at_least = column("at_least")?;
    let shares = [
        (column("p_reached_by_horizon")?, 1.0),
        (column("p_reached_by_horizon_se")?, 0.5),
    ];
    let dates = [column("date_p5")?, column("date_p50")?, column("date_p95")?];
    for r in 0..summary.rows.len() {
        summary.optional(file, r, at_least, 0.0, MAX_AT_LEAST)?;
        for (share, most) in shares {
            summary.bounded(file, r, share, 0.0, most)?;
        }
        for (col, name) in dates {
            let text = &summary.rows[r][col];
            if !text.is_empty() && NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() {
                let message = format!("{} is not a date (YYYY-MM-DD) or empty", quoted(text));
                return Err(summary.error(file, r, name, message));
            }
        }
    }
    Ok(())
}

/// `start` and `horizon_days` of `run_info.csv`: a date, and a horizon
/// from 1 to [`MAX_HORIZON_DAYS`] days ending on or before [`LAST_DATE`], as
/// every scenario has.
fn dates(info: &[(String, String)]) -> Result<(NaiveDate, u32), ReportError> {
    let bad = |message: String| ReportError::Csv {
        file: "run_info.csv".to_string(),
        message,
    };
    let get = |key: &str| -> Result<&str, ReportError> {
        info.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| bad(format!("no column \"{key}\"")))
    };
    let text = get("start")?;
    let start = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| bad(format!("start: {} is not a date (YYYY-MM-DD): {e}", quoted(text))))?;
    let text = get("horizon_days")?;
    let horizon_days = text
        .parse::<u32>()
        .ok()
        .filter(|h| (1..=MAX_HORIZON_DAYS).contains(h))
        .ok_or_else(|| {
            bad(format!(
                "horizon_days: {} is not a whole number of days from 1 to {MAX_HORIZON_DAYS}",
                quoted(text)
            ))
        })?;
    if start
        .checked_add_days(chrono::Days::new(u64::from(horizon_days)))
        .is_none_or(|last| last > LAST_DATE)
    {
        return Err(bad(format!(
            "start {start} plus horizon_days {horizon_days} ends after {LAST_DATE}, the last date a scenario may reach"
        )));
    }
    Ok((start, horizon_days))
}

#[cfg(test)]
mod schema_tests {
    use super::*;

    /// Every column the reader asks for is one the schema names (the
    /// `debug_assert` in `Table::column` catches the rest in debug builds).
    #[test]
    fn the_reader_asks_only_for_columns_the_schema_names() {
        let source = include_str!("data.rs");
        let asked = |file: &str, name: &str| {
            let columns = schema::run_columns(file).unwrap_or_default();
            assert!(columns.contains(&name), "{file}: {name}");
        };
        for name in ["day", "metric", "mean", "p5", "p25", "p50", "p75", "p95"] {
            assert!(source.contains(&format!("\"{name}\"")));
            asked(schema::TIMESERIES, name);
        }
        for name in ["target", "day", "p_reached"] {
            asked(schema::TARGETS, name);
        }
        asked(schema::SUMMARY, "at_least");
    }
}
