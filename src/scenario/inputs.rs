//! A scenario's uncertain inputs, by path: to read ([`Scenario::inputs`])
//! and to change ([`Scenario::inputs_mut`]); and the draws that are not
//! inputs of their own but may be correlated ([`Scenario::latent_draws`]).

use super::{Available, ContributorCost, Dist, Input, IntakeSchedule, Scenario};

/// A draw of a trial that is no input of its own (it has no distribution
/// to write) but may be named in `[[correlations]]` (docs/MODEL.md §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latent {
    /// `contributors.NAME.honour`: the yes/no draw that decides whether
    /// the pledge is honoured at all, a uniform `u`, honoured when `u <
    /// probability`.
    Honour,
    /// `contributors.NAME.withdrawal`: the contingent's Exp(1) withdrawal
    /// wait (§2.4).
    Withdrawal,
}

impl Latent {
    /// The field of a contributor's path that names it.
    pub fn field(self) -> &'static str {
        match self {
            Latent::Honour => "honour",
            Latent::Withdrawal => "withdrawal",
        }
    }
}

/// A latent draw of one contributor: its path, what it is, and the
/// contributor's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatentDraw {
    pub path: String,
    pub latent: Latent,
    pub contributor: usize,
}

impl Scenario {
    /// Every contributor's honour and withdrawal draws, in scenario order
    /// (whether one varies, and so may be correlated, is [`Scenario::latent_rule`]'s).
    pub fn latent_draws(&self) -> Vec<LatentDraw> {
        let mut draws = Vec::with_capacity(2 * self.contributors.len());
        for (c, contributor) in self.contributors.iter().enumerate() {
            for latent in [Latent::Honour, Latent::Withdrawal] {
                draws.push(LatentDraw {
                    path: format!("contributors.{}.{}", contributor.name, latent.field()),
                    latent,
                    contributor: c,
                });
            }
        }
        draws
    }

    /// Why a latent draw cannot be correlated here, if it cannot: a pledge
    /// of nobody, or honoured with certainty, has no honour to correlate;
    /// a contingent that never withdraws, or always on day 0, no wait.
    pub fn latent_rule(&self, draw: &LatentDraw) -> Option<String> {
        let contributor = self.contributors.get(draw.contributor)?;
        let path = &draw.path;
        match draw.latent {
            Latent::Honour if contributor.pledged == 0 => {
                Some(format!("`{path}` has no pledge to honour here (pledged = 0)"))
            }
            Latent::Honour if contributor.probability <= 0.0 || contributor.probability >= 1.0 => Some(format!(
                "`{path}` is certain here (probability = {}); only a pledge honoured with a probability between \
                 0 and 1 can be correlated",
                contributor.probability
            )),
            Latent::Withdrawal => match contributor.withdrawal_per_year.dist {
                Dist::Constant(w) if w <= 0.0 => Some(format!(
                    "`{path}`: the contingent never withdraws here (withdrawal_per_year = 0)"
                )),
                Dist::Constant(w) if w >= 1.0 => Some(format!(
                    "`{path}`: the contingent withdraws on day 0 in every trial here (withdrawal_per_year = 1)"
                )),
                _ => None,
            },
            Latent::Honour => None,
        }
    }
}

impl Scenario {
    /// Every uncertain input with its path, in scenario order.
    pub fn inputs(&self) -> Vec<&Input> {
        let mut inputs = vec![&self.population.initial, &self.population.annual_growth];
        if let Some(host) = &self.host_police {
            inputs.push(&host.initial);
            inputs.push(&host.attrition_per_year);
            inputs.extend(host.intakes.iter().map(|i| &i.size));
            if let Some(layers) = &host.layers {
                inputs.extend(&layers.course_days);
                match &layers.available {
                    Available::Payroll => {}
                    Available::Share(share) => inputs.push(share),
                    Available::Series(entries) => inputs.extend(entries.iter().map(|e| &e.count)),
                }
            }
        }
        for c in &self.contributors {
            inputs.extend([
                &c.fulfilment,
                &c.first_arrival_days,
                &c.wave_interval_days,
                &c.attrition_per_year,
                &c.withdrawal_per_year,
            ]);
            if let Some(r) = &c.rotation {
                inputs.extend([&r.tour_days, &r.relief, &r.relief_gap_days]);
                inputs.extend(&r.first_rotation_days);
            }
            if let ContributorCost::Own(cost) = &c.cost {
                inputs.push(cost);
            }
            inputs.extend(&c.max_wait_days);
        }
        for e in &self.events {
            inputs.push(&e.day);
            inputs.extend(&e.duration_days);
            inputs.extend(&e.size);
        }
        if let Some(f) = &self.funding {
            inputs.extend([&f.start_balance, &f.cost_per_person_month]);
            for c in &f.contributions {
                inputs.extend([&c.amount, &c.day]);
                if let Some(freeze) = &c.freeze {
                    inputs.extend([&freeze.day, &freeze.share]);
                }
            }
            for o in &f.outside {
                inputs.extend([&o.day, &o.share]);
            }
        }
        for a in &self.areas {
            inputs.extend([&a.population_share, &a.host_police_share]);
        }
        inputs
    }

    /// [`Scenario::inputs`], to change (`sensitivity --sobol` fixes one
    /// input of a trial at a time). The same inputs in the same order.
    pub fn inputs_mut(&mut self) -> Vec<&mut Input> {
        let mut inputs = vec![&mut self.population.initial, &mut self.population.annual_growth];
        if let Some(host) = &mut self.host_police {
            inputs.push(&mut host.initial);
            inputs.push(&mut host.attrition_per_year);
            inputs.extend(host.intakes.iter_mut().map(|i| &mut i.size));
            if let Some(layers) = &mut host.layers {
                inputs.extend(&mut layers.course_days);
                match &mut layers.available {
                    Available::Payroll => {}
                    Available::Share(share) => inputs.push(share),
                    Available::Series(entries) => inputs.extend(entries.iter_mut().map(|e| &mut e.count)),
                }
            }
        }
        for c in &mut self.contributors {
            inputs.extend([
                &mut c.fulfilment,
                &mut c.first_arrival_days,
                &mut c.wave_interval_days,
                &mut c.attrition_per_year,
                &mut c.withdrawal_per_year,
            ]);
            if let Some(r) = &mut c.rotation {
                inputs.extend([&mut r.tour_days, &mut r.relief, &mut r.relief_gap_days]);
                inputs.extend(&mut r.first_rotation_days);
            }
            if let ContributorCost::Own(cost) = &mut c.cost {
                inputs.push(cost);
            }
            inputs.extend(&mut c.max_wait_days);
        }
        for e in &mut self.events {
            inputs.push(&mut e.day);
            inputs.extend(&mut e.duration_days);
            inputs.extend(&mut e.size);
        }
        if let Some(f) = &mut self.funding {
            inputs.extend([&mut f.start_balance, &mut f.cost_per_person_month]);
            for c in &mut f.contributions {
                inputs.extend([&mut c.amount, &mut c.day]);
                if let Some(freeze) = &mut c.freeze {
                    inputs.extend([&mut freeze.day, &mut freeze.share]);
                }
            }
            for o in &mut f.outside {
                inputs.extend([&mut o.day, &mut o.share]);
            }
        }
        for a in &mut self.areas {
            inputs.extend([&mut a.population_share, &mut a.host_police_share]);
        }
        inputs
    }

    /// The inputs drawn anew for each intake class or wave gap rather than
    /// once per trial (a one-off class's size is drawn once).
    pub fn per_class_inputs(&self) -> Vec<&Input> {
        let mut inputs: Vec<&Input> = Vec::new();
        if let Some(host) = &self.host_police {
            let recurring = host
                .intakes
                .iter()
                .filter(|i| matches!(i.schedule, IntakeSchedule::Recurring { .. }));
            inputs.extend(recurring.map(|i| &i.size));
        }
        inputs.extend(self.contributors.iter().map(|c| &c.wave_interval_days));
        inputs
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse_str;

    #[test]
    fn inputs_and_inputs_mut_list_the_same_paths() {
        let text = include_str!("../../tests/data/gsf-2026-04-v2-reference.toml");
        let mut scenario = parse_str(text, "gsf").expect("the GSF scenario parses");
        let paths: Vec<String> = scenario.inputs().iter().map(|i| i.path.clone()).collect();
        let changing: Vec<String> = scenario.inputs_mut().iter().map(|i| i.path.clone()).collect();
        assert_eq!(paths, changing);
        assert!(paths.len() > 100);
    }
}
