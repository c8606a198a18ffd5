//! Commands that run a scenario several times to compare choices.
//!
//! - [`sweep`]: `forcegen sweep`, a grid of `--set` values.

pub mod sweep;
