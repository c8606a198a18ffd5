//! `forcegen explain`: every uncertain input as the simulation draws it,
//! and warnings about the scenario.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::interrupt::interruptible;
use super::options::load_scenario;
use super::run::check_target;
use super::terminal::safe;
use crate::analysis::explain::{CSV_HEADER, explain, render_csv, render_text};
use crate::output::folder::write_file;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scenario file (TOML; - reads standard input). Without it, the built-in Haiti baseline.
    pub scenario: Option<PathBuf>,
    /// Change one value of the scenario first (repeatable), as `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Also write the input table to this CSV file (replaced atomically;
    /// /dev/stdout writes it to the terminal). An existing file is replaced
    /// only if it is such a table (or with --force), never the scenario.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Replace an existing --csv file that is not an explain table.
    #[arg(long, requires = "csv")]
    pub force: bool,
}

/// `forcegen explain`: prints the table and warnings; with `--csv`, also
/// writes the table there.
/// Ctrl-C stops it at once (exit 130), before anything is written.
pub fn run(args: &ExplainArgs) -> Result<(), Failure> {
    let (path, sets) = (args.scenario.clone(), args.sets.clone());
    let (scenario, explanation) = interruptible(move || -> Result<_, Failure> {
        let scenario = load_scenario(path.as_deref(), &sets)?;
        let explanation = explain(&scenario);
        Ok((scenario, explanation))
    })??;
    if let Some(path) = &args.csv {
        let header = CSV_HEADER.join(",");
        check_target(path, args.scenario.as_deref(), header.as_bytes(), args.force)?;
        write_file(path, &render_csv(&explanation))?;
    }
    print!("{}", safe(&render_text(&scenario, &explanation)));
    Ok(())
}
