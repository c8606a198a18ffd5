//! What a target or a time series measures ([`Metric`]): the standard
//! metrics, the layers', the fund's, a contributor's, a capability's, the
//! forces outside the mission; their names and kinds.

use super::Scenario;

/// What a target or a time series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    International,
    InternationalPolice,
    HostPolice,
    Police,
    SecurityForces,
    PolicePer100k,
    SecurityPer1000,
    /// Index into [`Scenario::contributors`].
    Contributor(usize),
    /// USD in the fund at the end of the day.
    FundBalance,
    /// USD per month the fund is charged at that day's strength.
    MonthlyCost,
    /// USD of pay in arrears (cost the fund could not pay).
    FundingGap,
    /// Fund balance over the monthly cost, capped at 120.
    MonthsOfCover,
    /// Index into [`Scenario::capability_names`].
    Capability(usize),
    /// Host police on the payroll (with layers; equal to `HostPolice`).
    HostPayroll,
    /// Host police available for duty (with layers).
    HostAvailable,
    /// `(host_payroll + international_police) * 100000 / population`.
    PolicePer100kPayroll,
    /// `(host_available + international_police) * 100000 / population`.
    PolicePer100kAvailable,
    /// `police_per_100k:AREA`, by index into [`Scenario::areas`].
    AreaPolicePer100k(usize),
    /// `security_per_1000:AREA`, by index into [`Scenario::areas`].
    AreaSecurityPer1000(usize),
    /// Forces outside the mission (`in_mission = false`): not under its
    /// ceiling, not in `international` or the fund, in `security_forces`.
    OutsideForces,
}

impl Metric {
    /// The metrics every run reports, before the per-contributor ones.
    pub const STANDARD: [Metric; 7] = [
        Metric::International,
        Metric::InternationalPolice,
        Metric::HostPolice,
        Metric::Police,
        Metric::SecurityForces,
        Metric::PolicePer100k,
        Metric::SecurityPer1000,
    ];

    /// Names accepted for the standard metrics, in [`Metric::STANDARD`] order.
    pub const STANDARD_NAMES: [&'static str; 7] = [
        "international",
        "international_police",
        "host_police",
        "police",
        "security_forces",
        "police_per_100k",
        "security_per_1000",
    ];

    /// True for metrics that are ratios rather than whole people.
    pub fn is_ratio(self) -> bool {
        matches!(
            self,
            Metric::PolicePer100k
                | Metric::SecurityPer1000
                | Metric::PolicePer100kPayroll
                | Metric::PolicePer100kAvailable
                | Metric::AreaPolicePer100k(_)
                | Metric::AreaSecurityPer1000(_)
        )
    }

    /// The area of an area ratio (`police_per_100k:AREA`,
    /// `security_per_1000:AREA`), as an index into [`Scenario::areas`].
    pub fn area(self) -> Option<usize> {
        match self {
            Metric::AreaPolicePer100k(a) | Metric::AreaSecurityPer1000(a) => Some(a),
            _ => None,
        }
    }

    /// The host police layers' metrics, reported when `[host_police]` has
    /// a layer key (`available_share`, `course_days`, `available`).
    pub const LAYERS: [Metric; 4] = [
        Metric::HostPayroll,
        Metric::HostAvailable,
        Metric::PolicePer100kPayroll,
        Metric::PolicePer100kAvailable,
    ];

    /// Name of [`Metric::OutsideForces`], reported when a contributor has
    /// `in_mission = false`.
    pub const OUTSIDE_NAME: &'static str = "outside_forces";

    /// Names of [`Metric::LAYERS`], in order.
    pub const LAYER_NAMES: [&'static str; 4] = [
        "host_payroll",
        "host_available",
        "police_per_100k_payroll",
        "police_per_100k_available",
    ];

    /// The fund's metrics (model v2), reported when there is a `[funding]`.
    pub const FUNDING: [Metric; 4] = [
        Metric::FundBalance,
        Metric::MonthlyCost,
        Metric::FundingGap,
        Metric::MonthsOfCover,
    ];

    /// Names of [`Metric::FUNDING`], in order.
    pub const FUNDING_NAMES: [&'static str; 4] = ["fund_balance", "monthly_cost", "funding_gap", "months_of_cover"];

    /// True for amounts of money (whole USD).
    pub fn is_money(self) -> bool {
        matches!(self, Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap)
    }

    /// True for the real-valued metrics (ratios, money, months), whose
    /// mean and sd come from fixed-point sums rather than exact bins.
    pub fn has_sums(self) -> bool {
        !self.is_count()
    }

    /// True for metrics that count people or things (whole numbers).
    pub fn is_count(self) -> bool {
        !self.is_ratio() && !self.is_money() && self != Metric::MonthsOfCover
    }

    pub fn name(self, scenario: &Scenario) -> String {
        match self {
            Metric::Contributor(i) => format!("contributor:{}", scenario.contributors[i].name),
            Metric::Capability(i) => format!("capability:{}", scenario.capability_names[i]),
            Metric::OutsideForces => Metric::OUTSIDE_NAME.to_string(),
            Metric::AreaPolicePer100k(a) => format!("police_per_100k:{}", scenario.areas[a].name),
            Metric::AreaSecurityPer1000(a) => format!("security_per_1000:{}", scenario.areas[a].name),
            Metric::FundBalance | Metric::MonthlyCost | Metric::FundingGap | Metric::MonthsOfCover => {
                let at = Metric::FUNDING.iter().position(|m| *m == self).unwrap_or(0);
                Metric::FUNDING_NAMES[at].to_string()
            }
            Metric::HostPayroll
            | Metric::HostAvailable
            | Metric::PolicePer100kPayroll
            | Metric::PolicePer100kAvailable => {
                let at = Metric::LAYERS.iter().position(|m| *m == self).unwrap_or(0);
                Metric::LAYER_NAMES[at].to_string()
            }
            other => {
                let at = Metric::STANDARD.iter().position(|m| *m == other).unwrap_or(0);
                Metric::STANDARD_NAMES[at].to_string()
            }
        }
    }
}
