//! Exact, mergeable per-day distributions.
//!
//! A [`DayHistogram`] counts, for each report day, how many trials had each
//! value. Whole-person values up to [`EXACT_LIMIT`] get a bin each, so their
//! percentiles are exact; larger values and ratios share bins of relative
//! width 2^-10 (under 0.1%), keyed by the top bits of the `f64`. Counts are
//! integers, so merging is exact and the same whatever the order.
//!
//! Layout is `[bin][day]`: a trial's value tends to stay in one bin for many
//! consecutive days, so its writes land next to each other.

use serde::{Deserialize, Serialize};

/// Whole-person values below this are binned exactly.
pub const EXACT_LIMIT: u32 = 1 << 16;
const FLOAT_SHIFT: u32 = 42;

/// The bin key of a whole-person value.
#[inline]
pub fn count_key(value: u32) -> i64 {
    if value < EXACT_LIMIT {
        i64::from(value)
    } else {
        i64::from(EXACT_LIMIT) + (float_key(f64::from(value)) - float_key(f64::from(EXACT_LIMIT)))
    }
}

/// The bin key of a non-negative ratio.
#[inline]
pub fn float_key(value: f64) -> i64 {
    (value.max(0.0).to_bits() >> FLOAT_SHIFT) as i64
}

/// The value reported for a bin: the value itself for exact bins, else the
/// bin's midpoint (within 0.05% of every value in it).
pub fn count_value(key: i64) -> f64 {
    if key < i64::from(EXACT_LIMIT) {
        key as f64
    } else {
        float_value(key - i64::from(EXACT_LIMIT) + float_key(f64::from(EXACT_LIMIT))).round()
    }
}

/// The midpoint of a ratio bin.
pub fn float_value(key: i64) -> f64 {
    if key <= 0 {
        return 0.0;
    }
    let low = f64::from_bits((key as u64) << FLOAT_SHIFT);
    let high = f64::from_bits(((key + 1) as u64) << FLOAT_SHIFT);
    (low + high) / 2.0
}

/// Counts per (bin, day) over a dense, growable range of bin keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHistogram {
    days: usize,
    /// Key of the first row.
    low: i64,
    rows: usize,
    counts: Vec<u32>,
}

impl DayHistogram {
    pub fn new(days: usize) -> DayHistogram {
        DayHistogram {
            days,
            low: 0,
            rows: 0,
            counts: Vec::new(),
        }
    }

    /// Counts one trial's value (bin `key`) on report day `day`.
    #[inline]
    pub fn add(&mut self, key: i64, day: usize) {
        let row = key.wrapping_sub(self.low) as u64;
        if row >= self.rows as u64 {
            self.grow_to(key, key);
            return self.add(key, day);
        }
        self.counts[row as usize * self.days + day] += 1;
    }

    /// Makes room for keys `from..=to`, with headroom so growth is rare.
    fn grow_to(&mut self, from: i64, to: i64) {
        let (old_low, old_high) = (self.low, self.low + self.rows as i64 - 1);
        let (mut low, mut high) = if self.rows == 0 {
            (from, to)
        } else {
            (old_low.min(from), old_high.max(to))
        };
        let margin = ((high - low) / 4).max(16);
        if low < old_low || self.rows == 0 {
            low -= margin;
        }
        if high > old_high || self.rows == 0 {
            high += margin;
        }
        let rows = (high - low + 1) as usize;
        let mut counts = vec![0u32; rows * self.days];
        if self.rows > 0 {
            let offset = (old_low - low) as usize * self.days;
            counts[offset..offset + self.counts.len()].copy_from_slice(&self.counts);
        }
        self.low = low;
        self.rows = rows;
        self.counts = counts;
    }

    /// Adds another histogram's counts (same days).
    pub fn merge(&mut self, other: &DayHistogram) {
        if other.rows == 0 {
            return;
        }
        self.grow_to(other.low, other.low + other.rows as i64 - 1);
        let offset = (other.low - self.low) as usize * self.days;
        for (mine, theirs) in self.counts[offset..offset + other.counts.len()]
            .iter_mut()
            .zip(&other.counts)
        {
            *mine += theirs;
        }
    }

    /// Bin keys and their counts on `day`, in ascending key order.
    pub fn column(&self, day: usize) -> impl Iterator<Item = (i64, u64)> + '_ {
        (0..self.rows).filter_map(move |row| {
            let count = self.counts[row * self.days + day];
            (count > 0).then(|| (self.low + row as i64, u64::from(count)))
        })
    }

    /// For each share in `percents` (0-100): the key of the smallest bin such
    /// that at least that share of the `total` values are at or below it.
    pub fn percentile_keys(&self, day: usize, total: u64, percents: &[u32]) -> Vec<i64> {
        let mut keys = Vec::with_capacity(percents.len());
        let mut cumulative = 0u64;
        let mut next = 0;
        for (key, count) in self.column(day) {
            cumulative += count;
            while next < percents.len() && cumulative * 100 >= u64::from(percents[next]) * total {
                keys.push(key);
                next += 1;
            }
        }
        while keys.len() < percents.len() {
            keys.push(self.low + self.rows as i64 - 1);
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_the_smallest_value_covering_the_share() {
        let mut h = DayHistogram::new(1);
        for v in 1..=100u32 {
            h.add(count_key(v), 0);
        }
        let keys = h.percentile_keys(0, 100, &[5, 25, 50, 75, 95, 100]);
        assert_eq!(keys, vec![5, 25, 50, 75, 95, 100]);
    }

    #[test]
    fn merging_equals_adding_in_one() {
        let (mut a, mut b, mut both) = (DayHistogram::new(3), DayHistogram::new(3), DayHistogram::new(3));
        for (i, v) in [5u32, 900, 70_000, 3, 12].iter().enumerate() {
            let target = if i % 2 == 0 { &mut a } else { &mut b };
            target.add(count_key(*v), i % 3);
            both.add(count_key(*v), i % 3);
        }
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

    #[test]
    fn large_counts_and_ratios_stay_within_a_twentieth_of_a_percent() {
        for v in [65_536u32, 100_000, 1_234_567, 99_999_999] {
            let back = count_value(count_key(v));
            assert!((back - f64::from(v)).abs() / f64::from(v) < 5e-4, "{v} -> {back}");
        }
        for x in [1e-6, 0.4567, 1.0, 47.25, 222.0, 123_456.7] {
            let back = float_value(float_key(x));
            assert!((back - x).abs() / x < 5e-4, "{x} -> {back}");
        }
        assert_eq!(float_value(float_key(0.0)), 0.0);
        assert!(count_key(65_535) < count_key(65_536) && count_key(65_536) <= count_key(65_600));
    }
}
