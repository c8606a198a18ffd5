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
//!
//! Here: the schedule of days and [`strength_at`], which walks it; the
//! process itself and its draws are in `attrition` and `binomial`, the
//! stretches of days it passes over at once in `stretches`, and the days
//! that are not the group's own in `bridge`. A contingent followed event by
//! event (its groups leave at different times, or others look at its
//! count on days of their choosing) takes the same lifetimes departure by
//! departure, from `departures`.
//!
//! The rules: docs/MODEL.md §2.6 and §2.7.

mod attrition;
mod binomial;
mod bridge;
mod departures;
mod stretches;

use attrition::Attrition;
pub use binomial::unit;
pub use bridge::{Bridge, Skipped, bridge_skipped};
pub use departures::Departures;

use super::streams::StreamRng;

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

/// Everyone arriving on `day` (saturating, like every head count).
fn arriving_on(arrivals: &[Arrival], day: u32) -> u32 {
    arrivals
        .iter()
        .filter(|a| a.day == day)
        .fold(0, |sum, a| sum.saturating_add(a.size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::streams::{StreamId, stream};

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
