//! `[population]`: the population on day 0 and its yearly growth.

use crate::scenario::reader::{Dates, Reader, Tbl};
use crate::scenario::{Population, ValueKind};

impl Reader<'_> {
    pub(crate) fn population(&mut self, t: &Tbl) -> Option<Population> {
        self.check_keys(t, &["initial", "annual_growth"]);
        if t.get("initial").is_none() {
            self.missing(t, "initial", "the population on day 0, e.g. initial = 11870000");
        }
        let initial = self.uncertain(t, "initial", "population.initial", ValueKind::PositiveCount, Dates::No);
        let annual_growth = self.uncertain_or(t, "annual_growth", ValueKind::Growth, 0.0, Dates::No);
        Some(Population {
            initial: initial?,
            annual_growth,
        })
    }
}
