//! `forcegen validate`: check a scenario and report every problem, without
//! simulating.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::options::load_scenario;
use super::terminal::safe;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Change one value of the scenario before checking it (repeatable); see `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

/// `forcegen validate`: prints every problem, or a one-line description.
pub fn run(args: &ValidateArgs) -> Result<(), Failure> {
    let scenario = load_scenario(Some(&args.scenario), &args.sets)?;
    let with = match args.sets.len() {
        0 => String::new(),
        n => format!(" (with {n} --set)"),
    };
    println!(
        "{}{with}: ok: \"{}\", {} contributors, {} events, {} targets, {} correlations, {} report days, {} trials",
        safe(&args.scenario.display().to_string()),
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
