//! Decision analysis on top of the engine: what drives the outcome, what-ifs,
//! paired comparisons and backtests.
//!
//! - [`sensitivity`]: `forcegen sensitivity`, which inputs drive the outcome.
//! - [`sweep`]: `forcegen sweep`, a grid of `--set` values.
//! - [`compare`]: `forcegen compare`, scenarios on common random numbers.
//! - [`backtest`]: `forcegen backtest`, forecasts scored against observations.

pub mod backtest;
pub mod compare;
pub mod sensitivity;
pub mod sweep;
