//! One forecast distribution (a metric on a day, from the run's per-day
//! histogram) and the scores of an observation against it: PIT, band mass
//! and CRPS.

use crate::engine::histogram::{Binning, DayHistogram, EXACT_LIMIT, HistogramRecorder, count_key};

/// One bin of a forecast: a value and how many trials had it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bin {
    key: i64,
    value: f64,
    count: u64,
    /// The bin holds exactly `value` (a head count below [`EXACT_LIMIT`]);
    /// otherwise it spans 0.1% around it.
    exact: bool,
}

/// The forecast distribution of one metric on one day, from its histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    bins: Vec<Bin>,
    trials: u64,
    binning: Binning,
}

impl Forecast {
    /// The distribution on report day `day` of a histogram of `trials` trials.
    pub fn from_histogram(histogram: &DayHistogram, day: usize, trials: u64, binning: Binning) -> Forecast {
        let bins = histogram
            .column(day)
            .map(|(key, count)| Bin {
                key,
                value: binning.value(key),
                count,
                exact: binning == Binning::Count && key < i64::from(EXACT_LIMIT),
            })
            .collect();
        Forecast { bins, trials, binning }
    }

    /// A forecast of whole-person values, one per trial (for tests).
    pub fn from_counts(values: &[u32]) -> Forecast {
        let mut histogram = HistogramRecorder::new(1);
        for &v in values {
            histogram.add(count_key(v), 0);
        }
        let histogram = histogram.finish();
        Forecast::from_histogram(&histogram, 0, values.len() as u64, Binning::Count)
    }

    /// The bin key `y` falls in.
    fn key_of(&self, y: f64) -> i64 {
        match self.binning {
            Binning::Count => count_key(y.round().clamp(0.0, f64::from(u32::MAX)) as u32),
            binned => binned.key(y),
        }
    }

    /// How a bin's values compare with `y` (whose key is `y_key`). A head
    /// count below 65,536 is compared exactly; a binned value equals `y`
    /// when both fall in the same 0.1% bin.
    fn order(bin: &Bin, y: f64, y_key: i64) -> std::cmp::Ordering {
        if bin.exact {
            bin.value.total_cmp(&y)
        } else {
            bin.key.cmp(&y_key)
        }
    }

    /// Trials below `y` and trials tied with it.
    fn below_and_tied(&self, y: f64) -> (u64, u64) {
        let y_key = self.key_of(y);
        let (mut below, mut tied) = (0, 0);
        for bin in &self.bins {
            match Forecast::order(bin, y, y_key) {
                std::cmp::Ordering::Less => below += bin.count,
                std::cmp::Ordering::Equal => tied += bin.count,
                std::cmp::Ordering::Greater => {}
            }
        }
        (below, tied)
    }

    /// Mid-rank percentile of `y`: `(count(X < y) + count(X = y) / 2) / trials`.
    pub fn pit(&self, y: f64) -> f64 {
        if self.trials == 0 {
            return f64::NAN;
        }
        let (below, tied) = self.below_and_tied(y);
        (below as f64 + 0.5 * tied as f64) / self.trials as f64
    }

    /// Share of trials with `low <= X <= high`: for a band whose edges are
    /// forecast percentiles, the probability the forecast itself gives to
    /// landing inside it (whole bins count for binned values, which are
    /// within 0.1%).
    pub fn mass_within(&self, low: f64, high: f64) -> f64 {
        if self.trials == 0 {
            return f64::NAN;
        }
        let (low_key, high_key) = (self.key_of(low), self.key_of(high));
        let inside: u64 = self
            .bins
            .iter()
            .filter(|bin| Forecast::order(bin, low, low_key).is_ge() && Forecast::order(bin, high, high_key).is_le())
            .map(|bin| bin.count)
            .sum();
        inside as f64 / self.trials as f64
    }

    /// CRPS of the empirical distribution at `y`: `E|X - y| - E|X - X'| / 2`,
    /// with `E|X - X'|` summed over ordered pairs of bins in one pass.
    pub fn crps(&self, y: f64) -> f64 {
        if self.trials == 0 {
            return f64::NAN;
        }
        let n = self.trials as f64;
        let (mut distance, mut spread) = (0.0, 0.0);
        // Trials and the sum of their values in the bins below the current one.
        let (mut count_below, mut sum_below) = (0.0, 0.0);
        for bin in &self.bins {
            let count = bin.count as f64;
            distance += count * (bin.value - y).abs();
            spread += count * (bin.value * count_below - sum_below);
            count_below += count;
            sum_below += count * bin.value;
        }
        // E|X - X'| = 2 * spread / n^2, halved.
        distance / n - spread / (n * n)
    }
}
