//! Head counts under attrition: a pure-death process with arrivals.
//!
//! Each person leaves after an exponential time with daily rate `lambda`
//! (`(1 - a)^(t/365)` survival), independently, so the process is
//! memoryless and can be sampled exactly at only the days that are asked
//! for. Each stretch between two such days is sampled with the cheaper of
//! two exact methods:
//!
//! - **death race**: draw the time to the next departure, Exp(n * lambda),
//!   one draw per departure; cheap when few leave in the stretch;
//! - **binomial thinning**: survivors of a stretch `dt` long are
//!   Binomial(n, exp(-lambda * dt)); one draw, cheap when many leave.
//!
//! Switching between them is exact because the process is memoryless.

use rand::RngExt;
use rand_distr::{Binomial, Distribution, Exp1};

use super::streams::StreamRng;

/// Personnel arriving on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub day: u32,
    pub size: u32,
}

/// Daily departure rate for a yearly attrition share `a` in [0, 1].
pub fn daily_rate(attrition_per_year: f64) -> f64 {
    if attrition_per_year >= 1.0 {
        f64::INFINITY
    } else {
        -(1.0 - attrition_per_year).ln() / 365.0
    }
}

/// Expected departures in a stretch above which one binomial draw (~50-70 ns)
/// beats one exponential draw per departure (~6-8 ns each).
const THINNING_ABOVE: f64 = 30.0;

/// Fills `out[k]` with the head count on day `days[k]` (sorted ascending):
/// `initial` people on day 0 plus `arrivals` (sorted by day), each leaving at
/// rate `lambda` per day. Someone arriving on day `d` is counted on day `d`.
pub fn strength_at(
    initial: u32,
    arrivals: &[Arrival],
    lambda: f64,
    days: &[u32],
    out: &mut [u32],
    rng: &mut StreamRng,
) {
    debug_assert_eq!(days.len(), out.len());
    if lambda.is_infinite() {
        // Everyone leaves at once: only same-day arrivals are ever counted.
        for (slot, &day) in out.iter_mut().zip(days) {
            let arriving: u32 = arrivals.iter().filter(|a| a.day == day).map(|a| a.size).sum();
            *slot = if day == 0 { initial + arriving } else { arriving };
        }
        return;
    }
    let mut process = Attrition {
        n: initial,
        t: 0.0,
        next_departure: None,
        lambda,
    };
    let mut next_arrival = 0;
    for (slot, &day) in out.iter_mut().zip(days) {
        while let Some(arrival) = arrivals.get(next_arrival).filter(|a| a.day <= day) {
            process.advance(f64::from(arrival.day), rng);
            process.arrive(arrival.size);
            next_arrival += 1;
        }
        process.advance(f64::from(day), rng);
        *slot = process.n;
    }
}

/// The state of one pure-death process.
struct Attrition {
    n: u32,
    /// Time the state refers to.
    t: f64,
    /// Time of the next departure, when the death race has drawn it.
    next_departure: Option<f64>,
    lambda: f64,
}

impl Attrition {
    /// Moves the process to time `to`, removing everyone who left by then.
    #[inline]
    fn advance(&mut self, to: f64, rng: &mut StreamRng) {
        if self.n == 0 || self.lambda <= 0.0 || to <= self.t {
            self.t = self.t.max(to);
            return;
        }
        let hazard = self.lambda * (to - self.t);
        if f64::from(self.n) * hazard > THINNING_ABOVE {
            // A drawn-but-unused departure time may be dropped: the choice
            // does not depend on its value, and waits are memoryless.
            self.next_departure = None;
            self.n = survivors(self.n, hazard, rng);
        } else {
            let mut next = self
                .next_departure
                .unwrap_or_else(|| self.t + exp1(rng) / (f64::from(self.n) * self.lambda));
            while next <= to {
                self.n -= 1;
                if self.n == 0 {
                    break;
                }
                next += exp1(rng) / (f64::from(self.n) * self.lambda);
            }
            self.next_departure = (self.n > 0).then_some(next);
        }
        self.t = to;
    }

    /// Adds arrivals at the current time.
    #[inline]
    fn arrive(&mut self, size: u32) {
        if let Some(next) = self.next_departure {
            // The residual wait of Exp(n λ), rescaled, is an Exp((n + size) λ) wait.
            let before = f64::from(self.n);
            self.next_departure = Some(self.t + (next - self.t) * before / (before + f64::from(size)));
        }
        self.n += size;
    }
}

/// Binomial(n, exp(-hazard)) survivors.
fn survivors(n: u32, hazard: f64, rng: &mut StreamRng) -> u32 {
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
fn exp1(rng: &mut StreamRng) -> f64 {
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

    fn mean_at_horizon(initial: u32, lambda: f64, days: &[u32], trials: u64) -> (f64, f64) {
        let mut out = vec![0; days.len()];
        let mut sum = 0.0;
        let mut sum_sq = 0.0;
        for trial in 0..trials {
            let mut rng = stream(11, trial, StreamId::of("test"));
            strength_at(initial, &[], lambda, days, &mut out, &mut rng);
            let v = f64::from(*out.last().unwrap());
            sum += v;
            sum_sq += v * v;
        }
        let mean = sum / trials as f64;
        (mean, (sum_sq / trials as f64 - mean * mean).sqrt())
    }

    /// Both methods give Binomial(n, s) survivors: mean within 4 standard errors.
    #[test]
    fn both_methods_match_the_survival_curve() {
        let lambda = daily_rate(0.3);
        let p = (1.0f64 - 0.3).powf(365.0 / 365.0);
        // Few asked days, many departures -> thinning; many days, few per day -> race.
        for (initial, days) in [(5000u32, vec![0u32, 365]), (40, (0..=365).collect::<Vec<_>>())] {
            let trials = 4000;
            let (mean, _) = mean_at_horizon(initial, lambda, &days, trials);
            let expected = f64::from(initial) * p;
            let se = (f64::from(initial) * p * (1.0 - p) / trials as f64).sqrt();
            assert!(
                (mean - expected).abs() < 4.0 * se,
                "n={initial}: mean {mean}, expected {expected} +- {se}"
            );
        }
    }

    #[test]
    fn arrivals_count_on_their_day_without_attrition() {
        let arrivals = [Arrival { day: 5, size: 10 }, Arrival { day: 9, size: 3 }];
        let days = [0, 4, 5, 8, 9, 20];
        let mut out = [0; 6];
        let mut rng = stream(0, 0, StreamId::of("t"));
        strength_at(2, &arrivals, 0.0, &days, &mut out, &mut rng);
        assert_eq!(out, [2, 2, 12, 12, 15, 15]);
    }

    #[test]
    fn counts_never_rise_between_arrivals() {
        let arrivals = [Arrival { day: 50, size: 300 }];
        let days: Vec<u32> = (0..=200).collect();
        let mut out = vec![0; days.len()];
        let mut rng = stream(3, 1, StreamId::of("t"));
        strength_at(1000, &arrivals, daily_rate(0.5), &days, &mut out, &mut rng);
        for k in 1..days.len() {
            if days[k] != 50 {
                assert!(out[k] <= out[k - 1]);
            }
        }
    }
}
