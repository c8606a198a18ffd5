//! `[funding]`: the fund, its donors, and who pays outside it (model v2).

use std::collections::HashSet;

use crate::scenario::reader::{Dates, Reader, Tbl};
use crate::scenario::{Contribution, Freeze, Funding, OutsidePayer, ValueKind};

/// The keys of `[funding]`.
pub(crate) const FUNDING_KEYS: [&str; 6] = [
    "start_balance",
    "cost_per_person_month",
    "cover_months",
    "arrears_withdrawal_factor",
    "contributions",
    "outside",
];

/// The keys of a `[[funding.contributions]]` entry.
pub(crate) const CONTRIBUTION_KEYS: [&str; 7] = [
    "name",
    "amount",
    "probability",
    "day",
    "freeze_probability",
    "freeze_day",
    "freeze_share",
];

/// The keys of a `[[funding.outside]]` entry.
pub(crate) const OUTSIDE_KEYS: [&str; 3] = ["name", "day", "share"];

/// The longest cover a deployment may wait for: 10 years of months.
const MAX_COVER_MONTHS: f64 = 120.0;

impl Reader<'_> {
    pub(crate) fn funding(&mut self, t: &Tbl, dates: Dates) -> Funding {
        self.check_keys(t, &FUNDING_KEYS);
        if t.get("cost_per_person_month").is_none() {
            self.missing(t, "cost_per_person_month", "the USD a person-month costs, e.g. 2166");
        }
        let start_balance = self.uncertain_or(t, "start_balance", ValueKind::Amount, 0.0, Dates::No);
        let cost_per_person_month = self.uncertain_or(t, "cost_per_person_month", ValueKind::Amount, 0.0, Dates::No);
        let what = format!("must be a number of months from 0 to {MAX_COVER_MONTHS}");
        let cover_months = self
            .bounded(t, "cover_months", 0.0, MAX_COVER_MONTHS, false, &what)
            .unwrap_or(0.0);
        let what = "must be a factor from 1 to 1000 (1: arrears change nothing)";
        let arrears_withdrawal_factor = self
            .bounded(t, "arrears_withdrawal_factor", 1.0, 1000.0, false, what)
            .unwrap_or(1.0);
        let contributions = self.contributions(t, dates);
        let outside = self.outside_payers(t, dates);
        Funding {
            start_balance,
            cost_per_person_month,
            cover_months,
            arrears_withdrawal_factor,
            contributions,
            outside,
        }
    }

    fn contributions(&mut self, funding: &Tbl, dates: Dates) -> Vec<Contribution> {
        let mut seen = HashSet::new();
        let mut contributions = Vec::new();
        for mut t in self.table_array(funding, "contributions") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "contribution", &CONTRIBUTION_KEYS) else {
                continue;
            };
            if t.get("amount").is_none() {
                self.missing(&t, "amount", "the USD paid in, e.g. amount = 40e6");
            }
            if t.get("day").is_none() {
                self.missing(
                    &t,
                    "day",
                    "the day it is paid in: a day number, a date or a distribution",
                );
            }
            let amount = self.uncertain(&t, "amount", &t.field("amount"), ValueKind::Amount, Dates::No);
            let probability = self.probability(&t, "probability");
            let day = self.uncertain(&t, "day", &t.field("day"), ValueKind::Day, dates);
            let freeze = self.freeze(&t, dates);
            if let (Some(amount), Some(day)) = (amount, day) {
                contributions.push(Contribution {
                    name,
                    amount,
                    probability,
                    day,
                    freeze,
                });
            }
        }
        contributions
    }

    /// The optional freeze of a contribution: all three keys or none.
    fn freeze(&mut self, t: &Tbl, dates: Dates) -> Option<Freeze> {
        let keys = ["freeze_probability", "freeze_day", "freeze_share"];
        let given = keys.iter().filter(|k| t.get(k).is_some()).count();
        if given == 0 {
            return None;
        }
        if t.get("freeze_day").is_none() {
            self.missing(
                t,
                "freeze_day",
                "the day the contribution is frozen (with freeze_probability)",
            );
            return None;
        }
        let probability = self.probability(t, "freeze_probability");
        let day = self.uncertain(t, "freeze_day", &t.field("freeze_day"), ValueKind::Day, dates)?;
        let share = self.uncertain_or(t, "freeze_share", ValueKind::Fraction, 1.0, Dates::No);
        Some(Freeze {
            probability,
            day,
            share,
        })
    }

    fn outside_payers(&mut self, funding: &Tbl, dates: Dates) -> Vec<OutsidePayer> {
        let mut seen = HashSet::new();
        let mut payers = Vec::new();
        for mut t in self.table_array(funding, "outside") {
            let Some(name) = self.named_entry(&mut t, &mut seen, "outside payer", &OUTSIDE_KEYS) else {
                continue;
            };
            if t.get("share").is_none() {
                self.missing(
                    &t,
                    "share",
                    "the share of each person-month's cost paid outside the fund, 0 to 1",
                );
            }
            let day = self.uncertain_or(&t, "day", ValueKind::Day, 0.0, dates);
            let share = self.uncertain(&t, "share", &t.field("share"), ValueKind::Fraction, Dates::No);
            if let Some(share) = share {
                payers.push(OutsidePayer { name, day, share });
            }
        }
        payers
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse::tests::{MINIMAL, problems};
    use crate::scenario::{Dist, parse_str};

    #[test]
    fn a_fund_with_donors_and_an_outside_payer_is_read() {
        let text = format!(
            "{MINIMAL}[funding]\nstart_balance = 85e6\ncost_per_person_month = 2166\ncover_months = 3\n\
             arrears_withdrawal_factor = 3\n\
             [[funding.contributions]]\nname = \"Canada\"\namount = 40e6\nprobability = 0.9\nday = \"30 to 180\"\n\
             freeze_probability = 0.1\nfreeze_day = 60\n\
             [[funding.outside]]\nname = \"UNSOH\"\nday = 2024-01-11\nshare = 0.35\n"
        );
        let s = parse_str(&text, "t.toml").expect("valid");
        let f = s.funding.expect("a fund");
        assert_eq!(f.start_balance.dist, Dist::Constant(85e6));
        assert_eq!(f.cover_months, 3.0);
        assert_eq!(f.contributions[0].name, "Canada");
        assert_eq!(f.contributions[0].amount.path, "funding.contributions.Canada.amount");
        let freeze = f.contributions[0].freeze.as_ref().expect("a freeze");
        assert_eq!(freeze.share.dist, Dist::Constant(1.0));
        assert_eq!(f.outside[0].day.dist, Dist::Constant(10.0));
    }

    #[test]
    fn fund_errors_name_the_field() {
        let p = problems("[funding]\ncost_per_person_month = -5\ncover_months = 500\n");
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["funding.cost_per_person_month", "funding.cover_months"]);
        let p = problems("[funding]\ncost_per_person_month = 1\n[[funding.contributions]]\nname = \"x\"\n");
        assert!(p.iter().any(|p| p.field == "funding.contributions.x.amount"));
        assert!(p.iter().any(|p| p.field == "funding.contributions.x.day"));
    }
}
