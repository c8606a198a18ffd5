//! `sensitivity --sobol`: first- and total-order Sobol indices of every
//! uncertain input, for each target's reached-by-date indicator and for
//! chosen metrics on the report date, with bootstrap 90% intervals.
//!
//! Saltelli's sampling on the model's keyed streams: row `j` of matrix A
//! is trial `j`, row `j` of B is trial `N + j` (the same seed), each with
//! all its inputs and its own randomness (attrition, withdrawal days). Row
//! `j` of AB_i is trial `j` with input `i` fixed at B's value of row `j`:
//! the scenario with that input a constant (a probability 1 or 0 for a
//! yes/no input), run on trial `j`'s streams, so every other input and all
//! of the trial's own randomness are A's. The estimators are SALib's
//! (`sobol.analyze`): first order `mean(f(B) (f(AB_i) - f(A))) / V`
//! (Saltelli et al. 2010), total order `mean((f(A) - f(AB_i))^2) / 2V`
//! (Jansen 1999), `V` the variance of `f` over A and B together. The
//! trial's own randomness is not an input: what no input explains, it does.
//! Inputs drawn anew per class or wave gap (more than one draw a trial)
//! and the withdrawal days are part of that randomness too.
//!
//! The rules: docs/MODEL.md §5.18.

use std::ops::Range;

use crate::engine::{self, EngineError, Progress};
use crate::model::{InputTable, Model, StreamId, Trial, stream};
use crate::output::{cell_text, csv_bytes, number, schema};
use crate::scenario::{Dist, Metric, Scenario};

/// Name of the output file.
pub const FILE: &str = schema::SOBOL;
/// Rows of A (and of B) without `--sobol-rows`.
pub const DEFAULT_ROWS: u64 = 2_000;
/// Bootstrap resamples of the rows, for the 90% intervals.
pub const RESAMPLES: usize = 500;
/// Most memory the kept outputs may take.
pub const MAX_SAMPLE_BYTES: u64 = 4 << 30;

/// What a trial produced, for one output.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// 1 when the target is reached by the report day, else 0.
    Reached(usize),
    Metric(Metric),
}

/// The outputs: each target reached by `day` (a day of the scenario, the
/// report date), then each of `metrics` on that day.
pub fn outputs(scenario: &Scenario, metrics: &[Metric], day: u32) -> Vec<Output> {
    let date = scenario.date_of(day);
    let mut outputs: Vec<Output> = scenario
        .targets
        .iter()
        .enumerate()
        .map(|(t, target)| Output {
            name: format!("reached by {date}: {}", target.name),
            kind: Kind::Reached(t),
        })
        .collect();
    outputs.extend(metrics.iter().map(|&m| Output {
        name: format!("{} on {date}", m.name(scenario)),
        kind: Kind::Metric(m),
    }));
    outputs
}

/// One input as a Sobol factor: its path, its column in the input table,
/// and how it is fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    pub path: String,
    column: usize,
    yes_no: bool,
}

/// The factors among `table`'s inputs, and the inputs left to the trial's
/// own randomness (drawn more than once a trial, or a withdrawal day).
/// Refused for a scenario with `[[correlations]]`: Sobol indices need
/// inputs drawn independently.
pub fn factors(scenario: &Scenario, table: &InputTable) -> Result<(Vec<Factor>, Vec<String>), String> {
    if !scenario.correlations.is_empty() {
        return Err(
            "sensitivity --sobol needs inputs drawn independently of each other, and this scenario has \
             [[correlations]]; drop them (e.g. in a copy of the file) for the Sobol indices, or run sensitivity \
             without --sobol"
                .to_string(),
        );
    }
    let (mut factors, mut left) = (Vec::new(), Vec::new());
    for (column, path) in table.paths.iter().enumerate() {
        let mut probe = scenario.clone();
        let yes_no = chance_mut(&mut probe, path).is_some();
        let single = drawn_once(scenario, path);
        let fixable = yes_no || probe.inputs_mut().into_iter().any(|i| i.path == *path);
        if single && fixable {
            factors.push(Factor {
                path: path.clone(),
                column,
                yes_no,
            });
        } else {
            left.push(path.clone());
        }
    }
    Ok((factors, left))
}

/// False for an input a trial draws more than once (a recurring class's
/// size or graduation, the gaps of more than two waves) or that is not a
/// scenario field (a withdrawal day).
fn drawn_once(scenario: &Scenario, path: &str) -> bool {
    if path.ends_with(".withdrawal_day") {
        return false;
    }
    if let Some(host) = &scenario.host_police {
        let horizon = scenario.simulation.horizon_days;
        let course = host.layers.as_ref().is_some_and(|l| l.course_days.is_some());
        for (i, intake) in host.intakes.iter().enumerate() {
            let prefix = format!("host_police.intakes.{}.", i + 1);
            if path.starts_with(&prefix) {
                let classes = if course {
                    intake.entry_days(horizon).len()
                } else {
                    intake.class_days(horizon).len()
                };
                return classes == 1;
            }
        }
    }
    !scenario
        .contributors
        .iter()
        .any(|c| path == format!("contributors.{}.wave_interval_days", c.name) && c.waves > 2)
}

/// The probability behind a yes/no input at `path`, if it is one.
fn chance_mut<'a>(scenario: &'a mut Scenario, path: &str) -> Option<&'a mut f64> {
    for c in &mut scenario.contributors {
        if path == format!("contributors.{}.probability", c.name) {
            return Some(&mut c.probability);
        }
    }
    for e in &mut scenario.events {
        if path == format!("events.{}.probability", e.name) {
            return Some(&mut e.probability);
        }
    }
    if let Some(host) = &mut scenario.host_police {
        for (i, intake) in host.intakes.iter_mut().enumerate() {
            if path == format!("host_police.intakes.{}.probability", i + 1) {
                return Some(&mut intake.probability);
            }
        }
    }
    for c in scenario.funding.iter_mut().flat_map(|f| &mut f.contributions) {
        if path == format!("funding.contributions.{}.probability", c.name) {
            return Some(&mut c.probability);
        }
        if let Some(freeze) = &mut c.freeze
            && path == format!("funding.contributions.{}.freeze_probability", c.name)
        {
            return Some(&mut freeze.probability);
        }
    }
    None
}

/// The scenario with `factor` fixed at `value` in every trial.
fn fixed(scenario: &Scenario, factor: &Factor, value: f64) -> Scenario {
    let mut fixed = scenario.clone();
    if factor.yes_no {
        if let Some(p) = chance_mut(&mut fixed, &factor.path) {
            *p = if value >= 0.5 { 1.0 } else { 0.0 };
        }
    } else if let Some(input) = fixed.inputs_mut().into_iter().find(|i| i.path == factor.path) {
        input.dist = Dist::Constant(value);
    }
    fixed
}

/// Each row's outputs: `a`, `b` (rows x outputs) and `ab` (rows x
/// factors x outputs), row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub rows: usize,
    pub outputs: usize,
    pub factors: usize,
    a: Vec<f64>,
    b: Vec<f64>,
    ab: Vec<f64>,
}

/// Bytes [`sample`] keeps for `rows` rows.
pub fn sample_bytes(rows: u64, factors: usize, outputs: usize) -> u64 {
    rows.saturating_mul(8 * ((factors + 2) * outputs) as u64)
}

/// The trials behind each matrix (see the module's comment); `report` is
/// the index of the report day among the model's report days. Costs
/// `rows x (factors + 2)` trials.
pub fn sample(
    (scenario, model, table): (&Scenario, &Model, &InputTable),
    factors: &[Factor],
    outputs: &[Output],
    (rows, report): (u64, usize),
    threads: usize,
    progress: &Progress,
) -> Result<Sample, EngineError> {
    let width = outputs.len();
    let chunks = engine::map_chunks(0..rows, threads, progress, |chunk: Range<u64>| {
        let mut trial = Trial::default();
        let mut values = Vec::new();
        let (mut a, mut b, mut ab) = (Vec::new(), Vec::new(), Vec::new());
        for j in chunk {
            model.run_trial(j, &mut trial);
            a.extend(outputs.iter().map(|o| value(&trial, o.kind, report)));
            model.run_trial(rows + j, &mut trial);
            b.extend(outputs.iter().map(|o| value(&trial, o.kind, report)));
            model.input_values(table, rows + j, &mut values);
            for factor in factors {
                let model = Model::new(&fixed(scenario, factor, values[factor.column]));
                model.run_trial(j, &mut trial);
                ab.extend(outputs.iter().map(|o| value(&trial, o.kind, report)));
            }
        }
        (a, b, ab)
    })?;
    let mut sample = Sample {
        rows: rows as usize,
        outputs: width,
        factors: factors.len(),
        a: Vec::new(),
        b: Vec::new(),
        ab: Vec::new(),
    };
    for (a, b, ab) in chunks {
        sample.a.extend(a);
        sample.b.extend(b);
        sample.ab.extend(ab);
    }
    Ok(sample)
}

/// An output's value in a finished trial on report day `report`.
fn value(trial: &Trial, kind: Kind, report: usize) -> f64 {
    let Some(&at) = trial.report_positions.get(report) else {
        return f64::NAN;
    };
    let at = at as usize;
    match kind {
        Kind::Metric(metric) => trial.metric(metric, at),
        Kind::Reached(t) => {
            let day = trial.days.get(at).copied().unwrap_or(0);
            f64::from(u8::from(
                trial.first_reached.get(t).copied().flatten().is_some_and(|d| d <= day),
            ))
        }
    }
}

/// One row of `sobol.csv`; an index is `None` when the output does not vary.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub output: String,
    pub input: String,
    pub first: Option<[f64; 3]>,
    pub total: Option<[f64; 3]>,
}

/// The indices of every factor for every output, each output's factors by
/// total index, largest first; the intervals from [`RESAMPLES`] bootstrap
/// resamples of the rows (drawn from a stream of `seed`), their 5th and
/// 95th percentiles.
pub fn analyse(sample: &Sample, factors: &[Factor], outputs: &[Output], seed: u64) -> Vec<Row> {
    let n = sample.rows;
    let all: Vec<usize> = (0..n).collect();
    let id = StreamId::of("sensitivity.sobol.bootstrap");
    let resamples: Vec<Vec<usize>> = (0..RESAMPLES as u64)
        .map(|r| {
            let mut rng = stream(seed, r, id);
            (0..n)
                .map(|_| rand::RngExt::random_range(&mut rng, 0..n.max(1)))
                .collect()
        })
        .collect();
    let mut rows = Vec::new();
    for (o, output) in outputs.iter().enumerate() {
        let mut block: Vec<Row> = factors
            .iter()
            .enumerate()
            .map(|(i, factor)| {
                let point = indices(sample, o, i, &all);
                let boot: Vec<(f64, f64)> = resamples.iter().filter_map(|r| indices(sample, o, i, r)).collect();
                Row {
                    output: output.name.clone(),
                    input: factor.path.clone(),
                    first: point.map(|p| with_interval(p.0, boot.iter().map(|b| b.0))),
                    total: point.map(|p| with_interval(p.1, boot.iter().map(|b| b.1))),
                }
            })
            .collect();
        block.sort_by(|x, y| {
            let total = |r: &Row| r.total.map_or(f64::NEG_INFINITY, |t| t[0]);
            total(y).total_cmp(&total(x))
        });
        rows.extend(block);
    }
    rows
}

/// `[estimate, 5th percentile, 95th percentile]` of the resampled values.
fn with_interval(estimate: f64, resampled: impl Iterator<Item = f64>) -> [f64; 3] {
    let mut values: Vec<f64> = resampled.filter(|v| v.is_finite()).collect();
    values.sort_by(f64::total_cmp);
    let at = |q: f64| -> f64 {
        if values.is_empty() {
            return estimate;
        }
        let k = ((values.len() - 1) as f64 * q).round() as usize;
        values[k]
    };
    [estimate, at(0.05), at(0.95)]
}

/// First- and total-order index of factor `i` for output `o` over the rows
/// `rows` (SALib's estimators); `None` when the output does not vary.
fn indices(sample: &Sample, o: usize, i: usize, rows: &[usize]) -> Option<(f64, f64)> {
    let (w, k) = (sample.outputs, sample.factors);
    let a = |j: usize| sample.a[j * w + o];
    let b = |j: usize| sample.b[j * w + o];
    let ab = |j: usize| sample.ab[(j * k + i) * w + o];
    let n = rows.len() as f64;
    let mean = rows.iter().map(|&j| a(j) + b(j)).sum::<f64>() / (2.0 * n);
    let variance = rows
        .iter()
        .map(|&j| (a(j) - mean).powi(2) + (b(j) - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    if variance.is_nan() || variance <= 0.0 {
        return None;
    }
    let first = rows.iter().map(|&j| b(j) * (ab(j) - a(j))).sum::<f64>() / n / variance;
    let total = rows.iter().map(|&j| (a(j) - ab(j)).powi(2)).sum::<f64>() / n / (2.0 * variance);
    Some((first, total))
}

/// `sobol.csv`: header and one row per output and factor.
pub fn render(rows: &[Row]) -> Vec<u8> {
    let cells = |v: Option<[f64; 3]>| match v {
        Some(v) => v.map(|x| number(x, 4)).to_vec(),
        None => vec![String::new(); 3],
    };
    csv_bytes(
        &schema::SOBOL_COLUMNS,
        rows.iter().map(|row| {
            let mut cells_row = vec![cell_text(&row.output), cell_text(&row.input)];
            cells_row.extend(cells(row.first));
            cells_row.extend(cells(row.total));
            cells_row
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Ishigami function, `sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1` on
    /// [-pi, pi]^3, whose indices are known: first 0.3139, 0.4424, 0 and
    /// total 0.5576, 0.4424, 0.2437 (Saltelli et al. 2008).
    #[test]
    fn the_ishigami_function_has_its_known_indices() {
        let n = 20_000;
        let mut rng = stream(1, 0, StreamId::of("ishigami"));
        let mut draw = || -> f64 { (rand::RngExt::random::<f64>(&mut rng) * 2.0 - 1.0) * std::f64::consts::PI };
        let f = |x: [f64; 3]| x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin();
        let (mut a, mut b, mut ab) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let xa = [draw(), draw(), draw()];
            let xb = [draw(), draw(), draw()];
            a.push(f(xa));
            b.push(f(xb));
            for i in 0..3 {
                let mut x = xa;
                x[i] = xb[i];
                ab.push(f(x));
            }
        }
        let sample = Sample {
            rows: n,
            outputs: 1,
            factors: 3,
            a,
            b,
            ab,
        };
        let all: Vec<usize> = (0..n).collect();
        // The estimators' standard errors, from 200 bootstrap resamples.
        let mut rng = stream(1, 1, StreamId::of("ishigami.bootstrap"));
        let resamples: Vec<Vec<usize>> = (0..200)
            .map(|_| (0..n).map(|_| rand::RngExt::random_range(&mut rng, 0..n)).collect())
            .collect();
        let sd = |values: &[f64]| {
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
        };
        let expected = [(0.3139, 0.5576), (0.4424, 0.4424), (0.0, 0.2437)];
        for (i, (first, total)) in expected.into_iter().enumerate() {
            let (s1, st) = indices(&sample, 0, i, &all).unwrap();
            let boot: Vec<(f64, f64)> = resamples.iter().filter_map(|r| indices(&sample, 0, i, r)).collect();
            let first_se = sd(&boot.iter().map(|b| b.0).collect::<Vec<_>>());
            let total_se = sd(&boot.iter().map(|b| b.1).collect::<Vec<_>>());
            assert!(
                (s1 - first).abs() <= 4.0 * first_se,
                "x{}: first {s1} (SE {first_se})",
                i + 1
            );
            assert!(
                (st - total).abs() <= 4.0 * total_se,
                "x{}: total {st} (SE {total_se})",
                i + 1
            );
        }
    }
}
