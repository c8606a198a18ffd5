//! Areas (`[[areas]]`): each trial's shares of an area and its
//! international people on each evaluated day, for the ratios
//! `police_per_100k:AREA` and `security_per_1000:AREA`.
//!
//! An area's ratio on a day is `(host_police_share * host + sum over
//! contributors of share * count) * scale / (population_share *
//! population)`: real-valued, so nothing is rounded. The rules:
//! docs/MODEL.md §3.1.

use super::copula::Copula;
use super::{Draw, Key};
use crate::scenario::{Area, Contributor, Kind, MIN_AREA_POPULATION_SHARE};

/// One area, ready to draw.
#[derive(Debug, Clone)]
pub(super) struct AreaModel {
    pub(super) name: String,
    pub(super) population_share: Draw,
    pub(super) host_share: Draw,
    /// (contributor, share of its people there, is it police in the
    /// mission?). A force outside the mission counts in the area's
    /// security, not its police (as nationally, docs/MODEL.md §2.14).
    members: Vec<(usize, f64, bool)>,
}

impl AreaModel {
    pub(super) fn new(area: &Area, contributors: &[Contributor], copula: Option<&Copula>) -> AreaModel {
        AreaModel {
            name: area.name.clone(),
            population_share: Draw::new(&area.population_share, copula),
            host_share: Draw::new(&area.host_police_share, copula),
            members: area
                .members
                .iter()
                .map(|&(c, share)| {
                    let police = contributors
                        .get(c)
                        .is_some_and(|c| c.kind == Kind::Police && c.in_mission);
                    (c, share, police)
                })
                .collect(),
        }
    }
}

/// One trial's areas, reused from trial to trial.
#[derive(Debug, Default, Clone)]
pub struct AreaSeries {
    /// Per area: the population share drawn (at least
    /// [`MIN_AREA_POPULATION_SHARE`]) and the host police share.
    shares: Vec<(f64, f64)>,
    /// Per area, on each evaluated day: its international police, then all
    /// its international people (`[2 * area + which][day]`, flattened).
    international: Vec<f64>,
    days: usize,
}

impl AreaSeries {
    /// Draws each area's shares and adds up its contributors' people on
    /// each of the `days` evaluated days (`strength`: head counts
    /// `[contributor][day]`, flattened). Nothing without areas.
    pub(super) fn fill(&mut self, areas: &[AreaModel], key: &Key, strength: &[u32], days: usize) {
        self.shares.clear();
        self.international.clear();
        self.days = days;
        for area in areas {
            let population = area.population_share.once(key).max(MIN_AREA_POPULATION_SHARE);
            self.shares.push((population, area.host_share.once(key)));
            for police_only in [true, false] {
                let at = self.international.len();
                self.international.resize(at + days, 0.0);
                let out = &mut self.international[at..];
                for &(c, share, police) in &area.members {
                    if police_only && !police {
                        continue;
                    }
                    let counts = strength.get(c * days..(c + 1) * days).unwrap_or(&[]);
                    for (sum, &count) in out.iter_mut().zip(counts) {
                        *sum += share * f64::from(count);
                    }
                }
            }
        }
    }

    /// Area `area`'s ratio on evaluated day `k`: its police (`police`) or
    /// security forces per `scale` people, from the day's national host
    /// police and population.
    #[inline]
    pub(super) fn ratio(&self, area: usize, police: bool, scale: f64, host: u32, population: f64, k: usize) -> f64 {
        let (population_share, host_share) = self.shares[area];
        let which = 2 * area + usize::from(!police);
        let international = self.international[which * self.days + k];
        (host_share * f64::from(host) + international) * scale / (population_share * population)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Input;

    /// Shares of two contributors' people (one police, one military) add
    /// up day by day into the area's police and security counts; the ratio
    /// takes the host's share and the area's population.
    #[test]
    fn an_areas_counts_and_ratio_are_the_shares_of_its_members() {
        let contributors = crate::scenario::parse_str(
            "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 10\n[population]\ninitial = 1000\n\
             [[contributors]]\nname = \"P\"\ndeployed = 1\n\
             [[contributors]]\nname = \"M\"\ndeployed = 1\nkind = \"military\"\n",
            "t.toml",
        )
        .expect("valid")
        .contributors;
        let area = Area {
            name: "X".into(),
            population_share: Input::constant("areas.X.population_share", 0.25, crate::scenario::ValueKind::Fraction),
            host_police_share: Input::constant("areas.X.host_police_share", 0.5, crate::scenario::ValueKind::Fraction),
            members: vec![(0, 0.8), (1, 0.5)],
        };
        let model = AreaModel::new(&area, &contributors, None);
        let mut series = AreaSeries::default();
        // Two days: P has 10 then 20, M 4 then 6.
        series.fill(&[model], &Key::constant(), &[10, 20, 4, 6], 2);
        // Police on day 1: 0.5 * 100 host + 0.8 * 20 = 66, over 0.25 * 10,000 people.
        assert_eq!(series.ratio(0, true, 1e5, 100, 10_000.0, 1), 66.0 * 1e5 / 2_500.0);
        // Security on day 0: 50 + 8 + 2 = 60.
        assert_eq!(series.ratio(0, false, 1e3, 100, 10_000.0, 0), 60.0 * 1e3 / 2_500.0);
    }
}
