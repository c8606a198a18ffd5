//! Correlated inputs by Gaussian copula (see `scenario::correlation`): per
//! trial, independent standard normals from each input's own stream are
//! mixed by the Cholesky factor, then each is mapped through the normal CDF
//! and its input's quantile function. A pledge's honour becomes the
//! uniform `Phi(z)` (honoured when below its probability), a withdrawal
//! wait the Exp(1) quantile `-ln(1 - Phi(z))`.
//!
//! The rules: docs/MODEL.md §1.7.

use rand_distr::{Distribution, StandardNormal};

use super::streams::{StreamId, stream};
use crate::scenario::correlation::CopulaPlan;
use crate::scenario::{Dist, Latent, Scenario, ValueKind, normal_cdf, normal_survival};

#[derive(Debug, Clone)]
pub struct Copula {
    inputs: Vec<CorrelatedInput>,
    lower: Vec<Vec<f64>>,
}

#[derive(Debug, Clone)]
struct CorrelatedInput {
    path: String,
    marginal: Marginal,
    id: StreamId,
}

/// What a correlated normal `z` becomes.
#[derive(Debug, Clone)]
enum Marginal {
    /// An input: `apply(quantile(Phi(z)))`.
    Input { dist: Dist, kind: ValueKind },
    /// A pledge's honour: the uniform `Phi(z)`.
    Uniform,
    /// A withdrawal wait: `-ln(1 - Phi(z))`, as `-ln(Phi(-z))` (exact in
    /// the upper tail, where `1 - Phi(z)` would round to 0).
    Exp1,
}

impl Marginal {
    #[inline]
    fn value(&self, z: f64) -> f64 {
        match self {
            Marginal::Input { dist, kind } => kind.apply(dist.quantile(normal_cdf(z))),
            Marginal::Uniform => normal_cdf(z),
            Marginal::Exp1 => -normal_survival(z).ln(),
        }
    }
}

impl Copula {
    /// The scenario's copula, or `None` when it has no correlations.
    pub fn new(scenario: &Scenario) -> Option<Copula> {
        if scenario.correlations.is_empty() {
            return None;
        }
        // Validated when parsed; a failure here would be a bug.
        let plan = CopulaPlan::new(&scenario.correlations).ok()?;
        let all = scenario.inputs();
        let latent = scenario.latent_draws();
        let marginal = |path: &String| -> Option<Marginal> {
            if let Some(input) = all.iter().find(|i| &i.path == path) {
                return Some(Marginal::Input {
                    dist: input.dist.clone(),
                    kind: input.kind,
                });
            }
            latent.iter().find(|d| &d.path == path).map(|d| match d.latent {
                Latent::Honour => Marginal::Uniform,
                Latent::Withdrawal => Marginal::Exp1,
            })
        };
        let inputs = plan
            .paths
            .iter()
            .filter_map(|path| {
                Some(CorrelatedInput {
                    path: path.clone(),
                    marginal: marginal(path)?,
                    id: StreamId::of(path),
                })
            })
            .collect::<Vec<_>>();
        (inputs.len() == plan.paths.len()).then_some(Copula {
            inputs,
            lower: plan.lower,
        })
    }

    /// The slot of the input at `path`, if it is correlated.
    pub fn slot_of(&self, path: &str) -> Option<usize> {
        self.inputs.iter().position(|i| i.path == path)
    }

    /// This trial's values of the correlated inputs, rounded and clamped
    /// (a latent draw's: its uniform or its wait).
    pub fn sample(&self, seed: u64, trial: u64, out: &mut Vec<f64>) {
        out.clear();
        out.extend(
            self.inputs
                .iter()
                .map(|input| -> f64 { StandardNormal.sample(&mut stream(seed, trial, input.id)) }),
        );
        // Mixed in place, last first: value i needs normals 0..=i only, and
        // those below i are still untouched normals.
        for (i, input) in self.inputs.iter().enumerate().rev() {
            let mixed: f64 = self.lower[i][..=i].iter().zip(out.iter()).map(|(l, z)| l * z).sum();
            out[i] = input.marginal.value(mixed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Marginal;

    /// The Exp(1) quantile of a correlated wait: `-ln(1 - Phi(z))`, finite
    /// far in the upper tail (where `1 - Phi(z)` rounds to 0) and 0 far
    /// in the lower one; `Phi(0) = 1/2` gives the median `ln 2`.
    #[test]
    fn a_correlated_wait_is_the_exp1_quantile() {
        let wait = |z| Marginal::Exp1.value(z);
        assert!((wait(0.0) - 2f64.ln()).abs() < 1e-12);
        assert!(wait(10.0).is_finite() && wait(10.0) > 50.0, "{}", wait(10.0));
        assert!(wait(-40.0) >= 0.0 && wait(-40.0) < 1e-300);
        assert!((Marginal::Uniform.value(0.0) - 0.5).abs() < 1e-12);
    }
}
