//! The same exponential lifetimes (docs/MODEL.md §2.7), sampled departure
//! by departure for a contingent followed event by event: the time to the
//! next departure is `Exp(n λ)` for the `n` present, drawn again whenever
//! anyone arrives or leaves (exact, as the lifetime is memoryless), and the
//! one who leaves is picked uniformly among those present. Nothing is drawn
//! to look at the count, so others may look at any day without changing it.

use rand_distr::{Distribution, Exp1};

use super::super::streams::StreamRng;
use super::unit;

/// The departures of one contingent: its daily rate, its stream and when
/// the next person leaves.
#[derive(Debug, Default, Clone)]
pub struct Departures {
    lambda: f64,
    rng: Option<StreamRng>,
    /// When the next person leaves (continuous days; infinite: nobody).
    next: f64,
}

impl Departures {
    /// Departures at daily rate `lambda` from `rng`, with `present` people on day 0.
    pub fn new(lambda: f64, rng: StreamRng, present: u32) -> Departures {
        let mut departures = Departures {
            lambda,
            rng: Some(rng),
            next: f64::INFINITY,
        };
        departures.restart(0.0, present);
        departures
    }

    /// True when everyone leaves at once (`attrition_per_year` >= 1).
    pub fn all_at_once(&self) -> bool {
        self.lambda.is_infinite()
    }

    /// Draws the next departure anew from time `from`, `present` people there.
    pub fn restart(&mut self, from: f64, present: u32) {
        self.next = match &mut self.rng {
            Some(rng) if present > 0 && self.lambda > 0.0 && self.lambda.is_finite() => {
                let wait: f64 = Exp1.sample(rng);
                from + wait / (f64::from(present) * self.lambda)
            }
            _ => f64::INFINITY,
        };
    }

    /// The day the next person leaves (counted from the first whole day at
    /// or after the departure time), `u32::MAX` if nobody will.
    pub fn next_day(&self) -> u32 {
        if self.next.is_finite() {
            self.next.ceil().min(f64::from(u32::MAX)) as u32
        } else {
            u32::MAX
        }
    }

    /// Everyone whose departure time is at most `day` leaves, one at a
    /// time: `leave(k)` takes the k-th of the `present` (0-based, in the
    /// caller's order), which it lowers by one.
    pub fn leave_until(&mut self, day: u32, present: &mut u32, mut leave: impl FnMut(u32)) {
        while self.next <= f64::from(day) && *present > 0 {
            let Some(rng) = self.rng.as_mut() else { return };
            let pick = (unit(rng) * f64::from(*present)) as u32;
            leave(pick);
            *present -= 1;
            let at = self.next;
            self.restart(at, *present);
        }
    }
}
