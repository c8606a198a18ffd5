//! The fund in one trial: payments in, freezes, who pays outside it, and
//! the daily cost it pays or owes, a day or a stretch of days at a time
//! (docs/MODEL.md §2.12).

use super::super::Key;
use super::super::shocks::Shock;
use super::plan::FundRules;
use crate::scenario::Effect;

/// A payment into the fund: its day and amount, and the freeze (day,
/// share) that may take part of it back.
#[derive(Debug, Clone, Copy)]
struct Payment {
    day: u32,
    amount: f64,
    freeze: Option<(u32, f64)>,
    paid: bool,
}

/// A freeze_funds shock: from `start` to `end - 1`, `share` of the balance
/// (on its first day) and of every payment is held, and given back on `end`.
#[derive(Debug, Clone, Copy)]
struct Freeze {
    start: u32,
    end: u32,
    share: f64,
    held: f64,
}

/// The fund during one trial.
#[derive(Debug, Clone)]
pub(super) struct Fund {
    /// USD in the fund.
    pub(super) balance: f64,
    /// USD owed: cost the fund could not pay (pay in arrears).
    pub(super) gap: f64,
    /// USD per person-month for contributors without their own cost.
    pub(super) default_cost: f64,
    payments: Vec<Payment>,
    /// (day, share) of each payer outside the fund.
    outside: Vec<(u32, f64)>,
    /// The freeze_funds shocks of this trial.
    freezes: Vec<Freeze>,
}

impl Fund {
    /// This trial's fund: the start balance and cost, and each donor's
    /// payment, drawn once, and the freeze_funds among the trial's `shocks`.
    pub(super) fn new(rules: &FundRules, key: &Key, shocks: &[Shock]) -> Fund {
        let payments = rules
            .contributions
            .iter()
            .filter(|c| c.paid.happens(key.seed, key.index))
            .map(|c| {
                let freeze = c.freeze.as_ref().and_then(|(happens, day, share)| {
                    happens
                        .happens(key.seed, key.index)
                        .then(|| (day.once(key) as u32, share.once(key)))
                });
                Payment {
                    day: c.day.once(key) as u32,
                    amount: c.amount.once(key),
                    freeze,
                    paid: false,
                }
            })
            .collect();
        Fund {
            balance: rules.start.once(key),
            gap: 0.0,
            default_cost: rules.cost.once(key),
            payments,
            outside: rules
                .outside
                .iter()
                .map(|(day, share)| (day.once(key) as u32, share.once(key)))
                .collect(),
            freezes: shocks
                .iter()
                .filter(|s| s.effect == Effect::FreezeFunds)
                .map(|s| Freeze {
                    start: s.start,
                    end: s.end,
                    share: s.size,
                    held: 0.0,
                })
                .collect(),
        }
    }

    /// Payments and freezes due on `day`: a payment first settles what is
    /// owed, the rest goes into the balance; a freeze takes its share of
    /// the payment back from the balance if it was paid (what is left of
    /// it), else it is never paid in full. Donors in the order of the
    /// scenario, each payment with its own freeze. Around them, the
    /// freeze_funds shocks: first those ending today give back what they
    /// held (settling what is owed first, like a payment), then, while
    /// one lasts, it holds its share of each payment before the payment
    /// settles anything, and those starting today hold their share of the
    /// balance after today's payments.
    pub(super) fn receive(&mut self, day: u32) {
        if !self.freezes.is_empty() {
            self.release_freezes(day);
        }
        for i in 0..self.payments.len() {
            let payment = self.payments[i];
            if payment.day == day {
                let amount = self.hold_share(day, payment.amount);
                self.settle(amount);
                self.payments[i].paid = true;
            }
            if let Some((freeze_day, share)) = payment.freeze
                && freeze_day == day
            {
                let frozen = payment.amount * share;
                if self.payments[i].paid {
                    self.balance -= frozen.min(self.balance);
                } else {
                    self.payments[i].amount -= frozen;
                }
            }
        }
        if !self.freezes.is_empty() {
            self.start_freezes(day);
        }
    }

    /// A payment in: what is owed first, the rest into the balance.
    fn settle(&mut self, amount: f64) {
        let settled = amount.min(self.gap);
        self.gap -= settled;
        self.balance += amount - settled;
    }

    /// Gives back what the freezes ending on `day` held.
    fn release_freezes(&mut self, day: u32) {
        for k in 0..self.freezes.len() {
            if self.freezes[k].end == day {
                let held = std::mem::take(&mut self.freezes[k].held);
                self.settle(held);
            }
        }
    }

    /// What is left of a payment of `amount` on `day` once each freeze in
    /// force has held its share of it (in the order of the scenario).
    fn hold_share(&mut self, day: u32, amount: f64) -> f64 {
        let mut left = amount;
        for freeze in &mut self.freezes {
            if freeze.start < day && day < freeze.end {
                let held = left * freeze.share;
                freeze.held += held;
                left -= held;
            }
        }
        left
    }

    /// The freezes starting on `day` hold their share of the balance.
    fn start_freezes(&mut self, day: u32) {
        for freeze in &mut self.freezes {
            if freeze.start == day && day < freeze.end {
                let held = self.balance * freeze.share;
                freeze.held += held;
                self.balance -= held;
            }
        }
    }

    /// Share of every person-month's cost paid outside the fund on `day`
    /// (the payers who have started, added up, at most 1).
    pub(super) fn outside_share(&self, day: u32) -> f64 {
        let share: f64 = self
            .outside
            .iter()
            .filter(|&&(from, _)| from <= day)
            .map(|&(_, s)| s)
            .sum();
        share.min(1.0)
    }

    /// Pays one day's cost; what the balance cannot pay is owed.
    pub(super) fn pay(&mut self, cost: f64) {
        if cost <= self.balance {
            self.balance -= cost;
        } else {
            self.gap += cost - self.balance;
            self.balance = 0.0;
        }
    }

    /// Pays `days` days' cost of `daily` each, days on which nothing else
    /// happens: the balance covers them all (the day it would not is an
    /// event, see [`Fund::next_event`]), or, once empty, all is owed.
    pub(super) fn pay_days(&mut self, days: u32, daily: f64) {
        if days == 0 || daily <= 0.0 {
            return;
        }
        let cost = f64::from(days) * daily;
        if self.balance > 0.0 {
            self.balance = (self.balance - cost).max(0.0);
        } else {
            self.gap += cost;
        }
    }

    /// The next day after `day` on which the fund changes other than by
    /// paying a steady cost: a payment, a freeze, a payer outside starting,
    /// or the first day the balance cannot pay that day's `daily` cost
    /// (`u32::MAX`: none).
    pub(super) fn next_event(&self, day: u32, daily: f64) -> u32 {
        let mut next = u32::MAX;
        for payment in &self.payments {
            if payment.day > day {
                next = next.min(payment.day);
            }
            if let Some((freeze_day, _)) = payment.freeze
                && freeze_day > day
            {
                next = next.min(freeze_day);
            }
        }
        for &(from, _) in &self.outside {
            if from > day {
                next = next.min(from);
            }
        }
        for freeze in &self.freezes {
            for on in [freeze.start, freeze.end] {
                if on > day {
                    next = next.min(on);
                }
            }
        }
        if self.balance > 0.0 && daily > 0.0 {
            // Days paid in full: floor(balance / daily); the next falls short.
            let full = (self.balance / daily).floor();
            if full < f64::from(u32::MAX) {
                next = next.min(day.saturating_add(full as u32).saturating_add(1));
            }
        }
        next
    }
}
