//! The commands: load a scenario, run the engine, write the files. Each
//! returns a [`Failure`] that knows its exit code; `main` only prints it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::engine::{self, Aggregates, EngineError, Progress};
use crate::model::Model;
use crate::output::{self, OutputError};
use crate::partial::{self, Partial, PartialError, Shard};
use crate::scenario::{self, BASELINE_NAME, BASELINE_TEXT, Scenario, ScenarioError};

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Partial(#[from] PartialError),
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("{0}")]
    Engine(EngineError),
}

impl Failure {
    /// 2 for bad input or usage, 130 for an interrupt, 1 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Scenario(_) | Failure::Usage(_) | Failure::Partial(_) => 2,
            Failure::Engine(EngineError::Cancelled) => 130,
            Failure::Output(_) | Failure::Engine(_) => 1,
        }
    }
}

/// What `run` was asked to do, free of clap.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub scenario: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub quiet: bool,
    pub shard: Option<String>,
    pub partial: Option<PathBuf>,
}

/// Loads the scenario file, or the built-in baseline when there is none.
pub fn load_scenario(path: Option<&Path>) -> Result<Scenario, ScenarioError> {
    match path {
        Some(path) => scenario::parse_file(path),
        None => scenario::parse_str(BASELINE_TEXT, &format!("{BASELINE_NAME} (built in)")),
    }
}

/// `output/<scenario file stem>/`.
pub fn default_out_dir(scenario_path: Option<&Path>) -> PathBuf {
    let stem = scenario_path
        .and_then(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| BASELINE_NAME.trim_end_matches(".toml").to_string());
    Path::new("output").join(stem)
}

fn apply_overrides(scenario: &mut Scenario, trials: Option<u64>, seed: Option<u64>) -> Result<(), Failure> {
    if let Some(trials) = trials {
        if trials == 0 || trials > scenario::MAX_TRIALS {
            return Err(Failure::Usage(format!(
                "--trials must be from 1 to {}, got {trials}",
                scenario::MAX_TRIALS
            )));
        }
        scenario.simulation.trials = trials;
    }
    if let Some(seed) = seed {
        scenario.simulation.seed = seed;
    }
    Ok(())
}

/// `forcegen run`.
pub fn run(request: &RunRequest) -> Result<(), Failure> {
    let mut scenario = load_scenario(request.scenario.as_deref())?;
    apply_overrides(&mut scenario, request.trials, request.seed)?;
    let shard = request
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(Failure::Usage)?;
    let total = scenario.simulation.trials;
    if let (Some(shard), Some(path)) = (shard, &request.partial) {
        partial::check_writable(path)?;
        let model = Model::new(&scenario);
        let started = Instant::now();
        let aggregates = simulate(&model, shard.trials(total), request)?;
        let stem = default_out_dir(request.scenario.as_deref());
        let part = Partial::new(
            &scenario,
            stem.file_name().map(|s| s.to_string_lossy().into_owned()),
            shard,
            aggregates,
        );
        partial::write(path, &part)?;
        if !request.quiet {
            println!(
                "shard {}/{}: {} trials in {:.1} s -> {}",
                shard.index,
                shard.count,
                part.aggregates.trials,
                started.elapsed().as_secs_f64(),
                path.display()
            );
        }
        return Ok(());
    }
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(request.scenario.as_deref()));
    output::prepare_dir(&out)?;
    let model = Model::new(&scenario);
    let started = Instant::now();
    let aggregates = simulate(&model, 0..total, request)?;
    let elapsed = started.elapsed();
    finish(&scenario, &model, &aggregates, &out, request.quiet, Some(elapsed))
}

/// Renders and writes the files, then prints a short summary.
fn finish(
    scenario: &Scenario,
    model: &Model,
    aggregates: &Aggregates,
    out: &Path,
    quiet: bool,
    elapsed: Option<Duration>,
) -> Result<(), Failure> {
    let files = output::render(scenario, model, aggregates);
    output::write_atomically(out, &files)?;
    if !quiet {
        print_summary(scenario, model, aggregates, out, elapsed);
    }
    Ok(())
}

fn print_summary(scenario: &Scenario, model: &Model, aggregates: &Aggregates, out: &Path, elapsed: Option<Duration>) {
    let time = elapsed
        .map(|e| format!(" in {:.2} s", e.as_secs_f64()))
        .unwrap_or_default();
    println!(
        "{}: {} trials (seed {}){time}; results in {}",
        scenario.name,
        aggregates.trials,
        scenario.simulation.seed,
        out.display()
    );
    let horizon = scenario.date_of(model.horizon);
    for (t, target) in scenario.targets.iter().enumerate() {
        let slots = &aggregates.first_reached[t];
        let p = output::stats::share_within_horizon(slots, aggregates.trials);
        let median = output::stats::date_percentiles(slots, &model.report_days, aggregates.trials, &[50])[0];
        let median = median
            .map(|d| format!(", median date {}", scenario.date_of(d)))
            .unwrap_or_default();
        println!("  {}: {:.1}% by {horizon}{median}", target.name, 100.0 * p);
    }
}

/// Runs the engine with a progress bar on a terminal, and Ctrl-C handling.
fn simulate(model: &Model, trials: std::ops::Range<u64>, request: &RunRequest) -> Result<Aggregates, Failure> {
    let progress = Progress::default();
    let total = trials.end - trials.start;
    let show_bar = !request.quiet && std::io::stderr().is_terminal();
    let threads = request.threads.unwrap_or(0);
    crate::interrupt::install();
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(|| engine::run(model, trials.clone(), threads, &progress));
        let bar = show_bar.then(|| progress_bar(total));
        while !worker.is_finished() {
            if crate::interrupt::requested() {
                progress.cancel.store(true, Ordering::Relaxed);
            }
            if let Some(bar) = &bar {
                bar.set_position(progress.done.load(Ordering::Relaxed));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        worker.join()
    });
    match result {
        Ok(Ok(aggregates)) => Ok(aggregates),
        Ok(Err(e)) => Err(Failure::Engine(e)),
        Err(_) => Err(Failure::Usage("internal error: a worker thread panicked".to_string())),
    }
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} trials  {per_sec}  ETA {eta}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// `forcegen validate`: prints every problem, or a one-line description.
pub fn validate(path: &Path) -> Result<(), Failure> {
    let scenario = scenario::parse_file(path)?;
    println!(
        "{}: ok: \"{}\", {} contributors, {} events, {} targets, {} report days, {} trials",
        path.display(),
        scenario.name,
        scenario.contributors.len(),
        scenario.events.len(),
        scenario.targets.len(),
        scenario.report_days().len(),
        scenario.simulation.trials
    );
    Ok(())
}

/// `forcegen merge`.
pub fn merge(paths: &[PathBuf], out: Option<&Path>, quiet: bool) -> Result<(), Failure> {
    let merged = partial::merge_files(paths)?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new("output").join(merged.out_stem.clone().unwrap_or_else(|| "merged".to_string())));
    output::prepare_dir(&out)?;
    let model = Model::new(&merged.scenario);
    finish(&merged.scenario, &model, &merged.aggregates, &out, quiet, None)
}
