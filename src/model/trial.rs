//! The state of one trial: the days evaluated, every head count on them,
//! what each contributor delivered, and the targets' first days; reused
//! from trial to trial by one worker.

use super::rules::Delivery;
use super::strength::Arrival;
use crate::scenario::Metric;

/// Buffers for one trial, reused across trials by one worker.
#[derive(Debug, Default, Clone)]
pub struct Trial {
    /// The days evaluated, ascending: report days plus arrival days.
    pub days: Vec<u32>,
    /// For each report day, in order, its index among the evaluated days.
    pub report_positions: Vec<u32>,
    /// For each evaluated day: is it a report day?
    pub is_report: Vec<bool>,
    /// Head counts `[contributor][day]`, flattened.
    pub contributor_strength: Vec<u32>,
    /// The host police's head count on each evaluated day. Exact on report
    /// days and graduation days; on other groups' arrival days, exact only
    /// if a target needed it (see `host_skipped`), else the count of the
    /// evaluated day before, which is at least the true count.
    pub host: Vec<u32>,
    /// With host police layers, the officers available for duty on each
    /// evaluated day (`host` is then the payroll); empty without layers.
    /// Exact where `host` is, else at least the true count.
    pub host_available: Vec<u32>,
    /// Ranges of evaluated days whose `host` count is not yet exact.
    pub(super) host_skipped: Vec<std::ops::Range<usize>>,
    /// All contributors' head count on each evaluated day.
    pub international: Vec<u32>,
    /// Police contributors' head count on each evaluated day.
    pub international_police: Vec<u32>,
    /// Forces outside the mission (`in_mission = false`) on each evaluated
    /// day; empty when the scenario has none.
    pub outside: Vec<u32>,
    /// `international` plus `outside` (the contributors' part of
    /// `security_forces`); empty when the scenario has no outside forces.
    pub all_forces: Vec<u32>,
    /// Population on each evaluated day.
    pub population: Vec<f64>,
    pub deliveries: Vec<Delivery>,
    /// First day each target is met, if within the horizon.
    pub first_reached: Vec<Option<u32>>,
    /// Per contributor: nobody on any day (lets recording skip it).
    pub(super) empty: Vec<bool>,
    /// Each contributor's waves, withdrawal and way of sampling.
    pub(super) plans: super::rules::Plans,
    /// The shocks that happen in this trial.
    pub(super) shocks: Vec<super::shocks::Shock>,
    pub(super) host_arrivals: Vec<Arrival>,
    pub(super) jump_days: Vec<u32>,
    pub(super) event_days: Vec<Option<u32>>,
    /// This trial's values of the correlated inputs.
    pub(super) correlated: Vec<f64>,
    /// The capabilities, the fund and the ceiling on each evaluated day.
    pub followed: super::timeline::Series,
    /// The followed contingents' state and course, reused from trial to trial.
    pub(super) timeline: super::timeline::Buffers,
    /// The areas' shares and international people (`[[areas]]`).
    pub(super) areas: super::areas::AreaSeries,
}

/// The head counts of a metric on each evaluated day: one series, or two
/// added day by day (saturating, like every head count).
#[derive(Debug, Clone, Copy)]
pub enum CountSeries<'a> {
    One(&'a [u32]),
    Sum(&'a [u32], &'a [u32]),
}

impl CountSeries<'_> {
    /// The head count on evaluated day index `k`.
    #[inline(always)]
    pub fn at(self, k: usize) -> u32 {
        match self {
            CountSeries::One(series) => series[k],
            CountSeries::Sum(a, b) => a[k].saturating_add(b[k]),
        }
    }
}

impl Trial {
    /// Head counts of contributor `c` on each evaluated day.
    #[inline]
    pub fn contributor(&self, c: usize) -> &[u32] {
        let n = self.days.len();
        &self.contributor_strength[c * n..(c + 1) * n]
    }

    /// True when contributor `c` has nobody on any day of this trial.
    pub fn is_empty(&self, c: usize) -> bool {
        self.empty.get(c).copied().unwrap_or(false)
    }

    /// The evaluated-day series behind a head-count metric (`None` for
    /// ratios).
    #[inline]
    pub fn count_series(&self, metric: Metric) -> Option<CountSeries<'_>> {
        Some(match metric {
            Metric::International => CountSeries::One(&self.international),
            Metric::InternationalPolice => CountSeries::One(&self.international_police),
            Metric::HostPolice | Metric::HostPayroll => CountSeries::One(&self.host),
            Metric::HostAvailable => CountSeries::One(&self.host_available),
            Metric::Police => CountSeries::Sum(&self.host, &self.international_police),
            Metric::SecurityForces => CountSeries::Sum(&self.host, self.forces()),
            Metric::OutsideForces => CountSeries::One(&self.outside),
            Metric::Contributor(c) => CountSeries::One(self.contributor(c)),
            Metric::Capability(i) => {
                let n = self.days.len();
                CountSeries::One(&self.followed.capability[i * n..(i + 1) * n])
            }
            Metric::PolicePer100k | Metric::SecurityPer1000 => return None,
            Metric::PolicePer100kPayroll | Metric::PolicePer100kAvailable => return None,
            Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap | Metric::MonthsOfCover => return None,
            Metric::AreaPolicePer100k(_) | Metric::AreaSecurityPer1000(_) => return None,
        })
    }

    /// A head-count metric at evaluated day index `k` (`None` for ratios).
    #[inline]
    pub fn count(&self, metric: Metric, k: usize) -> Option<u32> {
        Some(self.count_series(metric)?.at(k))
    }

    /// The value of `metric` at evaluated day index `k`.
    #[inline(always)]
    pub fn metric(&self, metric: Metric, k: usize) -> f64 {
        match self.ratio_parts(metric) {
            Some((scale, host, international)) => ratio(host[k], international[k], scale, self.population[k]),
            None => match self.fund_series(metric) {
                Some(values) => values[k],
                None => match self.area_ratio(metric, k) {
                    Some(value) => value,
                    None => f64::from(self.count(metric, k).unwrap_or(0)),
                },
            },
        }
    }

    /// The fund's series behind a money metric or months of cover.
    #[inline]
    pub fn fund_series(&self, metric: Metric) -> Option<&[f64]> {
        let at = Metric::FUNDING.iter().position(|m| *m == metric)?;
        Some(&self.followed.fund[at])
    }

    /// Appends a real-valued metric's values (ratios, money, months) on
    /// every evaluated day when `every_day`, else on the days at `positions`.
    #[inline]
    pub fn values(&self, metric: Metric, positions: &[u32], every_day: bool, out: &mut Vec<f64>) {
        match self.fund_series(metric) {
            Some(values) if every_day => out.extend_from_slice(values),
            Some(values) => out.extend(positions.iter().map(|&k| values[k as usize])),
            None => self.ratios(metric, positions, every_day, out),
        }
    }

    /// Every contributor's head count on each evaluated day, inside the
    /// mission or not.
    #[inline(always)]
    fn forces(&self) -> &[u32] {
        if self.all_forces.is_empty() {
            &self.international
        } else {
            &self.all_forces
        }
    }

    /// A ratio metric's scale (per `scale` people), the host police series
    /// it counts (the payroll, or those available for duty) and the
    /// international series whose count it adds; `None` for head counts.
    #[inline(always)]
    pub(super) fn ratio_parts(&self, metric: Metric) -> Option<(f64, &[u32], &[u32])> {
        match metric {
            Metric::PolicePer100k | Metric::PolicePer100kPayroll => Some((1e5, &self.host, &self.international_police)),
            Metric::PolicePer100kAvailable => Some((1e5, &self.host_available, &self.international_police)),
            Metric::SecurityPer1000 => Some((1e3, &self.host, self.forces())),
            _ => None,
        }
    }

    /// Appends ratio `metric`'s values (nothing for a head count) on every
    /// evaluated day when `every_day`, else on the evaluated days at
    /// `positions`. Every day is one pass over the series, which the
    /// compiler vectorizes (divisions two at a time); the values are those
    /// of [`Trial::metric`], to the bit.
    #[inline(always)]
    pub fn ratios(&self, metric: Metric, positions: &[u32], every_day: bool, out: &mut Vec<f64>) {
        let Some((scale, host, international)) = self.ratio_parts(metric) else {
            let area = |k: usize| self.area_ratio(metric, k).unwrap_or(f64::NAN);
            match (metric.area(), every_day) {
                (None, _) => {}
                (Some(_), true) => out.extend((0..self.days.len()).map(area)),
                (Some(_), false) => out.extend(positions.iter().map(|&k| area(k as usize))),
            }
            return;
        };
        let population = &self.population;
        if every_day {
            let international = &international[..host.len()];
            let population = &population[..host.len()];
            out.extend((host.iter().zip(international).zip(population)).map(|((&h, &i), &p)| ratio(h, i, scale, p)));
        } else {
            out.extend(positions.iter().map(|&k| {
                let k = k as usize;
                ratio(host[k], international[k], scale, population[k])
            }));
        }
    }
}

impl Trial {
    /// An area's ratio (`police_per_100k:AREA`, `security_per_1000:AREA`)
    /// at evaluated day index `k`; `None` for other metrics.
    #[inline]
    pub(super) fn area_ratio(&self, metric: Metric, k: usize) -> Option<f64> {
        let (police, scale) = match metric {
            Metric::AreaPolicePer100k(_) => (true, 1e5),
            Metric::AreaSecurityPer1000(_) => (false, 1e3),
            _ => return None,
        };
        let area = metric.area()?;
        Some(
            self.areas
                .ratio(area, police, scale, self.host[k], self.population[k], k),
        )
    }
}

/// A ratio metric's value: `(host + international) * scale / population`.
#[inline(always)]
pub(super) fn ratio(host: u32, international: u32, scale: f64, population: f64) -> f64 {
    (f64::from(host) + f64::from(international)) * scale / population
}

#[cfg(test)]
mod tests {
    use super::super::streams::{StreamId, stream};
    use super::super::strength::unit;
    use super::*;

    /// A ratio metric's values in one pass, on every day or on some, are
    /// those of `Trial::metric` on each day, to the bit; head counts give
    /// none.
    #[test]
    fn ratios_in_one_pass_are_the_metric_on_each_day() {
        let mut rng = stream(11, 0, StreamId::of("ratio-series"));
        let mut trial = Trial::default();
        let mut population = 11.87e6;
        for day in 0..500u32 {
            trial.days.push(day);
            trial.host.push(if day == 7 {
                u32::MAX
            } else {
                (unit(&mut rng) * 6_000.0) as u32
            });
            let international = (unit(&mut rng) * 3_000.0) as u32;
            trial.international.push(international);
            trial.international_police.push(international / 3);
            trial.population.push(population);
            population *= 1.0 + (unit(&mut rng) - 0.5) * 1e-3;
        }
        let positions: Vec<u32> = (0..500).filter(|k| k % 7 == 0 || k % 11 == 3).collect();
        for metric in [Metric::PolicePer100k, Metric::SecurityPer1000] {
            let mut every_day = Vec::new();
            trial.ratios(metric, &positions, true, &mut every_day);
            let mut some_days = Vec::new();
            trial.ratios(metric, &positions, false, &mut some_days);
            let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let each: Vec<f64> = (0..500).map(|k| trial.metric(metric, k)).collect();
            assert_eq!(bits(&every_day), bits(&each));
            let picked: Vec<f64> = positions.iter().map(|&k| each[k as usize]).collect();
            assert_eq!(bits(&some_days), bits(&picked));
        }
        let mut none = Vec::new();
        trial.ratios(Metric::HostPolice, &positions, true, &mut none);
        assert!(none.is_empty());
    }
}
