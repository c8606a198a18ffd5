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
use crate::scenario::overrides::{self, OverrideError};
use crate::scenario::{self, BASELINE_NAME, BASELINE_TEXT, Scenario, ScenarioError};

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{0}")]
    Overrides(#[from] OverrideError),
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
            Failure::Scenario(_) | Failure::Overrides(_) | Failure::Usage(_) | Failure::Partial(_) => 2,
            Failure::Output(e) if e.needs_force() => 2,
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
    /// Replace results of another scenario in the output folder.
    pub force: bool,
    /// Also write `timeseries_wide.csv`.
    pub wide: bool,
    /// `--set PATH=VALUE` overrides, applied in order.
    pub sets: Vec<String>,
}

/// Loads the scenario file, or the built-in baseline when there is none,
/// with the `--set PATH=VALUE` overrides `sets` applied in order.
pub fn load_scenario(path: Option<&Path>, sets: &[String]) -> Result<Scenario, Failure> {
    let (text, file) = scenario_text(path)?;
    Ok(overrides::apply(&text, &file, sets)?)
}

/// The text of the scenario file (or of the built-in baseline) and the
/// name messages give it.
pub fn scenario_text(path: Option<&Path>) -> Result<(String, String), ScenarioError> {
    match path {
        Some(path) => Ok((scenario::read_file(path)?, path.display().to_string())),
        None => Ok((BASELINE_TEXT.to_string(), format!("{BASELINE_NAME} (built in)"))),
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

/// Applies `--trials` and `--seed` (which win over the file and `--set`).
pub(crate) fn apply_overrides(scenario: &mut Scenario, trials: Option<u64>, seed: Option<u64>) -> Result<(), Failure> {
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
    // From the start, so that Ctrl-C at any point exits with 130 and writes nothing.
    crate::interrupt::install();
    let mut scenario = load_scenario(request.scenario.as_deref(), &request.sets)?;
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
    // Create the folder first, so a bad path fails before the work starts.
    let created = !out.exists();
    output::prepare_dir(&out)?;
    let result = simulate_and_write(&scenario, &out, request, total);
    if result.is_err() && created {
        // Leave no empty folder behind (fails harmlessly if anything is in it).
        let _ = std::fs::remove_dir(&out);
    }
    result.map_err(|failure| with_sets_hint(failure, &scenario))
}

/// A folder refused for holding another scenario's results, when this run
/// has `--set` overrides: says why it counts as another scenario.
fn with_sets_hint(failure: Failure, scenario: &Scenario) -> Failure {
    match failure {
        Failure::Output(e) if e.needs_force() && !scenario.overrides.is_empty() => Failure::Usage(format!(
            "{e}. (With --set the scenario is the edited text, whose scenario_sha256 differs from the file's.)"
        )),
        other => other,
    }
}

fn simulate_and_write(scenario: &Scenario, out: &Path, request: &RunRequest, total: u64) -> Result<(), Failure> {
    output::check_owner(out, &output::sha256_hex(&scenario.source), request.force)?;
    let model = Model::new(scenario);
    let started = Instant::now();
    let aggregates = simulate(&model, 0..total, request)?;
    let done = Finish {
        out,
        quiet: request.quiet,
        force: request.force,
        wide: request.wide,
        elapsed: Some(started.elapsed()),
    };
    finish(scenario, &model, &aggregates, &done)
}

/// Where and how [`finish`] writes.
struct Finish<'a> {
    out: &'a Path,
    quiet: bool,
    force: bool,
    wide: bool,
    elapsed: Option<Duration>,
}

/// Renders and writes the files, then prints a short summary. Ctrl-C before
/// the files are written stops here (nothing written); the folder is checked
/// again, in case another run wrote there meanwhile.
fn finish(scenario: &Scenario, model: &Model, aggregates: &Aggregates, how: &Finish) -> Result<(), Failure> {
    let files = with_report(output::render(scenario, model, aggregates), how.wide)?;
    if crate::interrupt::requested() {
        return Err(Failure::Engine(EngineError::Cancelled));
    }
    output::check_owner(how.out, &output::sha256_hex(&scenario.source), how.force)?;
    output::write_atomically(how.out, &files)?;
    if !how.wide {
        // A wide file of an earlier run with --wide would no longer match.
        let _ = std::fs::remove_file(how.out.join(output::wide::FILE));
    }
    if !how.quiet {
        print_summary(scenario, model, aggregates, how.out, how.elapsed);
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

/// Runs the engine with a progress bar on a terminal, and Ctrl-C handling
/// (`request` gives `threads` and `quiet`).
pub(crate) fn simulate(
    model: &Model,
    trials: std::ops::Range<u64>,
    request: &RunRequest,
) -> Result<Aggregates, Failure> {
    let total = trials.end - trials.start;
    let threads = request.threads.unwrap_or(0);
    with_progress(total, request.quiet, |progress| {
        engine::run(model, trials.clone(), threads, progress)
    })
}

/// Runs `work` on another thread while showing a progress bar of `total`
/// trials (on a terminal, unless `quiet`) and passing Ctrl-C on to it.
pub fn with_progress<T: Send>(
    total: u64,
    quiet: bool,
    work: impl FnOnce(&Progress) -> Result<T, EngineError> + Send,
) -> Result<T, Failure> {
    let progress = Progress::default();
    let show_bar = !quiet && std::io::stderr().is_terminal();
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(|| work(&progress));
        let bar = show_bar.then(|| progress_bar(total));
        while !worker.is_finished() {
            if crate::interrupt::requested() {
                progress.cancel.store(true, Ordering::Relaxed);
            }
            if let Some(bar) = &bar {
                bar.set_position(progress.done.load(Ordering::Relaxed));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        worker.join()
    });
    match result {
        Ok(Ok(value)) => Ok(value),
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

/// `forcegen validate`: prints every problem, or a one-line description;
/// `sets` are `--set PATH=VALUE` overrides.
pub fn validate(path: &Path, sets: &[String]) -> Result<(), Failure> {
    let scenario = load_scenario(Some(path), sets)?;
    let with = match sets.len() {
        0 => String::new(),
        n => format!(" (with {n} --set)"),
    };
    println!(
        "{}{with}: ok: \"{}\", {} contributors, {} events, {} targets, {} correlations, {} report days, {} trials",
        path.display(),
        scenario.name,
        scenario.contributors.len(),
        scenario.events.len(),
        scenario.targets.len(),
        scenario.correlations.len(),
        scenario.report_days().len(),
        scenario.simulation.trials
    );
    Ok(())
}

/// `forcegen merge`; `force` replaces results of another scenario in the folder.
pub fn merge(paths: &[PathBuf], out: Option<&Path>, quiet: bool, force: bool) -> Result<(), Failure> {
    crate::interrupt::install();
    let merged = partial::merge_files(paths)?;
    let out = out.map(Path::to_path_buf).unwrap_or_else(|| merged.default_out_dir());
    output::prepare_dir(&out)?;
    output::check_owner(&out, &output::sha256_hex(&merged.scenario.source), force)?;
    let model = Model::new(&merged.scenario);
    let done = Finish {
        out: &out,
        quiet,
        force,
        wide: false,
        elapsed: None,
    };
    finish(&merged.scenario, &model, &merged.aggregates, &done)
}

/// Adds the report and its charts (built from the CSV bytes, as `forcegen
/// report` builds them from the files) and, with `wide`, `timeseries_wide.csv`.
fn with_report(mut files: Vec<(&'static str, Vec<u8>)>, wide: bool) -> Result<Vec<(&'static str, Vec<u8>)>, Failure> {
    let internal = |e: &dyn std::fmt::Display| Failure::Usage(format!("internal error: {e}"));
    let report = crate::report::render(&files).map_err(|e| internal(&e))?;
    if wide {
        let timeseries = files
            .iter()
            .find(|(name, _)| *name == output::FILES[0])
            .map(|(_, b)| b.as_slice());
        let bytes = output::wide::from_timeseries(timeseries.unwrap_or_default()).map_err(|e| internal(&e))?;
        files.push((output::wide::FILE, bytes));
    }
    files.extend(report);
    Ok(files)
}

/// `forcegen report`: rebuilds `report.html` and the charts from the CSV
/// files of a finished run in `dir`.
pub fn report(dir: &Path, quiet: bool) -> Result<(), Failure> {
    let files = crate::report::read_csv_files(dir).map_err(|e| Failure::Usage(e.to_string()))?;
    let report = crate::report::render(&files).map_err(|e| Failure::Usage(e.to_string()))?;
    let written = output::write_atomically(dir, &report)?;
    if let (false, Some(page)) = (quiet, written.first()) {
        println!("report: {}", page.display());
    }
    Ok(())
}

/// What `sensitivity` and `compare` were asked to do, free of clap.
#[derive(Debug, Clone, Default)]
pub struct AnalysisRequest {
    /// Scenario files (`sensitivity` takes at most one; none = the baseline).
    pub scenarios: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub quiet: bool,
    /// Replace files of another scenario in the output folder.
    pub force: bool,
    /// `--set PATH=VALUE` overrides (`sensitivity` only).
    pub sets: Vec<String>,
}

/// `output/<scenario file stem>-<suffix>/`: where an analysis command
/// writes by default, beside the run's own folder.
pub fn suffixed_out_dir(scenario_path: Option<&Path>, suffix: &str) -> PathBuf {
    let run_dir = default_out_dir(scenario_path);
    let mut name = run_dir.file_name().unwrap_or_default().to_os_string();
    name.push(format!("-{suffix}"));
    run_dir.with_file_name(name)
}

/// `--out`, or `output/<first scenario's stem>-<suffix>/`.
fn analysis_out_dir(request: &AnalysisRequest, suffix: &str) -> PathBuf {
    request
        .out
        .clone()
        .unwrap_or_else(|| suffixed_out_dir(request.scenarios.first().map(PathBuf::as_path), suffix))
}

/// Where an analysis writes: its result file and its info file (which says
/// whose results they are, for the same owner check as `run`).
struct AnalysisOutput<'a> {
    out: &'a Path,
    files: [&'static str; 2],
    sha256: String,
    force: bool,
}

impl AnalysisOutput<'_> {
    /// Refuses, before any work, a folder holding another scenario's files.
    fn check(&self) -> Result<(), Failure> {
        output::check_owner_of(self.out, &self.files, self.files[1], &self.sha256, self.force)?;
        Ok(())
    }

    /// Creates the folder, checks it again, writes the result and the info
    /// row atomically, and removes the folder if it was created here and
    /// writing failed.
    fn write(&self, result: Vec<u8>, info: Vec<u8>) -> Result<(), Failure> {
        if crate::interrupt::requested() {
            return Err(Failure::Engine(EngineError::Cancelled));
        }
        let created = !self.out.exists();
        output::prepare_dir(self.out)?;
        let written = self.check().and_then(|()| {
            Ok(output::write_atomically(
                self.out,
                &[(self.files[0], result), (self.files[1], info)],
            )?)
        });
        if written.is_err() && created {
            let _ = std::fs::remove_dir(self.out);
        }
        written.map(|_| ())
    }
}

/// One info row: `scenario`, `scenario_sha256`, `seed`, `trials`,
/// `forcegen_version`, `generator`, then `extra` columns.
fn info_row(name: &str, sha256: &str, seed: u64, trials: u64, extra: &[(&str, String)]) -> Vec<u8> {
    let mut header = vec![
        "scenario",
        "scenario_sha256",
        "seed",
        "trials",
        "forcegen_version",
        "generator",
    ];
    header.extend(extra.iter().map(|(h, _)| *h));
    let mut row = vec![
        output::cell_text(name),
        sha256.to_string(),
        seed.to_string(),
        trials.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        crate::model::GENERATOR_NAME.to_string(),
    ];
    row.extend(extra.iter().map(|(_, v)| output::cell_text(v)));
    output::csv_bytes(&header, [row])
}

/// `forcegen sensitivity`.
pub fn sensitivity(request: &AnalysisRequest) -> Result<(), Failure> {
    use crate::decide::sensitivity;
    crate::interrupt::install();
    let mut scenario = load_scenario(request.scenarios.first().map(PathBuf::as_path), &request.sets)?;
    apply_overrides(&mut scenario, request.trials, request.seed)?;
    let trials = scenario.simulation.trials;
    let model = Model::new(&scenario);
    let table = model.input_table();
    let outcomes = sensitivity::outcomes(&scenario);
    let per_trial = sensitivity::bytes_per_trial(table.paths.len(), outcomes.len());
    let most = sensitivity::MAX_SAMPLE_BYTES / per_trial;
    if trials > most {
        return Err(Failure::Usage(format!(
            "sensitivity keeps every trial's {} inputs and {} outcomes in memory ({per_trial} bytes a trial): at \
             most {most} trials for this scenario (4 GiB), got {trials}; use --trials",
            table.paths.len(),
            outcomes.len()
        )));
    }
    let out = analysis_out_dir(request, "sensitivity");
    let files = AnalysisOutput {
        out: &out,
        files: [sensitivity::FILE, sensitivity::INFO_FILE],
        sha256: output::sha256_hex(&scenario.source),
        force: request.force,
    };
    files.check()?;
    let started = Instant::now();
    let threads = request.threads.unwrap_or(0);
    let samples = with_progress(trials, request.quiet, |progress| {
        sensitivity::sample(&model, &table, &outcomes, 0..trials, threads, progress)
    })?;
    let rows = sensitivity::analyse(&table.paths, &outcomes, &samples);
    let info = info_row(
        &scenario.name,
        &files.sha256,
        scenario.simulation.seed,
        trials,
        &[
            ("inputs", table.paths.len().to_string()),
            ("spearman_noise", output::number(sensitivity::spearman_noise(trials), 4)),
            (
                "first_order_noise",
                output::number(sensitivity::first_order_noise(trials), 4),
            ),
            ("overrides", request.sets.join("; ")),
        ],
    );
    files.write(sensitivity::render(&rows), info)?;
    if !request.quiet {
        println!(
            "{}: {} inputs, {} trials (seed {}) in {:.2} s; {}",
            scenario.name,
            table.paths.len(),
            trials,
            scenario.simulation.seed,
            started.elapsed().as_secs_f64(),
            out.join(sensitivity::FILE).display()
        );
        println!(
            "  (|spearman| under {} and first-order under {} are within noise of no influence at {trials} trials{})",
            output::number(sensitivity::spearman_noise(trials), 3),
            output::number(sensitivity::first_order_noise(trials), 4),
            if trials < 1000 {
                "; use --trials 10000 or more for a ranking to rely on"
            } else {
                ""
            }
        );
        for outcome in &outcomes {
            let block: Vec<_> = rows.iter().filter(|r| r.outcome == outcome.name).collect();
            if block.is_empty() {
                println!("  {}: no uncertain input to rank", outcome.name);
                continue;
            }
            if block.iter().all(|r| r.spearman.is_none()) {
                println!("  {}: the same in every trial, nothing to rank", outcome.name);
                continue;
            }
            println!("  {}:", outcome.name);
            for row in block.iter().take(5) {
                let show = |v: Option<f64>, plus: bool| match v {
                    Some(v) if plus => format!("{v:+.2}"),
                    Some(v) => format!("{v:.2}"),
                    None => "-".to_string(),
                };
                println!(
                    "    {:>2}. {}  (spearman {}, first-order {})",
                    row.rank,
                    row.input,
                    show(row.spearman, true),
                    show(row.first_order, false)
                );
            }
        }
    }
    Ok(())
}

/// `forcegen compare`: the scenarios on common random numbers.
pub fn compare(request: &AnalysisRequest) -> Result<(), Failure> {
    use crate::decide::compare::{self, Arm};
    crate::interrupt::install();
    if request.scenarios.len() < 2 {
        return Err(Failure::Usage(
            "compare needs at least two scenario files (the first is the reference)".to_string(),
        ));
    }
    let mut scenarios = Vec::new();
    for path in &request.scenarios {
        scenarios.push(scenario::parse_file(path)?);
    }
    // Every scenario runs the first one's seed and trials (or the flags').
    let (trials, seed) = (scenarios[0].simulation.trials, scenarios[0].simulation.seed);
    for s in &mut scenarios {
        apply_overrides(
            s,
            Some(request.trials.unwrap_or(trials)),
            Some(request.seed.unwrap_or(seed)),
        )?;
    }
    let reference = &scenarios[0];
    for other in &scenarios[1..] {
        let (a, b) = (&reference.simulation, &other.simulation);
        if (a.start, a.horizon_days) != (b.start, b.horizon_days) {
            return Err(Failure::Usage(format!(
                "compare needs the same simulation.start and horizon_days in every scenario: {} has {} and {} \
                 days, {} has {} and {} days",
                reference.file, a.start, a.horizon_days, other.file, b.start, b.horizon_days
            )));
        }
    }
    let quantities = compare::quantities(&scenarios).map_err(Failure::Usage)?;
    let arms: Vec<Arm> = scenarios
        .iter()
        .map(|s| Arm::new(s.file.clone(), s, &quantities))
        .collect();
    let out = analysis_out_dir(request, "compare");
    // The pair (or list) of scenarios is what owns the folder.
    let hashes: Vec<String> = scenarios.iter().map(|s| output::sha256_hex(&s.source)).collect();
    let files = AnalysisOutput {
        out: &out,
        files: [compare::FILE, compare::INFO_FILE],
        sha256: output::sha256_hex(&hashes.join("\n")),
        force: request.force,
    };
    files.check()?;
    let trials = reference.simulation.trials;
    let threads = request.threads.unwrap_or(0);
    let started = Instant::now();
    let sums = with_progress(trials, request.quiet, |progress| {
        compare::run(&arms, &quantities, 0..trials, threads, progress)
    })?;
    let rows = compare::rows(&arms, &quantities, &sums);
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let paths: Vec<&str> = scenarios.iter().map(|s| s.file.as_str()).collect();
    let info = info_row(
        &names.join(" | "),
        &files.sha256,
        reference.simulation.seed,
        trials,
        &[
            ("scenario_files", paths.join(" | ")),
            ("scenario_file_sha256s", hashes.join(" | ")),
        ],
    );
    files.write(compare::render(&rows), info)?;
    if !request.quiet {
        println!(
            "{} scenarios, {} trials each on common random numbers (seed {}) in {:.2} s; {}",
            arms.len(),
            trials,
            reference.simulation.seed,
            started.elapsed().as_secs_f64(),
            out.join(compare::FILE).display()
        );
        for row in rows.iter().filter(|r| r.kind == "target") {
            match row.difference {
                None => println!("  {}: {}: {:.1}%", row.quantity, row.scenario, 100.0 * row.value),
                Some((d, se, _)) => println!(
                    "  {}: {}: {:.1}% ({:+.1} points, paired SE {:.1})",
                    row.quantity,
                    row.scenario,
                    100.0 * row.value,
                    100.0 * d,
                    100.0 * se
                ),
            }
        }
    }
    Ok(())
}
