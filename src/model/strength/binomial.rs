//! The draws of the process: binomial departures, by inversion or by
//! `rand_distr`'s sampler, exponential waits, uniforms.

use rand::RngExt;
use rand_distr::{Binomial, Distribution, Exp1};

use super::super::streams::StreamRng;

/// `1 / k` for small `k`, so the inversion's steps need no division.
const RECIPROCALS: [f64; 64] = {
    let mut table = [0.0; 64];
    let mut k = 1;
    while k < 64 {
        table[k] = 1.0 / k as f64;
        k += 1;
    }
    table
};

/// Binomial(n, p) departures.
pub(super) fn binomial(n: u32, p: f64, rng: &mut StreamRng) -> u32 {
    if p >= 1.0 {
        return n;
    }
    match Binomial::new(u64::from(n), p.max(0.0)) {
        Ok(b) => b.sample(rng) as u32,
        Err(_) => 0,
    }
}

/// Binomial(n, 1 - exp(-hazard)) departures by inversion: one uniform `u`,
/// then the smallest `k` whose cumulative probability exceeds `u`, with
/// `P(0) = none_leave = exp(-n hazard)` and
/// `P(k + 1) = P(k) (n - k) / (k + 1) ratio`, where `ratio` is
/// `e^hazard - 1` (both passed in: the caller reuses them).
/// For expected departures up to [`THINNING_ABOVE`] (P(0) stays far from
/// underflow). Should rounding leave `u` above the last cumulative sum, the
/// walk stops at `n`: a case of probability about 1e-15.
pub(super) fn departures_by_inversion(n: u32, none_leave: f64, ratio: f64, rng: &mut StreamRng) -> u32 {
    let mut probability = none_leave;
    let mut cumulative = probability;
    let u = unit(rng);
    let mut k = 0u32;
    // `n - k` as a float, counted down (whole numbers, so exact).
    let mut remaining = f64::from(n);
    // The first steps take `1 / (k + 1)` from the table, the rest divide.
    for &step in &RECIPROCALS[1..] {
        if !(u >= cumulative && k < n) {
            return k;
        }
        probability *= remaining * ratio * step;
        cumulative += probability;
        remaining -= 1.0;
        k += 1;
    }
    while u >= cumulative && k < n {
        let step = 1.0 / f64::from(k + 1);
        probability *= remaining * ratio * step;
        cumulative += probability;
        remaining -= 1.0;
        k += 1;
    }
    k
}

/// Binomial(n, exp(-hazard)) survivors.
pub(super) fn survivors(n: u32, hazard: f64, rng: &mut StreamRng) -> u32 {
    if n == 0 || hazard <= 0.0 {
        return n;
    }
    let p = (-hazard).exp();
    match Binomial::new(u64::from(n), p) {
        Ok(b) => b.sample(rng) as u32,
        Err(_) => 0,
    }
}

#[inline]
pub(super) fn exp1(rng: &mut StreamRng) -> f64 {
    Exp1.sample(rng)
}

/// A uniform draw in [0, 1), for Bernoulli trials.
#[inline]
pub fn unit(rng: &mut StreamRng) -> f64 {
    rng.random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::streams::{StreamId, stream};

    /// Inversion draws Binomial(n, p) exactly: the share of draws at or
    /// below k matches the exact CDF (summed from the pmf) within 4 SE, and
    /// the mean within 4 SE, at a few (n, hazard) from 3 to 30 expected.
    #[test]
    fn inversion_draws_the_exact_binomial() {
        // The last case walks past the table of reciprocals (k of 63 and more).
        for (n, hazard) in [(5_000u32, 0.002f64), (40, 0.1), (1_000, 0.03), (200, 0.5)] {
            let p = -(-hazard).exp_m1();
            let draws = 200_000u32;
            let mut rng = stream(3, u64::from(n), StreamId::of("inversion"));
            let samples: Vec<u32> = (0..draws)
                .map(|_| departures_by_inversion(n, (-f64::from(n) * hazard).exp(), hazard.exp_m1(), &mut rng))
                .collect();
            let (nf, df) = (f64::from(n), f64::from(draws));
            let mean = samples.iter().map(|&k| f64::from(k)).sum::<f64>() / df;
            let se = (nf * p * (1.0 - p) / df).sqrt();
            assert!((mean - nf * p).abs() < 4.0 * se, "n {n}: mean {mean} vs {}", nf * p);
            // Exact CDF by the pmf recurrence, checked at each k near the mean.
            let mut pmf = (1.0 - p).powf(nf);
            let mut cdf = pmf;
            for k in 0..((3.0 * nf * p) as u32).min(n) {
                let share = samples.iter().filter(|&&s| s <= k).count() as f64 / df;
                let se = (cdf * (1.0 - cdf) / df).sqrt().max(1e-9);
                assert!((share - cdf).abs() < 4.0 * se + 1e-9, "n {n} k {k}: {share} vs {cdf}");
                pmf *= f64::from(n - k) / f64::from(k + 1) * p / (1.0 - p);
                cdf += pmf;
            }
        }
    }
}
