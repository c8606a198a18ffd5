//! Delay from pledge to first arrival: a lognormal by censored maximum
//! likelihood, fitted together with the share of pledges honoured.
//!
//! A pledge that arrived after `t` days contributes `ln(p f(t))` (one whose
//! arrival date is not known, `ln p`); one the records say was never
//! honoured (`peak_deployed` 0, no arrival) `ln(1 - p)`; one still open
//! after `c` days watched (`as_of_date - pledge_date`, no arrival, peak
//! empty) the log of its survival, `ln(1 - p + p S(c))`: it is either never
//! to be honoured (`1 - p`) or honoured and still on its way (`p S(c)`).
//! This is a mixture ("cure") model: dropping the censored rows would keep
//! only the quick pledges and bias the delay short, and counting every late
//! pledge as never honoured would bias the honour share low. With every
//! pledge honoured (`p` = 1) a censored row adds `ln S(c)`, the plain
//! censored likelihood. `p`, `mu` and `sigma` are fitted at once (simplex
//! method; the normal tail from statrs's `erfc`).
//!
//! Delays are in days; an arrival on the day of the pledge counts as half a
//! day (a lognormal has no zero). `sigma` is kept within
//! [[`MIN_SIGMA`], [`MAX_SIGMA`]].

use statrs::function::erf::erfc;

use super::simplex::minimize;

/// Smallest `sigma` fitted.
pub const MIN_SIGMA: f64 = 0.05;
/// Largest `sigma` fitted: a 90% range over a factor of about 10^7.
pub const MAX_SIGMA: f64 = 5.0;
/// The delay an arrival on the pledge day counts as.
pub const SAME_DAY: f64 = 0.5;

/// A fitted delay and honour share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelayFit {
    /// The share of pledges ever honoured, `p`.
    pub honour: f64,
    pub mu: f64,
    pub sigma: f64,
    /// The expected number of not-yet-arrived pledges that are honoured
    /// but late: the sum over them of `p S(c) / (1 - p + p S(c))`.
    pub late: f64,
}

/// What the delay fit is given: delays of the arrivals (days); the number
/// of arrivals whose date is not known (each adds `ln p`) and of pledges the
/// records say were never honoured (each adds `ln(1 - p)`); and the days
/// watched of the pledges still open (`censored`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DelayData {
    pub arrived: Vec<f64>,
    pub undated: usize,
    pub never: usize,
    pub censored: Vec<f64>,
}

/// The fit to `data`; `None` without two different delays.
pub fn fit(data: &DelayData) -> Option<DelayFit> {
    let (arrived, undated, never, censored) = (&data.arrived, data.undated, data.never, &data.censored);
    let logs: Vec<f64> = arrived.iter().map(|t| t.max(SAME_DAY).ln()).collect();
    let n = logs.len() as f64;
    if logs.len() < 2 || logs.iter().all(|l| *l == logs[0]) {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / n;
    let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n).sqrt();
    let watched: Vec<f64> = censored.iter().filter(|c| **c > 0.0).map(|c| c.ln()).collect();
    let came = n + undated as f64;
    let total = came + never as f64 + censored.len() as f64;
    let p0 = ((came + 0.5 * censored.len() as f64) / total).clamp(0.05, 0.95);
    let start = [(p0 / (1.0 - p0)).ln(), mean, sd.clamp(MIN_SIGMA, MAX_SIGMA).ln()];
    let negative = |x: &[f64; 3]| {
        let p = parameters(x).0;
        -log_likelihood(x, &logs, &watched) - undated as f64 * p.ln() - never as f64 * (1.0 - p).ln()
    };
    let x = minimize(negative, start, 0.3);
    let (p, mu, sigma) = parameters(&x);
    let late = watched
        .iter()
        .map(|lc| {
            let s = survival((lc - mu) / sigma);
            p * s / (1.0 - p + p * s)
        })
        .sum::<f64>()
        + (censored.len() - watched.len()) as f64 * p;
    Some(DelayFit {
        honour: p,
        mu,
        sigma,
        late,
    })
}

/// `(p, mu, sigma)` from the search's `(logit p, mu, ln sigma)`.
fn parameters(x: &[f64; 3]) -> (f64, f64, f64) {
    (1.0 / (1.0 + (-x[0]).exp()), x[1], x[2].exp())
}

/// The log-likelihood (without the constant `-ln t - ln sqrt(2 pi)` terms);
/// NaN outside the allowed parameters.
fn log_likelihood(x: &[f64; 3], logs: &[f64], watched: &[f64]) -> f64 {
    let (p, mu, sigma) = parameters(x);
    if !(MIN_SIGMA..=MAX_SIGMA).contains(&sigma) || x[0].abs() > 30.0 || !(-5.0..=15.0).contains(&mu) {
        return f64::NAN;
    }
    let arrived: f64 = logs
        .iter()
        .map(|l| {
            let z = (l - mu) / sigma;
            p.ln() - 0.5 * z * z - sigma.ln()
        })
        .sum();
    let late: f64 = watched
        .iter()
        .map(|lc| ((1.0 - p) + p * survival((lc - mu) / sigma)).ln())
        .sum();
    arrived + late
}

/// The standard normal upper tail, `1 - Phi(z)`.
pub fn survival(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(arrived: &[f64], undated: usize, never: usize, censored: &[f64]) -> DelayData {
        DelayData {
            arrived: arrived.to_vec(),
            undated,
            never,
            censored: censored.to_vec(),
        }
    }

    #[test]
    fn never_honoured_pledges_set_the_share() {
        // No open pledges: p is the honoured share, as counting would give.
        let f = fit(&data(&[10.0, 20.0, 40.0], 1, 4, &[])).unwrap();
        assert!((f.honour - 0.5).abs() < 1e-4, "{f:?}");
    }

    #[test]
    fn a_pledge_day_arrival_and_too_few_delays() {
        assert_eq!(fit(&data(&[10.0], 3, 0, &[100.0])), None);
        assert_eq!(fit(&data(&[10.0, 10.0], 0, 0, &[])), None);
        let f = fit(&data(&[0.0, 10.0, 100.0], 0, 0, &[])).unwrap();
        // All arrived: p goes to 1, mu and sigma are the logs' mean and sd.
        assert!(f.honour > 0.999, "{f:?}");
        let logs = [SAME_DAY.ln(), 10f64.ln(), 100f64.ln()];
        let mean = logs.iter().sum::<f64>() / 3.0;
        assert!((f.mu - mean).abs() < 1e-3, "{f:?}");
    }

    #[test]
    fn the_normal_tail() {
        assert!((survival(0.0) - 0.5).abs() < 1e-15);
        // statrs's erfc is accurate to about 1e-9 here.
        assert!((survival(1.644_853_626_951_472_2) - 0.05).abs() < 1e-8);
        assert!(survival(20.0) > 0.0 && survival(20.0) < 1e-80);
    }
}
