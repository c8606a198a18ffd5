//! Command-line definitions (clap). Parsed flags are turned into plain
//! request structs in `app`, so nothing below the CLI sees clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    Run(RunArgs),
    /// Rank every uncertain input by its influence on the outcomes
    /// (sensitivity.csv): Spearman rank correlation and first-order index.
    Sensitivity(SensitivityArgs),
    /// Run two or more scenarios on common random numbers and write each
    /// one's target probabilities and horizon means, with paired differences
    /// to the first (compare.csv).
    Compare(CompareArgs),
    /// Check a scenario and report every problem found, without simulating.
    Validate {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Change one value of the scenario before checking it (repeatable); see `run --set`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Rebuild report.html and the chart_*.svg files of a finished run from
    /// its CSV files (no scenario file needed).
    Report {
        /// The output folder of the run.
        dir: PathBuf,
        /// Do not print where the report was written.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Merge partial results of a sharded run (`run --shard K/N --partial FILE`)
    /// into the same CSV files a single run would have written.
    Merge {
        /// The partial files, one per shard, in any order.
        #[arg(required = true)]
        partials: Vec<PathBuf>,
        /// Output folder [default: output/<scenario file stem>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Do not print the summary.
        #[arg(long, short)]
        quiet: bool,
        /// Replace results of another scenario (or files forcegen did not
        /// write) that have the output files' names in the output folder.
        #[arg(long)]
        force: bool,
    },
    /// Run the scenario once per combination of --set values and write
    /// sweep.csv: the targets' probabilities and the metrics' medians at the
    /// horizon, one row per grid point and target.
    Sweep(SweepArgs),
    /// Score a scenario's forecast against observed values: writes
    /// backtest.csv (percentile rank, 50% and 90% band hits and CRPS of each
    /// observation, and overall rows).
    Backtest(BacktestArgs),
    /// Print every uncertain input as the simulation uses it (p5, p50, p95,
    /// mean after rounding and clamping) and warnings about the scenario.
    Explain {
        /// The scenario file (TOML). Without it, the built-in Haiti baseline.
        scenario: Option<PathBuf>,
        /// Also write the input table to this CSV file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// The observations: a CSV file with the header `date,metric,value`.
    pub observed: PathBuf,
    #[command(flatten)]
    pub flags: AnalysisFlags,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file (TOML). Without it, the built-in Haiti baseline
    /// (scenarios/haiti-mss-2024-09.toml) is run.
    pub scenario: Option<PathBuf>,
    /// Output folder [default: output/<scenario file stem>/].
    #[arg(long, conflicts_with = "shard")]
    pub out: Option<PathBuf>,
    /// Number of trials (overrides simulation.trials).
    #[arg(long)]
    pub trials: Option<u64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar and no summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only shard K of N (1-based, e.g. 3/8) and write a partial result
    /// to --partial instead of CSV files; see `forcegen merge`.
    #[arg(long, value_name = "K/N", requires = "partial")]
    pub shard: Option<String>,
    /// Where to write the partial result of a shard.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub partial: Option<PathBuf>,
    /// Replace results of another scenario (or files forcegen did not write)
    /// that have the output files' names in the output folder. Without it,
    /// such a folder is refused (exit code 2); rerunning the same scenario
    /// (any seed or trials) needs no --force.
    #[arg(long)]
    pub force: bool,
    /// Also write timeseries_wide.csv: one row per date, one column per
    /// metric and statistic (international_mean, international_p5, ...).
    #[arg(long)]
    pub wide: bool,
    /// Change one value of the scenario (repeatable). PATH is the dotted path
    /// used in error messages (simulation.horizon_days,
    /// contributors.Kenya.probability, host_police.intakes.1.size,
    /// targets.NAME.at_least); VALUE is a TOML value, or else text
    /// (--set 'contributors.Kenya.fulfilment=beta(8, 2)').
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file (TOML). Without it, the built-in Haiti baseline.
    pub scenario: Option<PathBuf>,
    /// A value list to sweep (repeatable): PATH as in `run --set`, values
    /// separated by commas (commas inside parentheses or quotes do not count:
    /// --set 'contributors.Kenya.fulfilment=beta(8, 2),beta(9, 1)'). Every
    /// combination is run, the first --set varying slowest.
    #[arg(long = "set", value_name = "PATH=V1,V2,...", required = true)]
    pub sets: Vec<String>,
    /// Output folder [default: output/<scenario file stem>-sweep/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of trials per grid point (overrides simulation.trials).
    #[arg(long)]
    pub trials: Option<u64>,
    /// Random seed, the same for every grid point (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar and no table on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace a sweep of another scenario (or files forcegen did not write)
    /// named sweep.csv or sweep_info.csv in the output folder.
    #[arg(long)]
    pub force: bool,
}

/// Flags shared by the analysis commands.
#[derive(Debug, Args)]
pub struct AnalysisFlags {
    /// Output folder [default: output/<scenario file stem>-<command>/, with the
    /// first scenario's stem for compare].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Number of trials (overrides simulation.trials).
    #[arg(long)]
    pub trials: Option<u64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads [default: all cores]. Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar and no summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// Replace this command's files of another scenario (or files forcegen
    /// did not write) in the output folder.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// The scenario file (TOML) [default: the built-in Haiti baseline].
    pub scenario: Option<PathBuf>,
    /// Change one value of the scenario first (repeatable), as `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    #[command(flatten)]
    pub flags: AnalysisFlags,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more scenario files; the first is the reference.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub flags: AnalysisFlags,
}
