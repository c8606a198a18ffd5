//! forcegen: Monte Carlo force generation for multinational security
//! deployments.
//!
//! The pipeline, one module each, each using only the ones after it:
//! [`cmd`] (the command line: flags, terminal, exit codes) ->
//! [`analysis`] (sweep, sensitivity, compare, backtest, explain) ->
//! [`report`] (report.html and charts, from the CSV files) ->
//! [`partial`] (a shard's aggregates, saved for `forcegen merge`) ->
//! [`output`] (the files, their schema, and the output-folder guard) ->
//! [`engine`] (many trials in parallel, reduced to mergeable aggregates) ->
//! [`model`] (one trial: draws and head counts) ->
//! [`scenario`] (TOML to a validated scenario);
//! [`readback`] reads files back within size limits, for any of them, and
//! [`budget`] is the process-wide memory budget every layer checks against.
//! The rules are in docs/MODEL.md.

pub mod analysis;
pub mod budget;
pub mod cmd;
pub mod engine;
pub mod model;
pub mod output;
pub mod partial;
pub mod readback;
pub mod report;
pub mod scenario;
