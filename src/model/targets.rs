//! The first day each target is met: searches over the evaluated days,
//! on integers where they can be, blocks of days at a time.
//!
//! The rules: docs/MODEL.md §3.2.

use super::trial::ratio;
use super::{CountSeries, Model, Trial};
use crate::scenario::Metric;

impl Model {
    /// Finds the first day each target is met. Returns true when one that
    /// counts the host police was met on a day whose host count is not yet
    /// exact: then the days must be bridged and the targets checked again.
    /// (Elsewhere the answer is exact: those counts are at least the true
    /// ones, so a day they fail, the true counts fail too.)
    pub(super) fn check_targets(&self, trial: &mut Trial) -> bool {
        trial.first_reached.clear();
        let mut needs_exact_host = false;
        for (t, &(metric, at_least)) in self.targets.iter().enumerate() {
            let first = match metric {
                _ if self.ceiling_shares.get(t).copied().flatten().is_some() => {
                    let share = self.ceiling_shares[t].unwrap_or(f64::NAN);
                    first_share_of_ceiling_day(trial, metric, share)
                }
                m if m.area().is_some() => (0..trial.days.len()).find(|&k| trial.metric(m, k) >= at_least),
                m if m.is_ratio() => first_ratio_day(trial, metric, at_least),
                Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap | Metric::MonthsOfCover => {
                    let values = trial.fund_series(metric).unwrap_or(&[]);
                    values.iter().position(|&v| v >= at_least)
                }
                _ => first_count_day(trial, metric, at_least),
            };
            let inexact = |k: usize| trial.host_skipped.iter().any(|skipped| skipped.contains(&k));
            needs_exact_host |= counts_host(metric) && first.is_some_and(inexact);
            trial.first_reached.push(first.map(|k| trial.days[k]));
        }
        needs_exact_host
    }
}

/// True for the metrics that count the host police.
fn counts_host(metric: Metric) -> bool {
    match metric {
        Metric::HostPolice | Metric::Police | Metric::SecurityForces => true,
        Metric::PolicePer100k | Metric::SecurityPer1000 => true,
        Metric::HostPayroll | Metric::HostAvailable => true,
        Metric::PolicePer100kPayroll | Metric::PolicePer100kAvailable => true,
        Metric::International | Metric::InternationalPolice | Metric::Contributor(_) => false,
        Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap | Metric::MonthsOfCover => false,
        Metric::Capability(_) | Metric::OutsideForces => false,
        Metric::AreaPolicePer100k(_) | Metric::AreaSecurityPer1000(_) => true,
    }
}

/// The first evaluated day on which a head-count metric is at least
/// `share` of the ceiling in force that day (`ceil(share * ceiling)` as a
/// whole number); never on a day without a ceiling.
fn first_share_of_ceiling_day(trial: &Trial, metric: Metric, share: f64) -> Option<usize> {
    let series = trial.count_series(metric)?;
    (0..trial.days.len()).find(|&k| {
        let ceiling = trial.followed.ceiling.get(k).copied().unwrap_or(u64::MAX);
        ceiling != u64::MAX && f64::from(series.at(k)) >= (share * ceiling as f64).ceil()
    })
}

/// The first evaluated day on which a head-count metric is at least
/// `at_least`: a whole number `c` is at least `a` exactly when it is at
/// least `ceil(a)`, so the comparison is on integers.
fn first_count_day(trial: &Trial, metric: Metric, at_least: f64) -> Option<usize> {
    if at_least.is_nan() {
        return None;
    }
    let threshold = at_least.ceil().max(0.0);
    if threshold > f64::from(u32::MAX) {
        return None;
    }
    let threshold = threshold as u32;
    if let Metric::Contributor(c) = metric
        && trial.is_empty(c)
    {
        return (threshold == 0).then_some(0);
    }
    // One series scanned as a slice (no per-day dispatch on the metric).
    match trial.count_series(metric)? {
        CountSeries::One(series) => first_pair_where(series, series, |x, _| x >= threshold),
        CountSeries::Sum(a, b) => first_pair_where(a, b, |x, y| x.saturating_add(y) >= threshold),
    }
}

/// The first `k` with `test(a[k], b[k])` (over the shorter of the two).
/// The searches this serves mostly run long (targets met late or never,
/// runs of equal bins), so the days are passed over 16 at a time, by a
/// test of each without an exit, over slices (which the compiler
/// vectorizes: indexing day by day kept a bounds check on each), and only
/// the block where one passes is searched.
#[inline(always)]
pub(crate) fn first_pair_where(a: &[u32], b: &[u32], test: impl Fn(u32, u32) -> bool) -> Option<usize> {
    const BLOCK: usize = 16;
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut start = 0;
    for (x, y) in a.chunks_exact(BLOCK).zip(b.chunks_exact(BLOCK)) {
        if x.iter().zip(y).fold(false, |any, (&x, &y)| any | test(x, y)) {
            break;
        }
        start += BLOCK;
    }
    (a[start..].iter().zip(&b[start..]))
        .position(|(&x, &y)| test(x, y))
        .map(|place| start + place)
}

/// The first evaluated day on which a ratio metric is at least `at_least`.
/// A multiplication rules out most days (the count is well below
/// `at_least` people per `scale` of the population); only days near or
/// over the line are decided by the metric's own division, so the answer is
/// exactly that of comparing [`Trial::metric`] on every day.
fn first_ratio_day(trial: &Trial, metric: Metric, at_least: f64) -> Option<usize> {
    let (scale, host, intl) = trial.ratio_parts(metric)?;
    // Well below: count < at_least * pop / scale by more than rounding can blur.
    let margin = at_least / scale * (1.0 - 1e-9);
    // The population only grows or only shrinks over a trial, so a day
    // whose count is well below on the smaller end is well below on its
    // own day too: the days before the first whose count reaches that line
    // fail (a whole count is below the line exactly when it is below its
    // `ceil`), and without such a day, every day fails.
    let (Some(&first), Some(&last)) = (trial.population.first(), trial.population.last()) else {
        return None;
    };
    let line = (margin * first.min(last)).ceil();
    let start = if line <= f64::from(u32::MAX) {
        // (A negative line becomes 0: no day is ruled out. A NaN line takes
        // the other branch, which rules out none either.)
        let intl = &intl[..host.len()];
        let line = line as u32;
        first_pair_where(host, intl, |h, i| h.saturating_add(i) >= line)?
    } else {
        let most = host.iter().zip(intl).map(|(&h, &i)| u64::from(h) + u64::from(i)).max();
        if most.is_some_and(|most| (most as f64) < line) {
            return None;
        }
        0
    };
    (start..host.len().min(trial.days.len())).find(|&k| {
        let count = f64::from(host[k]) + f64::from(intl[k]);
        count >= margin * trial.population[k] && ratio(host[k], intl[k], scale, trial.population[k]) >= at_least
    })
}

#[cfg(test)]
mod tests {
    use super::super::streams::{StreamId, stream};
    use super::super::strength::unit;
    use super::*;

    /// The block-by-block search finds what a plain search finds, for
    /// lengths on and off the block size, one series or the sum of two,
    /// and thresholds at the extremes.
    #[test]
    fn first_pair_where_finds_what_a_plain_search_finds() {
        let mut rng = stream(9, 0, StreamId::of("first-reaching"));
        for case in 0..2_000u64 {
            let len = (case % 53) as usize;
            let counts: Vec<u32> = (0..len)
                .map(|_| match (unit(&mut rng) * 4.0) as u32 {
                    0 => u32::MAX - (unit(&mut rng) * 3.0) as u32,
                    _ => (unit(&mut rng) * 100.0) as u32,
                })
                .collect();
            // A second series as long, or one day shorter (the sum runs over the shorter).
            let shorter = (case as usize / 53) % 2;
            let others: Vec<u32> = counts.iter().rev().skip(shorter).map(|&c| c / 3).collect();
            for threshold in [0, 1, 50, 99, 100, u32::MAX - 1, u32::MAX] {
                let plain = (0..len).find(|&k| counts[k] >= threshold);
                assert_eq!(
                    first_pair_where(&counts, &counts, |x, _| x >= threshold),
                    plain,
                    "case {case}, threshold {threshold}"
                );
                let plain_sum = (0..others.len()).find(|&k| counts[k].saturating_add(others[k]) >= threshold);
                assert_eq!(
                    first_pair_where(&counts, &others, |x, y| x.saturating_add(y) >= threshold),
                    plain_sum,
                    "case {case}, threshold {threshold}, summed"
                );
            }
        }
    }

    /// The first day a ratio target is met, with its shortcuts, is the
    /// first day on which the ratio itself is at least the target, for
    /// growing and shrinking populations, targets on either side of what
    /// the trial reaches, and targets of 0, NaN, infinity and so high that
    /// their line at the smaller population passes `u32::MAX`.
    #[test]
    fn ratio_targets_are_met_on_the_first_day_the_ratio_is() {
        let mut rng = stream(9, 0, StreamId::of("ratio-days"));
        for case in 0..400u64 {
            let days = 40;
            let growth = [1.0004, 0.9996, 1.0][case as usize % 3];
            let mut trial = Trial::default();
            let mut population = 1.0e6;
            for day in 0..days {
                trial.days.push(day);
                trial.host.push(3_000 + (unit(&mut rng) * 500.0) as u32);
                let international = (unit(&mut rng) * 300.0) as u32;
                trial.international.push(international);
                trial.international_police.push(international / 2);
                trial.population.push(population);
                population *= growth;
            }
            for metric in [Metric::PolicePer100k, Metric::SecurityPer1000] {
                let values: Vec<f64> = (0..days as usize).map(|k| trial.metric(metric, k)).collect();
                let most = values.iter().copied().fold(f64::MIN, f64::max);
                let extremes = [0.0, f64::NAN, f64::INFINITY, 1e30, f64::MIN_POSITIVE];
                let near_most = [most * 0.9, most * (1.0 - 1e-12), most, most * (1.0 + 1e-12), most * 1.1];
                for at_least in near_most.into_iter().chain(extremes) {
                    let brute = values.iter().position(|&v| v >= at_least);
                    assert_eq!(
                        first_ratio_day(&trial, metric, at_least),
                        brute,
                        "case {case}, {at_least}"
                    );
                }
            }
        }
    }
}
