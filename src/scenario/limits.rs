//! The documented size limits of a scenario. The checks that apply them
//! while it is read are in `sections/totals.rs` (the running totals across
//! sections) and next to each value read; each refusal names the file,
//! line and field, the value reached and the limit.
//!
//! The rules: docs/MODEL.md §6.

use chrono::NaiveDate;

use super::error::{ScenarioError, single};

/// Largest accepted horizon (100 years).
pub const MAX_HORIZON_DAYS: u32 = 36_525;
/// Largest accepted number of trials.
pub const MAX_TRIALS: u64 = 10_000_000_000;
/// Largest accepted head count in one field (deployed, pledged, a constant initial strength).
pub const MAX_COUNT: f64 = 100_000_000.0;
/// Largest accepted number of waves.
pub const MAX_WAVES: u32 = 10_000;
/// The last date a simulation may reach: dates stay four-digit years.
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
/// Largest accepted scenario file (10 MiB): real scenarios are a few kB;
/// anything near this is a mistake, refused before it is parsed.
pub const MAX_SCENARIO_BYTES: u64 = 10 * 1024 * 1024;
/// Most data rows allowed in `timeseries.csv` (report days times metrics)
/// and in `targets.csv` (report days times targets): 1,048,575, so that with
/// its header row every file fits a spreadsheet (Excel's limit is 1,048,576
/// rows). It also bounds the memory and time spent per trial on recording.
pub const MAX_CSV_ROWS: u64 = 1_048_575;
/// Most arrivals one trial may have to plan: every contributor's waves (at
/// most one per pledged person) plus every host police class within the
/// horizon. Keeps a trial's work and memory bounded.
pub const MAX_ARRIVALS: u64 = 1_000_000;
/// Most `[[correlations]]` entries (real scenarios have a handful): keeps
/// reading them and checking that they are possible together quick.
pub const MAX_CORRELATIONS: usize = 1_000;
/// Most distinct inputs taking part in `[[correlations]]`: the check that
/// they are possible together factorises a matrix of this side.
pub const MAX_CORRELATED_INPUTS: usize = 200;
/// The largest head count a scenario may be able to reach, on any day of
/// any trial: the host police, the international contingents, and their
/// sums (police, security forces) are counted in 32 bits, so each must
/// stay below 2^32. A scenario whose bound passes it is refused.
pub const MAX_HEAD_COUNT: u64 = u32::MAX as u64;
/// The largest `simulation.seed` a scenario can hold: 2^53, the last whole
/// number every TOML reader keeps exactly (the `--seed` option takes any u64).
pub const MAX_FILE_SEED: u64 = 1 << 53;

/// The file is larger than [`MAX_SCENARIO_BYTES`]: `size` when known.
pub(crate) fn too_big(file: &str, size: Option<u64>) -> ScenarioError {
    let size = size.map_or_else(|| format!("more than {MAX_SCENARIO_BYTES}"), |s| s.to_string());
    single(
        file,
        format!("the scenario file is too large ({size} bytes); the limit is {MAX_SCENARIO_BYTES} bytes (10 MiB)"),
    )
}

/// The least population a scenario may reach on any day of any trial (the
/// least `population.initial` may be): checked at its smallest draw and
/// its lowest growth over the horizon.
pub const MIN_POPULATION: f64 = 1.0;

/// Most characters in a name (the scenario's, a contributor's, a target's,
/// an event's, a benchmark's, a donor's, a capability's, a mission's):
/// names are written on every row of the files that name them, so a long
/// one would multiply their size (a 1 MB contributor name on daily report
/// days made gigabytes of `timeseries.csv`). The longest shipped name has
/// 58 characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Most `[[benchmarks]]` entries in a scenario: each is a line on a chart
/// and a row of `benchmarks.csv`.
pub const MAX_BENCHMARKS: usize = 1_000;
