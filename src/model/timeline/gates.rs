//! What holds an arrival back or drops it, and what changes a withdrawal
//! hazard, beyond room and money: the shocks of a trial (a pause, a raised
//! hazard, a cancelled pledge), a pledge's `max_wait_days`, and what a
//! contributor `requires` (docs/MODEL.md §2.14).

use super::super::Model;
use super::super::shocks::Shock;
use super::contingent::Contingent;
use super::fund::Fund;
use super::queue::Pending;
use super::{Buffers, Course, Day};
use crate::scenario::Requirement;

impl Model {
    /// The days of this trial on which a shock starts or ends or an event
    /// some contributor requires happens, ascending: on each the walk
    /// stops, to find the hazards again and offer what waits its place.
    pub(super) fn marked_days(&self, course: &Course) -> Vec<u32> {
        if course.shocks.is_empty() && !self.requires_gate {
            return Vec::new();
        }
        let mut days: Vec<u32> = course.shocks.iter().flat_map(|s| [s.start, s.end]).collect();
        for model in &self.contributors {
            for requirement in &model.requires {
                if let Requirement::Event(e) = *requirement
                    && let Some(day) = course.event_days.get(e).copied().flatten()
                {
                    days.push(day);
                }
            }
        }
        days.retain(|&day| day <= self.horizon);
        days.sort_unstable();
        days.dedup();
        days
    }

    /// From `day` on, each followed contingent's withdrawal hazard is its
    /// rate times `arrears` (the arrears factor in force; not for forces
    /// outside the mission, which the fund does not pay) times the factors
    /// of the raise_withdrawal shocks that hit it that day.
    pub(super) fn set_withdrawal_factors(&self, day: u32, arrears: f64, shocks: &[Shock], buffers: &mut Buffers) {
        for &c in &buffers.followed {
            let own = if self.contributors[c].outside { 1.0 } else { arrears };
            let factor = own * self.shock_factor(shocks, c, day);
            buffers.contingents[c].set_withdrawal_factor(day, factor, self.horizon);
            buffers.touched[c] = true;
        }
    }

    /// Whether a pause of contributor `c` holds on `day`.
    pub(super) fn paused(&self, shocks: &[Shock], c: usize, day: u32) -> bool {
        shocks
            .iter()
            .any(|s| self.in_force(s, crate::scenario::Effect::PauseArrivals, c, day))
    }

    /// Whether `pending`, a pledged wave offered its place on `day`, never
    /// comes: it has waited longer than its `max_wait_days` (for a pause,
    /// its requirements, room or money), or a shock cancelled it on or
    /// before `day`. A relief neither lapses nor is cancelled.
    pub(super) fn lapsed(&self, plans: &super::super::rules::Plans, pending: &Pending, day: u32) -> bool {
        let Some(wave) = pending.wave else {
            return false;
        };
        let c = pending.contributor;
        let waited_too_long = plans
            .max_wait
            .get(c)
            .copied()
            .flatten()
            .is_some_and(|most| day - pending.due > most);
        let cancelled = plans
            .cancel_days
            .get(c)
            .and_then(|days| days.get(wave as usize))
            .is_some_and(|&on| on <= day);
        waited_too_long || cancelled
    }

    /// Whether every condition contributor `c` `requires` holds on `today`,
    /// as things stand when its arrival is offered: the event has happened
    /// (on or before today), the capability's number present (while anyone
    /// of its contingent is) is at least K, the named contributor has
    /// people in the mission (deployed on day 0 or a pledged wave come),
    /// the fund covers at least M months at the cost noted last (after
    /// payers outside; none without a fund).
    pub(super) fn requires_hold(
        &self,
        c: usize,
        today: &Day,
        event_days: &[Option<u32>],
        contingents: &[Contingent],
        money: Option<(&Fund, f64)>,
    ) -> bool {
        self.contributors[c]
            .requires
            .iter()
            .all(|requirement| match *requirement {
                Requirement::Event(e) => event_days.get(e).copied().flatten().is_some_and(|d| d <= today.day),
                Requirement::Capability { kind, at_least } => {
                    let present: u64 = contingents.iter().map(|c| c.capability_present(kind, today)).sum();
                    present >= at_least
                }
                Requirement::Arrived(x) => self.contributors[x].deployed > 0 || contingents[x].has_delivered(),
                Requirement::CoverMonths(months) => money.is_some_and(|(fund, monthly)| {
                    let cost = monthly * (1.0 - fund.outside_share(today.day));
                    super::history::months_of_cover(fund.balance, cost) >= months
                }),
            })
    }
}

/// Moves `at` past the marks up to `day`; says whether one is `day`.
pub(super) fn passes(marks: &[u32], at: &mut usize, day: u32) -> bool {
    let mut hit = false;
    while let Some(&mark) = marks.get(*at).filter(|&&m| m <= day) {
        hit |= mark == day;
        *at += 1;
    }
    hit
}
