//! `compare_timeseries.csv`: each compared scenario's fan (percentiles by
//! date) of the [`FAN_METRICS`], and its paired difference to the first
//! scenario by date, for the charts of `compare.html`.
//!
//! The fans come from a run of each scenario on the same trials and seed
//! ([`fan`]), so they equal that scenario's `timeseries.csv` from `run`
//! with the same seed and trials; the differences come from the paired
//! trials of [`super::compare::run`].
//!
//! The rules: docs/MODEL.md §5.13.

use std::ops::Range;

use super::compare::{Arm, FAN_METRICS, Sums, mean_se};
use crate::engine::{self, Aggregates, EngineError, Progress};
use crate::output::stats::{DayStats, metric_stats};
use crate::output::{cell_text, csv_bytes, number, schema};
use crate::scenario::{Metric, Scenario};

/// Name of the file.
pub const FILE: &str = schema::COMPARE_TIMESERIES;

/// One scenario's fans: the stats of each of the [`FAN_METRICS`] on each of
/// its report days (`None` where it has no such metric). Only these are
/// kept of its run, so that comparing many scenarios holds one scenario's
/// per-day tables at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Fan {
    stats: Vec<Vec<Option<DayStats>>>,
}

/// One scenario's [`Fan`] over the trials.
pub fn fan(arm: &Arm, trials: Range<u64>, threads: usize, progress: &Progress) -> Result<Fan, EngineError> {
    let aggregates = engine::run(arm.model(), trials, threads, progress)?;
    let days = arm.model().report_days.len();
    let stats = FAN_METRICS
        .iter()
        .map(|&metric| (0..days).map(|k| stats(arm, &aggregates, metric, k)).collect())
        .collect();
    Ok(Fan { stats })
}

/// `compare_timeseries.csv`: for each fan metric and scenario, one row per
/// report date of that scenario. `reference` gives the dates (every
/// scenario shares its start); `fans` are the arms' fans in order.
pub fn render(reference: &Scenario, arms: &[Arm], fans: &[Fan], sums: &Sums) -> Vec<u8> {
    let mut rows = Vec::new();
    for (f, metric) in FAN_METRICS.iter().enumerate() {
        for (a, (arm, fan)) in arms.iter().zip(fans).enumerate() {
            let shared = arm.shared_days(&arms[0]);
            let differences = &sums.daily[a][f];
            for (k, &day) in arm.model().report_days.iter().enumerate() {
                let Some(stats) = fan.stats.get(f).and_then(|days| days.get(k)).cloned().flatten() else {
                    continue;
                };
                let decimals = if metric.is_ratio() { 4 } else { 0 };
                let difference = shared
                    .iter()
                    .find(|(_, mine)| *mine == k)
                    .filter(|_| a > 0)
                    .map(|&(r, _)| mean_se(differences[r], sums.trials));
                let (d, d_se) = difference.map_or_else(Default::default, |(d, se)| (number(d, 6), number(se, 6)));
                let mut row = vec![
                    reference.date_of(day).format("%Y-%m-%d").to_string(),
                    day.to_string(),
                    cell_text(&arm.label),
                    metric.name(reference),
                    number(stats.mean, 4),
                ];
                row.extend(stats.percentiles.iter().map(|p| number(*p, decimals)));
                row.extend([d, d_se]);
                rows.push(row);
            }
        }
    }
    csv_bytes(&schema::COMPARE_TIMESERIES_COLUMNS, rows)
}

/// The stats of `metric` on the arm's report day `k`.
fn stats(arm: &Arm, aggregates: &Aggregates, metric: Metric, k: usize) -> Option<DayStats> {
    let model = arm.model();
    let m = model.metrics.iter().position(|x| *x == metric)?;
    let histogram = aggregates.metrics.get(m)?;
    let sums = if metric.has_sums() {
        let nth = model.metrics[..m].iter().filter(|x| x.has_sums()).count();
        Some(*aggregates.ratio_sums.get(nth)?.get(k)?)
    } else {
        None
    };
    let large = aggregates
        .large_sums
        .get(m)
        .and_then(|l| l.get(k))
        .copied()
        .unwrap_or((0, 0));
    Some(metric_stats(metric, histogram, sums, large, k, aggregates.trials))
}
