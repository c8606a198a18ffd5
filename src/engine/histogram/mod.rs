//! Exact, mergeable per-day distributions.
//!
//! A [`DayHistogram`] counts, for each report day, how many trials had each
//! value. Whole-person values up to [`EXACT_LIMIT`] get a bin each, so their
//! percentiles are exact; larger values and ratios share bins of relative
//! width 2^-10 (under 0.1%), keyed by the top bits of the `f64` (see
//! `keys`). Counts are integers, so merging is exact and the same whatever
//! the order.
//!
//! Each report day has its own column of bins (see `column`). A worker
//! records its trials with a [`HistogramRecorder`], which buffers them and
//! counts them a batch at a time (see `recorder`); its `finish` gives the
//! [`DayHistogram`]: the counts alone, which merge with other workers' and
//! are what a partial file saves (see `saved`).
//!
//! The rules: docs/MODEL.md §4.2 and §4.4.

mod column;
mod keys;
mod recorder;
mod saved;
#[cfg(test)]
mod testing;

use column::Column;
pub use keys::{
    Binning, EXACT_LIMIT, RATIO_FLOOR, count_bin_bounds, count_key, count_key_u64, count_value, float_key, float_value,
    money_key, money_value,
};
pub use recorder::HistogramRecorder;

/// Counts per (day, bin) of finished trials: one [`Column`] per report day
/// (see [`HistogramRecorder::finish`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayHistogram {
    columns: Vec<Column>,
}

impl DayHistogram {
    /// No trials, over `days` report days.
    pub fn new(days: usize) -> DayHistogram {
        DayHistogram {
            columns: vec![Column::default(); days],
        }
    }

    /// Bytes held by the counts.
    pub fn table_bytes(&self) -> u64 {
        self.columns.iter().map(Column::bytes).sum()
    }

    /// Number of report days.
    pub fn days(&self) -> usize {
        self.columns.len()
    }

    /// Adds another histogram's counts (same days).
    pub fn merge(&mut self, other: &DayHistogram) {
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            mine.merge(theirs);
        }
    }

    /// Checks a histogram of `trials` trials read from a file: every column
    /// well formed and counting each trial once, so that merging and
    /// reading it cannot go wrong.
    pub fn check(&self, trials: u64) -> Result<(), String> {
        self.columns
            .iter()
            .enumerate()
            .try_for_each(|(day, column)| column.check(trials).map_err(|e| format!("report day {}: {e}", day + 1)))
    }

    /// Bin keys and their counts on `day`, in ascending key order.
    pub fn column(&self, day: usize) -> impl Iterator<Item = (i64, u64)> + use<> {
        self.columns[day].counts()
    }

    /// Calls `f(key, count)` for each bin with a count on `day`, in
    /// ascending key order (what [`DayHistogram::column`] gives, without
    /// gathering them first).
    pub fn for_each_count(&self, day: usize, f: impl FnMut(i64, u64)) {
        self.columns[day].for_each_count(f);
    }

    /// For each share in `percents` (0-100): the key of the smallest bin such
    /// that at least that share of the `total` values are at or below it.
    pub fn percentile_keys(&self, day: usize, total: u64, percents: &[u32]) -> Vec<i64> {
        let mut scan = self.percentile_scan(day, total, percents);
        self.for_each_count(day, |key, count| scan.add(key, count));
        scan.keys()
    }

    /// [`DayHistogram::percentile_keys`] a bin at a time, for a pass over
    /// the day's counts that works out other things too.
    pub fn percentile_scan<'a>(&self, day: usize, total: u64, percents: &'a [u32]) -> PercentileScan<'a> {
        PercentileScan {
            percents,
            total,
            cumulative: 0,
            last: self.columns[day].low,
            keys: Vec::with_capacity(percents.len()),
        }
    }
}

/// Percentile keys found in one pass over a day's counts, in ascending key
/// order (see [`DayHistogram::percentile_scan`]).
pub struct PercentileScan<'a> {
    percents: &'a [u32],
    total: u64,
    cumulative: u64,
    last: i64,
    keys: Vec<i64>,
}

impl PercentileScan<'_> {
    /// Takes the next bin and its count.
    #[inline]
    pub fn add(&mut self, key: i64, count: u64) {
        self.cumulative += count;
        self.last = key;
        while self.keys.len() < self.percents.len()
            && u128::from(self.cumulative) * 100 >= u128::from(self.percents[self.keys.len()]) * u128::from(self.total)
        {
            self.keys.push(key);
        }
    }

    /// The key of each percentile (the last bin's for those not reached).
    pub fn keys(mut self) -> Vec<i64> {
        self.keys.resize(self.percents.len(), self.last);
        self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_the_smallest_value_covering_the_share() {
        let mut h = HistogramRecorder::new(1);
        for v in 1..=100u32 {
            h.add(count_key(v), 0);
        }
        let h = h.finish();
        let keys = h.percentile_keys(0, 100, &[5, 25, 50, 75, 95, 100]);
        assert_eq!(keys, vec![5, 25, 50, 75, 95, 100]);
    }

    #[test]
    fn merging_equals_adding_in_one() {
        let (mut a, mut b, mut both) = (
            HistogramRecorder::new(3),
            HistogramRecorder::new(3),
            HistogramRecorder::new(3),
        );
        for (i, v) in [5u32, 900, 70_000, 3, 12].iter().enumerate() {
            let target = if i % 2 == 0 { &mut a } else { &mut b };
            target.add(count_key(*v), i % 3);
            both.add(count_key(*v), i % 3);
        }
        let [a, b, both] = [a, b, both].map(HistogramRecorder::finish);
        let mut merged_ab = a.clone();
        merged_ab.merge(&b);
        let mut merged_ba = b.clone();
        merged_ba.merge(&a);
        for day in 0..3 {
            let expect: Vec<_> = both.column(day).collect();
            assert_eq!(merged_ab.column(day).collect::<Vec<_>>(), expect);
            assert_eq!(merged_ba.column(day).collect::<Vec<_>>(), expect);
        }
    }

    /// Cells are 16 bits: counts past 2^16 carry over whether they come a
    /// trial at a time (buffered trials), by runs, or by merging.
    #[test]
    fn counts_past_a_cell_carry_over() {
        let days = 60;
        let trials = 140_000u64;
        let mut histogram = HistogramRecorder::new(days);
        for trial in 0..trials {
            histogram.record(|day| match trial % 2 {
                // A new bin every day: buffered and counted one by one.
                0 => (day % 2) as i64,
                // Two runs: recorded as runs.
                _ if day < 30 => 7,
                _ => 9,
            });
        }
        let histogram = histogram.finish();
        let half = trials / 2;
        assert_eq!(histogram.column(0).collect::<Vec<_>>(), vec![(0, half), (7, half)]);
        assert_eq!(histogram.column(59).collect::<Vec<_>>(), vec![(1, half), (9, half)]);
        assert_eq!(histogram.check(trials), Ok(()));
        let mut doubled = histogram.clone();
        doubled.merge(&histogram);
        assert_eq!(doubled.column(31).collect::<Vec<_>>(), vec![(1, trials), (9, trials)]);
        assert_eq!(doubled.check(2 * trials), Ok(()));
        // The output's plain loop gives the columns read above.
        for day in [0, 31, 59] {
            let mut looped = Vec::new();
            doubled.for_each_count(day, |key, count| looped.push((key, count)));
            assert_eq!(looped, doubled.column(day).collect::<Vec<_>>());
        }
    }

    /// Merging a count that is a whole number of carries (its cell at 0)
    /// into tables without its page keeps it, and saves and reads back.
    #[test]
    fn merged_carries_find_their_cells() {
        let empty = HistogramRecorder::new(2).finish();
        let mut elsewhere = HistogramRecorder::new(2);
        elsewhere.record(|day| 5000 + day as i64);
        let elsewhere = elsewhere.finish();
        let mut zeros = HistogramRecorder::new(2);
        for _ in 0..1 << 16 {
            zeros.record_constant(count_key(0));
        }
        let zeros = zeros.finish();
        for mut base in [empty, elsewhere] {
            let trials = base.columns[0].counts().map(|(_, count)| count).sum::<u64>();
            base.merge(&zeros);
            assert_eq!(base.column(1).next(), Some((0, 1 << 16)));
            assert_eq!(base.check(trials + (1 << 16)), Ok(()));
            let back: DayHistogram = serde_json::from_str(&serde_json::to_string(&base).unwrap()).unwrap();
            assert_eq!(back.column(1).collect::<Vec<_>>(), base.column(1).collect::<Vec<_>>());
            assert_eq!(back.check(trials + (1 << 16)), Ok(()));
        }
    }
}
