//! `forcegen backtest`: how well did a scenario's forecast match what was
//! later observed?
//!
//! The observed file is a CSV with a header `date,metric,value`. The scenario
//! is simulated with its report days replaced by the distinct observed days
//! (plus day 0 and the horizon), so the forecast is taken exactly on each observed
//! date, and every observation is scored against the forecast distribution
//! of its metric on its day:
//!
//! - the forecast percentiles p5..p95, as in `timeseries.csv`;
//! - `pit`, the mid-rank percentile of the observation in the forecast,
//!   `(count(X < y) + count(X = y) / 2) / trials`, whose mean is 1/2 under a
//!   calibrated forecast even where whole-person values tie (it is uniform
//!   only where they do not: a tie puts all its trials on one PIT value);
//! - `in_50` / `in_90`: whether it lies in the central 50% / 90% band,
//!   `p25 <= y <= p75` / `p5 <= y <= p95`;
//! - `band_50_mass` / `band_90_mass`: the forecast's own probability of
//!   landing in that band, `P(p25 <= X <= p75)` / `P(p5 <= X <= p95)`. A
//!   band's edges are values of the forecast, so with ties (a contributor
//!   with nobody in 80% of trials has p25 = p75 = 0) it holds more than 50% /
//!   90% of the trials; its mean over observations is the coverage a
//!   calibrated forecast shows;
//! - `crps`, the continuous ranked probability score of the forecast's
//!   empirical distribution, `E|X - y| - E|X - X'| / 2`, in the metric's
//!   units (0 for a perfect point forecast; lower is better).
//!
//! All of these come straight from the per-day histograms: exact for head
//! counts up to 65,535, and within the 0.05% bin width for ratios and larger
//! head counts.
//!
//! The rules: docs/MODEL.md §5.14.

mod forecast;
mod observed;

pub use forecast::Forecast;
pub use observed::{
    OPTIONAL_COLUMNS, Observation, ObservedError, ObservedProblem, read_observations, read_observations_from,
};

use std::path::Path;

use crate::engine::Aggregates;
use crate::engine::histogram::Binning;
use crate::model::{GENERATOR_NAME, Model};
use crate::output::stats::metric_stats;
use crate::output::{cell_text, csv_bytes, number, schema, sha256_hex};
use crate::scenario::Scenario;

/// The file of scored observations.
pub const FILE: &str = schema::BACKTEST;
/// What produced it (scenario fingerprint, observed file, seed, trials).
pub const INFO_FILE: &str = schema::BACKTEST_INFO;
/// The columns the observed file must have (in any order).
pub const OBSERVED_COLUMNS: [&str; 3] = ["date", "metric", "value"];
/// Most observations one file may hold.
pub const MAX_OBSERVATIONS: usize = 1_000_000;
/// Largest observed value: far above any head count or ratio (a head count
/// is at most about 4.3e9), and small enough that no score overflows.
pub const MAX_OBSERVED_VALUE: f64 = 1e12;
/// Largest relative error of an observation (`error` column): 10 is
/// "within a factor of ten", far looser than any figure worth conditioning on.
pub const MAX_RELATIVE_ERROR: f64 = 10.0;
/// Largest observed file read, in bytes.
pub const MAX_OBSERVED_BYTES: u64 = 64 * 1024 * 1024;

/// The header of `backtest.csv`.
pub const HEADER: [&str; 17] = schema::BACKTEST_COLUMNS;

/// The score of one observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub observation: Observation,
    /// Index into the model's metrics.
    pub metric_index: usize,
    pub percentiles: [f64; 5],
    pub pit: f64,
    pub in_50: bool,
    pub in_90: bool,
    /// The forecast's probability of the 50% band, `P(p25 <= X <= p75)`:
    /// 0.5, or more where trials tie at its edges.
    pub band_50_mass: f64,
    /// The same for the 90% band, `P(p5 <= X <= p95)`.
    pub band_90_mass: f64,
    pub crps: f64,
}

/// Averages over a group of scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Overall {
    pub n: usize,
    pub in_50: f64,
    pub in_90: f64,
    /// Mean `band_50_mass`: the share of observations a calibrated forecast
    /// puts in the 50% band (compare `in_50` with this, not with 0.5).
    pub band_50_mass: f64,
    /// Mean `band_90_mass`.
    pub band_90_mass: f64,
    pub mean_pit: f64,
    /// `None` when the group mixes metrics (CRPS is in each metric's units).
    pub mean_crps: Option<f64>,
}

impl Overall {
    pub fn of(scores: &[&Score]) -> Overall {
        let n = scores.len();
        let mean = |f: &dyn Fn(&Score) -> f64| {
            if n == 0 {
                f64::NAN
            } else {
                scores.iter().map(|s| f(s)).sum::<f64>() / n as f64
            }
        };
        let one_metric = scores.windows(2).all(|w| w[0].metric_index == w[1].metric_index);
        Overall {
            n,
            in_50: mean(&|s| f64::from(u8::from(s.in_50))),
            in_90: mean(&|s| f64::from(u8::from(s.in_90))),
            band_50_mass: mean(&|s| s.band_50_mass),
            band_90_mass: mean(&|s| s.band_90_mass),
            mean_pit: mean(&|s| s.pit),
            mean_crps: one_metric.then(|| mean(&|s| s.crps)),
        }
    }
}

/// The report days for a backtest: the distinct observed days, with day 0
/// and the horizon (the model, like every run, starts and ends its report
/// days there), ascending.
pub fn report_days(observations: &[Observation], horizon: u32) -> Vec<u32> {
    let mut days: Vec<u32> = observations.iter().map(|o| o.day).collect();
    days.extend([0, horizon]);
    days.sort_unstable();
    days.dedup();
    days
}

/// What a report day of one metric costs a worker thread while trials
/// are recorded (its column's pages, its share of the batch buffers and
/// sums): 4 to 5 KiB measured (an observation a day for 100 years, 20 to
/// 1,000 trials).
pub const TABLE_BYTES: u64 = 5 << 10;

/// The memory of the forecast's per-day tables, one per report day (the
/// distinct observed dates, day 0 and the horizon) and metric in each
/// worker that gets trials (`threads` resolved, at most one per chunk of
/// [`crate::engine::CHUNK`] trials): refused up front when past the budget,
/// so that an observation on every day of 100 years does not take gigabytes.
pub fn tables_need(model: &Model, threads: usize, trials: u64) -> crate::budget::Need {
    let workers = (threads.max(1) as u64).min(trials.div_ceil(crate::engine::CHUNK).max(1));
    crate::budget::Need::new(
        "the forecast's per-day tables for the observed dates",
        &[
            (
                model.report_days.len() as u64,
                "report dates (the distinct observed dates, day 0, the horizon)",
            ),
            (model.metrics.len() as u64, "metrics"),
            (workers, "worker threads"),
        ],
        TABLE_BYTES,
    )
    .advice("observe fewer distinct dates (weekly or monthly), or use fewer --threads")
}

/// Scores every observation against the forecast of a model whose report
/// days are [`report_days`] of these observations. Sorted by metric (in the
/// model's order), then date.
pub fn score(model: &Model, aggregates: &Aggregates, observations: &[Observation]) -> Vec<Score> {
    let mut scores: Vec<Score> = observations
        .iter()
        .filter_map(|o| {
            let r = model.report_days.binary_search(&o.day).ok()?;
            let m = model.metrics.iter().position(|&metric| metric == o.metric)?;
            Some(score_one(model, aggregates, o, r, m))
        })
        .collect();
    scores.sort_by_key(|s| (s.metric_index, s.observation.day, s.observation.line));
    scores
}

fn score_one(model: &Model, aggregates: &Aggregates, observation: &Observation, r: usize, m: usize) -> Score {
    let histogram = &aggregates.metrics[m];
    let trials = aggregates.trials;
    let metric = model.metrics[m];
    let ratio = metric.has_sums();
    let sums = ratio.then(|| {
        let nth = model.metrics[..m].iter().filter(|x| x.has_sums()).count();
        aggregates.ratio_sums[nth][r]
    });
    let percentiles = metric_stats(
        metric,
        histogram,
        sums,
        aggregates.large_sums[m].get(r).copied().unwrap_or((0, 0)),
        r,
        trials,
    )
    .percentiles;
    let forecast = Forecast::from_histogram(histogram, r, trials, Binning::of(metric));
    let y = observation.value;
    let [p5, p25, _, p75, p95] = percentiles;
    Score {
        observation: observation.clone(),
        metric_index: m,
        percentiles,
        pit: forecast.pit(y),
        in_50: p25 <= y && y <= p75,
        in_90: p5 <= y && y <= p95,
        band_50_mass: forecast.mass_within(p25, p75),
        band_90_mass: forecast.mass_within(p5, p95),
        crps: forecast.crps(y),
    }
}

/// The groups of the overall rows: each metric with observations (model
/// order), then all of them, each with its label.
pub fn groups<'a>(scenario: &Scenario, model: &Model, scores: &'a [Score]) -> Vec<(String, Vec<&'a Score>)> {
    let mut groups: Vec<(String, Vec<&Score>)> = Vec::new();
    for (m, metric) in model.metrics.iter().enumerate() {
        let members: Vec<&Score> = scores.iter().filter(|s| s.metric_index == m).collect();
        if !members.is_empty() {
            groups.push((metric.name(scenario), members));
        }
    }
    groups.push(("all".to_string(), scores.iter().collect()));
    groups
}

/// The bytes of `backtest.csv`.
pub fn render(scenario: &Scenario, model: &Model, scores: &[Score]) -> Vec<u8> {
    let mut rows = Vec::new();
    for s in scores {
        let o = &s.observation;
        let decimals = crate::output::stats::decimals(o.metric);
        let mut row = vec![
            "observation".to_string(),
            o.date.format("%Y-%m-%d").to_string(),
            o.day.to_string(),
            cell_text(&o.metric.name(scenario)),
            "1".to_string(),
            number(o.value, 6),
        ];
        row.extend(s.percentiles.iter().map(|p| number(*p, decimals)));
        row.push(number(s.pit, 4));
        row.push(u8::from(s.in_50).to_string());
        row.push(u8::from(s.in_90).to_string());
        row.push(number(s.band_50_mass, 4));
        row.push(number(s.band_90_mass, 4));
        row.push(number(s.crps, 4));
        rows.push(row);
    }
    for (label, members) in groups(scenario, model, scores) {
        let overall = Overall::of(&members);
        let mut row = vec!["overall".to_string(), String::new(), String::new(), cell_text(&label)];
        row.push(overall.n.to_string());
        row.extend(std::iter::repeat_n(String::new(), 6));
        row.push(number(overall.mean_pit, 4));
        row.push(number(overall.in_50, 4));
        row.push(number(overall.in_90, 4));
        row.push(number(overall.band_50_mass, 4));
        row.push(number(overall.band_90_mass, 4));
        row.push(overall.mean_crps.map(|c| number(c, 4)).unwrap_or_default());
        rows.push(row);
    }
    csv_bytes(&HEADER, rows)
}

/// What a backtest was run on, for `backtest_info.csv`.
pub struct Provenance<'a> {
    pub scenario: &'a Scenario,
    pub observed_file: &'a Path,
    pub observed_bytes: &'a [u8],
    pub observations: usize,
    pub trials: u64,
    /// The `--set` arguments, in order.
    pub overrides: &'a [String],
}

/// `backtest_info.csv`: what the backtest was run on.
pub fn render_info(p: &Provenance) -> Vec<u8> {
    let header = [
        "scenario",
        "scenario_sha256",
        "observed_file",
        "observed_sha256",
        "observations",
        "seed",
        "trials",
        "forcegen_version",
        "generator",
        "start",
        "horizon_days",
        "overrides",
    ];
    let simulation = &p.scenario.simulation;
    let row = vec![
        cell_text(&p.scenario.name),
        sha256_hex(&p.scenario.source),
        cell_text(&p.observed_file.display().to_string()),
        sha256_bytes(p.observed_bytes),
        p.observations.to_string(),
        simulation.seed.to_string(),
        p.trials.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        GENERATOR_NAME.to_string(),
        simulation.start.format("%Y-%m-%d").to_string(),
        simulation.horizon_days.to_string(),
        cell_text(&p.overrides.join("; ")),
    ];
    csv_bytes(&header, vec![row])
}

fn sha256_bytes(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::observed::{MAX_PROBLEMS, SHOWN_PROBLEMS};
    use super::*;
    use crate::scenario::Metric;
    use crate::scenario::parse_str;

    /// Brute force over every pair: `mean|x - y| - mean|x - x'| / 2`.
    fn crps_brute(xs: &[u32], y: f64) -> f64 {
        let n = xs.len() as f64;
        let first: f64 = xs.iter().map(|&x| (f64::from(x) - y).abs()).sum::<f64>() / n;
        let mut pairs = 0.0;
        for &a in xs {
            for &b in xs {
                pairs += (f64::from(a) - f64::from(b)).abs();
            }
        }
        first - pairs / (2.0 * n * n)
    }

    #[test]
    fn crps_matches_brute_force() {
        let samples: [&[u32]; 4] = [
            &[3, 5, 5, 9, 12],
            &[7],
            &[0, 0, 0, 100],
            &[10, 11, 12, 13, 14, 15, 400, 2],
        ];
        for xs in samples {
            let forecast = Forecast::from_counts(xs);
            for y in [0.0, 4.0, 5.0, 7.5, 12.0, 20.0, 1000.0] {
                let (got, want) = (forecast.crps(y), crps_brute(xs, y));
                assert!((got - want).abs() < 1e-9, "{xs:?} at {y}: {got} vs {want}");
            }
        }
        // A point forecast scores the absolute error.
        assert!((Forecast::from_counts(&[7, 7, 7]).crps(10.0) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn pit_is_the_mid_rank() {
        let forecast = Forecast::from_counts(&[1, 2, 2, 3, 4]);
        assert_eq!(forecast.pit(0.0), 0.0);
        assert_eq!(forecast.pit(2.0), (1.0 + 0.5 * 2.0) / 5.0);
        assert_eq!(forecast.pit(2.5), 3.0 / 5.0);
        assert_eq!(forecast.pit(9.0), 1.0);
        // All tied: exactly the middle.
        assert_eq!(Forecast::from_counts(&[0, 0, 0, 0]).pit(0.0), 0.5);
    }

    #[test]
    fn band_mass_counts_the_trials_inside_including_ties_at_the_edges() {
        // 0 in 8 of 10 trials: p5 = p25 = p75 = 0, so the 50% band holds 80%.
        let tied = Forecast::from_counts(&[0, 0, 0, 0, 0, 0, 0, 0, 40, 90]);
        assert_eq!(tied.mass_within(0.0, 0.0), 0.8);
        assert_eq!(tied.mass_within(0.0, 40.0), 0.9);
        assert_eq!(tied.mass_within(1.0, 89.0), 0.1);
        assert_eq!(tied.mass_within(91.0, 100.0), 0.0);
        // Without ties a band between two percentiles holds what they span.
        let spread: Vec<u32> = (1..=100).collect();
        assert_eq!(Forecast::from_counts(&spread).mass_within(25.0, 75.0), 0.51);
        // Binned values count whole bins: 100,000 and 100,001 share one.
        let large = Forecast::from_counts(&[100_000, 100_001, 200_000]);
        assert!((large.mass_within(100_000.0, 100_000.0) - 2.0 / 3.0).abs() < 1e-12);
        assert!(Forecast::from_counts(&[]).mass_within(0.0, 1.0).is_nan());
    }

    #[test]
    fn large_counts_tie_within_their_bin() {
        let forecast = Forecast::from_counts(&[100_000, 100_001, 200_000]);
        // 100,000 and 100,001 share a 0.1% bin: an observation there ties with both.
        assert!((forecast.pit(100_000.0) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(forecast.pit(150_000.0), 2.0 / 3.0);
    }

    const SCENARIO: &str = "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 90\n\
        [population]\ninitial = 1000\n[[contributors]]\nname = \"Kenya\"\ndeployed = 10\n";

    fn read(text: &str) -> Result<Vec<Observation>, ObservedError> {
        let scenario = parse_str(SCENARIO, "t.toml").expect("valid scenario");
        read_observations_from(text.as_bytes(), "obs.csv", &scenario)
    }

    fn first_problem(text: &str) -> String {
        let error = read(text).expect_err("should fail");
        error.to_string().lines().next().unwrap_or_default().to_string()
    }

    #[test]
    fn reads_a_good_file_with_comments_and_extra_columns() {
        let text = "# illustrative\ndate,metric,value,source\n2025-01-01,international,10,x\n\
                    2025-03-31, contributor:Kenya ,9.5,\n";
        let observations = read(text).expect("valid");
        assert_eq!(observations.len(), 2);
        assert_eq!(observations[0].line, 3);
        assert_eq!(observations[1].day, 89);
        assert_eq!(observations[1].metric, Metric::Contributor(0));
        assert_eq!(observations[1].value, 9.5);
        // Columns in another order, and an Excel byte-order mark.
        let reordered = read("\u{feff}Value,Date,Metric\n3,2025-02-01,police\n").expect("valid");
        assert_eq!(reordered[0].metric, Metric::Police);
    }

    #[test]
    fn bad_rows_name_file_line_column_and_what_is_allowed() {
        for (text, expect) in [
            ("", "obs.csv:1:1: the file is empty"),
            ("date,metric,value\n", "obs.csv:2:1: there are no observations"),
            (
                "2025-01-01,international,10\n",
                "obs.csv:1:1: the header row is missing",
            ),
            ("date,metrc,value\n", "(`metrc`: did you mean `metric`?)"),
            (
                "date,metric,value\n2024-12-31,international,1\n",
                "obs.csv:2:1: column `date`: 2024-12-31 is before the start",
            ),
            (
                "date,metric,value\n2025-04-02,international,1\n",
                "obs.csv:2:1: column `date`: 2025-04-02 is after the horizon; observations must lie from the \
                 start, 2025-01-01 (simulation.start), to the horizon, 2025-04-01",
            ),
            (
                "date,metric,value\n31/01/2025,international,1\n",
                "not a date; write dates as YYYY-MM-DD",
            ),
            (
                "date,metric,value\n2025-01-05,internatonal,1\n",
                "obs.csv:2:2: column `metric`: unknown metric `internatonal`; did you mean `international`?",
            ),
            (
                "date,metric,value\n2025-01-05,contributor:Kenia,1\n",
                "did you mean `contributor:Kenya`?",
            ),
            (
                "date,metric,value\n2025-01-05,police,\"1,200\"\n",
                "obs.csv:2:3: column `value`: `1,200` is not a number",
            ),
            ("date,metric,value\n2025-01-05,police,-3\n", "is negative"),
            (
                "date,metric,value\n2025-01-05,police\n",
                "obs.csv:2:3: column `value`: is missing",
            ),
        ] {
            let message = first_problem(text);
            assert!(
                message.contains(expect),
                "{text:?}:\n{message}\nshould contain\n{expect}"
            );
        }
    }

    #[test]
    fn every_bad_row_is_reported() {
        let text = "date,metric,value\n2025-01-05,x,1\n2025-01-06,police,y\n2025-01-07,police,1\n";
        let error = read(text).expect_err("two bad rows");
        let lines: Vec<u64> = error.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3]);
    }

    #[test]
    fn a_file_of_nothing_but_bad_rows_stops_early_and_lists_twenty() {
        let text = format!("date,metric,value\n{}", "2025-01-05,x,1\n".repeat(5000));
        let error = read(&text).expect_err("all bad");
        assert_eq!(error.problems.len(), MAX_PROBLEMS + 1);
        let message = error.to_string();
        assert_eq!(message.lines().count(), SHOWN_PROBLEMS + 1);
        assert!(message.ends_with("obs.csv: ... and 981 more problems"), "{message}");
    }

    #[test]
    fn report_days_are_the_observed_days_and_the_horizon() {
        let observations =
            read("date,metric,value\n2025-02-01,police,1\n2025-01-05,police,2\n2025-02-01,host_police,3\n")
                .expect("valid");
        assert_eq!(report_days(&observations, 90), vec![0, 4, 31, 90]);
    }

    #[test]
    fn bands_and_overall_rows() {
        let scenario = parse_str(SCENARIO, "t.toml").expect("valid scenario");
        let mut model = Model::new(&scenario);
        let observations =
            read("date,metric,value\n2025-01-11,contributor:Kenya,10\n2025-01-11,international,3\n").expect("valid");
        model.report_days = report_days(&observations, model.horizon);
        let progress = crate::engine::Progress::default();
        let aggregates = crate::engine::run(&model, 0..50, 1, &progress).expect("runs");
        let scores = score(&model, &aggregates, &observations);
        // No attrition: Kenya is exactly 10 on every day; 3 is far below.
        assert_eq!(scores[0].observation.metric, Metric::International);
        assert!(!scores[0].in_50 && !scores[0].in_90);
        assert_eq!((scores[0].pit, scores[0].crps), (0.0, 7.0));
        assert!(scores[1].in_50 && scores[1].in_90);
        assert_eq!((scores[1].pit, scores[1].crps), (0.5, 0.0));
        let text = String::from_utf8(render(&scenario, &model, &scores)).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        // Every trial ties at 10: both bands hold all of them.
        assert_eq!(
            lines[1],
            "observation,2025-01-11,10,international,1,3,10,10,10,10,10,0,0,0,1,1,7"
        );
        assert_eq!(lines[3], "overall,,,international,1,,,,,,,0,0,0,1,1,7");
        assert_eq!(lines[5], "overall,,,all,2,,,,,,,0.25,0.5,0.5,1,1,");
    }
}
