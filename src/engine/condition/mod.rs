//! Conditioning a run on observations (`run --observed`): approximate
//! Bayesian rejection. Each trial runs as usual; its likelihood of the
//! observations is `L = prod exp(-z^2 / 2)` over them, `z = (x - y) /
//! (error * max(y, 1))`, with `x` the trial's value of the observed metric
//! on the observed day (exact: the observed days are report days of the
//! model that simulates) and `y` the observation; an observation without
//! an error must be matched exactly (`L` is 1 or 0). The trial is kept
//! when a uniform from its own stream (`observed.accept`) is below `L`, so
//! the kept trials are draws from the scenario conditioned on the
//! observations, and every aggregate stays an integer count: the files,
//! shards and merging work as for a plain run, whatever the thread count.
//!
//! Rows of one metric on one day combine into one group (the product of
//! their Gaussians is one Gaussian around their weighted mean, up to a
//! constant factor, which rejection may drop: it scales every trial's
//! chance of being kept alike).
//!
//! Here: the groups and their likelihood; [`Evidence`] (what a run learns:
//! trials run and kept, each input's distribution before and after, each
//! group's mean likelihood) in `evidence`; the worker in `worker`.
//!
//! The rules: docs/MODEL.md §5.19.

mod evidence;
mod worker;

use std::collections::HashMap;

pub use evidence::{Evidence, GroupEvidence, InputSummary, input_key, input_value};
pub use worker::{ACCEPT_STREAM, Kept, run_conditioned, trial_log_likelihood};

use super::histogram::{Binning, EXACT_LIMIT};
use crate::model::Trial;
use crate::scenario::Metric;

/// One observation as the engine uses it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed {
    /// Days from the start.
    pub day: u32,
    pub metric: Metric,
    pub value: f64,
    /// Relative error; 0 for an exact value.
    pub error: f64,
    /// Its line in the observed file (for messages).
    pub line: u64,
}

/// The observations of one metric on one day, combined.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub day: u32,
    pub metric: Metric,
    /// The day's place among the report days of the model that simulates.
    pub report: usize,
    /// The value an exact observation requires, if any row has no error.
    pub exact: Option<f64>,
    /// The sum of the rows' `1 / sd^2`, `sd = error * max(value, 1)` (0
    /// when every row is exact).
    pub weight: f64,
    /// The rows' mean weighted by `1 / sd^2` (the centre of the combined Gaussian).
    pub centre: f64,
    /// The first row's line, and how many rows the group has.
    pub first_line: u64,
    pub rows: u64,
}

impl Group {
    /// The log-likelihood of value `x`: `-weight * (x - centre)^2 / 2`,
    /// or minus infinity where an exact value is not matched (or `x` is
    /// not a finite number).
    #[inline]
    pub fn log_likelihood(&self, x: f64) -> f64 {
        if !x.is_finite() || self.exact.is_some_and(|y| !same_value(self.metric, x, y)) {
            return f64::NEG_INFINITY;
        }
        -0.5 * self.weight * (x - self.centre) * (x - self.centre)
    }

    /// A value in words for messages: `980 (error 10%)`, or `0 (exact)`.
    pub fn describe(&self) -> String {
        match self.exact {
            Some(y) => format!("{} (exact)", short_number(y)),
            None => {
                let sd = self.weight.recip().sqrt();
                format!("{} (give or take {})", short_number(self.centre), short_number(sd))
            }
        }
    }
}

/// A number for messages: at most four decimals, none trailing.
fn short_number(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// True when `x` is the value `y` as the files tell values apart: a head
/// count below [`EXACT_LIMIT`] exactly, anything else within its bin (0.1%
/// for larger head counts and ratios, 0.4% for money).
pub fn same_value(metric: Metric, x: f64, y: f64) -> bool {
    let binning = Binning::of(metric);
    if binning == Binning::Count && y < f64::from(EXACT_LIMIT) {
        return x == y;
    }
    binning.key(x) == binning.key(y)
}

/// Two exact observations of one metric on one day that disagree: their lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict {
    pub first: u64,
    pub second: u64,
}

/// Every group of a run's observations, in day order (then first line).
#[derive(Debug, Clone, PartialEq)]
pub struct Conditions {
    pub groups: Vec<Group>,
}

impl Conditions {
    /// Groups `rows` by metric and day; `report_days` are those of the
    /// model that simulates, which must hold every observed day.
    pub fn new(rows: &[Observed], report_days: &[u32]) -> Result<Conditions, Conflict> {
        let mut groups: Vec<Group> = Vec::new();
        let mut weighted: Vec<f64> = Vec::new();
        let mut at: HashMap<(u32, Metric), usize> = HashMap::new();
        for row in rows {
            let g = *at.entry((row.day, row.metric)).or_insert_with(|| {
                groups.push(Group {
                    day: row.day,
                    metric: row.metric,
                    report: report_days.binary_search(&row.day).unwrap_or(usize::MAX),
                    exact: None,
                    weight: 0.0,
                    centre: 0.0,
                    first_line: row.line,
                    rows: 0,
                });
                weighted.push(0.0);
                groups.len() - 1
            });
            let group = &mut groups[g];
            group.rows += 1;
            if row.error > 0.0 {
                let sd = row.error * row.value.max(1.0);
                group.weight += sd.powi(-2);
                weighted[g] += row.value * sd.powi(-2);
                continue;
            }
            match group.exact {
                Some(y) if !same_value(row.metric, row.value, y) => {
                    return Err(Conflict {
                        first: group.first_line,
                        second: row.line,
                    });
                }
                _ => group.exact = Some(row.value),
            }
        }
        for (group, sum) in groups.iter_mut().zip(weighted) {
            if group.weight > 0.0 {
                group.centre = sum / group.weight;
            }
        }
        groups.sort_by_key(|g| (g.day, g.first_line));
        Ok(Conditions { groups })
    }

    /// The distinct observed days, ascending.
    pub fn days(&self) -> Vec<u32> {
        let mut days: Vec<u32> = self.groups.iter().map(|g| g.day).collect();
        days.dedup();
        days
    }

    /// Group `g`'s metric in `trial` (run by the model whose report days
    /// the groups were made with), on its day.
    #[inline]
    pub fn value(&self, g: usize, trial: &Trial) -> f64 {
        let group = &self.groups[g];
        match trial.report_positions.get(group.report) {
            Some(&k) => trial.metric(group.metric, k as usize),
            None => f64::NAN,
        }
    }
}

/// `report_days` with `extra` days added: ascending, each once.
pub fn with_days(report_days: &[u32], extra: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut days: Vec<u32> = report_days.iter().copied().chain(extra).collect();
    days.sort_unstable();
    days.dedup();
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: u32, value: f64, error: f64, line: u64) -> Observed {
        Observed {
            day,
            metric: Metric::International,
            value,
            error,
            line,
        }
    }

    #[test]
    fn rows_of_one_metric_and_day_combine() {
        let rows = [row(30, 100.0, 0.1, 2), row(10, 5.0, 0.0, 3), row(30, 110.0, 0.1, 4)];
        let conditions = Conditions::new(&rows, &[0, 10, 30, 90]).expect("no conflict");
        let [early, late] = conditions.groups.as_slice() else {
            panic!("two groups: {conditions:?}")
        };
        assert_eq!(
            (early.day, early.report, early.exact, early.rows),
            (10, 1, Some(5.0), 1)
        );
        assert_eq!((late.day, late.report, late.rows, late.first_line), (30, 2, 2, 2));
        // Weights 1/10^2 and 1/11^2: the centre leans to the smaller sd.
        let (a, b) = (0.01, 1.0 / 121.0);
        assert!((late.weight - (a + b)).abs() < 1e-15);
        assert!((late.centre - (100.0 * a + 110.0 * b) / (a + b)).abs() < 1e-12);
        // The combined log-likelihood differs from the product's by a constant.
        let product = |x: f64| -0.5 * (((x - 100.0) / 10.0).powi(2) + ((x - 110.0) / 11.0).powi(2));
        let shift = product(104.0) - late.log_likelihood(104.0);
        assert!((product(97.0) - late.log_likelihood(97.0) - shift).abs() < 1e-9);
        assert_eq!(conditions.days(), vec![10, 30]);
    }

    #[test]
    fn exact_values_must_match_and_may_not_disagree() {
        let conditions = Conditions::new(&[row(0, 7.0, 0.0, 2)], &[0]).expect("one row");
        let group = &conditions.groups[0];
        assert_eq!(group.log_likelihood(7.0), 0.0);
        assert_eq!(group.log_likelihood(8.0), f64::NEG_INFINITY);
        assert_eq!(group.log_likelihood(f64::NAN), f64::NEG_INFINITY);
        let conflict = Conditions::new(&[row(0, 7.0, 0.0, 2), row(0, 8.0, 0.0, 5)], &[0]);
        assert_eq!(conflict, Err(Conflict { first: 2, second: 5 }));
        // Large head counts and ratios match within their bin.
        assert!(same_value(Metric::International, 100_000.0, 100_001.0));
        assert!(!same_value(Metric::International, 65_535.0, 65_534.0));
        assert!(same_value(Metric::PolicePer100k, 45.5, 45.5001));
        assert!(!same_value(Metric::PolicePer100k, 45.5, 45.6));
    }

    #[test]
    fn an_observation_of_zero_has_a_scale_of_one() {
        let conditions = Conditions::new(&[row(0, 0.0, 0.5, 2)], &[0]).expect("one row");
        let group = &conditions.groups[0];
        // sd = 0.5 * max(0, 1): one person off is z = 2.
        assert!((group.log_likelihood(1.0) + 2.0).abs() < 1e-12);
        assert_eq!(group.describe(), "0 (give or take 0.5)");
    }
}
