//! The warnings of `forcegen explain`: scenario fields whose values make a
//! target unreachable or already met, an event or intake that cannot happen
//! within the horizon, a pledge that can never arrive, or a distribution
//! much changed by clamping.

use super::render::{percent, range_words, show_mean, written};
use super::{CLAMP_WARNING, InputSummary, Warning, draws, draws_n};
use crate::output::number;
use crate::scenario::{Dist, Effect, Input, IntakeSchedule, Kind, Metric, Scenario};

pub(super) fn warn(field: impl Into<String>, message: String) -> Warning {
    Warning {
        field: field.into(),
        message,
    }
}

pub(super) fn clamp_warnings(inputs: &[InputSummary]) -> Vec<Warning> {
    inputs
        .iter()
        .filter(|s| s.clamped > CLAMP_WARNING)
        .map(|s| {
            let message = format!(
                "{} of draws of {} fall outside {} and are moved to its edge: the values used have mean {} \
                 instead of the distribution's {}",
                percent(s.clamped),
                written(&s.dist),
                range_words(s.kind),
                show_mean(s.kind, s.mean),
                show_mean(s.kind, s.dist.mean())
            );
            warn(&s.path, message)
        })
        .collect()
}

/// "day 740 (2026-10-09)" for a day number.
pub(super) fn day_and_date(scenario: &Scenario, day: u32) -> String {
    format!("day {day} ({})", scenario.date_of(day))
}

pub(super) fn horizon_words(scenario: &Scenario) -> String {
    format!(
        "the horizon, {}",
        day_and_date(scenario, scenario.simulation.horizon_days)
    )
}

pub(super) fn intake_warnings(scenario: &Scenario) -> Vec<Warning> {
    let Some(host) = &scenario.host_police else {
        return Vec::new();
    };
    let horizon = scenario.simulation.horizon_days;
    let mut warnings = Vec::new();
    for intake in &host.intakes {
        let path = intake.size.path.strip_suffix(".size").unwrap_or(&intake.size.path);
        if intake.class_days(horizon).is_empty() {
            let (key, day) = match intake.schedule {
                IntakeSchedule::Once { day } => ("day", day),
                IntakeSchedule::Recurring { first_day, .. } => ("first_day", first_day),
            };
            let message = format!(
                "{} is after {}: this intake never graduates within the simulated period",
                day_and_date(scenario, day),
                horizon_words(scenario)
            );
            warnings.push(warn(format!("{path}.{key}"), message));
        }
        if intake.probability <= 0.0 {
            let message = "is 0: this intake never graduates".to_string();
            warnings.push(warn(format!("{path}.probability"), message));
        }
        let (sizes, _) = draws(&intake.size);
        if sizes.iter().all(|&s| s == 0.0) {
            let message = format!(
                "{} is 0 in every draw (after rounding): this intake never adds anyone",
                written(&intake.size.dist)
            );
            warnings.push(warn(intake.size.path.clone(), message));
        }
    }
    warnings
}

/// Draw `i` of `a` with draw `i` of `b`, for as many draws as the longer
/// has: a constant's one value (see [`super::draws_n`]) goes with every
/// draw of the other. None when either has no draws.
pub(super) fn paired<'v>(a: &'v [f64], b: &'v [f64]) -> impl Iterator<Item = (f64, f64)> + 'v {
    let n = if a.is_empty() || b.is_empty() {
        0
    } else {
        a.len().max(b.len())
    };
    (0..n).map(move |i| (a[i % a.len()], b[i % b.len()]))
}

pub(super) fn contributor_warnings(scenario: &Scenario) -> Vec<Warning> {
    let horizon = f64::from(scenario.simulation.horizon_days);
    // Each event's days, drawn once however many pledges wait on it.
    let event_days: Vec<Vec<f64>> = scenario.events.iter().map(|e| draws(&e.day).0).collect();
    let mut warnings = Vec::new();
    for c in scenario.contributors.iter().filter(|c| c.pledged > 0) {
        let path = format!("contributors.{}", c.name);
        let none = format!("none of the {} pledged ever arrives", c.pledged);
        if c.probability <= 0.0 {
            warnings.push(warn(format!("{path}.probability"), format!("is 0: {none}")));
            continue;
        }
        let event = c.after.and_then(|e| scenario.events.get(e));
        if let Some(event) = event
            && event.probability <= 0.0
        {
            let message = format!("waits on event `{}`, whose probability is 0: {none}", event.name);
            warnings.push(warn(format!("{path}.after"), message));
            continue;
        }
        let (delays, _) = draws(&c.first_arrival_days);
        let anchors = match c.after.and_then(|e| event_days.get(e)) {
            Some(days) => days.as_slice(),
            None => &[0.0],
        };
        let within = paired(anchors, &delays).any(|(a, d)| a + d <= horizon);
        if !within {
            let from = event
                .map(|e| format!(" (counting from event `{}`)", e.name))
                .unwrap_or_default();
            let message = format!(
                "{} puts the first wave after {} in every draw{from}: none of the {} pledged arrives within the \
                 simulated period",
                written(&c.first_arrival_days.dist),
                horizon_words(scenario),
                c.pledged
            );
            warnings.push(warn(format!("{path}.first_arrival_days"), message));
        }
    }
    warnings
}

pub(super) fn event_warnings(scenario: &Scenario) -> Vec<Warning> {
    let horizon = f64::from(scenario.simulation.horizon_days);
    let mut warnings = Vec::new();
    for event in &scenario.events {
        if event.probability <= 0.0 {
            let message = "is 0: this event never happens".to_string();
            warnings.push(warn(format!("events.{}.probability", event.name), message));
        }
        let (days, _) = draws(&event.day);
        let after = days.iter().filter(|&&d| d > horizon).count() as f64 / days.len().max(1) as f64;
        let message = match (&event.day.dist, after) {
            (_, a) if a <= 0.0 => continue,
            (Dist::Constant(_), _) => format!(
                "{} is after {}: the event never happens within the simulated period",
                day_and_date(scenario, days.first().copied().unwrap_or(horizon) as u32),
                horizon_words(scenario)
            ),
            (dist, a) if a >= 1.0 => format!(
                "{} is after {} in every draw: the event never happens within the simulated period",
                written(dist),
                horizon_words(scenario)
            ),
            (dist, a) => format!(
                "{} is after {} in {} of draws; in those trials the event does not happen",
                written(dist),
                horizon_words(scenario),
                percent(a)
            ),
        };
        warnings.push(warn(event.day.path.clone(), message));
    }
    warnings
}

/// The contributors a metric counts: all, police only, one, or `None` for
/// metrics that also count the host police.
pub(super) fn counted(scenario: &Scenario, metric: Metric) -> Option<(String, Vec<usize>)> {
    let all = 0..scenario.contributors.len();
    match metric {
        Metric::International => Some(("all contributors together".to_string(), all.collect())),
        Metric::InternationalPolice => Some((
            "the police contributors together".to_string(),
            all.filter(|&c| scenario.contributors[c].kind == Kind::Police).collect(),
        )),
        Metric::Contributor(c) => Some((format!("contributor {}", scenario.contributors[c].name), vec![c])),
        _ => None,
    }
}

/// The warnings about targets, from `n` draws of each input ([`super::DRAWS`]
/// in `explain`).
pub(super) fn target_warnings(scenario: &Scenario, n: usize) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for target in &scenario.targets {
        let field = format!("targets.{}.at_least", target.name);
        let metric = target.metric.name(scenario);
        if let Some((who, members)) = counted(scenario, target.metric) {
            let most = members.iter().fold(0u64, |sum, &c| {
                let c = &scenario.contributors[c];
                // A relief may come before the group it replaces leaves.
                let overlap = if c.rotation.is_some() { 2 } else { 1 };
                sum.saturating_add(c.deployed.saturating_add(c.pledged).saturating_mul(overlap))
            });
            if (most as f64) < target.at_least {
                // Counted twice only where a relief may overlap: say so.
                let overlapping = members.iter().any(|&c| scenario.contributors[c].rotation.is_some());
                let what = match overlapping {
                    false => format!("deployed plus pledged is only {most} for {who}"),
                    true => format!(
                        "at most {most} can be present at once for {who} (deployed plus pledged, twice over where \
                         a relief may arrive before the group it relieves leaves)"
                    ),
                };
                let message = format!(
                    "{} cannot be reached: {what}, so {metric} stays below it even if every pledge is honoured in \
                     full",
                    number(target.at_least, 6)
                );
                warnings.push(warn(field.clone(), message));
                continue;
            }
        } else if let Some(most) = most_drawn(scenario, target.metric, n)
            && most < target.at_least
        {
            let decimals = if target.metric.is_ratio() { 2 } else { 0 };
            let message = format!(
                "{} is out of reach: {metric} is at most {} even with the largest drawn host police and \
                 intake classes, nobody leaving, every pledge in full and the smallest drawn population",
                number(target.at_least, 6),
                number(most, decimals)
            );
            warnings.push(warn(field.clone(), message));
            continue;
        }
        let met = met_on_day_zero(scenario, target.metric, target.at_least, n);
        if met > 0.0 {
            let how_often = if met >= 1.0 {
                "in every trial".to_string()
            } else {
                format!("in {} of draws", percent(met))
            };
            let message = format!(
                "{} is already met on day 0 {how_often} by the deployed and initial strength alone: its \
                 probability and date measure the starting point, not growth",
                number(target.at_least, 6)
            );
            warnings.push(warn(field, message));
        }
    }
    warnings
}

/// The largest value a metric counting the host police could take, from
/// the largest of `n` draws of each input: the largest initial
/// strength, every intake class within the horizon at its largest size, no
/// attrition, every contributor's deployed and pledged, and, for ratios, the
/// smallest population within the horizon. `None` for metrics of
/// contributors only (checked exactly from their pledges).
pub(super) fn most_drawn(scenario: &Scenario, metric: Metric, n: usize) -> Option<f64> {
    let largest = |input: &Input| draws_n(input, n).0.into_iter().fold(0.0, f64::max);
    let horizon = scenario.simulation.horizon_days;
    let host = scenario.host_police.as_ref().map_or(0.0, |h| {
        let classes: f64 = h
            .intakes
            .iter()
            .filter(|i| i.probability > 0.0)
            .map(|i| i.class_days(horizon).len() as f64 * largest(&i.size))
            .sum();
        largest(&h.initial) + classes
    });
    let pledges = |police_only: bool| -> f64 {
        scenario
            .contributors
            .iter()
            .filter(|c| !police_only || c.kind == Kind::Police)
            .map(|c| c.deployed as f64 + c.pledged as f64)
            .sum()
    };
    let smallest_population = || {
        let initial = draws_n(&scenario.population.initial, n)
            .0
            .into_iter()
            .fold(f64::INFINITY, f64::min);
        let growth = draws_n(&scenario.population.annual_growth, n)
            .0
            .into_iter()
            .fold(0.0, f64::min);
        initial * (1.0 + growth).powf(f64::from(horizon) / 365.25)
    };
    Some(match metric {
        // Those available for duty are at most the payroll.
        Metric::HostPolice | Metric::HostPayroll | Metric::HostAvailable => host,
        Metric::Police => host + pledges(true),
        Metric::SecurityForces => host + pledges(false),
        Metric::PolicePer100k | Metric::PolicePer100kPayroll | Metric::PolicePer100kAvailable => {
            (host + pledges(true)) * 1e5 / smallest_population()
        }
        Metric::SecurityPer1000 => (host + pledges(false)) * 1e3 / smallest_population(),
        // Contributors' own (checked from their pledges), and model v2's
        // money and enablers: no bound checked here.
        Metric::International | Metric::InternationalPolice | Metric::Contributor(_) => return None,
        Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap | Metric::MonthsOfCover => return None,
        Metric::Capability(_) | Metric::OutsideForces => return None,
        // Areas' ratios: their shares make no simple bound; none checked.
        Metric::AreaPolicePer100k(_) | Metric::AreaSecurityPer1000(_) => return None,
    })
}

/// Share of draws in which `metric` is at least `at_least` on day 0 from the
/// deployed contributors, the initial host police and the initial population.
pub(super) fn met_on_day_zero(scenario: &Scenario, metric: Metric, at_least: f64, n: usize) -> f64 {
    let deployed = |police_only: bool, in_mission: bool| -> f64 {
        scenario
            .contributors
            .iter()
            .filter(|c| (!police_only || c.kind == Kind::Police) && c.in_mission == in_mission)
            .map(|c| c.deployed as f64)
            .sum()
    };
    let (international, international_police) = (deployed(false, true), deployed(true, true));
    let outside = deployed(false, false);
    let host = match &scenario.host_police {
        Some(h) => draws_n(&h.initial, n).0,
        None => vec![0.0],
    };
    let population = draws_n(&scenario.population.initial, n).0;
    let pairs = paired(&host, &population).count();
    let met = paired(&host, &population)
        .filter(|&(h, p)| {
            let value = match metric {
                Metric::International => international,
                Metric::InternationalPolice => international_police,
                Metric::HostPolice | Metric::HostPayroll => h,
                Metric::Police => h + international_police,
                Metric::SecurityForces => h + international + outside,
                Metric::OutsideForces => outside,
                Metric::PolicePer100k | Metric::PolicePer100kPayroll => (h + international_police) * 1e5 / p,
                // Day 0's officers available for duty are not worked out here.
                Metric::HostAvailable | Metric::PolicePer100kAvailable => f64::NEG_INFINITY,
                Metric::SecurityPer1000 => (h + international + outside) * 1e3 / p,
                Metric::Contributor(c) => scenario.contributors.get(c).map_or(0.0, |c| c.deployed as f64),
                // Day 0's fund and enablers are not worked out here: never "met on day 0".
                Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap | Metric::MonthsOfCover => {
                    f64::NEG_INFINITY
                }
                Metric::Capability(_) => f64::NEG_INFINITY,
                Metric::AreaPolicePer100k(_) | Metric::AreaSecurityPer1000(_) => f64::NEG_INFINITY,
            };
            value >= at_least
        })
        .count();
    met as f64 / pairs.max(1) as f64
}

/// Model v2's values that a scenario gives but that change nothing: the
/// capabilities of a contingent that pledges nobody (only pledged waves
/// bring them), a share-of-ceiling target while a ceiling of 0 is in force
/// (0 is reached at once), a transform's cost with no `[funding]` to charge.
pub(super) fn v2_warnings(scenario: &Scenario) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for c in scenario
        .contributors
        .iter()
        .filter(|c| c.pledged == 0 && !c.capabilities.is_empty())
    {
        let message = format!(
            "count as 0: capabilities come with the pledged waves, and contributor {} pledges nobody \
             (deployed = {}, pledged = 0); give them to a pledge, or leave them out",
            c.name, c.deployed
        );
        warnings.push(warn(format!("contributors.{}.capabilities", c.name), message));
    }
    let zero_ceiling = zero_ceiling(scenario);
    for t in scenario.targets.iter().filter(|t| t.share_of_ceiling.is_some()) {
        if let Some(source) = &zero_ceiling {
            let message = format!(
                "meets a ceiling of 0 ({source}): any share of 0 is 0, so this target counts as reached on every \
                 day that ceiling is in force"
            );
            warnings.push(warn(format!("targets.{}.at_least_share_of_ceiling", t.name), message));
        }
    }
    if scenario.funding.is_none() {
        for e in &scenario.events {
            if let Effect::Transform {
                cost_per_person_month: Some(_),
                ..
            } = e.effect
            {
                let message = "is not used: the scenario has no [funding] to charge it to".to_string();
                warnings.push(warn(format!("events.{}.cost_per_person_month", e.name), message));
            }
        }
    }
    warnings
}

/// Where a ceiling of 0 comes from, if the scenario has one:
/// `mission.ceiling = 0` or a transform event's `ceiling = 0`.
fn zero_ceiling(scenario: &Scenario) -> Option<String> {
    if scenario.mission.as_ref().is_some_and(|m| m.ceiling == Some(0)) {
        return Some("mission.ceiling = 0".to_string());
    }
    scenario.events.iter().find_map(|e| match e.effect {
        Effect::Transform { ceiling: Some(0), .. } => Some(format!("events.{}.ceiling = 0, from its day", e.name)),
        _ => None,
    })
}
