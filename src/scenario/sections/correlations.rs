//! `[[correlations]]`: rank correlations between uncertain inputs.

use toml::de::DeValue;

use crate::scenario::correlation::{CopulaPlan, Correlation};
use crate::scenario::reader::{Reader, Tbl};
use crate::scenario::{Dist, Input, Scenario};

/// The keys of a `[[correlations]]` entry.
pub(crate) const CORRELATION_KEYS: [&str; 2] = ["inputs", "rank_correlation"];

impl Reader<'_> {
    /// Reads `[[correlations]]`: each names two uncertain inputs drawn once
    /// per trial and their rank correlation; together they must describe a
    /// possible joint distribution.
    pub(crate) fn correlations(&mut self, root: &Tbl, scenario: &Scenario) -> Vec<Correlation> {
        let inputs = scenario.inputs();
        let per_class: Vec<&str> = scenario.per_class_inputs().iter().map(|i| i.path.as_str()).collect();
        let mut correlations = Vec::new();
        let mut last_span = root.span.clone();
        let mut last_field = String::new();
        for t in self.table_array(root, "correlations") {
            self.check_keys(&t, &CORRELATION_KEYS);
            let pair = self.correlated_pair(&t, &inputs, &per_class);
            if t.get("rank_correlation").is_none() {
                self.missing(&t, "rank_correlation", "the Spearman rank correlation, from -1 to 1");
            }
            let rank = self.bounded(
                &t,
                "rank_correlation",
                -1.0,
                1.0,
                false,
                "must be a number from -1 to 1",
            );
            let (Some(pair), Some(rank)) = (pair, rank) else {
                continue;
            };
            if correlations
                .iter()
                .any(|c: &Correlation| c.inputs == pair || c.inputs == [pair[1].clone(), pair[0].clone()])
            {
                let span = t.get("inputs").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!("the pair {} and {} is already correlated above", pair[0], pair[1]);
                self.problem(span, &t.field("inputs"), message);
                continue;
            }
            last_span = t.get("rank_correlation").map(|v| v.span()).unwrap_or(t.span.clone());
            last_field = t.field("rank_correlation");
            correlations.push(Correlation {
                inputs: pair,
                rank_correlation: rank,
            });
        }
        if let Err(impossible) = CopulaPlan::new(&correlations) {
            let message = format!(
                "these correlations are impossible together: no joint distribution of {} has them (the \
                 correlation matrix is not positive semi-definite; pairs not listed count as uncorrelated); weaken one \
                 of them or list the missing pairs",
                impossible.paths.join(", ")
            );
            self.problem(last_span, &last_field, message);
        }
        correlations
    }

    /// The two input paths of a correlation, each an uncertain input drawn once per trial.
    pub(crate) fn correlated_pair(&mut self, t: &Tbl, inputs: &[&Input], per_class: &[&str]) -> Option<[String; 2]> {
        let Some(value) = t.get("inputs") else {
            self.missing(
                t,
                "inputs",
                "two input paths, e.g. inputs = [\"contributors.Kenya.fulfilment\", \
                 \"contributors.Jamaica.fulfilment\"]",
            );
            return None;
        };
        let field = t.field("inputs");
        let paths: Option<Vec<String>> = match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .map(|item| match item.get_ref() {
                    DeValue::String(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        let pair: [String; 2] = match paths.map(<[String; 2]>::try_from) {
            Some(Ok(pair)) => pair,
            _ => {
                let message = "must be an array of two input paths (strings), e.g. [\"contributors.Kenya.fulfilment\", \
                     \"contributors.Jamaica.fulfilment\"]";
                self.problem(value.span(), &field, message.to_string());
                return None;
            }
        };
        if pair[0] == pair[1] {
            self.problem(
                value.span(),
                &field,
                format!("names {} twice; name two different inputs", pair[0]),
            );
            return None;
        }
        let mut ok = true;
        for path in &pair {
            if let Some(message) = correlatable(path, inputs, per_class) {
                self.problem(value.span(), &field, message);
                ok = false;
            }
        }
        ok.then_some(pair)
    }
}

/// Why `path` cannot take part in a correlation, if it cannot.
fn correlatable(path: &str, inputs: &[&Input], per_class: &[&str]) -> Option<String> {
    let Some(input) = inputs.iter().find(|i| i.path == path) else {
        let suggestion = inputs
            .iter()
            .map(|i| (strsim::jaro_winkler(&i.path, path), i.path.as_str()))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, p)| format!("; did you mean `{p}`?"))
            .unwrap_or_default();
        let uncertain: Vec<&str> = inputs
            .iter()
            .filter(|i| !matches!(i.dist, Dist::Constant(_)) && !per_class.contains(&i.path.as_str()))
            .map(|i| i.path.as_str())
            .collect();
        let allowed = if uncertain.is_empty() {
            "this scenario has no uncertain input drawn once per trial".to_string()
        } else {
            format!("uncertain inputs here: {}", uncertain.join(", "))
        };
        return Some(format!(
            "`{path}` is not an input of this scenario{suggestion} ({allowed})"
        ));
    };
    if per_class.contains(&path) {
        return Some(format!(
            "`{path}` is drawn anew for every class or wave gap, not once per trial, so it cannot be correlated"
        ));
    }
    if matches!(input.dist, Dist::Constant(_)) {
        return Some(format!(
            "`{path}` is a constant here; only an uncertain input (a distribution) can be correlated"
        ));
    }
    None
}
