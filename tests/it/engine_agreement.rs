//! The one trial engine against the day-by-day trial it replaced (#25):
//! the GSF scenario as shipped on 30 Apr 2026 (a frozen copy,
//! `tests/data/gsf-2026-04-v2-reference.toml`), run by forcegen 0.2.0's
//! day-by-day trial with 200,000 trials (seed 20260430), gave the means,
//! standard deviations, 5th, 50th and 95th percentiles of every metric on
//! ten days, and each target's chance by the report date and the horizon,
//! kept in `tests/data/gsf-2026-04-v2-reference.csv` (from its
//! `timeseries.csv` and `targets.csv`). The engine must agree within 4
//! standard errors on every one of them:
//! - a mean: the two samples' standard errors combined,
//!   `sqrt(sd_ref² / 200000 + sd_new² / n)`;
//! - a percentile q_p: the share of the new trials at or below it, and
//!   below it, against p, within `4 sqrt(p (1 - p) (1 / 200000 + 1 / n))`
//!   (at or below must reach p, below must not pass it); for values kept in
//!   bins of relative width 2^-10 (ratios, money) "at or below" and "below"
//!   are taken a bin's width out, the resolution the reference was printed at;
//! - a target's chance: the two binomial standard errors combined.

use forcegen::model::{Model, Trial};

const REFERENCE_TRIALS: f64 = 200_000.0;
const TRIALS: u64 = 40_000;
const Z: f64 = 4.0;
/// Relative width of the bins ratios and money are kept in.
const BIN: f64 = 1.0 / 1024.0;

/// One row of the reference.
struct Row {
    kind: String,
    name: String,
    day: usize,
    mean: f64,
    sd: f64,
    percentiles: [(f64, f64); 3],
}

fn reference() -> Vec<Row> {
    let text = include_str!("../data/gsf-2026-04-v2-reference.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|record| {
            let r = record.expect("a reference row");
            let num = |i: usize| r[i].parse::<f64>().unwrap_or(f64::NAN);
            Row {
                kind: r[0].to_string(),
                name: r[1].to_string(),
                day: r[2].parse().expect("a day"),
                mean: num(3),
                sd: num(4),
                percentiles: [(0.05, num(5)), (0.5, num(6)), (0.95, num(7))],
            }
        })
        .collect()
}

/// Per checked (metric, day): sums for the mean, and for each reference
/// percentile the trials at or below it and below it.
#[derive(Default, Clone)]
struct Tally {
    sum: f64,
    sum_sq: f64,
    at_or_below: [u64; 3],
    below: [u64; 3],
}

/// The new engine's tallies over `TRIALS` trials: per checked (metric,
/// day) row, and per target the trials that reached it by day 155 and 365.
fn tally(model: &Model, metric_rows: &[(usize, &Row)]) -> (Vec<Tally>, Vec<[u64; 2]>) {
    let mut tallies = vec![Tally::default(); metric_rows.len()];
    let mut reached = vec![[0u64; 2]; model.targets.len()];
    let mut trial = Trial::default();
    for index in 0..TRIALS {
        model.run_trial(index, &mut trial);
        for ((m, row), tally) in metric_rows.iter().zip(&mut tallies) {
            let k = trial.report_positions[row.day] as usize;
            let value = trial.metric(model.metrics[*m], k);
            tally.sum += value;
            tally.sum_sq += value * value;
            let binned = !model.metrics[*m].is_count();
            for (p, &(_, q)) in row.percentiles.iter().enumerate() {
                let (high, low) = if binned {
                    (q * (1.0 + BIN), q * (1.0 - BIN))
                } else {
                    (q, q)
                };
                tally.at_or_below[p] += u64::from(value <= high);
                tally.below[p] += u64::from(value < low);
            }
        }
        for (t, first) in trial.first_reached.iter().enumerate() {
            for (slot, by) in [155u32, 365].into_iter().enumerate() {
                reached[t][slot] += u64::from(first.is_some_and(|d| d <= by));
            }
        }
    }
    (tallies, reached)
}

/// The disagreements of one metric row's mean and percentiles.
fn metric_failures(row: &Row, tally: &Tally, failures: &mut Vec<String>) {
    let n = TRIALS as f64;
    let mean = tally.sum / n;
    let sd = (tally.sum_sq / n - mean * mean).max(0.0).sqrt();
    let se = (row.sd * row.sd / REFERENCE_TRIALS + sd * sd / n).sqrt();
    // The reference's printed precision (4 decimals).
    if (mean - row.mean).abs() > Z * se + 1e-4 * (1.0 + row.mean.abs() * 1e-6) {
        failures.push(format!(
            "{} day {}: mean {mean} against {} (se {se})",
            row.name, row.day, row.mean
        ));
    }
    for (p, &(share, q)) in row.percentiles.iter().enumerate() {
        let tolerance = Z * (share * (1.0 - share) * (1.0 / REFERENCE_TRIALS + 1.0 / n)).sqrt();
        let at_or_below = tally.at_or_below[p] as f64 / n;
        let below = tally.below[p] as f64 / n;
        if at_or_below < share - tolerance || below > share + tolerance {
            failures.push(format!(
                "{} day {}: p{} = {q}: {at_or_below} at or below, {below} below",
                row.name,
                row.day,
                share * 100.0
            ));
        }
    }
}

#[test]
fn the_engine_agrees_with_the_day_by_day_trial_on_the_gsf_scenario() {
    let text = include_str!("../data/gsf-2026-04-v2-reference.toml");
    let scenario = forcegen::scenario::parse_str(text, "gsf-2026-04-v2-reference.toml").expect("the scenario");
    let model = Model::new(&scenario);
    let names: Vec<String> = model.metrics.iter().map(|m| m.name(&scenario)).collect();
    let rows = reference();
    let metric_rows: Vec<(usize, &Row)> = rows
        .iter()
        .filter(|r| r.kind == "metric")
        .map(|r| {
            (
                names
                    .iter()
                    .position(|n| *n == r.name)
                    .expect("a metric of the scenario"),
                r,
            )
        })
        .collect();
    assert_eq!(metric_rows.len(), 330, "every metric on ten days");
    let (tallies, reached) = tally(&model, &metric_rows);
    let mut failures = Vec::new();
    for ((_, row), tally) in metric_rows.iter().zip(&tallies) {
        metric_failures(row, tally, &mut failures);
    }
    let n = TRIALS as f64;
    for row in rows.iter().filter(|r| r.kind == "target") {
        let t = scenario
            .targets
            .iter()
            .position(|t| t.name == row.name)
            .expect("a target");
        let slot = usize::from(row.day == 365);
        let p = reached[t][slot] as f64 / n;
        let se = (row.sd * row.sd + p * (1.0 - p) / n).sqrt();
        if (p - row.mean).abs() > Z * se + 1e-6 {
            failures.push(format!(
                "{} by day {}: {p} against {} (se {se})",
                row.name, row.day, row.mean
            ));
        }
    }
    assert!(failures.is_empty(), "the engine disagrees:\n{}", failures.join("\n"));
}
