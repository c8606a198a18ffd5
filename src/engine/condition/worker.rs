//! The conditioned run's worker: each trial simulated by a model whose
//! report days include the observed days, its likelihood of the
//! observations worked out, its inputs counted (before), and, if kept,
//! recorded on the scenario's own report days (and its inputs counted
//! after).

use std::ops::Range;

use super::{Conditions, Evidence, GroupEvidence, input_key};
use crate::engine::histogram::HistogramRecorder;
use crate::engine::{Aggregates, EngineError, Progress, Recorder, Worker, run_workers};
use crate::model::strength::unit;
use crate::model::{InputTable, Model, StreamId, Trial, stream};

/// The stream of each trial's uniform that decides whether it is kept.
pub const ACCEPT_STREAM: &str = "observed.accept";

/// A conditioned run's two models and what it is conditioned on.
#[derive(Clone, Copy)]
pub struct Kept<'a> {
    /// Simulates: the scenario's report days and the observed days.
    pub simulate: &'a Model,
    /// Records: the scenario's own report days (those of the files).
    pub record: &'a Model,
    pub conditions: &'a Conditions,
    /// The uncertain inputs whose distributions `Evidence` keeps.
    pub inputs: &'a InputTable,
}

/// One worker's part of a conditioned run.
struct Conditioned<'a> {
    kept: Kept<'a>,
    /// For each report day of `record`, its place among `simulate`'s.
    places: Vec<usize>,
    accept: StreamId,
    recorder: Recorder,
    prior: HistogramRecorder,
    posterior: HistogramRecorder,
    groups: Vec<GroupEvidence>,
    run: u64,
    accepted: u64,
    /// This trial's value of each group's metric.
    xs: Vec<f64>,
    values: Vec<f64>,
    keys: Vec<u32>,
    positions: Vec<u32>,
}

/// The sum of `trial`'s log-likelihoods of every group, each group's
/// (value, log-likelihood) passed to `each`.
#[inline]
pub fn trial_log_likelihood(conditions: &Conditions, trial: &Trial, mut each: impl FnMut(usize, f64, f64)) -> f64 {
    let mut total = 0.0;
    for (g, group) in conditions.groups.iter().enumerate() {
        let x = conditions.value(g, trial);
        let log_likelihood = group.log_likelihood(x);
        each(g, x, log_likelihood);
        total += log_likelihood;
    }
    total
}

impl Worker for Conditioned<'_> {
    type Output = (Aggregates, Evidence);

    fn trial(&mut self, index: u64, trial: &mut Trial) {
        let Kept {
            simulate,
            record,
            conditions,
            inputs,
        } = self.kept;
        simulate.run_trial(index, trial);
        let (groups, xs) = (&mut self.groups, &mut self.xs);
        xs.clear();
        let log_likelihood = trial_log_likelihood(conditions, trial, |g, x, l| {
            groups[g].add(x, l);
            xs.push(x);
        });
        simulate.input_values(inputs, index, &mut self.values);
        self.keys.clear();
        self.keys.extend(self.values.iter().map(|&v| input_key(v)));
        self.prior.record_keys(&self.keys);
        self.run += 1;
        let u = unit(&mut stream(simulate.seed, index, self.accept));
        if u >= log_likelihood.exp() {
            return;
        }
        self.accepted += 1;
        self.posterior.record_keys(&self.keys);
        for (group, &x) in self.groups.iter_mut().zip(&self.xs) {
            group.keep(x);
        }
        // Recorded on the scenario's report days only: their places among
        // the evaluated days stand in for the trial's own while it is.
        self.positions.clear();
        self.positions
            .extend(self.places.iter().map(|&r| trial.report_positions[r]));
        std::mem::swap(&mut trial.report_positions, &mut self.positions);
        self.recorder.record(record, trial);
        std::mem::swap(&mut trial.report_positions, &mut self.positions);
    }

    fn table_bytes(&self) -> u64 {
        self.recorder.table_bytes() + self.prior.table_bytes() + self.posterior.table_bytes()
    }

    fn finish(self) -> ((Aggregates, Evidence), u64) {
        let aggregates = self.recorder.finish();
        let evidence = Evidence {
            run: self.run,
            accepted: self.accepted,
            prior: self.prior.finish(),
            posterior: self.posterior.finish(),
            groups: self.groups,
        };
        let bytes = aggregates.table_bytes() + evidence.prior.table_bytes() + evidence.posterior.table_bytes();
        ((aggregates, evidence), bytes)
    }
}

/// Runs trials `trials` conditioned on `kept.conditions` (see the module
/// `condition`): the kept trials' aggregates (of `kept.record`) and the
/// evidence, the same whatever the thread count.
pub fn run_conditioned(
    kept: Kept,
    trials: Range<u64>,
    threads: usize,
    progress: &Progress,
) -> Result<(Aggregates, Evidence), EngineError> {
    let places: Vec<usize> = kept
        .record
        .report_days
        .iter()
        .map(|day| kept.simulate.report_days.binary_search(day).unwrap_or(0))
        .collect();
    let inputs = kept.inputs.paths.len();
    let groups = kept.conditions.groups.len();
    let parts = run_workers(trials, threads, progress, || Conditioned {
        kept,
        places: places.clone(),
        accept: StreamId::of(ACCEPT_STREAM),
        recorder: Recorder::new(kept.record),
        prior: HistogramRecorder::sharing(inputs, kept.record.metrics.len() + 2),
        posterior: HistogramRecorder::sharing(inputs, kept.record.metrics.len() + 2),
        groups: vec![GroupEvidence::default(); groups],
        run: 0,
        accepted: 0,
        xs: Vec::with_capacity(groups),
        values: Vec::with_capacity(inputs),
        keys: Vec::with_capacity(inputs),
        positions: Vec::new(),
    })?;
    // As `engine::run`: merged into the first worker's part.
    let mut parts = parts.into_iter();
    let (mut aggregates, mut evidence) = parts
        .next()
        .unwrap_or_else(|| (Aggregates::new(kept.record), Evidence::new(inputs, groups)));
    for (part, learned) in parts {
        aggregates.merge(&part);
        // Within one run no sum comes near its integer's range.
        let _ = evidence.merge(&learned);
    }
    Ok((aggregates, evidence))
}
