//! The contingents: each one's arrivals (pledge honoured, fulfilment,
//! waves), withdrawal and end-of-mission cut-offs, and their sums.
//!
//! The rules: docs/MODEL.md §2.3 to §2.5.

use super::rules::drawn_down;
use super::strength::Arrival;
use super::withdrawal::Withdrawal;
use super::{ContributorModel, Delivery, Key, Model, Trial};

impl Model {
    /// Each contingent's planned waves (cut off by `cutoff_all`, an end of
    /// mission, and the horizon), its withdrawal, and whether it is
    /// followed event by event (`trial.plans.followed`); those that are not have
    /// their waves cut off at their withdrawal day too, and their arrival
    /// days added to `jump_days`. Returns whether the ceiling or the fund
    /// can bind in this trial: then every contingent is followed, together
    /// (part of [`Model::run_keyed`]).
    #[inline(always)]
    pub(super) fn plan_contingents(&self, key: &Key, cutoff_all: u32, trial: &mut Trial) -> bool {
        let count = self.contributors.len();
        let plans = &mut trial.plans;
        plans.arrivals.resize_with(count, Vec::new);
        plans.cutoffs.resize(count, u32::MAX);
        plans.cancel_days.resize_with(count, Vec::new);
        trial.deliveries.resize(count, Delivery::default());
        plans.withdrawals.clear();
        plans.max_wait.clear();
        let mut most_present = 0u64;
        for (c, model) in self.contributors.iter().enumerate() {
            let anchor = match model.after {
                None => Some(0),
                Some(event) => trial.event_days[event],
            };
            let mut arrivals = std::mem::take(&mut plans.arrivals[c]);
            // The end of the mission does not end forces outside it.
            let cutoff = if model.outside { u32::MAX } else { cutoff_all };
            trial.deliveries[c] = self.plan_arrivals(model, key, anchor, || cutoff, &mut arrivals);
            let present = model.deployed > 0 || !arrivals.is_empty();
            // Drawn (each from its own stream) only where they can matter.
            plans
                .withdrawals
                .push(if present { Withdrawal::draw(model, key) } else { None });
            let waits = model.max_wait.as_ref().filter(|_| !arrivals.is_empty());
            plans.max_wait.push(waits.map(|w| w.once(key) as u32));
            self.cancel_days(&trial.shocks, key, c, arrivals.len(), &mut plans.cancel_days[c]);
            if !model.outside {
                most_present += u64::from(model.deployed) + arrivals.iter().map(|a| u64::from(a.size)).sum::<u64>();
            }
            plans.arrivals[c] = arrivals;
        }
        let gated = self.requires_gate || self.timeline.gated(&trial.event_days, most_present);
        trial.plans.followed.clear();
        for c in 0..count {
            let followed = gated || self.timeline.follows(c);
            trial.plans.followed.push(followed);
            if !followed {
                let cutoff = if self.contributors[c].outside {
                    u32::MAX
                } else {
                    cutoff_all
                };
                self.plan_own_days(c, cutoff, trial);
            }
        }
        gated
    }

    /// A contingent sampled on its own days: the shocks move, lapse or
    /// cancel its waves and speed its withdrawal, and its waves are cut off
    /// at its withdrawal day; their days join `jump_days`.
    fn plan_own_days(&self, c: usize, cutoff_all: u32, trial: &mut Trial) {
        let plans = &mut trial.plans;
        let mut withdrawal = plans.withdrawals[c];
        if let Some(w) = &mut withdrawal {
            self.shocked_withdrawal(&trial.shocks, c, w);
        }
        let withdrawal_day = withdrawal.map_or(u32::MAX, |w| w.day(self.horizon));
        let arrivals = &mut plans.arrivals[c];
        if !trial.shocks.is_empty() {
            let limit = cutoff_all.min(self.horizon.saturating_add(1));
            let shocked = Shocked {
                cancel: &plans.cancel_days[c],
                max_wait: plans.max_wait[c],
                limit,
            };
            trial.deliveries[c] = self.shock_waves(c, &trial.shocks, &shocked, arrivals, trial.deliveries[c]);
        }
        trial.deliveries[c] = cut_off(arrivals, withdrawal_day, trial.deliveries[c]);
        plans.cutoffs[c] = withdrawal_day;
        trial.jump_days.extend(arrivals.iter().map(|a| a.day));
    }

    /// Contributor `c`'s planned waves under the shocks: each held past
    /// every pause (lapsing when held longer than `max_wait`), cancelled
    /// when not come by its cancel day, dropped at `limit` (the end of
    /// mission, the horizon); says what the rest deliver (`planned`: what
    /// all would have).
    fn shock_waves(
        &self,
        c: usize,
        shocks: &[super::shocks::Shock],
        shocked: &Shocked,
        arrivals: &mut Vec<Arrival>,
        planned: Delivery,
    ) -> Delivery {
        let mut kept = 0;
        for k in 0..arrivals.len() {
            let wave = arrivals[k];
            let day = self.held_until(shocks, c, wave.day);
            let lapsed = shocked.max_wait.is_some_and(|wait| day - wave.day > wait);
            let cancelled = shocked.cancel.get(k).is_some_and(|&on| on <= day);
            if !(lapsed || cancelled || day >= shocked.limit) {
                arrivals[kept] = Arrival { day, size: wave.size };
                kept += 1;
            }
        }
        if kept == arrivals.len() {
            return planned;
        }
        arrivals.truncate(kept);
        Delivery {
            delivered: arrivals.iter().map(|a| a.size).sum(),
            last_wave_day: None,
        }
    }

    /// Day the contingent withdraws (`u32::MAX` if never, or if it has
    /// nobody to withdraw), as the trial draws it (docs/MODEL.md §2.4).
    pub(super) fn withdrawal_day(&self, model: &ContributorModel, key: &Key) -> u32 {
        Withdrawal::draw(model, key).map_or(u32::MAX, |w| w.day(self.horizon))
    }

    /// Sums the contingents' head counts, saturating like every head count.
    /// A head count never passes its contingent's `deployed` plus its
    /// arrivals; `most` is those added up over all contingents, so when it
    /// fits in a `u32`, no sum can saturate and plain additions (four at a
    /// time, where saturating ones take several instructions each) give
    /// the same sums.
    pub(super) fn sum_contributors(&self, trial: &mut Trial, most: u64) {
        let n = trial.days.len();
        trial.international.clear();
        trial.international.resize(n, 0);
        trial.international_police.clear();
        trial.international_police.resize(n, 0);
        trial.outside.clear();
        trial.all_forces.clear();
        if self.has_outside {
            trial.outside.resize(n, 0);
        }
        let plain = most <= u64::from(u32::MAX);
        for (c, model) in self.contributors.iter().enumerate() {
            if trial.empty[c] {
                continue;
            }
            let counts = &trial.contributor_strength[c * n..(c + 1) * n];
            if model.outside {
                add_counts(&mut trial.outside, counts, plain);
                continue;
            }
            add_counts(&mut trial.international, counts, plain);
            if model.police {
                add_counts(&mut trial.international_police, counts, plain);
            }
        }
        if self.has_outside {
            trial.all_forces.extend_from_slice(&trial.international);
            add_counts(&mut trial.all_forces, &trial.outside, plain);
        }
    }
}

/// What the shocks do to one contributor's waves: their cancel days, how
/// long one may wait, and the day from which none comes.
struct Shocked<'a> {
    cancel: &'a [u32],
    max_wait: Option<u32>,
    limit: u32,
}

/// Drops the waves due on or after `limit` (a withdrawal), and says what
/// the rest delivered (`planned`: what all of them would have).
fn cut_off(arrivals: &mut Vec<Arrival>, limit: u32, planned: Delivery) -> Delivery {
    let kept = arrivals.partition_point(|a| a.day < limit);
    if kept == arrivals.len() {
        return planned;
    }
    arrivals.truncate(kept);
    Delivery {
        delivered: arrivals.iter().map(|a| a.size).sum(),
        last_wave_day: None,
    }
}

/// Adds `counts` into `sums`, by `plain` additions (when no sum can pass
/// `u32::MAX`) or saturating ones.
#[inline(always)]
fn add_counts(sums: &mut [u32], counts: &[u32], plain: bool) {
    let pairs = sums.iter_mut().zip(counts);
    if plain {
        pairs.for_each(|(sum, &count)| *sum += count);
    } else {
        pairs.for_each(|(sum, &count)| *sum = sum.saturating_add(count));
    }
}

/// Zeroes the count from the withdrawal day, and scales it down through the
/// end-of-mission drawdown ([`drawn_down`]).
pub(super) fn apply_cutoffs(days: &[u32], out: &mut [u32], withdrawal_day: u32, end_mission: Option<(u32, u32)>) {
    let first_cut = withdrawal_day.min(end_mission.map_or(u32::MAX, |(end, _)| end));
    // Days before both cut-offs keep their counts.
    let from = days.partition_point(|&day| day < first_cut);
    for (slot, &day) in out[from..].iter_mut().zip(&days[from..]) {
        *slot = if day >= withdrawal_day {
            0
        } else {
            drawn_down(u64::from(*slot), day, end_mission) as u32
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Contingents' sums saturate at `u32::MAX` whichever way they are
    /// added: 50 contingents of 100 million each (with plain additions they
    /// would wrap; the scenario reader refuses them, so they are copied in
    /// after it), a few that cannot overflow (plain additions), and the two
    /// ways of `add_counts` alike wherever no sum passes `u32::MAX`.
    #[test]
    fn contingents_sums_saturate_like_every_head_count() {
        let contingents = |count: usize, deployed: u32| {
            let text = format!(
                "name = \"many\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\nstep = \"week\"\n\
                 [population]\ninitial = 1000000\n\
                 [[contributors]]\nname = \"C0\"\nkind = \"police\"\ndeployed = {deployed}\n"
            );
            let mut scenario = crate::scenario::parse_str(&text, "test.toml").expect("a valid scenario");
            let first = scenario.contributors[0].clone();
            scenario.contributors = (0..count)
                .map(|c| crate::scenario::Contributor {
                    name: format!("C{c}"),
                    ..first.clone()
                })
                .collect();
            let mut trial = Trial::default();
            Model::new(&scenario).run_trial(0, &mut trial);
            (trial.international[0], trial.international_police[0])
        };
        assert_eq!(contingents(50, 100_000_000), (u32::MAX, u32::MAX));
        assert_eq!(contingents(3, 100_000_000), (300_000_000, 300_000_000));
        let mut plain = vec![1, u32::MAX - 5, 7];
        let mut saturating = plain.clone();
        add_counts(&mut plain, &[2, 5, 0], true);
        add_counts(&mut saturating, &[2, 5, 0], false);
        assert_eq!(plain, saturating);
        add_counts(&mut saturating, &[0, 1, u32::MAX], false);
        assert_eq!(saturating, [3, u32::MAX, u32::MAX]);
    }
}
