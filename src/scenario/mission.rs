//! Model v2's scenario parts: the mission (ceiling, what happens to
//! arrivals over it), the fund that pays for the contingents, rotations and
//! enablers. All optional: a scenario without them is read, and runs, as
//! before.
//!
//! The rules: docs/MODEL.md §2.10 to §2.13.

use super::Input;

/// `[mission]`: the authorised ceiling in force from day 0.
#[derive(Debug, Clone)]
pub struct Mission {
    pub name: String,
    /// Authorised international uniformed personnel; `None` = no ceiling.
    pub ceiling: Option<u64>,
    pub over_ceiling: OverCeiling,
}

/// What happens to personnel due to arrive while the mission is at its ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverCeiling {
    /// They wait (in the order they were due) until there is room.
    Wait,
    /// Those who do not fit on their day never come.
    TurnAway,
}

impl OverCeiling {
    pub fn as_str(self) -> &'static str {
        match self {
            OverCeiling::Wait => "wait",
            OverCeiling::TurnAway => "turn_away",
        }
    }
}

/// `[funding]`: the fund that pays the contingents' personnel costs.
#[derive(Debug, Clone)]
pub struct Funding {
    /// USD in the fund on day 0.
    pub start_balance: Input,
    /// USD per person-month, for every contributor without its own.
    pub cost_per_person_month: Input,
    /// A wave or relief deploys only when the fund covers its first this
    /// many months.
    pub cover_months: f64,
    /// Withdrawal hazard multiplier while pay is in arrears.
    pub arrears_withdrawal_factor: f64,
    pub contributions: Vec<Contribution>,
    pub outside: Vec<OutsidePayer>,
}

/// `[[funding.contributions]]`: a donor's payment into the fund.
#[derive(Debug, Clone)]
pub struct Contribution {
    pub name: String,
    /// USD.
    pub amount: Input,
    pub probability: f64,
    /// Day it is paid in.
    pub day: Input,
    pub freeze: Option<Freeze>,
}

/// A contribution frozen on a day: the share is taken back if it was paid
/// in, and never paid if not.
#[derive(Debug, Clone)]
pub struct Freeze {
    pub probability: f64,
    pub day: Input,
    pub share: Input,
}

/// `[[funding.outside]]`: from a day, someone outside the fund (e.g. the UN
/// support office) pays a share of every person-month's cost.
#[derive(Debug, Clone)]
pub struct OutsidePayer {
    pub name: String,
    pub day: Input,
    pub share: Input,
}

/// A contributor's rotations: each group serves a tour, then leaves; a
/// share of it is replaced.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// Length of a tour (days), drawn once per trial.
    pub tour_days: Input,
    /// Share of a rotating group that is replaced.
    pub relief: Input,
    /// Days from a group's departure to its relief's arrival (negative:
    /// the relief comes first, an overlap).
    pub relief_gap_days: Input,
    /// Day the group deployed on day 0 ends its tour (default: tour_days).
    pub first_rotation_days: Option<Input>,
}

/// What a contributor's cost is to the fund.
#[derive(Debug, Clone)]
pub enum ContributorCost {
    /// The fund's default cost per person-month.
    Default,
    /// Its own cost per person-month (USD).
    Own(Input),
    /// Paid outside the fund: never charged to it.
    Outside,
}
