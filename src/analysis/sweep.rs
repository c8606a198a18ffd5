//! `forcegen sweep`: runs a scenario once per combination of `--set` values
//! (a grid) and writes `sweep.csv`, one row per grid point and target: the
//! chance of reaching the target by the report date (`--report-date`, the
//! scenario's `report_date`, else the horizon) and by the horizon, its
//! median date, and the median of each standard metric on the report date.
//!
//! Every grid point runs the same trial numbers with the same seed. Each
//! input draws from its own stream, keyed by (seed, trial, input path), so
//! the points share their random numbers (common random numbers): the
//! differences between points come from the values swept, not from noise.
//!
//! Every point is read and checked before any is simulated, so a bad value
//! anywhere in the grid stops the sweep before any work, naming its `--set`.
//!
//! The rules: docs/MODEL.md §5.11.

use std::collections::HashSet;

use crate::engine::Aggregates;
use crate::model::{GENERATOR_NAME, Model};
use crate::output::stats::{
    PERCENTS, date_percentiles, decimals, metric_stats, share_se, share_within_horizon, shares_by_day,
};
use crate::output::{self, cell_text, number, schema};
use crate::scenario::overrides::{self, OverrideError};
use crate::scenario::shown::cut;
use crate::scenario::{MAX_CSV_ROWS, Metric, Scenario};

/// The sweep's result file.
pub const FILE: &str = schema::SWEEP;
/// What produced it: scenario, fingerprint, seed, trials, the `--set` lists.
pub const INFO_FILE: &str = schema::SWEEP_INFO;
/// The files a sweep writes (and owns) in its output folder.
pub const FILES: [&str; 2] = [FILE, INFO_FILE];
/// Most grid points one sweep may have.
pub const MAX_POINTS: usize = 10_000;
/// Fields a sweep may not vary: every point runs the same trials.
const SAME_AT_EVERY_POINT: [&str; 2] = ["simulation.seed", "simulation.trials"];
/// Most rows kept for the table printed on the terminal (`sweep.csv` has all).
pub const MAX_PRINTED: usize = 40;

/// One swept `--set`: PATH as written, the field it names, and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub path: String,
    pub field: String,
    pub values: Vec<String>,
}

/// Reads each `PATH=V1,V2,...` against the scenario text.
pub fn axes(text: &str, file: &str, sets: &[String]) -> Result<Vec<Axis>, SweepError> {
    let mut axes: Vec<Axis> = Vec::new();
    for set in sets {
        let (path, field, values) = overrides::split_set(text, file, set)?;
        let values = overrides::split_values(&values);
        if let Some(empty) = values.iter().position(String::is_empty) {
            return Err(SweepError::Invalid(format!(
                "--set {}: value {} of the list is empty; separate values with single commas (quote a value \
                 that is text with a comma: '\"a, b\"')",
                cut(set.trim()),
                empty + 1
            )));
        }
        if SAME_AT_EVERY_POINT.contains(&field.as_str()) && values.len() > 1 {
            return Err(SweepError::Invalid(format!(
                "--set {}: every grid point runs the same trials with the same seed (so that the points share \
                 their random numbers); set them for all points with --trials and --seed",
                cut(set.trim())
            )));
        }
        if axes.iter().any(|a| a.field == field) {
            return Err(SweepError::Invalid(format!(
                "--set {}: `{}` is already swept by an earlier --set; give all its values in one list",
                cut(set.trim()),
                cut(&field)
            )));
        }
        axes.push(Axis { path, field, values });
    }
    Ok(axes)
}

/// The number of grid points, within [`MAX_POINTS`].
pub fn grid_size(axes: &[Axis]) -> Result<usize, SweepError> {
    let lengths: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
    axes.iter()
        .try_fold(1usize, |n, a| {
            n.checked_mul(a.values.len()).filter(|&n| n <= MAX_POINTS)
        })
        .ok_or_else(|| {
            SweepError::Invalid(format!(
                "the grid has too many points ({}); at most {MAX_POINTS} are allowed",
                lengths.join(" x ")
            ))
        })
}

/// The index of each axis's value at grid point `point` (0-based): the
/// last axis varies fastest, the first slowest.
pub fn point_values(axes: &[Axis], point: usize) -> Vec<usize> {
    let mut rest = point;
    let mut indices = vec![0; axes.len()];
    for (slot, axis) in indices.iter_mut().zip(axes).rev() {
        let n = axis.values.len().max(1);
        *slot = rest % n;
        rest /= n;
    }
    indices
}

/// The `PATH=VALUE` overrides of grid point `point` (0-based).
pub fn point_sets(axes: &[Axis], point: usize) -> Vec<String> {
    axes.iter()
        .zip(point_values(axes, point))
        .map(|(axis, i)| format!("{}={}", axis.path, axis.values[i]))
        .collect()
}

/// Why a sweep cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{0}")]
    Overrides(#[from] OverrideError),
    #[error("{0}")]
    Trials(#[from] super::TrialsOutOfRange),
    /// A `--set` list, or the grid it makes, is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

/// A checked grid over one scenario text: every point reads as a valid
/// scenario with the same trials and seed.
#[derive(Debug)]
pub struct Grid<'a> {
    pub text: &'a str,
    pub file: &'a str,
    pub axes: Vec<Axis>,
    pub points: usize,
    /// `--trials` and `--seed`, applied at every point.
    pub trials: Option<u64>,
    pub seed: Option<u64>,
}

impl<'a> Grid<'a> {
    /// Reads each `PATH=V1,V2,...` and checks every grid point before any
    /// is run, so that a bad value anywhere stops the sweep before any work.
    pub fn new(
        text: &'a str,
        file: &'a str,
        sets: &[String],
        trials: Option<u64>,
        seed: Option<u64>,
    ) -> Result<Grid<'a>, SweepError> {
        let axes = axes(text, file, sets)?;
        let points = grid_size(&axes)?;
        let grid = Grid {
            text,
            file,
            axes,
            points,
            trials,
            seed,
        };
        grid.check()?;
        Ok(grid)
    }

    /// Grid point `point` (0-based), with `--trials` and `--seed` applied.
    pub fn scenario(&self, point: usize) -> Result<Scenario, SweepError> {
        let mut scenario = overrides::apply(self.text, self.file, &point_sets(&self.axes, point))?;
        super::set_trials_and_seed(&mut scenario, self.trials, self.seed)?;
        Ok(scenario)
    }

    /// Every point is a valid scenario, and the rows fit a spreadsheet.
    fn check(&self) -> Result<(), SweepError> {
        let mut targets = None;
        let mut seen = HashSet::new();
        let mut messages = Vec::new();
        let mut failing = 0;
        for point in 0..self.points {
            match self.scenario(point) {
                Ok(scenario) => {
                    targets.get_or_insert(scenario.targets.len());
                }
                Err(error) => {
                    failing += 1;
                    for problem in problem_lines(&error) {
                        if seen.insert(problem.clone()) {
                            messages.push(format!("grid point {}: {problem}", point + 1));
                        }
                    }
                }
            }
        }
        let points = self.points;
        if failing > 0 {
            return Err(SweepError::Invalid(format!(
                "{failing} of {points} grid points are not valid scenarios; nothing was run:\n{}",
                messages.join("\n")
            )));
        }
        let targets = targets.unwrap_or(0);
        let rows = points.saturating_mul(targets.max(1));
        if rows as u64 > MAX_CSV_ROWS {
            return Err(SweepError::Invalid(format!(
                "{FILE} would have {rows} rows ({points} grid points x {targets} targets), more than the limit of \
                 {MAX_CSV_ROWS} (the most a spreadsheet opens); sweep fewer values"
            )));
        }
        Ok(())
    }

    /// The header of `sweep.csv`: `point`, one column per swept field, then
    /// the target and metric columns.
    pub fn header(&self) -> Vec<String> {
        let mut header = vec!["point".to_string()];
        header.extend(self.axes.iter().map(|a| cell_text(&a.field)));
        header.extend(schema::SWEEP_TAIL.iter().map(|h| h.to_string()));
        header.extend(Metric::STANDARD_NAMES.iter().map(|m| format!("{m}_p50")));
        header
    }

    /// The swept values of grid point `point` as `sweep.csv` cells.
    pub fn values(&self, point: usize) -> Vec<String> {
        self.axes
            .iter()
            .zip(point_values(&self.axes, point))
            .map(|(axis, i)| value_cell(&axis.values[i]))
            .collect()
    }

    /// `sweep_info.csv`: one row saying what produced `sweep.csv`; `sets`
    /// are the `--set` lists as given; `extra` columns follow (those of
    /// `--until-se`).
    pub fn info(&self, first: &Scenario, sha256: &str, sets: &[String], extra: &[(&str, String)]) -> Vec<u8> {
        let sets: Vec<&str> = sets.iter().map(|s| s.trim()).collect();
        let mut header = schema::SWEEP_INFO_COLUMNS.to_vec();
        header.extend(extra.iter().map(|(h, _)| *h));
        let mut row = vec![
            cell_text(&first.name),
            sha256.to_string(),
            first.simulation.seed.to_string(),
            first.simulation.trials.to_string(),
            self.points.to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
            GENERATOR_NAME.to_string(),
            cell_text(&sets.join("; ")),
        ];
        row.extend(extra.iter().map(|(_, v)| cell_text(v)));
        output::csv_bytes(&header, [row])
    }
}

/// Each problem of an error as one line of text.
fn problem_lines(error: &SweepError) -> Vec<String> {
    match error {
        SweepError::Overrides(error) => error
            .problems
            .iter()
            .map(|p| {
                OverrideError {
                    file: error.file.clone(),
                    problems: vec![p.clone()],
                    hint: None,
                }
                .to_string()
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

/// The rows of `sweep.csv` as CSV text, and the first [`MAX_PRINTED`] as cells.
pub struct Rows {
    writer: csv::Writer<Vec<u8>>,
    /// The first [`MAX_PRINTED`] rows, for the terminal.
    pub shown: Vec<Vec<String>>,
    /// How many rows in all.
    pub count: usize,
}

impl Rows {
    pub fn new(header: &[String]) -> Rows {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(header);
        Rows {
            writer,
            shown: Vec::new(),
            count: 0,
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        let _ = self.writer.write_record(&row);
        self.count += 1;
        if self.shown.len() < MAX_PRINTED {
            self.shown.push(row);
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_default()
    }
}

/// A swept value as a CSV cell: a number as it is; anything else as text
/// (without TOML quotes), guarded against spreadsheet formulas.
pub fn value_cell(value: &str) -> String {
    if overrides::is_number(value) {
        value.trim().to_string()
    } else {
        cell_text(&overrides::display_value(value))
    }
}

/// The rows of one grid point: one per target, or one with empty target
/// cells when the scenario has no targets. `report_day` is the point's
/// report date, an index into `model`'s report days.
pub fn point_rows(
    point: usize,
    values: &[String],
    (scenario, model): (&Scenario, &Model),
    aggregates: &Aggregates,
    report_day: usize,
) -> Vec<Vec<String>> {
    let medians = medians(model, aggregates, report_day);
    let date = |day: u32| scenario.date_of(day).format("%Y-%m-%d").to_string();
    let report_date = date(model.report_days[report_day]);
    let lead = || {
        let mut row = vec![point.to_string()];
        row.extend(values.iter().cloned());
        row
    };
    let trials = aggregates.trials;
    let mut rows: Vec<Vec<String>> = scenario
        .targets
        .iter()
        .zip(&aggregates.first_reached)
        .map(|(target, slots)| {
            let p = share_within_horizon(slots, trials);
            let by_date = shares_by_day(slots, &model.report_days[..=report_day], trials)[report_day];
            let median = date_percentiles(slots, &model.report_days, trials, &[50])[0];
            let mut row = lead();
            row.extend([
                cell_text(&target.name),
                report_date.clone(),
                number(by_date, 6),
                number(share_se(by_date, trials), 6),
                number(p, 6),
                number(share_se(p, trials), 6),
                median.map(date).unwrap_or_default(),
            ]);
            row.extend(medians.iter().cloned());
            row
        })
        .collect();
    if rows.is_empty() {
        let mut row = lead();
        row.push(String::new());
        row.push(report_date);
        row.extend(std::iter::repeat_n(String::new(), schema::SWEEP_TAIL.len() - 2));
        row.extend(medians);
        rows.push(row);
    }
    rows
}

/// The p50 of each standard metric on report day `r`, printed as in
/// `timeseries.csv`.
fn medians(model: &Model, aggregates: &Aggregates, r: usize) -> Vec<String> {
    let at = PERCENTS.iter().position(|&p| p == 50).unwrap_or(2);
    let mut medians = vec![String::new(); Metric::STANDARD.len()];
    let mut ratio = 0;
    for (m, metric) in model.metrics.iter().enumerate() {
        let histogram = &aggregates.metrics[m];
        let sums = metric.has_sums().then(|| {
            ratio += 1;
            aggregates.ratio_sums[ratio - 1][r]
        });
        let large = aggregates.large_sums[m].get(r).copied().unwrap_or((0, 0));
        let stats = metric_stats(*metric, histogram, sums, large, r, aggregates.trials);
        let text = number(stats.percentiles[at], decimals(*metric));
        if let Some(slot) = Metric::STANDARD.iter().position(|s| s == metric) {
            medians[slot] = text;
        }
    }
    medians
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(field: &str, values: &[&str]) -> Axis {
        Axis {
            path: field.to_string(),
            field: field.to_string(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn the_first_axis_varies_slowest() {
        let axes = [axis("a", &["1", "2"]), axis("b", &["x", "y", "z"])];
        assert_eq!(grid_size(&axes).ok(), Some(6));
        let grid: Vec<Vec<usize>> = (0..6).map(|p| point_values(&axes, p)).collect();
        assert_eq!(grid, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
        assert_eq!(point_sets(&axes, 4), ["a=2", "b=y"]);
    }

    #[test]
    fn grids_past_the_limit_are_refused() {
        let values: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let axes = [axis("a", &values), axis("b", &values)];
        assert!(grid_size(&axes).is_err());
    }

    #[test]
    fn value_cells_are_numbers_or_guarded_text() {
        assert_eq!(value_cell("-0.01"), "-0.01");
        assert_eq!(value_cell("\"week\""), "week");
        assert_eq!(value_cell("beta(8, 2)"), "beta(8, 2)");
        assert_eq!(value_cell("=1+1"), "'=1+1");
    }
}
