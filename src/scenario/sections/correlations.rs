//! `[[correlations]]`: rank correlations between uncertain inputs.

use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};

use toml::de::DeValue;

use crate::scenario::correlation::{CopulaPlan, Correlation};
use crate::scenario::limits::{MAX_CORRELATED_INPUTS, MAX_CORRELATIONS};
use crate::scenario::reader::{Reader, Tbl, fmt_thousands};
use crate::scenario::shown::cut;
use crate::scenario::{Dist, Input, LatentDraw, Scenario};

/// The keys of a `[[correlations]]` entry.
pub(crate) const CORRELATION_KEYS: [&str; 2] = ["inputs", "rank_correlation"];

/// Most inputs listed in a message about an unknown input.
const MAX_LISTED: usize = 40;
/// Most comparisons of unknown paths with inputs, over all messages
/// (real scenarios have a few hundred inputs).
const SUGGESTION_BUDGET: usize = 2_000_000;

/// A valid `[[correlations]]` entry.
struct Entry {
    pair: [String; 2],
    rank: f64,
}

/// The inputs a correlation may name, looked up by path.
struct Correlatable<'s> {
    /// Every input, in scenario order (for messages).
    inputs: Vec<&'s Input>,
    by_path: HashMap<&'s str, &'s Input>,
    /// The latent draws (a pledge's honour, a contingent's withdrawal
    /// wait), by path, with why each cannot be correlated, if it cannot.
    latent: HashMap<String, Option<String>>,
    /// The latent draws that may be correlated, in scenario order (for messages).
    latent_allowed: Vec<String>,
    /// Inputs drawn anew per class or wave gap.
    per_class: HashSet<&'s str>,
    /// Inputs still to compare with unknown paths for a "did you mean":
    /// once spent, further unknown paths get no suggestion, so that a
    /// huge scenario full of them is still read quickly.
    suggestion_budget: Cell<usize>,
    /// What an unknown path's message lists, made once.
    listed: OnceCell<String>,
}

impl<'s> Correlatable<'s> {
    fn new(scenario: &'s Scenario) -> Correlatable<'s> {
        let inputs = scenario.inputs();
        let latent: Vec<(LatentDraw, Option<String>)> = scenario
            .latent_draws()
            .into_iter()
            .map(|draw| {
                let rule = scenario.latent_rule(&draw);
                (draw, rule)
            })
            .collect();
        Correlatable {
            latent_allowed: latent
                .iter()
                .filter(|(_, rule)| rule.is_none())
                .map(|(draw, _)| draw.path.clone())
                .collect(),
            latent: latent.into_iter().map(|(draw, rule)| (draw.path, rule)).collect(),
            by_path: inputs.iter().map(|i| (i.path.as_str(), *i)).collect(),
            per_class: scenario.per_class_inputs().iter().map(|i| i.path.as_str()).collect(),
            inputs,
            suggestion_budget: Cell::new(SUGGESTION_BUDGET),
            listed: OnceCell::new(),
        }
    }

    /// "did you mean" the input whose path is closest to `path`, if close.
    fn suggestion(&self, path: &str) -> String {
        let Some(left) = self.suggestion_budget.get().checked_sub(self.inputs.len()) else {
            return String::new();
        };
        self.suggestion_budget.set(left);
        let paths = self.inputs.iter().map(|i| i.path.as_str());
        paths
            .chain(self.latent_allowed.iter().map(String::as_str))
            .map(|p| (strsim::jaro_winkler(p, path), p))
            .filter(|(score, _)| *score > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, p)| format!("; did you mean `{p}`?"))
            .unwrap_or_default()
    }

    /// The uncertain inputs drawn once per trial (the first [`MAX_LISTED`]).
    fn listed(&self) -> &str {
        self.listed.get_or_init(|| {
            let uncertain: Vec<&str> = self
                .inputs
                .iter()
                .filter(|i| !matches!(i.dist, Dist::Constant(_)) && !self.per_class.contains(i.path.as_str()))
                .map(|i| i.path.as_str())
                .chain(self.latent_allowed.iter().map(String::as_str))
                .collect();
            if uncertain.is_empty() {
                return "this scenario has no uncertain input drawn once per trial".to_string();
            }
            let mut listed = uncertain[..uncertain.len().min(MAX_LISTED)].join(", ");
            if uncertain.len() > MAX_LISTED {
                listed += &format!(" and {} more", uncertain.len() - MAX_LISTED);
            }
            format!("uncertain inputs here: {listed}")
        })
    }
}

impl Reader<'_> {
    /// Reads `[[correlations]]`: each names two uncertain inputs drawn once
    /// per trial (or a pledge's honour, a contingent's withdrawal wait:
    /// [`Scenario::latent_draws`]) and their rank correlation; together
    /// they must describe a possible joint distribution. More than [`MAX_CORRELATIONS`] entries,
    /// or [`MAX_CORRELATED_INPUTS`] inputs, are refused.
    pub(crate) fn correlations(&mut self, root: &Tbl, scenario: &Scenario) -> Vec<Correlation> {
        let tables = self.table_array(root, "correlations");
        if let Some(t) = tables.get(MAX_CORRELATIONS) {
            let message = format!(
                "too many [[correlations]]: the scenario has {} entries, more than the limit of {}; correlate \
                 fewer pairs of inputs",
                fmt_thousands(tables.len() as u64),
                fmt_thousands(MAX_CORRELATIONS as u64)
            );
            self.problem(t.span.clone(), "correlations", message);
            return Vec::new();
        }
        let allowed = Correlatable::new(scenario);
        let mut correlations = Vec::new();
        let mut pairs: HashSet<[String; 2]> = HashSet::new();
        let mut correlated: HashSet<String> = HashSet::new();
        let mut too_many_inputs = false;
        let mut last_span = root.span.clone();
        let mut last_field = String::new();
        for t in tables {
            let Some(pair) = self.correlation(&t, &allowed) else {
                continue;
            };
            let mut sorted = pair.pair.clone();
            sorted.sort();
            if !pairs.insert(sorted) {
                let span = t.get("inputs").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!(
                    "the pair {} and {} is already correlated above",
                    pair.pair[0], pair.pair[1]
                );
                self.problem(span, &t.field("inputs"), message);
                continue;
            }
            correlated.extend(pair.pair.iter().cloned());
            if correlated.len() > MAX_CORRELATED_INPUTS && !too_many_inputs {
                too_many_inputs = true;
                let span = t.get("inputs").map(|v| v.span()).unwrap_or(t.span.clone());
                let message = format!(
                    "too many correlated inputs: with this correlation {} different inputs take part in \
                     [[correlations]], more than the limit of {}",
                    correlated.len(),
                    MAX_CORRELATED_INPUTS
                );
                self.problem(span, &t.field("inputs"), message);
            }
            last_span = t.get("rank_correlation").map(|v| v.span()).unwrap_or(t.span.clone());
            last_field = t.field("rank_correlation");
            correlations.push(Correlation {
                inputs: pair.pair,
                rank_correlation: pair.rank,
            });
        }
        if !too_many_inputs && let Err(impossible) = CopulaPlan::new(&correlations) {
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

    /// One `[[correlations]]` entry's pair and rank correlation, if both are valid.
    fn correlation(&mut self, t: &Tbl, allowed: &Correlatable) -> Option<Entry> {
        self.check_keys(t, &CORRELATION_KEYS);
        let pair = self.correlated_pair(t, allowed);
        if t.get("rank_correlation").is_none() {
            self.missing(t, "rank_correlation", "the Spearman rank correlation, from -1 to 1");
        }
        let rank = self.bounded(t, "rank_correlation", -1.0, 1.0, false, "must be a number from -1 to 1");
        Some(Entry {
            pair: pair?,
            rank: rank?,
        })
    }

    /// The two input paths of a correlation, each an uncertain input drawn once per trial.
    fn correlated_pair(&mut self, t: &Tbl, allowed: &Correlatable) -> Option<[String; 2]> {
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
            if let Some(message) = correlatable(path, allowed) {
                self.problem(value.span(), &field, message);
                ok = false;
            }
        }
        ok.then_some(pair)
    }
}

/// Why `path` cannot take part in a correlation, if it cannot.
fn correlatable(path: &str, allowed: &Correlatable) -> Option<String> {
    if let Some(rule) = allowed.latent.get(path) {
        return rule.clone();
    }
    let Some(input) = allowed.by_path.get(path) else {
        let suggestion = allowed.suggestion(path);
        let allowed = allowed.listed();
        return Some(format!(
            "`{}` is not an input of this scenario{suggestion} ({allowed})",
            cut(path)
        ));
    };
    if allowed.per_class.contains(path) {
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
