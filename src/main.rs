use std::process::ExitCode;

use clap::Parser;
use forcegen::app::{self, AnalysisRequest, RunRequest};
use forcegen::cli::{AnalysisFlags, Cli, Command};
use forcegen::decide::backtest::{self, BacktestRequest};
use forcegen::decide::sweep::{self, SweepRequest};
use forcegen::explain::{self, ExplainRequest};

fn analysis(scenarios: Vec<std::path::PathBuf>, flags: AnalysisFlags, sets: Vec<String>) -> AnalysisRequest {
    AnalysisRequest {
        scenarios,
        sets,
        out: flags.out,
        trials: flags.trials,
        seed: flags.seed,
        threads: flags.threads,
        quiet: flags.quiet,
        force: flags.force,
    }
}

/// Output piped into a program that stops reading (`forcegen explain | head`)
/// ends forcegen quietly, as it does any Unix tool, instead of a panic on
/// the failed write.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE, before any thread
    // starts; no handler of ours is replaced.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => app::run(&RunRequest {
            scenario: args.scenario,
            out: args.out,
            trials: args.trials,
            seed: args.seed,
            threads: args.threads,
            quiet: args.quiet,
            shard: args.shard,
            partial: args.partial,
            force: args.force,
            wide: args.wide,
            sets: args.sets,
        }),
        Command::Sensitivity(args) => {
            app::sensitivity(&analysis(args.scenario.into_iter().collect(), args.flags, args.sets))
        }
        Command::Compare(args) => app::compare(&analysis(args.scenarios, args.flags, Vec::new())),
        Command::Validate { scenario, sets } => app::validate(&scenario, &sets),
        Command::Report { dir, quiet } => app::report(&dir, quiet),
        Command::Merge {
            partials,
            out,
            quiet,
            force,
        } => app::merge(&partials, out.as_deref(), quiet, force),
        Command::Sweep(args) => sweep::run(&SweepRequest {
            scenario: args.scenario,
            sets: args.sets,
            out: args.out,
            trials: args.trials,
            seed: args.seed,
            threads: args.threads,
            quiet: args.quiet,
            force: args.force,
        }),
        Command::Backtest(args) => backtest::run(&BacktestRequest {
            scenario: args.scenario,
            observed: args.observed,
            out: args.flags.out,
            trials: args.flags.trials,
            seed: args.flags.seed,
            threads: args.flags.threads,
            quiet: args.flags.quiet,
            force: args.flags.force,
        }),
        Command::Explain { scenario, csv } => explain::run(&ExplainRequest { scenario, csv }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code() as u8)
        }
    }
}
