//! Model v2's rules compiled for sampling: samplers built and stream names
//! hashed once, as for the rest of the model.

use super::super::copula::Copula;
use super::super::draw::{Chance, Draw};
use crate::scenario::{ContributorCost, Effect, OverCeiling, Scenario};

/// Model v2's rules of a scenario.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(super) contributors: Vec<ContributorRules>,
    /// The ceiling on day 0.
    pub(super) ceiling: Option<u64>,
    pub(super) over: OverCeiling,
    /// Transform events: (event index, new ceiling, new default cost).
    transforms: Vec<(usize, Option<u64>, Option<f64>)>,
    pub(super) fund: Option<FundRules>,
    pub(super) cover_months: f64,
    pub(super) arrears_factor: f64,
    /// How many capability kinds the scenario names.
    pub(super) capabilities: usize,
    /// Model v2's inputs by their scenario paths, for sensitivity analysis.
    pub(in crate::model) named: Vec<(String, Named)>,
}

/// A model v2 input as a trial draws it.
#[derive(Debug, Clone)]
pub(in crate::model) enum Named {
    Draw(Draw),
    Chance(Chance),
}

/// One contributor's rotation, cost and capabilities.
#[derive(Debug, Clone)]
pub(super) struct ContributorRules {
    pub(super) rotation: Option<RotationRules>,
    pub(super) cost: CostRule,
    /// (capability, number) its pledged waves bring.
    pub(super) capabilities: Vec<(usize, u64)>,
}

#[derive(Debug, Clone)]
pub(super) struct RotationRules {
    pub(super) tour: Draw,
    pub(super) relief: Draw,
    pub(super) gap: Draw,
    pub(super) first: Option<Draw>,
}

#[derive(Debug, Clone)]
pub(super) enum CostRule {
    Default,
    Own(Draw),
    Outside,
}

/// The fund's inputs.
#[derive(Debug, Clone)]
pub(super) struct FundRules {
    pub(super) start: Draw,
    pub(super) cost: Draw,
    pub(super) contributions: Vec<ContributionRules>,
    /// (day, share) of each payer outside the fund.
    pub(super) outside: Vec<(Draw, Draw)>,
}

#[derive(Debug, Clone)]
pub(super) struct ContributionRules {
    pub(super) paid: Chance,
    pub(super) amount: Draw,
    pub(super) day: Draw,
    /// (happens, day, share).
    pub(super) freeze: Option<(Chance, Draw, Draw)>,
}

impl Plan {
    pub(in crate::model) fn new(scenario: &Scenario, shared: Option<&Copula>) -> Plan {
        let contributors = scenario
            .contributors
            .iter()
            .map(|c| ContributorRules {
                rotation: c.rotation.as_ref().map(|r| RotationRules {
                    tour: Draw::new(&r.tour_days, shared),
                    relief: Draw::new(&r.relief, shared),
                    gap: Draw::new(&r.relief_gap_days, shared),
                    first: r.first_rotation_days.as_ref().map(|f| Draw::new(f, shared)),
                }),
                cost: match &c.cost {
                    ContributorCost::Default => CostRule::Default,
                    ContributorCost::Own(input) => CostRule::Own(Draw::new(input, shared)),
                    ContributorCost::Outside => CostRule::Outside,
                },
                capabilities: c.capabilities.clone(),
            })
            .collect();
        let transforms = scenario
            .events
            .iter()
            .enumerate()
            .filter_map(|(e, event)| match event.effect {
                Effect::Transform {
                    ceiling,
                    cost_per_person_month,
                } => Some((e, ceiling, cost_per_person_month)),
                _ => None,
            })
            .collect();
        let fund = scenario.funding.as_ref().map(|f| FundRules {
            start: Draw::new(&f.start_balance, shared),
            cost: Draw::new(&f.cost_per_person_month, shared),
            contributions: f
                .contributions
                .iter()
                .map(|c| ContributionRules {
                    paid: Chance::new(c.probability, &format!("funding.contributions.{}.probability", c.name)),
                    amount: Draw::new(&c.amount, shared),
                    day: Draw::new(&c.day, shared),
                    freeze: c.freeze.as_ref().map(|z| {
                        let path = format!("funding.contributions.{}.freeze_probability", c.name);
                        (
                            Chance::new(z.probability, &path),
                            Draw::new(&z.day, shared),
                            Draw::new(&z.share, shared),
                        )
                    }),
                })
                .collect(),
            outside: f
                .outside
                .iter()
                .map(|o| (Draw::new(&o.day, shared), Draw::new(&o.share, shared)))
                .collect(),
        });
        let mission = scenario.mission.as_ref();
        let named = named_inputs(scenario, shared);
        Plan {
            named,
            contributors,
            ceiling: mission.and_then(|m| m.ceiling),
            over: mission.map_or(OverCeiling::Wait, |m| m.over_ceiling),
            transforms,
            fund,
            cover_months: scenario.funding.as_ref().map_or(0.0, |f| f.cover_months),
            arrears_factor: scenario.funding.as_ref().map_or(1.0, |f| f.arrears_withdrawal_factor),
            capabilities: scenario.capability_names.len(),
        }
    }

    /// Whether contributor `c` is followed event by event even when nothing
    /// couples it to the others: it rotates, or brings capabilities.
    pub(in crate::model) fn follows(&self, c: usize) -> bool {
        self.contributors
            .get(c)
            .is_some_and(|rules| rules.rotation.is_some() || !rules.capabilities.is_empty())
    }

    /// Whether the fund or the ceiling can bind in a trial with these
    /// event days, in which at most `most_present` people are ever present
    /// (everyone deployed and every planned wave, none leaving): a fund
    /// always can; a ceiling only when some ceiling that can be in force is
    /// below that, or reliefs (which no plan counts) may come.
    pub(in crate::model) fn gated(&self, event_days: &[Option<u32>], most_present: u64) -> bool {
        if self.fund.is_some() {
            return true;
        }
        let later = self
            .transforms
            .iter()
            .filter(|&&(e, ceiling, _)| ceiling.is_some() && event_days.get(e).copied().flatten().is_some())
            .filter_map(|&(_, ceiling, _)| ceiling);
        let Some(lowest) = self.ceiling.into_iter().chain(later).min() else {
            return false;
        };
        let rotates = self.contributors.iter().any(|rules| rules.rotation.is_some());
        rotates || most_present > lowest
    }

    /// The ceilings the transforms of this trial set: (day, ceiling), by day.
    pub(super) fn ceilings(&self, event_days: &[Option<u32>]) -> Vec<(u32, u64)> {
        self.transform_days(event_days)
            .into_iter()
            .filter_map(|(day, ceiling, _)| ceiling.map(|c| (day, c)))
            .collect()
    }

    /// The transforms that happen in this trial: (day, ceiling, cost), by day.
    pub(super) fn transform_days(&self, event_days: &[Option<u32>]) -> Vec<(u32, Option<u64>, Option<f64>)> {
        let mut days: Vec<_> = self
            .transforms
            .iter()
            .filter_map(|&(e, ceiling, cost)| event_days.get(e).copied().flatten().map(|day| (day, ceiling, cost)))
            .collect();
        // Stable: on the same day, the later in the file has the last word.
        days.sort_by_key(|&(day, _, _)| day);
        days
    }
}

/// Every model v2 input that can vary, by its path, drawn as the trial
/// draws it (the same streams, so the same values).
fn named_inputs(scenario: &Scenario, shared: Option<&Copula>) -> Vec<(String, Named)> {
    let mut named = Vec::new();
    let mut draw =
        |input: &crate::scenario::Input| named.push((input.path.clone(), Named::Draw(Draw::new(input, shared))));
    for c in &scenario.contributors {
        if let Some(r) = &c.rotation {
            draw(&r.tour_days);
            draw(&r.relief);
            draw(&r.relief_gap_days);
            if let Some(first) = &r.first_rotation_days {
                draw(first);
            }
        }
        if let ContributorCost::Own(cost) = &c.cost {
            draw(cost);
        }
    }
    if let Some(f) = &scenario.funding {
        draw(&f.start_balance);
        draw(&f.cost_per_person_month);
        for c in &f.contributions {
            draw(&c.amount);
            draw(&c.day);
            if let Some(z) = &c.freeze {
                draw(&z.day);
                draw(&z.share);
            }
        }
        for o in &f.outside {
            draw(&o.day);
            draw(&o.share);
        }
        for c in &f.contributions {
            let path = format!("funding.contributions.{}.probability", c.name);
            named.push((path.clone(), Named::Chance(Chance::new(c.probability, &path))));
            if let Some(z) = &c.freeze {
                let path = format!("funding.contributions.{}.freeze_probability", c.name);
                named.push((path.clone(), Named::Chance(Chance::new(z.probability, &path))));
            }
        }
    }
    named
}
