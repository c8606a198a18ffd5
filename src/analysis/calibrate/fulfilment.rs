//! Fulfilment among honoured pledges: a beta by maximum likelihood.
//!
//! A share is `peak_deployed / pledged`, limited to (0, 1]. A beta has no
//! density at exactly 1 (nor 0), and many pledges are delivered in full, so
//! every share is first moved a little inwards as Smithson and Verkuilen
//! (2006) propose: `y' = (y (m - 1) + 1/2) / m` for `m` shares. A share of
//! 1.0 becomes `1 - 1/(2m)`; the fit then maximises the beta likelihood
//! (lnΓ from statrs) over both shapes with the simplex method.

use statrs::function::gamma::ln_gamma;

use super::simplex::minimize;

/// Largest shape the fit may return: past it a beta is a point mass for
/// any purpose here (and the likelihood is flat).
pub const MAX_SHAPE: f64 = 1e4;
/// Smallest shape the fit may return.
pub const MIN_SHAPE: f64 = 1e-2;

/// Fewest shares a beta is fitted to (two points give a spread from one
/// difference, and shapes in the hundreds).
pub const MIN_SHARES: usize = 3;

/// Alpha and beta fitted to `shares` (each in (0, 1]); `None` for fewer
/// than [`MIN_SHARES`] or when all are the same (the likelihood has no maximum).
pub fn fit_beta(shares: &[f64]) -> Option<(f64, f64)> {
    let m = shares.len() as f64;
    if shares.len() < MIN_SHARES {
        return None;
    }
    let squeezed: Vec<f64> = shares
        .iter()
        .map(|y| (y.clamp(0.0, 1.0) * (m - 1.0) + 0.5) / m)
        .collect();
    let mean = squeezed.iter().sum::<f64>() / m;
    let var = squeezed.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / m;
    if var <= 1e-12 {
        return None;
    }
    let ln_y = squeezed.iter().map(|y| y.ln()).sum::<f64>() / m;
    let ln_1y = squeezed.iter().map(|y| (1.0 - y).ln()).sum::<f64>() / m;
    // Method of moments for the start (capped: a tiny variance gives huge shapes).
    let common = (mean * (1.0 - mean) / var - 1.0).clamp(0.1, 1000.0);
    let start = [(mean * common).ln(), ((1.0 - mean) * common).ln()];
    let negative = |x: &[f64; 2]| {
        let (a, b) = (x[0].exp(), x[1].exp());
        if !(MIN_SHAPE..=MAX_SHAPE).contains(&a) || !(MIN_SHAPE..=MAX_SHAPE).contains(&b) {
            return f64::INFINITY;
        }
        -(ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + (a - 1.0) * ln_y + (b - 1.0) * ln_1y)
    };
    let x = minimize(negative, start, 0.5);
    Some((x[0].exp(), x[1].exp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{StreamId, stream};
    use rand_distr::{Beta, Distribution};

    #[test]
    fn recovers_a_beta_from_many_draws() {
        let mut rng = stream(1, 0, StreamId::of("test"));
        let beta = Beta::new(6.0, 2.0).unwrap();
        let shares: Vec<f64> = (0..20_000).map(|_| beta.sample(&mut rng)).collect();
        let (a, b) = fit_beta(&shares).unwrap();
        // With 20,000 draws the MLE's standard error is about 0.06 for alpha
        // and 0.02 for beta (Fisher information); 5 SE either side.
        assert!((a - 6.0).abs() < 0.3 && (b - 2.0).abs() < 0.1, "{a} {b}");
    }

    #[test]
    fn full_deliveries_and_degenerate_samples() {
        let (a, b) = fit_beta(&[1.0, 1.0, 0.5, 0.8, 1.0]).unwrap();
        assert!(a / (a + b) > 0.7 && a / (a + b) < 1.0, "{a} {b}");
        assert_eq!(fit_beta(&[0.7, 0.2]), None);
        assert_eq!(fit_beta(&[1.0, 1.0, 1.0]), None);
    }
}
