//! Bootstrap intervals: each group's records resampled with replacement,
//! refitted, and the 5th and 95th percentiles of each quantity taken (the
//! percentile method). Resample `k` of group `g` draws from its own stream
//! (the seed, `k`, and the group's name), so the intervals do not depend on
//! the number of threads and are the same on every run with the same seed.

use rand::RngExt;

use crate::model::{StreamId, stream};

/// The indices of resample `k` of `n` records of the group named `group`.
pub fn resample(seed: u64, group: &str, k: u64, n: usize) -> Vec<usize> {
    let mut rng = stream(seed, k, StreamId::of(&format!("calibrate.{group}")));
    (0..n).map(|_| rng.random_range(0..n)).collect()
}

/// The 5th and 95th percentiles of `values` (linear between order
/// statistics); `None` when fewer than half of `resamples` gave a value.
pub fn interval(values: &mut [f64], resamples: usize) -> Option<(f64, f64)> {
    if values.is_empty() || 2 * values.len() < resamples {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some((percentile(values, 0.05), percentile(values, 0.95)))
}

/// The `q` quantile of sorted `values`.
fn percentile(values: &[f64], q: f64) -> f64 {
    let at = q * (values.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    values[low] + (at - low as f64) * (values[high] - values[low])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resamples_are_fixed_by_the_seed() {
        assert_eq!(resample(1, "a", 3, 10), resample(1, "a", 3, 10));
        assert_ne!(resample(1, "a", 3, 10), resample(1, "a", 4, 10));
        assert!(resample(1, "a", 3, 10).iter().all(|i| *i < 10));
    }

    #[test]
    fn percentiles() {
        let mut v: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        assert_eq!(interval(&mut v, 101), Some((5.0, 95.0)));
        assert_eq!(interval(&mut [1.0], 3), None);
    }
}
