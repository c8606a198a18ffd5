//! `run --observed FILE`: the scenario conditioned on observations (the
//! rules: docs/MODEL.md §5.19). The trials inconsistent with the
//! observations are rejected; the files are those of a plain run of the
//! kept trials, plus `posterior.csv` and `observations.csv`, and
//! `run_info.csv` says how many trials were run and how many kept.

use std::path::Path;
use std::time::Instant;

use super::Failure;
use super::options::out_dir;
use super::progress::with_progress;
use super::run::{Conditioned, FILES, Results, RunArgs, identity};
use crate::analysis::backtest;
use crate::analysis::condition::{DEFAULT_MIN_ACCEPTED, Setup, Source};
use crate::engine;
use crate::output;
use crate::output::folder::OutputFolder;

/// `forcegen run SCENARIO --observed FILE`.
pub fn run(args: &RunArgs, path: &Path) -> Result<(), Failure> {
    let (scenario, threads) = super::run::prepare(args)?;
    let scenario = &scenario;
    let min_accepted = args.observed.min_accepted.unwrap_or(DEFAULT_MIN_ACCEPTED);
    let (observations, bytes) = backtest::read_observations(path, scenario)?;
    let source = Source::new(&path.display().to_string(), &bytes, observations.len());
    let setup = Setup::new(scenario, &observations, source)?;
    let out = out_dir(&args.options.output, args.scenario.as_deref(), None);
    let folder = OutputFolder::open(&out, FILES, &identity(scenario), args.options.output.force)?;
    let model = &setup.record;
    let report_day = output::extras::distribution_day(scenario, model, args.report_date).map_err(Failure::Usage)?;
    let started = Instant::now();
    let total = scenario.simulation.trials;
    let (aggregates, evidence) = with_progress(total, args.options.output.quiet, |progress| {
        engine::run_conditioned(setup.kept(), 0..total, threads, progress)
    })?;
    setup
        .check_kept(scenario, &evidence, min_accepted)
        .map_err(Failure::Usage)?;
    let conditioned = Conditioned {
        info: setup.info_columns(&evidence, min_accepted),
        files: setup.files(scenario, &evidence),
        line: format!(
            "conditioned on {} observations ({}): {} of {} trials kept ({:.2}%)",
            setup.source.rows,
            setup.source.file,
            evidence.accepted,
            evidence.run,
            100.0 * evidence.accepted as f64 / evidence.run.max(1) as f64
        ),
    };
    let results = Results {
        scenario,
        model,
        aggregates: &aggregates,
        elapsed: Some(started.elapsed()),
        threads,
        report_day,
        drivers: !args.no_drivers,
        precision: None,
        conditioned: Some(conditioned),
    };
    results.write(folder, args.wide, args.xlsx.xlsx, args.options.output.quiet)
}
