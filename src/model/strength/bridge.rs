//! The days that are not a group's own (another group's arrival days):
//! filled from a stream of their own, at once or when a target needs them,
//! conditioned on the group's own days around them.

use std::ops::Range;

use super::super::streams::{StreamId, StreamRng, stream};
use super::binomial::{binomial, survivors};
use super::{Arrival, arriving_on};

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
    pub(super) fn fill(
        &mut self,
        arrivals: &[Arrival],
        lambda: f64,
        days: &[u32],
        out: &mut [u32],
        skipped: Range<usize>,
    ) {
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

#[cfg(test)]
mod tests {
    use super::super::{Schedule, daily_rate, strength_at};
    use super::*;

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
}
