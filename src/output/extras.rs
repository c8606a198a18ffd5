//! The CSV files a run writes for its report besides the five of
//! [`schema::RUN_FILES`]: `benchmarks.csv` (the scenario's benchmarks) and
//! `distribution.csv` (each standard metric's distribution over the trials
//! on one report date). `drivers.csv` and `assumptions.csv` need the
//! analyses, so `analysis` writes them.
//!
//! The rules: docs/MODEL.md §5.8.

use crate::engine::Aggregates;
use crate::engine::histogram::Binning;
use crate::model::Model;
use crate::scenario::{Metric, Scenario};

use super::{cell_text, csv_bytes, number, schema};

/// Decimals of a share in `distribution.csv`: one trial in ten billion
/// (the most trials a scenario may ask for) still shows.
const SHARE_DECIMALS: usize = 10;

/// `benchmarks.csv`: one row per `[[benchmarks]]` entry, in scenario order.
pub fn benchmarks(scenario: &Scenario) -> Vec<u8> {
    let rows = scenario.benchmarks.iter().map(|b| {
        vec![
            cell_text(&b.name),
            cell_text(&b.metric.name(scenario)),
            number(b.value, 6),
            cell_text(&b.source),
        ]
    });
    csv_bytes(&schema::BENCHMARKS_COLUMNS, rows)
}

/// Checks a `--report-date` against `scenario`'s simulated period (before
/// a model is built, as `sweep` does for every grid point first).
pub fn check_report_date(scenario: &Scenario, date: Option<chrono::NaiveDate>) -> Result<(), String> {
    let Some(date) = date else {
        return Ok(());
    };
    let start = scenario.simulation.start;
    let end = scenario.date_of(scenario.simulation.horizon_days);
    if date < start || date > end {
        return Err(format!(
            "--report-date {date} is outside the simulated period, {start} to {end}; give a date from {start} to \
             {end} ({}), e.g. {end}",
            crate::scenario::dates::FORM
        ));
    }
    Ok(())
}

/// The report day [`distribution`] describes for `date` (`--report-date`;
/// `None`: the scenario's `report_date`, else the horizon): the last report
/// day on or before it. `Err` names the range when the date is before the
/// start or after the horizon.
pub fn distribution_day(scenario: &Scenario, model: &Model, date: Option<chrono::NaiveDate>) -> Result<usize, String> {
    let last = model.report_days.len().saturating_sub(1);
    let Some(date) = date.or(scenario.simulation.report_date) else {
        return Ok(last);
    };
    let (start, end) = (scenario.simulation.start, scenario.date_of(model.horizon));
    if date < start || date > end {
        return Err(format!(
            "--report-date {date} is outside the simulated period, {start} to {end}; give a date from {start} to \
             {end} ({}), e.g. {end}",
            crate::scenario::dates::FORM
        ));
    }
    let day = (date - start).num_days();
    Ok(model
        .report_days
        .iter()
        .rposition(|&d| i64::from(d) <= day)
        .unwrap_or(0))
}

/// `distribution.csv`: for each standard metric, every value the trials
/// had on report day `r` (its histogram bin: the value itself for whole
/// people in exact bins, else the bin's midpoint, as `timeseries.csv`'s percentiles) and the share of trials
/// with it, in ascending value order.
pub fn distribution(scenario: &Scenario, model: &Model, aggregates: &Aggregates, r: usize) -> Vec<u8> {
    let date = scenario.date_of(model.report_days[r]).format("%Y-%m-%d").to_string();
    let trials = aggregates.trials.max(1) as f64;
    let mut rows = Vec::new();
    for (m, metric) in model.metrics.iter().enumerate() {
        if matches!(metric, Metric::Contributor(_)) {
            continue;
        }
        let name = cell_text(&metric.name(scenario));
        let histogram = &aggregates.metrics[m];
        let (binning, decimals) = (Binning::of(*metric), super::stats::decimals(*metric));
        histogram.for_each_count(r, |key, count| {
            let value = number(binning.value(key), decimals);
            rows.push(vec![
                name.clone(),
                date.clone(),
                value,
                number(count as f64 / trials, SHARE_DECIMALS),
            ]);
        });
    }
    csv_bytes(&schema::DISTRIBUTION_COLUMNS, rows)
}
