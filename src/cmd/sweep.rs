//! `forcegen sweep`: the scenario once per combination of `--set` values,
//! on common random numbers, into `sweep.csv`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::options::{out_dir, scenario_text};
use super::progress::Meter;
use super::terminal::{aligned, cell, safe_line};
use super::{Failure, PrecisionOptions, RunOptions, interrupt};
use crate::analysis::precision::{self, Rule, Stop};
use crate::analysis::sweep::{self, Grid, Rows};
use crate::engine::{self, Aggregates};
use crate::model::Model;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::stats::{share_se, share_within_horizon};
use crate::output::{self, Identity, schema, sha256_hex};
use crate::scenario::Scenario;

/// The files a sweep owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[sweep::FILE, sweep::INFO_FILE, schema::SWEEP_PAGE],
    info: sweep::INFO_FILE,
};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file (TOML; - reads standard input). Without it, the built-in Haiti baseline.
    pub scenario: Option<PathBuf>,
    /// A value list to sweep (repeatable): PATH as in `run --set`, values
    /// separated by commas (commas inside parentheses or quotes do not count:
    /// --set 'contributors.Kenya.fulfilment=beta(8, 2),beta(9, 1)'). Every
    /// combination is run, the first --set varying slowest. --trials and
    /// --seed are the same at every grid point.
    #[arg(long = "set", value_name = "PATH=V1,V2,...", required = true)]
    pub sets: Vec<String>,
    /// The report date (YYYY-MM-DD) of every grid point: each target's chance
    /// by it and the metrics' medians on it [default: the scenario's
    /// simulation.report_date, else the horizon].
    #[arg(long, value_name = "DATE", value_parser = super::options::date_flag)]
    pub report_date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub options: RunOptions,
    #[command(flatten)]
    pub precision: PrecisionOptions,
}

/// `forcegen sweep`.
pub fn run(args: &SweepArgs) -> Result<(), Failure> {
    interrupt::install();
    let (text, file) = scenario_text(args.scenario.as_deref())?;
    let grid = Grid::new(&text, &file, &args.sets, args.options.trials, args.options.seed)?;
    let threads = args.options.threads()?;
    let out = out_dir(&args.options.output, args.scenario.as_deref(), Some("sweep"));
    let sha256 = sha256_hex(&text);
    let mut first = grid.scenario(0)?;
    let rule = args.precision.rule(first.simulation.trials)?;
    let owner = Identity {
        name: first.name.clone(),
        sha256: sha256.clone(),
    };
    // A report date outside any point's period stops the sweep before any work.
    for point in 0..grid.points {
        let scenario = grid.scenario(point)?;
        crate::output::extras::check_report_date(&scenario, args.report_date)
            .map_err(|e| Failure::Usage(format!("grid point {}: {e}", point + 1)))?;
    }
    let folder = OutputFolder::open(&out, FILES, &owner, args.options.output.force)?;
    let started = Instant::now();
    let quiet = args.options.output.quiet;
    // Rows go straight into the CSV text; the terminal shows the first few.
    let mut rows = Rows::new(&grid.header());
    // `dated`: some point's report date is before its horizon.
    let (stop, dated) = match rule {
        None => (None, sweep_once(&grid, args.report_date, threads, quiet, &mut rows)?),
        Some(rule) => {
            let (points, stop) = sweep_until(&grid, &rule, threads, quiet)?;
            let mut dated = false;
            for (point, (scenario, model, aggregates)) in points.iter().enumerate() {
                dated |= push_rows(&mut rows, &grid, point, (scenario, model, aggregates), args.report_date)?;
            }
            first.simulation.trials = stop.trials;
            (Some(stop), dated)
        }
    };
    interrupt::check()?;
    let (shown, count) = (std::mem::take(&mut rows.shown), rows.count);
    let extra = stop.map(|s| s.info_columns()).unwrap_or_default();
    let info = grid.info(&first, &sha256, &args.sets, &extra);
    let mut files = vec![(sweep::FILE, rows.into_bytes()), (sweep::INFO_FILE, info)];
    let page = crate::report::pages::sweep::render(&files)?;
    files.push((schema::SWEEP_PAGE, page.into_bytes()));
    let committed = folder.commit(&files)?;
    super::terminal::replaced(&committed, quiet);
    if !quiet {
        println!(
            "{}: {} grid points x {} trials (seed {}) in {:.2} s; results in {}",
            safe_line(&first.name),
            grid.points,
            first.simulation.trials,
            first.simulation.seed,
            started.elapsed().as_secs_f64(),
            safe_line(&out.join(sweep::FILE).display().to_string())
        );
        super::terminal::print_precision(stop.as_ref(), "every grid point's target probability");
        print!("{}", table(&grid, &shown, dated));
        if count > shown.len() {
            println!("  ... and {} more rows in {}", count - shown.len(), sweep::FILE);
        }
    }
    Ok(())
}

/// Every grid point on the scenario's trials, one after another, its rows
/// (by the report date `date`, else the scenario's) into `rows`; true when
/// some point's report date is before its horizon.
fn sweep_once(
    grid: &Grid,
    date: Option<chrono::NaiveDate>,
    threads: usize,
    quiet: bool,
    rows: &mut Rows,
) -> Result<bool, Failure> {
    let trials = grid.scenario(0)?.simulation.trials;
    let mut meter = Meter::new(
        trials.saturating_mul(grid.points as u64),
        quiet,
        Some(format!("point 1/{}", grid.points)),
    );
    let mut dated = false;
    for point in 0..grid.points {
        meter.label(format!("point {}/{}", point + 1, grid.points));
        let scenario = grid.scenario(point)?;
        let model = Model::new(&scenario);
        let aggregates = meter.run(trials, |progress| engine::run(&model, 0..trials, threads, progress))?;
        dated |= push_rows(rows, grid, point, (&scenario, &model, &aggregates), date)?;
    }
    meter.clear();
    Ok(dated)
}

/// Grid point `point`'s rows into `rows`, by the report date `date` (else
/// the scenario's); true when it is before the point's horizon.
fn push_rows(
    rows: &mut Rows,
    grid: &Grid,
    point: usize,
    (scenario, model, aggregates): (&Scenario, &Model, &Aggregates),
    date: Option<chrono::NaiveDate>,
) -> Result<bool, Failure> {
    let report_day = output::extras::distribution_day(scenario, model, date).map_err(Failure::Usage)?;
    let values = grid.values(point);
    for row in sweep::point_rows(point + 1, &values, (scenario, model), aggregates, report_day) {
        rows.push(row);
    }
    Ok(model.report_days[report_day] < model.horizon)
}

/// A grid point's scenario, model and aggregates.
type Point = (Scenario, Model, Aggregates);

/// `--until-se`: every grid point runs each batch of trials (so all share
/// them) until every point's target probabilities by the horizon are
/// precise enough. Every point's tables are kept until the last batch,
/// within the engine's table limit.
fn sweep_until(grid: &Grid, rule: &Rule, threads: usize, quiet: bool) -> Result<(Vec<Point>, Stop), Failure> {
    let mut points: Vec<Point> = Vec::with_capacity(grid.points);
    for point in 0..grid.points {
        let scenario = grid.scenario(point)?;
        let model = Model::new(&scenario);
        let aggregates = Aggregates::new(&model);
        points.push((scenario, model, aggregates));
    }
    let trials = points.first().map_or(1, |p| p.0.simulation.trials);
    let limit = engine::table_limit_mib().saturating_mul(1 << 20);
    let stop = precision::batches(rule, trials, |range, batch| {
        let count = range.end - range.start;
        let label = |point: usize| format!("batch {batch}, point {}/{}", point + 1, grid.points);
        let mut meter = Meter::new(count.saturating_mul(grid.points as u64), quiet, Some(label(0)));
        let mut worst: f64 = 0.0;
        let mut bytes = 0u64;
        for (point, (_, model, aggregates)) in points.iter_mut().enumerate() {
            meter.label(label(point));
            let part = meter.run(count, |progress| engine::run(model, range.clone(), threads, progress))?;
            aggregates.merge(&part);
            bytes = bytes.saturating_add(aggregates.table_bytes());
            for slots in &aggregates.first_reached {
                worst = worst.max(share_se(
                    share_within_horizon(slots, aggregates.trials),
                    aggregates.trials,
                ));
            }
        }
        if bytes > limit {
            return Err(Failure::Usage(format!(
                "sweep --until-se keeps every grid point's per-day tables until its last batch, and they passed \
                 {} MiB ({} MiB); sweep fewer points, use step = \"week\" or \"month\", or raise the limit with \
                 FORCEGEN_MAX_TABLE_MIB",
                limit >> 20,
                bytes >> 20
            )));
        }
        Ok(worst)
    })?;
    Ok((points, stop))
}

/// A short table for the terminal: each point's values and targets, from
/// the first rows of `sweep.csv`: each target's chance by the horizon, and
/// first by the report date when a point's is before its horizon (`dated`).
fn table(grid: &Grid, rows: &[Vec<String>], dated: bool) -> String {
    let columns = grid.axes.len() + 1;
    let mut table: Vec<Vec<String>> = vec![];
    let mut header: Vec<String> = vec!["point".to_string()];
    header.extend(grid.axes.iter().map(|a| safe_line(&a.field)));
    header.push("target".to_string());
    if dated {
        header.extend(["report_date", "p_by_report_date"].map(String::from));
    }
    header.extend(["p_by_horizon", "date_p50"].map(String::from));
    table.push(header);
    let share = |row: &[String], at: usize| {
        let p: f64 = row[at].parse().unwrap_or(0.0);
        if row[columns].is_empty() {
            String::new()
        } else {
            format!("{:.1}%", 100.0 * p)
        }
    };
    for row in rows {
        let mut line: Vec<String> = row[..columns].iter().map(|c| cell(c)).collect();
        line.push(cell(&row[columns]));
        if dated {
            line.push(row[columns + 1].clone());
            line.push(share(row, columns + 2));
        }
        line.push(share(row, columns + 4));
        line.push(row[columns + 6].clone());
        table.push(line);
    }
    aligned(&table)
}
