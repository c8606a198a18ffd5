//! `forcegen calibrate`: priors fitted from records of past pledges, into
//! `calibration.csv` and `priors.toml` (docs/calibration.md).

use std::path::PathBuf;

use clap::Args;

use super::options::out_dir;
use super::terminal::{aligned, safe_line};
use super::{Failure, OutputOptions, interrupt};
use crate::analysis::calibrate::honour::quantile;
use crate::analysis::calibrate::validate::{ValidationRow, validate};
use crate::analysis::calibrate::write::{calibration_csv, info, priors_toml, range, short, validation_csv};
use crate::analysis::calibrate::{self, Calibration, GroupFit, MAX_RESAMPLES, RESAMPLES, SEED};
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::schema::{CALIBRATION, CALIBRATION_INFO, PRIORS, VALIDATION};
use crate::output::{Identity, sha256_bytes_hex};

/// The files `calibrate` owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[CALIBRATION, PRIORS, CALIBRATION_INFO, VALIDATION],
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
    /// Also hold out each value of COLUMN in turn (e.g. mission), fit the
    /// rest, and score the predictions of the held-out pledges next to a
    /// flat prior's: validation.csv.
    #[arg(long, value_name = "COLUMN")]
    pub validate: Option<String>,
    #[command(flatten)]
    pub output: OutputOptions,
}

/// `forcegen calibrate`: reads and checks the records, fits every group,
/// writes the three files at once, prints a table.
pub fn run(args: &CalibrateArgs) -> Result<(), Failure> {
    // From the start, so that Ctrl-C at any point exits with 130 and writes nothing.
    interrupt::install();
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
    calibrate::check_work(records.rows.len(), args.resamples).map_err(Failure::Usage)?;
    let out = out_dir(&args.output, Some(&args.records), Some("calibrate"));
    let owner = Identity {
        name: file.clone(),
        sha256: sha256.clone(),
    };
    let folder = OutputFolder::open(&out, FILES, &owner, args.output.force)?;
    let stop = || interrupt::requested();
    let calibration = calibrate::calibrate(&records, &args.by, (args.seed, args.resamples), &file, &stop)?;
    let validation = match &args.validate {
        Some(column) => Some(validate(&records, column, &file, &stop)?),
        None => None,
    };
    interrupt::check()?;
    let priors = priors_toml(&calibration, &file, &sha256);
    let mut files = vec![
        (CALIBRATION, calibration_csv(&calibration)),
        (PRIORS, priors.into_bytes()),
        (CALIBRATION_INFO, info(&calibration, &file, &sha256)),
    ];
    if let Some(rows) = &validation {
        files.push((VALIDATION, validation_csv(rows)));
    }
    let committed = folder.commit(&files)?;
    super::terminal::replaced(&committed, args.output.quiet);
    if !args.output.quiet {
        println!(
            "{}: {} in {}, {} bootstrap resamples (seed {}); priors in {}",
            safe_line(&file),
            counted(records.rows.len(), "record"),
            counted(calibration.groups.len(), "group"),
            calibration.resamples,
            calibration.seed,
            safe_line(&out.join(PRIORS).display().to_string())
        );
        print!("{}", table(&calibration));
        println!(
            "Values: estimate (90% bootstrap interval; for a group whose resamples are all alike, the honour's \
             posterior 90% interval). Shrinkage: each group's weight on the pooled fit (honour/fulfilment/delay; \
             0 alone, 1 pooled). Use one in a scenario as \"prior(GROUP.honour)\"."
        );
        if let (Some(column), Some(rows)) = (&args.validate, &validation) {
            println!(
                "\nHeld out one {} at a time (lower is better; validation.csv):",
                safe_line(column)
            );
            print!("{}", validation_table(rows));
        }
    }
    Ok(())
}

/// "1 group", "3 groups".
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The held-out scores, one line per held-out value, fitted against flat.
fn validation_table(rows: &[ValidationRow]) -> String {
    let mut lines = vec![
        [
            "held out",
            "records",
            "honour Brier",
            "delay log",
            "delay CRPS",
            "fulfilment CRPS",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for chunk in rows.chunks(4) {
        let score = |r: &ValidationRow| {
            let show = |v: Option<f64>| v.map_or("-".to_string(), short);
            format!("{} vs {}", show(r.fitted), show(r.flat))
        };
        let mut line = vec![safe_line(&chunk[0].held_out), chunk[0].records.to_string()];
        line.extend(chunk.iter().map(score));
        lines.push(line);
    }
    let mut text = aligned(&lines);
    text.push_str("Each cell: fitted vs flat prior, the mean over the pledges it scores.\n");
    text
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
            "shrinkage h/f/d",
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
        safe_line(&g.name),
        g.records.to_string(),
        g.censored.to_string(),
        g.never.to_string(),
        with(0),
        with(3),
        delay,
        with(9),
        shrinkage(g),
    ]
}

/// The weights on the pooled fit of honour, fulfilment and delay; `-` for
/// the pooled group (and a quantity not fitted).
fn shrinkage(g: &GroupFit) -> String {
    let Some(s) = g.shrinkage else {
        return "-".to_string();
    };
    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    format!("{}/{}/{}", show(Some(s.honour)), show(s.fulfilment), show(s.delay))
}
