//! What a conditioned run learns besides its aggregates: how many trials
//! ran and how many were kept, each uncertain input's distribution over
//! all trials (before) and over the kept ones (after), and each group of
//! observations' mean likelihood and the trials' values there. Integer
//! counts and sums (and a least and a most), so it merges exactly in any
//! order, and its size does not grow with the trials.

use serde::{Deserialize, Serialize};

use crate::engine::histogram::DayHistogram;

/// Bins of an input's values: its `f64` rounded to 10 bits of mantissa
/// (within 2^-11, 0.05%, of the value; whole numbers to 2,048 exact).
const SHIFT: u32 = 42;
/// The key of 0 (and of values closer to 0 than [`FLOOR`]); negative
/// values' keys lie below it, positive ones above.
const ZERO: u32 = 1 << 21;
/// Inputs closer to 0 than this share the key of 0.
const FLOOR: f64 = 1e-12;
/// Inputs larger than this (in size) share the key of this.
const CEILING: f64 = 1e300;
/// Fixed-point scale of the sums of observed values: 2^10 units per 1.
const VALUE_SCALE: f64 = 1024.0;
/// Observed values are capped here in the sums (never in the range): 2^46.
const VALUE_CAP: f64 = 70_368_744_177_664.0;
/// Fixed-point scale of the sums of likelihoods (each at most 1): 2^52.
const LIKELIHOOD_SCALE: f64 = 4_503_599_627_370_496.0;

/// `m` (positive, finite) rounded to [`SHIFT`]'s bins: its bits' top part.
fn rounded_bits(m: f64) -> u64 {
    (m.to_bits() + (1 << (SHIFT - 1))) >> SHIFT
}

/// The farthest a key lies from [`ZERO`].
fn max_offset() -> u32 {
    (rounded_bits(CEILING) - rounded_bits(FLOOR)) as u32 + 1
}

/// The bin key of an input's value (0 for NaN).
#[inline]
pub fn input_key(value: f64) -> u32 {
    let size = value.abs();
    if size.is_nan() || size < FLOOR {
        return ZERO;
    }
    let offset = (rounded_bits(size.min(CEILING)) - rounded_bits(FLOOR)) as u32 + 1;
    if value > 0.0 { ZERO + offset } else { ZERO - offset }
}

/// The value of an input bin: the value rounded to the bin, exactly.
pub fn input_value(key: i64) -> f64 {
    let offset = key - i64::from(ZERO);
    if offset == 0 {
        return 0.0;
    }
    let bits = (offset.unsigned_abs() - 1 + rounded_bits(FLOOR)) << SHIFT;
    let size = f64::from_bits(bits);
    if offset > 0 { size } else { -size }
}

/// One group of observations over the trials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupEvidence {
    /// The sum of its likelihood over the trials, in units of 2^-52.
    pub likelihood: u128,
    /// The sum of the trials' values there (each capped at 2^46, 0 at
    /// least), in units of 2^-10.
    pub sum: u128,
    /// The same over the kept trials.
    pub kept_sum: u128,
    /// The least and the most value of the trials there (none before a trial).
    pub range: Option<(f64, f64)>,
}

impl GroupEvidence {
    /// Adds one trial's value `x` (finite) and log-likelihood there.
    #[inline]
    pub fn add(&mut self, x: f64, log_likelihood: f64) {
        self.likelihood += (log_likelihood.exp() * LIKELIHOOD_SCALE) as u128;
        if x.is_finite() {
            self.sum += fixed(x);
            self.range = Some(match self.range {
                Some((low, high)) => (low.min(x), high.max(x)),
                None => (x, x),
            });
        }
    }

    /// Adds a kept trial's value `x` (finite: a kept trial's values are).
    #[inline]
    pub fn keep(&mut self, x: f64) {
        self.kept_sum += fixed(x);
    }

    fn merge(&mut self, other: &GroupEvidence) -> Option<()> {
        self.likelihood = self.likelihood.checked_add(other.likelihood)?;
        self.sum = self.sum.checked_add(other.sum)?;
        self.kept_sum = self.kept_sum.checked_add(other.kept_sum)?;
        self.range = match (self.range, other.range) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        Some(())
    }

    /// The mean likelihood over `trials` trials.
    pub fn mean_likelihood(&self, trials: u64) -> f64 {
        self.likelihood as f64 / LIKELIHOOD_SCALE / trials.max(1) as f64
    }

    /// The trials' mean value there.
    pub fn mean_value(&self, trials: u64) -> f64 {
        self.sum as f64 / VALUE_SCALE / trials.max(1) as f64
    }

    /// The kept trials' mean value there.
    pub fn mean_kept(&self, kept: u64) -> f64 {
        self.kept_sum as f64 / VALUE_SCALE / kept.max(1) as f64
    }
}

/// A value in the sums' fixed point: capped at 0 and [`VALUE_CAP`], rounded.
#[inline]
fn fixed(x: f64) -> u128 {
    (x.clamp(0.0, VALUE_CAP) * VALUE_SCALE + 0.5) as u128
}

/// An input's mean, sd and percentiles from its bins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputSummary {
    pub mean: f64,
    pub sd: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

/// What a conditioned run learns (see the module's comment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Trials run.
    pub run: u64,
    /// Trials kept (those the aggregates hold).
    pub accepted: u64,
    /// Each input's values over every trial run (one column per input of
    /// the model's input table).
    pub prior: DayHistogram,
    /// The same over the kept trials.
    pub posterior: DayHistogram,
    /// One per group of observations, in the groups' order.
    pub groups: Vec<GroupEvidence>,
}

impl Evidence {
    /// Nothing yet, for `inputs` inputs and `groups` groups.
    pub fn new(inputs: usize, groups: usize) -> Evidence {
        Evidence {
            run: 0,
            accepted: 0,
            prior: DayHistogram::new(inputs),
            posterior: DayHistogram::new(inputs),
            groups: vec![GroupEvidence::default(); groups],
        }
    }

    /// Adds another part's evidence (the same inputs and groups); an error
    /// when a sum would pass its integer's range.
    pub fn merge(&mut self, other: &Evidence) -> Result<(), String> {
        let overflow = || "the trials of the partial results add up past 2^64 (or 2^128)".to_string();
        self.run = self.run.checked_add(other.run).ok_or_else(overflow)?;
        self.accepted = self.accepted.checked_add(other.accepted).ok_or_else(overflow)?;
        self.prior.merge(&other.prior);
        self.posterior.merge(&other.posterior);
        for (mine, theirs) in self.groups.iter_mut().zip(&other.groups) {
            mine.merge(theirs).ok_or_else(overflow)?;
        }
        Ok(())
    }

    /// Checks evidence read from a partial file: the shape of `inputs`
    /// inputs and `groups` groups, each histogram counting each trial once
    /// in an input's bins, and sums no run of its trials could pass.
    pub fn check(&self, inputs: usize, groups: usize) -> Result<(), String> {
        if self.prior.days() != inputs || self.posterior.days() != inputs || self.groups.len() != groups {
            return Err("its conditioning results do not have the shape of its scenario and observations".into());
        }
        if self.accepted > self.run {
            return Err(format!("{} trials kept of {} run", self.accepted, self.run));
        }
        self.prior.check(self.run).map_err(|e| format!("inputs before: {e}"))?;
        self.posterior
            .check(self.accepted)
            .map_err(|e| format!("inputs after: {e}"))?;
        let keys = i64::from(ZERO - max_offset())..=i64::from(ZERO + max_offset());
        for histogram in [&self.prior, &self.posterior] {
            for input in 0..inputs {
                let mut stray = false;
                histogram.for_each_count(input, |key, count| stray |= count > 0 && !keys.contains(&key));
                if stray {
                    return Err(format!("input {}: a bin that is not an input's", input + 1));
                }
            }
        }
        let run = u128::from(self.run);
        for (g, group) in self.groups.iter().enumerate() {
            let most = |scale: f64, cap: f64| run * ((cap * scale) as u128 + 1);
            let range_ok = match group.range {
                Some((low, high)) => low.is_finite() && high.is_finite() && low <= high && self.run > 0,
                None => self.run == 0,
            };
            let kept_most = u128::from(self.accepted) * ((VALUE_CAP * VALUE_SCALE) as u128 + 1);
            if group.likelihood > most(LIKELIHOOD_SCALE, 1.0)
                || group.sum > most(VALUE_SCALE, VALUE_CAP)
                || group.kept_sum > kept_most
                || !range_ok
            {
                return Err(format!(
                    "observation group {}: sums out of range for {} trials",
                    g + 1,
                    self.run
                ));
            }
        }
        Ok(())
    }

    /// Input `i`'s distribution before (over every trial) and after (over
    /// the kept ones); none for a histogram without trials.
    pub fn summaries(&self, i: usize) -> (Option<InputSummary>, Option<InputSummary>) {
        (
            summary(&self.prior, i, self.run),
            summary(&self.posterior, i, self.accepted),
        )
    }
}

/// The mean, sd, p5, p50 and p95 of column `i` of `histogram` (`trials` trials).
fn summary(histogram: &DayHistogram, i: usize, trials: u64) -> Option<InputSummary> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let (mut sum, mut squares) = (0.0, 0.0);
    histogram.for_each_count(i, |key, count| sum += input_value(key) * count as f64);
    let mean = sum / n;
    histogram.for_each_count(i, |key, count| {
        squares += (input_value(key) - mean).powi(2) * count as f64
    });
    let keys = histogram.percentile_keys(i, trials, &[5, 50, 95]);
    let at = |k: usize| keys.get(k).map_or(f64::NAN, |&key| input_value(key));
    Some(InputSummary {
        mean,
        sd: (squares / n).sqrt(),
        p5: at(0),
        p50: at(1),
        p95: at(2),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::histogram::HistogramRecorder;

    #[test]
    fn input_keys_keep_order_and_whole_numbers() {
        let values = [
            -1e300, -3.5, -1.0, -1e-9, 0.0, 1e-13, 1e-9, 0.15, 1.0, 2.0, 45.0, 2047.0, 1.187e7, 1e300,
        ];
        let keys: Vec<u32> = values.iter().map(|&v| input_key(v)).collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
        for v in [0.0, 1.0, 2.0, 45.0, 2047.0, -3.5, 0.5, -1.0] {
            assert_eq!(input_value(i64::from(input_key(v))), v, "{v}");
        }
        for v in [0.15, 1.187e7, 1e-9, -0.0123, 3.3e200] {
            let back = input_value(i64::from(input_key(v)));
            assert!((back - v).abs() <= v.abs() * 2f64.powi(-11), "{v} -> {back}");
        }
        assert_eq!(input_key(f64::NAN), input_key(0.0));
        assert_eq!(input_key(f64::INFINITY), input_key(1e300));
        // Every key lies in the histograms' key range.
        assert!(u64::from(ZERO + max_offset()) < (1 << 22) && ZERO > max_offset());
    }

    #[test]
    fn summaries_come_from_the_bins() {
        let mut recorder = HistogramRecorder::new(1);
        for v in 0..100 {
            recorder.record_keys(&[input_key(f64::from(v))]);
        }
        let mut evidence = Evidence::new(1, 0);
        evidence.prior = recorder.finish();
        evidence.run = 100;
        let (before, after) = evidence.summaries(0);
        let before = before.expect("trials");
        assert_eq!(
            (before.mean, before.p5, before.p50, before.p95),
            (49.5, 4.0, 49.0, 94.0)
        );
        assert!((before.sd - (9999.0f64 / 12.0).sqrt()).abs() < 1e-9);
        assert_eq!(after, None);
        assert_eq!(evidence.check(1, 0), Ok(()));
        let mut edited = evidence.clone();
        edited.accepted = 101;
        assert!(edited.check(1, 0).is_err());
    }

    #[test]
    fn group_evidence_merges_in_any_order() {
        let mut a = GroupEvidence::default();
        let mut b = GroupEvidence::default();
        a.add(10.0, 0.0);
        a.add(30.0, -0.5);
        b.add(20.0, f64::NEG_INFINITY);
        let (mut ab, mut ba) = (a, b);
        ab.merge(&b).expect("fits");
        ba.merge(&a).expect("fits");
        assert_eq!(ab, ba);
        assert_eq!(ab.range, Some((10.0, 30.0)));
        assert!((ab.mean_value(3) - 20.0).abs() < 1e-3);
        assert!((ab.mean_likelihood(3) - (1.0 + (-0.5f64).exp()) / 3.0).abs() < 1e-12);
    }
}
