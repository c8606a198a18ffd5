//! `forcegen sensitivity`: every uncertain input ranked by its influence on
//! the outcomes, into `sensitivity.csv`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::options::{load_scenario, out_dir};
use super::progress::with_progress;
use super::run::identity;
use super::terminal::safe;
use super::{Failure, RunOptions, interrupt};
use crate::analysis::sensitivity::{self, Outcome, Row};
use crate::model::Model;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{info_row, number, schema, sha256_hex};

/// The files `sensitivity` owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[sensitivity::FILE, sensitivity::INFO_FILE, schema::SENSITIVITY_PAGE],
    info: sensitivity::INFO_FILE,
};

#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// The scenario file (TOML; - reads standard input) [default: the built-in Haiti baseline].
    pub scenario: Option<PathBuf>,
    /// Change one value of the scenario first (repeatable), as `run --set`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// The report date (YYYY-MM-DD): the strength on it and the chance of each
    /// target by it are ranked too [default: the scenario's
    /// simulation.report_date; without one, only the horizon's outcomes].
    #[arg(long, value_name = "DATE", value_parser = super::options::date_flag)]
    pub report_date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub options: RunOptions,
}

/// `forcegen sensitivity`.
pub fn run(args: &SensitivityArgs) -> Result<(), Failure> {
    interrupt::install();
    let mut scenario = load_scenario(args.scenario.as_deref(), &args.sets)?;
    args.options.apply_to(&mut scenario)?;
    let threads = args.options.threads()?;
    let trials = scenario.simulation.trials;
    let model = Model::new(&scenario);
    let table = model.input_table();
    let report_day =
        crate::output::extras::distribution_day(&scenario, &model, args.report_date).map_err(Failure::Usage)?;
    let outcomes = sensitivity::outcomes(&scenario, &model, Some(report_day));
    let report_date = scenario
        .date_of(model.report_days[report_day])
        .format("%Y-%m-%d")
        .to_string();
    let per_trial = sensitivity::bytes_per_trial(table.paths.len(), outcomes.len());
    let most = sensitivity::MAX_SAMPLE_BYTES / per_trial;
    if trials > most {
        return Err(Failure::Usage(format!(
            "sensitivity keeps every trial's {} inputs and {} outcomes in memory ({per_trial} bytes a trial): at \
             most {most} trials for this scenario (4 GiB), got {trials}; use --trials",
            table.paths.len(),
            outcomes.len()
        )));
    }
    let out = out_dir(&args.options.output, args.scenario.as_deref(), Some("sensitivity"));
    let sha256 = sha256_hex(&scenario.source);
    let folder = OutputFolder::open(&out, FILES, &identity(&scenario), args.options.output.force)?;
    let started = Instant::now();
    let samples = with_progress(trials, args.options.output.quiet, |progress| {
        sensitivity::sample(&model, &table, &outcomes, 0..trials, threads, progress)
    })?;
    let rows = sensitivity::analyse(&table.paths, &outcomes, &samples);
    let info = info_row(
        &scenario.name,
        &sha256,
        scenario.simulation.seed,
        trials,
        &[
            ("inputs", table.paths.len().to_string()),
            ("spearman_noise", number(sensitivity::spearman_noise(trials), 4)),
            ("first_order_noise", number(sensitivity::first_order_noise(trials), 4)),
            ("overrides", args.sets.join("; ")),
            ("report_date", report_date),
        ],
    );
    let mut files = vec![
        (sensitivity::FILE, sensitivity::render(&rows)),
        (sensitivity::INFO_FILE, info),
    ];
    let page = crate::report::pages::sensitivity::render(&files)?;
    files.push((schema::SENSITIVITY_PAGE, page.into_bytes()));
    interrupt::check()?;
    let committed = folder.commit(&files)?;
    super::terminal::replaced(&committed, args.options.output.quiet);
    if !args.options.output.quiet {
        println!(
            "{}: {} inputs, {} trials (seed {}) in {:.2} s; {}",
            safe(&scenario.name),
            table.paths.len(),
            trials,
            scenario.simulation.seed,
            started.elapsed().as_secs_f64(),
            safe(&out.join(sensitivity::FILE).display().to_string())
        );
        print_ranking(&outcomes, &rows, trials);
    }
    Ok(())
}

/// The noise floor, then the top five inputs of each outcome.
fn print_ranking(outcomes: &[Outcome], rows: &[Row], trials: u64) {
    println!(
        "  (|spearman| under {} and first-order under {} are within noise of no influence at {trials} trials{})",
        number(sensitivity::spearman_noise(trials), 3),
        number(sensitivity::first_order_noise(trials), 4),
        if trials < 1000 {
            "; use --trials 10000 or more for a ranking to rely on"
        } else {
            ""
        }
    );
    let show = |v: Option<f64>, plus: bool| match v {
        Some(v) if plus => format!("{v:+.2}"),
        Some(v) => format!("{v:.2}"),
        None => "-".to_string(),
    };
    for outcome in outcomes {
        let block: Vec<_> = rows.iter().filter(|r| r.outcome == outcome.name).collect();
        let name = safe(&outcome.name);
        if block.is_empty() {
            println!("  {name}: no uncertain input to rank");
            continue;
        }
        if block.iter().all(|r| r.spearman.is_none()) {
            println!("  {name}: the same in every trial, nothing to rank");
            continue;
        }
        println!("  {name}:");
        for row in block.iter().take(5) {
            println!(
                "    {:>2}. {}  (spearman {}, first-order {})",
                row.rank,
                safe(&row.input),
                show(row.spearman, true),
                show(row.first_order, false)
            );
        }
    }
}
