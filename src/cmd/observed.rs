//! `run --observed FILE`: the scenario conditioned on observations (the
//! rules: docs/MODEL.md §5.19). The trials inconsistent with the
//! observations are rejected; the files are those of a plain run of the
//! kept trials, plus `posterior.csv` and `observations.csv`, and
//! `run_info.csv` says how many trials were run and how many kept. With
//! `--shard`, a partial result that carries the observed file and what its
//! trials learned; `merge` finishes it ([`merged`]).

use std::path::Path;
use std::time::Instant;

use super::Failure;
use super::options::out_dir;
use super::progress::with_progress;
use super::run::{Conditioned, FILES, Results, RunArgs, check_target, identity};
use super::terminal::safe_line;
use crate::analysis::backtest;
use crate::analysis::condition::{DEFAULT_MIN_ACCEPTED, Setup, Source};
use crate::engine::{self, Evidence};
use crate::output;
use crate::output::folder::OutputFolder;
use crate::partial::{self, ObservedPart, Partial, Shard};
use crate::scenario::Scenario;

/// `forcegen run SCENARIO --observed FILE` (with `--shard`, one shard).
pub fn run(args: &RunArgs, path: &Path) -> Result<(), Failure> {
    let (scenario, threads) = super::run::prepare(args)?;
    if args.trials.trials_out.is_some() {
        return Err(Failure::Usage(
            "--trials-out is not taken with --observed (the kept trials are not numbered 0 to trials - 1); run \
             without --observed for the trials themselves"
                .to_string(),
        ));
    }
    let min_accepted = args.observed.min_accepted.unwrap_or(DEFAULT_MIN_ACCEPTED);
    let (observations, bytes) = backtest::read_observations(path, &scenario)?;
    let source = Source::new(&path.display().to_string(), &bytes, observations.len());
    let setup = Setup::new(&scenario, &observations, source)?;
    if let (Some(shard), Some(partial)) = (&args.shard, &args.partial) {
        let shard = Shard::parse(shard).map_err(Failure::Usage)?;
        return run_shard(args, &scenario, &setup, (shard, partial), threads, min_accepted);
    }
    let out = out_dir(&args.options.output, args.scenario.as_deref(), None);
    let folder = OutputFolder::open(&out, FILES, &identity(&scenario), args.options.output.force)?;
    let model = &setup.record;
    let report_day = output::extras::distribution_day(&scenario, model, args.report_date).map_err(Failure::Usage)?;
    let started = Instant::now();
    let total = scenario.simulation.trials;
    let (aggregates, evidence) = with_progress(total, args.options.output.quiet, |progress| {
        engine::run_conditioned(setup.kept(), 0..total, threads, progress)
    })?;
    let results = Results {
        scenario: &scenario,
        model,
        aggregates: &aggregates,
        elapsed: Some(started.elapsed()),
        threads,
        report_day,
        drivers: !args.no_drivers,
        percents: args.percentiles.percents(),
        precision: None,
        conditioned: Some(conditioned(&scenario, &setup, &evidence, min_accepted)?),
    };
    let formats = (args.xlsx.xlsx, args.json.json);
    results.write(folder, args.wide, formats, args.options.output.quiet)
}

/// What a conditioned run adds to its results, once enough trials are
/// kept (else the refusal, naming the least consistent observation).
pub fn conditioned(
    scenario: &Scenario,
    setup: &Setup,
    evidence: &Evidence,
    min_accepted: u64,
) -> Result<Conditioned, Failure> {
    setup
        .check_kept(scenario, evidence, min_accepted)
        .map_err(Failure::Usage)?;
    Ok(Conditioned {
        info: setup.info_columns(evidence, min_accepted),
        files: setup.files(scenario, evidence),
        line: format!(
            "conditioned on {} observations ({}): {} of {} trials kept ({:.2}%)",
            setup.source.rows,
            setup.source.file,
            evidence.accepted,
            evidence.run,
            100.0 * evidence.accepted as f64 / evidence.run.max(1) as f64
        ),
    })
}

/// One shard of a conditioned run, written as a partial result (whether
/// enough trials are kept is judged at the merge, over every shard).
fn run_shard(
    args: &RunArgs,
    scenario: &Scenario,
    setup: &Setup,
    (shard, path): (Shard, &Path),
    threads: usize,
    min_accepted: u64,
) -> Result<(), Failure> {
    let quiet = args.options.output.quiet;
    check_target(
        path,
        args.scenario.as_deref(),
        partial::HEADER_START.as_bytes(),
        args.options.output.force,
    )?;
    partial::check_writable(path)?;
    let started = Instant::now();
    let trials = shard.trials(scenario.simulation.trials);
    let count = trials.end - trials.start;
    let (aggregates, evidence) = with_progress(count, quiet, |progress| {
        engine::run_conditioned(setup.kept(), trials.clone(), threads, progress)
    })?;
    let stem = out_dir(&Default::default(), args.scenario.as_deref(), None);
    let stem = stem.file_name().map(|s| s.to_string_lossy().into_owned());
    let observed = ObservedPart {
        file: setup.source.file.clone(),
        text: setup.source.text.clone(),
        sha256: setup.source.sha256.clone(),
        min_accepted,
        evidence,
    };
    let part = Partial::new(scenario, stem, shard, aggregates).with_observed(observed);
    super::interrupt::check()?;
    partial::write(path, &part)?;
    if !quiet {
        println!(
            "shard {}/{}: {} trials in {:.1} s, {} kept -> {}",
            shard.index,
            shard.count,
            count,
            started.elapsed().as_secs_f64(),
            part.aggregates.trials,
            safe_line(&path.display().to_string())
        );
    }
    Ok(())
}

/// `merge` of conditioned shards: the observations read again from the
/// text the shards carry, the merged evidence checked against them, and
/// what the run adds to its results.
pub fn merged(scenario: &Scenario, observed: &ObservedPart) -> Result<Conditioned, Failure> {
    let observations = backtest::read_observations_from(observed.text.as_bytes(), &observed.file, scenario)?;
    let mut source = Source::new(&observed.file, observed.text.as_bytes(), observations.len());
    source.sha256.clone_from(&observed.sha256);
    let setup = Setup::new(scenario, &observations, source)?;
    let evidence = &observed.evidence;
    evidence
        .check(setup.inputs.paths.len(), setup.conditions.groups.len())
        .map_err(|e| Failure::Usage(format!("cannot merge: the partial results are damaged: {e}")))?;
    conditioned(scenario, &setup, evidence, observed.min_accepted)
}
