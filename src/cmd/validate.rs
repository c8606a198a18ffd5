//! `forcegen validate`: check a scenario and report every problem, without
//! simulating.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::options::load_scenario;
use super::terminal::safe;
use crate::analysis::explain::{DRAWS, QUICK_DRAWS, quick_warnings};
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
pub fn run(args: &ValidateArgs) -> Result<(), Failure> {
    let scenario = load_scenario(Some(&args.scenario), &args.sets)?;
    print_warnings(&scenario, DRAWS);
    let with = match args.sets.len() {
        0 => String::new(),
        n => format!(" (with {n} --set)"),
    };
    println!(
        "{}{with}: ok: \"{}\", {} contributors, {} events, {} targets, {} correlations, {} report days, {} trials",
        safe(&scenario.file),
        safe(&scenario.name),
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
/// of reach or already met ([`quick_warnings`] from `n` draws per input):
/// `validate` with explain's [`DRAWS`] (the same text), `run` (not with
/// `--quiet`) with [`QUICK_DRAWS`], before anything else.
pub(super) fn print_warnings(scenario: &Scenario, n: usize) {
    for warning in quick_warnings(scenario, n) {
        eprintln!("warning: {}", safe(&format!("{}: {}", warning.field, warning.message)));
    }
    for (field, message) in crate::scenario::priors::warnings(&scenario.prior_uses) {
        eprintln!("warning: {}", safe(&format!("{field}: {message}")));
    }
}

/// [`print_warnings`] as `run` prints them.
pub(super) fn print_run_warnings(scenario: &Scenario) {
    print_warnings(scenario, QUICK_DRAWS);
}
