//! The running totals across sections, each checked against its limit as
//! entries are read: arrivals per trial ([`MAX_ARRIVALS`]), rows of the CSV
//! files ([`MAX_CSV_ROWS`]), and the most people a head count can reach
//! ([`MAX_HEAD_COUNT`]). Each reports the entry that takes its total past.

use crate::scenario::Input;
use crate::scenario::limits::{MAX_ARRIVALS, MAX_CSV_ROWS, MAX_HEAD_COUNT};
use crate::scenario::reader::{Reader, Tbl, fmt_thousands};

impl Reader<'_> {
    /// entry that takes the total past [`MAX_ARRIVALS`] (once).
    pub(crate) fn add_arrivals(&mut self, t: &Tbl, key: &str, more: u64, what: &str) {
        self.arrivals = self.arrivals.saturating_add(more);
        if self.arrivals > MAX_ARRIVALS && !self.arrivals_reported {
            self.arrivals_reported = true;
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "too many arrivals in one trial: with this {what}, contributors' waves (at most one per pledged \
                 person), their reliefs (at most one per group and tour) and host police classes within the \
                 horizon add up to {}, more than the limit of {}; use fewer waves or classes, longer tours, or a \
                 shorter horizon_days",
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

/// The largest head count the host police can start with.
pub(crate) fn host_initial_most(initial: &Input) -> u64 {
    most_people(initial)
}
