//! `forcegen run`: simulate a scenario and write the CSV files, the report
//! and its charts; or, with `--shard K/N --partial FILE`, one shard's
//! partial result for `forcegen merge`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

use super::options::{load_scenario, out_dir};
use super::progress::{Meter, with_progress};
use super::terminal::safe_line;
use super::{Failure, ObservedOptions, PrecisionOptions, RunOptions, interrupt, trials_out};
use crate::analysis::precision::{self, Rule, Stop};
use crate::analysis::{assumptions, drivers};
use crate::engine::{self, Aggregates};
use crate::model::Model;
use crate::output::folder::{FileSet, OutputFolder};
use crate::output::{self, Identity, schema};
use crate::partial::{self, Partial, Shard};
use crate::scenario::Scenario;

/// The files a run owns in its folder.
pub const FILES: FileSet = FileSet {
    owned: &schema::RUN_OWNED,
    info: schema::RUN_INFO,
};

/// Most columns a spreadsheet shows (Excel and LibreOffice: 16,384).
pub const SPREADSHEET_COLUMNS: usize = 16_384;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The scenario file (TOML; - reads standard input). Without it, the built-in Haiti baseline
    /// (scenarios/haiti-mss-2024-09.toml) is run.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub options: RunOptions,
    #[command(flatten)]
    pub precision: PrecisionOptions,
    #[command(flatten)]
    pub observed: ObservedOptions,
    /// Run only shard K of N (1-based, e.g. 3/8) and write a partial result
    /// to --partial instead of CSV files; see `forcegen merge`.
    #[arg(long, value_name = "K/N", requires = "partial", conflicts_with_all = ["out", "until_se"])]
    pub shard: Option<String>,
    /// Where to write the partial result of a shard. An existing file there
    /// is replaced only if it is a partial result (or with --force).
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub partial: Option<PathBuf>,
    /// Also write timeseries_wide.csv: one row per date, one column per
    /// metric and statistic (international_mean, international_p5, ...).
    #[arg(long)]
    pub wide: bool,
    #[command(flatten)]
    pub xlsx: XlsxOption,
    /// Change one value of the scenario (repeatable). PATH is the dotted path
    /// used in error messages (simulation.horizon_days,
    /// contributors.Kenya.probability, host_police.intakes.1.size,
    /// targets.NAME.at_least); VALUE is a TOML value, or else text
    /// (--set 'contributors.Kenya.fulfilment=beta(8, 2)').
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// The date of distribution.csv and the report's distribution chart
    /// (YYYY-MM-DD, within the simulated period; the last report date on or
    /// before it is used) [default: the scenario's simulation.report_date,
    /// else the horizon].
    #[arg(long, value_name = "DATE", value_parser = super::options::date_flag)]
    pub report_date: Option<chrono::NaiveDate>,
    /// Skip the quick sensitivity pass behind the report's drivers
    /// (drivers.csv is then not written).
    #[arg(long)]
    pub no_drivers: bool,
    #[command(flatten)]
    pub percentiles: PercentilesOption,
    #[command(flatten)]
    pub json: JsonOption,
    #[command(flatten)]
    pub trials: super::trials_out::TrialsOutOptions,
}

/// `--percentiles`, shared by `run` and `merge`.
#[derive(Debug, Clone, Default, Args)]
pub struct PercentilesOption {
    /// The percentile columns of timeseries.csv (and timeseries_wide.csv):
    /// whole numbers from 0 to 100 in increasing order, 50 among them
    /// [default: 5,25,50,75,95].
    #[arg(long, value_name = "LIST")]
    pub percentiles: Option<crate::output::stats::Percents>,
}

impl PercentilesOption {
    /// The percents asked for, or the default.
    pub fn percents(&self) -> Vec<u32> {
        self.percentiles
            .as_ref()
            .map_or_else(|| crate::output::stats::PERCENTS.to_vec(), |p| p.0.clone())
    }
}

/// `--json`, shared by `run`, `merge` and `report`.
#[derive(Debug, Clone, Default, Args)]
pub struct JsonOption {
    /// Print the answer as one JSON document on standard output instead of
    /// the summary: run_info.csv's row, the report date, and every row of
    /// summary.csv and targets.csv (docs/output-reference.md, --json).
    #[arg(long)]
    pub json: bool,
}

/// `--xlsx`, shared by `run`, `merge` and `report`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct XlsxOption {
    /// Also write results.xlsx: the CSV files in one workbook (one sheet
    /// each: typed cells, frozen header, percent formats) with native charts
    /// of the fan and the target curves.
    #[arg(long)]
    pub xlsx: bool,
}

/// `forcegen run`.
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let (mut scenario, threads) = prepare(args)?;
    let rule = args.precision.rule(scenario.simulation.trials)?;
    if let (Some(shard), Some(path)) = (&args.shard, &args.partial) {
        refuse_merge_flags(args)?;
        let shard = Shard::parse(shard).map_err(Failure::Usage)?;
        for warning in ignored_with_shard(args) {
            eprintln!("warning: {warning}");
        }
        return run_shard(args, &scenario, shard, path, threads);
    }
    let out = out_dir(&args.options.output, args.scenario.as_deref(), None);
    let folder = OutputFolder::open(&out, FILES, &identity(&scenario), args.options.output.force)?;
    let model = Model::new(&scenario);
    let report_day = output::extras::distribution_day(&scenario, &model, args.report_date).map_err(Failure::Usage)?;
    let trials_plan = args.trials.plan(&scenario, &model, report_day)?;
    if let Some(plan) = &trials_plan {
        // Replaced only if it is a trials file (or with --force), as `explain --csv`.
        let start = format!("{},", trials_out::FIRST_COLUMN);
        check_target(
            &plan.path,
            args.scenario.as_deref(),
            start.as_bytes(),
            args.options.output.force,
        )?;
    }
    let started = Instant::now();
    let total = scenario.simulation.trials;
    let quiet = args.options.output.quiet;
    let (aggregates, precision) = match rule {
        None => {
            let aggregates = with_progress(total, quiet, |progress| {
                engine::run(&model, 0..total, threads, progress)
            })?;
            (aggregates, None)
        }
        Some(rule) => {
            let (aggregates, stop) = run_until(&model, total, &rule, threads, quiet)?;
            // The drivers' quick pass and the files see the trials run.
            scenario.simulation.trials = stop.trials;
            (aggregates, Some(stop))
        }
    };
    let results = Results {
        scenario: &scenario,
        model: &model,
        aggregates: &aggregates,
        elapsed: Some(started.elapsed()),
        threads,
        report_day,
        drivers: !args.no_drivers,
        percents: args.percentiles.percents(),
        precision,
        conditioned: None,
    };
    // The trials file after the run, the same trials again; written once
    // the folder is.
    let trials_file = trials_plan
        .map(|plan| Ok::<_, Failure>((plan.render(&scenario, &model, threads, quiet)?, plan)))
        .transpose()?;
    let formats = (args.xlsx.xlsx, args.json.json);
    results.write(folder, args.wide, formats, quiet)?;
    if let Some((bytes, plan)) = trials_file {
        trials_out::write(&plan, &bytes)?;
        if !quiet && !args.json.json {
            println!(
                "trials: {} -> {}",
                plan.describe(),
                safe_line(&plan.path.display().to_string())
            );
        }
    }
    Ok(())
}

/// Refuses on a shard the flags about the merged files or a whole run.
fn refuse_merge_flags(args: &RunArgs) -> Result<(), Failure> {
    if args.percentiles.percentiles.is_some() || args.json.json || args.trials.trials_out.is_some() {
        return Err(Failure::Usage(
            "--percentiles and --json are about the merged files: give them to `forcegen merge`, not to a \
             shard (--trials-out is for a whole run)"
                .to_string(),
        ));
    }
    Ok(())
}

/// The flags a shard does not use, each with what to do instead: a shard
/// writes only its partial file, and `merge` writes the files these shape.
fn ignored_with_shard(args: &RunArgs) -> Vec<String> {
    let mut ignored = Vec::new();
    if args.report_date.is_some() {
        ignored.push(
            "--report-date is not used with --shard: merge takes the date of distribution.csv from the \
             scenario's simulation.report_date (set it there, or with --set simulation.report_date=DATE on \
             every shard)"
                .to_string(),
        );
    }
    if args.xlsx.xlsx {
        ignored.push("--xlsx is not used with --shard: give it to forcegen merge".to_string());
    }
    if args.wide {
        ignored.push("--wide is not used with --shard: merge writes no timeseries_wide.csv".to_string());
    }
    if args.no_drivers {
        ignored.push("--no-drivers is not used with --shard: merge writes drivers.csv".to_string());
    }
    ignored
}

/// What every run does first: Ctrl-C handled (from the start, so that it
/// exits with 130 at any point and writes nothing), the scenario loaded
/// with `--set`, `--trials` and `--seed`, its warnings printed; with the
/// worker threads.
pub fn prepare(args: &RunArgs) -> Result<(Scenario, usize), Failure> {
    interrupt::install();
    let mut scenario = load_scenario(args.scenario.as_deref(), &args.sets)?;
    args.options.apply_to(&mut scenario)?;
    let threads = args.options.threads()?;
    if !args.options.output.quiet {
        super::validate::print_run_warnings(&scenario)?;
    }
    Ok((scenario, threads))
}

/// What a conditioned run adds to a plain run's results.
#[derive(Debug, Clone)]
pub struct Conditioned {
    /// `run_info.csv`'s columns after its own.
    pub info: Vec<(&'static str, String)>,
    /// `posterior.csv` and `observations.csv`.
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// One line for the terminal: how many trials the forecast rests on.
    pub line: String,
}

/// `--until-se`: trials in batches until every target's probability on
/// every report day is precise enough; the merged aggregates (those of one
/// run of all the trials) and how it ended.
fn run_until(
    model: &Model,
    trials: u64,
    rule: &Rule,
    threads: usize,
    quiet: bool,
) -> Result<(Aggregates, Stop), Failure> {
    let mut total: Option<Aggregates> = None;
    let stop = precision::batches(rule, trials, |range, batch| {
        let count = range.end - range.start;
        let mut meter = Meter::new(count, quiet, Some(format!("batch {batch}")));
        let part = meter.run(count, |progress| engine::run(model, range.clone(), threads, progress))?;
        let merged = match total.take() {
            Some(mut merged) => {
                merged.merge(&part);
                merged
            }
            None => part,
        };
        let worst = precision::worst_by_day(&merged.first_reached, &model.report_days, merged.trials);
        total = Some(merged);
        Ok::<f64, Failure>(worst)
    })?;
    Ok((total.unwrap_or_else(|| Aggregates::new(model)), stop))
}

/// One shard's trials, written as a partial result.
fn run_shard(args: &RunArgs, scenario: &Scenario, shard: Shard, path: &Path, threads: usize) -> Result<(), Failure> {
    check_target(
        path,
        args.scenario.as_deref(),
        partial::HEADER_START.as_bytes(),
        args.options.output.force,
    )?;
    partial::check_writable(path)?;
    let model = Model::new(scenario);
    let started = Instant::now();
    let trials = shard.trials(scenario.simulation.trials);
    let count = trials.end - trials.start;
    let aggregates = with_progress(count, args.options.output.quiet, |progress| {
        engine::run(&model, trials.clone(), threads, progress)
    })?;
    let stem = out_dir(&Default::default(), args.scenario.as_deref(), None);
    let stem = stem.file_name().map(|s| s.to_string_lossy().into_owned());
    let part = Partial::new(scenario, stem, shard, aggregates);
    interrupt::check()?;
    partial::write(path, &part)?;
    if !args.options.output.quiet {
        println!(
            "shard {}/{}: {} trials in {:.1} s -> {}",
            shard.index,
            shard.count,
            part.aggregates.trials,
            started.elapsed().as_secs_f64(),
            safe_line(&path.display().to_string())
        );
    }
    Ok(())
}

/// Refuses a file to write (`--partial`, `explain --csv`) that is the
/// scenario file or a folder, or (unless `force`) an existing regular file
/// that does not start with `start`: forcegen replaces only its own files.
pub(super) fn check_target(path: &Path, scenario: Option<&Path>, start: &[u8], force: bool) -> Result<(), Failure> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if scenario.is_some_and(|s| same(s, path)) {
        return Err(Failure::Usage(format!(
            "{} is the scenario file; give another file name",
            path.display()
        )));
    }
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if meta.is_dir() {
        return Err(Failure::Usage(format!(
            "{} is a folder; give a file name",
            path.display()
        )));
    }
    let standard = ["-", "/dev/stdout", "/dev/stderr"].iter().any(|s| path == Path::new(s));
    if meta.file_type().is_symlink() && !standard {
        return Err(Failure::Usage(format!(
            "{} is a symbolic link; give the file it points to, or a new name (a link is never followed)",
            path.display()
        )));
    }
    if force || !meta.is_file() || meta.len() == 0 {
        return Ok(());
    }
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(start.len() as u64).read_to_end(&mut head));
    if read.is_ok() && head == start {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "{} exists and is not a file forcegen wrote there; add --force to replace it, or give another file name",
        path.display()
    )))
}

/// Who a scenario's results belong to (see [`Identity`]).
pub fn identity(scenario: &Scenario) -> Identity {
    Identity {
        name: scenario.name.clone(),
        sha256: scenario.fingerprint(),
    }
}

/// A finished simulation, ready to write (`run` and `merge`).
pub struct Results<'a> {
    pub scenario: &'a Scenario,
    pub model: &'a Model,
    pub aggregates: &'a Aggregates,
    /// How long the simulation took, for the summary (none for a merge).
    pub elapsed: Option<Duration>,
    /// Worker threads of the drivers' quick pass (0: one per core).
    pub threads: usize,
    /// The index in `model.report_days` of `distribution.csv`'s date.
    pub report_day: usize,
    /// Whether to run the drivers' quick pass and write `drivers.csv`.
    pub drivers: bool,
    /// The percentile columns of `timeseries.csv` (`--percentiles`).
    pub percents: Vec<u32>,
    /// How `--until-se` ended, if it was given (said in `run_info.csv`).
    pub precision: Option<Stop>,
    /// What `--observed` adds, if it was given.
    pub conditioned: Option<Conditioned>,
}

impl Results<'_> {
    /// Renders the CSV files, the report, (with `wide`) the wide file and
    /// (with `xlsx`) the workbook, commits them to the folder, and prints a
    /// summary unless `quiet`. Ctrl-C before the commit writes nothing.
    pub fn write(
        &self,
        folder: OutputFolder,
        wide: bool,
        (xlsx, json): (bool, bool),
        quiet: bool,
    ) -> Result<(), Failure> {
        let mut files = output::render_with(self.scenario, self.model, self.aggregates, &self.percents);
        let mut columns = self.precision.as_ref().map(Stop::info_columns).unwrap_or_default();
        columns.extend(self.conditioned.iter().flat_map(|c| c.info.iter().cloned()));
        if !columns.is_empty() {
            let info = output::run_info(self.scenario, self.aggregates, &columns);
            if let Some(slot) = files.iter_mut().find(|(name, _)| *name == schema::RUN_INFO) {
                slot.1 = info;
            }
        }
        files.extend(self.extras()?);
        files.extend(self.conditioned.iter().flat_map(|c| c.files.iter().cloned()));
        let report = crate::report::render(&files).map_err(|e| Failure::Internal(e.to_string()))?;
        if wide {
            let bytes = output::wide::from_timeseries(&files[0].1).map_err(|e| Failure::Internal(e.to_string()))?;
            let columns = header_columns(&bytes);
            if columns > SPREADSHEET_COLUMNS && !quiet {
                eprintln!(
                    "note: {} has {columns} columns; spreadsheets show only the first {SPREADSHEET_COLUMNS} \
                     (timeseries.csv holds the same values in rows)",
                    schema::WIDE
                );
            }
            files.push((schema::WIDE, bytes));
        }
        // After the CSV files it is built from, so that it is renamed into
        // place after them.
        let workbook = xlsx.then(|| workbook(&files, quiet)).transpose();
        let workbook = workbook.map_err(|e| Failure::Internal(e.to_string()))?;
        files.extend(report);
        files.extend(workbook.map(|bytes| (schema::WORKBOOK, bytes)));
        interrupt::check()?;
        let out = folder.path().to_path_buf();
        let answers = crate::report::answers::from_files(&files).map_err(|e| Failure::Internal(e.to_string()))?;
        let document = json.then(|| crate::report::json::render(&files)).transpose();
        let document = document.map_err(|e| Failure::Internal(e.to_string()))?;
        let committed = folder.commit(&files)?;
        match document {
            Some(document) => print!("{document}"),
            None if !quiet => self.print_summary(&out, &answers),
            None => {}
        }
        super::terminal::replaced(&committed, quiet);
        Ok(())
    }

    /// The CSV files of the report besides the five
    /// ([`schema::RUN_EXTRA_FILES`]): benchmarks, the distribution on the
    /// chosen date, the drivers (unless skipped) and the assumptions.
    fn extras(&self) -> Result<Vec<(&'static str, Vec<u8>)>, Failure> {
        let (scenario, model) = (self.scenario, self.model);
        let mut files = vec![
            (schema::BENCHMARKS, output::extras::benchmarks(scenario)),
            (
                schema::DISTRIBUTION,
                output::extras::distribution(scenario, model, self.aggregates, self.report_day),
            ),
        ];
        if self.drivers {
            let (rows, trials) = drivers::drivers(scenario, model, self.report_day, self.threads)?;
            files.push((schema::DRIVERS, drivers::render(&rows, trials)));
        }
        files.push((schema::ASSUMPTIONS, assumptions::render(scenario)));
        Ok(files)
    }

    /// The run's first line, then the answer from its CSV files (as the
    /// report's findings have it: [`crate::report::answers`]).
    fn print_summary(&self, out: &Path, answers: &crate::report::answers::Answers) {
        let scenario = self.scenario;
        let time = self
            .elapsed
            .map(|e| format!(" in {:.2} s", e.as_secs_f64()))
            .unwrap_or_default();
        let what_if = match scenario.overrides.is_empty() {
            true => String::new(),
            false => format!(" (what-if: --set {})", scenario.overrides.join("; ")),
        };
        println!(
            "{}{}: {} trials (seed {}){time}; results in {}",
            safe_line(&scenario.name),
            safe_line(&what_if),
            self.aggregates.trials,
            scenario.simulation.seed,
            safe_line(&out.display().to_string())
        );
        super::terminal::print_precision(self.precision.as_ref(), "every target's probability");
        if let Some(conditioned) = &self.conditioned {
            println!("  {}", safe_line(&conditioned.line));
        }
        for line in crate::report::answers::terminal_lines(answers) {
            println!("{}", safe_line(&line));
        }
    }
}

/// `results.xlsx` from the CSV files `files`; its notes (what it leaves
/// out) are printed unless `quiet`.
pub(super) fn workbook(files: &[(&str, Vec<u8>)], quiet: bool) -> Result<Vec<u8>, crate::report::ReportError> {
    let rendered = crate::report::workbook::render(files)?;
    if !quiet {
        for note in &rendered.notes {
            eprintln!("note: {}: {}", schema::WORKBOOK, safe_line(note));
        }
    }
    Ok(rendered.bytes)
}

/// The number of columns in a CSV file's header (the wide file's names are
/// metric names with a statistic, quoted where they hold commas).
fn header_columns(csv: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(csv);
    reader
        .records()
        .next()
        .and_then(Result::ok)
        .map_or(0, |header| header.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_headers_are_counted_as_a_spreadsheet_sees_them() {
        assert_eq!(header_columns(b"date,day,\"a,b_mean\",x_sd\n1,2,3,4\n"), 4);
        assert_eq!(header_columns(b""), 0);
        let wide: Vec<String> = (0..SPREADSHEET_COLUMNS + 1).map(|i| format!("m{i}")).collect();
        assert!(header_columns(wide.join(",").as_bytes()) > SPREADSHEET_COLUMNS);
    }
}
