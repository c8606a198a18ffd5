//! `forcegen validate`: check a scenario and report every problem, without
//! simulating.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::interrupt::interruptible;
use super::options::load_scenario;
use super::terminal::safe_line;
use crate::analysis::explain::{DRAWS, QUICK_DRAWS, Warning, quick_warnings};
use crate::scenario::Scenario;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The scenario file (TOML; - reads standard input).
    pub scenario: PathBuf,
    /// Change one value of the scenario before checking it (repeatable); see `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

/// `forcegen validate`: prints every problem, or a one-line description.
/// Ctrl-C stops it at once (exit 130).
pub fn run(args: &ValidateArgs) -> Result<(), Failure> {
    let (path, sets) = (args.scenario.clone(), args.sets.clone());
    let (scenario, warnings) = interruptible(move || -> Result<_, Failure> {
        let scenario = load_scenario(Some(&path), &sets)?;
        let warnings = quick_warnings(&scenario, DRAWS);
        Ok((scenario, warnings))
    })??;
    print(&scenario, &warnings);
    let with = match args.sets.len() {
        0 => String::new(),
        n => format!(" (with {n} --set)"),
    };
    println!(
        "{}{with}: ok: \"{}\", {} contributors, {} events, {} targets, {} correlations, {} report days, {} trials",
        safe_line(&scenario.file),
        safe_line(&scenario.name),
        scenario.contributors.len(),
        scenario.events.len(),
        scenario.targets.len(),
        scenario.correlations.len(),
        scenario.report_days().len(),
        scenario.simulation.trials
    );
    Ok(())
}

/// Prints to stderr, one "warning: FIELD: MESSAGE" line each, the warnings
/// of `explain` about inputs much changed by clamping and about targets out
/// of reach or already met ([`quick_warnings`] from a number of draws per
/// input): `validate` with explain's [`DRAWS`] (the same text), `run` (not
/// with `--quiet`) with [`QUICK_DRAWS`], before anything else. Each is one
/// line: a newline in a name is shown escaped. Then the warnings of the
/// priors `scenario` uses (a prior fitted to one record).
pub(super) fn print(scenario: &Scenario, warnings: &[Warning]) {
    for warning in warnings {
        eprintln!(
            "warning: {}",
            safe_line(&format!("{}: {}", warning.field, warning.message))
        );
    }
    for (field, message) in crate::scenario::priors::warnings(&scenario.prior_uses) {
        eprintln!("warning: {}", safe_line(&format!("{field}: {message}")));
    }
}

/// The warnings `run` prints ([`quick_warnings`] with [`QUICK_DRAWS`]),
/// worked out so that Ctrl-C stops them at once.
pub(super) fn print_run_warnings(scenario: &Scenario) -> Result<(), Failure> {
    let copy = scenario.clone();
    let warnings = interruptible(move || quick_warnings(&copy, QUICK_DRAWS))?;
    print(scenario, &warnings);
    Ok(())
}
