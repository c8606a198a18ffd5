//! The walk's working state between days: which contingents are followed,
//! each one's next day and count as last noted, and which changed today,
//! so that a day visits only the contingents it concerns.

use super::plan::Plan;
use super::{Buffers, Day};

impl Buffers {
    /// Ready to walk the contributors marked in `followed` from day 0.
    pub(super) fn start_walk(&mut self, followed: &[bool], plan: &Plan) {
        let count = followed.len();
        self.followed.clear();
        self.followed.extend((0..count).filter(|&c| followed[c]));
        self.with_capabilities.clear();
        let rules = &plan.contributors;
        let brings = |c: usize| rules.get(c).is_some_and(|r| !r.capabilities.is_empty());
        self.with_capabilities
            .extend(self.followed.iter().copied().filter(|&c| brings(c)));
        self.capabilities_of.clear();
        self.capabilities_of.extend((0..count).map(brings));
        self.next.clear();
        self.next.resize(count, u32::MAX);
        self.shown.clear();
        self.shown.resize(count, 0);
        self.touched.clear();
        self.touched.resize(count, false);
        // Day 0 visits everyone.
        for &c in &self.followed {
            self.next[c] = 0;
        }
    }

    /// From `day` on, every followed contingent's withdrawal hazard is
    /// `factor` times its rate; each finds its withdrawal day again.
    pub(super) fn set_withdrawal_factor(&mut self, day: u32, factor: f64, horizon: u32) {
        for &c in &self.followed {
            self.contingents[c].set_withdrawal_factor(day, factor, horizon);
            self.touched[c] = true;
        }
    }

    /// The departures of `day` of every contingent with something due then
    /// (or touched before its departures).
    pub(super) fn depart(&mut self, day: u32) {
        for &c in &self.followed {
            if self.next[c] <= day || self.touched[c] {
                self.contingents[c].depart(day, &mut self.queue, c);
                self.touched[c] = true;
            }
        }
    }

    /// Every followed contingent changed today.
    pub(super) fn touch_all(&mut self) {
        for &c in &self.followed {
            self.touched[c] = true;
        }
    }

    /// Notes the count of each contingent that changed today, finds its
    /// next day, and notes the capabilities present. Returns whether any
    /// changed.
    pub(super) fn note_touched(&mut self, today: &Day) -> bool {
        let (mut any, mut capabilities) = (false, false);
        for &c in &self.followed {
            if !self.touched[c] {
                continue;
            }
            self.touched[c] = false;
            any = true;
            capabilities |= self.capabilities_of[c];
            let contingent = &mut self.contingents[c];
            // An arrival turned away may have been the relief that kept
            // the capabilities of a contingent with nobody left.
            contingent.release_capabilities(&self.queue, c);
            self.shown[c] = contingent.shown(today);
            self.history.note_count(c, today.day, self.shown[c]);
            self.next[c] = contingent.next_event(today.day);
        }
        if capabilities {
            self.capability_sums.fill(0);
            for &c in &self.with_capabilities {
                self.contingents[c].add_capabilities(today, self.shown[c], &mut self.capability_sums);
            }
            self.history.note_capabilities(today.day, &self.capability_sums);
        }
        any
    }

    /// What today's counts cost a month, before any payer outside.
    pub(super) fn monthly_cost(&self, today: &Day) -> f64 {
        let mut monthly = 0.0;
        for &c in &self.followed {
            monthly += f64::from(self.shown[c]) * self.contingents[c].cost(today.default_cost);
        }
        monthly
    }
}
