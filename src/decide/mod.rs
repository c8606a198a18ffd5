//! Decision analysis on top of the engine: what drives the outcome, what-ifs
//! and paired comparisons.
//!
//! - [`sensitivity`]: `forcegen sensitivity`, which inputs drive the outcome.
//! - [`sweep`]: `forcegen sweep`, a grid of `--set` values.
//! - [`compare`]: `forcegen compare`, scenarios on common random numbers.

pub mod compare;
pub mod sensitivity;
pub mod sweep;
