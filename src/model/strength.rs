//! Head counts under attrition: a pure-death process with arrivals.
//!
//! Each person leaves after an exponential time with daily rate `lambda`
//! (`(1 - a)^(t/365)` survival), independently, so the process is
//! memoryless and can be sampled exactly at only the days that are asked
//! for. Each stretch between two such days is sampled with the cheaper of
//! two exact methods:
//!
//! - **death race**: draw the time to the next departure, Exp(n * lambda),
//!   one draw per departure; cheap when very few leave in the stretch;
//! - **binomial inversion**: departures of a stretch `dt` long are
//!   Binomial(n, 1 - exp(-lambda * dt)), found by walking its probabilities
//!   from 0 with one uniform draw; cheap when a handful to a few dozen leave;
//! - **binomial thinning** by `rand_distr`'s sampler (BTPE): one draw of
//!   constant cost, for many departures.
//!
//! Switching between them is exact because the process is memoryless.

use std::ops::Range;

use rand::RngExt;
use rand_distr::{Binomial, Distribution, Exp1};

use super::streams::{StreamId, StreamRng, stream};

/// Personnel arriving on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub day: u32,
    pub size: u32,
}

/// Daily departure rate for a yearly attrition share `a` in [0, 1].
pub fn daily_rate(attrition_per_year: f64) -> f64 {
    if attrition_per_year >= 1.0 {
        f64::INFINITY
    } else {
        -(1.0 - attrition_per_year).ln() / 365.0
    }
}

/// Expected departures in a stretch above which one binomial draw (~50-70 ns)
/// beats walking the probabilities one departure at a time.
const THINNING_ABOVE: f64 = 30.0;

/// Expected departures in a stretch below which the death race (one
/// exponential draw and a division per departure, nothing when nobody
/// leaves) beats inversion (two exponentials, then a multiplication per
/// departure).
const RACE_BELOW: f64 = 3.0;

/// Expected departures between two report days from which the race runs
/// through a stretch of evenly spaced report days departure by departure
/// (see [`Attrition::race_through_days`]) rather than day by day: the host
/// police on daily steps (a couple a day), most contingents on weekly
/// ones. Below it, a pass over every day would cost more than passing
/// over the quiet days between departures in one search.
const RACE_BY_DEPARTURES_ABOVE: f64 = 0.05;

/// Most fall in head count over which the chance that nobody leaves is
/// carried forward rather than recomputed (see `chance_none_leave`).
const MAX_POWER: u32 = 64;

/// `1 / k` for small `k`, so the inversion's steps need no division.
const RECIPROCALS: [f64; 64] = {
    let mut table = [0.0; 64];
    let mut k = 1;
    while k < 64 {
        table[k] = 1.0 / k as f64;
        k += 1;
    }
    table
};

/// The days a head count is asked for, and which of them are report days.
#[derive(Debug, Clone, Copy)]
pub struct Schedule<'a> {
    days: &'a [u32],
    report: &'a [bool],
    /// The longest wait from one report day to the next (see
    /// [`Attrition::skip_quiet_days`]); set only by [`Schedule::new`], as a
    /// value too small would skip the race's check.
    max_report_gap: u32,
}

impl<'a> Schedule<'a> {
    pub fn new(days: &'a [u32], report: &'a [bool]) -> Schedule<'a> {
        let mut reports = days.iter().zip(report).filter(|(_, is_report)| **is_report);
        let mut max_report_gap = 0;
        if let Some((&first, _)) = reports.next() {
            let mut previous = first;
            for (&day, _) in reports {
                max_report_gap = max_report_gap.max(day - previous);
                previous = day;
            }
        }
        Schedule {
            days,
            report,
            max_report_gap,
        }
    }
}

/// Draws for the days that are not a head count's own (see [`strength_at`]),
/// from a stream of their own, created only if needed.
pub struct Bridge {
    pub seed: u64,
    pub trial: u64,
    pub id: StreamId,
    rng: Option<StreamRng>,
}

impl Bridge {
    pub fn new(seed: u64, trial: u64, id: StreamId) -> Bridge {
        Bridge {
            seed,
            trial,
            id,
            rng: None,
        }
    }

    fn rng(&mut self) -> &mut StreamRng {
        self.rng.get_or_insert_with(|| stream(self.seed, self.trial, self.id))
    }
}

/// What [`strength_at`] does with the days that are not the group's own.
pub enum Skipped<'a> {
    /// Fills them at once from the bridge's draws.
    Bridge(&'a mut Bridge),
    /// Gives them the count of the own day before them, which is at least
    /// the true count (counts only fall between own days), and notes their
    /// ranges, so that [`bridge_skipped`] can fill them in later, with the
    /// same draws, should they be needed.
    Defer(&'a mut Vec<Range<usize>>),
}

impl Skipped<'_> {
    fn fill(&mut self, arrivals: &[Arrival], lambda: f64, days: &[u32], out: &mut [u32], skipped: Range<usize>) {
        match self {
            Skipped::Bridge(bridge) => fill_skipped(arrivals, lambda, days, out, skipped, bridge),
            Skipped::Defer(ranges) => {
                let before = out[skipped.start - 1];
                out[skipped.clone()].fill(before);
                ranges.push(skipped);
            }
        }
    }
}

/// Fills `out[k]` with the head count on day `days[k]` (sorted ascending):
/// `initial` people on day 0 plus `arrivals` (sorted by day), each leaving at
/// rate `lambda` per day. Someone arriving on day `d` is counted on day `d`.
///
/// The process is sampled from `rng` on its *own* days only: those with
/// `report[k]` set, and its arrival days. Other days (another group's
/// arrivals, for target checks) are filled in from a bridge of their own
/// (see [`Skipped`]), conditioned on the neighbouring own days. So a group's
/// draws, and its counts on report days, do not depend on which other
/// groups exist.
pub fn strength_at(
    initial: u32,
    arrivals: &[Arrival],
    lambda: f64,
    schedule: Schedule,
    out: &mut [u32],
    rng: &mut StreamRng,
    mut skipped: Skipped,
) {
    let Schedule { days, report, .. } = schedule;
    debug_assert!(days.len() == out.len() && days.len() == report.len());
    if lambda.is_infinite() {
        // Everyone leaves at once: only same-day arrivals are ever counted.
        for (slot, &day) in out.iter_mut().zip(days) {
            let arriving = arriving_on(arrivals, day);
            *slot = if day == 0 {
                initial.saturating_add(arriving)
            } else {
                arriving
            };
        }
        return;
    }
    let mut process = Attrition::new(initial, lambda);
    let mut next_arrival = 0;
    // The first of the skipped days since the last own day.
    let mut skipped_from = None;
    let mut k = 0;
    while k < days.len() {
        let day = days[k];
        let arrives_today = arrivals.get(next_arrival).is_some_and(|a| a.day == day);
        if !report[k] && !arrives_today {
            skipped_from.get_or_insert(k);
            k += 1;
            continue;
        }
        while let Some(arrival) = arrivals.get(next_arrival).filter(|a| a.day <= day) {
            process.advance(f64::from(arrival.day), rng);
            process.arrive(arrival.size);
            next_arrival += 1;
        }
        process.advance(f64::from(day), rng);
        out[k] = process.n;
        if let Some(from) = skipped_from.take() {
            skipped.fill(arrivals, lambda, days, out, from..k);
        }
        let next_arrival_day = arrivals.get(next_arrival).map_or(u32::MAX, |a| a.day);
        k = match process.race_through_days(k, schedule, next_arrival_day, out, rng) {
            Some(last) => last,
            None => match process.skip_quiet_days(k, schedule, next_arrival_day, out) {
                quiet if quiet > k => quiet,
                _ => process.invert_through_days(k, schedule, next_arrival_day, out, rng),
            },
        } + 1;
    }
    if let Some(from) = skipped_from {
        skipped.fill(arrivals, lambda, days, out, from..days.len());
    }
}

/// Fills the days a [`Skipped::Defer`] left, `ranges` in the order noted:
/// the same draws, and so the same counts, as [`Skipped::Bridge`] gives.
pub fn bridge_skipped(
    arrivals: &[Arrival],
    lambda: f64,
    days: &[u32],
    out: &mut [u32],
    ranges: &[Range<usize>],
    bridge: &mut Bridge,
) {
    for range in ranges {
        fill_skipped(arrivals, lambda, days, out, range.clone(), bridge);
    }
}

/// Fills the skipped days `skipped`, between two own days or after the last.
fn fill_skipped(
    arrivals: &[Arrival],
    lambda: f64,
    days: &[u32],
    out: &mut [u32],
    skipped: Range<usize>,
    bridge: &mut Bridge,
) {
    if skipped.end < days.len() {
        bridge_between(arrivals, lambda, days, out, skipped, bridge);
    } else {
        bridge_after(lambda, days, out, skipped.start, bridge);
    }
}

/// Fills the days `strength_at` skipped between two own days,
/// `skipped.start - 1` (day 0 is always a report day) and `skipped.end`:
/// each of the `D` departures of the stretch happened by day `t` with
/// probability `(1 - e^(-lambda (t - t0))) / (1 - e^(-lambda (t1 - t0)))`,
/// independently, so the count is drawn one binomial per skipped day.
fn bridge_between(
    arrivals: &[Arrival],
    lambda: f64,
    days: &[u32],
    out: &mut [u32],
    skipped: Range<usize>,
    bridge: &mut Bridge,
) {
    let (before, end) = (skipped.start - 1, skipped.end);
    let (mut n, mut t) = (out[before], f64::from(days[before]));
    let arriving = arriving_on(arrivals, days[end]);
    let t_end = f64::from(days[end]);
    let mut departures = n.saturating_sub(out[end].saturating_sub(arriving));
    for j in skipped {
        if departures > 0 && lambda > 0.0 {
            let tj = f64::from(days[j]);
            let share = (-lambda * (tj - t)).exp_m1() / (-lambda * (t_end - t)).exp_m1();
            let gone = binomial(departures, share, bridge.rng());
            n -= gone;
            departures -= gone;
            t = tj;
        }
        out[j] = n;
    }
}

/// Fills the days `strength_at` skipped after its last own day
/// (`from - 1`), by plain binomial thinning.
fn bridge_after(lambda: f64, days: &[u32], out: &mut [u32], from: usize, bridge: &mut Bridge) {
    let (mut n, mut t) = (out[from - 1], f64::from(days[from - 1]));
    for j in from..days.len() {
        let tj = f64::from(days[j]);
        n = survivors(n, lambda * (tj - t), bridge.rng());
        t = tj;
        out[j] = n;
    }
}

/// The state of one pure-death process.
struct Attrition {
    n: u32,
    /// Time the state refers to.
    t: f64,
    /// Time of the next departure, when the death race has drawn it.
    next_departure: Option<f64>,
    lambda: f64,
    /// The last inversion's hazard and its `e^hazard - 1` (stretches of the
    /// same length repeat: every 7 days, every day).
    ratio_of: (f64, f64),
    /// For that hazard: the last head count inverted and the chance that
    /// none of them leave, `e^(-n hazard)`.
    none_leave: Option<(u32, f64)>,
    /// `e^(hazard k)` for k = 0, 1, ...: when d people left since the last
    /// inversion, the chance that none leave grows by `e^(hazard d)`,
    /// which saves an `exp` per stretch.
    powers: [f64; MAX_POWER as usize],
    /// How many of `powers` are computed for the current hazard.
    powers_known: usize,
}

impl Attrition {
    /// `n` people at time 0, each leaving at rate `lambda` a day.
    fn new(n: u32, lambda: f64) -> Attrition {
        Attrition {
            n,
            t: 0.0,
            next_departure: None,
            lambda,
            ratio_of: (f64::NAN, f64::NAN),
            none_leave: None,
            powers: [1.0; MAX_POWER as usize],
            powers_known: 0,
        }
    }

    /// Moves the process to time `to`, removing everyone who left by then.
    #[inline(always)]
    fn advance(&mut self, to: f64, rng: &mut StreamRng) {
        // The common case on short stretches: the race's next departure is
        // later, so nobody leaves (the same choice `advance_slow` makes).
        if self.n == 0 {
            // Nobody to leave (a contingent before it arrives).
            self.t = self.t.max(to);
            return;
        }
        if let Some(next) = self.next_departure
            && next > to
            && f64::from(self.n) * self.lambda * (to - self.t) < RACE_BELOW
        {
            self.t = to;
            return;
        }
        self.advance_slow(to, rng);
    }

    /// From own day `k`, just evaluated, moves over the days on which
    /// nobody can leave: those before `next_arrival_day` and before the
    /// race's next departure (any day, when nobody is there or nobody
    /// leaves), where [`Attrition::advance`] would take its fast path. They
    /// all get the current count (the skipped days among them too: a
    /// stretch without departures has none to bridge). Returns the last own
    /// day moved to, or `k`.
    #[inline(always)]
    fn skip_quiet_days(&mut self, k: usize, schedule: Schedule, next_arrival_day: u32, out: &mut [u32]) -> usize {
        let Schedule { days, report, .. } = schedule;
        // The days before the next arrival and `next` are quiet.
        let next = if self.n == 0 || self.lambda <= 0.0 {
            // Nobody to leave, or nobody leaves: only the next arrival ends them.
            f64::INFINITY
        } else {
            let Some(next) = self.next_departure else { return k };
            next
        };
        let quiet = |day: u32| day < next_arrival_day && f64::from(day) < next;
        // `advance` takes the race (and its fast path) on a report day while
        // n * lambda * (day - t) < RACE_BELOW, t the previous own day; that
        // product only grows with the gap, so when even the longest gap
        // passes, only the next departure and arrival end the quiet days.
        // (With nobody to leave, or nobody leaving, it is 0 or less.)
        if f64::from(self.n) * self.lambda * f64::from(schedule.max_report_gap) >= RACE_BELOW {
            return self.skip_quiet_days_checked(k, schedule, quiet, out);
        }
        let end = k + 1 + first_failing(&days[k + 1..], quiet);
        let Some(last_own) = (k + 1..end).rev().find(|&j| report[j]) else {
            return k;
        };
        // As `advance` would, each of those days in turn.
        self.t = self.t.max(f64::from(days[last_own]));
        out[k + 1..=last_own].fill(self.n);
        last_own
    }

    /// From own day `k`, just evaluated, runs the race through the stretch
    /// of evenly spaced days that follows (report days as far apart as
    /// the next is from day `k`, before `next_arrival_day`) departure by
    /// departure: each departure adds one to its day's slot of `out`, and
    /// a running sum then turns those into head counts. These are the
    /// draws, in the same order, that
    /// [`Attrition::advance`] makes day by day, without a call, a test and
    /// an unforeseeable branch a day. Returns the last day moved to; `None`
    /// (nothing done) when the race does not hold on every day of the
    /// stretch or departures are too few for this to pay, or when the
    /// next day is not such a day.
    fn race_through_days(
        &mut self,
        k: usize,
        schedule: Schedule,
        next_arrival_day: u32,
        out: &mut [u32],
        rng: &mut StreamRng,
    ) -> Option<usize> {
        let Schedule { days, report, .. } = schedule;
        let gap = days.get(k + 1)? - days[k];
        let per_day = f64::from(self.n) * self.lambda;
        // The head count only falls in the stretch, so the race `advance`
        // would take on its first day it takes on all of them. (The test
        // is `advance_slow`'s, `n * (lambda * gap)`, multiplied in the same
        // order: `(n * lambda) * gap` rounds differently, and on a hair's
        // breadth from the bound would race where `advance` inverts.)
        if per_day * f64::from(gap) < RACE_BY_DEPARTURES_ABOVE
            || f64::from(self.n) * (self.lambda * f64::from(schedule.max_report_gap)) >= RACE_BELOW
        {
            return None;
        }
        let length = evenly_spaced_reports(days, report, k, gap, next_arrival_day);
        if length == 0 {
            return None;
        }
        let last = k + length;
        let first_day = f64::from(days[k]);
        let step = f64::from(gap);
        let last_day = f64::from(days[last]);
        let slots = &mut out[k + 1..=last];
        if gap == 1 {
            self.race_into_slots::<true>(first_day, step, last_day, slots, rng);
        } else {
            self.race_into_slots::<false>(first_day, step, last_day, slots, rng);
        }
        self.t = last_day;
        Some(last)
    }

    /// The race of [`Attrition::race_through_days`] through `slots`, the
    /// days `step` apart after `first_day`, to `last_day`: kept out of line
    /// (the race's state then stays in registers), and called with `step`
    /// 1 apart, where the compiler drops the division of each departure's
    /// step (as 1.0 it divides by nothing, the same bits).
    #[inline(never)]
    fn race_into_slots<const DAILY: bool>(
        &mut self,
        first_day: f64,
        step: f64,
        last_day: f64,
        slots: &mut [u32],
        rng: &mut StreamRng,
    ) {
        let step = if DAILY { 1.0 } else { step };
        slots.fill(0);
        let mut count = self.n;
        // A copy of the generator, and no bounds check that could panic
        // (a departure falls on a slot, by construction), lets the
        // compiler keep the generator's state in registers.
        let mut local = rng.clone();
        self.race_until(last_day, &mut local, |departure| {
            if let Some(slot) = slots.get_mut(step_at_or_after(departure - first_day, step)) {
                *slot += 1;
            }
        });
        *rng = local;
        for slot in slots.iter_mut() {
            count -= *slot;
            *slot = count;
        }
    }

    /// From own day `k`, just evaluated, draws the report days that follow
    /// (before `next_arrival_day`) by inversion, one after the other, for
    /// as long as [`Attrition::advance`] would draw them so: the host
    /// police on weekly steps, a dozen departures a week. The same draws,
    /// in the same order, as `advance` day by day, in a loop that keeps
    /// the process in registers. Returns the index of the last day drawn,
    /// or `k`.
    fn invert_through_days(
        &mut self,
        k: usize,
        schedule: Schedule,
        next_arrival_day: u32,
        out: &mut [u32],
        rng: &mut StreamRng,
    ) -> usize {
        let Schedule { days, report, .. } = schedule;
        // `advance` races (or takes its fast path) while a departure is
        // drawn, and has nothing to draw without anyone leaving.
        if self.next_departure.is_some() || self.lambda <= 0.0 {
            return k;
        }
        let mut last = k;
        for j in k + 1..days.len() {
            let day = days[j];
            if !report[j] || day >= next_arrival_day || self.n == 0 {
                break;
            }
            let to = f64::from(day);
            let hazard = self.lambda * (to - self.t);
            let expected = f64::from(self.n) * hazard;
            // `advance_slow`'s choice: the race below, thinning above.
            if !(RACE_BELOW..=THINNING_ABOVE).contains(&expected) {
                break;
            }
            self.n -= self.invert(hazard, rng);
            self.t = to;
            out[j] = self.n;
            last = j;
        }
        last
    }

    /// [`Attrition::skip_quiet_days`] checking the race's condition on each
    /// report day, over the days that pass `quiet`.
    fn skip_quiet_days_checked(
        &mut self,
        k: usize,
        schedule: Schedule,
        quiet: impl Fn(u32) -> bool,
        out: &mut [u32],
    ) -> usize {
        let Schedule { days, report, .. } = schedule;
        let mut last_own = k;
        for j in k + 1..days.len() {
            let day = days[j];
            if !quiet(day) {
                break;
            }
            if report[j] {
                // The same test as `advance`, so the same choice.
                if f64::from(self.n) * self.lambda * (f64::from(day) - self.t) >= RACE_BELOW {
                    break;
                }
                self.t = f64::from(day);
                last_own = j;
            }
        }
        out[k + 1..=last_own].fill(self.n);
        last_own
    }

    #[inline(never)]
    fn advance_slow(&mut self, to: f64, rng: &mut StreamRng) {
        // (`advance` has dealt with an empty group.)
        if self.lambda <= 0.0 || to <= self.t {
            self.t = self.t.max(to);
            return;
        }
        let hazard = self.lambda * (to - self.t);
        let expected = f64::from(self.n) * hazard;
        if expected >= RACE_BELOW {
            // A drawn-but-unused departure time may be dropped: the choice
            // does not depend on its value, and waits are memoryless.
            self.next_departure = None;
            self.n = if expected > THINNING_ABOVE {
                survivors(self.n, hazard, rng)
            } else {
                self.n - self.invert(hazard, rng)
            };
        } else {
            self.race_until(to, rng, |_| {});
        }
        self.t = to;
    }

    /// The death race up to time `to` (for a group with someone in it):
    /// each departure by then, in turn, is passed to `departed` (its time)
    /// and leaves, one exponential draw each (the wait for the first of `n`
    /// is Exp(n lambda)); the first departure after `to` is kept.
    #[inline(always)]
    fn race_until(&mut self, to: f64, rng: &mut StreamRng, mut departed: impl FnMut(f64)) {
        let (mut n, lambda) = (self.n, self.lambda);
        let mut next = self
            .next_departure
            .unwrap_or_else(|| self.t + exp1(rng) / (f64::from(n) * lambda));
        while next <= to {
            departed(next);
            n -= 1;
            if n == 0 {
                break;
            }
            next += exp1(rng) / (f64::from(n) * lambda);
        }
        self.n = n;
        self.next_departure = (n > 0).then_some(next);
    }

    /// Departures of a stretch with `hazard`, by inversion (see
    /// [`departures_by_inversion`]), from the chance that none of the
    /// `n` leave and `e^hazard - 1`, both carried from the last inversion.
    #[inline(always)]
    fn invert(&mut self, hazard: f64, rng: &mut StreamRng) -> u32 {
        let none_leave = self.chance_none_leave(hazard);
        departures_by_inversion(self.n, none_leave, self.ratio_of.1, rng)
    }

    /// `e^(-n hazard)`, from the last inversion's value when the head
    /// count has fallen by fewer than [`MAX_POWER`] since (exact up to a
    /// few units of rounding), else by `exp`.
    fn chance_none_leave(&mut self, hazard: f64) -> f64 {
        if self.ratio_of.0 != hazard {
            self.ratio_of = (hazard, hazard.exp_m1());
            self.none_leave = None;
            self.powers_known = 1;
        }
        let n = self.n;
        let chance = match self.none_leave {
            Some((before, chance)) if n <= before && before - n < MAX_POWER => {
                let fallen = (before - n) as usize;
                let step = 1.0 + self.ratio_of.1;
                while self.powers_known <= fallen {
                    self.powers[self.powers_known] = self.powers[self.powers_known - 1] * step;
                    self.powers_known += 1;
                }
                chance * self.powers[fallen]
            }
            _ => (-f64::from(n) * hazard).exp(),
        };
        self.none_leave = Some((n, chance));
        chance
    }

    /// Adds arrivals at the current time.
    #[inline]
    fn arrive(&mut self, size: u32) {
        if let Some(next) = self.next_departure {
            // The residual wait of Exp(n λ), rescaled, is an Exp((n + size) λ) wait.
            let before = f64::from(self.n);
            self.next_departure = Some(self.t + (next - self.t) * before / (before + f64::from(size)));
        }
        self.n = self.n.saturating_add(size);
    }
}

/// The first step `s` (0 for the first) with `after <= (s + 1) * step`:
/// which of a stretch's days, `step` days apart, first counts a departure
/// `after` (> 0) days into the stretch. Exact: `after` (a difference of a
/// time and a whole day) and the products are exact. The rounded quotient
/// is never below a whole number the true one reaches (division rounds
/// monotonically, and `j * step / step` is exactly `j`), so its whole part
/// is the answer or one more, which the product tells apart. (`ceil`
/// would be a call to the C library on a plain x86-64.)
#[inline(always)]
fn step_at_or_after(after: f64, step: f64) -> usize {
    // As a `u32` (a stretch is far shorter than 2^32 days), both
    // conversions are one instruction each; as a `usize` they are several.
    let slot = if step == 1.0 { after } else { after / step } as u32;
    let slot = if slot > 0 && after <= f64::from(slot) * step {
        slot - 1
    } else {
        slot
    };
    slot as usize
}

/// The number of leading `days` that pass `test`, which holds for a
/// prefix: looked for one, two, four... days ahead, then halved, so a
/// short quiet stretch costs a few steps and a long one a few more.
#[inline(always)]
fn first_failing(days: &[u32], test: impl Fn(u32) -> bool) -> usize {
    let mut low = 0;
    let mut step = 1;
    // Invariant: days[..low] pass.
    while low + step <= days.len() && test(days[low + step - 1]) {
        low += step;
        step *= 2;
    }
    let high = (low + step).min(days.len());
    low + days[low..high].partition_point(|&day| test(day))
}

/// How many days after day `k` are report days `gap` after the day before
/// them, and before `before`: looked at 16 days at a time, by a test of
/// each without an exit, over slices (which the compiler vectorizes), and
/// only the block where one fails is searched day by day.
#[inline(always)]
fn evenly_spaced_reports(days: &[u32], report: &[bool], k: usize, gap: u32, before: u32) -> usize {
    const BLOCK: usize = 16;
    let (ahead, behind, reports) = (&days[k + 1..], &days[k..days.len() - 1], &report[k + 1..]);
    let fits =
        |day: u32, previous: u32, is_report: bool| is_report & (day.wrapping_sub(previous) == gap) & (day < before);
    let mut length = 0;
    for ((a, b), r) in ahead
        .chunks_exact(BLOCK)
        .zip(behind.chunks_exact(BLOCK))
        .zip(reports.chunks_exact(BLOCK))
    {
        let all_fit = (a.iter().zip(b).zip(r)).fold(true, |all, ((&day, &previous), &is_report)| {
            all & fits(day, previous, is_report)
        });
        if !all_fit {
            break;
        }
        length += BLOCK;
    }
    length
        + (ahead[length..].iter().zip(&behind[length..]).zip(&reports[length..]))
            .take_while(|&((&day, &previous), &is_report)| fits(day, previous, is_report))
            .count()
}

/// Everyone arriving on `day` (saturating, like every head count).
fn arriving_on(arrivals: &[Arrival], day: u32) -> u32 {
    arrivals
        .iter()
        .filter(|a| a.day == day)
        .fold(0, |sum, a| sum.saturating_add(a.size))
}

/// Binomial(n, p) departures.
fn binomial(n: u32, p: f64, rng: &mut StreamRng) -> u32 {
    if p >= 1.0 {
        return n;
    }
    match Binomial::new(u64::from(n), p.max(0.0)) {
        Ok(b) => b.sample(rng) as u32,
        Err(_) => 0,
    }
}

/// Binomial(n, 1 - exp(-hazard)) departures by inversion: one uniform `u`,
/// then the smallest `k` whose cumulative probability exceeds `u`, with
/// `P(0) = none_leave = exp(-n hazard)` and
/// `P(k + 1) = P(k) (n - k) / (k + 1) ratio`, where `ratio` is
/// `e^hazard - 1` (both passed in: the caller reuses them).
/// For expected departures up to [`THINNING_ABOVE`] (P(0) stays far from
/// underflow). Should rounding leave `u` above the last cumulative sum, the
/// walk stops at `n`: a case of probability about 1e-15.
fn departures_by_inversion(n: u32, none_leave: f64, ratio: f64, rng: &mut StreamRng) -> u32 {
    let mut probability = none_leave;
    let mut cumulative = probability;
    let u = unit(rng);
    let mut k = 0u32;
    // `n - k` as a float, counted down (whole numbers, so exact).
    let mut remaining = f64::from(n);
    // The first steps take `1 / (k + 1)` from the table, the rest divide.
    for &step in &RECIPROCALS[1..] {
        if !(u >= cumulative && k < n) {
            return k;
        }
        probability *= remaining * ratio * step;
        cumulative += probability;
        remaining -= 1.0;
        k += 1;
    }
    while u >= cumulative && k < n {
        let step = 1.0 / f64::from(k + 1);
        probability *= remaining * ratio * step;
        cumulative += probability;
        remaining -= 1.0;
        k += 1;
    }
    k
}

/// Binomial(n, exp(-hazard)) survivors.
fn survivors(n: u32, hazard: f64, rng: &mut StreamRng) -> u32 {
    if n == 0 || hazard <= 0.0 {
        return n;
    }
    let p = (-hazard).exp();
    match Binomial::new(u64::from(n), p) {
        Ok(b) => b.sample(rng) as u32,
        Err(_) => 0,
    }
}

#[inline]
fn exp1(rng: &mut StreamRng) -> f64 {
    Exp1.sample(rng)
}

/// A uniform draw in [0, 1), for Bernoulli trials.
#[inline]
pub fn unit(rng: &mut StreamRng) -> f64 {
    rng.random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::streams::{StreamId, stream};

    /// Inversion draws Binomial(n, p) exactly: the share of draws at or
    /// below k matches the exact CDF (summed from the pmf) within 4 SE, and
    /// the mean within 4 SE, at a few (n, hazard) from 3 to 30 expected.
    #[test]
    fn inversion_draws_the_exact_binomial() {
        // The last case walks past the table of reciprocals (k of 63 and more).
        for (n, hazard) in [(5_000u32, 0.002f64), (40, 0.1), (1_000, 0.03), (200, 0.5)] {
            let p = -(-hazard).exp_m1();
            let draws = 200_000u32;
            let mut rng = stream(3, u64::from(n), StreamId::of("inversion"));
            let samples: Vec<u32> = (0..draws)
                .map(|_| departures_by_inversion(n, (-f64::from(n) * hazard).exp(), hazard.exp_m1(), &mut rng))
                .collect();
            let (nf, df) = (f64::from(n), f64::from(draws));
            let mean = samples.iter().map(|&k| f64::from(k)).sum::<f64>() / df;
            let se = (nf * p * (1.0 - p) / df).sqrt();
            assert!((mean - nf * p).abs() < 4.0 * se, "n {n}: mean {mean} vs {}", nf * p);
            // Exact CDF by the pmf recurrence, checked at each k near the mean.
            let mut pmf = (1.0 - p).powf(nf);
            let mut cdf = pmf;
            for k in 0..((3.0 * nf * p) as u32).min(n) {
                let share = samples.iter().filter(|&&s| s <= k).count() as f64 / df;
                let se = (cdf * (1.0 - cdf) / df).sqrt().max(1e-9);
                assert!((share - cdf).abs() < 4.0 * se + 1e-9, "n {n} k {k}: {share} vs {cdf}");
                pmf *= f64::from(n - k) / f64::from(k + 1) * p / (1.0 - p);
                cdf += pmf;
            }
        }
    }

    /// Racing through evenly spaced days departure by departure gives the
    /// counts, the state and the draws that advancing day by day gives:
    /// daily and weekly, for a host-sized group, contingents, and one that
    /// empties; and it stands aside where the race would not hold or pay,
    /// or the next day is an arrival day.
    #[test]
    fn racing_through_days_matches_advancing_day_by_day() {
        let groups_by_gap: [(u32, &[(u32, f64)]); 2] = [
            (1, &[(4_500, 0.0004), (1_000, 0.0003), (40, 0.01), (3, 0.05)]),
            (7, &[(1_000, 0.0003), (200, 0.001), (40, 0.01), (3, 0.05)]),
        ];
        let next_arrival_day = 300;
        let mut emptied = false;
        for (gap, groups) in groups_by_gap {
            let days: Vec<u32> = (0..=400 / gap).map(|i| i * gap).collect();
            let report = vec![true; days.len()];
            let schedule = Schedule::new(&days, &report);
            let stretch = days.iter().filter(|&&day| day < next_arrival_day).count();
            for &(n, lambda) in groups {
                for trial in 0..30 {
                    let mut day_by_day = Attrition::new(n, lambda);
                    let mut by_departures = Attrition::new(n, lambda);
                    let mut rng_day = stream(5, trial, StreamId::of("race"));
                    let mut rng_departures = rng_day.clone();
                    let mut expected = vec![n; stretch];
                    for k in 1..stretch {
                        day_by_day.advance(f64::from(days[k]), &mut rng_day);
                        expected[k] = day_by_day.n;
                    }
                    let mut got = vec![n; days.len()];
                    let last =
                        by_departures.race_through_days(0, schedule, next_arrival_day, &mut got, &mut rng_departures);
                    assert_eq!(last, Some(stretch - 1), "gap {gap} n {n}");
                    assert_eq!(got[..stretch], expected[..], "gap {gap} n {n} trial {trial}");
                    assert_eq!(
                        (by_departures.n, by_departures.t, by_departures.next_departure),
                        (day_by_day.n, day_by_day.t, day_by_day.next_departure)
                    );
                    assert_eq!(rng_departures.random::<u64>(), rng_day.random::<u64>());
                    emptied |= day_by_day.n == 0;
                }
            }
        }
        assert!(emptied, "some group empties within the stretch");
        let days: Vec<u32> = (0..=400).collect();
        let report = vec![true; days.len()];
        let schedule = Schedule::new(&days, &report);
        let mut rng = stream(5, 0, StreamId::of("race"));
        let mut out = vec![0; days.len()];
        // Three or more departures a day: inversion, not the race.
        assert_eq!(
            Attrition::new(4_500, 0.001).race_through_days(0, schedule, 300, &mut out, &mut rng),
            None
        );
        // On a hair's breadth from the bound, where `(n * lambda) * 7` is just
        // under 3 and `n * (lambda * 7)`, `advance`'s test, is not: advance
        // inverts, so the stretch is not raced.
        let (n, lambda) = (1_186, daily_rate(0.12356779822099294));
        assert!(f64::from(n) * lambda * 7.0 < RACE_BELOW && f64::from(n) * (lambda * 7.0) >= RACE_BELOW);
        let weekly: Vec<u32> = (0..=40).map(|i| i * 7).collect();
        let every_week = vec![true; weekly.len()];
        let mut weeks = vec![0; weekly.len()];
        let schedule_weekly = Schedule::new(&weekly, &every_week);
        let mut edge = Attrition::new(n, lambda);
        assert_eq!(
            edge.race_through_days(0, schedule_weekly, 300, &mut weeks, &mut rng),
            None
        );
        // Under one departure in 20 days: the quiet days' search.
        assert_eq!(
            Attrition::new(10, 0.001).race_through_days(0, schedule, 300, &mut out, &mut rng),
            None
        );
        // The next day is an arrival day.
        assert_eq!(
            Attrition::new(4_500, 0.0004).race_through_days(0, schedule, 1, &mut out, &mut rng),
            None
        );
    }

    /// Drawing a stretch by inversion in one loop gives what `advance`
    /// gives day by day: the same counts, state and draws, stopping where
    /// `advance` would stop inverting (the race below 3 expected
    /// departures, thinning above 30), before a day that is not a report
    /// day and before the next arrival.
    #[test]
    fn inverting_through_days_matches_advancing_day_by_day() {
        let days: Vec<u32> = (0..=100).map(|i| i * 7).collect();
        let mut report = vec![true; days.len()];
        report[80] = false;
        let schedule = Schedule::new(&days, &report);
        let next_arrival_day = 63 * 7;
        // (n, lambda, from day index, last day index drawn when known)
        let cases = [
            (4_500, 0.0004, 0, Some(62)),
            (4_500, 0.0004, 70, Some(79)),
            (4_500, 0.0004, 81, Some(100)),
            (300, 0.0015, 0, None),
            (20_000, 0.0004, 0, Some(0)),
            (100, 0.001, 0, Some(0)),
            (4_500, 0.0, 0, Some(0)),
        ];
        let mut stopped_by_the_race = false;
        for (n, lambda, k, known_last) in cases {
            for trial in 0..20 {
                let mut day_by_day = Attrition::new(n, lambda);
                let mut in_one_loop = Attrition::new(n, lambda);
                day_by_day.t = f64::from(days[k]);
                in_one_loop.t = day_by_day.t;
                let mut rng_day = stream(6, trial, StreamId::of("invert"));
                let mut rng_loop = rng_day.clone();
                let arrival = if k < 63 { next_arrival_day } else { u32::MAX };
                let mut got = vec![0; days.len()];
                let last = in_one_loop.invert_through_days(k, schedule, arrival, &mut got, &mut rng_loop);
                if let Some(known) = known_last {
                    assert_eq!(last, known, "n {n} lambda {lambda} from {k}");
                }
                for j in k + 1..=last {
                    day_by_day.advance(f64::from(days[j]), &mut rng_day);
                    assert_eq!(got[j], day_by_day.n, "n {n} lambda {lambda} day {j} trial {trial}");
                }
                assert_eq!(
                    (in_one_loop.n, in_one_loop.t, in_one_loop.next_departure),
                    (day_by_day.n, day_by_day.t, day_by_day.next_departure)
                );
                assert_eq!(rng_loop.random::<u64>(), rng_day.random::<u64>());
                if known_last.is_none() {
                    // Stopped where the expected departures of the next step fall below the race's bound.
                    assert!(last > k && last < 62, "n {n} stopped at {last}");
                    assert!(f64::from(in_one_loop.n) * lambda * 7.0 < RACE_BELOW);
                    stopped_by_the_race = true;
                }
            }
        }
        assert!(stopped_by_the_race);
    }

    /// The stretch of evenly spaced report days is what a plain walk
    /// along the progression finds: across block edges, ended by a day off
    /// the progression, a day that is not a report day, the next arrival,
    /// or the last day.
    #[test]
    fn evenly_spaced_reports_match_a_plain_walk() {
        let mut rng = stream(7, 0, StreamId::of("evenly-spaced"));
        for case in 0..3_000u32 {
            let gap = 1 + case % 7;
            let len = 2 + (case as usize * 7) % 90;
            let mut days: Vec<u32> = (0..len as u32).map(|i| i * gap).collect();
            let mut report = vec![true; len];
            // Break the progression, or a report day, somewhere (or nowhere).
            let at = (unit(&mut rng) * len as f64 * 1.2) as usize;
            if at > 0 && at < len {
                match case % 3 {
                    0 => days[at..].iter_mut().for_each(|day| *day += 1),
                    1 => report[at] = false,
                    _ => {}
                }
            }
            let before = (unit(&mut rng) * f64::from(days[len - 1] + 2 * gap)) as u32;
            let k = ((unit(&mut rng) * (len - 1) as f64) as usize).min(len - 2);
            let gap_here = days[k + 1] - days[k];
            let plain = (days[k + 1..].iter().zip(&report[k + 1..]))
                .zip((1..).map(|step| days[k] + step * gap_here))
                .take_while(|&((&day, &is_report), following)| is_report && day == following && day < before)
                .count();
            assert_eq!(
                evenly_spaced_reports(&days, &report, k, gap_here, before),
                plain,
                "case {case}: gap {gap_here} from {k} before {before}"
            );
        }
    }

    /// A departure counts on the first day at or after it: exactly on a
    /// day counts that day, just after it the next one.
    #[test]
    fn departures_count_on_the_first_day_at_or_after_them() {
        for step in [1.0, 7.0, 30.0] {
            assert_eq!(step_at_or_after(0.0, step), 0);
            assert_eq!(step_at_or_after(step * 0.5, step), 0);
            assert_eq!(step_at_or_after(step, step), 0);
            assert_eq!(step_at_or_after(step * 3.0, step), 2);
            assert_eq!(step_at_or_after(step * 3.0 + step * 3.0 * f64::EPSILON, step), 3);
            assert_eq!(step_at_or_after(step * 3.0 - step * 3.0 * f64::EPSILON, step), 2);
            assert_eq!(step_at_or_after(step * 100.0 + 1e-9, step), 100);
        }
    }

    /// The chance that nobody leaves, carried from stretch to stretch,
    /// stays within rounding of `e^(-n hazard)` over a whole horizon.
    #[test]
    fn carried_chance_none_leave_matches_exp() {
        let hazard = daily_rate(0.3) * 7.0;
        let mut process = Attrition::new(6_000, daily_rate(0.3));
        let mut rng = stream(1, 2, StreamId::of("carried"));
        for week in 0..110 {
            let chance = process.chance_none_leave(hazard);
            let exact = (-f64::from(process.n) * hazard).exp();
            assert!((chance / exact - 1.0).abs() < 1e-12, "week {week}: {chance} vs {exact}");
            process.n -= departures_by_inversion(process.n, chance, process.ratio_of.1, &mut rng);
            if week == 50 {
                process.arrive(700);
            }
        }
    }

    fn mean_at_horizon(initial: u32, lambda: f64, days: &[u32], trials: u64) -> (f64, f64) {
        let mut out = vec![0; days.len()];
        let mut sum = 0.0;
        let mut sum_sq = 0.0;
        for trial in 0..trials {
            let mut rng = stream(11, trial, StreamId::of("test"));
            let report = vec![true; days.len()];
            let schedule = Schedule::new(days, &report);
            strength_at(
                initial,
                &[],
                lambda,
                schedule,
                &mut out,
                &mut rng,
                Skipped::Bridge(&mut Bridge::new(0, trial, StreamId::of("b"))),
            );
            let v = f64::from(*out.last().unwrap());
            sum += v;
            sum_sq += v * v;
        }
        let mean = sum / trials as f64;
        (mean, (sum_sq / trials as f64 - mean * mean).sqrt())
    }

    /// Both methods give Binomial(n, s) survivors: mean within 4 standard errors.
    #[test]
    fn both_methods_match_the_survival_curve() {
        let lambda = daily_rate(0.3);
        let p = (1.0f64 - 0.3).powf(365.0 / 365.0);
        // Few asked days, many departures -> thinning; many days, few per day -> race.
        for (initial, days) in [(5000u32, vec![0u32, 365]), (40, (0..=365).collect::<Vec<_>>())] {
            let trials = 4000;
            let (mean, _) = mean_at_horizon(initial, lambda, &days, trials);
            let expected = f64::from(initial) * p;
            let se = (f64::from(initial) * p * (1.0 - p) / trials as f64).sqrt();
            assert!(
                (mean - expected).abs() < 4.0 * se,
                "n={initial}: mean {mean}, expected {expected} +- {se}"
            );
        }
    }

    #[test]
    fn arrivals_count_on_their_day_without_attrition() {
        let arrivals = [Arrival { day: 5, size: 10 }, Arrival { day: 9, size: 3 }];
        let days = [0, 4, 5, 8, 9, 20];
        let mut out = [0; 6];
        let mut rng = stream(0, 0, StreamId::of("t"));
        let schedule = Schedule::new(&days, &[true; 6]);
        strength_at(
            2,
            &arrivals,
            0.0,
            schedule,
            &mut out,
            &mut rng,
            Skipped::Bridge(&mut Bridge::new(0, 0, StreamId::of("b"))),
        );
        assert_eq!(out, [2, 2, 12, 12, 15, 15]);
    }

    /// A group's counts on its own days do not depend on which other days
    /// are evaluated, and bridged days never rise between own days.
    #[test]
    fn other_groups_days_do_not_change_a_groups_draws() {
        let arrivals = [Arrival { day: 35, size: 4000 }];
        let lambda = daily_rate(0.5);
        let own_days: Vec<u32> = (0..=210).step_by(7).collect();
        let mut with_extra = own_days.clone();
        with_extra.extend([3, 4, 50, 51, 52, 209]);
        with_extra.sort_unstable();
        for trial in 0..50 {
            let run = |days: &[u32]| {
                let report: Vec<bool> = days.iter().map(|d| d % 7 == 0).collect();
                let mut out = vec![0; days.len()];
                let mut rng = stream(5, trial, StreamId::of("own"));
                let mut bridge = Bridge::new(5, trial, StreamId::of("bridge"));
                let schedule = Schedule::new(days, &report);
                strength_at(
                    5000,
                    &arrivals,
                    lambda,
                    schedule,
                    &mut out,
                    &mut rng,
                    Skipped::Bridge(&mut bridge),
                );
                out
            };
            let (alone, extra) = (run(&own_days), run(&with_extra));
            for (k, day) in own_days.iter().enumerate() {
                let j = with_extra.iter().position(|d| d == day).unwrap();
                assert_eq!(alone[k], extra[j], "trial {trial}, day {day}");
            }
            for j in 1..with_extra.len() {
                if with_extra[j] != 35 {
                    assert!(
                        extra[j] <= extra[j - 1],
                        "trial {trial}: rises on day {}",
                        with_extra[j]
                    );
                }
            }
        }
    }

    /// Deferred skipped days, filled in later, get the same counts as days
    /// bridged at once; until then they hold the own day before's count.
    #[test]
    fn deferred_bridges_fill_in_the_same_counts() {
        let arrivals = [Arrival { day: 35, size: 400 }];
        let days: Vec<u32> = (0..=200).filter(|d| d % 7 == 0 || d % 5 == 3).collect();
        let report: Vec<bool> = days.iter().map(|d| d % 7 == 0 || *d == 35).collect();
        let lambda = daily_rate(0.4);
        for trial in 0..50 {
            let schedule = Schedule::new(&days, &report);
            let bridge = || Bridge::new(3, trial, StreamId::of("bridge"));
            let mut at_once = vec![0; days.len()];
            let mut rng = stream(3, trial, StreamId::of("own"));
            strength_at(
                3000,
                &arrivals,
                lambda,
                schedule,
                &mut at_once,
                &mut rng,
                Skipped::Bridge(&mut bridge()),
            );
            let (mut later, mut ranges) = (vec![0; days.len()], Vec::new());
            let mut rng = stream(3, trial, StreamId::of("own"));
            strength_at(
                3000,
                &arrivals,
                lambda,
                schedule,
                &mut later,
                &mut rng,
                Skipped::Defer(&mut ranges),
            );
            for range in &ranges {
                assert!(
                    range
                        .clone()
                        .all(|k| later[k] == later[range.start - 1] && later[k] >= at_once[k])
                );
            }
            assert!(!ranges.is_empty());
            bridge_skipped(&arrivals, lambda, &days, &mut later, &ranges, &mut bridge());
            assert_eq!(later, at_once, "trial {trial}");
        }
    }

    /// Before anyone arrives, or when nobody ever leaves, every day (report
    /// day or not, bridges deferred or not) gets the head count so far.
    #[test]
    fn without_departures_every_day_gets_the_head_count_so_far() {
        let arrivals = [Arrival { day: 10, size: 7 }, Arrival { day: 31, size: 5 }];
        let days: Vec<u32> = (0..=60).collect();
        let report: Vec<bool> = days.iter().map(|d| d % 7 == 0 || *d == 60).collect();
        for (initial, lambda) in [(0u32, daily_rate(0.2)), (3, 0.0)] {
            let mut out = vec![u32::MAX; days.len()];
            let mut ranges = Vec::new();
            let schedule = Schedule::new(&days, &report);
            let mut rng = stream(4, 0, StreamId::of("own"));
            strength_at(
                initial,
                &arrivals,
                lambda,
                schedule,
                &mut out,
                &mut rng,
                Skipped::Defer(&mut ranges),
            );
            for (&day, &count) in days.iter().zip(&out) {
                let so_far = initial + arrivals.iter().filter(|a| a.day <= day).map(|a| a.size).sum::<u32>();
                if lambda == 0.0 || day < 10 {
                    assert_eq!(count, so_far, "initial {initial}, day {day}");
                }
            }
        }
    }

    #[test]
    fn counts_never_rise_between_arrivals() {
        let arrivals = [Arrival { day: 50, size: 300 }];
        let days: Vec<u32> = (0..=200).collect();
        let mut out = vec![0; days.len()];
        let mut rng = stream(3, 1, StreamId::of("t"));
        let report = vec![true; days.len()];
        let schedule = Schedule::new(&days, &report);
        strength_at(
            1000,
            &arrivals,
            daily_rate(0.5),
            schedule,
            &mut out,
            &mut rng,
            Skipped::Bridge(&mut Bridge::new(0, 1, StreamId::of("b"))),
        );
        for k in 1..days.len() {
            if days[k] != 50 {
                assert!(out[k] <= out[k - 1]);
            }
        }
    }
}
