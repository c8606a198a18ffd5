//! `[[benchmarks]]`: reference levels drawn as labelled lines on the chart
//! of their metric and listed with their source (docs/MODEL.md §3.1). A
//! benchmark changes no result: it is read, checked and written to
//! `benchmarks.csv`, nothing more.

use std::collections::HashSet;

use crate::scenario::limits::MAX_BENCHMARKS;
use crate::scenario::reader::{Reader, Tbl};
use crate::scenario::shown::quoted;
use crate::scenario::{Benchmark, Metric};

use super::targets::{MetricNames, parse_metric_v2};

/// The keys of a `[[benchmarks]]` entry (all required).
pub(crate) const BENCHMARK_KEYS: [&str; 4] = ["name", "metric", "value", "source"];

/// Largest benchmark value (the largest target threshold).
const MAX_VALUE: f64 = 1e12;

impl Reader<'_> {
    pub(crate) fn benchmarks(&mut self, root: &Tbl, names: MetricNames) -> Vec<Benchmark> {
        let mut seen = HashSet::new();
        let mut benchmarks = Vec::new();
        let tables = self.table_array(root, "benchmarks");
        if tables.len() > MAX_BENCHMARKS {
            let span = root.get("benchmarks").map(|v| v.span()).unwrap_or(root.span.clone());
            let message = format!("{} entries; at most {MAX_BENCHMARKS} are allowed", tables.len());
            self.problem(span, "benchmarks", message);
            return benchmarks;
        }
        for mut t in tables {
            let Some(name) = self.named_entry(&mut t, &mut seen, "benchmark", &BENCHMARK_KEYS) else {
                continue;
            };
            let metric = self.benchmark_metric(&t, names);
            if t.get("value").is_none() {
                self.missing(&t, "value", "the benchmark's level on its metric, e.g. value = 222");
            }
            let value = self.bounded(&t, "value", 0.0, MAX_VALUE, false, "must be a number from 0 to 10^12");
            let source = self.benchmark_source(&t);
            if let (Some(metric), Some(value), Some(source)) = (metric, value, source) {
                benchmarks.push(Benchmark {
                    name,
                    metric,
                    value,
                    source,
                });
            }
        }
        benchmarks
    }

    /// `metric`: required, one of the metric names targets take.
    fn benchmark_metric(&mut self, t: &Tbl, names: MetricNames) -> Option<Metric> {
        if t.get("metric").is_none() {
            self.missing(
                t,
                "metric",
                "the metric it is a level of, e.g. metric = \"police_per_100k\"",
            );
            return None;
        }
        let name = self.string(t, "metric")?;
        let found = parse_metric_v2(&name, names);
        if found.is_none() {
            let span = t.get("metric").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "unknown metric {}; allowed: {}, or contributor:NAME with NAME one of the contributors (and a \
                 [funding]'s or capability:NAME where the scenario has them)",
                quoted(&name),
                Metric::STANDARD_NAMES.join(", ")
            );
            self.problem(span, &t.field("metric"), message);
        }
        found
    }

    /// `source`: required and not blank, so that a number without a source
    /// is called what it is.
    fn benchmark_source(&mut self, t: &Tbl) -> Option<String> {
        if t.get("source").is_none() {
            self.missing(
                t,
                "source",
                "where the number comes from (a report, a study; \"folklore\" if nobody knows)",
            );
            return None;
        }
        let source = self.string(t, "source")?;
        if source.trim().is_empty() {
            let span = t.get("source").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = "must not be empty: say where the number comes from (\"folklore\" if nobody knows)";
            self.problem(span, &t.field("source"), message.to_string());
            return None;
        }
        Some(source)
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, problems};
    use crate::scenario::{Metric, parse_str};

    const ONE: &str = "[[benchmarks]]\nname = \"Q\"\nmetric = \"police_per_100k\"\nvalue = 100\nsource = \"RAND\"\n";

    #[test]
    fn a_benchmark_is_read_with_its_source() {
        let s = parse_str(&format!("{MINIMAL}{ONE}"), "t.toml").expect("valid");
        assert_eq!(s.benchmarks.len(), 1);
        let b = &s.benchmarks[0];
        assert_eq!(
            (b.name.as_str(), b.metric, b.value),
            ("Q", Metric::PolicePer100k, 100.0)
        );
        assert_eq!(b.source, "RAND");
        let none = parse_str(MINIMAL, "t.toml").expect("valid");
        assert!(none.benchmarks.is_empty());
    }

    #[test]
    fn every_field_is_required_and_checked() {
        let fields = |extra: &str| -> Vec<(String, String)> {
            problems(extra)
                .into_iter()
                .map(|p| (p.field.clone(), p.message.clone()))
                .collect()
        };
        let missing = fields("[[benchmarks]]\nname = \"Q\"\n");
        let names: Vec<&str> = missing.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            ["benchmarks.Q.metric", "benchmarks.Q.value", "benchmarks.Q.source"],
            "{missing:?}"
        );
        assert!(missing[2].1.contains("folklore"), "{missing:?}");
        let wrong = fields(
            "[[benchmarks]]\nname = \"Q\"\nmetric = \"nope\"\nvalue = -1\nsource = \" \"\n\
             [[benchmarks]]\nname = \"Q\"\nmetric = \"international\"\nvalue = 1\nsource = \"x\"\n",
        );
        let text = format!("{wrong:?}");
        assert!(text.contains("unknown metric \\\"nope\\\""), "{text}");
        assert!(text.contains("must be a number from 0 to 10^12, got -1"), "{text}");
        assert!(text.contains("must not be empty"), "{text}");
        assert!(text.contains("another benchmark is already named \\\"Q\\\""), "{text}");
        let extra = fields(&format!("{ONE}colour = \"red\"\n"));
        assert_eq!(extra.len(), 1, "{extra:?}");
        assert_eq!(extra[0].0, "benchmarks.Q.colour");
    }
}
