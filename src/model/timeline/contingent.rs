//! One contingent followed event by event: its groups (the people who
//! came together and leave together at the end of their tour), departures
//! by attrition one at a time, withdrawal under a hazard that rises in
//! arrears, reliefs, and what its pledged waves brought (docs/MODEL.md
//! §2.10, §2.11, §2.13). It says when it next needs attention
//! ([`Contingent::next_event`]); on other days nothing about it changes.

use super::super::rules::drawn_down;
use super::super::streams::stream;
use super::super::strength::Departures;
use super::super::withdrawal::Withdrawal;
use super::super::{ContributorModel, Delivery, Key};
use super::Day;
use super::plan::{ContributorRules, CostRule};
use super::queue::{Pending, Queue};

/// People who arrived together: they leave together at the end of their
/// tour, and their relief is formed on `relief_on`.
#[derive(Debug, Clone, Copy)]
struct Group {
    size: u32,
    leaves: u32,
    relief_on: u32,
}

/// The tour rules drawn for this trial.
#[derive(Debug, Clone, Copy)]
struct Tour {
    days: u32,
    relief: f64,
    gap: i64,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Contingent {
    groups: Vec<Group>,
    /// People present (before any end-of-mission drawdown).
    pub(super) present: u32,
    /// Attrition, departure by departure.
    departures: Departures,
    pub(super) withdrawal: Option<Withdrawal>,
    /// The day it withdraws (`None`: not within the horizon).
    withdrawal_day: Option<u32>,
    pub(super) withdrawn: bool,
    tour: Option<Tour>,
    /// USD per person-month: `None` for the fund's default.
    own_cost: Option<f64>,
    /// Each capability kind's number that has arrived.
    capabilities: Vec<u64>,
    /// Per pledged wave: (capability, number) it brings.
    wave_capabilities: Vec<Vec<(usize, u64)>>,
    planned_total: u32,
    planned_complete: bool,
    /// Outside the mission: no end-of-mission drawdown.
    outside: bool,
    delivered: u32,
    last_arrival: Option<u32>,
}

impl Contingent {
    /// The state on day 0: the deployed group and this trial's draws.
    pub(super) fn start(
        &mut self,
        model: &ContributorModel,
        rules: &ContributorRules,
        key: &Key,
        lambda: f64,
        kinds: usize,
    ) {
        self.groups.clear();
        self.tour = rules.rotation.as_ref().map(|r| Tour {
            days: r.tour.once(key) as u32,
            relief: r.relief.once(key),
            gap: r.gap.once(key) as i64,
        });
        let first = rules.rotation.as_ref().map(|r| match &r.first {
            Some(first) => first.once(key) as u32,
            None => r.tour.once(key) as u32,
        });
        self.present = model.deployed;
        self.outside = model.outside;
        if model.deployed > 0 {
            let leaves = first.unwrap_or(u32::MAX);
            self.groups.push(Group {
                size: model.deployed,
                leaves,
                relief_on: self.relief_day(leaves, 0),
            });
        }
        self.departures = Departures::new(lambda, stream(key.seed, key.index, model.process), self.present);
        self.withdrawal = None;
        self.withdrawal_day = None;
        self.withdrawn = false;
        self.own_cost = match &rules.cost {
            CostRule::Default => None,
            CostRule::Own(cost) => Some(cost.once(key)),
            CostRule::Outside => Some(0.0),
        };
        self.capabilities.clear();
        self.capabilities.resize(kinds, 0);
        self.delivered = 0;
        self.last_arrival = None;
    }

    /// Notes the planned waves (those before the end of mission and the
    /// horizon) and what each brings: a capability's number is split over
    /// the `waves` like people, earlier waves taking the remainder.
    pub(super) fn plan(
        &mut self,
        waves: &[super::super::strength::Arrival],
        planned: Delivery,
        rules: &[(usize, u64)],
        formed: u32,
    ) {
        self.planned_total = waves.iter().map(|w| w.size).sum();
        self.planned_complete = planned.last_wave_day.is_some();
        self.wave_capabilities.clear();
        let formed = u64::from(formed.max(1));
        for wave in 0..waves.len() as u64 {
            let share = rules
                .iter()
                .map(|&(kind, number)| (kind, number / formed + u64::from(wave < number % formed)))
                .collect();
            self.wave_capabilities.push(share);
        }
    }

    /// The day a group leaving on `leaves` forms its relief: that day, or
    /// earlier by the overlap, never before `earliest` (day 0 for the group
    /// deployed on day 0, whose departures come first; the day after for
    /// an arrival, as the day's departures have passed when it comes).
    fn relief_day(&self, leaves: u32, earliest: u32) -> u32 {
        let gap = self.tour.map_or(0, |t| t.gap.min(0));
        let day = (i64::from(leaves) + gap).max(i64::from(earliest));
        day.clamp(0, i64::from(u32::MAX)) as u32
    }

    /// Sets the contingent's drawn withdrawal (if it has anyone to withdraw).
    pub(super) fn set_withdrawal(&mut self, withdrawal: Option<Withdrawal>, horizon: u32) {
        self.withdrawal = withdrawal;
        self.withdrawal_day = withdrawal.map(|w| w.day(horizon)).filter(|&day| day != u32::MAX);
    }

    /// From day `day` on, the withdrawal hazard is `factor` times its rate
    /// (a day that starts in arrears, docs/MODEL.md §2.12).
    pub(super) fn set_withdrawal_factor(&mut self, day: u32, factor: f64, horizon: u32) {
        if let Some(w) = &mut self.withdrawal
            && !self.withdrawn
        {
            w.set_factor(day, factor);
            self.withdrawal_day = Some(w.day(horizon)).filter(|&day| day != u32::MAX);
        }
    }

    /// The next day after `today` on which something about it changes by
    /// itself: a departure, its withdrawal, a relief formed or a tour's end
    /// (`u32::MAX`: none). Arrivals are the queue's.
    pub(super) fn next_event(&self, today: u32) -> u32 {
        if self.withdrawn {
            return u32::MAX;
        }
        let departure = self.departures.next_day();
        let mut next = departure.min(self.withdrawal_day.unwrap_or(u32::MAX));
        if self.departures.all_at_once() && self.present > 0 {
            // Everyone who came today leaves tomorrow.
            next = next.min(today.saturating_add(1));
        }
        for group in &self.groups {
            if group.relief_on > today {
                next = next.min(group.relief_on);
            }
            next = next.min(group.leaves);
        }
        next.max(today.saturating_add(1))
    }

    /// Day `day`'s departures, before anyone arrives: withdrawal,
    /// attrition, and the groups whose tour ends; reliefs formed today
    /// join `queue`.
    pub(super) fn depart(&mut self, day: u32, queue: &mut Queue, c: usize) {
        if self.withdrawn {
            return;
        }
        if self.withdrawal_day.is_some_and(|withdraws| day >= withdraws) {
            self.withdrawn = true;
            self.groups.clear();
            self.present = 0;
            queue.drop_contributor(c);
            return;
        }
        if self.departures.all_at_once() && day > 0 {
            // Everyone leaves at once: counted only on the day they came.
            self.groups.clear();
            self.present = 0;
        } else {
            self.attrition(day);
            self.rotate(day, queue, c);
        }
        self.release_capabilities(queue, c);
    }

    /// The capabilities leave with the last person, unless a relief is on
    /// its way (a rotation with a gap): later pledged waves bring only their
    /// own (docs/MODEL.md §2.13).
    pub(super) fn release_capabilities(&mut self, queue: &Queue, c: usize) {
        if self.present == 0 && self.capabilities.iter().any(|&n| n > 0) && !queue.has_relief(c) {
            self.capabilities.fill(0);
        }
    }

    /// Attrition up to `day`: each person who leaves is taken from a group
    /// chosen in proportion to its size (memoryless, so exact).
    fn attrition(&mut self, day: u32) {
        let groups = &mut self.groups;
        self.departures.leave_until(day, &mut self.present, |mut pick| {
            for group in groups.iter_mut() {
                if pick < group.size {
                    group.size -= 1;
                    break;
                }
                pick -= group.size;
            }
        });
    }

    /// Forms the reliefs due today and lets the groups whose tour ends go.
    fn rotate(&mut self, day: u32, queue: &mut Queue, c: usize) {
        let Some(tour) = self.tour else { return };
        let mut left = 0;
        for group in &self.groups {
            if group.relief_on == day {
                let size = (f64::from(group.size) * tour.relief).round() as u32;
                let due = (i64::from(group.leaves) + tour.gap).max(i64::from(day));
                if size > 0 && due <= i64::from(u32::MAX) {
                    let wave = None;
                    let (due, contributor) = (due as u32, c);
                    queue.push(Pending {
                        due,
                        contributor,
                        size,
                        wave,
                    });
                }
            }
            if group.leaves == day {
                left += group.size;
            }
        }
        if left > 0 {
            self.groups.retain(|g| g.leaves != day);
            self.present -= left;
            self.departures.restart(f64::from(day), self.present);
        }
    }

    /// `size` people arrive on `day` (of pledged wave `wave`, or a relief).
    pub(super) fn arrive(&mut self, day: u32, size: u32, wave: Option<u32>) {
        let leaves = self.tour.map_or(u32::MAX, |t| day.saturating_add(t.days.max(1)));
        let relief_on = self.relief_day(leaves, day.saturating_add(1));
        self.groups.push(Group {
            size,
            leaves,
            relief_on,
        });
        self.present = self.present.saturating_add(size);
        if let Some(wave) = wave {
            self.delivered += size;
            self.last_arrival = Some(day);
            if let Some(brought) = self.wave_capabilities.get_mut(wave as usize) {
                for (kind, number) in brought.drain(..) {
                    self.capabilities[kind] += number;
                }
            }
        }
        self.departures.restart(f64::from(day), self.present);
    }

    /// The head count shown on `today`: nobody after withdrawal, scaled
    /// down through an end-of-mission drawdown.
    pub(super) fn shown(&self, today: &Day) -> u32 {
        if self.withdrawn {
            return 0;
        }
        drawn_down(self.present.into(), today.day, self.end(today)) as u32
    }

    /// The end of mission that scales this contingent on `today` (none for
    /// a force outside the mission).
    fn end(&self, today: &Day) -> Option<(u32, u32)> {
        today.end.filter(|_| !self.outside)
    }

    /// USD per person-month charged for this contingent.
    pub(super) fn cost(&self, default: f64) -> f64 {
        self.own_cost.unwrap_or(default)
    }

    /// Adds its capabilities present on `today` to `sums` (per kind),
    /// while anyone is there.
    pub(super) fn add_capabilities(&self, today: &Day, shown: u32, sums: &mut [u32]) {
        if shown == 0 {
            return;
        }
        for (sum, &number) in sums.iter_mut().zip(&self.capabilities) {
            *sum = sum.saturating_add(drawn_down(number, today.day, self.end(today)).min(u64::from(u32::MAX)) as u32);
        }
    }

    /// Capability `kind`'s number it has present on `today` (scaled through
    /// a drawdown, like its people), while anyone of it is there.
    pub(super) fn capability_present(&self, kind: usize, today: &Day) -> u64 {
        if self.shown(today) == 0 {
            return 0;
        }
        self.capabilities
            .get(kind)
            .map_or(0, |&n| drawn_down(n, today.day, self.end(today)))
    }

    /// Whether any of its pledged waves has come.
    pub(super) fn has_delivered(&self) -> bool {
        self.delivered > 0
    }

    /// What its pledged waves delivered, and the day the last came if all did.
    pub(super) fn delivery(&self) -> Delivery {
        let complete = self.planned_complete && self.planned_total > 0 && self.delivered == self.planned_total;
        Delivery {
            delivered: self.delivered,
            last_wave_day: self.last_arrival.filter(|_| complete),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A contingent that rotates 1:1 with these tour rules and no attrition.
    fn rotating(days: u32, gap: i64) -> Contingent {
        Contingent {
            tour: Some(Tour { days, relief: 1.0, gap }),
            ..Contingent::default()
        }
    }

    /// A group that arrives on day 0 forms its relief as one arriving on any
    /// other day does: on its tour's last day less the overlap, and never
    /// on the day it came (whose departures have passed).
    #[test]
    fn an_arrival_on_day_0_is_relieved_like_any_other() {
        for (gap, relief_on) in [(-3, 7), (0, 10), (-10, 1)] {
            for came in [0, 4] {
                let mut c = rotating(10, gap);
                let mut queue = Queue::default();
                c.depart(came, &mut queue, 0);
                c.arrive(came, 20, Some(0));
                let mut formed = None;
                for day in came + 1..=came + 10 {
                    c.depart(day, &mut queue, 0);
                    if formed.is_none() && queue.has_relief(0) {
                        formed = Some(day - came);
                    }
                }
                assert_eq!(formed, Some(relief_on), "gap {gap}, came on day {came}");
                assert_eq!(c.present, 0, "the group left at the end of its tour");
            }
        }
    }

    /// The capabilities leave with the last person unless a relief is on
    /// its way; a pledged wave then brings only its own.
    #[test]
    fn capabilities_leave_with_the_last_person_unless_a_relief_comes() {
        for (relief, kept) in [(1.0, 3), (0.0, 0)] {
            let mut c = rotating(10, 5);
            c.tour = Some(Tour {
                days: 10,
                relief,
                gap: 5,
            });
            c.capabilities = vec![0];
            c.wave_capabilities = vec![vec![(0, 3)], vec![(0, 2)]];
            let mut queue = Queue::default();
            c.arrive(0, 20, Some(0));
            for day in 1..=10 {
                c.depart(day, &mut queue, 0);
            }
            assert_eq!((c.present, c.capabilities[0]), (0, kept), "relief {relief}");
            c.arrive(12, 20, Some(1));
            assert_eq!(c.capabilities[0], kept + 2, "relief {relief}");
        }
    }
}
