//! Costs of the engine's parts on the Haiti baseline (and, for one trial,
//! on the baseline under a ceiling that never binds and on the GSF
//! scenario with its daily rows): one trial, recording one trial into the
//! per-day aggregates, both together, and a whole 10,000-trial run. Run
//! with `cargo bench --bench engine`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use forcegen::engine::{self, Progress, Recorder};
use forcegen::model::{Model, Trial};
use forcegen::scenario::{BASELINE_TEXT, Step, parse_str};

fn baseline_model(step: Step) -> Model {
    let mut scenario = parse_str(BASELINE_TEXT, "baseline").expect("the built-in baseline parses");
    scenario.simulation.step = step;
    Model::new(&scenario)
}

/// The baseline with `[mission] ceiling = 1000000`, which no trial reaches.
fn ceiling_model() -> Model {
    let text = format!("{BASELINE_TEXT}\n[mission]\nceiling = 1000000\n");
    Model::new(&parse_str(&text, "baseline with a ceiling").expect("the baseline with a ceiling parses"))
}

/// The GSF scenario as shipped (daily rows, the fund, rotations, a ceiling).
fn gsf_model() -> Model {
    let text = include_str!("../scenarios/haiti-gsf-2026-04.toml");
    Model::new(&parse_str(text, "haiti-gsf-2026-04.toml").expect("the GSF scenario parses"))
}

fn one_trial(c: &mut Criterion) {
    for (name, model) in [
        ("trial/baseline-weekly", baseline_model(Step::Week)),
        ("trial/baseline-daily", baseline_model(Step::Day)),
        ("trial/baseline-weekly-ceiling", ceiling_model()),
        ("trial/gsf-daily", gsf_model()),
    ] {
        let mut trial = Trial::default();
        let mut index = 0u64;
        c.bench_function(name, |b| {
            b.iter(|| {
                index += 1;
                model.run_trial(black_box(index), &mut trial);
            })
        });
    }
}

fn record(c: &mut Criterion) {
    for (name, model) in [
        ("record/weekly", baseline_model(Step::Week)),
        ("record/daily", baseline_model(Step::Day)),
        ("record/gsf-daily", gsf_model()),
    ] {
        // Enough distinct trials that the tables are as large as in a run.
        let trials: Vec<Trial> = (0..1024)
            .map(|i| {
                let mut trial = Trial::default();
                model.run_trial(i, &mut trial);
                trial
            })
            .collect();
        let mut aggregates = Recorder::new(&model);
        let mut i = 0;
        c.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % trials.len();
                aggregates.record(&model, black_box(&trials[i]));
            })
        });
    }
}

/// One trial drawn and recorded, as a worker does it (the trial's head
/// counts are still in cache when they are recorded).
fn trial_and_record(c: &mut Criterion) {
    for (name, step) in [("trial+record/weekly", Step::Week), ("trial+record/daily", Step::Day)] {
        let model = baseline_model(step);
        let mut trial = Trial::default();
        let mut aggregates = Recorder::new(&model);
        let mut index = 0u64;
        c.bench_function(name, |b| {
            b.iter(|| {
                index += 1;
                model.run_trial(black_box(index), &mut trial);
                aggregates.record(&model, &trial);
            })
        });
    }
}

fn whole_run(c: &mut Criterion) {
    let model = baseline_model(Step::Week);
    let mut group = c.benchmark_group("run");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.bench_function("baseline-10k-trials", |b| {
        b.iter(|| engine::run(&model, 0..10_000, 0, &Progress::default()).expect("run completes"))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = one_trial, record, trial_and_record, whole_run
}
criterion_main!(benches);
