//! The course of a followed trial, kept as its changes: each followed
//! contingent's count and each capability's from the day they change, the
//! fund at the end of each day anything happened; and the fills of the
//! evaluated days from them (a count holds until it changes; the money
//! runs down, or the debt up, at the day's cost until the next event).

use super::fund::Fund;
use super::{DAYS_PER_MONTH, MAX_MONTHS_OF_COVER};
use crate::scenario::Metric;

/// The fund at the end of a day on which anything happened.
#[derive(Debug, Clone, Copy)]
struct FundMark {
    day: u32,
    balance: f64,
    gap: f64,
    /// USD per month charged at that day's strength (the days after it,
    /// until the next mark, cost the same).
    monthly: f64,
}

/// The changes of one followed trial.
#[derive(Debug, Default, Clone)]
pub struct History {
    /// The days anything happened, ascending.
    pub(super) days: Vec<u32>,
    /// Per contributor: (day, count) from each day its count changed
    /// (empty for one not followed).
    counts: Vec<Vec<(u32, u32)>>,
    /// Per capability kind: (day, count) from each day it changed.
    capabilities: Vec<Vec<(u32, u32)>>,
    fund: Vec<FundMark>,
}

impl History {
    /// Nothing yet, for `contributors` contributors and `kinds` capabilities.
    pub(super) fn clear(&mut self, contributors: usize, kinds: usize) {
        self.days.clear();
        self.counts.resize_with(contributors, Vec::new);
        self.counts.truncate(contributors);
        self.counts.iter_mut().for_each(Vec::clear);
        self.capabilities.resize_with(kinds, Vec::new);
        self.capabilities.truncate(kinds);
        self.capabilities.iter_mut().for_each(Vec::clear);
        self.fund.clear();
    }

    /// Something happened on `day` (after the days noted so far).
    pub(super) fn note_day(&mut self, day: u32) {
        self.days.push(day);
    }

    /// Contributor `c`'s count from `day` on (kept when it changed).
    pub(super) fn note_count(&mut self, c: usize, day: u32, count: u32) {
        note(&mut self.counts[c], day, count);
    }

    /// Each capability's count from `day` on.
    pub(super) fn note_capabilities(&mut self, day: u32, sums: &[u32]) {
        for (changes, &count) in self.capabilities.iter_mut().zip(sums) {
            note(changes, day, count);
        }
    }

    /// The fund at the end of `day`, charged `monthly` a month from then.
    pub(super) fn note_fund(&mut self, day: u32, fund: &Fund, monthly: f64) {
        self.fund.push(FundMark {
            day,
            balance: fund.balance,
            gap: fund.gap,
            monthly,
        });
    }

    /// The highest count contributor `c` had.
    pub(in crate::model) fn most(&self, c: usize) -> u32 {
        self.counts[c].iter().map(|&(_, n)| n).max().unwrap_or(0)
    }

    /// Contributor `c`'s count on each of `days` (ascending), into `out`.
    pub(in crate::model) fn fill_count(&self, c: usize, days: &[u32], out: &mut [u32]) {
        fill_steps(&self.counts[c], days, out);
    }

    /// Capability `kind`'s count on each of `days`, into `out`.
    pub(super) fn fill_capability(&self, kind: usize, days: &[u32], out: &mut [u32]) {
        fill_steps(&self.capabilities[kind], days, out);
    }

    /// The fund's metrics on each of `days`, in the order of
    /// [`Metric::FUNDING`]: balance, monthly cost, arrears, months of cover.
    pub(super) fn fill_fund(&self, days: &[u32], series: &mut [Vec<f64>; 4]) {
        series.iter_mut().for_each(Vec::clear);
        let mut at = 0;
        for &day in days {
            while at + 1 < self.fund.len() && self.fund[at + 1].day <= day {
                at += 1;
            }
            let (balance, gap, monthly) = match self.fund.get(at) {
                Some(mark) => mark.on(day),
                None => (0.0, 0.0, 0.0),
            };
            let cover = if monthly > 0.0 {
                (balance / monthly).min(MAX_MONTHS_OF_COVER)
            } else if balance > 0.0 {
                MAX_MONTHS_OF_COVER
            } else {
                0.0
            };
            for (values, value) in series.iter_mut().zip([balance, monthly, gap, cover]) {
                values.push(value);
            }
        }
    }

    /// For each target on arrears (`funding_gap`), the first day within
    /// the horizon it is met between two events (the debt grows a day's
    /// cost a day), added to `days`.
    pub(super) fn gap_crossings(&self, targets: &[(Metric, f64)], horizon: u32, days: &mut Vec<u32>) {
        for &(metric, at_least) in targets {
            if metric != Metric::FundingGap {
                continue;
            }
            for (k, mark) in self.fund.iter().enumerate() {
                let until = self.fund.get(k + 1).map_or(horizon, |next| next.day - 1);
                if mark.gap >= at_least || mark.balance > 0.0 || mark.monthly <= 0.0 {
                    continue;
                }
                let daily = mark.monthly / DAYS_PER_MONTH;
                let wait = ((at_least - mark.gap) / daily).ceil();
                if wait >= 1.0 && wait <= f64::from(until.saturating_sub(mark.day)) {
                    days.push(mark.day + wait as u32);
                    break;
                }
            }
        }
    }
}

impl FundMark {
    /// Balance, arrears and monthly cost on `day` (at or after the mark,
    /// before the next): the balance runs down by the daily cost, or, when
    /// empty, the arrears grow by it.
    fn on(&self, day: u32) -> (f64, f64, f64) {
        let spent = f64::from(day - self.day) * self.monthly / DAYS_PER_MONTH;
        if spent <= 0.0 {
            (self.balance, self.gap, self.monthly)
        } else if self.balance > 0.0 {
            ((self.balance - spent).max(0.0), self.gap, self.monthly)
        } else {
            (0.0, self.gap + spent, self.monthly)
        }
    }
}

/// Appends `(day, count)` to `changes` unless the count is the last one's.
fn note(changes: &mut Vec<(u32, u32)>, day: u32, count: u32) {
    match changes.last() {
        Some(&(_, last)) if last == count => {}
        Some(&(last_day, _)) if last_day == day => {
            if let Some(slot) = changes.last_mut() {
                slot.1 = count;
            }
        }
        _ => changes.push((day, count)),
    }
}

/// Each of `days`' count from step changes (0 before the first): each
/// stretch of days between two changes filled at once. Where the days run
/// without a gap (daily steps) a change's place is its day; elsewhere it is
/// found walking forward, both series being in order.
fn fill_steps(changes: &[(u32, u32)], days: &[u32], out: &mut [u32]) {
    let first = days.first().copied().unwrap_or(0);
    let contiguous = days
        .last()
        .is_some_and(|&last| (last - first) as usize + 1 == days.len());
    let (mut from, mut count) = (0, 0);
    for &(day, n) in changes {
        let to = if contiguous {
            (day.saturating_sub(first) as usize).clamp(from, days.len())
        } else {
            from + days[from..].iter().take_while(|&&d| d < day).count()
        };
        out[from..to].fill(count);
        (from, count) = (to, n);
    }
    out[from..].fill(count);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_holds_until_it_changes() {
        let mut changes = Vec::new();
        note(&mut changes, 0, 5);
        note(&mut changes, 3, 5);
        note(&mut changes, 4, 7);
        note(&mut changes, 9, 2);
        assert_eq!(changes, [(0, 5), (4, 7), (9, 2)]);
        let days = [0, 1, 4, 8, 9, 30];
        let mut out = [0; 6];
        fill_steps(&changes, &days, &mut out);
        assert_eq!(out, [5, 5, 7, 7, 2, 2]);
    }

    #[test]
    fn the_balance_runs_down_and_the_debt_up_between_marks() {
        let daily = 100.0;
        let mark = FundMark {
            day: 10,
            balance: 1000.0,
            gap: 0.0,
            monthly: daily * DAYS_PER_MONTH,
        };
        let (balance, gap, _) = mark.on(13);
        assert!((balance - 700.0).abs() < 1e-6 && gap == 0.0);
        let empty = FundMark {
            balance: 0.0,
            gap: 50.0,
            ..mark
        };
        let (balance, gap, _) = empty.on(12);
        assert!(balance == 0.0 && (gap - 250.0).abs() < 1e-6);
    }
}
