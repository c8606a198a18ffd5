//! Inputs ready to draw: which trial ([`Key`]), an input's sampler and
//! stream ([`Draw`]), and a Bernoulli trial with its own stream.

use super::copula::Copula;
use super::streams::{StreamId, StreamRng, stream};
use super::strength::unit;
use crate::scenario::{Input, Sampler, ValueKind};

/// Which trial is being drawn, and its correlated inputs' values.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub seed: u64,
    pub index: u64,
    /// Values of the inputs in `[[correlations]]`, by copula slot, drawn
    /// jointly at the start of the trial.
    pub correlated: &'a [f64],
}

impl Key<'_> {
    /// A key for reading constants (no trial, no correlated values).
    pub fn constant() -> Key<'static> {
        Key {
            seed: 0,
            index: 0,
            correlated: &[],
        }
    }
}

/// An input ready to draw: its sampler and its stream.
#[derive(Debug, Clone)]
pub struct Draw {
    sampler: Sampler,
    kind: ValueKind,
    id: StreamId,
    /// Its place among the correlated inputs, if it is one.
    pub(super) slot: Option<usize>,
}

impl Draw {
    pub(super) fn new(input: &Input, copula: Option<&Copula>) -> Draw {
        // Dists were validated when parsed; a failure here is a bug, and a
        // constant NaN would show up in every output at once.
        let sampler = Sampler::new(&input.dist).unwrap_or(Sampler::Constant(f64::NAN));
        Draw {
            sampler,
            kind: input.kind,
            id: StreamId::of(&input.path),
            slot: copula.and_then(|c| c.slot_of(&input.path)),
        }
    }

    /// This trial's value, rounded and clamped for its kind.
    #[inline]
    pub fn once(&self, key: &Key) -> f64 {
        if let Some(slot) = self.slot {
            return key.correlated.get(slot).copied().unwrap_or(f64::NAN);
        }
        match self.sampler.constant() {
            Some(v) => self.kind.apply(v),
            None => self
                .kind
                .apply(self.sampler.sample(&mut stream(key.seed, key.index, self.id))),
        }
    }

    /// The mean of `count` per-class draws of this trial (the first
    /// `count` of [`Draw::many`]); for sensitivity analysis.
    pub(super) fn mean_of_many(&self, key: &Key, count: usize) -> f64 {
        if count == 0 {
            return f64::NAN;
        }
        if self.slot.is_some() {
            return self.once(key);
        }
        let mut draws = self.many(key.seed, key.index);
        (0..count).map(|_| draws.next()).sum::<f64>() / count as f64
    }

    /// True when the input is a distribution rather than a constant.
    pub(super) fn is_uncertain(&self) -> bool {
        self.sampler.constant().is_none()
    }

    /// A stream for several draws of this input in one trial (per class, per gap).
    pub(super) fn many(&self, seed: u64, trial: u64) -> DrawIter<'_> {
        let rng = self.sampler.constant().is_none().then(|| stream(seed, trial, self.id));
        DrawIter { draw: self, rng }
    }
}

pub(super) struct DrawIter<'a> {
    draw: &'a Draw,
    rng: Option<StreamRng>,
}

impl DrawIter<'_> {
    pub(super) fn next(&mut self) -> f64 {
        let raw = match &mut self.rng {
            Some(rng) => self.draw.sampler.sample(rng),
            None => self.draw.sampler.constant().unwrap_or(f64::NAN),
        };
        self.draw.kind.apply(raw)
    }
}

/// A Bernoulli trial with its own stream, or with a correlated uniform.
#[derive(Debug, Clone)]
pub(super) struct Chance {
    pub(super) probability: f64,
    pub(super) id: StreamId,
    /// The copula slot of its uniform, when it is correlated (a pledge's
    /// honour named in `[[correlations]]`).
    slot: Option<usize>,
}

impl Chance {
    pub(super) fn new(probability: f64, path: &str) -> Chance {
        Chance {
            probability,
            id: StreamId::of(path),
            slot: None,
        }
    }

    /// A chance drawn from its own stream, or, when `latent` (its path in
    /// `[[correlations]]`) is correlated, from the copula's uniform.
    pub(super) fn correlated(probability: f64, path: &str, latent: &str, copula: Option<&Copula>) -> Chance {
        Chance {
            slot: copula.and_then(|c| c.slot_of(latent)),
            ..Chance::new(probability, path)
        }
    }

    /// This trial's yes or no: [`Chance::happens`], or with a correlated
    /// uniform `u`, yes when `u < probability` (docs/MODEL.md §1.7); a
    /// probability of 1 or 0 draws nothing either way.
    #[inline]
    pub(super) fn happens_in(&self, key: &Key) -> bool {
        match (self.probability, self.slot) {
            (p, _) if p >= 1.0 => true,
            (p, _) if p <= 0.0 => false,
            (p, Some(slot)) => key.correlated.get(slot).is_some_and(|&u| u < p),
            (_, None) => self.happens(key.seed, key.index),
        }
    }

    pub(super) fn happens(&self, seed: u64, trial: u64) -> bool {
        match self.probability {
            p if p >= 1.0 => true,
            p if p <= 0.0 => false,
            p => unit(&mut stream(seed, trial, self.id)) < p,
        }
    }
}
