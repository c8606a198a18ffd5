//! Everything a run keeps: per-report-day distributions of every metric,
//! the days targets were first met, and what each contributor delivered.
//! All of it is integer counts and sums, so aggregates from any split of the
//! trials merge to the same bits in any order, and memory does not depend on
//! the number of trials. A worker records its trials with a
//! [`Recorder`](super::Recorder), which finishes into [`Aggregates`].

use serde::{Deserialize, Serialize};

use super::histogram::DayHistogram;
use crate::model::Model;

/// Fixed-point scale for ratio sums: 2^24 units per 1.
pub const RATIO_SCALE: f64 = 16_777_216.0;
/// Ratios are capped here in the sums (never in the percentiles), so that a
/// sum of squares over 2^40 trials cannot overflow a u128.
pub const RATIO_CAP: f64 = 65_536.0;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregates {
    pub trials: u64,
    /// One per metric, in [`Model::metrics`] order.
    pub metrics: Vec<DayHistogram>,
    /// Ratio metrics only: fixed-point sum and sum of squares per report day,
    /// for the mean and sd (counts get theirs from the exact histogram).
    pub ratio_sums: Vec<Vec<(u128, u128)>>,
    /// Per target: trials first meeting it on each day; the last slot is "never".
    pub first_reached: Vec<Vec<u64>>,
    /// Per contributor: trials whose last wave arrived on each day; last slot "never".
    pub last_wave: Vec<Vec<u64>>,
    /// Per contributor: sum over trials of pledged personnel delivered.
    pub delivered: Vec<u64>,
    /// Per contributor: trials in which all `pledged` arrived.
    pub full_delivery: Vec<u64>,
}

impl Aggregates {
    /// No trials yet, in the shape of `model`'s aggregates.
    pub fn new(model: &Model) -> Aggregates {
        let days = model.report_days.len();
        let day_slots = model.horizon as usize + 2;
        let contributors = model.contributor_count();
        Aggregates {
            trials: 0,
            metrics: model.metrics.iter().map(|_| DayHistogram::new(days)).collect(),
            ratio_sums: model
                .metrics
                .iter()
                .filter(|m| m.is_ratio())
                .map(|_| vec![(0, 0); days])
                .collect(),
            first_reached: vec![vec![0; day_slots]; model.targets.len()],
            last_wave: vec![vec![0; day_slots]; contributors],
            delivered: vec![0; contributors],
            full_delivery: vec![0; contributors],
        }
    }

    /// Bytes held by the per-day tables.
    pub fn table_bytes(&self) -> u64 {
        self.metrics.iter().map(DayHistogram::table_bytes).sum()
    }

    /// Adds another aggregate of the same model.
    pub fn merge(&mut self, other: &Aggregates) {
        self.trials += other.trials;
        for (mine, theirs) in self.metrics.iter_mut().zip(&other.metrics) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.ratio_sums.iter_mut().zip(&other.ratio_sums) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.0 = a.0.wrapping_add(b.0);
                a.1 = a.1.wrapping_add(b.1);
            }
        }
        for (mine, theirs) in self.first_reached.iter_mut().zip(&other.first_reached) {
            add_into(mine, theirs);
        }
        for (mine, theirs) in self.last_wave.iter_mut().zip(&other.last_wave) {
            add_into(mine, theirs);
        }
        add_into(&mut self.delivered, &other.delivered);
        add_into(&mut self.full_delivery, &other.full_delivery);
    }
}

fn add_into(mine: &mut [u64], theirs: &[u64]) {
    for (a, b) in mine.iter_mut().zip(theirs) {
        *a += b;
    }
}
