//! The section readers: one file per part of a scenario, each an `impl`
//! of the [`Reader`](super::reader::Reader) that reads and checks it.

mod areas;
mod benchmarks;
mod contributors;
mod correlations;
mod events;
mod funding;
mod host_police;
mod mission;
mod population;
mod shocks;
mod simulation;
mod targets;
mod totals;

pub(crate) use areas::AREA_KEYS;
pub(crate) use benchmarks::BENCHMARK_KEYS;
pub(crate) use contributors::CONTRIBUTOR_KEYS;
pub(crate) use correlations::CORRELATION_KEYS;
pub(crate) use events::EVENT_KEYS;
pub(crate) use funding::{CONTRIBUTION_KEYS, OUTSIDE_KEYS};
pub(crate) use host_police::INTAKE_KEYS;
pub(crate) use targets::TARGET_KEYS;
pub use targets::{MetricNames, parse_metric, parse_metric_v2};
pub(crate) use totals::host_initial_most;
