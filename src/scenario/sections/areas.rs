//! `[[areas]]` and each contributor's `areas = { AREA = SHARE }`: parts of
//! the country with their own ratios (docs/MODEL.md §3.1).

use std::collections::HashSet;

use toml::de::DeValue;

use crate::scenario::reader::{Dates, Reader, Tbl, fmt_num, fmt_thousands, to_number};
use crate::scenario::{Area, Contributor, Dist, Input, MAX_AREAS, MAX_CSV_ROWS, Metric, ValueKind};

/// The keys of an `[[areas]]` entry.
pub(crate) const AREA_KEYS: [&str; 3] = ["name", "population_share", "host_police_share"];

/// How far a contributor's area shares may add up past 1 (rounding in
/// the file's decimals).
const SUM_TOLERANCE: f64 = 1e-9;

/// True for a name that can stand in a metric name and a TOML key as it
/// is: letters, digits, spaces and `-_.'()`, not blank at either end.
fn valid_area_name(name: &str) -> bool {
    name.trim() == name && name.chars().all(|c| c.is_alphanumeric() || " -_.'()".contains(c))
}

impl Reader<'_> {
    /// Reads `[[areas]]` (at most [`MAX_AREAS`]) and each contributor's
    /// share of its people in them.
    pub(crate) fn areas(&mut self, root: &Tbl, contributors: &[Contributor]) -> Vec<Area> {
        let mut seen = HashSet::new();
        let mut areas = Vec::new();
        for (i, mut t) in self.table_array(root, "areas").into_iter().enumerate() {
            if i == MAX_AREAS {
                let message = format!("a scenario may have at most {MAX_AREAS} areas");
                self.problem(t.span.clone(), &root.field("areas"), message);
                break;
            }
            let Some(name) = self.named_entry(&mut t, &mut seen, "area", &AREA_KEYS) else {
                continue;
            };
            if !valid_area_name(&name) {
                let span = t.get("name").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = "must be letters, digits, spaces or -_.'() (it names the metrics \
                               police_per_100k:AREA and security_per_1000:AREA)";
                self.problem(span, &t.field("name"), message.to_string());
                continue;
            }
            self.check_area_rows(&t, contributors.len(), areas.len() + 1);
            let population_share = self.area_share(&t, "population_share", "the share of the population living there");
            let host_police_share = self.area_share(&t, "host_police_share", "the share of the host police there");
            areas.push(Area {
                name,
                population_share,
                host_police_share,
                members: Vec::new(),
            });
        }
        self.area_members(root, contributors, &mut areas);
        areas
    }

    /// Refuses the area (number `count`) that takes `timeseries.csv` past
    /// [`MAX_CSV_ROWS`]: a row per report day for each standard metric,
    /// contributor and area ratio.
    fn check_area_rows(&mut self, t: &Tbl, contributors: usize, count: usize) {
        let Some(days) = self.report_days else { return };
        let per_day = (Metric::STANDARD.len() + contributors + 2 * count) as u64;
        let rows = days.saturating_mul(per_day);
        if rows > MAX_CSV_ROWS && days.saturating_mul(per_day - 2) <= MAX_CSV_ROWS {
            let span = t.get("name").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "too many areas for the report grid: timeseries.csv has one row per report day ({days}) for each \
                 standard metric, contributor and area ratio; this area, number {count}, takes it to {} rows, past \
                 the limit of {}; use a coarser simulation.step, a shorter horizon_days, or fewer areas",
                fmt_thousands(rows),
                fmt_thousands(MAX_CSV_ROWS)
            );
            self.problem(span, &t.field("name"), message);
        }
    }

    /// A required share of an area (uncertain, 0 to 1); the population's
    /// may not be a constant 0.
    fn area_share(&mut self, t: &Tbl, key: &str, what: &str) -> Input {
        let path = t.field(key);
        let Some(input) = self.uncertain(t, key, &path, ValueKind::Fraction, Dates::No) else {
            if t.get(key).is_none() {
                self.missing(t, key, &format!("{what}, from 0 to 1 (a number or a distribution)"));
            }
            return Input::constant(path, 1.0, ValueKind::Fraction);
        };
        if key == "population_share" && matches!(input.dist, Dist::Constant(v) if v <= 0.0) {
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            self.problem(span, &path, "must be above 0 (an area has people)".to_string());
        }
        input
    }

    /// Each contributor's `areas = { AREA = SHARE }`: shares from 0 to 1 of
    /// named areas, at most 1 in all; added to the areas' members.
    fn area_members(&mut self, root: &Tbl, contributors: &[Contributor], areas: &mut [Area]) {
        let Some(DeValue::Array(items)) = root.get("contributors").map(|v| v.get_ref()) else {
            return;
        };
        for item in items {
            let DeValue::Table(table) = item.get_ref() else {
                continue;
            };
            let t = Tbl {
                table,
                span: item.span(),
                path: String::new(),
            };
            let Some(DeValue::String(name)) = t.get("name").map(|v| v.get_ref()) else {
                continue;
            };
            // A contributor refused (a duplicate name) has no index: its own problem is reported.
            let Some(c) = contributors.iter().position(|c| c.name == *name) else {
                continue;
            };
            let Some(value) = t.get("areas") else { continue };
            let field = format!("contributors.{name}.areas");
            let DeValue::Table(shares) = value.get_ref() else {
                let message = format!(
                    "must be a table of shares, e.g. {{ \"Port-au-Prince\" = 0.8 }}; found {}",
                    value.get_ref().type_str()
                );
                self.problem(value.span(), &field, message);
                continue;
            };
            let mut sum = 0.0;
            for (key, share) in shares.iter() {
                let area_name = key.get_ref().to_string();
                let entry = format!("{field}.{area_name}");
                let Some(a) = areas.iter().position(|a| a.name == area_name) else {
                    let known: Vec<&str> = areas.iter().map(|a| a.name.as_str()).collect();
                    let message = if known.is_empty() {
                        "is not an area: give it an [[areas]] entry with name, population_share and \
                         host_police_share"
                            .to_string()
                    } else {
                        format!("is not an area; areas: {}", known.join(", "))
                    };
                    self.problem(key.span(), &entry, message);
                    continue;
                };
                match to_number(share.get_ref()) {
                    Some(v) if (0.0..=1.0).contains(&v) => {
                        sum += v;
                        areas[a].members.push((c, v));
                    }
                    _ => {
                        let message = "must be a share from 0 to 1 of the contributor's people".to_string();
                        self.problem(share.span(), &entry, message);
                    }
                }
            }
            if sum > 1.0 + SUM_TOLERANCE {
                let message = format!(
                    "the shares add up to {}, more than 1 (the rest of the contributor's people count outside \
                     every named area)",
                    fmt_num(sum)
                );
                self.problem(value.span(), &field, message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, problems};
    use crate::scenario::{Metric, parse_str};

    const AREA: &str = "[[areas]]\nname = \"Port-au-Prince\"\npopulation_share = \"uniform(0.2, 0.3)\"\n\
                        host_police_share = 0.5\n";

    #[test]
    fn areas_their_members_and_metrics_are_read() {
        let text = format!(
            "{MINIMAL}[[contributors]]\nname = \"K\"\ndeployed = 10\nareas = {{ \"Port-au-Prince\" = 0.8 }}\n\
             [[contributors]]\nname = \"J\"\ndeployed = 5\n{AREA}\
             [[targets]]\nname = \"pap\"\nmetric = \"police_per_100k:Port-au-Prince\"\nat_least = 5\n"
        );
        let scenario = parse_str(&text, "t.toml").expect("valid");
        assert_eq!(scenario.areas.len(), 1);
        assert_eq!(scenario.areas[0].members, vec![(0, 0.8)]);
        assert_eq!(
            scenario.areas[0].population_share.path,
            "areas.Port-au-Prince.population_share"
        );
        assert_eq!(scenario.targets[0].metric, Metric::AreaPolicePer100k(0));
        let names: Vec<String> = scenario.metrics().iter().map(|m| m.name(&scenario)).collect();
        assert_eq!(
            names[names.len() - 2..],
            ["police_per_100k:Port-au-Prince", "security_per_1000:Port-au-Prince"]
        );
        assert_eq!(
            scenario.metric_named("security_per_1000:Port-au-Prince"),
            Some(Metric::AreaSecurityPer1000(0))
        );
        assert_eq!(scenario.metric_named("security_per_1000:Cap-Haitien"), None);
    }

    #[test]
    fn bad_areas_are_refused_with_their_field() {
        for (extra, field, needle) in [
            (
                "[[contributors]]\nname = \"K\"\ndeployed = 1\nareas = { \"Port-au-Prince\" = 0.8, North = 0.3 }\n\
                 [[areas]]\nname = \"North\"\npopulation_share = 0.1\nhost_police_share = 0.1\n",
                "contributors.K.areas",
                "add up to 1.1",
            ),
            (
                "[[contributors]]\nname = \"K\"\ndeployed = 1\nareas = { Nowhere = 0.5 }\n",
                "contributors.K.areas.Nowhere",
                "is not an area",
            ),
            (
                "[[contributors]]\nname = \"K\"\ndeployed = 1\nareas = { \"Port-au-Prince\" = 1.5 }\n",
                "contributors.K.areas.Port-au-Prince",
                "from 0 to 1",
            ),
            (
                "[[areas]]\nname = \"North\"\npopulation_share = 0\nhost_police_share = 0.1\n",
                "areas.North.population_share",
                "must be above 0",
            ),
            (
                "[[areas]]\nname = \"North\"\nhost_police_share = 0.1\n",
                "areas.North.population_share",
                "is required",
            ),
            (
                "[[areas]]\nname = \"a:b\"\npopulation_share = 0.1\nhost_police_share = 0.1\n",
                "areas.a:b.name",
                "letters, digits",
            ),
            (
                "[[targets]]\nname = \"t\"\nmetric = \"police_per_100k:Nowhere\"\nat_least = 1\n",
                "targets.t.metric",
                "police_per_100k:AREA or security_per_1000:AREA (Port-au-Prince)",
            ),
        ] {
            let found = problems(&format!("{AREA}{extra}"));
            assert!(
                found.iter().any(|p| p.field == field && p.message.contains(needle)),
                "{field}: {needle:?} not in {found:?}"
            );
        }
    }
}
