//! Model v2's parts of the mission and of each contributor: `[mission]`
//! (ceiling), rotations, the cost to the fund, and capabilities.

use toml::de::DeValue;

use crate::scenario::limits::{MAX_HEAD_COUNT, MAX_NAME_CHARS};
use crate::scenario::reader::{Dates, Reader, Tbl, fmt_num};
use crate::scenario::shown::{cut, quoted};
use crate::scenario::{ContributorCost, Input, Mission, OverCeiling, Rotation, ValueKind};

/// The keys of `[mission]`.
pub(crate) const MISSION_KEYS: [&str; 3] = ["name", "ceiling", "over_ceiling"];

/// The most capability kinds a scenario may name.
pub(crate) const MAX_CAPABILITIES: usize = 100;

impl Reader<'_> {
    pub(crate) fn mission(&mut self, t: &Tbl) -> Mission {
        self.check_keys(t, &MISSION_KEYS);
        let name = self.name(t, "name").unwrap_or_else(|| "mission".to_string());
        let ceiling = self.ceiling(t, "ceiling");
        let over_ceiling = match self.string(t, "over_ceiling").as_deref() {
            None | Some("wait") => OverCeiling::Wait,
            Some("turn_away") => OverCeiling::TurnAway,
            Some(other) => {
                let span = t.get("over_ceiling").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!("must be \"wait\" or \"turn_away\", got {}", quoted(other));
                self.problem(span, &t.field("over_ceiling"), message);
                OverCeiling::Wait
            }
        };
        Mission {
            name,
            ceiling,
            over_ceiling,
        }
    }

    /// An authorised ceiling: a whole number of personnel.
    pub(crate) fn ceiling(&mut self, t: &Tbl, key: &str) -> Option<u64> {
        let what = format!(
            "must be a whole number of personnel from 0 to {}",
            fmt_num(MAX_HEAD_COUNT as f64)
        );
        let ceiling = self
            .bounded(t, key, 0.0, MAX_HEAD_COUNT as f64, true, &what)
            .map(|v| v as u64);
        self.ceiling_refused |= ceiling.is_none() && t.get(key).is_some();
        ceiling
    }

    /// A contributor's tours: `None` without `tour_days` (and then the other
    /// rotation keys are refused).
    pub(crate) fn rotation(&mut self, t: &Tbl) -> Option<Rotation> {
        let others = ["relief", "relief_gap_days", "first_rotation_days"];
        let Some(tour_days) = self.uncertain(t, "tour_days", &t.field("tour_days"), ValueKind::Day, Dates::No) else {
            for key in others {
                if let Some(v) = t.get(key)
                    && t.get("tour_days").is_none()
                {
                    let message = "needs tour_days (the length of a tour) to mean anything".to_string();
                    self.problem(v.span(), &t.field(key), message);
                }
            }
            return None;
        };
        let relief = self.uncertain_or(t, "relief", ValueKind::Fraction, 1.0, Dates::No);
        let relief_gap_days = self.uncertain_or(t, "relief_gap_days", ValueKind::SignedDay, 0.0, Dates::No);
        let first_rotation_days = self.uncertain(
            t,
            "first_rotation_days",
            &t.field("first_rotation_days"),
            ValueKind::Day,
            Dates::No,
        );
        self.check_overlap(t, &tour_days, &relief_gap_days);
        Some(Rotation {
            tour_days,
            relief,
            relief_gap_days,
            first_rotation_days,
        })
    }

    /// An overlap (a negative `relief_gap_days`) must be shorter than the
    /// tour for every draw: a relief comes after the group it relieves. The
    /// least draw is the quantile at 0, which `Dist::quantile` takes at
    /// 10^-15 (a normal's tail stays finite).
    fn check_overlap(&mut self, t: &Tbl, tour: &Input, gap: &Input) {
        let longest_overlap = -gap.kind.apply(gap.dist.quantile(0.0));
        let shortest_tour = tour.kind.apply(tour.dist.quantile(0.0)).max(1.0);
        // A relief that overlaps its group by more than half a tour is
        // itself relieved before that group leaves: three groups at once.
        if longest_overlap > 0.0 && 2.0 * longest_overlap > shortest_tour {
            let span = t.get("relief_gap_days").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "an overlap (a negative relief_gap_days) must be at most half the tour, or three groups would \
                 be there at once: it can be {} days, and tour_days can be {} (give a bounded distribution, \
                 e.g. uniform or triangular, whose least value is at least minus half the shortest tour)",
                fmt_num(longest_overlap),
                fmt_num(shortest_tour)
            );
            self.problem(span, &t.field("relief_gap_days"), message);
        }
    }

    /// What a contributor's person-month costs the fund.
    pub(crate) fn contributor_cost(&mut self, t: &Tbl) -> ContributorCost {
        let outside = match t.get("funded_outside").map(|v| (v, v.get_ref())) {
            None => false,
            Some((_, DeValue::Boolean(b))) => *b,
            Some((v, other)) => {
                let message = format!("must be true or false, found {}", other.type_str());
                self.problem(v.span(), &t.field("funded_outside"), message);
                false
            }
        };
        let own = self.uncertain(
            t,
            "cost_per_person_month",
            &t.field("cost_per_person_month"),
            ValueKind::Amount,
            Dates::No,
        );
        match (outside, own) {
            (true, Some(_)) => {
                let span = t
                    .get("cost_per_person_month")
                    .map(|v| v.span())
                    .unwrap_or(t.span.clone());
                let message =
                    "is not charged to the fund when funded_outside = true: give one or the other".to_string();
                self.problem(span, &t.field("cost_per_person_month"), message);
                ContributorCost::Outside
            }
            (true, None) => ContributorCost::Outside,
            (false, Some(cost)) => ContributorCost::Own(cost),
            (false, None) => ContributorCost::Default,
        }
    }

    /// `capabilities = { helicopters = 3 }`: each name's index in `names`
    /// (added when new) and its number.
    pub(crate) fn capabilities(&mut self, t: &Tbl, names: &mut Vec<String>) -> Vec<(usize, u64)> {
        let Some(value) = t.get("capabilities") else {
            return Vec::new();
        };
        let field = t.field("capabilities");
        let DeValue::Table(table) = value.get_ref() else {
            let message = format!(
                "must be a table of counts, e.g. {{ helicopters = 3 }}; found {}",
                value.get_ref().type_str()
            );
            self.problem(value.span(), &field, message);
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, count) in table.iter() {
            let name = key.get_ref().to_string();
            let entry = format!("{field}.{}", cut(&name));
            let valid_name = !name.is_empty()
                && name.len() <= MAX_NAME_CHARS
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid_name {
                let message = format!(
                    "must be a name of letters, digits, _ or - (it names the metric capability:NAME), at most \
                     {MAX_NAME_CHARS} characters"
                );
                self.problem(key.span(), &entry, message);
                continue;
            }
            let number = match crate::scenario::reader::to_number(count.get_ref()) {
                Some(v) if v >= 0.0 && v.fract() == 0.0 && v <= 1e6 => v as u64,
                _ => {
                    let message = "must be a whole number from 0 to 1,000,000".to_string();
                    self.problem(count.span(), &entry, message);
                    continue;
                }
            };
            let index = match names.iter().position(|n| *n == name) {
                Some(i) => i,
                None if names.len() >= MAX_CAPABILITIES => {
                    let message = format!("a scenario may name at most {MAX_CAPABILITIES} capabilities");
                    self.problem(key.span(), &entry, message);
                    continue;
                }
                None => {
                    names.push(name);
                    names.len() - 1
                }
            };
            self.add_capability(count.span(), &entry, index, number);
            out.push((index, number));
        }
        out
    }

    /// Adds a contributor's `number` of capability `index` to what all of
    /// them can bring, and reports the entry that takes it past
    /// [`MAX_HEAD_COUNT`] (it is counted in 32 bits, as head counts are).
    fn add_capability(&mut self, span: std::ops::Range<usize>, entry: &str, index: usize, number: u64) {
        if self.capability_most.len() <= index {
            self.capability_most.resize(index + 1, (0, false));
        }
        let (most, reported) = &mut self.capability_most[index];
        *most = most.saturating_add(number);
        if *most > MAX_HEAD_COUNT && !*reported {
            *reported = true;
            let message = format!(
                "capabilities could pass the limit: with this contributor, all contributors together could \
                 bring {} of it; a capability's count, like a head count, must stay below 4,294,967,296 (2^32); \
                 bring fewer",
                crate::scenario::reader::fmt_thousands(*most)
            );
            self.problem(span, entry, message);
        }
    }
}
