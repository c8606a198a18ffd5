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

#[cfg(test)]
mod tests {
    use super::*;

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
