//! The host police: initial strength, attrition and graduating classes,
//! and the counts on other groups' days made exact when a target needs them.
//!
//! The rules: docs/MODEL.md §2.6.

use super::streams::stream;
use super::strength::{Arrival, Bridge, bridge_skipped, daily_rate, unit};
use super::{AvailableModel, Key, Model, Trial};

impl Model {
    /// Samples the host police's initial strength, attrition and graduating
    /// classes (with a course, each joins the payroll `course_days` after
    /// its day, if that is within the horizon).
    pub(super) fn plan_host(&self, key: &Key, trial: &mut Trial) -> (u32, f64) {
        let index = key.index;
        trial.host_arrivals.clear();
        let Some(host) = &self.host else { return (0, 0.0) };
        let seed = self.seed;
        let course = host.course.as_ref().map(|c| c.once(key) as i64);
        for intake in &host.intakes {
            let mut sizes = intake.size.many(seed, index);
            let mut graduates = (intake.graduates.probability < 1.0).then(|| stream(seed, index, intake.graduates.id));
            for class in 0..intake.classes {
                let day = match course {
                    None => Some(intake.days[class]),
                    // Joined before the start: among `initial`. Past the horizon: never.
                    Some(course) => u32::try_from(intake.entries[class] + course)
                        .ok()
                        .filter(|&day| day <= self.horizon),
                };
                // A one-off class may be correlated: then its size is the copula's.
                let size = if intake.size.slot.is_some() {
                    intake.size.once(key)
                } else {
                    sizes.next()
                } as u32;
                let passes = match &mut graduates {
                    Some(rng) => unit(rng) < intake.graduates.probability,
                    None => true,
                };
                if let Some(day) = day
                    && passes
                    && size > 0
                {
                    trial.host_arrivals.push(Arrival { day, size });
                }
            }
        }
        trial.host_arrivals.sort_by_key(|a| a.day);
        trial.jump_days.extend(trial.host_arrivals.iter().map(|a| a.day));
        if let Some(AvailableModel::Series(entries)) = &host.available {
            // The available series may rise on its days.
            let days = entries.iter().filter_map(|&(day, _)| u32::try_from(day).ok());
            trial.jump_days.extend(days.filter(|&day| day <= self.horizon));
        }
        let initial = host.initial.once(key).min(f64::from(u32::MAX / 4)) as u32;
        (initial, daily_rate(host.attrition.once(key)))
    }

    /// With layers, the officers available for duty on each evaluated day:
    /// the payroll, its drawn share (rounded), or the planner's series (the
    /// count of the latest entry on or before the day, the first entry's
    /// before it), at most the payroll. Each follows the payroll upwards,
    /// so a payroll count that is an upper bound gives one too.
    pub(super) fn fill_available(&self, key: &Key, trial: &mut Trial) {
        trial.host_available.clear();
        let Some(available) = self.host.as_ref().and_then(|h| h.available.as_ref()) else {
            return;
        };
        let (payroll, out) = (&trial.host, &mut trial.host_available);
        match available {
            AvailableModel::Payroll => out.extend_from_slice(payroll),
            AvailableModel::Share(share) => {
                let share = share.once(key);
                out.extend(payroll.iter().map(|&h| (share * f64::from(h)).round() as u32));
            }
            AvailableModel::Series(entries) => {
                let mut at = 0;
                let mut count = entries.first().map_or(0.0, |(_, c)| c.once(key)) as u32;
                for (&day, &h) in trial.days.iter().zip(payroll) {
                    while let Some((_, next)) = entries.get(at + 1).filter(|(d, _)| *d <= i64::from(day)) {
                        at += 1;
                        count = next.once(key) as u32;
                    }
                    out.push(count.min(h));
                }
            }
        }
    }

    /// Makes the host's counts exact on the days `strength_at` left (the
    /// same draws it would have made there at once).
    pub(super) fn bridge_host(&self, key: &Key, host_lambda: f64, trial: &mut Trial) {
        if let Some(host) = &self.host {
            let mut bridge = Bridge::new(key.seed, key.index, host.bridge);
            bridge_skipped(
                &trial.host_arrivals,
                host_lambda,
                &trial.days,
                &mut trial.host,
                &trial.host_skipped,
                &mut bridge,
            );
        }
        trial.host_skipped.clear();
        self.fill_available(key, trial);
    }
}

#[cfg(test)]
mod tests {
    use super::super::strength::{Schedule, Skipped, strength_at};
    use super::*;

    /// Host counts on other groups' arrival days are bridged only when a
    /// target counting the host needs them; the day the target is first
    /// met, and the counts it was met with, are those of bridging at once.
    #[test]
    fn host_counts_are_bridged_when_a_target_needs_them() {
        let text = r#"
name = "bridged on demand"
[simulation]
start = 2024-01-01
horizon_days = 120
step = "week"
seed = 7
[population]
initial = 1000000
[host_police]
initial = 2000
attrition_per_year = 0.3
[[contributors]]
name = "A"
kind = "police"
pledged = 400
first_arrival_days = "uniform(8, 60)"
[[targets]]
name = "police"
metric = "police"
at_least = 2350
"#;
        let scenario = crate::scenario::parse_str(text, "test.toml").expect("a valid scenario");
        let model = Model::new(&scenario);
        let host = model.host.as_ref().expect("a host");
        let lambda = daily_rate(0.3);
        let mut trial = Trial::default();
        let (mut bridged, mut settled) = (0, 0);
        for index in 0..400 {
            model.run_trial(index, &mut trial);
            // The host's counts had every day been bridged at once.
            let mut exact = vec![0; trial.days.len()];
            strength_at(
                2000,
                &trial.host_arrivals,
                lambda,
                Schedule::new(&trial.days, &trial.is_report),
                &mut exact,
                &mut stream(7, index, host.process),
                Skipped::Bridge(&mut Bridge::new(7, index, host.bridge)),
            );
            let first = (0..trial.days.len()).find(|&k| exact[k] + trial.international_police[k] >= 2350);
            assert_eq!(trial.first_reached, vec![first.map(|k| trial.days[k])], "trial {index}");
            for (k, (&count, &exact)) in trial.host.iter().zip(&exact).enumerate() {
                let day = trial.days[k];
                if trial.is_report[k] {
                    assert_eq!(count, exact, "trial {index}, day {day}");
                } else {
                    assert!(count >= exact, "trial {index}, day {day}");
                }
            }
            if trial.host_skipped.is_empty() {
                // Bridged (or nothing to bridge): every count is exact.
                assert_eq!(trial.host, exact, "trial {index}");
                bridged += usize::from(trial.is_report.contains(&false));
            } else {
                settled += 1;
            }
        }
        assert!(
            bridged > 20 && settled > 20,
            "{bridged} bridged, {settled} settled without"
        );
    }

    fn host_scenario(host: &str) -> crate::scenario::Scenario {
        let text = format!(
            "name = \"layers\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 100\nstep = \"day\"\n\
             [population]\ninitial = 1000000\n[host_police]\ninitial = 1000\n{host}"
        );
        crate::scenario::parse_str(&text, "layers.toml").expect("a valid scenario")
    }

    const CLASSES: &str = "[[host_police.intakes]]\nday = 2023-12-22\nsize = 5\n\
                           [[host_police.intakes]]\nday = 2023-10-01\nsize = 7\n\
                           [[host_police.intakes]]\nday = 70\nsize = 9\n\
                           [[host_police.intakes]]\nfirst_day = 2023-12-12\nevery_days = 30\nsize = 1\n";

    fn arrivals(scenario: &crate::scenario::Scenario) -> Vec<(u32, u32)> {
        let mut trial = Trial::default();
        Model::new(scenario).run_trial(0, &mut trial);
        trial.host_arrivals.iter().map(|a| (a.day, a.size)).collect()
    }

    /// With a course, a class joins `course_days` after its signed day
    /// (a date before the start counts back from it, not from day 0); one
    /// that joined before the start is among `initial`, one that would
    /// join after the horizon never does. Without, dates before the start
    /// are day 0, as before layers.
    #[test]
    fn classes_join_after_their_course_from_their_own_day() {
        let with = host_scenario(&format!("course_days = 40\n{CLASSES}"));
        // -10 + 40; -92 + 40 < 0; 70 + 40 > 100; -20, 10, 40, 70 (+ 40).
        assert_eq!(arrivals(&with), vec![(20, 1), (30, 5), (50, 1), (80, 1)]);
        let without = host_scenario(CLASSES);
        assert_eq!(
            arrivals(&without),
            vec![(0, 5), (0, 7), (0, 1), (30, 1), (60, 1), (70, 9), (90, 1)]
        );
    }

    /// The own series: the first entry's count before its day, each count
    /// held to the next entry, at most the payroll; no series without layers.
    #[test]
    fn the_available_series_is_held_and_capped_by_the_payroll() {
        let series = "[[host_police.available]]\nday = 5\ncount = 100\n\
                      [[host_police.available]]\nday = 9\ncount = 2000\n";
        let mut trial = Trial::default();
        Model::new(&host_scenario(series)).run_trial(3, &mut trial);
        let expected: Vec<u32> = (0..=100).map(|d| if d < 9 { 100 } else { 1000 }).collect();
        assert_eq!(trial.host_available, expected);
        Model::new(&host_scenario("")).run_trial(3, &mut trial);
        assert!(trial.host_available.is_empty());
    }
}
