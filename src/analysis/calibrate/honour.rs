//! Honour: the probability that a pledge is honoured at all (some of its
//! people arrive), as a Beta posterior.
//!
//! The prior is Beta(1, 1), uniform on [0, 1]: weak, worth two records.
//! With `h` honoured pledges among `n` the posterior is Beta(1 + h, 1 + n - h).
//! A pledge is honoured when people arrived, not honoured when the records
//! say so (`peak_deployed` 0, no arrival). One still open at its
//! `as_of_date` (no arrival, peak empty) may be honoured later: when the
//! delay is fitted it counts as honoured with the probability the fit gives
//! it (see [`super::delay`]), so `h` may be fractional; without a delay fit
//! it counts as not honoured.

/// The prior's alpha and beta.
pub const PRIOR: (f64, f64) = (1.0, 1.0);

/// The posterior Beta's alpha and beta after `honoured` of `records` pledges.
pub fn posterior(honoured: f64, records: f64) -> (f64, f64) {
    (PRIOR.0 + honoured, PRIOR.1 + (records - honoured).max(0.0))
}

/// The posterior mean.
pub fn mean((alpha, beta): (f64, f64)) -> f64 {
    alpha / (alpha + beta)
}

/// The posterior's `q` quantile (statrs's inverse beta CDF).
pub fn quantile((alpha, beta): (f64, f64), q: f64) -> f64 {
    use statrs::distribution::{Beta, ContinuousCDF};
    Beta::new(alpha, beta).map_or(f64::NAN, |d| d.inverse_cdf(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posterior_adds_counts_to_the_prior() {
        assert_eq!(posterior(2.0, 6.0), (3.0, 5.0));
        assert_eq!(mean(posterior(2.0, 6.0)), 0.375);
        assert_eq!(mean(posterior(0.0, 0.0)), 0.5);
        assert!((quantile((1.0, 1.0), 0.05) - 0.05).abs() < 1e-9);
    }
}
