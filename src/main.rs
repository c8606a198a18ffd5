use std::process::ExitCode;

use clap::Parser;
use forcegen::app::{self, RunRequest};
use forcegen::cli::{Cli, Command};
use forcegen::decide::backtest::{self, BacktestRequest};
use forcegen::explain::{self, ExplainRequest};

fn main() -> ExitCode {
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
        }),
        Command::Validate { scenario } => app::validate(&scenario),
        Command::Report { dir, quiet } => app::report(&dir, quiet),
        Command::Merge {
            partials,
            out,
            quiet,
            force,
        } => app::merge(&partials, out.as_deref(), quiet, force),
        Command::Backtest(args) => backtest::run(&BacktestRequest {
            scenario: args.scenario,
            observed: args.observed,
            out: args.out,
            trials: args.trials,
            seed: args.seed,
            threads: args.threads,
            quiet: args.quiet,
            force: args.force,
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
