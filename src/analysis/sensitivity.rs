//! `forcegen sensitivity`: which uncertain inputs drive the outcome.
//!
//! Every trial's input values and outcomes are kept (this analysis needs
//! ranks, so unlike `run` its memory grows with the trials: about
//! 8 bytes x (inputs + outcomes) per trial). For each outcome and input it
//! reports the Spearman rank correlation, a first-order (variance-based)
//! index from binned conditional means, and the outcome's mean when the
//! input is low (its bottom 10%) and high (its top 10%), the two ends of a
//! tornado bar.
//!
//! The rules: docs/MODEL.md §5.12.

use std::ops::Range;

use crate::engine::{self, EngineError, Progress};
use crate::model::{InputTable, Model, Trial};
use crate::output::{cell_text, csv_bytes, number, schema};
use crate::scenario::{Metric, Scenario};

/// Name of the output file.
pub const FILE: &str = schema::SENSITIVITY;
/// Name of the file saying what produced it.
pub const INFO_FILE: &str = schema::SENSITIVITY_INFO;

/// Bytes kept per trial for `inputs` inputs and `outcomes` outcomes: 8
/// bytes each, held twice while the chunks are gathered into columns
/// (within the memory budget, `crate::budget`).
pub fn bytes_per_trial(inputs: usize, outcomes: usize) -> u64 {
    16 * (inputs + outcomes) as u64
}

/// Values of |Spearman| below this are within 2 standard errors of no
/// relation at all (its standard error is `1 / sqrt(n - 1)` then).
pub fn spearman_noise(trials: u64) -> f64 {
    2.0 / (trials.saturating_sub(1).max(1) as f64).sqrt()
}

/// First-order indices below this are within 2 standard deviations of an
/// input with no influence: the bias-corrected binned estimate then has a
/// standard deviation of about `sqrt(2 (bins - 1)) / n`.
pub fn first_order_noise(trials: u64) -> f64 {
    let n = trials.max(1) as usize;
    let bins = (n / 100).clamp(2, MAX_BINS) as f64;
    2.0 * (2.0 * (bins - 1.0)).sqrt() / n as f64
}

/// Bins for the first-order index: enough to follow a curve, few enough
/// that each bin's mean is precise (at least 100 trials per bin).
const MAX_BINS: usize = 50;

/// What a trial produced, one value per outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub name: String,
    pub kind: OutcomeKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutcomeKind {
    /// A metric's value on the horizon day.
    AtHorizon(Metric),
    /// A metric's value on report day `k` (an index into the model's report days).
    OnReportDay(Metric, usize),
    /// Day a target is first reached; `horizon + 1` when never.
    DayReached(usize),
    /// 1 if target `t` is reached by day `day`, else 0 (its mean is the chance).
    ReachedBy(usize, u32),
}

/// The outcomes analysed: international strength and police per 100,000 at
/// the horizon, and the day each target is first reached; with a report
/// date before the horizon (`report_day`, an index into `model`'s report
/// days: `run --report-date` or the scenario's `report_date`), first the
/// two metrics on that date and whether each target is reached by it,
/// named with the date (`international_on_2026-10-02`,
/// `reached_by_2026-10-02:NAME`).
pub fn outcomes(scenario: &Scenario, model: &Model, report_day: Option<usize>) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let dated = report_day.and_then(|k| Some((k, *model.report_days.get(k)?)));
    if let Some((k, day)) = dated.filter(|&(_, day)| day < model.horizon) {
        let date = scenario.date_of(day).format("%Y-%m-%d");
        for (metric, name) in [
            (Metric::International, "international"),
            (Metric::PolicePer100k, "police_per_100k"),
        ] {
            outcomes.push(Outcome {
                name: format!("{name}_on_{date}"),
                kind: OutcomeKind::OnReportDay(metric, k),
            });
        }
        outcomes.extend(scenario.targets.iter().enumerate().map(|(t, target)| Outcome {
            name: format!("reached_by_{date}:{}", target.name),
            kind: OutcomeKind::ReachedBy(t, day),
        }));
    }
    outcomes.extend([
        Outcome {
            name: "international_at_horizon".to_string(),
            kind: OutcomeKind::AtHorizon(Metric::International),
        },
        Outcome {
            name: "police_per_100k_at_horizon".to_string(),
            kind: OutcomeKind::AtHorizon(Metric::PolicePer100k),
        },
    ]);
    outcomes.extend(scenario.targets.iter().enumerate().map(|(t, target)| Outcome {
        name: format!("day_reached:{}", target.name),
        kind: OutcomeKind::DayReached(t),
    }));
    outcomes
}

/// Each trial's inputs and outcomes, by column.
#[derive(Debug, Clone)]
pub struct Samples {
    pub inputs: Vec<Vec<f64>>,
    pub outcomes: Vec<Vec<f64>>,
}

/// Runs `trials` and keeps each trial's inputs and outcomes, in trial order.
pub fn sample(
    model: &Model,
    table: &InputTable,
    outcomes: &[Outcome],
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
) -> Result<Samples, EngineError> {
    let width = table.paths.len() + outcomes.len();
    let chunks = engine::map_chunks(trials, threads, progress, |chunk| {
        let mut trial = Trial::default();
        let mut values = Vec::new();
        let mut rows = Vec::with_capacity((chunk.end - chunk.start) as usize * width);
        for index in chunk {
            model.run_trial(index, &mut trial);
            model.input_values(table, index, &mut values);
            rows.extend_from_slice(&values);
            rows.extend(outcomes.iter().map(|o| outcome_value(model, &trial, o.kind)));
        }
        rows
    })?;
    let trials = chunks.iter().map(|c| c.len()).sum::<usize>() / width.max(1);
    let mut columns = vec![Vec::with_capacity(trials); width];
    for rows in &chunks {
        for row in rows.chunks_exact(width) {
            for (column, &value) in columns.iter_mut().zip(row) {
                column.push(value);
            }
        }
    }
    let outcomes = columns.split_off(table.paths.len());
    Ok(Samples {
        inputs: columns,
        outcomes,
    })
}

fn outcome_value(model: &Model, trial: &Trial, kind: OutcomeKind) -> f64 {
    let reached = |t: usize| trial.first_reached.get(t).copied().flatten();
    match kind {
        OutcomeKind::AtHorizon(metric) => trial.metric(metric, trial.days.len().saturating_sub(1)),
        OutcomeKind::OnReportDay(metric, k) => {
            let at = trial.report_positions.get(k).map_or(trial.days.len(), |&p| p as usize);
            trial.metric(metric, at.min(trial.days.len().saturating_sub(1)))
        }
        OutcomeKind::DayReached(t) => reached(t).map_or(f64::from(model.horizon) + 1.0, f64::from),
        OutcomeKind::ReachedBy(t, day) => f64::from(u8::from(reached(t).is_some_and(|d| d <= day))),
    }
}

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub outcome: String,
    /// 1 = most influential for this outcome.
    pub rank: usize,
    pub input: String,
    /// `None` when the outcome (or the input) does not vary.
    pub spearman: Option<f64>,
    pub first_order: Option<f64>,
    pub mean_when_low: f64,
    pub mean_when_high: f64,
}

/// Ranks every input for every outcome: by first-order index, then by the
/// size of the Spearman correlation (a tornado chart's order).
pub fn analyse(paths: &[String], outcomes: &[Outcome], samples: &Samples) -> Vec<Row> {
    let input_ranks: Vec<Vec<f64>> = samples.inputs.iter().map(|x| ranks(x)).collect();
    let mut rows = Vec::new();
    for (outcome, y) in outcomes.iter().zip(&samples.outcomes) {
        let y_ranks = ranks(y);
        let mut block: Vec<Row> = paths
            .iter()
            .zip(&samples.inputs)
            .zip(&input_ranks)
            .map(|((path, x), x_ranks)| {
                let (low, high) = tail_means(x, y);
                Row {
                    outcome: outcome.name.clone(),
                    rank: 0,
                    input: path.clone(),
                    spearman: pearson(x_ranks, &y_ranks),
                    first_order: first_order_index(x, y),
                    mean_when_low: low,
                    mean_when_high: high,
                }
            })
            .collect();
        block.sort_by(|a, b| {
            let key = |r: &Row| (r.first_order.unwrap_or(-1.0), r.spearman.map_or(-1.0, f64::abs));
            let (ka, kb) = (key(a), key(b));
            kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1))
        });
        for (i, row) in block.iter_mut().enumerate() {
            row.rank = i + 1;
        }
        rows.extend(block);
    }
    rows
}

/// Ranks 1..=n, ties sharing their average rank.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end: their average.
        let average = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = average;
        }
        start = end;
    }
    ranks
}

/// Pearson correlation; `None` when either side does not vary.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len()) as f64;
    if n < 2.0 {
        return None;
    }
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// First-order sensitivity index `Var(E[Y | X]) / Var(Y)`, estimated from
/// the means of Y in bins of equal count along X (equal values of X never
/// split between bins, so a yes/no input gets two bins). The bins' noise,
/// about `(bins - 1) / n` of `Var(Y)`, is subtracted; the estimate is then
/// kept within [0, 1]. `None` when Y or X does not vary.
pub fn first_order_index(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let total: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    if total <= 0.0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let bins_wanted = (n / 100).clamp(2, MAX_BINS);
    let per_bin = n.div_ceil(bins_wanted);
    let (mut between, mut bins, mut start) = (0.0, 0usize, 0usize);
    while start < n {
        let mut end = (start + per_bin).min(n);
        while end < n && x[order[end]] == x[order[end - 1]] {
            end += 1;
        }
        let count = (end - start) as f64;
        let bin_mean = order[start..end].iter().map(|&i| y[i]).sum::<f64>() / count;
        between += count * (bin_mean - mean) * (bin_mean - mean);
        bins += 1;
        start = end;
    }
    if bins < 2 {
        return None;
    }
    let share = between / n as f64 / total - (bins - 1) as f64 / n as f64;
    Some(share.clamp(0.0, 1.0))
}

/// Mean of `y` over the trials whose `x` is at or below its 10th percentile,
/// and over those at or above its 90th (ties kept together). When ties make
/// such a group more than half of the trials (a yes/no input that is 1 in
/// only 5% of trials has its 90th percentile at 0), the group is the trials
/// at the input's lowest (or highest) value instead, so each end of the bar
/// still shows one end of the input.
pub fn tail_means(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len().min(y.len());
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut sorted: Vec<f64> = x[..n].to_vec();
    sorted.sort_by(f64::total_cmp);
    let (lowest, highest) = (sorted[0], sorted[n - 1]);
    let mut low_cut = sorted[(n - 1) / 10];
    let mut high_cut = sorted[(n - 1) - (n - 1) / 10];
    let at_or_below = |cut: f64| sorted.partition_point(|v| *v <= cut);
    if at_or_below(low_cut) * 2 > n {
        low_cut = lowest;
    }
    if (n - sorted.partition_point(|v| *v < high_cut)) * 2 > n {
        high_cut = highest;
    }
    let mean_where = |keep: &dyn Fn(f64) -> bool| {
        let (sum, count) = x[..n]
            .iter()
            .zip(y)
            .filter(|(xi, _)| keep(**xi))
            .fold((0.0, 0usize), |(s, c), (_, yi)| (s + yi, c + 1));
        sum / count.max(1) as f64
    };
    (mean_where(&|v| v <= low_cut), mean_where(&|v| v >= high_cut))
}

/// Columns of `sensitivity.csv`.
pub const HEADER: [&str; 7] = schema::SENSITIVITY_COLUMNS;

/// `sensitivity.csv`: header and one row per outcome and input.
pub fn render(rows: &[Row]) -> Vec<u8> {
    let optional = |v: Option<f64>| v.map(|v| number(v, 4)).unwrap_or_default();
    csv_bytes(
        &HEADER,
        rows.iter().map(|row| {
            vec![
                cell_text(&row.outcome),
                row.rank.to_string(),
                cell_text(&row.input),
                optional(row.spearman),
                optional(row.first_order),
                number(row.mean_when_low, 4),
                number(row.mean_when_high, 4),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(ranks(&[10.0, 30.0, 20.0, 30.0]), [1.0, 3.5, 2.0, 3.5]);
    }

    #[test]
    fn spearman_of_a_monotone_relation_is_one() {
        let x: Vec<f64> = (0..50).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v.powi(3)).collect();
        let rho = pearson(&ranks(&x), &ranks(&y)).unwrap();
        assert!((rho - 1.0).abs() < 1e-12);
        let down: Vec<f64> = x.iter().map(|v| -v.exp()).collect();
        assert!((pearson(&ranks(&x), &ranks(&down)).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(pearson(&x, &[1.0; 50]), None);
    }

    #[test]
    fn first_order_index_of_a_sum_splits_the_variance() {
        // y = a + 2b with a, b on independent grids: Var(a) = Var(b) = (m^2-1)/12,
        // so a explains 1/5 of the variance and b 4/5.
        let m = 100;
        let (mut a, mut b, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..m {
            for j in 0..m {
                // Decorrelate the grid's order from the bins.
                let (ai, bj) = (f64::from(i), f64::from((j * 37 + i * 11) % m));
                a.push(ai);
                b.push(bj);
                y.push(ai + 2.0 * bj);
            }
        }
        let sa = first_order_index(&a, &y).unwrap();
        let sb = first_order_index(&b, &y).unwrap();
        assert!((sa - 0.2).abs() < 0.01, "{sa}");
        assert!((sb - 0.8).abs() < 0.01, "{sb}");
    }

    #[test]
    fn a_yes_no_input_gets_two_bins() {
        // y = 10 x for x in {0, 1}, all variance explained.
        let x: Vec<f64> = (0..1000).map(|i| f64::from(i % 3 == 0)).collect();
        let y: Vec<f64> = x.iter().map(|v| 10.0 * v).collect();
        let s = first_order_index(&x, &y).unwrap();
        assert!((s - 1.0).abs() < 0.002, "{s}");
        let (low, high) = tail_means(&x, &y);
        assert_eq!((low, high), (0.0, 10.0));
    }

    #[test]
    fn a_rare_yes_shows_at_the_high_end_and_a_rare_no_at_the_low_end() {
        // x is 1 in 5% of trials: its 90th percentile is 0, yet the high end
        // must be the mean where x = 1.
        let x: Vec<f64> = (0..1000).map(|i| f64::from(i % 20 == 0)).collect();
        let y: Vec<f64> = x.iter().enumerate().map(|(i, v)| 100.0 * v + (i % 3) as f64).collect();
        let (low, high) = tail_means(&x, &y);
        let mean_where = |value: f64| {
            let picked: Vec<f64> = x
                .iter()
                .zip(&y)
                .filter(|(a, _)| **a == value)
                .map(|(_, b)| *b)
                .collect();
            picked.iter().sum::<f64>() / picked.len() as f64
        };
        assert_eq!((low, high), (mean_where(0.0), mean_where(1.0)));
        // And the mirror image: x is 0 in 5% of trials.
        let flipped: Vec<f64> = x.iter().map(|v| 1.0 - v).collect();
        let (low, high) = tail_means(&flipped, &y);
        assert_eq!((low, high), (mean_where(1.0), mean_where(0.0)));
    }
}
