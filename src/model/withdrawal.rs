//! Withdrawal: a contingent leaves whole on the day its summed hazard
//! reaches an Exp(1) wait, the crossing time rounded to the nearest day.
//! The hazard is the contributor's daily rate, times the arrears factor on
//! the days that start in arrears (docs/MODEL.md §2.4, §2.12). Both the
//! contingents sampled on their own days and those followed event by
//! event take their withdrawal day from here.

use rand_distr::{Distribution, Exp1};

use super::streams::stream;
use super::strength::daily_rate;
use super::{ContributorModel, Key};

/// A contingent's drawn withdrawal: its base daily rate and its Exp(1)
/// wait, and the hazard spent so far under the rate in force.
#[derive(Debug, Clone, Copy)]
pub struct Withdrawal {
    /// The base daily hazard (infinite for `withdrawal_per_year` >= 1).
    rate: f64,
    /// The Exp(1) wait the summed hazard is measured against.
    wait: f64,
    /// The day from which `factor` holds, and the hazard spent before it.
    from: u32,
    spent: f64,
    factor: f64,
    /// The (continuous) time the summed hazard reaches the wait.
    crossing: f64,
}

impl Withdrawal {
    /// The contingent's withdrawal, drawn from its `withdrawal_time`
    /// stream (or, correlated, the copula's wait); `None` when it never
    /// withdraws (`withdrawal_per_year` <= 0).
    pub(super) fn draw(model: &ContributorModel, key: &Key) -> Option<Withdrawal> {
        let per_year = model.withdrawal.once(key);
        if per_year <= 0.0 {
            return None;
        }
        let rate = daily_rate(per_year);
        // A correlated wait comes from the copula (docs/MODEL.md §1.7).
        let wait = match model.wait_slot.and_then(|slot| key.correlated.get(slot)) {
            Some(&wait) => wait,
            None => Exp1.sample(&mut stream(key.seed, key.index, model.withdrawal_time)),
        };
        let mut withdrawal = Withdrawal {
            rate,
            wait,
            from: 0,
            spent: 0.0,
            factor: 1.0,
            crossing: 0.0,
        };
        withdrawal.crossing = withdrawal.cross();
        Some(withdrawal)
    }

    /// When the hazard, at `rate × factor` from day `from` on, reaches
    /// the wait: `from + (wait − spent) / (rate × factor)` (just `wait /
    /// rate` from day 0 at the base rate).
    fn cross(&self) -> f64 {
        let remaining = (self.wait - self.spent).max(0.0);
        f64::from(self.from) + remaining / (self.rate * self.factor)
    }

    /// The withdrawal day: the crossing rounded to the nearest day (halves
    /// away from zero); `u32::MAX` when past `horizon`.
    pub fn day(&self, horizon: u32) -> u32 {
        let day = self.crossing.round();
        if day > f64::from(horizon) { u32::MAX } else { day as u32 }
    }

    /// From day `day` on, the hazard is `factor` times the base rate (the
    /// day starts in arrears, or no longer does). A crossing already
    /// passed (before `day`) stands.
    pub(super) fn set_factor(&mut self, day: u32, factor: f64) {
        if factor == self.factor || self.crossing < f64::from(day) {
            return;
        }
        if self.rate.is_finite() {
            self.spent += f64::from(day - self.from) * self.rate * self.factor;
        }
        self.from = day;
        self.factor = factor;
        self.crossing = self.cross();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn withdrawal(rate: f64, wait: f64) -> Withdrawal {
        let mut w = Withdrawal {
            rate,
            wait,
            from: 0,
            spent: 0.0,
            factor: 1.0,
            crossing: 0.0,
        };
        w.crossing = w.cross();
        w
    }

    /// At the base rate the day is `round(wait / rate)`, to the bit.
    #[test]
    fn at_the_base_rate_the_day_is_the_wait_over_the_rate_rounded() {
        for (rate, wait) in [(0.01, 0.044), (0.01, 0.046), (1e-4, 3.7), (0.3, 0.01)] {
            let w = withdrawal(rate, wait);
            assert_eq!(w.day(100_000), (wait / rate).round() as u32);
        }
        assert_eq!(withdrawal(0.01, 50.0).day(100), u32::MAX);
        assert_eq!(withdrawal(f64::INFINITY, 0.7).day(100), 0);
    }

    /// A factor from day s: the hazard summed to s at the base rate, then
    /// `k` times faster: withdrawn on the day nearest the crossing.
    #[test]
    fn a_factor_speeds_the_rest_of_the_wait() {
        // rate 0.01, wait 0.5: day 50 at the base rate. From day 10 at 4x:
        // 0.1 spent by day 10, 0.4 left at 0.04 a day: 10 more days.
        let mut w = withdrawal(0.01, 0.5);
        w.set_factor(10, 4.0);
        assert_eq!(w.day(1000), 20);
        // Back to the base rate on day 15: 0.2 spent since, 0.2 left: 20 days.
        w.set_factor(15, 1.0);
        assert_eq!(w.day(1000), 35);
        // A crossing already passed stands.
        let mut w = withdrawal(0.01, 0.5);
        w.set_factor(60, 4.0);
        assert_eq!(w.day(1000), 50);
    }
}
