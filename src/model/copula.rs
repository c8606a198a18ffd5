//! Correlated inputs by Gaussian copula (see `scenario::correlation`): per
//! trial, independent standard normals from each input's own stream are
//! mixed by the Cholesky factor, then each is mapped through the normal CDF
//! and its input's quantile function.
//!
//! The rules: docs/MODEL.md §1.7.

use rand_distr::{Distribution, StandardNormal};

use super::streams::{StreamId, stream};
use crate::scenario::correlation::CopulaPlan;
use crate::scenario::{Dist, Scenario, ValueKind, normal_cdf};

#[derive(Debug, Clone)]
pub struct Copula {
    inputs: Vec<CorrelatedInput>,
    lower: Vec<Vec<f64>>,
}

#[derive(Debug, Clone)]
struct CorrelatedInput {
    path: String,
    dist: Dist,
    kind: ValueKind,
    id: StreamId,
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
        let inputs = plan
            .paths
            .iter()
            .filter_map(|path| all.iter().find(|i| &i.path == path))
            .map(|input| CorrelatedInput {
                path: input.path.clone(),
                dist: input.dist.clone(),
                kind: input.kind,
                id: StreamId::of(&input.path),
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

    /// This trial's values of the correlated inputs, rounded and clamped.
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
            out[i] = input.kind.apply(input.dist.quantile(normal_cdf(mixed)));
        }
    }
}
