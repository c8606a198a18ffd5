//! The documented size limits of a scenario, and the checks that apply
//! them while it is read: each refusal names the file, line and field, the
//! value reached and the limit.

use chrono::NaiveDate;

use super::Input;
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

    /// Adds an intake of up to `classes` classes within the horizon, each
    /// of up to `size`'s largest draw, to the host police's bound, and
    /// reports the intake that takes head counts past [`MAX_HEAD_COUNT`].
    pub(crate) fn add_host_classes(&mut self, t: &Tbl, classes: u64, size: &Input) {
        let most = most_people(size);
        self.host_most = self.host_most.saturating_add(classes.saturating_mul(most));
        if self.host_most > MAX_HEAD_COUNT && !self.head_counts_reported {
            self.head_counts_reported = true;
            let span = t.get("size").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "head counts could pass the limit: with this intake ({} classes within the horizon of up to {} \
                 each), the host police could number {} (host_police.initial at its largest plus every class at \
                 its largest, before attrition); {HEAD_COUNT_RULE}; use fewer or smaller classes, or a shorter \
                 horizon_days",
                fmt_thousands(classes),
                fmt_thousands(most),
                fmt_thousands(self.host_most)
            );
            self.problem(span, &t.field("size"), message);
        }
    }

    /// Adds a contributor's `deployed` plus `pledged` to the international
    /// bound, and reports the contributor that takes head counts (with the
    /// host police) past [`MAX_HEAD_COUNT`].
    pub(crate) fn add_contingent(&mut self, t: &Tbl, deployed: u64, pledged: u64) {
        self.international_most = self.international_most.saturating_add(deployed + pledged);
        let total = self.host_most.saturating_add(self.international_most);
        if total > MAX_HEAD_COUNT && !self.head_counts_reported {
            self.head_counts_reported = true;
            let key = if t.get("pledged").is_some() || t.get("deployed").is_none() {
                "pledged"
            } else {
                "deployed"
            };
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            let host = if self.host_most > 0 {
                format!(
                    ", and with the host police (up to {}) the security forces {}",
                    fmt_thousands(self.host_most),
                    fmt_thousands(total)
                )
            } else {
                String::new()
            };
            let message = format!(
                "head counts could pass the limit: with this contributor, the international contingents could \
                 number {} (every contributor's deployed plus pledged){host}; {HEAD_COUNT_RULE}; use smaller \
                 contingents",
                fmt_thousands(self.international_most)
            );
            self.problem(span, &t.field(key), message);
        }
    }
}

/// What [`MAX_HEAD_COUNT`] allows, for messages.
const HEAD_COUNT_RULE: &str = "every head count, and the sums of host police and international contingents, must \
                               stay below 4,294,967,296 (2^32)";

/// The largest head count `input` can draw (see [`super::ValueKind::apply`]).
fn most_people(input: &Input) -> u64 {
    input.kind.apply(input.dist.upper()) as u64
}

/// Starts the host police's bound at its `initial` strength's largest draw.
pub(crate) fn host_initial_most(initial: &Input) -> u64 {
    most_people(initial)
}
