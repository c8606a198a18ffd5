//! `run --observed`: a scenario conditioned on what has since been
//! observed. The observed file is `backtest`'s (with its optional
//! `contributor` and `error` columns); the engine keeps the trials
//! consistent with it (`engine::condition`). Here: the two models and the
//! groups of observations a run needs, the refusal when too few trials are
//! kept, and the files and `run_info.csv` columns a conditioned run adds
//! (`posterior.csv` in `posterior`).
//!
//! The rules: docs/MODEL.md §5.19.

mod posterior;

pub use posterior::{Shift, posterior_rows, render_posterior};

use super::backtest::{Observation, ObservedError, ObservedProblem};
use crate::engine::condition::{Conditions, Conflict, Evidence, Kept, Observed, with_days};
use crate::engine::histogram::{Binning, EXACT_LIMIT};
use crate::model::{InputTable, Model};
use crate::output::{cell_text, csv_bytes, number, schema, sha256_bytes_hex};
use crate::scenario::Scenario;

/// Kept trials below which a conditioned run is refused, unless
/// `--min-accepted` says otherwise: with 100, a share's standard error is
/// at most 5 percentage points.
pub const DEFAULT_MIN_ACCEPTED: u64 = 100;

/// The observed file a run is conditioned on.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file as given (for messages and `run_info.csv`).
    pub file: String,
    /// Its text (kept in a shard's partial file, for the merge).
    pub text: String,
    pub sha256: String,
    /// Its observation rows.
    pub rows: usize,
}

impl Source {
    pub fn new(file: &str, bytes: &[u8], rows: usize) -> Source {
        Source {
            file: file.to_string(),
            text: String::from_utf8_lossy(bytes).into_owned(),
            sha256: sha256_bytes_hex(bytes),
            rows,
        }
    }
}

/// Everything a conditioned run needs besides its trials.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Simulates: the scenario's report days and every observed day.
    pub simulate: Model,
    /// Records: the scenario's own report days.
    pub record: Model,
    pub conditions: Conditions,
    pub inputs: InputTable,
    pub source: Source,
}

impl Setup {
    /// The models and groups for `observations` of `source`; two exact
    /// observations of one metric on one date that disagree are refused.
    pub fn new(scenario: &Scenario, observations: &[Observation], source: Source) -> Result<Setup, ObservedError> {
        let record = Model::new(scenario);
        let mut simulate = record.clone();
        simulate.report_days = with_days(&record.report_days, observations.iter().map(|o| o.day));
        let problems: Vec<ObservedProblem> = observations.iter().filter_map(not_whole).collect();
        if !problems.is_empty() {
            return Err(ObservedError {
                file: source.file.clone(),
                problems,
            });
        }
        let rows: Vec<Observed> = observations.iter().map(observed).collect();
        let conditions = Conditions::new(&rows, &simulate.report_days).map_err(|c| conflict(&source, c))?;
        let inputs = record.input_table();
        Ok(Setup {
            simulate,
            record,
            conditions,
            inputs,
            source,
        })
    }

    /// What the engine runs.
    pub fn kept(&self) -> Kept<'_> {
        Kept {
            simulate: &self.simulate,
            record: &self.record,
            conditions: &self.conditions,
            inputs: &self.inputs,
        }
    }

    /// Refuses a run that kept fewer than `min_accepted` trials, naming the
    /// observation least consistent with the scenario.
    pub fn check_kept(&self, scenario: &Scenario, evidence: &Evidence, min_accepted: u64) -> Result<(), String> {
        if evidence.accepted >= min_accepted {
            return Ok(());
        }
        let mut message = format!(
            "only {} of {} trials are consistent with the {} observations of {} (at least {min_accepted} are \
             needed, --min-accepted).",
            evidence.accepted, evidence.run, self.source.rows, self.source.file
        );
        if let Some(worst) = self.least_consistent(evidence) {
            message.push_str(&format!(
                " The observation least consistent with the scenario: {}.",
                self.describe_group(scenario, evidence, worst)
            ));
        }
        message.push_str(
            " Check that observation, give it an error (the `error` column, e.g. 0.1 for \"about\"), run more \
             trials, or rewrite the scenario where it cannot produce what was observed.",
        );
        Err(message)
    }

    /// The group with the smallest mean likelihood over the trials (the first such).
    pub fn least_consistent(&self, evidence: &Evidence) -> Option<usize> {
        let means: Vec<f64> = evidence
            .groups
            .iter()
            .map(|g| g.mean_likelihood(evidence.run))
            .collect();
        (0..means.len()).min_by(|&a, &b| means[a].total_cmp(&means[b]))
    }

    /// Group `g` in words: where it is, what it says, and how the trials compare.
    fn describe_group(&self, scenario: &Scenario, evidence: &Evidence, g: usize) -> String {
        let group = &self.conditions.groups[g];
        let learned = &evidence.groups[g];
        let more = match group.rows {
            1 => String::new(),
            n => format!(" (and {} more rows of that metric and date)", n - 1),
        };
        let consistent = match learned.mean_likelihood(evidence.run) {
            0.0 => "no trial comes close to it".to_string(),
            p => format!("its mean likelihood over the trials is {p:.2e}"),
        };
        let range = learned
            .range
            .map(|(low, high)| {
                format!(
                    "; the trials' values there lie from {} to {} (mean {})",
                    number(low, 2),
                    number(high, 2),
                    number(learned.mean_value(evidence.run), 2)
                )
            })
            .unwrap_or_default();
        format!(
            "{}:{}{more}, {} on {} = {}: {consistent}{range}",
            self.source.file,
            group.first_line,
            group.metric.name(scenario),
            scenario.date_of(group.day),
            group.describe()
        )
    }

    /// `run_info.csv`'s columns of a conditioned run (after its own).
    pub fn info_columns(&self, evidence: &Evidence, min_accepted: u64) -> Vec<(&'static str, String)> {
        let values = [
            self.source.file.clone(),
            self.source.sha256.clone(),
            self.source.rows.to_string(),
            evidence.run.to_string(),
            evidence.accepted.to_string(),
            min_accepted.to_string(),
        ];
        schema::CONDITIONED_INFO_COLUMNS.into_iter().zip(values).collect()
    }

    /// The bytes of `observations.csv`: each group, its value and error
    /// (combined over its rows), and the trials' mean there before and
    /// after conditioning, and its mean likelihood.
    pub fn render_observations(&self, scenario: &Scenario, evidence: &Evidence) -> Vec<u8> {
        let rows = self
            .conditions
            .groups
            .iter()
            .zip(&evidence.groups)
            .map(|(group, learned)| {
                let decimals = crate::output::stats::decimals(group.metric).max(2);
                let (value, error) = match group.exact {
                    Some(y) => (y, 0.0),
                    None => (group.centre, group.weight.recip().sqrt() / group.centre.max(1.0)),
                };
                vec![
                    scenario.date_of(group.day).format("%Y-%m-%d").to_string(),
                    group.day.to_string(),
                    cell_text(&group.metric.name(scenario)),
                    number(value, 6),
                    number(error, 6),
                    group.rows.to_string(),
                    group.first_line.to_string(),
                    number(learned.mean_value(evidence.run), decimals),
                    number(learned.mean_kept(evidence.accepted), decimals),
                    format!("{:.6e}", learned.mean_likelihood(evidence.run)),
                ]
            });
        csv_bytes(&schema::OBSERVATIONS_COLUMNS, rows)
    }

    /// `posterior.csv` and `observations.csv`, in the order of [`schema::CONDITIONED_FILES`].
    pub fn files(&self, scenario: &Scenario, evidence: &Evidence) -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                schema::POSTERIOR,
                render_posterior(&posterior_rows(&self.inputs.paths, evidence)),
            ),
            (schema::OBSERVATIONS, self.render_observations(scenario, evidence)),
        ]
    }
}

/// An observation as the engine takes it.
fn observed(o: &Observation) -> Observed {
    Observed {
        day: o.day,
        metric: o.metric,
        value: o.value,
        error: o.error,
        line: o.line,
    }
}

/// An exact observation (no `error`) of a head count that is not a whole
/// number: no trial can have it.
fn not_whole(o: &Observation) -> Option<ObservedProblem> {
    let count = Binning::of(o.metric) == Binning::Count && o.value < f64::from(EXACT_LIMIT);
    (o.error == 0.0 && count && o.value.fract() != 0.0).then(|| ObservedProblem {
        line: o.line,
        column: o.value_column,
        field: "value".into(),
        message: format!(
            "{} is not a whole number, and a head count is; an exact observation must be one a trial can have \
             (give an `error`, such as 0.05, for an approximate one)",
            o.value
        ),
    })
}

/// Two exact observations that disagree, as a problem of the second.
fn conflict(source: &Source, c: Conflict) -> ObservedError {
    ObservedError {
        file: source.file.clone(),
        problems: vec![ObservedProblem {
            line: c.second,
            column: 1,
            field: String::new(),
            message: format!(
                "contradicts line {}: both give the same metric on the same date exactly, with other values; \
                 no trial can match both (give them an `error`, or keep one)",
                c.first
            ),
        }],
    }
}
