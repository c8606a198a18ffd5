//! Decision analysis on top of the engine: what drives the outcome, what-ifs
//! and paired comparisons.

pub mod compare;
pub mod sensitivity;
