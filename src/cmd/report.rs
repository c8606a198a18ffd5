//! `forcegen report`: rebuild `report.html` and the charts of a finished run
//! from its CSV files.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::run::{XlsxOption, workbook};
use super::terminal::safe_line;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{Identity, Owner, owner, schema};

/// The files `report` replaces: the page and its charts, owned by the run
/// whose `run_info.csv` is beside them.
const FILES: FileSet = FileSet {
    owned: &schema::REPORT_FILES,
    info: schema::RUN_INFO,
};

/// The files `report --xlsx` replaces: those and the workbook. Without
/// `--xlsx` a workbook already there is left as it is (it was built from
/// the same CSV files).
const FILES_AND_WORKBOOK: FileSet = FileSet {
    owned: &schema::REPORT_AND_WORKBOOK,
    info: schema::RUN_INFO,
};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The output folder of the run.
    pub dir: PathBuf,
    /// Do not print where the report was written.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub xlsx: XlsxOption,
    #[command(flatten)]
    pub json: super::run::JsonOption,
}

/// `forcegen report`: the run's CSV files must be there, with the
/// `run_info.csv` that makes them forcegen's; the report and charts are
/// replaced together, and the CSV files are left as they are.
pub fn run(args: &ReportArgs) -> Result<(), Failure> {
    let Owner::Run { name, sha256 } = owner(&args.dir) else {
        // Say which file is missing or damaged, where one is.
        crate::report::read_csv_files(&args.dir, &[])?;
        return Err(Failure::Usage(format!(
            "{} does not hold the results of a forcegen run (no readable run_info.csv)",
            args.dir.display()
        )));
    };
    // Locked first, so that no run can replace the CSV files between
    // reading them and writing the report beside them.
    let set = if args.xlsx.xlsx { FILES_AND_WORKBOOK } else { FILES };
    let folder = OutputFolder::open(&args.dir, set, &Identity { name, sha256 }, false)?;
    // With --xlsx the wide file too, as `run --wide --xlsx` put it in the workbook.
    let wide: &[&'static str] = if args.xlsx.xlsx { &[schema::WIDE] } else { &[] };
    let files = crate::report::read_csv_files(&args.dir, wide)?;
    let mut report = crate::report::render(&files)?;
    if args.xlsx.xlsx {
        report.push((schema::WORKBOOK, workbook(&files, args.quiet)?));
    }
    let document = args
        .json
        .json
        .then(|| crate::report::json::render(&files))
        .transpose()?;
    let committed = folder.commit(&report)?;
    let written = &committed.paths;
    if let Some(document) = document {
        print!("{document}");
    } else if !args.quiet {
        let shown = [
            ("report", written.first()),
            ("workbook", written.get(schema::REPORT_FILES.len())),
        ];
        for (what, path) in shown {
            if let Some(path) = path {
                println!("{what}: {}", safe_line(&path.display().to_string()));
            }
        }
    }
    Ok(())
}
