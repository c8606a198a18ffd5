//! The drivers of a run's report: a quick [`sensitivity`] pass over the
//! first [`TRIALS`] trials of the run (the same trials, same seed), keeping
//! for each outcome the [`TOP`] inputs whose influence is beyond noise.
//! Its cost is bounded by [`TRIALS`] whatever `--trials` is; a run of fewer
//! trials uses only those.
//!
//! The rules: docs/MODEL.md §5.8.

use crate::engine::{EngineError, Progress};
use crate::model::Model;
use crate::output::{cell_text, csv_bytes, number, schema};
use crate::scenario::Scenario;

use super::sensitivity::{self, Row};

/// Most trials of the quick pass: Spearman's noise floor is then
/// 2 / sqrt(1999) = 0.045, and the pass costs a fraction of the run's.
pub const TRIALS: u64 = 2_000;
/// Inputs kept per outcome.
pub const TOP: usize = 5;

/// The trials the quick pass of a run of `trials` uses.
pub fn trials_for(trials: u64) -> u64 {
    trials.min(TRIALS)
}

/// The top inputs of each outcome (at most [`TOP`], only those beyond
/// noise: |Spearman| above [`sensitivity::spearman_noise`] or the
/// first-order index above [`sensitivity::first_order_noise`]), from the
/// first [`trials_for`] trials; and that number of trials.
/// `report_day` is the run's report date (an index into `model`'s report
/// days), whose outcomes come first when it is before the horizon.
pub fn drivers(
    scenario: &Scenario,
    model: &Model,
    report_day: usize,
    threads: usize,
) -> Result<(Vec<Row>, u64), EngineError> {
    let trials = trials_for(scenario.simulation.trials);
    let table = model.input_table();
    let outcomes = sensitivity::outcomes(scenario, model, Some(report_day));
    let samples = sensitivity::sample(model, &table, &outcomes, 0..trials, threads, &Progress::default())?;
    let rows = sensitivity::analyse(&table.paths, &outcomes, &samples);
    Ok((top(rows, trials), trials))
}

/// The rows of [`sensitivity::analyse`] beyond noise, at most [`TOP`] per
/// outcome, ranked again from 1.
pub fn top(rows: Vec<Row>, trials: u64) -> Vec<Row> {
    let (spearman, first) = (
        sensitivity::spearman_noise(trials),
        sensitivity::first_order_noise(trials),
    );
    let mut kept: Vec<Row> = Vec::new();
    for row in rows {
        let beyond = row.spearman.is_some_and(|s| s.abs() > spearman) || row.first_order.is_some_and(|f| f > first);
        let rank = kept.iter().filter(|k| k.outcome == row.outcome).count() + 1;
        if beyond && rank <= TOP {
            kept.push(Row { rank, ..row });
        }
    }
    kept
}

/// `drivers.csv`: the columns of `sensitivity.csv`, then `trials`.
pub fn render(rows: &[Row], trials: u64) -> Vec<u8> {
    let optional = |v: Option<f64>| v.map(|v| number(v, 4)).unwrap_or_default();
    csv_bytes(
        &schema::DRIVERS_COLUMNS,
        rows.iter().map(|row| {
            vec![
                cell_text(&row.outcome),
                row.rank.to_string(),
                cell_text(&row.input),
                optional(row.spearman),
                optional(row.first_order),
                number(row.mean_when_low, 4),
                number(row.mean_when_high, 4),
                trials.to_string(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(outcome: &str, input: &str, spearman: Option<f64>) -> Row {
        Row {
            outcome: outcome.to_string(),
            rank: 0,
            input: input.to_string(),
            spearman,
            first_order: None,
            mean_when_low: 0.0,
            mean_when_high: 1.0,
        }
    }

    #[test]
    fn the_pass_never_takes_more_than_its_trials() {
        assert_eq!(trials_for(1), 1);
        assert_eq!(trials_for(500), 500);
        assert_eq!(trials_for(TRIALS), TRIALS);
        assert_eq!(trials_for(10_000_000_000), TRIALS);
    }

    #[test]
    fn only_inputs_beyond_noise_are_kept_and_at_most_top_per_outcome() {
        // Noise at 2,000 trials: 2 / sqrt(1999) = 0.0447.
        let mut rows: Vec<Row> = (0..7)
            .map(|i| row("a", &format!("x{i}"), Some(0.9 - 0.1 * f64::from(i))))
            .collect();
        rows.push(row("b", "quiet", Some(0.04)));
        rows.push(row("b", "flat", None));
        rows.push(row("b", "loud", Some(-0.5)));
        let kept = top(rows, 2_000);
        let names: Vec<(&str, usize, &str)> = kept
            .iter()
            .map(|r| (r.outcome.as_str(), r.rank, r.input.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a", 1, "x0"),
                ("a", 2, "x1"),
                ("a", 3, "x2"),
                ("a", 4, "x3"),
                ("a", 5, "x4"),
                ("b", 1, "loud")
            ]
        );
        let csv = String::from_utf8(render(&kept[5..], 2_000)).unwrap();
        assert_eq!(
            csv,
            "outcome,rank,input,spearman,first_order,mean_when_input_low,mean_when_input_high,trials\n\
             b,1,loud,-0.5,,0,1,2000\n"
        );
    }
}
