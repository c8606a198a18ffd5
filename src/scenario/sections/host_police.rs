//! `[host_police]` and its `[[host_police.intakes]]`.

use super::host_initial_most;
use crate::scenario::limits::MAX_HORIZON_DAYS;
use crate::scenario::reader::{Dates, Reader, Tbl};
use crate::scenario::{HostPolice, Intake, IntakeSchedule, ValueKind};

/// The keys of a `[[host_police.intakes]]` entry.
pub(crate) const INTAKE_KEYS: [&str; 5] = ["day", "first_day", "every_days", "size", "probability"];

impl Reader<'_> {
    pub(crate) fn host_police(&mut self, t: &Tbl, dates: Dates) -> HostPolice {
        self.check_keys(t, &["initial", "attrition_per_year", "intakes"]);
        let initial = self.uncertain_or(t, "initial", ValueKind::Count, 0.0, Dates::No);
        self.host_most = host_initial_most(&initial);
        let attrition_per_year = self.uncertain_or(t, "attrition_per_year", ValueKind::Fraction, 0.0, Dates::No);
        let intakes = self
            .table_array(t, "intakes")
            .iter()
            .filter_map(|it| self.intake(it, dates))
            .collect();
        HostPolice {
            initial,
            attrition_per_year,
            intakes,
        }
    }

    pub(crate) fn intake(&mut self, t: &Tbl, dates: Dates) -> Option<Intake> {
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
        let classes = self.horizon.map(|horizon| match schedule {
            IntakeSchedule::Once { day } => u64::from(day <= horizon),
            IntakeSchedule::Recurring { first_day, every_days } if first_day <= horizon => {
                u64::from((horizon - first_day) / every_days.max(1)) + 1
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
            size,
            probability,
        })
    }
}
