//! Everything a run keeps: per-report-day distributions of every metric,
//! the days targets were first met, and what each contributor delivered.
//! All of it is integer counts and sums, so aggregates from any split of the
//! trials merge to the same bits in any order, and memory does not depend on
//! the number of trials. A worker records its trials with a
//! [`Recorder`](super::Recorder), which finishes into [`Aggregates`].
//!
//! The rules: docs/MODEL.md §4.1 and §4.7.

use serde::{Deserialize, Serialize};

use super::histogram::{Binning, DayHistogram, EXACT_LIMIT, RATIO_FLOOR, count_bin_bounds, count_key, count_key_u64};
use crate::model::Model;
use crate::scenario::Metric;

/// Fixed-point scale for ratio sums: 2^24 units per 1.
pub const RATIO_SCALE: f64 = 16_777_216.0;
/// Ratios are capped here in the sums (never in the percentiles), so that a
/// sum of squares over 2^40 trials cannot overflow a u128.
pub const RATIO_CAP: f64 = 65_536.0;
/// The largest fixed-point value one trial adds to a ratio sum:
/// [`RATIO_CAP`] times [`RATIO_SCALE`], 2^40.
const MAX_FIXED: u128 = 1 << 40;
/// Money (whole USD) is capped here in the sums, 2^40 (about 1.1 trillion
/// USD), so that it adds no more than a ratio does.
pub const MONEY_CAP: f64 = 1_099_511_627_776.0;

/// The fixed-point scale and the cap of a real-valued metric's sums (see
/// [`Metric::has_sums`]): ratios and months of cover in 2^-24 units up to
/// [`RATIO_CAP`], money in whole USD up to [`MONEY_CAP`].
pub fn sum_scale(metric: Metric) -> (f64, f64) {
    if metric.is_money() {
        (1.0, MONEY_CAP)
    } else {
        (RATIO_SCALE, RATIO_CAP)
    }
}

/// Half the relative width a ratio bin may have around its midpoint, with
/// room to spare: bins are under 2^-10 wide, so a value is within 2^-11 of
/// its bin's midpoint; [`Aggregates::check`] allows 2^-9 (2^-7 for money's
/// bins, under 2^-8 wide).
const BIN_SLACK: f64 = 1.0 / 512.0;

/// Whole counts are capped here in their exact sums (never in the
/// percentiles), so that a sum of squares over [`MAX_TRIALS`] trials cannot
/// overflow a u128: 2^46, about 70 trillion (people never come near it;
/// money in whole USD neither).
///
/// [`MAX_TRIALS`]: crate::scenario::MAX_TRIALS
pub const LARGE_CAP: u64 = 1 << 46;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregates {
    pub trials: u64,
    /// One per metric, in [`Model::metrics`] order.
    pub metrics: Vec<DayHistogram>,
    /// Ratio metrics only: fixed-point sum and sum of squares per report day,
    /// for the mean and sd.
    pub ratio_sums: Vec<Vec<(u128, u128)>>,
    /// Per metric, and for a whole-count metric per report day: the exact
    /// sum and sum of squares of its values of [`EXACT_LIMIT`] or more
    /// (each capped at [`LARGE_CAP`]), which share bins; with the exact
    /// bins below, they give its mean and sd exactly. Ratio metrics have
    /// no days here (their sums are `ratio_sums`). (Absent from older
    /// partial files, which are refused by their format.)
    #[serde(default)]
    pub large_sums: Vec<Vec<(u128, u128)>>,
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
                .filter(|m| m.has_sums())
                .map(|_| vec![(0, 0); days])
                .collect(),
            large_sums: model
                .metrics
                .iter()
                .map(|m| vec![(0, 0); if m.has_sums() { 0 } else { days }])
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

    /// Checks aggregates read from a partial file against the model they
    /// claim to be of: the shape a run of it makes, every histogram counting
    /// each trial once, each target's and contributor's day slots counting
    /// each trial once, and deliveries and ratio sums no run could exceed.
    /// So merging them cannot go out of bounds or overflow (see
    /// [`Aggregates::merge_checked`]), and the merged files hold no
    /// impossible numbers (a share over 1, a NaN standard error).
    pub fn check(&self, model: &Model) -> Result<(), String> {
        let expected = Aggregates::new(model);
        let rows = |v: &[Vec<u64>]| v.iter().map(Vec::len).collect::<Vec<_>>();
        let ratio_rows = |v: &[Vec<(u128, u128)>]| v.iter().map(Vec::len).collect::<Vec<_>>();
        let days = |a: &Aggregates| a.metrics.iter().map(DayHistogram::days).collect::<Vec<_>>();
        let same = days(self) == days(&expected)
            && ratio_rows(&self.ratio_sums) == ratio_rows(&expected.ratio_sums)
            && ratio_rows(&self.large_sums) == ratio_rows(&expected.large_sums)
            && rows(&self.first_reached) == rows(&expected.first_reached)
            && rows(&self.last_wave) == rows(&expected.last_wave)
            && self.delivered.len() == expected.delivered.len()
            && self.full_delivery.len() == expected.full_delivery.len();
        if !same {
            return Err("its results do not have the shape of its scenario's".to_string());
        }
        self.check_histograms(model)?;
        self.check_large_sums()?;
        self.check_ratio_sums(model)?;
        let trials = self.trials;
        let counts_each_trial = |what: &str, slots: &[Vec<u64>]| {
            for (i, row) in slots.iter().enumerate() {
                let total: u128 = row.iter().map(|&n| u128::from(n)).sum();
                if total != u128::from(trials) {
                    return Err(format!("{what} {}: its days count {total} trials, not {trials}", i + 1));
                }
            }
            Ok(())
        };
        counts_each_trial("target", &self.first_reached)?;
        counts_each_trial("contributor (last wave)", &self.last_wave)?;
        self.check_deliveries_and_sums(model)
    }

    /// Each histogram counts every trial once, in bins of its metric's kind.
    fn check_histograms(&self, model: &Model) -> Result<(), String> {
        let trials = self.trials;
        for (m, (histogram, metric)) in self.metrics.iter().zip(&model.metrics).enumerate() {
            histogram.check(trials).map_err(|e| format!("metric {}: {e}", m + 1))?;
            // Bins outside their kind's keys would read back as no value
            // (a negative head count, an infinite or NaN ratio).
            let binning = Binning::of(*metric);
            let keys = match binning {
                Binning::Count => count_key(0)..=count_key_u64(u64::MAX),
                Binning::Ratio | Binning::Money => binning.key(0.0)..=binning.key(f64::MAX),
            };
            for day in 0..histogram.days() {
                let mut stray = None;
                histogram.for_each_count(day, |key, count| {
                    if count > 0 && !keys.contains(&key) {
                        stray = Some(key);
                    }
                });
                if let Some(key) = stray {
                    return Err(format!(
                        "metric {}, report day {}: bin {key} is not a bin of a {}",
                        m + 1,
                        day + 1,
                        if metric.has_sums() { "real value" } else { "head count" }
                    ));
                }
            }
        }
        Ok(())
    }

    /// The sums of large counts agree with their bins: on each day, the
    /// sum lies between the least and the most the bins' values (capped)
    /// add up to, and the sum of squares between the sum's square over the
    /// trials in those bins and the sum times the largest value. So the
    /// mean and sd they give stay within the bins (no negative variance).
    fn check_large_sums(&self) -> Result<(), String> {
        for (m, (histogram, sums)) in self.metrics.iter().zip(&self.large_sums).enumerate() {
            for (day, &(sum, squares)) in sums.iter().enumerate() {
                let (mut count, mut least, mut most, mut top) = (0u128, 0u128, 0u128, 0u128);
                histogram.for_each_count(day, |key, n| {
                    if key >= i64::from(EXACT_LIMIT) {
                        let (low, high) = count_bin_bounds(key);
                        let n = u128::from(n);
                        count += n;
                        least += n * u128::from(low.min(LARGE_CAP));
                        most += n * u128::from(high.min(LARGE_CAP));
                        top = u128::from(high.min(LARGE_CAP));
                    }
                });
                // Squares: at least sum^2 / count (Cauchy-Schwarz), at most sum * top.
                let at_least = match (squares.checked_mul(count), sum.checked_mul(sum)) {
                    (Some(q), Some(s)) => q >= s,
                    (None, _) => true,
                    (Some(_), None) => false,
                };
                let squares_fit = squares <= sum.saturating_mul(top) && at_least;
                if !(least..=most).contains(&sum) || !squares_fit {
                    return Err(format!(
                        "metric {}, report day {}: sums {sum} and {squares} do not fit its large values' bins",
                        m + 1,
                        day + 1
                    ));
                }
            }
        }
        Ok(())
    }

    /// The sums of ratios and money agree with their bins, as the sums of
    /// large counts do: on each day, each trial's fixed-point value (capped
    /// as the recorder caps it) lies within its bin, whose width is under
    /// 0.1% (taken as [`BIN_SLACK`] either side of its midpoint), so the
    /// sum lies between the least and the most the bins add up to, and the
    /// sum of squares too. Sums multiplied after the fact (a mean police
    /// per 100,000 of 23,198 beside a 95th percentile of 51.8) are refused.
    fn check_ratio_sums(&self, model: &Model) -> Result<(), String> {
        let with_sums = self.metrics.iter().zip(&model.metrics).filter(|(_, m)| m.has_sums());
        for (r, ((histogram, &metric), sums)) in with_sums.zip(&self.ratio_sums).enumerate() {
            let (scale, cap) = sum_scale(metric);
            let binning = Binning::of(metric);
            // Money bins are four times as wide as a ratio's.
            let slack = if binning == Binning::Money {
                4.0 * BIN_SLACK
            } else {
                BIN_SLACK
            };
            // As the recorder rounds; a float past u64 saturates.
            let fixed = |x: f64| u128::from((x.min(cap) * scale + 0.5) as u64);
            for (day, &(sum, squares)) in sums.iter().enumerate() {
                let (mut least, mut most, mut least_squares, mut most_squares) = (0u128, 0u128, 0u128, 0u128);
                histogram.for_each_count(day, |key, n| {
                    let (low, high) = match key < binning.key(RATIO_FLOOR) {
                        true => (0.0, RATIO_FLOOR),
                        false => {
                            let middle = binning.value(key);
                            (middle * (1.0 - slack), middle * (1.0 + slack))
                        }
                    };
                    let (low, high, n) = (fixed(low), fixed(high), u128::from(n));
                    least = least.saturating_add(n.saturating_mul(low));
                    most = most.saturating_add(n.saturating_mul(high));
                    least_squares = least_squares.saturating_add(n.saturating_mul(low * low));
                    most_squares = most_squares.saturating_add(n.saturating_mul(high * high));
                });
                if !(least..=most).contains(&sum) || !(least_squares..=most_squares).contains(&squares) {
                    return Err(format!(
                        "ratio metric {}, report day {}: sums {sum} and {squares} do not fit its bins (from {least} \
                         to {most})",
                        r + 1,
                        day + 1
                    ));
                }
            }
        }
        Ok(())
    }

    /// Deliveries within what the pledges allow, and ratio sums within
    /// what the trials can add.
    fn check_deliveries_and_sums(&self, model: &Model) -> Result<(), String> {
        let trials = self.trials;
        for (c, (&delivered, &full)) in self.delivered.iter().zip(&self.full_delivery).enumerate() {
            let pledged = u128::from(model.pledged(c));
            // Every trial delivers at most the pledge, and a full delivery all of it.
            if full > trials || u128::from(delivered) > pledged * u128::from(trials) {
                return Err(format!(
                    "contributor {}: {delivered} delivered in {full} full deliveries of {pledged} over {trials} trials",
                    c + 1
                ));
            }
            if u128::from(delivered) < pledged * u128::from(full) {
                return Err(format!(
                    "contributor {}: {full} full deliveries of {pledged} but only {delivered} delivered",
                    c + 1
                ));
            }
        }
        for (r, sums) in self.ratio_sums.iter().enumerate() {
            for (day, &(sum, squares)) in sums.iter().enumerate() {
                // Each trial adds at most MAX_FIXED, and its square at most
                // MAX_FIXED times itself.
                let bounded = u128::from(trials)
                    .checked_mul(MAX_FIXED)
                    .is_some_and(|most| sum <= most)
                    && sum.checked_mul(MAX_FIXED).is_some_and(|most| squares <= most);
                if !bounded {
                    return Err(format!(
                        "ratio metric {}, report day {}: sums {sum} and {squares} are out of range for {trials} trials",
                        r + 1,
                        day + 1
                    ));
                }
            }
        }
        Ok(())
    }

    /// [`Aggregates::merge`] for aggregates read from files (each passed
    /// [`Aggregates::check`] against the same model): an error instead of
    /// a wrapped sum.
    pub fn merge_checked(&mut self, other: &Aggregates) -> Result<(), String> {
        let overflow = |what: &str| format!("the {what} of the partial results add up past 2^64 (or 2^128)");
        self.trials = self
            .trials
            .checked_add(other.trials)
            .ok_or_else(|| overflow("trials"))?;
        for (mine, theirs) in self.metrics.iter_mut().zip(&other.metrics) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.ratio_sums.iter_mut().zip(&other.ratio_sums) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.0 = a.0.checked_add(b.0).ok_or_else(|| overflow("ratio sums"))?;
                a.1 = a.1.checked_add(b.1).ok_or_else(|| overflow("ratio sums"))?;
            }
        }
        for (mine, theirs) in self.large_sums.iter_mut().zip(&other.large_sums) {
            for (a, b) in mine.iter_mut().zip(theirs) {
                a.0 = a.0.checked_add(b.0).ok_or_else(|| overflow("sums of large counts"))?;
                a.1 = a.1.checked_add(b.1).ok_or_else(|| overflow("sums of large counts"))?;
            }
        }
        let add = |mine: &mut [u64], theirs: &[u64], what: &str| {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a = a.checked_add(*b).ok_or_else(|| overflow(what))?;
            }
            Ok::<(), String>(())
        };
        for (mine, theirs) in self.first_reached.iter_mut().zip(&other.first_reached) {
            add(mine, theirs, "days targets were reached")?;
        }
        for (mine, theirs) in self.last_wave.iter_mut().zip(&other.last_wave) {
            add(mine, theirs, "days of last waves")?;
        }
        add(&mut self.delivered, &other.delivered, "deliveries")?;
        add(&mut self.full_delivery, &other.full_delivery, "full deliveries")
    }

    /// Adds another aggregate of the same model.
    pub fn merge(&mut self, other: &Aggregates) {
        self.trials += other.trials;
        for (mine, theirs) in self.metrics.iter_mut().zip(&other.metrics) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self
            .ratio_sums
            .iter_mut()
            .zip(&other.ratio_sums)
            .chain(self.large_sums.iter_mut().zip(&other.large_sums))
        {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{BASELINE_TEXT, parse_str};

    /// A run's aggregates pass [`Aggregates::check`]; edited counts do not,
    /// and sums past a u64 are refused rather than wrapped.
    #[test]
    fn check_refuses_counts_no_run_makes() {
        let scenario = parse_str(BASELINE_TEXT, "baseline").expect("the built-in baseline parses");
        let model = Model::new(&scenario);
        let mut recorder = crate::engine::Recorder::new(&model);
        let mut trial = crate::model::Trial::default();
        for index in 0..200 {
            model.run_trial(index, &mut trial);
            recorder.record(&model, &trial);
        }
        let aggregates = recorder.finish();
        assert_eq!(aggregates.check(&model), Ok(()));
        type Edit = fn(&mut Aggregates);
        let edits: [(&str, Edit); 8] = [
            ("large sums without large bins", |a| a.large_sums[0][0].0 = 1),
            ("missing large sums", |a| a.large_sums.clear()),
            ("a target reached too often", |a| a.first_reached[0][0] += 5000),
            ("a last wave counted twice", |a| a.last_wave[0][0] += 1),
            ("more full deliveries than trials", |a| a.full_delivery[0] = 201),
            ("more delivered than pledged", |a| a.delivered[0] = u64::MAX),
            ("a ratio sum too large", |a| a.ratio_sums[0][0].0 = u128::MAX),
            ("a missing target", |a| {
                a.first_reached.pop();
            }),
        ];
        for (what, edit) in edits {
            let mut edited = aggregates.clone();
            edit(&mut edited);
            assert!(edited.check(&model).is_err(), "{what}");
        }
        let mut twice = aggregates.clone();
        assert_eq!(twice.merge_checked(&aggregates), Ok(()));
        assert_eq!(twice.trials, 400);
        let mut huge = aggregates.clone();
        huge.delivered[0] = u64::MAX;
        assert!(huge.clone().merge_checked(&huge).is_err());
    }
}
