//! The days a trial is evaluated on (report days, arrival days, or every
//! day), and the population on each.
//!
//! The rules: docs/MODEL.md §2.1 and §2.9.

use super::{Model, Trial};

impl Model {
    /// Sets the evaluated days: report days plus, when there are targets,
    /// every arrival day (or every day, for a ratio target while the
    /// population shrinks).
    pub(super) fn choose_days(&self, trial: &mut Trial, shrinking: bool) {
        trial.days.clear();
        trial.report_positions.clear();
        if self.targets.is_empty() {
            trial.days.extend_from_slice(&self.report_days);
            trial.report_positions.extend(0..self.report_days.len() as u32);
            return;
        }
        // Every day is a report day (daily steps), or must be evaluated.
        let daily = self.report_days.len() == self.horizon as usize + 1;
        if daily || (shrinking && self.ratio_targets) {
            trial.days.extend(0..=self.horizon);
            trial.report_positions.extend_from_slice(&self.report_days);
            return;
        }
        trial.jump_days.sort_unstable();
        trial.jump_days.dedup();
        // The report days before each jump day are copied in one piece,
        // then the jump day, unless it is a report day itself.
        let reports = &self.report_days;
        let (days, positions) = (&mut trial.days, &mut trial.report_positions);
        let mut r = 0;
        for &jump in &trial.jump_days {
            let before = r + reports[r..].partition_point(|&day| day < jump);
            add_reports(days, positions, &reports[r..before]);
            r = before;
            if reports.get(r) != Some(&jump) {
                days.push(jump);
            }
        }
        add_reports(days, positions, &reports[r..]);
    }

    pub(super) fn mark_reports(trial: &mut Trial) {
        trial.is_report.clear();
        trial.is_report.resize(trial.days.len(), false);
        for &k in &trial.report_positions {
            trial.is_report[k as usize] = true;
        }
    }

    /// pop(d) = pop(0) * (1 + g)^(d / 365.25), stepped from evaluated day
    /// to day. Steps repeat (7 days, 1 day), so one exp serves many days:
    /// the factors of short steps are kept once computed. The factors are
    /// found first and multiplied in a second pass, a tight loop.
    pub(super) fn fill_population(trial: &mut Trial, population0: f64, growth: f64) {
        let log_growth = (1.0 + growth).ln() / 365.25;
        let mut previous_day = 0u32;
        let mut short_steps = [f64::NAN; 32];
        trial.population.clear();
        trial.population.extend(trial.days.iter().map(|&day| {
            let gap = day - previous_day;
            previous_day = day;
            match short_steps.get_mut(gap as usize) {
                Some(known) if !known.is_nan() => *known,
                Some(unknown) => {
                    *unknown = (log_growth * f64::from(gap)).exp();
                    *unknown
                }
                None => (log_growth * f64::from(gap)).exp(),
            }
        }));
        let mut population = population0;
        for slot in &mut trial.population {
            population *= *slot;
            *slot = population;
        }
    }
}

/// Appends report days to the evaluated days, noting their positions.
fn add_reports(days: &mut Vec<u32>, positions: &mut Vec<u32>, reports: &[u32]) {
    let start = days.len() as u32;
    positions.extend(start..start + reports.len() as u32);
    days.extend_from_slice(reports);
}
