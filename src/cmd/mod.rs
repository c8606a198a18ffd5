//! The command layer: one file per command, and the only part of forcegen
//! that knows clap, prints to the terminal, draws progress or chooses exit
//! codes. Everything below it (`analysis`, `report`, `output`, `engine`,
//! `model`, `scenario`) returns values and its own error types.
//!
//! Each command file holds its flags (a clap `Args` struct that flattens
//! the shared [`RunOptions`] or [`OutputOptions`]) and a `run` function
//! that loads the scenario ([`options::load_scenario`]), opens the output
//! folder through the one guard ([`crate::output::folder::OutputFolder`])
//! before any work, runs the engine under the one progress helper
//! ([`progress`]), commits the files, and prints a summary.
//!
//! To add a command: write `cmd/NAME.rs` with `NameArgs` and `run`, add a
//! variant to [`Command`] and a line to [`Cli::run`], put its computations
//! in `analysis/`, and name its files in `output/schema.rs`.

pub mod backtest;
pub mod calibrate;
pub mod compare;
pub mod completions;
pub mod explain;
pub mod failure;
pub mod interrupt;
pub mod merge;
pub mod observed;
pub mod options;
pub mod progress;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod solve;
pub mod sweep;
pub mod terminal;
pub mod trials_out;
pub mod validate;

use clap::{Parser, Subcommand};

pub use failure::Failure;
pub use options::{ObservedOptions, OutputOptions, PrecisionOptions, RunOptions};

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    a failure while running or writing results
  2    bad input: an invalid scenario, flag or partial file, or an output
       folder holding results of another scenario (see --force)
  130  interrupted (Ctrl-C); earlier results in the output folder are untouched";

/// forcegen: Monte Carlo force generation for multinational security deployments.
///
/// Reads a TOML scenario of pledges, delays, attrition and events, simulates
/// it many times, and writes spreadsheet-ready CSV files: personnel by date,
/// police-to-population ratios, and how likely each target is by when.
#[derive(Debug, Parser)]
#[command(name = "forcegen", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write the CSV files.
    Run(run::RunArgs),
    /// Rank every uncertain input by its influence on the outcomes
    /// (sensitivity.csv): Spearman rank correlation and first-order index.
    Sensitivity(sensitivity::SensitivityArgs),
    /// Run two or more scenarios on common random numbers and write each
    /// one's target probabilities and horizon means, with paired differences
    /// to the first (compare.csv).
    Compare(compare::CompareArgs),
    /// Check a scenario and report every problem found, without simulating.
    Validate(validate::ValidateArgs),
    /// Rebuild report.html and the chart_*.svg files of a finished run from
    /// its CSV files (no scenario file needed).
    Report(report::ReportArgs),
    /// Merge partial results of a sharded run (`run --shard K/N --partial FILE`)
    /// into the same CSV files a single run would have written.
    Merge(merge::MergeArgs),
    /// Run the scenario once per combination of --set values and write
    /// sweep.csv: the targets' probabilities and the metrics' medians at the
    /// horizon, one row per grid point and target.
    Sweep(sweep::SweepArgs),
    /// The smallest (or largest) value of an input for which a target's
    /// chance by a date is at least the one asked for, on common random
    /// numbers, with the values not distinguishable from it (solve.csv,
    /// solve_summary.csv).
    Solve(solve::SolveArgs),
    /// Score a scenario's forecast against observed values: writes
    /// backtest.csv (percentile rank, 50% and 90% band hits and CRPS of each
    /// observation, and overall rows).
    Backtest(backtest::BacktestArgs),
    /// Print every uncertain input as the simulation uses it (p5, p50, p95,
    /// mean after rounding and clamping) and warnings about the scenario.
    Explain(explain::ExplainArgs),
    /// Fit priors for pledge inputs (honour probability, fulfilment, delay
    /// to first arrival) from records of past pledges: writes
    /// calibration.csv and priors.toml, with bootstrap 90% intervals.
    Calibrate(calibrate::CalibrateArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print forcegen's man page (roff), e.g. `forcegen man > forcegen.1`.
    Man(completions::ManArgs),
}

impl Cli {
    /// Runs the command.
    pub fn run(self) -> Result<(), Failure> {
        match self.command {
            Command::Run(args) => match &args.observed.observed {
                Some(path) => observed::run(&args, path),
                None => run::run(&args),
            },
            Command::Sensitivity(args) => sensitivity::run(&args),
            Command::Compare(args) => compare::run(&args),
            Command::Validate(args) => validate::run(&args),
            Command::Report(args) => report::run(&args),
            Command::Merge(args) => merge::run(&args),
            Command::Sweep(args) => sweep::run(&args),
            Command::Solve(args) => solve::run(&args),
            Command::Backtest(args) => backtest::run(&args),
            Command::Explain(args) => explain::run(&args),
            Command::Calibrate(args) => calibrate::run(&args),
            Command::Completions(args) => completions::completions(&args),
            Command::Man(args) => completions::man(&args),
        }
    }
}

/// Parses the command line, runs the command, and prints a failure; the
/// process's exit code.
pub fn main() -> std::process::ExitCode {
    match Cli::parse().run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", terminal::safe(&failure.to_string()));
            std::process::ExitCode::from(failure.exit_code())
        }
    }
}
