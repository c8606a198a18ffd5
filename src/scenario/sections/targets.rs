//! `[[targets]]`: head counts or ratios to reach, and metric names.

use std::collections::HashSet;

use crate::scenario::reader::{Reader, Tbl};
use crate::scenario::shown::quoted;
use crate::scenario::{Area, Contributor, Metric, Target};

/// The keys of a `[[targets]]` entry.
pub(crate) const TARGET_KEYS: [&str; 4] = ["name", "metric", "at_least", "at_least_share_of_ceiling"];

impl Reader<'_> {
    /// A target on a share of the ceiling needs a ceiling and a head count.
    fn ceiling_target(&mut self, t: &Tbl, metric: Option<Metric>, ceiling: bool) {
        let span = t
            .get("at_least_share_of_ceiling")
            .map(|v| v.span())
            .unwrap_or(t.span.clone());
        let field = t.field("at_least_share_of_ceiling");
        if !ceiling {
            let message = "needs a ceiling: [mission] ceiling = N, or an event with effect = \"transform\" and ceiling"
                .to_string();
            self.problem(span, &field, message);
        } else if metric.is_some_and(|m| !m.is_count()) {
            let message = "applies to head-count metrics only (international, contributor:NAME, ...)".to_string();
            self.problem(span, &field, message);
        }
    }

    pub(crate) fn targets(&mut self, root: &Tbl, scenario: MetricNames, ceiling: bool) -> Vec<Target> {
        let mut seen = HashSet::new();
        let mut targets = Vec::new();
        for mut t in self.table_array(root, "targets") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "target", &TARGET_KEYS) else {
                continue;
            };
            let number = targets.len() as u64 + 1;
            self.check_rows(&t, number, number, "target", "targets.csv");
            let metric = self.string(&t, "metric").and_then(|m| {
                let found = parse_metric_v2(&m, scenario);
                if found.is_none() {
                    let span = t.get("metric").map(|v| v.span()).unwrap_or(t.span.clone());
                    let message = if Metric::LAYER_NAMES.contains(&m.as_str()) {
                        format!(
                            "{} needs the host police layers: give [host_police] available_share, \
                             course_days or [[host_police.available]] entries",
                            quoted(&m)
                        )
                    } else {
                        format!(
                            "unknown metric {}; allowed: {}, or contributor:NAME with NAME one of the \
                             contributors{}",
                            quoted(&m),
                            Metric::STANDARD_NAMES.join(", "),
                            scenario.more_allowed()
                        )
                    };
                    self.problem(span, &t.field("metric"), message);
                }
                found
            });
            if t.get("metric").is_none() {
                self.missing(&t, "metric", "the metric to watch, e.g. metric = \"international\"");
            }
            let share_key = "at_least_share_of_ceiling";
            let (at_least, share_of_ceiling) = match (t.get("at_least"), t.get(share_key)) {
                (None, None) => {
                    self.missing(&t, "at_least", "the threshold, e.g. at_least = 2500");
                    (None, None)
                }
                (Some(_), Some(v)) => {
                    let message = "give at_least or at_least_share_of_ceiling, not both".to_string();
                    self.problem(v.span(), &t.field(share_key), message);
                    (None, None)
                }
                (Some(_), None) => (
                    self.bounded(&t, "at_least", 0.0, 1e12, false, "must be a number from 0 to 10^12"),
                    None,
                ),
                (None, Some(_)) => {
                    let what = "must be a share of the ceiling from 0 to 10";
                    let share = self.bounded(&t, share_key, 0.0, 10.0, false, what);
                    self.ceiling_target(&t, metric, ceiling);
                    (share.map(|_| f64::NAN), share)
                }
            };
            if let (Some(metric), Some(at_least)) = (metric, at_least) {
                targets.push(Target {
                    name,
                    metric,
                    at_least,
                    share_of_ceiling,
                });
            }
        }
        targets
    }
}

/// The names a scenario's metrics can have beyond the standard ones.
#[derive(Debug, Clone, Copy)]
pub struct MetricNames<'a> {
    pub contributors: &'a [Contributor],
    pub funding: bool,
    pub capabilities: &'a [String],
    /// `[host_police]` has a layer key: the layers' metrics exist.
    pub layers: bool,
    /// `[[areas]]`: `police_per_100k:AREA` and `security_per_1000:AREA`.
    pub areas: &'a [Area],
}

impl MetricNames<'_> {
    /// What else is allowed, for messages.
    fn more_allowed(&self) -> String {
        let mut more = String::new();
        if self.layers {
            more.push_str(&format!(", {}", Metric::LAYER_NAMES.join(", ")));
        }
        if self.funding {
            more.push_str(&format!(", {}", Metric::FUNDING_NAMES.join(", ")));
        }
        if !self.capabilities.is_empty() {
            more.push_str(&format!(", capability:NAME ({})", self.capabilities.join(", ")));
        }
        if !self.areas.is_empty() {
            let names: Vec<&str> = self.areas.iter().map(|a| a.name.as_str()).collect();
            more.push_str(&format!(
                ", police_per_100k:AREA or security_per_1000:AREA ({})",
                names.join(", ")
            ));
        }
        more
    }
}

/// Parses any metric name a scenario can have: the standard ones,
/// `contributor:NAME`, with model v2 the fund's and `capability:NAME`, and
/// the areas' ratios.
pub fn parse_metric_v2(name: &str, names: MetricNames) -> Option<Metric> {
    let area = |what: &str| names.areas.iter().position(|a| a.name == what);
    if let Some(what) = name.strip_prefix("police_per_100k:") {
        return area(what).map(Metric::AreaPolicePer100k);
    }
    if let Some(what) = name.strip_prefix("security_per_1000:") {
        return area(what).map(Metric::AreaSecurityPer1000);
    }
    if let Some(what) = name.strip_prefix("capability:") {
        return names
            .capabilities
            .iter()
            .position(|c| c == what)
            .map(Metric::Capability);
    }
    if names.funding
        && let Some(i) = Metric::FUNDING_NAMES.iter().position(|n| *n == name)
    {
        return Some(Metric::FUNDING[i]);
    }
    if names.layers
        && let Some(i) = Metric::LAYER_NAMES.iter().position(|n| *n == name)
    {
        return Some(Metric::LAYERS[i]);
    }
    if name == Metric::OUTSIDE_NAME && names.contributors.iter().any(|c| !c.in_mission) {
        return Some(Metric::OutsideForces);
    }
    parse_metric(name, names.contributors)
}

/// Parses a metric name (`international`, `contributor:Kenya`, ...).
pub fn parse_metric(name: &str, contributors: &[Contributor]) -> Option<Metric> {
    if let Some(who) = name.strip_prefix("contributor:") {
        return contributors.iter().position(|c| c.name == who).map(Metric::Contributor);
    }
    Metric::STANDARD_NAMES
        .iter()
        .position(|n| *n == name)
        .map(|i| Metric::STANDARD[i])
}
