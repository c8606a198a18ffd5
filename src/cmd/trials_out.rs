//! `run --trials-out FILE`: one row per trial with the values of chosen
//! metrics on chosen dates, for a user who wants the trials themselves
//! (an @RISK or Crystal Ball user's "simulation data"). The trials are
//! those of the run (same seed, same index), run again after it; the file
//! is bounded at [`MAX_CELLS`] values and refused before any work past it.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;

use super::Failure;
use super::progress::with_progress;
use crate::engine;
use crate::model::{Model, Trial};
use crate::output::{cell_text, csv_bytes, number, stats};
use crate::scenario::{Metric, Scenario};

/// Most values (trials x metrics x dates) a trials file may hold.
pub const MAX_CELLS: u64 = 10_000_000;

/// The header's first column, and how a file of trials starts (an
/// existing file is replaced only if it starts so, or with --force).
pub const FIRST_COLUMN: &str = "trial";

/// `--trials-out` and the choice of its columns.
#[derive(Debug, Clone, Default, Args)]
pub struct TrialsOutOptions {
    /// Also write one row per trial to FILE (CSV, replaced atomically): the
    /// value of each --trials-metric on each --trials-date; at most
    /// 10,000,000 values (trials x metrics x dates).
    #[arg(long, value_name = "FILE")]
    pub trials_out: Option<PathBuf>,
    /// With --trials-out: a metric of the scenario, as in timeseries.csv
    /// (repeatable) [default: international].
    #[arg(long = "trials-metric", value_name = "NAME", requires = "trials_out")]
    pub metrics: Vec<String>,
    /// With --trials-out: a date (YYYY-MM-DD, within the simulated period;
    /// the last report date on or before it), repeatable [default: the
    /// report date].
    #[arg(long = "trials-date", value_name = "DATE", requires = "trials_out",
          value_parser = super::options::date_flag)]
    pub dates: Vec<NaiveDate>,
}

/// What to write: the file, the metrics and the report days (indices).
pub struct Plan {
    pub path: PathBuf,
    metrics: Vec<(Metric, String)>,
    /// Report day indices, each once, in increasing order.
    days: Vec<usize>,
}

impl TrialsOutOptions {
    /// Checks the choice against the scenario and the bound before any
    /// work; `report_day` is the run's report day (the default date).
    pub fn plan(&self, scenario: &Scenario, model: &Model, report_day: usize) -> Result<Option<Plan>, Failure> {
        let Some(path) = &self.trials_out else {
            return Ok(None);
        };
        let names = match self.metrics.is_empty() {
            true => vec!["international".to_string()],
            false => self.metrics.clone(),
        };
        let mut metrics = Vec::new();
        for name in &names {
            let metric = scenario.metric_named(name).filter(|m| model.metrics.contains(m));
            let metric = metric.ok_or_else(|| {
                let known: Vec<String> = model.metrics.iter().map(|m| m.name(scenario)).collect();
                Failure::Usage(format!(
                    "--trials-metric {name}: not a metric of this scenario; its metrics: {}",
                    known.join(", ")
                ))
            })?;
            metrics.push((metric, metric.name(scenario)));
        }
        let mut days = vec![report_day];
        if !self.dates.is_empty() {
            days = self
                .dates
                .iter()
                .map(|&date| crate::output::extras::distribution_day(scenario, model, Some(date)))
                .collect::<Result<_, String>>()
                .map_err(|e| Failure::Usage(format!("--trials-date: {e}")))?;
        }
        days.sort_unstable();
        days.dedup();
        let trials = scenario.simulation.trials;
        let cells = trials.saturating_mul((metrics.len() * days.len()) as u64);
        if cells > MAX_CELLS {
            return Err(Failure::Usage(format!(
                "--trials-out: {trials} trials x {} metrics x {} dates is {cells} values, more than the {MAX_CELLS} \
                 a trials file may hold; use fewer --trials, metrics or dates",
                metrics.len(),
                days.len()
            )));
        }
        Ok(Some(Plan {
            path: path.clone(),
            metrics,
            days,
        }))
    }
}

impl Plan {
    /// The file's bytes: the header, then trials `0..trials` of `model` in
    /// order (the same whatever the thread count).
    pub fn render(&self, scenario: &Scenario, model: &Model, threads: usize, quiet: bool) -> Result<Vec<u8>, Failure> {
        let trials = scenario.simulation.trials;
        let mut header = vec![FIRST_COLUMN.to_string()];
        for &k in &self.days {
            let date = scenario.date_of(model.report_days[k]).format("%Y-%m-%d");
            header.extend(
                self.metrics
                    .iter()
                    .map(|(_, name)| cell_text(&format!("{name}_{date}"))),
            );
        }
        let cells = trials.saturating_mul(header.len() as u64 - 1);
        if cells > MAX_CELLS {
            return Err(Failure::Usage(format!(
                "--trials-out: {trials} trials x {} columns is {cells} values, more than the {MAX_CELLS} a trials \
                 file may hold; use fewer --trials (or a larger --until-se), metrics or dates",
                header.len() - 1
            )));
        }
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut out = csv_bytes(&header, std::iter::empty());
        let parts = with_progress(trials, quiet, |progress| {
            engine::map_chunks(0..trials, threads, progress, |chunk| {
                let mut text = Vec::new();
                let mut trial = Trial::default();
                for index in chunk {
                    model.run_trial(index, &mut trial);
                    self.row(&mut text, index, &trial);
                }
                text
            })
        })?;
        for part in parts {
            out.extend(part);
        }
        Ok(out)
    }

    /// What the file holds, for the terminal.
    pub fn describe(&self) -> String {
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        format!(
            "one row per trial, {} on {}",
            count(self.metrics.len(), "metric"),
            count(self.days.len(), "date")
        )
    }

    /// One trial's row, appended to `text`.
    fn row(&self, text: &mut Vec<u8>, index: u64, trial: &Trial) {
        let last = trial.days.len().saturating_sub(1);
        let mut cells = vec![index.to_string()];
        for &k in &self.days {
            let at = trial.report_positions.get(k).map_or(last, |&p| (p as usize).min(last));
            for &(metric, _) in &self.metrics {
                cells.push(number(trial.metric(metric, at), stats::decimals(metric)));
            }
        }
        text.extend(cells.join(",").into_bytes());
        text.push(b'\n');
    }
}

/// Writes the file atomically.
pub fn write(plan: &Plan, bytes: &[u8]) -> Result<(), Failure> {
    crate::output::folder::write_file(&plan.path, bytes)?;
    Ok(())
}
