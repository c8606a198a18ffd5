//! Partial pooling: each `--by` group's fit shrinks toward the pooled fit
//! ("all") by an empirical-Bayes rule, so that a group of three records
//! borrows strength from the rest while a large group that differs keeps
//! its own values. How much the groups differ is estimated from the groups
//! themselves (method of moments), once, from the point fits:
//!
//! - **honour**: a beta-binomial. Group `g` has `h_g` honoured of `n_g`
//!   (fractional, as in its fit); with `p` = H / N pooled and
//!   `S = sum n_g (h_g/n_g - p)^2`, the intra-class correlation is
//!   `rho = (S / (p (1 - p)) - (k - 1)) / (N - sum n_g^2 / N)` over `k`
//!   groups, and the groups' prior is Beta(kappa m, kappa (1 - m)) with
//!   `kappa = 1/rho - 1` (kept within [[`MIN_KAPPA`], [`MAX_KAPPA`]]) and `m`
//!   the pooled posterior mean: a group's posterior is
//!   Beta(kappa m + h_g, kappa (1 - m) + n_g - h_g), its weight on the pooled
//!   mean `kappa / (kappa + n_g)`.
//! - **delay** and **fulfilment**: normal-normal on the group's `mu` (of
//!   the log-days) and on its mean share. A group's estimate has variance
//!   `v_g = s^2 / n_g` (the pooled fit's `sigma^2`, or its beta's variance,
//!   over the group's dated arrivals, or shares); the variance between
//!   groups is `tau^2 = max(0, var(estimates) - mean(v_g))` over the groups
//!   that have one (at least two, else 0); the weight on the pooled value is
//!   `B_g = v_g / (v_g + tau^2)`. The group's `mu` and `sigma` (mean share
//!   and concentration) are `B_g` pooled + `(1 - B_g)` own; a group with no
//!   fit of its own takes the pooled one (`B_g` = 1).
//!
//! The weights are the "shrinkage" reported: 0 a group fitted alone, 1 the
//! pooled fit. The bootstrap intervals of a group shrink each resample with
//! the same pooled fit, `kappa` and `tau^2` (held fixed, as empirical Bayes
//! does).

use super::{Fit, Record, fit, fulfilment, honour};

/// Least `kappa`: the groups' prior weighs at least as much as the flat
/// Beta(1, 1) of a group fitted alone (two records).
pub const MIN_KAPPA: f64 = 2.0;
/// Most `kappa`: groups that do not differ at all are pooled (a group's
/// weight on its own records is then below 1% up to 100 records).
pub const MAX_KAPPA: f64 = 1e4;

/// How much a group's fit moved toward the pooled one, per quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shrinkage {
    pub honour: f64,
    pub fulfilment: Option<f64>,
    pub delay: Option<f64>,
}

/// What a group's fit is shrunk with: the pooled fit and the spread between groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pooling {
    pub pooled: Fit,
    pub kappa: f64,
    /// `tau^2` of the delay's `mu`.
    pub tau2_delay: f64,
    /// `tau^2` of the mean share.
    pub tau2_share: f64,
}

/// What of a group's records the shrinking needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    pub records: f64,
    pub dated: f64,
    pub shares: f64,
    pub share_mean: Option<f64>,
}

impl Counts {
    pub fn of(rows: &[&Record]) -> Counts {
        let shares: Vec<f64> = rows.iter().filter_map(|r| r.fulfilment()).collect();
        Counts {
            records: rows.len() as f64,
            dated: rows.iter().filter(|r| r.delay_days().is_some()).count() as f64,
            shares: shares.len() as f64,
            share_mean: (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64),
        }
    }
}

/// The honoured count behind a Beta posterior from [`honour::PRIOR`].
fn honoured(fit: &Fit) -> f64 {
    fit.honour.0 - honour::PRIOR.0
}

/// The variance of a beta's draws.
fn beta_variance((a, b): (f64, f64)) -> f64 {
    a * b / ((a + b).powi(2) * (a + b + 1.0))
}

/// `max(0, var(estimates) - mean(variances))` over `(estimate, variance)`
/// pairs; 0 with fewer than two.
fn between(pairs: &[(f64, f64)]) -> f64 {
    if pairs.len() < 2 {
        return 0.0;
    }
    let k = pairs.len() as f64;
    let mean = pairs.iter().map(|p| p.0).sum::<f64>() / k;
    let spread = pairs.iter().map(|p| (p.0 - mean).powi(2)).sum::<f64>() / (k - 1.0);
    let noise = pairs.iter().map(|p| p.1).sum::<f64>() / k;
    (spread - noise).max(0.0)
}

impl Pooling {
    /// The pooling of `groups` (each a point fit and its counts) toward `pooled`.
    pub fn estimate(pooled: Fit, groups: &[(Fit, Counts)]) -> Pooling {
        let n: f64 = groups.iter().map(|g| g.1.records).sum();
        let h: f64 = groups.iter().map(|g| honoured(&g.0)).sum();
        let p = if n > 0.0 { (h / n).clamp(1e-9, 1.0 - 1e-9) } else { 0.5 };
        let s: f64 = groups
            .iter()
            .filter(|g| g.1.records > 0.0)
            .map(|g| g.1.records * (honoured(&g.0) / g.1.records - p).powi(2))
            .sum();
        let k = groups.len() as f64;
        let spread = n - groups.iter().map(|g| g.1.records.powi(2)).sum::<f64>() / n.max(1.0);
        let rho = if spread > 0.0 {
            (s / (p * (1.0 - p)) - (k - 1.0)) / spread
        } else {
            0.0
        };
        let kappa = if rho > 0.0 {
            (1.0 / rho - 1.0).clamp(MIN_KAPPA, MAX_KAPPA)
        } else {
            MAX_KAPPA
        };
        let tau2_delay = match pooled.delay {
            Some((_, sigma)) => {
                let pairs: Vec<(f64, f64)> = groups
                    .iter()
                    .filter_map(|g| g.0.delay.map(|(mu, _)| (mu, sigma * sigma / g.1.dated.max(1.0))))
                    .collect();
                between(&pairs)
            }
            None => 0.0,
        };
        let tau2_share = match pooled.fulfilment {
            Some(beta) => {
                let pairs: Vec<(f64, f64)> = groups
                    .iter()
                    .filter_map(|g| g.1.share_mean.map(|m| (m, beta_variance(beta) / g.1.shares.max(1.0))))
                    .collect();
                between(&pairs)
            }
            None => 0.0,
        };
        Pooling {
            pooled,
            kappa,
            tau2_delay,
            tau2_share,
        }
    }

    /// The group's fit `own` (of records counted by `c`) shrunk toward the pooled fit.
    pub fn shrink(&self, own: &Fit, c: &Counts) -> (Fit, Shrinkage) {
        let m = honour::mean(self.pooled.honour);
        let h = honoured(own);
        let honour = (self.kappa * m + h, self.kappa * (1.0 - m) + (c.records - h).max(0.0));
        let honour_weight = self.kappa / (self.kappa + c.records);
        let (delay, delay_weight) = match self.pooled.delay {
            Some((mu, sigma)) => {
                let weight = match own.delay {
                    Some(_) => weight(sigma * sigma / c.dated.max(1.0), self.tau2_delay),
                    None => 1.0,
                };
                let (own_mu, own_sigma) = own.delay.unwrap_or((mu, sigma));
                let blended = (blend(weight, mu, own_mu), blend(weight, sigma, own_sigma));
                (Some(blended), Some(weight))
            }
            None => (own.delay, None),
        };
        let (share, share_weight) = match self.pooled.fulfilment {
            Some(beta) => {
                let weight = match c.share_mean {
                    Some(_) => weight(beta_variance(beta) / c.shares.max(1.0), self.tau2_share),
                    None => 1.0,
                };
                (
                    Some(self.blend_beta(weight, beta, own.fulfilment, c.share_mean)),
                    Some(weight),
                )
            }
            None => (own.fulfilment, None),
        };
        let fit = Fit {
            honour,
            fulfilment: share,
            delay,
        };
        let shrinkage = Shrinkage {
            honour: honour_weight,
            fulfilment: share_weight,
            delay: delay_weight,
        };
        (fit, shrinkage)
    }

    /// The beta whose mean is the blend of the pooled and the group's mean
    /// share, and whose concentration the blend of theirs (the pooled one
    /// where the group has no fit of its own).
    fn blend_beta(&self, weight: f64, pooled: (f64, f64), own: Option<(f64, f64)>, mean: Option<f64>) -> (f64, f64) {
        let pooled_mean = pooled.0 / (pooled.0 + pooled.1);
        let pooled_size = pooled.0 + pooled.1;
        let own_size = own.map_or(pooled_size, |(a, b)| a + b);
        let mean = blend(weight, pooled_mean, mean.unwrap_or(pooled_mean));
        let size = blend(weight, pooled_size, own_size);
        let clamp = |v: f64| v.clamp(fulfilment::MIN_SHAPE, fulfilment::MAX_SHAPE);
        (clamp(mean * size), clamp((1.0 - mean) * size))
    }
}

/// `B = v / (v + tau^2)`: 1 when the groups do not differ.
fn weight(v: f64, tau2: f64) -> f64 {
    if v + tau2 > 0.0 { v / (v + tau2) } else { 1.0 }
}

fn blend(weight: f64, pooled: f64, own: f64) -> f64 {
    weight * pooled + (1.0 - weight) * own
}

/// The point fits of `groups` and their pooling toward the first (all records).
pub fn pooling_of(groups: &[(String, Vec<&Record>)]) -> Option<Pooling> {
    let (first, rest) = groups.split_first()?;
    if rest.is_empty() {
        return None;
    }
    let fits: Vec<(Fit, Counts)> = rest.iter().map(|(_, rows)| (fit(rows), Counts::of(rows))).collect();
    Some(Pooling::estimate(fit(&first.1), &fits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit_of(h: f64, n: f64) -> Fit {
        Fit {
            honour: honour::posterior(h, n),
            fulfilment: None,
            delay: None,
        }
    }

    fn counts(n: f64) -> Counts {
        Counts {
            records: n,
            dated: 0.0,
            shares: 0.0,
            share_mean: None,
        }
    }

    #[test]
    fn groups_that_agree_are_pooled_and_groups_that_differ_keep_their_own() {
        // Alike: 5 of 10 in each of four groups; rho <= 0, kappa at its top.
        let alike: Vec<(Fit, Counts)> = (0..4).map(|_| (fit_of(5.0, 10.0), counts(10.0))).collect();
        let pooled = fit_of(20.0, 40.0);
        let p = Pooling::estimate(pooled, &alike);
        assert_eq!(p.kappa, MAX_KAPPA);
        let (shrunk, s) = p.shrink(&fit_of(9.0, 10.0), &counts(10.0));
        assert!(
            s.honour > 0.99 && (honour::mean(shrunk.honour) - 0.5).abs() < 0.01,
            "{s:?}"
        );
        // Far apart: 1 of 100 and 99 of 100; kappa at its floor, little shrinkage.
        let apart = [
            (fit_of(1.0, 100.0), counts(100.0)),
            (fit_of(99.0, 100.0), counts(100.0)),
        ];
        let p = Pooling::estimate(fit_of(100.0, 200.0), &apart);
        assert_eq!(p.kappa, MIN_KAPPA);
        let (shrunk, s) = p.shrink(&apart[0].0, &apart[0].1);
        assert!((s.honour - 2.0 / 102.0).abs() < 1e-12, "{s:?}");
        // The posterior mean: (kappa m + h) / (kappa + n) = (2 * 0.5 + 1) / 102.
        assert!((honour::mean(shrunk.honour) - 2.0 / 102.0).abs() < 1e-9);
    }

    #[test]
    fn the_method_of_moments_recovers_a_known_spread() {
        // Group shares p_g drawn as 0.3, 0.5, 0.7 (sd 0.2) with n = 1000 each:
        // rho = var(p_g) / (p (1 - p)) = 0.04 / 0.25 = 0.16 (binomial noise
        // is 1/1000 of that); kappa = 1/0.16 - 1 = 5.25.
        let groups = [0.3, 0.5, 0.7].map(|p| (fit_of(1000.0 * p, 1000.0), counts(1000.0)));
        let p = Pooling::estimate(fit_of(1500.0, 3000.0), &groups);
        // S / (p(1-p)) = 1000 * 0.08 / 0.25 = 320; (320 - 2) / (3000 - 1000) = 0.159.
        assert!((p.kappa - (1.0 / 0.159 - 1.0)).abs() < 1e-9, "{}", p.kappa);
        assert!((between(&[(1.0, 0.5), (3.0, 0.5)]) - 1.5).abs() < 1e-12);
        assert_eq!(between(&[(1.0, 0.5)]), 0.0);
        assert_eq!(weight(1.0, 0.0), 1.0);
        assert_eq!(weight(1.0, 3.0), 0.25);
    }
}
