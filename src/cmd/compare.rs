//! `forcegen compare`: two or more scenarios on common random numbers, with
//! paired differences to the first, into `compare.csv`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::options::{load_scenario, out_dir};
use super::progress::Meter;
use super::terminal::safe_line;
use super::{Failure, PrecisionOptions, RunOptions, interrupt};
use crate::analysis::compare::{self, Arm, Measure, Quantity, Row, Sums};
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
    /// Two or more scenario files (one is enough with --set); the first is
    /// the reference.
    #[arg(required = true, num_args = 1..)]
    pub scenarios: Vec<PathBuf>,
    /// A what-if without copying files (repeatable): the first scenario with
    /// these values changed (as `run --set`) is compared too, as the last
    /// scenario.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// The report date (YYYY-MM-DD): each target by it and each metric on it
    /// are compared too [default: the first scenario's
    /// simulation.report_date; without one, only by the horizon].
    #[arg(long, value_name = "DATE", value_parser = super::options::date_flag)]
    pub report_date: Option<chrono::NaiveDate>,
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
    let (arms, measures) = arms(&scenarios, &quantities, args.report_date)?;
    let out = out_dir(
        &args.options.output,
        args.scenarios.first().map(PathBuf::as_path),
        Some("compare"),
    );
    let (owner, hashes) = owner(&scenarios);
    let sha256 = owner.sha256.clone();
    let folder = OutputFolder::open(&out, FILES, &owner, args.options.output.force)?;
    let reference = &scenarios[0];
    let quiet = args.options.output.quiet;
    let started = Instant::now();
    let first_batch = reference.simulation.trials;
    let what = (quantities.as_slice(), measures.as_slice());
    let (sums, fans, stop) = match rule {
        None => {
            let (sums, fans) = compare_once(&arms, what, first_batch, threads, quiet)?;
            (sums, fans, None)
        }
        Some(rule) => {
            let (sums, fans, stop) = compare_until(&arms, what, &rule, first_batch, threads, quiet)?;
            (sums, fans, Some(stop))
        }
    };
    let trials = sums.trials;
    let date = |day: Option<u32>| {
        let day = day.unwrap_or(reference.simulation.horizon_days);
        reference.date_of(day).format("%Y-%m-%d").to_string()
    };
    let rows = compare::rows(&arms, what, &sums, date);
    let paths: Vec<&str> = scenarios.iter().map(|s| s.file.as_str()).collect();
    let mut columns = vec![
        ("scenario_files", paths.join(" | ")),
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
    let committed = folder.commit(&files)?;
    super::terminal::replaced(&committed, quiet);
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
    what: (&[Quantity], &[Measure]),
    trials: u64,
    threads: usize,
    quiet: bool,
) -> Result<(Sums, Vec<Fan>), Failure> {
    let mut meter = Meter::new(trials.saturating_mul(arms.len() as u64 + 1), quiet, None);
    let sums = meter.run(trials, |progress| {
        compare::run(arms, what, 0..trials, threads, progress)
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
    what: (&[Quantity], &[Measure]),
    rule: &Rule,
    trials: u64,
    threads: usize,
    quiet: bool,
) -> Result<(Sums, Vec<Fan>, Stop), Failure> {
    let mut sums = Sums::empty(arms, what.1);
    let stop = precision::batches(rule, trials, |range, batch| {
        let count = range.end - range.start;
        let mut meter = Meter::new(count, quiet, Some(format!("batch {batch}")));
        meter.run(count, |progress| {
            compare::add_run(&mut sums, arms, what, range.clone(), threads, progress)
        })?;
        let rows = compare::rows(arms, what, &sums, |_| String::new());
        let targets = rows.iter().filter(|r| r.kind == "target");
        Ok::<f64, Failure>(targets.map(|r| r.value_se).fold(0.0, f64::max))
    })?;
    let total = sums.trials;
    let mut meter = Meter::new(total.saturating_mul(arms.len() as u64), quiet, Some("fans".to_string()));
    let fans = run_fans(arms, total, threads, &mut meter)?;
    meter.clear();
    Ok((sums, fans, stop))
}

/// Each scenario's arm and the measures: every quantity by the report date
/// (as in a run: the first scenario's last report day on or before it),
/// when one is before the horizon, and by the horizon.
fn arms(
    scenarios: &[Scenario],
    quantities: &[compare::Quantity],
    date: Option<chrono::NaiveDate>,
) -> Result<(Vec<Arm>, Vec<compare::Measure>), Failure> {
    let arms: Vec<Arm> = scenarios
        .iter()
        .map(|s| Arm::new(s.file.clone(), s, quantities))
        .collect();
    let report_day = report_day(&scenarios[0], date)?
        .and_then(|day| arms[0].model().report_days.iter().rev().find(|&&d| d <= day).copied());
    let measures = compare::measures(quantities, report_day);
    let arms = arms.into_iter().map(|arm| arm.with_report_day(report_day)).collect();
    Ok((arms, measures))
}

/// Who owns the folder: the pair (or list) of scenarios, by their names
/// and the SHA-256 of their texts' SHA-256s; and those.
fn owner(scenarios: &[Scenario]) -> (Identity, Vec<String>) {
    let hashes: Vec<String> = scenarios.iter().map(|s| sha256_hex(&s.source)).collect();
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let owner = Identity {
        name: names.join(" | "),
        sha256: sha256_hex(&hashes.join("\n")),
    };
    (owner, hashes)
}

/// Reads every scenario (and, with `--set`, the first one's what-if after
/// them), each with the first one's seed and trials (or the flags'), and
/// checks that they share start and horizon.
fn load_all(args: &CompareArgs) -> Result<Vec<Scenario>, Failure> {
    if args.scenarios.len() + usize::from(!args.sets.is_empty()) < 2 {
        return Err(Failure::Usage(
            "compare needs at least two scenario files (the first is the reference), or one with --set PATH=VALUE \
             (the what-if compared with it)"
                .to_string(),
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
    if let Some(set) = args.sets.iter().find(|set| {
        let path = set.split('=').next().unwrap_or_default().trim();
        ["simulation.seed", "simulation.trials"].contains(&path)
    }) {
        return Err(Failure::Usage(format!(
            "--set {set}: compare runs every scenario on the same trials with the same seed (so that they share \
             their random numbers); set them for all with --trials and --seed"
        )));
    }
    if !args.sets.is_empty() {
        let mut what_if = load_scenario(Some(&args.scenarios[0]), &args.sets)?;
        what_if.file = format!("{} (what-if: --set {})", what_if.file, args.sets.join("; "));
        scenarios.push(what_if);
    }
    // Each scenario's label is its file; the same file twice is told apart.
    for i in 1..scenarios.len() {
        let mut n = 2;
        let base = scenarios[i].file.clone();
        while scenarios[..i].iter().any(|s| s.file == scenarios[i].file) {
            scenarios[i].file = format!("{base} ({n})");
            n += 1;
        }
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

/// Each target's probability in each scenario by each date, with the
/// paired difference.
fn print_targets(rows: &[Row]) {
    for row in rows.iter().filter(|r| r.kind == "target") {
        let (quantity, scenario) = (safe_line(&row.quantity), safe_line(&row.scenario));
        let date = &row.date;
        match row.difference {
            None => println!("  {quantity} by {date}: {scenario}: {:.1}%", 100.0 * row.value),
            Some((d, se, _)) => println!(
                "  {quantity} by {date}: {scenario}: {:.1}% ({:+.1} points, paired SE {:.1})",
                100.0 * row.value,
                100.0 * d,
                100.0 * se
            ),
        }
    }
}

/// The report day of the comparison: `--report-date`, else the first
/// scenario's `report_date`, as a day; `None` on or after the horizon
/// (then everything is compared by the horizon only).
fn report_day(reference: &Scenario, date: Option<chrono::NaiveDate>) -> Result<Option<u32>, Failure> {
    crate::output::extras::check_report_date(reference, date).map_err(Failure::Usage)?;
    let Some(date) = date.or(reference.simulation.report_date) else {
        return Ok(None);
    };
    let day = (date - reference.simulation.start).num_days();
    Ok(u32::try_from(day)
        .ok()
        .filter(|&d| d < reference.simulation.horizon_days))
}
