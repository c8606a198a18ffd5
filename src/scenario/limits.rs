//! The documented size limits of a scenario, and the checks that apply
//! them while it is read: each refusal names the file, line and field, the
//! value reached and the limit.

use chrono::NaiveDate;

use super::error::ScenarioError;
use super::parse::single;
use super::reader::{Reader, Tbl, fmt_thousands};

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

impl Reader<'_> {
    /// entry that takes the total past [`MAX_ARRIVALS`] (once).
    pub(crate) fn add_arrivals(&mut self, t: &Tbl, key: &str, more: u64, what: &str) {
        self.arrivals = self.arrivals.saturating_add(more);
        if self.arrivals > MAX_ARRIVALS && !self.arrivals_reported {
            self.arrivals_reported = true;
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "too many arrivals in one trial: with this {what}, contributors' waves (at most one per pledged \
                 person) and host police classes within the horizon add up to {}, more than the limit of {}; \
                 use fewer waves or classes, or a shorter horizon_days",
                self.arrivals,
                fmt_thousands(MAX_ARRIVALS)
            );
            self.problem(span, &t.field(key), message);
        }
    }

    /// Reports the entry number `count` of a list (contributors or targets)
    /// when it takes a CSV file past [`MAX_CSV_ROWS`] rows.
    pub(crate) fn check_rows(&mut self, t: &Tbl, count: u64, per_day: u64, what: &str, file: &str) {
        let Some(days) = self.report_days else { return };
        let rows = days.saturating_mul(per_day);
        let before = days.saturating_mul(per_day - 1);
        if rows > MAX_CSV_ROWS && before <= MAX_CSV_ROWS {
            let span = t.get("name").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "too many {what}s for the report grid: {file} has one row per report day ({days}) for each {}; \
                 this {what}, number {count}, takes it to {} rows, past the limit of {} (the most a spreadsheet \
                 opens); use a coarser simulation.step, a shorter horizon_days, or fewer {what}s",
                if what == "contributor" {
                    "of the 7 standard metrics and each contributor"
                } else {
                    "target"
                },
                fmt_thousands(rows),
                fmt_thousands(MAX_CSV_ROWS)
            );
            self.problem(span, &t.field("name"), message);
        }
    }
}
