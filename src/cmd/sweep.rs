//! `forcegen sweep`: the scenario once per combination of `--set` values,
//! on common random numbers, into `sweep.csv`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::options::{out_dir, scenario_text};
use super::progress::Meter;
use super::terminal::{aligned, cell, safe};
use super::{Failure, RunOptions, interrupt};
use crate::analysis::sweep::{self, Grid, Rows};
use crate::engine;
use crate::model::Model;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{self, Identity, schema, sha256_hex};

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
}

/// `forcegen sweep`.
pub fn run(args: &SweepArgs) -> Result<(), Failure> {
    interrupt::install();
    let (text, file) = scenario_text(args.scenario.as_deref())?;
    let grid = Grid::new(&text, &file, &args.sets, args.options.trials, args.options.seed)?;
    let threads = args.options.threads()?;
    let out = out_dir(&args.options.output, args.scenario.as_deref(), Some("sweep"));
    let sha256 = sha256_hex(&text);
    let first = grid.scenario(0)?;
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
    let trials = first.simulation.trials;
    let quiet = args.options.output.quiet;
    let mut meter = Meter::new(
        trials.saturating_mul(grid.points as u64),
        quiet,
        Some(format!("point 1/{}", grid.points)),
    );
    // Rows go straight into the CSV text; the terminal shows the first few.
    let mut rows = Rows::new(&grid.header());
    let mut dated = false;
    for point in 0..grid.points {
        meter.label(format!("point {}/{}", point + 1, grid.points));
        let scenario = grid.scenario(point)?;
        let model = Model::new(&scenario);
        let report_day =
            output::extras::distribution_day(&scenario, &model, args.report_date).map_err(Failure::Usage)?;
        dated |= model.report_days[report_day] < model.horizon;
        let aggregates = meter.run(trials, |progress| engine::run(&model, 0..trials, threads, progress))?;
        let values = grid.values(point);
        for row in sweep::point_rows(point + 1, &values, (&scenario, &model), &aggregates, report_day) {
            rows.push(row);
        }
    }
    meter.clear();
    interrupt::check()?;
    let (shown, count) = (std::mem::take(&mut rows.shown), rows.count);
    let info = grid.info(&first, &sha256, &args.sets);
    let mut files = vec![(sweep::FILE, rows.into_bytes()), (sweep::INFO_FILE, info)];
    let page = crate::report::pages::sweep::render(&files)?;
    files.push((schema::SWEEP_PAGE, page.into_bytes()));
    let committed = folder.commit(&files)?;
    super::terminal::replaced(&committed, quiet);
    if !quiet {
        println!(
            "{}: {} grid points x {trials} trials (seed {}) in {:.2} s; results in {}",
            safe(&first.name),
            grid.points,
            first.simulation.seed,
            started.elapsed().as_secs_f64(),
            safe(&out.join(sweep::FILE).display().to_string())
        );
        print!("{}", table(&grid, &shown, dated));
        if count > shown.len() {
            println!("  ... and {} more rows in {}", count - shown.len(), sweep::FILE);
        }
    }
    Ok(())
}

/// A short table for the terminal: each point's values and targets, from
/// the first rows of `sweep.csv`: each target's chance by the horizon, and
/// first by the report date when a point's is before its horizon (`dated`).
fn table(grid: &Grid, rows: &[Vec<String>], dated: bool) -> String {
    let columns = grid.axes.len() + 1;
    let mut table: Vec<Vec<String>> = vec![];
    let mut header: Vec<String> = vec!["point".to_string()];
    header.extend(grid.axes.iter().map(|a| safe(&a.field)));
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
