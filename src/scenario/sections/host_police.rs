//! `[host_police]`, its `[[host_police.intakes]]`, and its layers
//! (`available_share`, `course_days`, `[[host_police.available]]`).

use chrono::NaiveDate;
use toml::de::DeValue;

use super::host_initial_most;
use crate::scenario::limits::MAX_HORIZON_DAYS;
use crate::scenario::reader::{Dates, Reader, Tbl};
use crate::scenario::{Available, AvailableEntry, HostLayers, HostPolice, Intake, IntakeSchedule, ValueKind};

/// The keys of `[host_police]`.
const HOST_KEYS: [&str; 6] = [
    "initial",
    "attrition_per_year",
    "intakes",
    "available_share",
    "course_days",
    "available",
];

/// The keys of a `[[host_police.intakes]]` entry.
pub(crate) const INTAKE_KEYS: [&str; 5] = ["day", "first_day", "every_days", "size", "probability"];

impl Reader<'_> {
    pub(crate) fn host_police(&mut self, t: &Tbl, dates: Dates) -> HostPolice {
        self.check_keys(t, &HOST_KEYS);
        let initial = self.uncertain_or(t, "initial", ValueKind::Count, 0.0, Dates::No);
        self.host_most = host_initial_most(&initial);
        let attrition_per_year = self.uncertain_or(t, "attrition_per_year", ValueKind::Fraction, 0.0, Dates::No);
        let course_days = t
            .get("course_days")
            .and_then(|_| self.uncertain(t, "course_days", &t.field("course_days"), ValueKind::Day, Dates::No));
        let signed = t.get("course_days").is_some();
        let intakes = self
            .table_array(t, "intakes")
            .iter()
            .filter_map(|it| self.intake(it, dates, signed))
            .collect();
        let layers = self.host_layers(t, dates, course_days);
        HostPolice {
            initial,
            attrition_per_year,
            intakes,
            layers,
        }
    }

    /// The layers, when any of their keys is given.
    fn host_layers(
        &mut self,
        t: &Tbl,
        dates: Dates,
        course_days: Option<crate::scenario::Input>,
    ) -> Option<HostLayers> {
        let share = t.get("available_share").and_then(|_| {
            let path = t.field("available_share");
            self.uncertain(t, "available_share", &path, ValueKind::Fraction, Dates::No)
        });
        let available = match (t.get("available_share"), t.get("available")) {
            (None, None) => Available::Payroll,
            (Some(_), None) => Available::Share(share?),
            (None, Some(_)) => Available::Series(self.available_series(t, dates)?),
            (Some(_), Some(value)) => {
                let message = "give available_share or [[host_police.available]] entries, not both".to_string();
                self.problem(value.span(), &t.field("available"), message);
                return None;
            }
        };
        let any = t.get("course_days").is_some() || !matches!(available, Available::Payroll);
        any.then_some(HostLayers { course_days, available })
    }

    /// `[[host_police.available]]`: at least one entry, days ascending and distinct.
    fn available_series(&mut self, t: &Tbl, dates: Dates) -> Option<Vec<AvailableEntry>> {
        let tables = self.table_array(t, "available");
        if tables.is_empty() {
            let span = t.get("available").map(|v| v.span()).unwrap_or(t.span.clone());
            let message = "needs at least one entry with day and count".to_string();
            self.problem(span, &t.field("available"), message);
            return None;
        }
        let mut entries: Vec<AvailableEntry> = Vec::new();
        let mut complete = true;
        for entry in &tables {
            self.check_keys(entry, &["day", "count"]);
            if entry.get("day").is_none() {
                self.missing(
                    entry,
                    "day",
                    "the day from which this count holds (a date or a day number)",
                );
            }
            if entry.get("count").is_none() {
                self.missing(
                    entry,
                    "count",
                    "the officers available for duty (a number or a distribution)",
                );
            }
            let day = self.available_day(entry, dates);
            let count = self.uncertain(entry, "count", &entry.field("count"), ValueKind::Count, Dates::No);
            let (Some(day), Some(count)) = (day, count) else {
                complete = false;
                continue;
            };
            if let Some(before) = entries.last()
                && day <= before.day
            {
                let span = entry.get("day").map(|v| v.span()).unwrap_or(entry.span.clone());
                let message = format!(
                    "must be after the day of the entry before (day {}); got day {day} (entries go in increasing \
                     order of day, each day once; a date counts from simulation.start)",
                    before.day
                );
                self.problem(span, &entry.field("day"), message);
                complete = false;
            }
            entries.push(AvailableEntry { day, count });
        }
        complete.then_some(entries)
    }

    /// An available entry's `day`: a day number from 0, or a date (TOML
    /// or quoted, `"2026-04-30"`), which may be before the start.
    fn available_day(&mut self, t: &Tbl, dates: Dates) -> Option<i64> {
        let value = t.get("day")?;
        let date = match crate::scenario::reader::is_date(value) {
            true => self.date_field(t, "day")?,
            false => return self.plain_day(t, "day", dates).map(i64::from),
        };
        Some(signed_day(dates, date))
    }

    pub(crate) fn intake(&mut self, t: &Tbl, dates: Dates, signed: bool) -> Option<Intake> {
        self.check_keys(t, &INTAKE_KEYS);
        let schedule = match (t.get("day"), t.get("first_day"), t.get("every_days")) {
            (Some(_), None, None) => IntakeSchedule::Once {
                day: self.plain_day(t, "day", dates)?,
            },
            (None, Some(_), Some(_)) => {
                let first_day = self.plain_day(t, "first_day", dates)?;
                let what = format!("must be a whole number of days from 1 to {MAX_HORIZON_DAYS}");
                let every = self.bounded(t, "every_days", 1.0, f64::from(MAX_HORIZON_DAYS), true, &what)?;
                IntakeSchedule::Recurring {
                    first_day,
                    every_days: every as u32,
                }
            }
            _ => {
                let message = "give either `day` (one class) or both `first_day` and `every_days` (a recurring class)";
                self.problem(t.span.clone(), &t.path, message.to_string());
                return None;
            }
        };
        let first_key = if t.get("day").is_some() { "day" } else { "first_day" };
        let signed_first = signed_of(t, first_key, dates).unwrap_or(match schedule {
            IntakeSchedule::Once { day } => i64::from(day),
            IntakeSchedule::Recurring { first_day, .. } => i64::from(first_day),
        });
        // With a course, classes entering before the start may join within
        // the horizon: they are counted from their signed day.
        let first = if signed { signed_first } else { signed_first.max(0) };
        let classes = self.horizon.map(|horizon| match schedule {
            IntakeSchedule::Once { .. } => u64::from(first <= i64::from(horizon)),
            IntakeSchedule::Recurring { every_days, .. } if first <= i64::from(horizon) => {
                ((i64::from(horizon) - first) / i64::from(every_days.max(1))) as u64 + 1
            }
            IntakeSchedule::Recurring { .. } => 0,
        });
        if let Some(classes) = classes {
            let key = if t.get("every_days").is_some() {
                "every_days"
            } else {
                "day"
            };
            self.add_arrivals(t, key, classes, "intake");
        }
        if t.get("size").is_none() {
            self.missing(
                t,
                "size",
                "the number of graduates per class (a number or a distribution)",
            );
        }
        let size = self.uncertain(t, "size", &t.field("size"), ValueKind::Count, Dates::No)?;
        let probability = self.probability(t, "probability");
        // A class that never graduates adds nobody.
        if let Some(classes) = classes
            && probability > 0.0
        {
            self.add_host_classes(t, classes, &size);
        }
        Some(Intake {
            schedule,
            signed_first,
            size,
            probability,
        })
    }
}

/// Days from the start to `date`, negative before it (0 without a valid
/// start, already reported).
fn signed_day(dates: Dates, date: NaiveDate) -> i64 {
    match dates {
        Dates::From(start) => (date - start).num_days(),
        Dates::Unknown | Dates::No => 0,
    }
}

/// The signed day of a date in `key` (read and checked by `plain_day`,
/// which holds a date before the start as day 0); `None` for a number.
fn signed_of(t: &Tbl, key: &str, dates: Dates) -> Option<i64> {
    let date = match t.get(key)?.get_ref() {
        DeValue::Datetime(dt) => {
            let d = dt.date.filter(|_| dt.time.is_none())?;
            NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))?
        }
        DeValue::String(text) => crate::scenario::dates::parse(text).ok()?,
        _ => return None,
    };
    Some(signed_day(dates, date))
}
