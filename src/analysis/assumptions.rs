//! `assumptions.csv`, the report's assumptions table: every uncertain input
//! as the scenario wrote it with the p5, p50 and p95 it implies (from
//! [`explain`]'s draws), every honour and intake probability, every event
//! (its effect, probability and the dates its day implies) and every
//! benchmark with its source.
//!
//! The rules: docs/MODEL.md §5.8.

use crate::output::{cell_text, csv_bytes, number, schema};
use crate::scenario::{Effect, Input, Scenario, ValueKind};

use super::explain::{self, kind_name, written};

/// One row of `assumptions.csv` (see [`schema::ASSUMPTIONS_COLUMNS`]).
fn row(kind: &str, name: &str, value: String, unit: &str, percentiles: [String; 3], source: &str) -> Vec<String> {
    let [p5, p50, p95] = percentiles;
    vec![
        kind.to_string(),
        cell_text(name),
        cell_text(&value),
        unit.to_string(),
        p5,
        p50,
        p95,
        cell_text(source),
    ]
}

/// A value of `kind` as a plain number: whole for people and days.
fn plain(kind: ValueKind, value: f64) -> String {
    match kind {
        ValueKind::Count | ValueKind::PositiveCount | ValueKind::Day | ValueKind::SignedDay | ValueKind::Amount => {
            number(value, 0)
        }
        ValueKind::Fraction | ValueKind::Growth | ValueKind::Factor => number(value, 4),
    }
}

/// An uncertain input: as written, and its p5, p50 and p95 as drawn.
fn input_row(input: &Input) -> Vec<String> {
    let s = explain::summarise_quick(input);
    let percentiles = [s.p5, s.p50, s.p95].map(|v| plain(input.kind, v));
    row(
        "input",
        &input.path,
        written(&input.dist),
        kind_name(input.kind),
        percentiles,
        "",
    )
}

/// The date of a drawn day, or "" past the horizon (never, in this run).
fn date_within(scenario: &Scenario, day: f64) -> String {
    if day > f64::from(scenario.simulation.horizon_days) {
        return String::new();
    }
    scenario.date_of(day as u32).format("%Y-%m-%d").to_string()
}

fn probability_row(path: &str, probability: f64) -> Vec<String> {
    row(
        "probability",
        path,
        number(probability, 6),
        "probability",
        Default::default(),
        "",
    )
}

/// An event's effect in words: "transform to GSF, ceiling 5500", "pause_arrivals
/// of Chad, Benin", "cancel_pledges of all contributors".
fn effect_text(scenario: &Scenario, e: &crate::scenario::Event) -> String {
    match e.effect {
        Effect::Unlock => "unlock".to_string(),
        Effect::EndMission { drawdown_days } => format!("end_mission (drawdown {drawdown_days} days)"),
        Effect::Transform {
            ceiling,
            cost_per_person_month,
        } => {
            let mut text = format!("transform to {}", e.mission.as_deref().unwrap_or("a new mission"));
            if let Some(c) = ceiling {
                text.push_str(&format!(", ceiling {c}"));
            }
            if let Some(c) = cost_per_person_month {
                text.push_str(&format!(", USD {} per person-month", number(c, 0)));
            }
            text
        }
        shock => {
            let whom = match &e.contributors {
                None if shock == Effect::FreezeFunds => "the fund".to_string(),
                None => "all contributors".to_string(),
                Some(list) => {
                    let names: Vec<&str> = list.iter().map(|&c| scenario.contributors[c].name.as_str()).collect();
                    names.join(", ")
                }
            };
            format!("{} of {whom}", shock.name())
        }
    }
}

/// The rows of honour, intake and event probabilities and of events.
fn chance_rows(scenario: &Scenario) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    if let Some(host) = &scenario.host_police {
        for intake in &host.intakes {
            let path = intake.size.path.trim_end_matches(".size");
            rows.push(probability_row(&format!("{path}.probability"), intake.probability));
        }
    }
    for c in &scenario.contributors {
        rows.push(probability_row(
            &format!("contributors.{}.probability", c.name),
            c.probability,
        ));
    }
    for e in &scenario.events {
        rows.push(probability_row(
            &format!("events.{}.probability", e.name),
            e.probability,
        ));
        let effect = effect_text(scenario, e);
        let s = explain::summarise_quick(&e.day);
        let dates = [s.p5, s.p50, s.p95].map(|d| date_within(scenario, d));
        rows.push(row("event", &format!("events.{}", e.name), effect, "date", dates, ""));
    }
    rows
}

/// `assumptions.csv`: the uncertain inputs (constants left out), then the
/// probabilities and events, then the benchmarks, each in scenario order.
pub fn render(scenario: &Scenario) -> Vec<u8> {
    let mut rows: Vec<Vec<String>> = scenario
        .inputs()
        .into_iter()
        .filter(|input| !matches!(input.dist, crate::scenario::Dist::Constant(_)))
        .map(input_row)
        .collect();
    rows.extend(chance_rows(scenario));
    for b in &scenario.benchmarks {
        let value = number(b.value, 6);
        rows.push(row(
            "benchmark",
            &b.name,
            value,
            &b.metric.name(scenario),
            Default::default(),
            &b.source,
        ));
    }
    csv_bytes(&schema::ASSUMPTIONS_COLUMNS, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;

    #[test]
    fn every_input_probability_event_and_benchmark_is_listed() {
        let text = "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 100\n[population]\n\
                    initial = 100000\n[[contributors]]\nname = \"A\"\npledged = 10\nprobability = 0.8\n\
                    first_arrival_days = \"uniform(10, 20)\"\n[[events]]\nname = \"E\"\nprobability = 0.5\n\
                    day = 30\neffect = \"end_mission\"\ndrawdown_days = 7\n[[benchmarks]]\nname = \"B\"\n\
                    metric = \"police_per_100k\"\nvalue = 222\nsource = \"folklore\"\n";
        let scenario = parse_str(text, "t.toml").expect("valid");
        let csv = String::from_utf8(render(&scenario)).unwrap();
        // uniform(10, 20) rounded to whole days: p5 = 10 or 11 (P(day = 10)
        // = 0.05 exactly, so the 5th percentile sits on the boundary), p50
        // = 15, p95 = 20 or 19; checked on the drawn values.
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "kind,name,value,unit,p5,p50,p95,source");
        assert!(
            lines[1].starts_with("input,contributors.A.first_arrival_days,\"uniform(10, 20)\",days,1"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains(",15,"), "{}", lines[1]);
        assert_eq!(
            &lines[2..],
            [
                "probability,contributors.A.probability,0.8,probability,,,,",
                "probability,events.E.probability,0.5,probability,,,,",
                "event,events.E,end_mission (drawdown 7 days),date,2025-01-31,2025-01-31,2025-01-31,",
                "benchmark,B,222,police_per_100k,,,,folklore",
            ]
        );
    }
}
