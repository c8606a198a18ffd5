//! `forcegen sweep`: runs a scenario once per combination of `--set` values
//! (a grid) and writes `sweep.csv`, one row per grid point and target: the
//! chance of reaching the target by the horizon, its median date, and the
//! median of each standard metric at the horizon.
//!
//! Every grid point runs the same trial numbers with the same seed. Each
//! input draws from its own stream, keyed by (seed, trial, input path), so
//! the points share their random numbers (common random numbers): the
//! differences between points come from the values swept, not from noise.
//!
//! Every point is read and checked before any is simulated, so a bad value
//! anywhere in the grid stops the sweep before any work, naming its `--set`.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::app::{self, Failure};
use crate::engine::{self, Aggregates, EngineError, Progress};
use crate::model::{GENERATOR_NAME, Model};
use crate::output::stats::{PERCENTS, count_stats, date_percentiles, ratio_stats, share_se, share_within_horizon};
use crate::output::{self, cell_text, number};
use crate::scenario::overrides::{self, OverrideError};
use crate::scenario::{MAX_CSV_ROWS, Metric, Scenario};

/// The sweep's result file.
pub const FILE: &str = "sweep.csv";
/// What produced it: scenario, fingerprint, seed, trials, the `--set` lists.
pub const INFO_FILE: &str = "sweep_info.csv";
/// The files a sweep writes (and owns) in its output folder.
pub const FILES: [&str; 2] = [FILE, INFO_FILE];
/// Most grid points one sweep may have.
pub const MAX_POINTS: usize = 10_000;
/// Fields a sweep may not vary: every point runs the same trials.
const SAME_AT_EVERY_POINT: [&str; 2] = ["simulation.seed", "simulation.trials"];
/// Most rows of the table printed on the terminal (`sweep.csv` has all).
const MAX_PRINTED: usize = 40;

/// What `sweep` was asked to do, free of clap.
#[derive(Debug, Clone, Default)]
pub struct SweepRequest {
    pub scenario: Option<PathBuf>,
    /// `PATH=V1,V2,...`, one per swept path; the first varies slowest.
    pub sets: Vec<String>,
    pub out: Option<PathBuf>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub quiet: bool,
    /// Replace a sweep of another scenario in the output folder.
    pub force: bool,
}

/// One swept `--set`: PATH as written, the field it names, and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub path: String,
    pub field: String,
    pub values: Vec<String>,
}

/// Reads each `PATH=V1,V2,...` against the scenario text.
pub fn axes(text: &str, file: &str, sets: &[String]) -> Result<Vec<Axis>, Failure> {
    let mut axes: Vec<Axis> = Vec::new();
    for set in sets {
        let (path, field, values) = overrides::split_set(text, file, set)?;
        let values = overrides::split_values(&values);
        if let Some(empty) = values.iter().position(String::is_empty) {
            return Err(Failure::Usage(format!(
                "--set {}: value {} of the list is empty; separate values with single commas (quote a value \
                 that is text with a comma: '\"a, b\"')",
                set.trim(),
                empty + 1
            )));
        }
        if SAME_AT_EVERY_POINT.contains(&field.as_str()) && values.len() > 1 {
            return Err(Failure::Usage(format!(
                "--set {}: every grid point runs the same trials with the same seed (so that the points share \
                 their random numbers); set them for all points with --trials and --seed",
                set.trim()
            )));
        }
        if axes.iter().any(|a| a.field == field) {
            return Err(Failure::Usage(format!(
                "--set {}: `{field}` is already swept by an earlier --set; give all its values in one list",
                set.trim()
            )));
        }
        axes.push(Axis { path, field, values });
    }
    Ok(axes)
}

/// The number of grid points, within [`MAX_POINTS`].
pub fn grid_size(axes: &[Axis]) -> Result<usize, Failure> {
    let lengths: Vec<String> = axes.iter().map(|a| a.values.len().to_string()).collect();
    axes.iter()
        .try_fold(1usize, |n, a| {
            n.checked_mul(a.values.len()).filter(|&n| n <= MAX_POINTS)
        })
        .ok_or_else(|| {
            Failure::Usage(format!(
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

/// Reads grid point `point` (0-based), with `--trials` and `--seed` applied.
fn point_scenario(text: &str, file: &str, sets: &[String], request: &SweepRequest) -> Result<Scenario, Failure> {
    let mut scenario = overrides::apply(text, file, sets)?;
    app::apply_overrides(&mut scenario, request.trials, request.seed)?;
    Ok(scenario)
}

/// Reads and checks every grid point before any is run. Returns the number
/// of targets (the same at every point: `--set` cannot add or remove one).
fn check_grid(text: &str, file: &str, axes: &[Axis], points: usize, request: &SweepRequest) -> Result<usize, Failure> {
    let mut targets = None;
    let mut seen = HashSet::new();
    let mut messages = Vec::new();
    let mut failing = 0;
    for point in 0..points {
        match point_scenario(text, file, &point_sets(axes, point), request) {
            Ok(scenario) => {
                targets.get_or_insert(scenario.targets.len());
            }
            Err(failure) => {
                failing += 1;
                for problem in problem_lines(&failure) {
                    if seen.insert(problem.clone()) {
                        messages.push(format!("grid point {}: {problem}", point + 1));
                    }
                }
            }
        }
    }
    if failing > 0 {
        return Err(Failure::Usage(format!(
            "{failing} of {points} grid points are not valid scenarios; nothing was run:\n{}",
            messages.join("\n")
        )));
    }
    let targets = targets.unwrap_or(0);
    let rows = points.saturating_mul(targets.max(1));
    if rows as u64 > MAX_CSV_ROWS {
        return Err(Failure::Usage(format!(
            "{FILE} would have {rows} rows ({points} grid points x {targets} targets), more than the limit of \
             {MAX_CSV_ROWS} (the most a spreadsheet opens); sweep fewer values"
        )));
    }
    Ok(targets)
}

/// Each problem of a failure as one line of text.
fn problem_lines(failure: &Failure) -> Vec<String> {
    match failure {
        Failure::Overrides(error) => error
            .problems
            .iter()
            .map(|p| {
                OverrideError {
                    file: error.file.clone(),
                    problems: vec![p.clone()],
                }
                .to_string()
            })
            .collect(),
        other => vec![other.to_string()],
    }
}

/// `output/<scenario file stem>-sweep/`.
pub fn default_out_dir(scenario_path: Option<&Path>) -> PathBuf {
    app::suffixed_out_dir(scenario_path, "sweep")
}

/// `forcegen sweep`.
pub fn run(request: &SweepRequest) -> Result<(), Failure> {
    crate::interrupt::install();
    let (text, file) = app::scenario_text(request.scenario.as_deref())?;
    let axes = axes(&text, &file, &request.sets)?;
    let points = grid_size(&axes)?;
    check_grid(&text, &file, &axes, points, request)?;
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(request.scenario.as_deref()));
    let created = !out.exists();
    output::prepare_dir(&out)?;
    let sweep = Sweep {
        text: &text,
        file: &file,
        axes: &axes,
        points,
        request,
        out: &out,
    };
    let result = sweep.run_and_write();
    if result.is_err() && created {
        // Leave no empty folder behind (fails harmlessly if anything is in it).
        let _ = std::fs::remove_dir(&out);
    }
    result
}

/// A checked sweep, ready to run.
struct Sweep<'a> {
    text: &'a str,
    file: &'a str,
    axes: &'a [Axis],
    points: usize,
    request: &'a SweepRequest,
    out: &'a Path,
}

impl Sweep<'_> {
    fn run_and_write(&self) -> Result<(), Failure> {
        let sha256 = output::sha256_hex(self.text);
        output::check_owner_of(self.out, &FILES, INFO_FILE, &sha256, self.request.force)?;
        let started = Instant::now();
        let first = point_scenario(self.text, self.file, &point_sets(self.axes, 0), self.request)?;
        let trials = first.simulation.trials;
        let total = trials.saturating_mul(self.points as u64);
        let bar = (!self.request.quiet && std::io::stderr().is_terminal()).then(|| progress_bar(total, self.points));
        // Rows go straight into the CSV text; the terminal shows the first few.
        let mut csv = Rows::new(&self.header());
        for point in 0..self.points {
            if let Some(bar) = &bar {
                bar.set_message(format!("{}/{}", point + 1, self.points));
            }
            let result = self.run_point(point, bar.as_ref(), trials.saturating_mul(point as u64));
            if result.is_err()
                && let Some(bar) = &bar
            {
                bar.finish_and_clear();
            }
            for row in result? {
                csv.push(row);
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if crate::interrupt::requested() {
            return Err(Failure::Engine(EngineError::Cancelled));
        }
        let (shown, count) = (std::mem::take(&mut csv.shown), csv.count);
        let files = [(FILE, csv.into_bytes()), (INFO_FILE, self.info(&first, &sha256))];
        output::check_owner_of(self.out, &FILES, INFO_FILE, &sha256, self.request.force)?;
        output::write_atomically(self.out, &files)?;
        if !self.request.quiet {
            self.print_table(&first, trials, started.elapsed(), &shown, count);
        }
        Ok(())
    }

    /// Runs grid point `point` (0-based) and returns its rows of `sweep.csv`.
    fn run_point(
        &self,
        point: usize,
        bar: Option<&indicatif::ProgressBar>,
        done: u64,
    ) -> Result<Vec<Vec<String>>, Failure> {
        let scenario = point_scenario(self.text, self.file, &point_sets(self.axes, point), self.request)?;
        let model = Model::new(&scenario);
        let aggregates = simulate(&model, scenario.simulation.trials, self.request.threads, bar, done)?;
        let values: Vec<String> = self
            .axes
            .iter()
            .zip(point_values(self.axes, point))
            .map(|(axis, i)| value_cell(&axis.values[i]))
            .collect();
        Ok(point_rows(point + 1, &values, &scenario, &model, &aggregates))
    }

    /// The header of `sweep.csv`: `point`, one column per swept field, then
    /// the target and metric columns.
    fn header(&self) -> Vec<String> {
        let mut header = vec!["point".to_string()];
        header.extend(self.axes.iter().map(|a| cell_text(&a.field)));
        header.extend(
            ["target", "p_reached_by_horizon", "p_reached_by_horizon_se", "date_p50"]
                .iter()
                .map(|h| h.to_string()),
        );
        header.extend(Metric::STANDARD_NAMES.iter().map(|m| format!("{m}_p50")));
        header
    }

    /// `sweep_info.csv`: one row saying what produced `sweep.csv`.
    fn info(&self, first: &Scenario, sha256: &str) -> Vec<u8> {
        let header = [
            "scenario",
            "scenario_sha256",
            "seed",
            "trials",
            "points",
            "forcegen_version",
            "generator",
            "sets",
        ];
        let sets: Vec<&str> = self.request.sets.iter().map(|s| s.trim()).collect();
        let row = vec![
            cell_text(&first.name),
            sha256.to_string(),
            first.simulation.seed.to_string(),
            first.simulation.trials.to_string(),
            self.points.to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
            GENERATOR_NAME.to_string(),
            cell_text(&sets.join("; ")),
        ];
        output::csv_bytes(&header, [row])
    }

    /// A short table on the terminal: each point's values and targets.
    /// `rows` are the first rows of `sweep.csv`, of `count` in all.
    fn print_table(&self, first: &Scenario, trials: u64, elapsed: Duration, rows: &[Vec<String>], count: usize) {
        println!(
            "{}: {} grid points x {trials} trials (seed {}) in {:.2} s; results in {}",
            first.name,
            self.points,
            first.simulation.seed,
            elapsed.as_secs_f64(),
            self.out.join(FILE).display()
        );
        let columns = self.axes.len() + 1;
        let mut table: Vec<Vec<String>> = vec![];
        let mut header: Vec<String> = vec!["point".to_string()];
        header.extend(self.axes.iter().map(|a| a.field.clone()));
        header.extend(["target", "p_reached", "date_p50"].map(String::from));
        table.push(header);
        for row in rows {
            let mut line: Vec<String> = row[..columns].iter().map(|c| terminal_text(c)).collect();
            let p: f64 = row[columns + 1].parse().unwrap_or(0.0);
            line.push(terminal_text(&row[columns]));
            line.push(if row[columns].is_empty() {
                String::new()
            } else {
                format!("{:.1}%", 100.0 * p)
            });
            line.push(row[columns + 3].clone());
            table.push(line);
        }
        print_aligned(&table);
        if count > rows.len() {
            println!("  ... and {} more rows in {FILE}", count - rows.len());
        }
    }
}

/// The rows of `sweep.csv` as CSV text, and the first [`MAX_PRINTED`] as cells.
struct Rows {
    writer: csv::Writer<Vec<u8>>,
    shown: Vec<Vec<String>>,
    count: usize,
}

impl Rows {
    fn new(header: &[String]) -> Rows {
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

    fn push(&mut self, row: Vec<String>) {
        let _ = self.writer.write_record(&row);
        self.count += 1;
        if self.shown.len() < MAX_PRINTED {
            self.shown.push(row);
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_default()
    }
}

/// Runs one grid point's trials, moving the shared progress bar along
/// (`done` trials were finished before), and stops on Ctrl-C.
fn simulate(
    model: &Model,
    trials: u64,
    threads: Option<usize>,
    bar: Option<&indicatif::ProgressBar>,
    done: u64,
) -> Result<Aggregates, Failure> {
    let progress = Progress::default();
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(|| engine::run(model, 0..trials, threads.unwrap_or(0), &progress));
        while !worker.is_finished() {
            if crate::interrupt::requested() {
                progress.cancel.store(true, Ordering::Relaxed);
            }
            if let Some(bar) = bar {
                bar.set_position(done + progress.done.load(Ordering::Relaxed));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        worker.join()
    });
    match result {
        Ok(Ok(aggregates)) => Ok(aggregates),
        Ok(Err(e)) => Err(Failure::Engine(e)),
        Err(_) => Err(Failure::Usage("internal error: a worker thread panicked".to_string())),
    }
}

fn progress_bar(total: u64, points: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    let template = "{bar:40} {pos}/{len} trials  point {msg}  {per_sec}  ETA {eta}";
    let style =
        indicatif::ProgressStyle::with_template(template).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(format!("1/{points}"));
    bar
}

/// A swept value as a CSV cell: a number as it is; anything else as text
/// (without TOML quotes), guarded against spreadsheet formulas.
fn value_cell(value: &str) -> String {
    if overrides::is_number(value) {
        value.trim().to_string()
    } else {
        cell_text(&overrides::display_value(value))
    }
}

/// The rows of one grid point: one per target, or one with empty target
/// cells when the scenario has no targets.
fn point_rows(
    point: usize,
    values: &[String],
    scenario: &Scenario,
    model: &Model,
    aggregates: &Aggregates,
) -> Vec<Vec<String>> {
    let medians = horizon_medians(model, aggregates);
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
            let median = date_percentiles(slots, &model.report_days, trials, &[50])[0];
            let mut row = lead();
            row.extend([
                cell_text(&target.name),
                number(p, 6),
                number(share_se(p, trials), 6),
                median
                    .map(|d| scenario.date_of(d).format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
            ]);
            row.extend(medians.iter().cloned());
            row
        })
        .collect();
    if rows.is_empty() {
        let mut row = lead();
        row.extend(std::iter::repeat_n(String::new(), 4));
        row.extend(medians);
        rows.push(row);
    }
    rows
}

/// The p50 of each standard metric on the horizon (the last report day),
/// printed as in `timeseries.csv`.
fn horizon_medians(model: &Model, aggregates: &Aggregates) -> Vec<String> {
    let last = model.report_days.len().saturating_sub(1);
    let at = PERCENTS.iter().position(|&p| p == 50).unwrap_or(2);
    let mut medians = vec![String::new(); Metric::STANDARD.len()];
    let mut ratio = 0;
    for (m, metric) in model.metrics.iter().enumerate() {
        let histogram = &aggregates.metrics[m];
        let text = if metric.is_ratio() {
            let sums = aggregates.ratio_sums[ratio][last];
            ratio += 1;
            number(ratio_stats(histogram, sums, last, aggregates.trials).percentiles[at], 4)
        } else {
            number(count_stats(histogram, last, aggregates.trials).percentiles[at], 0)
        };
        if let Some(slot) = Metric::STANDARD.iter().position(|s| s == metric) {
            medians[slot] = text;
        }
    }
    medians
}

/// A cell for the terminal: without the spreadsheet guard's apostrophe.
fn terminal_text(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if cell_text(rest) == cell => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// Prints rows of cells in left-aligned columns.
fn print_aligned(table: &[Vec<String>]) {
    let columns = table.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            table
                .iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        println!("  {}", cells.join("  ").trim_end());
    }
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
        assert_eq!(terminal_text("'=1+1"), "=1+1");
    }

    #[test]
    fn the_default_folder_is_the_runs_with_sweep() {
        assert_eq!(
            default_out_dir(Some(Path::new("scenarios/haiti-pessimistic.toml"))),
            Path::new("output").join("haiti-pessimistic-sweep")
        );
        assert_eq!(
            default_out_dir(None),
            Path::new("output").join("haiti-mss-2024-09-sweep")
        );
    }
}
