//! `[[contributors]]`: the pledges of contributing countries.

use std::collections::HashSet;

use crate::scenario::limits::MAX_WAVES;
use crate::scenario::reader::{Dates, Reader, Tbl};
use crate::scenario::shown::quoted;
use crate::scenario::{Contributor, Event, Kind, Metric, ValueKind};

/// The keys of a `[[contributors]]` entry.
pub(crate) const CONTRIBUTOR_KEYS: [&str; 23] = [
    "name",
    "deployed",
    "pledged",
    "probability",
    "fulfilment",
    "first_arrival_days",
    "after",
    "waves",
    "wave_interval_days",
    "attrition_per_year",
    "withdrawal_per_year",
    "kind",
    "tour_days",
    "relief",
    "relief_gap_days",
    "first_rotation_days",
    "cost_per_person_month",
    "funded_outside",
    "capabilities",
    "in_mission",
    "requires",
    "max_wait_days",
    "areas",
];

impl Reader<'_> {
    pub(crate) fn contributors(
        &mut self,
        root: &Tbl,
        events: &[Event],
        capabilities: &mut Vec<String>,
    ) -> Vec<Contributor> {
        let mut seen = HashSet::new();
        let mut contributors = Vec::new();
        for mut t in self.table_array(root, "contributors") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "contributor", &CONTRIBUTOR_KEYS) else {
                continue;
            };
            let number = contributors.len() as u64 + 1;
            self.check_rows(
                &t,
                number,
                Metric::STANDARD.len() as u64 + number,
                "contributor",
                "timeseries.csv",
            );
            contributors.push(self.contributor(&t, name, events, capabilities));
        }
        contributors
    }

    /// The rest of a `[[contributors]]` entry named `name`.
    fn contributor(&mut self, t: &Tbl, name: String, events: &[Event], names: &mut Vec<String>) -> Contributor {
        let deployed = self.count(t, "deployed");
        let pledged = self.count(t, "pledged");
        let rotation = self.rotation(t);
        // A relief may arrive before the group it replaces leaves: count
        // the contingent twice towards the head-count bound.
        let overlap = if rotation.is_some() { 2 } else { 1 };
        self.add_contingent(t, deployed.saturating_mul(overlap), pledged.saturating_mul(overlap));
        let cost = self.contributor_cost(t);
        let capabilities = self.capabilities(t, names);
        let probability = self.probability(t, "probability");
        let fulfilment = self.uncertain_or(t, "fulfilment", ValueKind::Fraction, 1.0, Dates::No);
        // Durations, not days from the start: no dates here.
        let first_arrival_days = self.uncertain_or(t, "first_arrival_days", ValueKind::Day, 0.0, Dates::No);
        let wave_interval_days = self.uncertain_or(t, "wave_interval_days", ValueKind::Day, 0.0, Dates::No);
        let attrition_per_year = self.uncertain_or(t, "attrition_per_year", ValueKind::Fraction, 0.0, Dates::No);
        let withdrawal_per_year = self.uncertain_or(t, "withdrawal_per_year", ValueKind::Fraction, 0.0, Dates::No);
        let waves_what = format!("must be a whole number of waves from 1 to {MAX_WAVES}");
        let waves = self
            .bounded(t, "waves", 1.0, f64::from(MAX_WAVES), true, &waves_what)
            .unwrap_or(1.0) as u32;
        let key = if t.get("waves").is_some() { "waves" } else { "pledged" };
        self.add_arrivals(t, key, u64::from(waves).min(pledged), "contributor");
        if let Some(r) = &rotation {
            let groups = u64::from(deployed > 0) + u64::from(waves).min(pledged);
            self.add_arrivals(
                t,
                "tour_days",
                reliefs(r, groups, self.horizon),
                "rotation (its reliefs)",
            );
        }
        let kind = self.kind(t);
        let after = self.after(t, events);
        let in_mission = self.in_mission(t);
        if let Some(names) = self.name_list(t, "requires") {
            let (owner, field) = (self.contributors_read, t.field("requires"));
            self.requires
                .push(crate::scenario::reader::Names { owner, field, names });
        }
        self.contributors_read += 1;
        let max_wait_days = t
            .get("max_wait_days")
            .and_then(|_| self.uncertain(t, "max_wait_days", &t.field("max_wait_days"), ValueKind::Day, Dates::No));
        Contributor {
            name,
            deployed,
            pledged,
            probability,
            fulfilment,
            first_arrival_days,
            after,
            waves,
            wave_interval_days,
            attrition_per_year,
            withdrawal_per_year,
            kind,
            rotation,
            cost,
            capabilities,
            in_mission,
            requires: Vec::new(),
            max_wait_days,
        }
    }

    /// `in_mission`: true (the default), or false for a force outside the
    /// mission (not under its ceiling, paid by no fund).
    fn in_mission(&mut self, t: &Tbl) -> bool {
        match t.get("in_mission").map(|v| (v, v.get_ref())) {
            None => true,
            Some((_, toml::de::DeValue::Boolean(b))) => *b,
            Some((v, other)) => {
                let message = format!("must be true or false, found {}", other.type_str());
                self.problem(v.span(), &t.field("in_mission"), message);
                true
            }
        }
    }

    /// `kind`: police (the default) or military.
    fn kind(&mut self, t: &Tbl) -> Kind {
        match self.string(t, "kind").as_deref() {
            None | Some("police") => Kind::Police,
            Some("military") => Kind::Military,
            Some(other) => {
                let span = t.get("kind").map(|v| v.span()).unwrap_or(t.span.clone());
                self.problem(
                    span,
                    &t.field("kind"),
                    format!("must be \"police\" or \"military\", got {}", quoted(other)),
                );
                Kind::Police
            }
        }
    }

    /// `after`: the index of the unlock event the pledge waits for.
    fn after(&mut self, t: &Tbl, events: &[Event]) -> Option<usize> {
        let after = self.string(t, "after")?;
        let found = events.iter().position(|e| e.name == after && e.effect.unlocks());
        // An event left out for its own problem is not a second one here.
        if found.is_none() && !self.broken_events.contains(&after) {
            let unlocks: Vec<&str> = events
                .iter()
                .filter(|e| e.effect.unlocks())
                .map(|e| e.name.as_str())
                .collect();
            let allowed = if unlocks.is_empty() {
                "there are no events with effect = \"unlock\" or \"transform\"".to_string()
            } else {
                format!("unlock and transform events: {}", unlocks.join(", "))
            };
            let span = t.get("after").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "names no event with effect = \"unlock\" or \"transform\": {} ({allowed})",
                quoted(&after)
            );
            self.problem(span, &t.field("after"), message);
        }
        found
    }
}

/// The most reliefs a rotating contingent of `groups` groups (the deployed
/// one and each pledged wave) can bring in one trial over `horizon` days:
/// each group's line of reliefs comes at most once every `tour + gap` days
/// (at least one: an overlap is at most half the tour), from the shortest
/// tour and the least gap a trial can draw.
fn reliefs(rotation: &crate::scenario::Rotation, groups: u64, horizon: Option<u32>) -> u64 {
    let least = |input: &crate::scenario::Input| input.kind.apply(input.dist.quantile(0.0));
    let tour = least(&rotation.tour_days).max(1.0);
    let period = (tour + least(&rotation.relief_gap_days)).max(1.0);
    let horizon = f64::from(horizon.unwrap_or(0));
    groups.saturating_mul((horizon / period).floor() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::problems;

    #[test]
    fn durations_do_not_take_dates() {
        let p = problems("[[contributors]]\nname = \"K\"\npledged = 5\nfirst_arrival_days = 2024-02-01\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, "contributors.K.first_arrival_days");
        assert_eq!(p[0].line, 10);
    }
}
