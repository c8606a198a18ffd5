//! Helpers of the histogram tests: recording with a plain tally beside,
//! comparing counts with it, and a small random generator.

use std::collections::BTreeMap;

use super::{DayHistogram, HistogramRecorder};

/// Records `trials` trials, `key_on(trial, day)` their bins, and
/// returns the plain per-day tally of the same bins.
pub(super) fn record_with_reference(
    histogram: &mut HistogramRecorder,
    trials: u64,
    key_on: impl Fn(u64, usize) -> i64,
) -> Vec<BTreeMap<i64, u64>> {
    let mut reference: Vec<BTreeMap<i64, u64>> = vec![Default::default(); histogram.days()];
    for trial in 0..trials {
        histogram.record(|day| key_on(trial, day));
        for (day, counts) in reference.iter_mut().enumerate() {
            *counts.entry(key_on(trial, day)).or_default() += 1;
        }
    }
    reference
}

/// Checks a finished histogram's counts against a per-day tally.
pub(super) fn assert_counts(histogram: &DayHistogram, reference: &[BTreeMap<i64, u64>]) {
    for (day, expected) in reference.iter().enumerate() {
        let got: Vec<(i64, u64)> = histogram.column(day).collect();
        let want: Vec<(i64, u64)> = expected.iter().map(|(k, c)| (*k, *c)).collect();
        assert_eq!(got, want, "day {day}");
    }
}

/// A small xorshift generator for the randomized tests: `below(n)` is
/// a number under `n` (0 for `n` 0), the same for the same `seed`.
pub(super) fn below_from(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |n| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n.max(1)
    }
}
