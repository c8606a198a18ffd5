//! `[[events]]`: unlocks, mission ends, transforms and shocks.

use std::collections::HashSet;

use crate::scenario::limits::MAX_HORIZON_DAYS;
use crate::scenario::reader::{Dates, Reader, Tbl};
use crate::scenario::shown::quoted;
use crate::scenario::{Effect, Event, ValueKind};

/// The keys of an `[[events]]` entry.
pub(crate) const EVENT_KEYS: [&str; 12] = [
    "name",
    "probability",
    "day",
    "effect",
    "drawdown_days",
    "mission",
    "ceiling",
    "cost_per_person_month",
    "duration_days",
    "contributors",
    "withdrawal_factor",
    "share",
];

/// The effects, as a message lists them.
const EFFECTS: &str = "\"unlock\", \"end_mission\", \"transform\", \"pause_arrivals\", \"raise_withdrawal\", \
                       \"cancel_pledges\" or \"freeze_funds\"";

/// The keys only `effect = "transform"` takes.
const TRANSFORM_KEYS: [&str; 3] = ["mission", "ceiling", "cost_per_person_month"];

impl Reader<'_> {
    pub(crate) fn events(&mut self, root: &Tbl, dates: Dates) -> Vec<Event> {
        let mut seen = HashSet::new();
        let mut events = Vec::new();
        for mut t in self.table_array(root, "events") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "event", &EVENT_KEYS) else {
                continue;
            };
            let probability = self.probability(&t, "probability");
            if t.get("day").is_none() {
                self.missing(&t, "day", "the day it happens: a day number, a date or a distribution");
            }
            let day = self.uncertain(&t, "day", &t.field("day"), ValueKind::Day, dates);
            let effect = self.effect(&t);
            let mission = match effect {
                Some(Effect::Transform { .. }) => self.name(&t, "mission"),
                _ => None,
            };
            let shock = self.shock(&t, effect, events.len());
            match (day, effect) {
                (Some(day), Some(effect)) => events.push(Event {
                    name,
                    probability,
                    day,
                    effect,
                    mission,
                    duration_days: shock.duration,
                    contributors: None,
                    size: shock.size,
                }),
                _ => {
                    // Its shock's names belong to no event.
                    let owner = events.len();
                    self.shock_names.retain(|names| names.owner != owner);
                    self.broken_events.push(name);
                }
            }
        }
        events
    }

    /// `effect` and the keys that go with it.
    fn effect(&mut self, t: &Tbl) -> Option<Effect> {
        let kind = self.string(t, "effect");
        if kind.as_deref() != Some("transform") {
            for key in TRANSFORM_KEYS {
                if let Some(v) = t.get(key) {
                    let message = "only applies to effect = \"transform\"".to_string();
                    self.problem(v.span(), &t.field(key), message);
                }
            }
        }
        if kind.as_deref() != Some("end_mission")
            && let Some(v) = t.get("drawdown_days")
        {
            let message = "only applies to effect = \"end_mission\"".to_string();
            self.problem(v.span(), &t.field("drawdown_days"), message);
        }
        match kind.as_deref() {
            Some("transform") => {
                let ceiling = self.ceiling(t, "ceiling");
                let cost = self.bounded(
                    t,
                    "cost_per_person_month",
                    0.0,
                    crate::scenario::MAX_AMOUNT,
                    false,
                    "must be a plain number of USD >= 0",
                );
                Some(Effect::Transform {
                    ceiling,
                    cost_per_person_month: cost,
                })
            }
            Some("unlock") => Some(Effect::Unlock),
            Some("end_mission") => {
                let what = format!("must be a whole number of days from 0 to {MAX_HORIZON_DAYS}");
                let drawdown = self.bounded(t, "drawdown_days", 0.0, f64::from(MAX_HORIZON_DAYS), true, &what);
                Some(Effect::EndMission {
                    drawdown_days: drawdown.unwrap_or(0.0) as u32,
                })
            }
            Some("pause_arrivals") => Some(Effect::PauseArrivals),
            Some("raise_withdrawal") => Some(Effect::RaiseWithdrawal),
            Some("cancel_pledges") => Some(Effect::CancelPledges),
            Some("freeze_funds") => Some(Effect::FreezeFunds),
            Some(other) => {
                let span = t.get("effect").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!("must be {EFFECTS}, got {}", quoted(other));
                self.problem(span, &t.field("effect"), message);
                None
            }
            None => {
                if t.get("effect").is_none() {
                    self.missing(t, "effect", EFFECTS);
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::MINIMAL;
    use crate::scenario::{Dist, parse_str};

    #[test]
    fn dates_are_days_from_the_start_where_a_day_is_counted_from_day_0() {
        let s = parse_str(
            &format!("{MINIMAL}[[events]]\nname = \"e\"\nday = 2024-01-11\neffect = \"unlock\"\n"),
            "t.toml",
        )
        .expect("valid");
        assert_eq!(s.events[0].day.dist, Dist::Constant(10.0));
    }
}
