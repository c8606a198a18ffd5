//! The state of one pure-death process, and its moves from one asked-for
//! day to the next: the death race, inversion or thinning, whichever is
//! cheaper (see `strength`).

use super::super::streams::StreamRng;
use super::binomial::{departures_by_inversion, exp1, survivors};

/// Expected departures in a stretch above which one binomial draw (~50-70 ns)
/// beats walking the probabilities one departure at a time.
pub(super) const THINNING_ABOVE: f64 = 30.0;

/// Expected departures in a stretch below which the death race (one
/// exponential draw and a division per departure, nothing when nobody
/// leaves) beats inversion (two exponentials, then a multiplication per
/// departure).
pub(super) const RACE_BELOW: f64 = 3.0;

/// Most fall in head count over which the chance that nobody leaves is
/// carried forward rather than recomputed (see `chance_none_leave`).
const MAX_POWER: u32 = 64;

/// The state of one pure-death process.
pub(super) struct Attrition {
    pub(super) n: u32,
    /// Time the state refers to.
    pub(super) t: f64,
    /// Time of the next departure, when the death race has drawn it.
    pub(super) next_departure: Option<f64>,
    pub(super) lambda: f64,
    /// The last inversion's hazard and its `e^hazard - 1` (stretches of the
    /// same length repeat: every 7 days, every day).
    ratio_of: (f64, f64),
    /// For that hazard: the last head count inverted and the chance that
    /// none of them leave, `e^(-n hazard)`.
    none_leave: Option<(u32, f64)>,
    /// `e^(hazard k)` for k = 0, 1, ...: when d people left since the last
    /// inversion, the chance that none leave grows by `e^(hazard d)`,
    /// which saves an `exp` per stretch.
    powers: [f64; MAX_POWER as usize],
    /// How many of `powers` are computed for the current hazard.
    powers_known: usize,
}

impl Attrition {
    /// `n` people at time 0, each leaving at rate `lambda` a day.
    pub(super) fn new(n: u32, lambda: f64) -> Attrition {
        Attrition {
            n,
            t: 0.0,
            next_departure: None,
            lambda,
            ratio_of: (f64::NAN, f64::NAN),
            none_leave: None,
            powers: [1.0; MAX_POWER as usize],
            powers_known: 0,
        }
    }

    /// Moves the process to time `to`, removing everyone who left by then.
    #[inline(always)]
    pub(super) fn advance(&mut self, to: f64, rng: &mut StreamRng) {
        // The common case on short stretches: the race's next departure is
        // later, so nobody leaves (the same choice `advance_slow` makes).
        if self.n == 0 {
            // Nobody to leave (a contingent before it arrives).
            self.t = self.t.max(to);
            return;
        }
        if let Some(next) = self.next_departure
            && next > to
            && f64::from(self.n) * self.lambda * (to - self.t) < RACE_BELOW
        {
            self.t = to;
            return;
        }
        self.advance_slow(to, rng);
    }

    #[inline(never)]
    fn advance_slow(&mut self, to: f64, rng: &mut StreamRng) {
        // (`advance` has dealt with an empty group.)
        if self.lambda <= 0.0 || to <= self.t {
            self.t = self.t.max(to);
            return;
        }
        let hazard = self.lambda * (to - self.t);
        let expected = f64::from(self.n) * hazard;
        if expected >= RACE_BELOW {
            // A drawn-but-unused departure time may be dropped: the choice
            // does not depend on its value, and waits are memoryless.
            self.next_departure = None;
            self.n = if expected > THINNING_ABOVE {
                survivors(self.n, hazard, rng)
            } else {
                self.n - self.invert(hazard, rng)
            };
        } else {
            self.race_until(to, rng, |_| {});
        }
        self.t = to;
    }

    /// The death race up to time `to` (for a group with someone in it):
    /// each departure by then, in turn, is passed to `departed` (its time)
    /// and leaves, one exponential draw each (the wait for the first of `n`
    /// is Exp(n lambda)); the first departure after `to` is kept.
    #[inline(always)]
    pub(super) fn race_until(&mut self, to: f64, rng: &mut StreamRng, mut departed: impl FnMut(f64)) {
        let (mut n, lambda) = (self.n, self.lambda);
        let mut next = self
            .next_departure
            .unwrap_or_else(|| self.t + exp1(rng) / (f64::from(n) * lambda));
        while next <= to {
            departed(next);
            n -= 1;
            if n == 0 {
                break;
            }
            next += exp1(rng) / (f64::from(n) * lambda);
        }
        self.n = n;
        self.next_departure = (n > 0).then_some(next);
    }

    /// Departures of a stretch with `hazard`, by inversion (see
    /// [`departures_by_inversion`]), from the chance that none of the
    /// `n` leave and `e^hazard - 1`, both carried from the last inversion.
    #[inline(always)]
    pub(super) fn invert(&mut self, hazard: f64, rng: &mut StreamRng) -> u32 {
        let none_leave = self.chance_none_leave(hazard);
        departures_by_inversion(self.n, none_leave, self.ratio_of.1, rng)
    }

    /// `e^(-n hazard)`, from the last inversion's value when the head
    /// count has fallen by fewer than [`MAX_POWER`] since (exact up to a
    /// few units of rounding), else by `exp`.
    fn chance_none_leave(&mut self, hazard: f64) -> f64 {
        if self.ratio_of.0 != hazard {
            self.ratio_of = (hazard, hazard.exp_m1());
            self.none_leave = None;
            self.powers_known = 1;
        }
        let n = self.n;
        let chance = match self.none_leave {
            Some((before, chance)) if n <= before && before - n < MAX_POWER => {
                let fallen = (before - n) as usize;
                let step = 1.0 + self.ratio_of.1;
                while self.powers_known <= fallen {
                    self.powers[self.powers_known] = self.powers[self.powers_known - 1] * step;
                    self.powers_known += 1;
                }
                chance * self.powers[fallen]
            }
            _ => (-f64::from(n) * hazard).exp(),
        };
        self.none_leave = Some((n, chance));
        chance
    }

    /// Adds arrivals at the current time.
    #[inline]
    pub(super) fn arrive(&mut self, size: u32) {
        if let Some(next) = self.next_departure {
            // The residual wait of Exp(n λ), rescaled, is an Exp((n + size) λ) wait.
            let before = f64::from(self.n);
            self.next_departure = Some(self.t + (next - self.t) * before / (before + f64::from(size)));
        }
        self.n = self.n.saturating_add(size);
    }
}

#[cfg(test)]
mod tests {
    use super::super::daily_rate;
    use super::*;
    use crate::model::streams::{StreamId, stream};

    /// The chance that nobody leaves, carried from stretch to stretch,
    /// stays within rounding of `e^(-n hazard)` over a whole horizon.
    #[test]
    fn carried_chance_none_leave_matches_exp() {
        let hazard = daily_rate(0.3) * 7.0;
        let mut process = Attrition::new(6_000, daily_rate(0.3));
        let mut rng = stream(1, 2, StreamId::of("carried"));
        for week in 0..110 {
            let chance = process.chance_none_leave(hazard);
            let exact = (-f64::from(process.n) * hazard).exp();
            assert!((chance / exact - 1.0).abs() < 1e-12, "week {week}: {chance} vs {exact}");
            process.n -= departures_by_inversion(process.n, chance, process.ratio_of.1, &mut rng);
            if week == 50 {
                process.arrive(700);
            }
        }
    }
}
