//! `forcegen calibrate`: priors fitted from records of past pledges, into
//! `calibration.csv` and `priors.toml` (docs/calibration.md).

use std::path::PathBuf;

use clap::Args;

use super::options::out_dir;
use super::terminal::{aligned, safe};
use super::{Failure, OutputOptions};
use crate::analysis::calibrate::honour::quantile;
use crate::analysis::calibrate::write::{calibration_csv, info, priors_toml, range, short};
use crate::analysis::calibrate::{self, Calibration, GroupFit, MAX_RESAMPLES, RESAMPLES, SEED};
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::schema::{CALIBRATION, CALIBRATION_INFO, PRIORS};
use crate::output::{Identity, sha256_bytes_hex};

/// The files `calibrate` owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[CALIBRATION, PRIORS, CALIBRATION_INFO],
    info: CALIBRATION_INFO,
};

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The pledge records: a CSV file with one row per pledge (columns in
    /// docs/calibration.md).
    pub records: PathBuf,
    /// Also fit each group of records with the same value in COLUMN
    /// (repeatable: each combination of values). The group "all" of every
    /// record is always fitted.
    #[arg(long = "by", value_name = "COLUMN")]
    pub by: Vec<String>,
    /// Seed of the bootstrap resamples (the same seed gives the same intervals).
    #[arg(long, default_value_t = SEED)]
    pub seed: u64,
    /// Bootstrap resamples per group, for the 90% intervals.
    #[arg(long, default_value_t = RESAMPLES)]
    pub resamples: usize,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// `forcegen calibrate`: reads and checks the records, fits every group,
/// writes the three files at once, prints a table.
pub fn run(args: &CalibrateArgs) -> Result<(), Failure> {
    if args.resamples < 10 || args.resamples > MAX_RESAMPLES {
        return Err(Failure::Usage(format!(
            "--resamples must be from 10 to {MAX_RESAMPLES}, got {}",
            args.resamples
        )));
    }
    let (records, bytes) = calibrate::read_records(&args.records)?;
    let file = args.records.display().to_string();
    let sha256 = sha256_bytes_hex(&bytes);
    // Check the groups before the folder is opened: nothing is made for bad input.
    calibrate::groups(&records, &args.by, &file)?;
    let out = out_dir(&args.output, Some(&args.records), Some("calibrate"));
    let owner = Identity {
        name: file.clone(),
        sha256: sha256.clone(),
    };
    let folder = OutputFolder::open(&out, FILES, &owner, args.output.force)?;
    let calibration = calibrate::calibrate(&records, &args.by, args.seed, args.resamples, &file)?;
    let priors = priors_toml(&calibration, &file, &sha256);
    let committed = folder.commit(&[
        (CALIBRATION, calibration_csv(&calibration)),
        (PRIORS, priors.into_bytes()),
        (CALIBRATION_INFO, info(&calibration, &file, &sha256)),
    ])?;
    super::terminal::replaced(&committed, args.output.quiet);
    if !args.output.quiet {
        println!(
            "{}: {} records in {} groups, {} bootstrap resamples (seed {}); priors in {}",
            safe(&file),
            records.rows.len(),
            calibration.groups.len(),
            calibration.resamples,
            calibration.seed,
            safe(&out.join(PRIORS).display().to_string())
        );
        print!("{}", table(&calibration));
        println!(
            "Values: estimate (90% bootstrap interval; for a group whose resamples are all alike, the honour's \
             posterior 90% interval). Use one in a scenario as \"prior(GROUP.honour)\"."
        );
    }
    Ok(())
}

/// The terminal table: one row per group.
fn table(calibration: &Calibration) -> String {
    let mut rows = vec![
        [
            "group",
            "records",
            "open",
            "never",
            "honour",
            "fulfilment",
            "delay days (5th to 95th)",
            "median delay",
        ]
        .map(String::from)
        .to_vec(),
    ];
    rows.extend(calibration.groups.iter().map(row));
    aligned(&rows)
}

fn row(g: &GroupFit) -> Vec<String> {
    let values = g.fit.values();
    let with = |q: usize| match (values[q], g.intervals[q]) {
        // Every resample alike (too few records to vary): the honour's own
        // posterior interval says how little is known.
        (Some(v), Some((l, h))) if q == 0 && l == h => {
            let (l, h) = (quantile(g.fit.honour, 0.05), quantile(g.fit.honour, 0.95));
            format!("{} (posterior {} to {})", short(v), short(l), short(h))
        }
        (Some(v), Some((l, h))) => format!("{} ({} to {})", short(v), short(l), short(h)),
        (Some(v), None) => format!("{} (no interval)", short(v)),
        (None, _) => "-".to_string(),
    };
    let delay = g.fit.delay.map_or("-".to_string(), |(mu, sigma)| {
        let (p5, p95) = range(mu, sigma);
        format!("{p5} to {p95}")
    });
    vec![
        safe(&g.name),
        g.records.to_string(),
        g.censored.to_string(),
        g.never.to_string(),
        with(0),
        with(3),
        delay,
        with(9),
    ]
}
