//! The fund in one trial: payments in, freezes, who pays outside it, and
//! the daily cost it pays or owes, a day or a stretch of days at a time
//! (docs/MODEL.md §2.12).

use super::super::Key;
use super::plan::FundRules;

/// A payment into the fund: its day and amount, and the freeze (day,
/// share) that may take part of it back.
#[derive(Debug, Clone, Copy)]
struct Payment {
    day: u32,
    amount: f64,
    freeze: Option<(u32, f64)>,
    paid: bool,
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
}

impl Fund {
    /// This trial's fund: the start balance and cost, and each donor's
    /// payment, drawn once.
    pub(super) fn new(rules: &FundRules, key: &Key) -> Fund {
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
        }
    }

    /// Payments and freezes due on `day`: a payment first settles what is
    /// owed, the rest goes into the balance; a freeze takes its share of
    /// the payment back from the balance if it was paid (what is left of
    /// it), else it is never paid in full.
    pub(super) fn receive(&mut self, day: u32) {
        for i in 0..self.payments.len() {
            let payment = self.payments[i];
            if payment.day == day {
                let settled = payment.amount.min(self.gap);
                self.gap -= settled;
                self.balance += payment.amount - settled;
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
