//! forcegen: Monte Carlo force generation for multinational security
//! deployments.
//!
//! The pipeline, one module each:
//! [`scenario`] (TOML to a validated scenario) ->
//! [`model`] (one trial: draws and head counts) ->
//! [`engine`] (many trials in parallel, reduced to mergeable aggregates) ->
//! [`output`] (CSV files, written atomically).
//! [`app`] strings them together for the CLI ([`cli`]); [`partial`] carries
//! aggregates between the shards of a run and `forcegen merge`; [`decide`]
//! holds the decision-analysis commands (`sweep`, `sensitivity`, `compare`,
//! `backtest`); [`explain`] echoes every uncertain input and warns
//! (`forcegen explain`); [`readback`] reads partial results and a run's
//! CSV files back within size limits.

pub mod app;
pub mod cli;
pub mod decide;
pub mod engine;
pub mod explain;
pub mod interrupt;
pub mod model;
pub mod output;
pub mod partial;
pub mod readback;
pub mod report;
pub mod scenario;
