//! `[[targets]]`: head counts or ratios to reach, and metric names.

use std::collections::HashSet;

use crate::scenario::reader::{Reader, Tbl};
use crate::scenario::{Contributor, Metric, Target};

/// The keys of a `[[targets]]` entry.
pub(crate) const TARGET_KEYS: [&str; 3] = ["name", "metric", "at_least"];

impl Reader<'_> {
    pub(crate) fn targets(&mut self, root: &Tbl, contributors: &[Contributor]) -> Vec<Target> {
        let mut seen = HashSet::new();
        let mut targets = Vec::new();
        for mut t in self.table_array(root, "targets") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "target", &TARGET_KEYS) else {
                continue;
            };
            let number = targets.len() as u64 + 1;
            self.check_rows(&t, number, number, "target", "targets.csv");
            let metric = self.string(&t, "metric").and_then(|m| {
                let found = parse_metric(&m, contributors);
                if found.is_none() {
                    let span = t.get("metric").map(|v| v.span()).unwrap_or(t.span.clone());
                    let message = format!(
                        "unknown metric \"{m}\"; allowed: {}, or contributor:NAME with NAME one of the contributors",
                        Metric::STANDARD_NAMES.join(", ")
                    );
                    self.problem(span, &t.field("metric"), message);
                }
                found
            });
            if t.get("metric").is_none() {
                self.missing(&t, "metric", "the metric to watch, e.g. metric = \"international\"");
            }
            if t.get("at_least").is_none() {
                self.missing(&t, "at_least", "the threshold, e.g. at_least = 2500");
            }
            let at_least = self.bounded(&t, "at_least", 0.0, 1e12, false, "must be a number >= 0");
            if let (Some(metric), Some(at_least)) = (metric, at_least) {
                targets.push(Target { name, metric, at_least });
            }
        }
        targets
    }
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
