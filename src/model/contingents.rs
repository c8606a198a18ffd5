//! The contingents: each one's arrivals (pledge honoured, fulfilment,
//! waves), withdrawal and end-of-mission cut-offs, and their sums.
//!
//! The rules: docs/MODEL.md §2.3 to §2.5.

use super::streams::stream;
use super::strength::{Arrival, daily_rate};
use super::{ContributorModel, Delivery, Key, Model, Trial};

impl Model {
    /// Each contingent's arrivals, delivery and withdrawal day (arrivals
    /// end by `cutoff_all`, an end of mission), and the days it arrives
    /// added to `jump_days` (part of [`Model::run_keyed`]).
    #[inline(always)]
    pub(super) fn plan_contingents(&self, key: &Key, cutoff_all: u32, trial: &mut Trial) {
        trial.arrivals.resize_with(self.contributors.len(), Vec::new);
        trial.cutoffs.resize(self.contributors.len(), u32::MAX);
        trial.deliveries.resize(self.contributors.len(), Delivery::default());
        for (c, model) in self.contributors.iter().enumerate() {
            let anchor = match model.after {
                None => Some(0),
                Some(event) => trial.event_days[event],
            };
            // The withdrawal day is drawn (from its own streams) only for a
            // contingent that has someone to withdraw.
            let mut withdrawal = None;
            let mut withdrawal_day = || *withdrawal.get_or_insert_with(|| self.withdrawal_day(model, key));
            let mut arrivals = std::mem::take(&mut trial.arrivals[c]);
            let cutoff = || withdrawal_day().min(cutoff_all);
            trial.deliveries[c] = self.plan_arrivals(model, key, anchor, cutoff, &mut arrivals);
            let present = model.deployed > 0 || !arrivals.is_empty();
            trial.cutoffs[c] = if present { withdrawal_day() } else { u32::MAX };
            trial.jump_days.extend(arrivals.iter().map(|a| a.day));
            trial.arrivals[c] = arrivals;
        }
    }

    /// Day the contingent withdraws (`u32::MAX` if never): an exponential
    /// wait with `P(within 365 days) = withdrawal_per_year`, rounded to the
    /// nearest day like every drawn day (halves away from zero).
    pub(super) fn withdrawal_day(&self, model: &ContributorModel, key: &Key) -> u32 {
        let index = key.index;
        let per_year = model.withdrawal.once(key);
        if per_year <= 0.0 {
            return u32::MAX;
        }
        let rate = daily_rate(per_year);
        if rate.is_infinite() {
            return 0;
        }
        let wait: f64 =
            rand_distr::Distribution::sample(&rand_distr::Exp1, &mut stream(self.seed, index, model.withdrawal_time));
        let day = (wait / rate).round();
        if day > f64::from(self.horizon) {
            u32::MAX
        } else {
            day as u32
        }
    }

    /// Fills `arrivals` with the waves that arrive before `cutoff()` (asked
    /// only when something is to arrive) and within the horizon, and says
    /// what was delivered.
    pub(super) fn plan_arrivals(
        &self,
        model: &ContributorModel,
        key: &Key,
        anchor: Option<u32>,
        cutoff: impl FnOnce() -> u32,
        arrivals: &mut Vec<Arrival>,
    ) -> Delivery {
        arrivals.clear();
        let (seed, index) = (key.seed, key.index);
        let Some(anchor) = anchor else {
            return Delivery::default();
        };
        if model.pledged == 0 || !model.honoured.happens(seed, index) {
            return Delivery::default();
        }
        let total = pledged_total(model, key);
        if total == 0 {
            return Delivery::default();
        }
        let waves = model.waves;
        let mut day = u64::from(anchor) + model.first_arrival.once(key) as u64;
        let mut gaps = model.interval.many(seed, index);
        let limit = u64::from(cutoff().min(self.horizon.saturating_add(1)));
        let mut delivered = 0;
        let mut last_wave_day = None;
        for wave in 0..waves {
            if wave > 0 {
                day += gaps.next() as u64;
            }
            let size = total / waves + u32::from(wave < total % waves);
            if size == 0 {
                break;
            }
            if day >= limit {
                last_wave_day = None;
                break;
            }
            arrivals.push(Arrival { day: day as u32, size });
            delivered += size;
            last_wave_day = Some(day as u32);
        }
        let complete = delivered == total;
        Delivery {
            delivered,
            last_wave_day: last_wave_day.filter(|_| complete),
        }
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

/// The people a contributor's honoured pledge delivers in this trial
/// (`round(pledged × fulfilment)`, §2.3), before any cut-off.
pub(super) fn pledged_total(model: &ContributorModel, key: &Key) -> u32 {
    (f64::from(model.pledged) * model.fulfilment.once(key)).round() as u32
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
/// end-of-mission drawdown: `floor(n * max(0, 1 - (d - e) / drawdown))`.
pub(super) fn apply_cutoffs(days: &[u32], out: &mut [u32], withdrawal_day: u32, end_mission: Option<(u32, u32)>) {
    let first_cut = withdrawal_day.min(end_mission.map_or(u32::MAX, |(end, _)| end));
    // Days before both cut-offs keep their counts.
    let from = days.partition_point(|&day| day < first_cut);
    for (slot, &day) in out[from..].iter_mut().zip(&days[from..]) {
        if day >= withdrawal_day {
            *slot = 0;
        } else if let Some((end, drawdown)) = end_mission
            && day >= end
        {
            // Whole-number arithmetic: n * (D - k) / D, rounded down, exactly.
            let elapsed = day - end;
            *slot = if elapsed >= drawdown {
                0
            } else {
                (u64::from(*slot) * u64::from(drawdown - elapsed) / u64::from(drawdown)) as u32
            };
        }
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
