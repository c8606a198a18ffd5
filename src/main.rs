use std::process::ExitCode;

use clap::Parser;
use forcegen::app::{self, AnalysisRequest, RunRequest};
use forcegen::cli::{AnalysisFlags, Cli, Command};

fn analysis(scenarios: Vec<std::path::PathBuf>, flags: AnalysisFlags) -> AnalysisRequest {
    AnalysisRequest {
        scenarios,
        out: flags.out,
        trials: flags.trials,
        seed: flags.seed,
        threads: flags.threads,
        quiet: flags.quiet,
    }
}

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
        Command::Sensitivity(args) => app::sensitivity(&analysis(args.scenario.into_iter().collect(), args.flags)),
        Command::Compare(args) => app::compare(&analysis(args.scenarios, args.flags)),
        Command::Validate { scenario } => app::validate(&scenario),
        Command::Report { dir, quiet } => app::report(&dir, quiet),
        Command::Merge {
            partials,
            out,
            quiet,
            force,
        } => app::merge(&partials, out.as_deref(), quiet, force),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit_code() as u8)
        }
    }
}
