//! `forcegen sensitivity`: every uncertain input ranked by its influence on
//! the outcomes, into `sensitivity.csv`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::options::{load_scenario, out_dir};
use super::progress::with_progress;
use super::run::identity;
use super::terminal::safe_line;
use super::{Failure, RunOptions, interrupt};
use crate::analysis::sensitivity::{self, Outcome, Row};
use crate::analysis::sobol;
use crate::model::Model;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{info_row, number, schema};
use crate::scenario::{Metric, Scenario};

/// The files `sensitivity` owns in its folder.
const FILES: FileSet = FileSet {
    owned: &[
        sensitivity::FILE,
        sensitivity::INFO_FILE,
        schema::SENSITIVITY_PAGE,
        sobol::FILE,
    ],
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
    /// target by it are ranked too, and with --sobol the date of the metrics
    /// and of "reached by" [default: the scenario's simulation.report_date;
    /// without one, only the horizon's outcomes (--sobol: the horizon)].
    #[arg(long, value_name = "DATE", value_parser = super::options::date_flag)]
    pub report_date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    pub options: RunOptions,
    /// Also write sobol.csv: first- and total-order Sobol indices (Saltelli's
    /// sampling, SALib's estimators) of every input for each target reached
    /// by the report date and each --metric on it, with bootstrap 90%
    /// intervals.
    #[arg(long)]
    pub sobol: bool,
    /// With --sobol: rows of Saltelli's matrices A and B; the pass runs rows
    /// x (inputs + 2) trials [default: 2,000].
    #[arg(long, value_name = "N", requires = "sobol")]
    pub sobol_rows: Option<u64>,
    /// With --sobol: a metric whose value on the report date is analysed
    /// (repeatable) [default: international and police_per_100k].
    #[arg(long = "metric", value_name = "NAME", requires = "sobol")]
    pub metrics: Vec<String>,
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
    check_memory(trials, table.paths.len(), outcomes.len())?;
    let sobol_plan = args
        .sobol
        .then(|| SobolPlan::new(args, &scenario, &model))
        .transpose()?;
    let out = out_dir(&args.options.output, args.scenario.as_deref(), Some("sensitivity"));
    let sha256 = scenario.fingerprint();
    let folder = OutputFolder::open(&out, FILES, &identity(&scenario), args.options.output.force)?;
    let started = Instant::now();
    let samples = with_progress(trials, args.options.output.quiet, |progress| {
        sensitivity::sample(&model, &table, &outcomes, 0..trials, threads, progress)
    })?;
    let rows = sensitivity::analyse(&table.paths, &outcomes, &samples);
    let quiet = args.options.output.quiet;
    let sobol_pass = sobol_plan
        .map(|plan| plan.run(&scenario, &model, &table, threads, quiet))
        .transpose()?;
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
    let mut sobol_line = None;
    if let Some(pass) = sobol_pass {
        files[1].1 = with_columns(&files[1].1, &pass.info);
        files.push((sobol::FILE, pass.csv));
        sobol_line = Some(pass.line);
    }
    let page = crate::report::pages::sensitivity::render(&files)?;
    files.push((schema::SENSITIVITY_PAGE, page.into_bytes()));
    interrupt::check()?;
    let committed = folder.commit(&files)?;
    super::terminal::replaced(&committed, args.options.output.quiet);
    if !args.options.output.quiet {
        println!(
            "{}: {} inputs, {} trials (seed {}) in {:.2} s; {}",
            safe_line(&scenario.name),
            table.paths.len(),
            trials,
            scenario.simulation.seed,
            started.elapsed().as_secs_f64(),
            safe_line(&out.join(sensitivity::FILE).display().to_string())
        );
        print_ranking(&outcomes, &rows, trials);
        if let Some(line) = sobol_line {
            println!("{}", safe_line(&line));
        }
    }
    Ok(())
}

/// Refuses, before any work, `trials` trials whose `inputs` inputs and
/// `outcomes` outcomes, all kept, would pass the memory budget.
fn check_memory(trials: u64, inputs: usize, outcomes: usize) -> Result<(), Failure> {
    let per_trial = sensitivity::bytes_per_trial(inputs, outcomes);
    let most = crate::budget::limit_bytes()? / per_trial;
    let need = crate::budget::Need::new(
        format!("sensitivity, which keeps every trial's {inputs} inputs and {outcomes} outcomes in memory,"),
        &[(trials, "trials"), (per_trial, "bytes a trial")],
        1,
    )
    .advice(format!("at most {most} trials of this scenario fit; use --trials"));
    Ok(crate::budget::check(&need)?)
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
        let name = safe_line(&outcome.name);
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
                safe_line(&row.input),
                show(row.spearman, true),
                show(row.first_order, false)
            );
        }
    }
}

/// What `--sobol` will run: its factors, outputs, rows and report day.
struct SobolPlan {
    factors: Vec<sobol::Factor>,
    left: Vec<String>,
    outputs: Vec<sobol::Output>,
    rows: u64,
    /// The index of the report date among the model's report days.
    report: usize,
    date: chrono::NaiveDate,
}

/// The Sobol indices as `sobol.csv`, and the columns they add to the info file.
struct SobolPass {
    csv: Vec<u8>,
    info: Vec<(&'static str, String)>,
    /// What the terminal says of it, after the ranking.
    line: String,
}

impl SobolPlan {
    /// Checks `--sobol`'s flags against the scenario before any work.
    fn new(args: &SensitivityArgs, scenario: &Scenario, model: &Model) -> Result<SobolPlan, Failure> {
        let table = model.input_table();
        let (factors, left) = sobol::factors(scenario, &table).map_err(Failure::Usage)?;
        let names = if args.metrics.is_empty() {
            vec!["international".to_string(), "police_per_100k".to_string()]
        } else {
            args.metrics.clone()
        };
        let metrics = names
            .iter()
            .map(|name| {
                scenario.metric_named(name).ok_or_else(|| {
                    Failure::Usage(format!(
                        "--metric {name}: not a metric of this scenario (see docs/scenario-reference.md, Metrics)"
                    ))
                })
            })
            .collect::<Result<Vec<Metric>, Failure>>()?;
        let report =
            crate::output::extras::distribution_day(scenario, model, args.report_date).map_err(Failure::Usage)?;
        let day = model.report_days[report];
        let rows = args.sobol_rows.unwrap_or(sobol::DEFAULT_ROWS);
        if !(2..=crate::scenario::MAX_TRIALS / 2).contains(&rows) {
            return Err(Failure::Usage(format!(
                "--sobol-rows must be from 2 to {}, got {rows}",
                crate::scenario::MAX_TRIALS / 2
            )));
        }
        let outputs = sobol::outputs(scenario, &metrics, day);
        let per_row = sobol::sample_bytes(1, factors.len(), outputs.len());
        let need = crate::budget::Need::new(
            format!(
                "--sobol, which keeps every row's {} outputs for A, B and each of {} inputs,",
                outputs.len(),
                factors.len()
            ),
            &[(rows, "rows"), (per_row, "bytes a row")],
            1,
        )
        .advice("use a smaller --sobol-rows");
        crate::budget::check(&need)?;
        let date = scenario.date_of(day);
        Ok(SobolPlan {
            factors,
            left,
            outputs,
            rows,
            report,
            date,
        })
    }

    /// Saltelli's trials under a progress bar, then the indices.
    fn run(
        self,
        scenario: &Scenario,
        model: &Model,
        table: &crate::model::InputTable,
        threads: usize,
        quiet: bool,
    ) -> Result<SobolPass, Failure> {
        let (factors, outputs) = (&self.factors, &self.outputs);
        let sample = with_progress(self.rows, quiet, |progress| {
            sobol::sample(
                (scenario, model, table),
                factors,
                outputs,
                (self.rows, self.report),
                threads,
                progress,
            )
        })?;
        let rows = sobol::analyse(&sample, factors, outputs, scenario.simulation.seed);
        let info = vec![
            ("sobol_rows", self.rows.to_string()),
            ("sobol_date", self.date.format("%Y-%m-%d").to_string()),
            ("sobol_resamples", sobol::RESAMPLES.to_string()),
            ("sobol_inputs", factors.len().to_string()),
            ("sobol_not_inputs", self.left.join("; ")),
        ];
        let line = format!(
            "  sobol.csv: {} inputs x {} outputs from {} rows ({} trials), on {}",
            factors.len(),
            outputs.len(),
            self.rows,
            self.rows.saturating_mul(factors.len() as u64 + 2),
            self.date
        );
        Ok(SobolPass {
            csv: sobol::render(&rows),
            info,
            line,
        })
    }
}

/// An info file with `extra` columns after its own.
fn with_columns(info: &[u8], extra: &[(&str, String)]) -> Vec<u8> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(info);
    let records: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    let (Some(header), Some(row)) = (records.first(), records.get(1)) else {
        return info.to_vec();
    };
    let mut columns: Vec<&str> = header.iter().collect();
    columns.extend(extra.iter().map(|(h, _)| *h));
    let mut values: Vec<String> = row.iter().map(str::to_string).collect();
    values.extend(extra.iter().map(|(_, v)| crate::output::cell_text(v)));
    crate::output::csv_bytes(&columns, [values])
}
