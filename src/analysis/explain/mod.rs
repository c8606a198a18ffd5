//! `forcegen explain`: what a scenario's inputs actually mean once drawn,
//! and what in it a careful analyst would want to double-check.
//!
//! Every input of [`Scenario::inputs`] is drawn [`DRAWS`] times from a fixed
//! seed and brought into its field's range exactly as the model does
//! ([`ValueKind::apply`]), so the printed p5, p50, p95 and mean are those of
//! the values the simulation uses, and the output is the same on every run.
//! "Clamped" is the share of draws that limiting to the range changes,
//! beyond rounding to whole numbers: a `normal` for a fraction that strays
//! below 0 or above 1, a `normal` day below 0.
//!
//! The warnings point at scenario fields (`contributors.Benin.probability`)
//! whose values make a target unreachable or already met, an event or
//! intake that cannot happen within the horizon, a pledge that can never
//! arrive, or a distribution much changed by clamping.
//!
//! The rules: docs/MODEL.md §5.15.

mod render;
mod warnings;

pub use render::{kind_name, render_csv, render_text, written};

use crate::model::{StreamId, stream};
use crate::output::schema;
use crate::scenario::{Dist, Input, Sampler, Scenario, ValueKind};
use warnings::{clamp_warnings, contributor_warnings, event_warnings, intake_warnings, target_warnings, v2_warnings};

/// Draws per input.
pub const DRAWS: usize = 100_000;
/// The seed of the draws (fixed: the output is deterministic).
pub const SEED: u64 = 0;
/// Share of draws changed by clamping above which a warning is given.
pub const CLAMP_WARNING: f64 = 0.01;
/// The header of the `--csv` file.
pub const CSV_HEADER: [&str; 9] = schema::EXPLAIN_COLUMNS;

/// One input's distribution as the model uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSummary {
    pub path: String,
    pub kind: ValueKind,
    pub dist: Dist,
    /// p5, p50 and p95 after rounding and clamping: the smallest drawn value
    /// with at least that share of draws at or below it.
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub mean: f64,
    /// Share of draws that clamping changes (beyond rounding).
    pub clamped: f64,
}

impl InputSummary {
    pub fn is_constant(&self) -> bool {
        matches!(self.dist, Dist::Constant(_))
    }
}

/// Something in a scenario worth a second look, and the field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub field: String,
    pub message: String,
}

/// Everything `explain` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub inputs: Vec<InputSummary>,
    pub warnings: Vec<Warning>,
}

/// [`DRAWS`] values of an input, rounded and clamped as the model does,
/// and how many of them clamping changed. Each input has its own stream
/// (named by its path), so draw `i` of two inputs form an independent pair.
pub fn draws(input: &Input) -> (Vec<f64>, usize) {
    draws_n(input, DRAWS)
}

/// The first `n` of an input's draws (as [`draws`], which takes [`DRAWS`]).
/// A constant's draws are all alike, so one value stands for them (shares
/// of draws, extremes and percentiles are the same), and nothing is drawn:
/// a scenario of thousands of constant inputs is explained at once.
pub fn draws_n(input: &Input, n: usize) -> (Vec<f64>, usize) {
    if let Dist::Constant(value) = input.dist {
        return (
            vec![input.kind.apply(value)],
            usize::from(is_clamped(input.kind, value)),
        );
    }
    let Ok(sampler) = Sampler::new(&input.dist) else {
        // Parsing checked every distribution; nothing to draw otherwise.
        return (Vec::new(), 0);
    };
    let mut rng = stream(SEED, 0, StreamId::of(&input.path));
    let mut clamped = 0;
    let values = (0..n)
        .map(|_| {
            let raw = sampler.sample(&mut rng);
            clamped += usize::from(is_clamped(input.kind, raw));
            input.kind.apply(raw)
        })
        .collect();
    (values, clamped)
}

/// True when [`ValueKind::apply`] moves `raw` by more than rounding. A day
/// capped far past the longest horizon is not counted: every such day means
/// the same ("not within the horizon").
fn is_clamped(kind: ValueKind, raw: f64) -> bool {
    match kind {
        ValueKind::Day => raw.round() < 0.0,
        ValueKind::SignedDay => false,
        ValueKind::Amount => kind.apply(raw) != raw,
        ValueKind::Count | ValueKind::PositiveCount => kind.apply(raw) != raw.round(),
        ValueKind::Fraction | ValueKind::Growth | ValueKind::Factor => kind.apply(raw) != raw,
    }
}

/// The smallest value with at least `percent`% of the sorted values at or
/// below it: the definition of `timeseries.csv` (whose histograms take
/// only non-negative values, so they cannot hold a growth rate).
fn percentile(sorted: &[f64], percent: usize) -> f64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}

/// Summarises one input from its draws.
pub fn summarise(input: &Input) -> InputSummary {
    summarise_n(input, DRAWS)
}

/// Summarises one input from its first [`QUICK_DRAWS`] draws (the report's
/// assumptions table: a few milliseconds for a whole scenario; the
/// percentiles may differ from [`summarise`]'s in the last digits).
pub fn summarise_quick(input: &Input) -> InputSummary {
    summarise_n(input, QUICK_DRAWS)
}

/// Summarises one input from its first `n` draws (a constant from its one
/// value, see [`draws_n`]).
fn summarise_n(input: &Input, n: usize) -> InputSummary {
    let (mut values, clamped) = draws_n(input, n);
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.sort_by(f64::total_cmp);
    InputSummary {
        path: input.path.clone(),
        kind: input.kind,
        dist: input.dist.clone(),
        p5: percentile(&values, 5),
        p50: percentile(&values, 50),
        p95: percentile(&values, 95),
        mean,
        clamped: clamped as f64 / n,
    }
}

/// Summaries of every input and the warnings, for `scenario`.
pub fn explain(scenario: &Scenario) -> Explanation {
    let inputs: Vec<InputSummary> = scenario.inputs().into_iter().map(summarise).collect();
    let mut warnings = clamp_warnings(&inputs);
    warnings.extend(intake_warnings(scenario));
    warnings.extend(contributor_warnings(scenario));
    warnings.extend(event_warnings(scenario));
    warnings.extend(target_warnings(scenario, DRAWS));
    warnings.extend(v2_warnings(scenario));
    Explanation { inputs, warnings }
}

/// Draws per input of the warnings `run` prints ([`quick_warnings`]): a
/// tenth of [`DRAWS`], so that they take a few milliseconds, not as long as
/// the simulation of the shipped scenarios.
pub const QUICK_DRAWS: usize = 10_000;

/// The warnings `validate` (with `n` = [`DRAWS`]) and `run` (with
/// [`QUICK_DRAWS`]) print: those of [`explain`] about inputs much changed by
/// clamping, about targets that cannot be reached or are already met on
/// day 0 (from the first `n` of the same draws: with [`DRAWS`], the same
/// text as `explain`; with fewer, the shares and extremes in the text may
/// differ in the last digits), and about model v2's values that change
/// nothing, without summarising every input: only an input that clamping
/// changes in more than [`CLAMP_WARNING`] of its draws is summarised.
pub fn quick_warnings(scenario: &Scenario, n: usize) -> Vec<Warning> {
    let clamped: Vec<InputSummary> = scenario
        .inputs()
        .into_iter()
        .filter_map(|input| {
            let (values, clamped) = draws_n(input, n);
            let share = clamped as f64 / values.len().max(1) as f64;
            (share > CLAMP_WARNING).then(|| summarise_n(input, n))
        })
        .collect();
    let mut warnings = clamp_warnings(&clamped);
    warnings.extend(target_warnings(scenario, n));
    warnings.extend(v2_warnings(scenario));
    warnings
}

/// Trials drawn to show each correlation's sampled rank correlation.
pub const CORRELATION_DRAWS: u64 = 20_000;

/// The Spearman correlation of each `[[correlations]]` pair over the inputs
/// the model draws (`None` if an input does not vary), as a check that the
/// copula gives what was asked for. A pledge's honour or a contingent's
/// withdrawal (no input of the table) counts by its latent draw: the
/// uniform its yes/no compares, the wait.
pub fn sampled_rank_correlations(scenario: &Scenario) -> Vec<Option<f64>> {
    use crate::analysis::sensitivity::{pearson, ranks};
    let mut fixed = scenario.clone();
    fixed.simulation.seed = 0;
    let model = crate::model::Model::new(&fixed);
    let table = model.input_table();
    let columns = model.input_columns(&table, 0..CORRELATION_DRAWS);
    let column = |path: &str| match table.paths.iter().position(|p| p == path) {
        Some(i) => Some(ranks(&columns[i])),
        None if scenario.latent_draws().iter().any(|d| d.path == path) => {
            model.correlated_column(path, 0..CORRELATION_DRAWS).map(|c| ranks(&c))
        }
        None => None,
    };
    scenario
        .correlations
        .iter()
        .map(|c| match (column(&c.inputs[0]), column(&c.inputs[1])) {
            (Some(a), Some(b)) => pearson(&a, &b),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::render::wrap;
    use super::*;
    use crate::scenario::Dist;
    use crate::scenario::parse_str;

    fn input(text: &str, kind: ValueKind) -> Input {
        Input {
            path: "test.input".to_string(),
            dist: Dist::parse(text).expect("a valid distribution"),
            kind,
        }
    }

    #[test]
    fn clamping_is_counted_beyond_rounding() {
        assert!(!is_clamped(ValueKind::Day, -0.4));
        assert!(is_clamped(ValueKind::Day, -0.6));
        assert!(!is_clamped(ValueKind::Day, 1e12));
        assert!(is_clamped(ValueKind::Fraction, 1.01));
        assert!(!is_clamped(ValueKind::Count, 3.4));
        assert!(is_clamped(ValueKind::PositiveCount, 0.2));
    }

    #[test]
    fn a_normal_fraction_is_clamped_as_often_as_its_tail() {
        let s = summarise(&input("normal(0.9, 0.1)", ValueKind::Fraction));
        // P(Z > 1) = 0.158655; the SE over 100,000 draws is 0.0012.
        assert!((s.clamped - 0.158_655).abs() < 0.005, "{}", s.clamped);
        assert_eq!(s.p95, 1.0);
        assert!(s.mean < 0.9);
    }

    #[test]
    fn percentiles_are_of_the_rounded_values() {
        let s = summarise(&input("uniform(10, 20)", ValueKind::Day));
        assert_eq!(s.p50, 15.0);
        assert!((s.mean - 15.0).abs() < 0.05, "{}", s.mean);
        assert_eq!(s.clamped, 0.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 5), 1.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 95), 4.0);
    }

    #[test]
    fn distributions_are_written_back_as_given() {
        for text in [
            "uniform(10, 20)",
            "pert(4000, 4500, 5500)",
            "15 to 150",
            "normal(0.014, 0.002)",
            "beta(9, 1)",
        ] {
            assert_eq!(written(&Dist::parse(text).expect("valid")), text);
        }
    }

    #[test]
    fn warnings_wrap_at_word_boundaries() {
        assert_eq!(wrap("aa bb cc dd", 8, "- ", "  "), "- aa bb\n  cc dd");
        assert_eq!(wrap("averyveryverylongword x", 8, "", ""), "averyveryverylongword\nx");
    }

    #[test]
    fn a_clean_scenario_has_no_warnings() {
        let text = "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 90\n[population]\n\
                    initial = 1000\n[[contributors]]\nname = \"A\"\npledged = 10\nfirst_arrival_days = 30\n\
                    [[targets]]\nname = \"ten\"\nmetric = \"international\"\nat_least = 10\n";
        let scenario = parse_str(text, "t.toml").expect("valid");
        assert_eq!(explain(&scenario).warnings, Vec::new());
        assert_eq!(quick_warnings(&scenario, QUICK_DRAWS), Vec::new());
    }

    #[test]
    fn quick_warnings_are_explains_clamp_and_target_warnings() {
        let text = "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 90\n[population]\n\
                    initial = 1000\n[[contributors]]\nname = \"A\"\npledged = 10\nfirst_arrival_days = 30\n\
                    fulfilment = \"normal(0.95, 0.1)\"\n[[targets]]\nname = \"eleven\"\n\
                    metric = \"international\"\nat_least = 11\n";
        let scenario = parse_str(text, "t.toml").expect("valid");
        let all = explain(&scenario).warnings;
        let exact = quick_warnings(&scenario, DRAWS);
        assert_eq!(exact.len(), 2, "{exact:?}");
        assert!(exact.iter().all(|w| all.contains(w)), "{exact:?} not in {all:?}");
        let quick = quick_warnings(&scenario, QUICK_DRAWS);
        let fields = |w: &[Warning]| w.iter().map(|w| w.field.clone()).collect::<Vec<_>>();
        assert_eq!(fields(&quick), fields(&exact));
    }

    #[test]
    fn an_unreachable_target_with_reliefs_counts_both_groups_present_at_once() {
        let text = "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 90\n[population]\n\
                    initial = 1000\n[[contributors]]\nname = \"A\"\ndeployed = 50\npledged = 50\n\
                    first_arrival_days = 30\ntour_days = 40\n[[targets]]\nname = \"many\"\n\
                    metric = \"international\"\nat_least = 201\n";
        let scenario = parse_str(text, "t.toml").expect("valid");
        let warnings = target_warnings(&scenario, QUICK_DRAWS);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let message = &warnings[0].message;
        assert!(
            message.starts_with("201 cannot be reached: at most 200 can be present at once for "),
            "{message}"
        );
        assert!(message.contains("twice over where a relief may arrive"), "{message}");
    }
}
