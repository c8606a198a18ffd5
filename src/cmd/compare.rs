//! `forcegen compare`: two or more scenarios on common random numbers, with
//! paired differences to the first, into `compare.csv`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::options::out_dir;
use super::progress::Meter;
use super::terminal::safe_line;
use super::{Failure, PrecisionOptions, RunOptions, interrupt};
use crate::analysis::compare::{self, Arm, Quantity, Row, Sums};
use crate::analysis::compare_series::{self, Fan};
use crate::analysis::precision::{self, Rule, Stop};
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{Identity, info_row, schema, sha256_hex};
use crate::scenario::{self, Scenario};

/// The files `compare` owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[
        compare::FILE,
        compare::INFO_FILE,
        schema::COMPARE_TIMESERIES,
        schema::COMPARE_PAGE,
    ],
    info: compare::INFO_FILE,
};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Two or more scenario files; the first is the reference.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
    #[command(flatten)]
    pub precision: PrecisionOptions,
}

/// `forcegen compare`.
pub fn run(args: &CompareArgs) -> Result<(), Failure> {
    interrupt::install();
    let scenarios = load_all(args)?;
    let threads = args.options.threads()?;
    let rule = args.precision.rule(scenarios[0].simulation.trials)?;
    let quantities = compare::quantities(&scenarios).map_err(|e| Failure::Usage(e.to_string()))?;
    let arms: Vec<Arm> = scenarios
        .iter()
        .map(|s| Arm::new(s.file.clone(), s, &quantities))
        .collect();
    let out = out_dir(
        &args.options.output,
        args.scenarios.first().map(PathBuf::as_path),
        Some("compare"),
    );
    // The pair (or list) of scenarios is what owns the folder.
    let hashes: Vec<String> = scenarios.iter().map(|s| sha256_hex(&s.source)).collect();
    let sha256 = sha256_hex(&hashes.join("\n"));
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let owner = Identity {
        name: names.join(" | "),
        sha256: sha256.clone(),
    };
    let folder = OutputFolder::open(&out, FILES, &owner, args.options.output.force)?;
    let reference = &scenarios[0];
    let quiet = args.options.output.quiet;
    let started = Instant::now();
    let first_batch = reference.simulation.trials;
    let (sums, fans, stop) = match rule {
        None => {
            let (sums, fans) = compare_once(&arms, &quantities, first_batch, threads, quiet)?;
            (sums, fans, None)
        }
        Some(rule) => {
            let (sums, fans, stop) = compare_until(&arms, &quantities, &rule, first_batch, threads, quiet)?;
            (sums, fans, Some(stop))
        }
    };
    let trials = sums.trials;
    let rows = compare::rows(&arms, &quantities, &sums);
    let mut columns = vec![
        (
            "scenario_files",
            scenarios
                .iter()
                .map(|s| s.file.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
        ),
        ("scenario_file_sha256s", hashes.join(" | ")),
    ];
    columns.extend(stop.map(|s| s.info_columns()).unwrap_or_default());
    let info = info_row(&owner.name, &sha256, reference.simulation.seed, trials, &columns);
    let mut files = vec![
        (compare::FILE, compare::render(&rows)),
        (compare::INFO_FILE, info),
        (
            compare_series::FILE,
            compare_series::render(reference, &arms, &fans, &sums),
        ),
    ];
    let page = crate::report::pages::compare::render(&files)?;
    files.push((schema::COMPARE_PAGE, page.into_bytes()));
    interrupt::check()?;
    folder.commit(&files)?;
    if !quiet {
        println!(
            "{} scenarios, {} trials each on common random numbers (seed {}) in {:.2} s; {}",
            arms.len(),
            trials,
            reference.simulation.seed,
            started.elapsed().as_secs_f64(),
            safe_line(&out.join(compare::FILE).display().to_string())
        );
        super::terminal::print_precision(stop.as_ref(), "every scenario's target probability");
        print_targets(&rows);
    }
    Ok(())
}

/// The paired trials, then each scenario's fans on the same trials.
fn compare_once(
    arms: &[Arm],
    quantities: &[Quantity],
    trials: u64,
    threads: usize,
    quiet: bool,
) -> Result<(Sums, Vec<Fan>), Failure> {
    let mut meter = Meter::new(trials.saturating_mul(arms.len() as u64 + 1), quiet, None);
    let sums = meter.run(trials, |progress| {
        compare::run(arms, quantities, 0..trials, threads, progress)
    })?;
    let fans = run_fans(arms, trials, threads, &mut meter)?;
    meter.clear();
    Ok((sums, fans))
}

/// Each scenario's fan over trials `0..trials`, one scenario at a time (so
/// that only one scenario's per-day tables are held at once).
fn run_fans(arms: &[Arm], trials: u64, threads: usize, meter: &mut Meter) -> Result<Vec<Fan>, Failure> {
    let mut fans = Vec::with_capacity(arms.len());
    for arm in arms {
        fans.push(meter.run(trials, |progress| {
            compare_series::fan(arm, 0..trials, threads, progress)
        })?);
    }
    Ok(fans)
}

/// `--until-se`: the paired trials in batches, until every scenario's
/// target probabilities by the horizon are precise enough; then each
/// scenario's fans over all those trials (the same as a plain run of them,
/// without holding every scenario's tables across the batches).
fn compare_until(
    arms: &[Arm],
    quantities: &[Quantity],
    rule: &Rule,
    trials: u64,
    threads: usize,
    quiet: bool,
) -> Result<(Sums, Vec<Fan>, Stop), Failure> {
    let mut sums = Sums::empty(arms, quantities);
    let stop = precision::batches(rule, trials, |range, batch| {
        let count = range.end - range.start;
        let mut meter = Meter::new(count, quiet, Some(format!("batch {batch}")));
        meter.run(count, |progress| {
            compare::add_run(&mut sums, arms, quantities, range.clone(), threads, progress)
        })?;
        let rows = compare::rows(arms, quantities, &sums);
        let targets = rows.iter().filter(|r| r.kind == "target");
        Ok::<f64, Failure>(targets.map(|r| r.value_se).fold(0.0, f64::max))
    })?;
    let total = sums.trials;
    let mut meter = Meter::new(total.saturating_mul(arms.len() as u64), quiet, Some("fans".to_string()));
    let fans = run_fans(arms, total, threads, &mut meter)?;
    meter.clear();
    Ok((sums, fans, stop))
}

/// Reads every scenario, each with the first one's seed and trials (or the
/// flags'), and checks that they share start and horizon.
fn load_all(args: &CompareArgs) -> Result<Vec<Scenario>, Failure> {
    if args.scenarios.len() < 2 {
        return Err(Failure::Usage(
            "compare needs at least two scenario files (the first is the reference)".to_string(),
        ));
    }
    if args.scenarios.len() > compare::MAX_SCENARIOS {
        return Err(Failure::Usage(format!(
            "compare takes at most {} scenario files, got {}",
            compare::MAX_SCENARIOS,
            args.scenarios.len()
        )));
    }
    // Sized before any is read: a device or a pipe counts as the largest a
    // scenario may be (a missing file is refused when it is read).
    let bytes = args
        .scenarios
        .iter()
        .map(|p| match std::fs::metadata(p) {
            Ok(meta) if meta.is_file() => meta.len().min(scenario::MAX_SCENARIO_BYTES),
            Ok(_) => scenario::MAX_SCENARIO_BYTES,
            Err(_) => 0,
        })
        .fold(0u64, u64::saturating_add);
    crate::budget::check(&compare::scenarios_need(args.scenarios.len(), bytes))?;
    let mut scenarios = Vec::new();
    for path in &args.scenarios {
        scenarios.push(scenario::parse_file(path)?);
    }
    let (trials, seed) = (scenarios[0].simulation.trials, scenarios[0].simulation.seed);
    let same = RunOptions {
        trials: Some(args.options.trials.unwrap_or(trials)),
        seed: Some(args.options.seed.unwrap_or(seed)),
        ..args.options.clone()
    };
    for s in &mut scenarios {
        same.apply_to(s)?;
    }
    let reference = &scenarios[0];
    for other in &scenarios[1..] {
        let (a, b) = (&reference.simulation, &other.simulation);
        if (a.start, a.horizon_days) != (b.start, b.horizon_days) {
            return Err(Failure::Usage(format!(
                "compare needs the same simulation.start and horizon_days in every scenario: {} has {} and {} \
                 days, {} has {} and {} days",
                reference.file, a.start, a.horizon_days, other.file, b.start, b.horizon_days
            )));
        }
    }
    Ok(scenarios)
}

/// Each target's probability in each scenario, with the paired difference.
fn print_targets(rows: &[Row]) {
    for row in rows.iter().filter(|r| r.kind == "target") {
        let (quantity, scenario) = (safe_line(&row.quantity), safe_line(&row.scenario));
        match row.difference {
            None => println!("  {quantity}: {scenario}: {:.1}%", 100.0 * row.value),
            Some((d, se, _)) => println!(
                "  {quantity}: {scenario}: {:.1}% ({:+.1} points, paired SE {:.1})",
                100.0 * row.value,
                100.0 * d,
                100.0 * se
            ),
        }
    }
}
