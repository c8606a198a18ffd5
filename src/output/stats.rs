//! From [`Aggregates`] to the numbers in the CSV files: means, standard
//! deviations, percentiles and "pXX dates", all computed with integer sums
//! where the inputs are integers, so the same aggregates always print the
//! same digits.
//!
//! The rules: docs/MODEL.md §4.3 to §4.5.

use crate::engine::aggregate::{RATIO_SCALE, sum_scale};
use crate::engine::histogram::{Binning, DayHistogram, EXACT_LIMIT, count_value};
use crate::scenario::Metric;

/// Percentiles reported for every metric and day.
pub const PERCENTS: [u32; 5] = [5, 25, 50, 75, 95];
/// Percentiles reported for dates.
pub const DATE_PERCENTS: [u32; 3] = [5, 50, 95];

/// Distribution of one metric on one report day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayStats {
    pub mean: f64,
    pub sd: f64,
    pub percentiles: [f64; 5],
}

/// Mean and sample sd from exact integer sums of `n` values (scaled by `scale`).
fn mean_sd(n: u64, sum: u128, sum_sq: u128, scale: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = sum as f64 / n as f64 / scale;
    if n < 2 {
        return (mean, 0.0);
    }
    let n128 = u128::from(n);
    // n * sum_sq - sum^2 is exact while it fits; fall back to f64 if not.
    let spread = n128
        .checked_mul(sum_sq)
        .and_then(|a| sum.checked_mul(sum).map(|b| a.saturating_sub(b)));
    let variance = match spread {
        Some(spread) => spread as f64 / (n as f64 * (n - 1) as f64) / (scale * scale),
        None => {
            let (s, q) = (sum as f64 / scale, sum_sq as f64 / (scale * scale));
            ((q - s * s / n as f64) / (n - 1) as f64).max(0.0)
        }
    };
    (mean, variance.sqrt())
}

/// Distribution of one metric on one report day, at any percentiles.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub mean: f64,
    pub sd: f64,
    /// One per percent asked for, in order.
    pub percentiles: Vec<f64>,
}

impl Stats {
    /// As [`DayStats`], for the [`PERCENTS`] it was computed at.
    fn five(self) -> DayStats {
        DayStats {
            mean: self.mean,
            sd: self.sd,
            percentiles: std::array::from_fn(|i| self.percentiles.get(i).copied().unwrap_or(0.0)),
        }
    }
}

/// Stats of a whole-count metric on report day `day`: the mean and sd
/// exact at any size, from the exact bins below [`EXACT_LIMIT`] and
/// `large`, the exact sums of the values from it on (see
/// [`Aggregates::large_sums`]); the percentiles from the bins.
///
/// [`Aggregates::large_sums`]: crate::engine::Aggregates::large_sums
pub fn count_stats(histogram: &DayHistogram, large: (u128, u128), day: usize, trials: u64) -> DayStats {
    count_stats_at(histogram, large, day, trials, &PERCENTS).five()
}

/// [`count_stats`] at the percentiles `percents`.
fn count_stats_at(histogram: &DayHistogram, large: (u128, u128), day: usize, trials: u64, percents: &[u32]) -> Stats {
    let (mut sum, mut sum_sq) = large;
    let mut percentiles = histogram.percentile_scan(day, trials, percents);
    histogram.for_each_count(day, |key, count| {
        percentiles.add(key, count);
        // Below the limit a bin is its value (larger ones are in `large`).
        if key < i64::from(EXACT_LIMIT) {
            let value = key as u128;
            sum = sum.wrapping_add(value * u128::from(count));
            sum_sq = sum_sq.wrapping_add(value * value * u128::from(count));
        }
    });
    let (mean, sd) = mean_sd(trials, sum, sum_sq, 1.0);
    let keys = percentiles.keys();
    Stats {
        mean,
        sd,
        percentiles: keys.iter().map(|&k| count_value(k)).collect(),
    }
}

/// Stats of a ratio metric on report day `day`.
pub fn ratio_stats(histogram: &DayHistogram, sums: (u128, u128), day: usize, trials: u64) -> DayStats {
    scaled_stats(histogram, sums, (RATIO_SCALE, Binning::Ratio), day, trials, &PERCENTS).five()
}

/// Stats of any metric on report day `day`; `sums` are its fixed-point
/// sums when it has them ([`Metric::has_sums`]), `large` a head count's
/// exact sums of its values of 65,536 and more.
pub fn metric_stats(
    metric: Metric,
    histogram: &DayHistogram,
    sums: Option<(u128, u128)>,
    large: (u128, u128),
    day: usize,
    trials: u64,
) -> DayStats {
    metric_stats_at(metric, histogram, (sums, large), day, trials, &PERCENTS).five()
}

/// [`metric_stats`] at the percentiles `percents` (`run --percentiles`).
pub fn metric_stats_at(
    metric: Metric,
    histogram: &DayHistogram,
    (sums, large): (Option<(u128, u128)>, (u128, u128)),
    day: usize,
    trials: u64,
    percents: &[u32],
) -> Stats {
    let mut stats = match sums {
        Some(sums) if metric.has_sums() => {
            let scale = sum_scale(metric).0;
            scaled_stats(histogram, sums, (scale, Binning::of(metric)), day, trials, percents)
        }
        _ => count_stats_at(histogram, large, day, trials, percents),
    };
    if metric == Metric::MonthsOfCover {
        // A bin's midpoint may pass the cap that every value is within.
        let cap = crate::model::MAX_MONTHS_OF_COVER;
        stats.percentiles.iter_mut().for_each(|p| *p = p.min(cap));
    }
    stats
}

/// Decimals a metric's values are printed with: 4 for ratios, 2 for months
/// of cover, whole numbers for people, things and USD.
pub fn decimals(metric: Metric) -> usize {
    match metric {
        Metric::MonthsOfCover => 2,
        m if m.is_ratio() => 4,
        _ => 0,
    }
}

/// Stats of a real-valued metric whose sums are in units of 1/`scale`,
/// its values kept in bins by `binning`, at the percentiles `percents`.
fn scaled_stats(
    histogram: &DayHistogram,
    sums: (u128, u128),
    (scale, binning): (f64, Binning),
    day: usize,
    trials: u64,
    percents: &[u32],
) -> Stats {
    let (mean, sd) = mean_sd(trials, sums.0, sums.1, scale);
    let keys = histogram.percentile_keys(day, trials, percents);
    Stats {
        mean,
        sd,
        percentiles: keys.iter().map(|&k| binning.value(k)).collect(),
    }
}

/// The percents of `--percentiles`, as read ([`parse_percents`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Percents(pub Vec<u32>);

impl std::str::FromStr for Percents {
    type Err = String;

    fn from_str(text: &str) -> Result<Percents, String> {
        parse_percents(text).map(Percents)
    }
}

/// The most percentiles `--percentiles` may ask for.
pub const MAX_PERCENTS: usize = 21;

/// Reads `--percentiles`: whole numbers from 0 to 100, separated by commas,
/// in increasing order, among them 50 (the median every report draws).
pub fn parse_percents(text: &str) -> Result<Vec<u32>, String> {
    let example = "e.g. --percentiles 1,10,50,90,99";
    let mut percents = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        match part.parse::<u32>() {
            Ok(p) if p <= 100 => percents.push(p),
            _ => {
                return Err(format!(
                    "`{part}` is not a percentile: give whole numbers from 0 to 100 separated by commas ({example})"
                ));
            }
        }
    }
    if percents.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!(
            "give the percentiles in increasing order, each once ({example})"
        ));
    }
    if !percents.contains(&50) {
        return Err(format!(
            "the percentiles must include 50, the median the report draws ({example})"
        ));
    }
    if percents.len() > MAX_PERCENTS {
        return Err(format!(
            "at most {MAX_PERCENTS} percentiles, got {} ({example})",
            percents.len()
        ));
    }
    Ok(percents)
}

/// Share of trials whose event day (slot) is at or before each report day.
pub fn shares_by_day(slots: &[u64], report_days: &[u32], trials: u64) -> Vec<f64> {
    let mut cumulative = 0u64;
    let mut next_slot = 0usize;
    report_days
        .iter()
        .map(|&day| {
            while next_slot <= day as usize && next_slot < slots.len() {
                cumulative += slots[next_slot];
                next_slot += 1;
            }
            if trials == 0 {
                0.0
            } else {
                cumulative as f64 / trials as f64
            }
        })
        .collect()
}

/// For each percent: the first report day by which at least that share of
/// all trials had seen the event; `None` if never within the horizon.
pub fn date_percentiles(slots: &[u64], report_days: &[u32], trials: u64, percents: &[u32]) -> Vec<Option<u32>> {
    let mut cumulative = 0u64;
    let mut next_slot = 0usize;
    let mut result = vec![None; percents.len()];
    for &day in report_days {
        while next_slot <= day as usize && next_slot < slots.len() {
            cumulative += slots[next_slot];
            next_slot += 1;
        }
        for (slot, &p) in result.iter_mut().zip(percents) {
            if slot.is_none() && trials > 0 && cumulative * 100 >= u64::from(p) * trials {
                *slot = Some(day);
            }
        }
    }
    result
}

/// Share of trials whose event happened within the horizon (every slot but "never").
pub fn share_within_horizon(slots: &[u64], trials: u64) -> f64 {
    let seen: u64 = slots[..slots.len().saturating_sub(1)].iter().sum();
    if trials == 0 { 0.0 } else { seen as f64 / trials as f64 }
}

/// Standard error of a share p over n trials.
pub fn share_se(p: f64, trials: u64) -> f64 {
    if trials == 0 {
        0.0
    } else {
        (p * (1.0 - p) / trials as f64).sqrt()
    }
}

/// Mean delivered personnel per contributor.
pub fn mean_of(total: u64, trials: u64) -> f64 {
    if trials == 0 { 0.0 } else { total as f64 / trials as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sd_from_integer_sums() {
        // values 1, 2, 3, 4
        let (mean, sd) = mean_sd(4, 10, 30, 1.0);
        assert_eq!(mean, 2.5);
        assert!((sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn percentiles_are_read_and_checked() {
        assert_eq!(parse_percents("1,10,50,90,99"), Ok(vec![1, 10, 50, 90, 99]));
        assert_eq!(parse_percents("0, 50, 100"), Ok(vec![0, 50, 100]));
        for bad in ["5,95", "50,25", "5,5,50", "x,50", "50,101", "-1,50", "2.5,50"] {
            let error = parse_percents(bad).expect_err(bad);
            assert!(error.contains("--percentiles 1,10,50,90,99"), "{bad}: {error}");
        }
    }

    #[test]
    fn date_percentiles_use_all_trials_as_denominator() {
        // 10 trials: 2 on day 0, 3 on day 7, 5 never (slot 15 = never for horizon 14).
        let mut slots = vec![0u64; 16];
        slots[0] = 2;
        slots[7] = 3;
        slots[15] = 5;
        let days = [0, 7, 14];
        assert_eq!(
            date_percentiles(&slots, &days, 10, &[5, 50, 95]),
            vec![Some(0), Some(7), None]
        );
        assert_eq!(shares_by_day(&slots, &days, 10), vec![0.2, 0.5, 0.5]);
        assert_eq!(share_within_horizon(&slots, 10), 0.5);
    }
}
