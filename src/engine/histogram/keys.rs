//! Bin keys: which bin a whole-person value or a ratio falls in, and the
//! value reported for a bin.

/// Whole-person values below this are binned exactly.
pub const EXACT_LIMIT: u32 = 1 << 16;
const FLOAT_SHIFT: u32 = 42;

/// The bin key of a whole-person value.
#[inline]
pub fn count_key(value: u32) -> i64 {
    if value < EXACT_LIMIT {
        i64::from(value)
    } else {
        large_count_key(value)
    }
}

/// [`count_key`] of a value of [`EXACT_LIMIT`] or more (rare: kept out of
/// line, so the common case is a plain comparison).
#[cold]
#[inline(never)]
fn large_count_key(value: u32) -> i64 {
    i64::from(EXACT_LIMIT) + (float_key(f64::from(value)) - float_key(f64::from(EXACT_LIMIT)))
}

/// The bin key of a whole count of any size (money in whole USD, say):
/// [`count_key`] for a `u64`, the same key for the same value.
#[inline]
pub fn count_key_u64(value: u64) -> i64 {
    if value < u64::from(EXACT_LIMIT) {
        value as i64
    } else {
        large_count_key_u64(value)
    }
}

/// [`count_key_u64`] of a value of [`EXACT_LIMIT`] or more (past 2^53 the
/// value is rounded to an `f64` first, within its bin's width).
#[cold]
#[inline(never)]
fn large_count_key_u64(value: u64) -> i64 {
    i64::from(EXACT_LIMIT) + (float_key(value as f64) - float_key(f64::from(EXACT_LIMIT)))
}

/// The whole values in count bin `key` (one of [`EXACT_LIMIT`] or more):
/// from the first to the last. Exact for bins below 2^53; past it, values
/// are rounded to an `f64` to find their bin, so one near an edge may
/// fall in the bin beside.
pub fn count_bin_bounds(key: i64) -> (u64, u64) {
    let float = key - i64::from(EXACT_LIMIT) + float_key(f64::from(EXACT_LIMIT));
    let low = f64::from_bits((float as u64) << FLOAT_SHIFT).ceil();
    let next = f64::from_bits(((float + 1) as u64) << FLOAT_SHIFT);
    // Float to integer conversions saturate, so the last bins end at u64::MAX.
    (low as u64, (next.ceil() as u64).saturating_sub(1))
}

/// Ratios below this share one bin, reported as 0; without the floor, a
/// single 0 would stretch the key range across every tiny float.
pub const RATIO_FLOOR: f64 = 1e-9;

/// The bin key of a non-negative ratio.
#[inline]
pub fn float_key(value: f64) -> i64 {
    if value >= RATIO_FLOOR {
        (value.to_bits() >> FLOAT_SHIFT) as i64
    } else {
        (RATIO_FLOOR.to_bits() >> FLOAT_SHIFT) as i64 - 1
    }
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
    if key < float_key(RATIO_FLOOR) {
        return 0.0;
    }
    let low = f64::from_bits((key as u64) << FLOAT_SHIFT);
    let high = f64::from_bits(((key + 1) as u64) << FLOAT_SHIFT);
    (low + high) / 2.0
}

/// Money (USD) and months of cover share bins of relative width 2^-8
/// (their percentiles within 0.2%): four times a ratio's, as their values
/// spread over many more octaves, so their tables are a quarter the size.
const MONEY_SHIFT: u32 = FLOAT_SHIFT + 2;

/// The bin key of a non-negative amount of money (or months of cover).
#[inline]
pub fn money_key(value: f64) -> i64 {
    if value >= RATIO_FLOOR {
        (value.to_bits() >> MONEY_SHIFT) as i64
    } else {
        (RATIO_FLOOR.to_bits() >> MONEY_SHIFT) as i64 - 1
    }
}

/// The midpoint of a money bin (0 for the bin below [`RATIO_FLOOR`]).
pub fn money_value(key: i64) -> f64 {
    if key < money_key(RATIO_FLOOR) {
        return 0.0;
    }
    let low = f64::from_bits((key as u64) << MONEY_SHIFT);
    let high = f64::from_bits(((key + 1) as u64) << MONEY_SHIFT);
    (low + high) / 2.0
}

/// How a metric's values are binned: whole people (exact below
/// [`EXACT_LIMIT`]), ratios, or money and months of cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binning {
    Count,
    Ratio,
    Money,
}

impl Binning {
    /// The binning of `metric`'s values.
    pub fn of(metric: crate::scenario::Metric) -> Binning {
        use crate::scenario::Metric;
        if metric.is_ratio() {
            Binning::Ratio
        } else if Metric::FUNDING.contains(&metric) {
            Binning::Money
        } else {
            Binning::Count
        }
    }

    /// The bin key of a value (for counts, a whole non-negative number).
    #[inline]
    pub fn key(self, value: f64) -> i64 {
        match self {
            Binning::Count => count_key_u64(value.max(0.0) as u64),
            Binning::Ratio => float_key(value),
            Binning::Money => money_key(value),
        }
    }

    /// The value reported for bin `key`.
    pub fn value(self, key: i64) -> f64 {
        match self {
            Binning::Count => count_value(key),
            Binning::Ratio => float_value(key),
            Binning::Money => money_value(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Money's bins: within 0.2% of every value in them, in order, 0 alone.
    #[test]
    fn money_stays_within_a_fifth_of_a_percent() {
        for x in [1e-6, 0.4567, 1.0, 47.25, 120.0, 12_121.0, 5.07e7, 1e12] {
            let back = money_value(money_key(x));
            assert!((back - x).abs() / x < 2e-3, "{x} -> {back}");
        }
        assert_eq!(money_value(money_key(0.0)), 0.0);
        assert!(money_key(0.0) < money_key(RATIO_FLOOR));
        assert!(money_key(1e6) < money_key(1.01e6));
        for binning in [Binning::Count, Binning::Ratio, Binning::Money] {
            assert_eq!(binning.value(binning.key(0.0)), 0.0);
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

    /// Whole counts of any size share the keys of `u32` counts, and each
    /// large bin's bounds hold exactly the values keyed to it.
    #[test]
    fn u64_counts_key_like_u32_counts_and_bins_know_their_values() {
        for v in [0u32, 1, 65_535, 65_536, 70_001, 1_234_567, u32::MAX] {
            assert_eq!(count_key_u64(u64::from(v)), count_key(v), "{v}");
        }
        assert!(count_key_u64(u64::MAX) > count_key(u32::MAX));
        for v in [65_536u64, 65_599, 65_600, 200_000, 1 << 40, (1 << 52) + 7] {
            let key = count_key_u64(v);
            let (low, high) = count_bin_bounds(key);
            assert!(low <= v && v <= high, "{v} in [{low}, {high}]");
            if low > 65_536 {
                assert_eq!(count_key_u64(low - 1), key - 1, "{v}: the bin starts at {low}");
            }
            if high < u64::MAX {
                assert_eq!(count_key_u64(high + 1), key + 1, "{v}: the bin ends at {high}");
            }
        }
        assert_eq!(count_bin_bounds(count_key(65_536)).0, 65_536);
    }
}
