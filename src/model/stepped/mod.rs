//! Model v2's trial, day by day: rotations, a ceiling that arrivals wait
//! for, missions that transform, a fund that pays (or does not), and the
//! enablers contingents bring. These couple the contingents (room under
//! the ceiling, money in the fund), so a trial that uses them walks every
//! day from 0 to the horizon; a scenario without them never comes here
//! and keeps the exact event-by-event trial (and its numbers).
//!
//! Here: the compiled rules ([`Plan`]) and the day loop; each contingent's
//! state in `contingent`, the fund in `fund`, arrivals waiting for room or
//! money in `queue`.
//!
//! The rules: docs/MODEL.md §2.10 to §2.13.

mod contingent;
mod fund;
mod plan;
mod queue;

pub(super) use plan::{Named, Plan};

use super::contingents::pledged_total;
use super::strength::daily_rate;
use super::{Key, Model, Trial};
use contingent::Contingent;
use fund::Fund;
use queue::{Pending, Queue};

/// Days in an average month: a person-month's cost is spread over them.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Months of cover reported when nothing is charged to a fund that has money.
pub const MAX_MONTHS_OF_COVER: f64 = 120.0;

/// A trial's day-by-day state, kept between trials to reuse its memory.
#[derive(Debug, Default, Clone)]
pub struct Buffers {
    contingents: Vec<Contingent>,
    queue: Queue,
}

/// What holds on one day for every contingent: the ceiling, the default
/// cost and the end of the mission.
struct Day {
    day: u32,
    ceiling: u64,
    default_cost: f64,
    /// The end of mission in force, if any: its day and drawdown.
    end: Option<(u32, u32)>,
}

impl Model {
    /// Runs one trial day by day (docs/MODEL.md §2.10): events, then each
    /// day the fund's payments, departures, arrivals, costs and counts.
    pub(super) fn run_stepped(&self, plan: &Plan, key: &Key, trial: &mut Trial) {
        self.sample_events(key, trial);
        let end = self.end_of_mission(trial);
        let cutoff_all = end.map_or(u32::MAX, |(day, _)| day);
        let (host_initial, host_lambda) = self.plan_host(key, trial);
        let growth = self.growth.once(key);
        let population0 = self.population.once(key);

        // Every day is evaluated.
        trial.days.clear();
        trial.days.extend(0..=self.horizon);
        trial.report_positions.clear();
        trial.report_positions.extend_from_slice(&self.report_days);
        Self::mark_reports(trial);
        Self::fill_population(trial, population0, growth);
        self.fill_host(key, host_initial, host_lambda, trial);

        let mut buffers = std::mem::take(&mut trial.stepped);
        self.start_contingents(plan, key, cutoff_all, trial, &mut buffers);
        let mut fund = plan.fund.as_ref().map(|f| Fund::new(f, key));
        self.walk_days(plan, key, end, trial, &mut buffers, fund.as_mut());
        self.finish_deliveries(trial, &buffers);
        trial.stepped = buffers;

        let most = u64::from(u32::MAX);
        trial.empty.clear();
        trial.empty.resize(self.contributors.len(), false);
        self.sum_contributors(trial, most + 1);
        self.settle_targets(key, host_lambda, trial);
    }

    /// Each contingent's day-0 state and its planned waves in the queue.
    fn start_contingents(&self, plan: &Plan, key: &Key, cutoff_all: u32, trial: &mut Trial, buffers: &mut Buffers) {
        buffers.queue.clear();
        buffers
            .contingents
            .resize_with(self.contributors.len(), Contingent::default);
        trial.arrivals.resize_with(self.contributors.len(), Vec::new);
        trial.deliveries.resize(self.contributors.len(), Default::default());
        for (c, model) in self.contributors.iter().enumerate() {
            let anchor = match model.after {
                None => Some(0),
                Some(event) => trial.event_days[event],
            };
            let mut waves = std::mem::take(&mut trial.arrivals[c]);
            let planned = self.plan_arrivals(model, key, anchor, || cutoff_all, &mut waves);
            let rules = &plan.contributors[c];
            let contingent = &mut buffers.contingents[c];
            contingent.start(
                model,
                rules,
                key,
                daily_rate(model.attrition.once(key)),
                plan.capabilities,
            );
            // Waves formed: as many as asked for, but never more than the
            // people delivered (one each), whether or not the horizon or the
            // end of mission cuts some off (a wave cut off brings nothing).
            let formed = if waves.is_empty() {
                0
            } else {
                model.waves.min(pledged_total(model, key))
            };
            contingent.plan(&waves, planned, &rules.capabilities, formed);
            let present = model.deployed > 0 || !waves.is_empty();
            contingent.withdrawal_wait = if present {
                self.withdrawal_wait(model, key)
            } else {
                None
            };
            for (wave, arrival) in waves.iter().enumerate() {
                buffers.queue.push(Pending {
                    due: arrival.day,
                    contributor: c,
                    size: arrival.size,
                    wave: Some(wave as u32),
                });
            }
            trial.arrivals[c] = waves;
        }
    }

    /// Walks days 0 to the horizon, filling the trial's head counts,
    /// capabilities and fund series.
    fn walk_days(
        &self,
        plan: &Plan,
        key: &Key,
        end: Option<(u32, u32)>,
        trial: &mut Trial,
        buffers: &mut Buffers,
        mut fund: Option<&mut Fund>,
    ) {
        let n = trial.days.len();
        let contributors = self.contributors.len();
        trial.contributor_strength.clear();
        trial.contributor_strength.resize(n * contributors, 0);
        trial.capability.clear();
        trial.capability.resize(n * plan.capabilities, 0);
        for series in &mut trial.fund {
            series.clear();
        }
        trial.ceiling.clear();
        let mut today = Day {
            day: 0,
            ceiling: plan.ceiling.unwrap_or(u64::MAX),
            default_cost: fund.as_ref().map_or(0.0, |f| f.default_cost),
            end: None,
        };
        let transforms = plan.transform_days(&trial.event_days);
        let mut arrears = false;
        for day in 0..=self.horizon {
            today.day = day;
            today.end = end.filter(|&(e, _)| day >= e);
            for &(at, ceiling, cost) in &transforms {
                if at == day {
                    today.ceiling = ceiling.unwrap_or(today.ceiling);
                    today.default_cost = cost.unwrap_or(today.default_cost);
                }
            }
            if let Some(fund) = fund.as_deref_mut() {
                fund.receive(day);
            }
            let factor = if arrears { plan.arrears_factor } else { 1.0 };
            for (c, contingent) in buffers.contingents.iter_mut().enumerate() {
                contingent.depart(day, factor, &mut buffers.queue, c);
            }
            self.arrive(plan, &today, fund.as_deref(), buffers);
            let k = day as usize;
            let mut monthly = 0.0;
            for (c, contingent) in buffers.contingents.iter().enumerate() {
                let shown = contingent.shown(&today);
                trial.contributor_strength[c * n + k] = shown;
                monthly += f64::from(shown) * contingent.cost(today.default_cost);
                contingent.add_capabilities(&today, shown, &mut trial.capability, n, k);
            }
            if let Some(fund) = fund.as_deref_mut() {
                monthly *= 1.0 - fund.outside_share(day);
                fund.pay(monthly / DAYS_PER_MONTH);
                arrears = fund.gap > 0.0;
                fund.record(monthly, &mut trial.fund);
            }
            if self.ceiling_shares.iter().any(Option::is_some) {
                trial.ceiling.push(today.ceiling);
            }
        }
        let _ = key;
    }

    /// Lets in what is due and fits (ceiling, money), in the order it was due.
    fn arrive(&self, plan: &Plan, today: &Day, fund: Option<&Fund>, buffers: &mut Buffers) {
        if today.end.is_some() {
            return;
        }
        let Buffers { contingents, queue } = buffers;
        let present: u64 = contingents.iter().map(|c| u64::from(c.present)).sum();
        let mut room = today.ceiling.saturating_sub(present);
        let cover = |c: &Contingent, size: u32| match fund {
            Some(fund) => {
                let monthly = f64::from(size) * c.cost(today.default_cost) * (1.0 - fund.outside_share(today.day));
                fund.balance >= plan.cover_months * monthly
            }
            None => true,
        };
        queue.admit(today.day, plan.over, &mut room, |pending, size| {
            let contingent = &mut contingents[pending.contributor];
            if contingent.withdrawn {
                return Admit::Drop;
            }
            if !cover(contingent, size) {
                return Admit::Wait;
            }
            contingent.arrive(today.day, size, pending.wave);
            Admit::Done
        });
    }

    /// What each contributor delivered: its pledged waves' people that
    /// arrived, and the day of the last if all of them did.
    fn finish_deliveries(&self, trial: &mut Trial, buffers: &Buffers) {
        for (delivery, contingent) in trial.deliveries.iter_mut().zip(&buffers.contingents) {
            *delivery = contingent.delivery();
        }
    }
}

/// What became of a pending arrival offered a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admit {
    /// It arrived.
    Done,
    /// It waits (no money yet): so do its contingent's later arrivals.
    Wait,
    /// It never comes (its contingent withdrew).
    Drop,
}
