//! `forcegen backtest`: a scenario's forecast scored against observations,
//! into `backtest.csv`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

use super::options::{load_scenario, out_dir};
use super::progress::with_progress;
use super::run::identity;
use super::terminal::safe_line;
use super::{Failure, RunOptions, interrupt};
use crate::analysis::backtest::{self, Overall, Provenance, Score};
use crate::engine;
use crate::model::Model;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{number, schema};
use crate::scenario::Scenario;

/// The files `backtest` owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[backtest::FILE, backtest::INFO_FILE, schema::BACKTEST_PAGE],
    info: backtest::INFO_FILE,
};

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The scenario file (TOML; - reads standard input).
    pub scenario: PathBuf,
    /// The observations: a CSV file with the header `date,metric,value`.
    pub observed: PathBuf,
    /// Change one value of the scenario first (repeatable), as `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub options: RunOptions,
}

/// `forcegen backtest`: checks everything, simulates, scores, writes
/// `backtest.csv` and `backtest_info.csv`, prints a summary.
pub fn run(args: &BacktestArgs) -> Result<(), Failure> {
    interrupt::install();
    let mut scenario = load_scenario(Some(&args.scenario), &args.sets).map_err(|e| swapped_hint(e, args))?;
    args.options.apply_to(&mut scenario)?;
    let threads = args.options.threads()?;
    let (observations, bytes) = backtest::read_observations(&args.observed, &scenario)?;
    let mut model = Model::new(&scenario);
    model.report_days = backtest::report_days(&observations, model.horizon);
    let workers = match threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    crate::budget::check(&backtest::tables_need(&model, workers, scenario.simulation.trials))?;
    let out = out_dir(&args.options.output, Some(&args.scenario), Some("backtest"));
    let folder = OutputFolder::open(&out, FILES, &identity(&scenario), args.options.output.force)?;
    let started = Instant::now();
    let trials = scenario.simulation.trials;
    let aggregates = with_progress(trials, args.options.output.quiet, |progress| {
        engine::run(&model, 0..trials, threads, progress)
    })?;
    let elapsed = started.elapsed();
    let scores = backtest::score(&model, &aggregates, &observations);
    let provenance = Provenance {
        scenario: &scenario,
        observed_file: &args.observed,
        observed_bytes: &bytes,
        observations: scores.len(),
        trials: aggregates.trials,
        overrides: &args.sets,
    };
    let mut files = vec![
        (backtest::FILE, backtest::render(&scenario, &model, &scores)),
        (backtest::INFO_FILE, backtest::render_info(&provenance)),
    ];
    let page = crate::report::pages::backtest::render(&files)?;
    files.push((schema::BACKTEST_PAGE, page.into_bytes()));
    interrupt::check()?;
    let committed = folder.commit(&files)?;
    super::terminal::replaced(&committed, args.options.output.quiet);
    if !args.options.output.quiet {
        print_summary(&scenario, &model, &scores, &out, aggregates.trials, elapsed);
    }
    Ok(())
}

/// A scenario that does not read, when the observed file does: the two
/// arguments were probably given the other way round.
fn swapped_hint(failure: Failure, args: &BacktestArgs) -> Failure {
    let looks_like_csv = |p: &Path| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let looks_like_toml = |p: &Path| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if looks_like_csv(&args.scenario) && looks_like_toml(&args.observed) {
        return Failure::Usage(format!(
            "{failure}\nhint: the scenario comes first, then the observations: forcegen backtest {} {}",
            args.observed.display(),
            args.scenario.display()
        ));
    }
    failure
}

fn print_summary(scenario: &Scenario, model: &Model, scores: &[Score], out: &Path, trials: u64, elapsed: Duration) {
    println!(
        "{}: backtest of {} observations against {trials} trials (seed {}) in {:.2} s; results in {}",
        safe_line(&scenario.name),
        scores.len(),
        scenario.simulation.seed,
        elapsed.as_secs_f64(),
        safe_line(&out.display().to_string())
    );
    let groups = backtest::groups(scenario, model, scores);
    let width = groups
        .iter()
        .map(|(label, _)| safe_line(label).chars().count())
        .max()
        .unwrap_or(0);
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
            &safe_line(label),
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
