//! The contingents followed event by event: rotations, a ceiling that
//! arrivals wait for, missions that transform, a fund that pays (or does
//! not), and the enablers contingents bring. The ceiling and the fund
//! couple the contingents (room, money), so when either can bind, every
//! contingent is followed here together; otherwise only those with
//! rotations or capabilities are, each as if alone, and the others keep
//! the exact sampling on their own days (docs/MODEL.md §2.10).
//!
//! The clock jumps from one day on which something happens to the next
//! (a departure, a withdrawal, a tour's end or a relief formed, an
//! arrival due, a payment, a freeze, a payer starting, a transform, the
//! fund running out, a day of an end-of-mission drawdown); between two
//! such days nothing changes but the money, whose daily cost is then
//! constant and is paid for all those days at once. The course of each
//! count, capability and the fund is kept as its changes (`history`), from
//! which the evaluated days are filled.
//!
//! Here: the compiled rules ([`Plan`]) and the walk; each contingent's
//! state in `contingent`, the fund in `fund`, arrivals waiting for room or
//! money in `queue`, the changes and the fills in `history`.
//!
//! The rules: docs/MODEL.md §2.10 to §2.13.

mod buffers;
mod contingent;
mod fund;
mod gates;
mod history;
mod plan;
mod queue;

pub(super) use history::History;
pub(super) use plan::{Named, Plan};

use super::rules::Plans;
use super::strength::Arrival;
use super::withdrawal::Withdrawal;
use super::{Delivery, Key, Model};
use contingent::Contingent;
use fund::Fund;
use queue::{Pending, Queue};

/// Days in an average month: a person-month's cost is spread over them.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Months of cover reported when nothing is charged to a fund that has money.
pub const MAX_MONTHS_OF_COVER: f64 = 120.0;

/// The walk's state, kept between trials to reuse its memory.
#[derive(Debug, Default, Clone)]
pub struct Buffers {
    contingents: Vec<Contingent>,
    queue: Queue,
    pub(super) history: History,
    /// Each capability kind's count on the day being processed.
    capability_sums: Vec<u32>,
    /// The followed contributors, and those of them with capabilities.
    followed: Vec<usize>,
    with_capabilities: Vec<usize>,
    /// Per contributor: brings capabilities?
    capabilities_of: Vec<bool>,
    /// Per contributor: its next day (`u32::MAX`: none, or not followed).
    next: Vec<u32>,
    /// Per contributor: its count as last noted.
    shown: Vec<u32>,
    /// Per contributor: changed today (to be noted, its next day found again).
    touched: Vec<bool>,
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

/// A contingent to follow: its index, planned waves and withdrawal.
struct Followed<'a> {
    contributor: usize,
    waves: &'a [Arrival],
    /// What all the planned waves would deliver.
    planned: Delivery,
    withdrawal: Option<Withdrawal>,
}

/// The capabilities, the fund and the ceiling on each evaluated day of a
/// trial, filled from the course of its followed contingents.
#[derive(Debug, Default, Clone)]
pub struct Series {
    /// Each capability's count, `[capability][day]` flattened.
    pub capability: Vec<u32>,
    /// The fund: balance, monthly cost, arrears and months of cover (the
    /// order of [`crate::scenario::Metric::FUNDING`]).
    pub fund: [Vec<f64>; 4],
    /// The ceiling in force (`u64::MAX`: none), kept only when a target is
    /// a share of it.
    pub ceiling: Vec<u64>,
}

/// What a trial gives the walk: each contributor's plan, the days its
/// events happen, its end of mission, and whether the ceiling and the
/// fund are gates (every contingent then followed).
pub(super) struct Course<'a> {
    pub(super) plans: &'a Plans,
    pub(super) event_days: &'a [Option<u32>],
    pub(super) end: Option<(u32, u32)>,
    pub(super) gated: bool,
    /// The shocks that happen in this trial (docs/MODEL.md §2.14).
    pub(super) shocks: &'a [super::shocks::Shock],
}

impl Model {
    /// Follows the contingents marked in `course.plans.followed` from day
    /// 0 to the horizon. Leaves their course in `buffers.history`, their
    /// deliveries in `deliveries` (which hold what their planned waves
    /// would deliver), and, when there are targets, the days anything
    /// happened in `jump_days`.
    pub(super) fn follow(
        &self,
        key: &Key,
        course: &Course,
        deliveries: &mut [Delivery],
        jump_days: &mut Vec<u32>,
        buffers: &mut Buffers,
    ) {
        let plan = &self.timeline;
        let plans = course.plans;
        buffers.history.clear(self.contributors.len(), plan.capabilities);
        buffers.queue.clear();
        buffers
            .contingents
            .resize_with(self.contributors.len(), Contingent::default);
        buffers.capability_sums.clear();
        buffers.capability_sums.resize(plan.capabilities, 0);
        for (c, &planned) in deliveries.iter().enumerate() {
            if plans.followed[c] {
                let followed = Followed {
                    contributor: c,
                    waves: &plans.arrivals[c],
                    planned,
                    withdrawal: plans.withdrawals[c],
                };
                self.start_contingent(plan, key, &followed, buffers);
            }
        }
        let mut fund = if course.gated {
            plan.fund.as_ref().map(|f| Fund::new(f, key, course.shocks))
        } else {
            None
        };
        self.walk(plan, course, buffers, fund.as_mut());
        for (c, contingent) in buffers.contingents.iter().enumerate() {
            if plans.followed[c] {
                deliveries[c] = contingent.delivery();
            }
        }
        if !self.targets.is_empty() {
            jump_days.extend_from_slice(&buffers.history.days);
            buffers.history.gap_crossings(&self.targets, self.horizon, jump_days);
        }
    }

    /// A followed contingent's day-0 state and its planned waves in the queue.
    fn start_contingent(&self, plan: &Plan, key: &Key, followed: &Followed, buffers: &mut Buffers) {
        let c = followed.contributor;
        let model = &self.contributors[c];
        let rules = &plan.contributors[c];
        let contingent = &mut buffers.contingents[c];
        contingent.start(
            model,
            rules,
            key,
            super::strength::daily_rate(model.attrition.once(key)),
            plan.capabilities,
        );
        // Waves formed: as many as asked for, but never more than the
        // people delivered (one each), whether or not the horizon or the
        // end of mission cuts some off (a wave cut off brings nothing).
        let formed = if followed.waves.is_empty() {
            0
        } else {
            model.waves.min(super::rules::pledged_total(model, key))
        };
        contingent.plan(followed.waves, followed.planned, &rules.capabilities, formed);
        contingent.set_withdrawal(followed.withdrawal, self.horizon);
        for (wave, arrival) in followed.waves.iter().enumerate() {
            buffers.queue.push(Pending {
                due: arrival.day,
                contributor: c,
                size: arrival.size,
                wave: Some(wave as u32),
            });
        }
    }

    /// Walks the days on which anything happens, from day 0 to the horizon.
    /// On each, only the contingents with something due are visited (and
    /// those an arrival or a new hazard concerns); every count is kept as
    /// last noted, and so is each contingent's next day.
    fn walk(&self, plan: &Plan, course: &Course, buffers: &mut Buffers, mut fund: Option<&mut Fund>) {
        let (end, gated) = (course.end, course.gated);
        let mut today = Day {
            day: 0,
            ceiling: if gated {
                plan.ceiling.unwrap_or(u64::MAX)
            } else {
                u64::MAX
            },
            default_cost: fund.as_ref().map_or(0.0, |f| f.default_cost),
            end: None,
        };
        let transforms = plan.transform_days(course.event_days);
        let mut transform = 0;
        // The days shocks start and end and required events happen.
        let (marks, mut mark) = (self.marked_days(course), 0);
        // The arrears at the end of the day before, and the factor on
        // the withdrawal hazard in force.
        let (mut arrears, mut factor) = (false, 1.0);
        buffers.start_walk(&course.plans.followed, plan);
        // What the counts cost a month, found again when they or the
        // default cost change.
        let mut monthly = 0.0;
        let mut day = 0;
        loop {
            today.day = day;
            today.end = end.filter(|&(e, _)| day >= e);
            buffers.history.note_day(day);
            let repriced = apply_transforms(&mut today, &transforms, &mut transform, gated) || day == 0;
            if let Some(fund) = fund.as_deref_mut() {
                fund.receive(day);
            }
            let marked = gates::passes(&marks, &mut mark, day);
            let wanted = if arrears { plan.arrears_factor } else { 1.0 };
            if wanted != factor || marked {
                factor = wanted;
                self.set_withdrawal_factors(day, factor, course.shocks, buffers);
            }
            buffers.depart(day);
            if today.end.is_some() {
                // Each day of a drawdown scales every count anew; only forces
                // outside the mission still arrive.
                buffers.touch_all();
                if self.has_outside {
                    self.arrive(plan, &today, course, fund.as_deref().map(|f| (f, monthly)), buffers);
                }
            } else {
                self.arrive(plan, &today, course, fund.as_deref().map(|f| (f, monthly)), buffers);
            }
            let changed = buffers.note_touched(&today);
            let mut daily = 0.0;
            if let Some(fund) = fund.as_deref_mut() {
                if changed || repriced {
                    monthly = buffers.monthly_cost(&today);
                }
                daily = monthly * (1.0 - fund.outside_share(day)) / DAYS_PER_MONTH;
                fund.pay(daily);
                arrears = fund.gap > 0.0;
                buffers.history.note_fund(day, fund, daily * DAYS_PER_MONTH);
            }
            let later = &transforms[transform..];
            let mut next = self.next_day(&today, end, buffers, fund.as_deref().map(|f| (f, daily)), later);
            next = next.min(marks.get(mark).copied().unwrap_or(u32::MAX));
            // Arrears that start or end today change tomorrow's hazard.
            if (if arrears { plan.arrears_factor } else { 1.0 }) != factor {
                next = next.min(day + 1);
            }
            if next > self.horizon {
                break;
            }
            if let Some(fund) = fund.as_deref_mut() {
                fund.pay_days(next - day - 1, daily);
            }
            day = next;
        }
    }

    /// The next day after `today` on which anything happens.
    fn next_day(
        &self,
        today: &Day,
        end: Option<(u32, u32)>,
        buffers: &Buffers,
        fund: Option<(&Fund, f64)>,
        transforms: &[(u32, Option<u64>, Option<f64>)],
    ) -> u32 {
        let day = today.day;
        let mut next = transforms.first().map_or(u32::MAX, |t| t.0);
        next = next.min(buffers.queue.next_due_after(day));
        if let Some((fund, daily)) = fund {
            next = next.min(fund.next_event(day, daily));
        }
        if let Some((e, drawdown)) = end {
            next = next.min(if day < e {
                e
            } else if day < e.saturating_add(drawdown) {
                day + 1
            } else {
                u32::MAX
            });
        }
        buffers.next.iter().fold(next, |next, &due| next.min(due))
    }

    /// Lets in what is due and fits (ceiling, money), in the order it was
    /// due; the contingents an arrival concerned are touched. A pledged
    /// wave past its `max_wait_days` or cancelled by a shock is dropped;
    /// an arrival paused by a shock, or whose `requires` do not hold,
    /// waits. Forces outside the mission take no room under the ceiling.
    /// Each arrival let in reserves its cover (`cover_months` of its cost),
    /// so that two arrivals on one day need the cover of both. When an
    /// arrival waited on what another one brought today, the waiting ones
    /// are offered their place again.
    fn arrive(&self, plan: &Plan, today: &Day, course: &Course, money: Option<(&Fund, f64)>, buffers: &mut Buffers) {
        let Buffers {
            contingents,
            queue,
            touched,
            ..
        } = buffers;
        let mut room = if course.gated {
            let inside = contingents.iter().zip(&self.contributors).filter(|(_, m)| !m.outside);
            let present: u64 = inside.map(|(c, _)| u64::from(c.present)).sum();
            today.ceiling.saturating_sub(present)
        } else {
            u64::MAX
        };
        let fund = money.map(|(fund, _)| fund);
        // The cover an arrival of `size` needs in the fund (0 without one).
        let needs = |c: &Contingent, size: u32| match fund {
            Some(fund) => {
                let monthly = f64::from(size) * c.cost(today.default_cost) * (1.0 - fund.outside_share(today.day));
                plan.cover_months * monthly
            }
            None => 0.0,
        };
        // The cover of those let in today, no longer there for the next.
        let mut reserved = 0.0;
        let balance = fund.map_or(0.0, |f| f.balance);
        let free = |c: usize| self.contributors[c].outside;
        for _ in 0..=self.contributors.len() {
            let (mut waited, mut came) = (false, false);
            let offer = |pending: &Pending, size: u32| {
                let c = pending.contributor;
                touched[c] = true;
                let ended = today.end.is_some() && !self.contributors[c].outside;
                if ended || contingents[c].withdrawn || self.lapsed(course.plans, pending, today.day) {
                    return Admit::Drop;
                }
                if self.paused(course.shocks, c, today.day) {
                    return Admit::Wait;
                }
                if !self.requires_hold(c, today, course.event_days, contingents, money) {
                    waited = true;
                    return Admit::Wait;
                }
                let need = needs(&contingents[c], size);
                if balance - reserved < need {
                    return Admit::Wait;
                }
                reserved += need;
                contingents[c].arrive(today.day, size, pending.wave);
                came = true;
                Admit::Done
            };
            queue.admit(today.day, plan.over, &mut room, free, offer);
            // Turned away (no room): what they would have brought is gone too.
            for c in queue.turned_away() {
                touched[c] = true;
            }
            if !(waited && came) {
                break;
            }
        }
    }
}

/// Applies the transforms of `today` (from `transforms[*next]` on, by
/// day): the new ceiling (when it is a gate) and default cost. Returns
/// whether the cost changed.
fn apply_transforms(
    today: &mut Day,
    transforms: &[(u32, Option<u64>, Option<f64>)],
    next: &mut usize,
    gated: bool,
) -> bool {
    let mut repriced = false;
    while let Some(&(_, ceiling, cost)) = transforms.get(*next).filter(|t| t.0 == today.day) {
        if gated {
            today.ceiling = ceiling.unwrap_or(today.ceiling);
        }
        today.default_cost = cost.unwrap_or(today.default_cost);
        repriced |= cost.is_some();
        *next += 1;
    }
    repriced
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

impl Model {
    /// The capabilities, the fund and the ceiling on the evaluated `days`,
    /// from the course in `history` (none when nothing was `followed`).
    pub(super) fn fill_series(
        &self,
        days: &[u32],
        event_days: &[Option<u32>],
        history: &History,
        followed: bool,
        series: &mut Series,
    ) {
        let plan = &self.timeline;
        let n = days.len();
        series.capability.clear();
        series.ceiling.clear();
        series.capability.resize(n * plan.capabilities, 0);
        if followed {
            for (kind, out) in series.capability.chunks_exact_mut(n.max(1)).enumerate() {
                history.fill_capability(kind, days, out);
            }
        }
        if plan.fund.is_some() {
            history.fill_fund(days, &mut series.fund);
        }
        if self.ceiling_shares.iter().any(Option::is_some) {
            let changes = plan.ceilings(event_days);
            let mut at = 0;
            let mut ceiling = plan.ceiling.unwrap_or(u64::MAX);
            for &day in days {
                while let Some(&(_, new)) = changes.get(at).filter(|c| c.0 <= day) {
                    ceiling = new;
                    at += 1;
                }
                series.ceiling.push(ceiling);
            }
        }
    }
}
