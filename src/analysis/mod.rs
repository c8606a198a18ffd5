//! Decision analysis on top of the engine: what drives the outcome, what-ifs,
//! paired comparisons, backtests, and what a scenario's inputs mean. Pure
//! computations: each returns values and its own error type; the command
//! layer (`cmd/`) prints, draws progress and writes.
//!
//! - [`sensitivity`]: `forcegen sensitivity`, which inputs drive the outcome;
//!   [`sobol`] its variance-based indices (`--sobol`).
//! - [`sweep`]: `forcegen sweep`, a grid of `--set` values.
//! - [`solve`]: `forcegen solve`, the value of an input that reaches a goal.
//! - [`compare`]: `forcegen compare`, scenarios on common random numbers;
//!   [`compare_series`] its fans and paired differences by date.
//! - [`backtest`]: `forcegen backtest`, forecasts scored against observations.
//! - [`condition`]: `run --observed`, a forecast conditioned on observations.
//! - [`explain`]: `forcegen explain`, every input as drawn, and warnings.
//! - [`calibrate`]: `forcegen calibrate`, priors fitted from pledge records.
//! - [`precision`]: `--until-se`, trials added in batches until precise enough.

pub mod assumptions;
pub mod backtest;
pub mod calibrate;
pub mod compare;
pub mod compare_series;
pub mod condition;
pub mod drivers;
pub mod explain;
pub mod precision;
pub mod sensitivity;
pub mod sobol;
pub mod solve;
pub mod sweep;

use crate::scenario::{MAX_TRIALS, Scenario};

/// A `--trials` outside 1 to [`MAX_TRIALS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("--trials must be from 1 to {MAX_TRIALS}, got {0}")]
pub struct TrialsOutOfRange(pub u64);

/// Applies `--trials` and `--seed` to a scenario (they win over the file
/// and `--set`); trials must be from 1 to [`MAX_TRIALS`].
pub fn set_trials_and_seed(
    scenario: &mut Scenario,
    trials: Option<u64>,
    seed: Option<u64>,
) -> Result<(), TrialsOutOfRange> {
    if let Some(trials) = trials {
        if trials == 0 || trials > MAX_TRIALS {
            return Err(TrialsOutOfRange(trials));
        }
        scenario.simulation.trials = trials;
    }
    if let Some(seed) = seed {
        scenario.simulation.seed = seed;
    }
    Ok(())
}
