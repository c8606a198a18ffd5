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
        trial.plans.arrivals.resize_with(count, Vec::new);
        trial.plans.cutoffs.resize(count, u32::MAX);
        trial.deliveries.resize(count, Delivery::default());
        trial.plans.withdrawals.clear();
        let mut most_present = 0u64;
        for (c, model) in self.contributors.iter().enumerate() {
            let anchor = match model.after {
                None => Some(0),
                Some(event) => trial.event_days[event],
            };
            let mut arrivals = std::mem::take(&mut trial.plans.arrivals[c]);
            trial.deliveries[c] = self.plan_arrivals(model, key, anchor, || cutoff_all, &mut arrivals);
            let present = model.deployed > 0 || !arrivals.is_empty();
            // Drawn (from its own stream) only for a contingent that has
            // someone to withdraw.
            trial
                .plans
                .withdrawals
                .push(if present { Withdrawal::draw(model, key) } else { None });
            most_present += u64::from(model.deployed) + arrivals.iter().map(|a| u64::from(a.size)).sum::<u64>();
            trial.plans.arrivals[c] = arrivals;
        }
        let gated = self.timeline.gated(&trial.event_days, most_present);
        trial.plans.followed.clear();
        for c in 0..count {
            let followed = gated || self.timeline.follows(c);
            trial.plans.followed.push(followed);
            if followed {
                continue;
            }
            let withdrawal_day = trial.plans.withdrawals[c].map_or(u32::MAX, |w| w.day(self.horizon));
            let arrivals = &mut trial.plans.arrivals[c];
            trial.deliveries[c] = cut_off(arrivals, withdrawal_day, trial.deliveries[c]);
            trial.plans.cutoffs[c] = withdrawal_day;
            trial.jump_days.extend(arrivals.iter().map(|a| a.day));
        }
        gated
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
        let plain = most <= u64::from(u32::MAX);
        for (c, model) in self.contributors.iter().enumerate() {
            if trial.empty[c] {
                continue;
            }
            let counts = &trial.contributor_strength[c * n..(c + 1) * n];
            add_counts(&mut trial.international, counts, plain);
            if model.police {
                add_counts(&mut trial.international_police, counts, plain);
            }
        }
    }
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
