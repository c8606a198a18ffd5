//! `forcegen report`: rebuild `report.html` and the charts of a finished run
//! from its CSV files.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::terminal::safe;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{Identity, Owner, owner, schema};

/// The files `report` replaces: the page and its charts, owned by the run
/// whose `run_info.csv` is beside them.
const FILES: FileSet = FileSet {
    owned: &schema::REPORT_FILES,
    info: schema::RUN_INFO,
};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The output folder of the run.
    pub dir: PathBuf,
    /// Do not print where the report was written.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `forcegen report`: the run's CSV files must be there, with the
/// `run_info.csv` that makes them forcegen's; the report and charts are
/// replaced together, and the CSV files are left as they are.
pub fn run(args: &ReportArgs) -> Result<(), Failure> {
    let Owner::Run { name, sha256 } = owner(&args.dir) else {
        // Say which file is missing or damaged, where one is.
        crate::report::read_csv_files(&args.dir)?;
        return Err(Failure::Usage(format!(
            "{} does not hold the results of a forcegen run (no readable run_info.csv)",
            args.dir.display()
        )));
    };
    // Locked first, so that no run can replace the CSV files between
    // reading them and writing the report beside them.
    let folder = OutputFolder::open(&args.dir, FILES, &Identity { name, sha256 }, false)?;
    let files = crate::report::read_csv_files(&args.dir)?;
    let report = crate::report::render(&files)?;
    let written = folder.commit(&report)?;
    if let (false, Some(page)) = (args.quiet, written.first()) {
        println!("report: {}", safe(&page.display().to_string()));
    }
    Ok(())
}
