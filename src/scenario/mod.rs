//! The scenario: what a user writes in TOML, checked and turned into typed
//! values the model can sample without further checks.
//!
//! [`parse_file`] reads a file; [`parse_str`] parses text (tests feed inline
//! strings). Both collect every problem they can find, each with the file,
//! line, column and field, before giving up.

mod area;
pub mod correlation;
pub mod dates;
mod dist;
mod error;
mod inputs;
mod limits;
mod metric;
mod mission;
pub mod overrides;
mod parse;
pub mod priors;
mod reader;
mod sections;
pub mod shown;

use chrono::NaiveDate;

pub use area::{Area, MAX_AREAS, MIN_AREA_POPULATION_SHARE};
pub use dist::{
    Dist, FORMS_HELP, MAX_PARAMETER, Sampler, Z95, lognormal_survival, normal_cdf, normal_survival, range_params,
};
pub use error::{MAX_SHOWN_PROBLEMS, Problem, STDIN_NAME, ScenarioError};
pub use inputs::{Latent, LatentDraw};
pub use limits::{
    LAST_DATE, MAX_ARRIVALS, MAX_BENCHMARKS, MAX_CORRELATED_INPUTS, MAX_CORRELATIONS, MAX_COUNT, MAX_CSV_ROWS,
    MAX_FILE_SEED, MAX_HEAD_COUNT, MAX_HORIZON_DAYS, MAX_NAME_CHARS, MAX_SCENARIO_BYTES, MAX_TRIALS, MAX_WAVES,
    MIN_POPULATION,
};
pub use metric::Metric;
pub use mission::{Contribution, ContributorCost, Freeze, Funding, Mission, OutsidePayer, OverCeiling, Rotation};
pub use parse::{parse_file, parse_str, read_file, read_stdin};
pub use sections::{MetricNames, parse_metric, parse_metric_v2};

/// The built-in Haiti baseline, the same text as `scenarios/haiti-mss-2024-09.toml`.
pub const BASELINE_TEXT: &str = include_str!("../../scenarios/haiti-mss-2024-09.toml");
/// The name the built-in baseline runs under (its output folder).
pub const BASELINE_NAME: &str = "haiti-mss-2024-09.toml";

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// The file it came from, as given on the command line.
    pub file: String,
    /// The exact text it was parsed from (hashed into `run_info.csv`): with
    /// `--set` overrides, the edited text.
    pub source: String,
    /// The `--set PATH=VALUE` overrides applied to the file's text, as given
    /// (recorded in `run_info.csv`); empty without any.
    pub overrides: Vec<String>,
    pub simulation: Simulation,
    pub population: Population,
    pub host_police: Option<HostPolice>,
    pub contributors: Vec<Contributor>,
    pub events: Vec<Event>,
    pub targets: Vec<Target>,
    /// Reference levels drawn on the charts (`[[benchmarks]]`); they change
    /// no result.
    pub benchmarks: Vec<Benchmark>,
    /// Rank correlations between inputs drawn once per trial.
    pub correlations: Vec<correlation::Correlation>,
    /// `[mission]`: its name and authorised ceiling (model v2).
    pub mission: Option<Mission>,
    /// `[funding]`: the fund paying the contingents (model v2).
    pub funding: Option<Funding>,
    /// The enablers contributors bring (`capabilities = { helicopters = 3 }`),
    /// by name, in the order they first appear.
    pub capability_names: Vec<String>,
    /// `[[areas]]`: parts of the country with their own ratios, in order.
    pub areas: Vec<Area>,
    /// The values taken from the `priors` file (`prior(GROUP.FIELD)`), in
    /// the order read; empty without one.
    pub prior_uses: Vec<priors::PriorUse>,
    /// The SHA-256 of the `priors` file's bytes, when the scenario names one.
    pub priors_sha256: Option<String>,
}

/// The scenario's fingerprint (`scenario_sha256`): the SHA-256 of its text,
/// and with a priors file, of its text and the file's SHA-256, so that runs
/// of one text with different priors never pass for the same scenario.
pub fn fingerprint(source: &str, priors_sha256: Option<&str>) -> String {
    match priors_sha256 {
        None => priors::sha256_hex(source.as_bytes()),
        Some(priors) => priors::sha256_hex(format!("{source}\n# priors file SHA-256 {priors}\n").as_bytes()),
    }
}

impl Scenario {
    /// [`fingerprint`] of this scenario.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.source, self.priors_sha256.as_deref())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Day,
    Week,
    Month,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Day => "day",
            Step::Week => "week",
            Step::Month => "month",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Simulation {
    pub start: NaiveDate,
    pub horizon_days: u32,
    pub step: Step,
    pub trials: u64,
    pub seed: u64,
    /// `report_date`: the default of `run --report-date` (the date of
    /// `distribution.csv` and of the report's findings), within the period.
    pub report_date: Option<NaiveDate>,
}

impl Simulation {
    /// The report days: every day, every 7th day, or the same day of each
    /// calendar month (clamped to the month's end), from day 0, and always the
    /// horizon itself as the last, so that every dated output reaches the
    /// horizon the probabilities by the horizon refer to.
    pub fn report_days(&self) -> Vec<u32> {
        let horizon = self.horizon_days;
        let mut days: Vec<u32> = match self.step {
            Step::Day => (0..=horizon).collect(),
            Step::Week => (0..=horizon).step_by(7).collect(),
            Step::Month => {
                let start = self.start;
                (0u32..)
                    .map_while(|k| start.checked_add_months(chrono::Months::new(k)))
                    .map(|date| (date - start).num_days())
                    .take_while(|&day| day <= i64::from(horizon))
                    .map(|day| day as u32)
                    .collect()
            }
        };
        if days.last() != Some(&horizon) {
            days.push(horizon);
        }
        days
    }
}

/// The largest drawn day or duration: one past the longest horizon, so
/// "after the horizon" whatever the scenario.
pub const NEVER_DAY: f64 = MAX_HORIZON_DAYS as f64 + 1.0;

/// The largest amount of money (USD) an input may take: 10^15.
pub const MAX_AMOUNT: f64 = 1e15;
/// The largest factor on a rate (a shock's `withdrawal_factor`).
pub const MAX_FACTOR: f64 = 1e6;

/// How a sampled value is brought into its allowed range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Whole number of people, >= 0.
    Count,
    /// Whole number of people, >= 1 (the population).
    PositiveCount,
    /// Whole number of days, >= 0.
    Day,
    /// A share in [0, 1].
    Fraction,
    /// A yearly growth rate, > -1.
    Growth,
    /// A factor on a rate, >= 1 (a shock's `withdrawal_factor`).
    Factor,
    /// An amount of money (USD), >= 0, not rounded.
    Amount,
    /// Whole number of days that may be negative (a relief's gap).
    SignedDay,
}

impl ValueKind {
    /// Rounds and clamps a sampled value as docs/MODEL.md §1.3 says. A day
    /// is also capped at [`NEVER_DAY`]: every day past the longest horizon
    /// means the same ("not within the horizon"), and the cap keeps sums of
    /// days (anchor + delay + gaps) far from integer overflow. A drawn head
    /// count is capped at [`MAX_COUNT`], the limit of a constant one.
    #[inline]
    pub fn apply(self, value: f64) -> f64 {
        match self {
            ValueKind::Count => value.round().clamp(0.0, MAX_COUNT),
            ValueKind::Day => value.round().clamp(0.0, NEVER_DAY),
            ValueKind::PositiveCount => value.round().max(1.0),
            ValueKind::Fraction => value.clamp(0.0, 1.0),
            ValueKind::Growth => value.max(-0.99),
            ValueKind::Factor => value.clamp(1.0, MAX_FACTOR),
            ValueKind::Amount => value.clamp(0.0, MAX_AMOUNT),
            ValueKind::SignedDay => value.round().clamp(-NEVER_DAY, NEVER_DAY),
        }
    }
}

/// An uncertain input: its path in the scenario (`contributors.Kenya.fulfilment`)
/// names its random stream, so draws do not depend on the order of inputs.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: String,
    pub dist: Dist,
    pub kind: ValueKind,
}

impl Input {
    pub fn constant(path: impl Into<String>, value: f64, kind: ValueKind) -> Input {
        Input {
            path: path.into(),
            dist: Dist::Constant(value),
            kind,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Population {
    pub initial: Input,
    pub annual_growth: Input,
}

#[derive(Debug, Clone)]
pub struct HostPolice {
    /// The head count on day 0: with layers, the payroll.
    pub initial: Input,
    /// Applies to the payroll.
    pub attrition_per_year: Input,
    pub intakes: Vec<Intake>,
    /// Payroll and available-for-duty (`available_share`, `course_days`,
    /// `[[host_police.available]]`); `None` without any of those keys.
    pub layers: Option<HostLayers>,
}

/// The host police's two layers: who is on the payroll, and who of them is
/// available for duty (docs/MODEL.md §2.6).
#[derive(Debug, Clone)]
pub struct HostLayers {
    /// Days from a class's `day` (academy entry) to joining the payroll,
    /// drawn once per trial; `None`: classes join on their `day` as
    /// without layers.
    pub course_days: Option<Input>,
    pub available: Available,
}

/// How many of the payroll are available for duty.
#[derive(Debug, Clone)]
pub enum Available {
    /// Everyone on the payroll (only `course_days` was given).
    Payroll,
    /// `available_share`: a share of the payroll, drawn once per trial.
    Share(Input),
    /// `[[host_police.available]]`: the planner's own series, each count
    /// held from its day until the next entry (at most the payroll).
    Series(Vec<AvailableEntry>),
}

/// One entry of `[[host_police.available]]`.
#[derive(Debug, Clone)]
pub struct AvailableEntry {
    /// Days from the start; negative for a date before it.
    pub day: i64,
    /// Drawn once per trial.
    pub count: Input,
}

/// When an intake class graduates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeSchedule {
    Once { day: u32 },
    Recurring { first_day: u32, every_days: u32 },
}

#[derive(Debug, Clone)]
pub struct Intake {
    pub schedule: IntakeSchedule,
    /// The signed day of `day` or `first_day`: negative for a date before
    /// the start (which `schedule` holds as day 0).
    pub signed_first: i64,
    /// Drawn per class.
    pub size: Input,
    pub probability: f64,
}

impl Intake {
    /// The days (within the horizon) on which a class may graduate.
    pub fn class_days(&self, horizon: u32) -> Vec<u32> {
        match self.schedule {
            IntakeSchedule::Once { day } => (day <= horizon).then_some(day).into_iter().collect(),
            IntakeSchedule::Recurring { first_day, every_days } => {
                (first_day..=horizon).step_by(every_days.max(1) as usize).collect()
            }
        }
    }

    /// The signed days (academy entry, before the course) of the classes
    /// that enter by the horizon, the first possibly before the start.
    pub fn entry_days(&self, horizon: u32) -> Vec<i64> {
        let horizon = i64::from(horizon);
        match self.schedule {
            IntakeSchedule::Once { .. } => (self.signed_first <= horizon)
                .then_some(self.signed_first)
                .into_iter()
                .collect(),
            IntakeSchedule::Recurring { every_days, .. } => (self.signed_first..=horizon)
                .step_by(every_days.max(1) as usize)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Police,
    Military,
}

#[derive(Debug, Clone)]
pub struct Contributor {
    pub name: String,
    pub deployed: u64,
    pub pledged: u64,
    pub probability: f64,
    pub fulfilment: Input,
    pub first_arrival_days: Input,
    /// Index into [`Scenario::events`] of the unlock event this pledge waits for.
    pub after: Option<usize>,
    pub waves: u32,
    pub wave_interval_days: Input,
    pub attrition_per_year: Input,
    pub withdrawal_per_year: Input,
    pub kind: Kind,
    /// Tours and reliefs (model v2); `None`: nobody rotates.
    pub rotation: Option<Rotation>,
    /// What a person-month costs the fund.
    pub cost: ContributorCost,
    /// Enablers the pledged waves bring: (index into
    /// [`Scenario::capability_names`], number).
    pub capabilities: Vec<(usize, u64)>,
    /// `in_mission = false`: a force outside the mission (not under its
    /// ceiling, paid by no fund), counted in `outside_forces`.
    pub in_mission: bool,
    /// What each of its arrivals waits for (all must hold).
    pub requires: Vec<Requirement>,
    /// Days a pledged wave may wait (for a pause, its requirements, room
    /// or money) before it lapses; `None`: it waits as long as it takes.
    pub max_wait_days: Option<Input>,
}

/// A condition an arrival waits for (`requires`, docs/MODEL.md §2.14).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Requirement {
    /// The event (index into [`Scenario::events`]) has happened.
    Event(usize),
    /// At least this many of a capability (index into
    /// [`Scenario::capability_names`]) are in the mission.
    Capability { kind: usize, at_least: u64 },
    /// That contributor (index) has people in the mission: deployed on day
    /// 0, or a pledged wave arrived.
    Arrived(usize),
    /// The fund covers at least this many months at the day's cost.
    CoverMonths(f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    Unlock,
    EndMission {
        drawdown_days: u32,
    },
    /// The mission becomes another (MSS to GSF): an unlock that also sets
    /// the ceiling and the default cost per person-month from its day.
    Transform {
        ceiling: Option<u64>,
        cost_per_person_month: Option<f64>,
    },
    /// Shocks (docs/MODEL.md §2.14), each lasting `duration_days` and
    /// hitting `contributors`: no arrivals while it lasts;
    PauseArrivals,
    /// the withdrawal hazard times `withdrawal_factor` while it lasts;
    RaiseWithdrawal,
    /// each wave not yet arrived cancelled with chance `share`, on its day;
    CancelPledges,
    /// `share` of the fund's balance and later payments frozen while it lasts.
    FreezeFunds,
}

impl Effect {
    /// True for the effects contributors can wait for with `after`.
    pub fn unlocks(self) -> bool {
        matches!(self, Effect::Unlock | Effect::Transform { .. })
    }

    /// True for the shocks: effects that last and hit contributors.
    pub fn is_shock(self) -> bool {
        matches!(
            self,
            Effect::PauseArrivals | Effect::RaiseWithdrawal | Effect::CancelPledges | Effect::FreezeFunds
        )
    }

    /// The effect's name as a scenario writes it.
    pub fn name(self) -> &'static str {
        match self {
            Effect::Unlock => "unlock",
            Effect::EndMission { .. } => "end_mission",
            Effect::Transform { .. } => "transform",
            Effect::PauseArrivals => "pause_arrivals",
            Effect::RaiseWithdrawal => "raise_withdrawal",
            Effect::CancelPledges => "cancel_pledges",
            Effect::FreezeFunds => "freeze_funds",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub probability: f64,
    pub day: Input,
    pub effect: Effect,
    /// A transform's new mission name.
    pub mission: Option<String>,
    /// A shock's duration in days, drawn once per trial (`None`: to the
    /// horizon).
    pub duration_days: Option<Input>,
    /// The contributors a shock hits (indices; `None`: all).
    pub contributors: Option<Vec<usize>>,
    /// A shock's size: `withdrawal_factor` (raise_withdrawal) or `share`
    /// (cancel_pledges, freeze_funds), drawn once per trial.
    pub size: Option<Input>,
}

#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub metric: Metric,
    /// The threshold; with `share_of_ceiling`, NaN (the line moves with
    /// the ceiling).
    pub at_least: f64,
    /// `at_least_share_of_ceiling`: met when the metric is at least this
    /// share of the ceiling in force that day (model v2).
    pub share_of_ceiling: Option<f64>,
}

/// A `[[benchmarks]]` entry: a level of a metric, with where it comes from.
#[derive(Debug, Clone)]
pub struct Benchmark {
    pub name: String,
    pub metric: Metric,
    pub value: f64,
    pub source: String,
}

impl Scenario {
    /// Every metric reported in `timeseries.csv`, in output order.
    pub fn metrics(&self) -> Vec<Metric> {
        let mut metrics = Metric::STANDARD.to_vec();
        if self.has_host_layers() {
            metrics.extend(Metric::LAYERS);
        }
        if self.has_outside_forces() {
            metrics.push(Metric::OutsideForces);
        }
        metrics.extend((0..self.contributors.len()).map(Metric::Contributor));
        if self.funding.is_some() {
            metrics.extend(Metric::FUNDING);
        }
        metrics.extend((0..self.capability_names.len()).map(Metric::Capability));
        for a in 0..self.areas.len() {
            metrics.extend([Metric::AreaPolicePer100k(a), Metric::AreaSecurityPer1000(a)]);
        }
        metrics
    }

    /// The ceiling in force on every day: `[mission] ceiling` when no
    /// event may set another (a `transform` with a `ceiling`).
    pub fn fixed_ceiling(&self) -> Option<u64> {
        let changes = self
            .events
            .iter()
            .any(|e| matches!(e.effect, Effect::Transform { ceiling: Some(_), .. }));
        if changes { None } else { self.mission.as_ref()?.ceiling }
    }

    /// The level `target` means: its `at_least`, or for a share of the
    /// ceiling the whole number it is of a ceiling in force on every day
    /// (`ceil(share x ceiling)`, as the model checks it); `None` when the
    /// ceiling may change.
    pub fn threshold(&self, target: &Target) -> Option<f64> {
        match target.share_of_ceiling {
            None => Some(target.at_least),
            Some(share) => self.fixed_ceiling().map(|c| (share * c as f64).ceil()),
        }
    }

    /// The metric called `name` in this scenario, if any (the standard
    /// ones, `contributor:NAME`, the fund's, `capability:NAME`).
    pub fn metric_named(&self, name: &str) -> Option<Metric> {
        parse_metric_v2(
            name,
            MetricNames {
                contributors: &self.contributors,
                funding: self.funding.is_some(),
                capabilities: &self.capability_names,
                layers: self.has_host_layers(),
                areas: &self.areas,
            },
        )
    }

    /// True when a contributor is outside the mission (`in_mission = false`).
    pub fn has_outside_forces(&self) -> bool {
        self.contributors.iter().any(|c| !c.in_mission)
    }

    /// True when `[host_police]` has a layer key (payroll and available
    /// for duty are told apart, and their metrics reported).
    pub fn has_host_layers(&self) -> bool {
        self.host_police.as_ref().is_some_and(|h| h.layers.is_some())
    }

    /// The report days (see [`Simulation::report_days`]).
    pub fn report_days(&self) -> Vec<u32> {
        self.simulation.report_days()
    }

    /// The calendar date of a day number.
    pub fn date_of(&self, day: u32) -> NaiveDate {
        self.simulation.start + chrono::Days::new(u64::from(day))
    }
}
