//! Stretches of days the process passes over in one go, with the draws,
//! in the same order, that moving day by day would make: quiet days, a
//! race through evenly spaced days, inversions one after the other.

use super::super::streams::StreamRng;
use super::Schedule;
use super::attrition::{Attrition, RACE_BELOW, THINNING_ABOVE};

/// Expected departures between two report days from which the race runs
/// through a stretch of evenly spaced report days departure by departure
/// (see [`Attrition::race_through_days`]) rather than day by day: the host
/// police on daily steps (a couple a day), most contingents on weekly
/// ones. Below it, a pass over every day would cost more than passing
/// over the quiet days between departures in one search.
const RACE_BY_DEPARTURES_ABOVE: f64 = 0.05;

impl Attrition {
    /// From own day `k`, just evaluated, moves over the days on which
    /// nobody can leave: those before `next_arrival_day` and before the
    /// race's next departure (any day, when nobody is there or nobody
    /// leaves), where [`Attrition::advance`] would take its fast path. They
    /// all get the current count (the skipped days among them too: a
    /// stretch without departures has none to bridge). Returns the last own
    /// day moved to, or `k`.
    #[inline(always)]
    pub(super) fn skip_quiet_days(
        &mut self,
        k: usize,
        schedule: Schedule,
        next_arrival_day: u32,
        out: &mut [u32],
    ) -> usize {
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
    pub(super) fn race_through_days(
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
    pub(super) fn invert_through_days(
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

#[cfg(test)]
mod tests {
    use rand::RngExt;

    use super::super::{daily_rate, unit};
    use super::*;
    use crate::model::streams::{StreamId, stream};

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
}
