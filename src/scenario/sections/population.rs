//! `[population]`: the population on day 0 and its yearly growth.

use crate::scenario::limits::MIN_POPULATION;
use crate::scenario::reader::{Dates, Reader, Tbl};
use crate::scenario::shown::number;
use crate::scenario::{Input, Population, ValueKind};

impl Reader<'_> {
    pub(crate) fn population(&mut self, t: &Tbl) -> Option<Population> {
        self.check_keys(t, &["initial", "annual_growth"]);
        if t.get("initial").is_none() {
            self.missing(t, "initial", "the population on day 0, e.g. initial = 11870000");
        }
        let initial = self.uncertain(t, "initial", "population.initial", ValueKind::PositiveCount, Dates::No);
        let annual_growth = self.uncertain_or(t, "annual_growth", ValueKind::Growth, 0.0, Dates::No);
        if let Some(initial) = &initial {
            self.check_floor(t, initial, &annual_growth);
        }
        Some(Population {
            initial: initial?,
            annual_growth,
        })
    }

    /// The population must stay at or above [`MIN_POPULATION`] on every day
    /// of every trial: at its smallest draw (the quantile at 10^-15, as for
    /// other bounds) shrunk by its lowest drawn growth (at least -0.99 a
    /// year) over the horizon. Below it, the ratios divide by a fraction of
    /// a person (1e213 police per 100,000).
    fn check_floor(&mut self, t: &Tbl, initial: &Input, growth: &Input) {
        let Some(horizon) = self.horizon else { return };
        let least_initial = initial.kind.apply(initial.dist.quantile(0.0));
        let least_growth = growth.kind.apply(growth.dist.quantile(0.0));
        if least_growth >= 0.0 {
            return;
        }
        let least = least_initial * ((1.0 + least_growth).ln() * f64::from(horizon) / 365.25).exp();
        if least >= MIN_POPULATION {
            return;
        }
        let span = t.get("annual_growth").map(|v| v.span()).unwrap_or(t.span.clone());
        let message = format!(
            "the population could fall to {} by the horizon (day {horizon}): population.initial at its smallest, \
             {}, with annual_growth at its lowest, {} a year; it must stay at least {} (the police and security \
             ratios divide by it); give a growth that cannot fall so far, or a shorter horizon_days",
            number(least),
            number(least_initial),
            number(least_growth),
            number(MIN_POPULATION)
        );
        self.problem(span, &t.field("annual_growth"), message);
    }
}
