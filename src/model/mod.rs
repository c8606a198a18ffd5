//! One Monte Carlo trial: sample every uncertain input
//! once, then evaluate each head count at the days that matter.
//!
//! Head counts only rise on arrival and graduation days and otherwise fall
//! (attrition, withdrawal, drawdown), so a trial is evaluated exactly on the
//! report days plus the days something arrives: the first day a target is
//! met is always one of them. The one exception, a ratio target while the
//! population shrinks, switches that trial to every day.
//!
//! Here: the compiled scenario ([`Model`]) and a trial's course; inputs
//! and draws are in `draw`, the trial's state in `trial`, the host police
//! in `host`, the contingents in `contingents`, the evaluated days in
//! `days`, the targets' searches in `targets`, head counts under attrition
//! in `strength`.
//!
//! The rules: docs/MODEL.md §2 (the trial; §1 for how inputs are drawn).

mod areas;
mod contingents;
mod copula;
mod days;
mod draw;
mod host;
mod inputs;
mod rules;
mod shocks;
mod streams;
pub mod strength;
mod targets;
mod timeline;
mod trial;
mod withdrawal;

use crate::scenario::{Available, Effect, HostPolice, Kind, Metric, Scenario};
use contingents::apply_cutoffs;
use copula::Copula;
use draw::Chance;
pub use draw::{Draw, Key};
pub use inputs::InputTable;
pub use rules::Delivery;
pub use streams::{GENERATOR_NAME, StreamId, StreamRng, stream};
use strength::{Bridge, Schedule, Skipped, daily_rate, strength_at};
pub(crate) use targets::first_pair_where;
pub use timeline::{DAYS_PER_MONTH, MAX_MONTHS_OF_COVER};
pub use trial::{CountSeries, Trial};

#[derive(Debug, Clone)]
struct HostModel {
    initial: Draw,
    attrition: Draw,
    process: StreamId,
    bridge: StreamId,
    intakes: Vec<IntakeModel>,
    /// `course_days`: classes join the payroll this long after their day.
    course: Option<Draw>,
    /// With layers: how the available-for-duty series follows the payroll.
    available: Option<AvailableModel>,
}

#[derive(Debug, Clone)]
struct IntakeModel {
    /// The days classes join (without a course).
    days: Vec<u32>,
    /// The signed days classes enter (with a course).
    entries: Vec<i64>,
    /// The classes drawn per trial: `entries` with a course, else `days`.
    classes: usize,
    size: Draw,
    graduates: Chance,
}

/// Who of the payroll is available for duty (docs/MODEL.md §2.6).
#[derive(Debug, Clone)]
enum AvailableModel {
    Payroll,
    Share(Draw),
    /// Each entry's signed day and count.
    Series(Vec<(i64, Draw)>),
}

#[derive(Debug, Clone)]
struct ContributorModel {
    #[allow(dead_code)]
    name: String,
    deployed: u32,
    pledged: u32,
    honoured: Chance,
    fulfilment: Draw,
    first_arrival: Draw,
    after: Option<usize>,
    waves: u32,
    interval: Draw,
    attrition: Draw,
    withdrawal: Draw,
    withdrawal_time: StreamId,
    /// The copula slot of the withdrawal wait, when it is correlated.
    wait_slot: Option<usize>,
    process: StreamId,
    bridge: StreamId,
    police: bool,
    /// `in_mission = false`: outside the mission (no ceiling, no fund).
    outside: bool,
    /// What each arrival waits for (docs/MODEL.md §2.14).
    requires: Vec<crate::scenario::Requirement>,
    /// Days a pledged wave may wait before it lapses.
    max_wait: Option<Draw>,
}

#[derive(Debug, Clone)]
struct EventModel {
    name: String,
    happens: Chance,
    day: Draw,
    effect: Effect,
}

/// The host police compiled for sampling.
fn host_model(h: &HostPolice, horizon: u32, shared: Option<&Copula>) -> HostModel {
    let layers = h.layers.as_ref();
    let course = layers
        .and_then(|l| l.course_days.as_ref())
        .map(|c| Draw::new(c, shared));
    let intakes = h
        .intakes
        .iter()
        .map(|i| {
            let (days, entries) = (i.class_days(horizon), i.entry_days(horizon));
            IntakeModel {
                classes: if course.is_some() { entries.len() } else { days.len() },
                days,
                entries,
                size: Draw::new(&i.size, shared),
                graduates: Chance::new(i.probability, &format!("{}.graduates", i.size.path)),
            }
        })
        .collect();
    let available = layers.map(|l| match &l.available {
        Available::Payroll => AvailableModel::Payroll,
        Available::Share(share) => AvailableModel::Share(Draw::new(share, shared)),
        Available::Series(entries) => {
            AvailableModel::Series(entries.iter().map(|e| (e.day, Draw::new(&e.count, shared))).collect())
        }
    });
    HostModel {
        initial: Draw::new(&h.initial, shared),
        attrition: Draw::new(&h.attrition_per_year, shared),
        process: StreamId::of("host_police.attrition_process"),
        bridge: StreamId::of("host_police.attrition_bridge"),
        intakes,
        course,
        available,
    }
}

/// A scenario compiled for sampling: samplers built and stream names hashed once.
#[derive(Debug, Clone)]
pub struct Model {
    pub seed: u64,
    pub horizon: u32,
    pub report_days: Vec<u32>,
    pub metrics: Vec<Metric>,
    pub targets: Vec<(Metric, f64)>,
    population: Draw,
    growth: Draw,
    host: Option<HostModel>,
    contributors: Vec<ContributorModel>,
    events: Vec<EventModel>,
    /// The events that are shocks (docs/MODEL.md §2.14).
    shocks: Vec<shocks::ShockModel>,
    /// Some contributor's arrivals wait for something another one does
    /// (`requires`): every trial is followed event by event, together.
    requires_gate: bool,
    /// Whether a contributor is outside the mission (`in_mission = false`).
    has_outside: bool,
    ratio_targets: bool,
    /// Per target: the share of the ceiling it asks for, if it is one.
    ceiling_shares: Vec<Option<f64>>,
    copula: Option<Copula>,
    /// The rules of contingents followed event by event (rotations,
    /// capabilities, a ceiling, a fund, transforms).
    timeline: Box<timeline::Plan>,
    /// `[[areas]]`, in order.
    areas: Vec<areas::AreaModel>,
}

impl Model {
    pub fn new(scenario: &Scenario) -> Model {
        let copula = Copula::new(scenario);
        let shared = copula.as_ref();
        let horizon = scenario.simulation.horizon_days;
        let host = scenario.host_police.as_ref().map(|h| host_model(h, horizon, shared));
        let contributors = scenario
            .contributors
            .iter()
            .map(|c| {
                let path = format!("contributors.{}", c.name);
                ContributorModel {
                    name: c.name.clone(),
                    deployed: c.deployed.min(u64::from(u32::MAX / 4)) as u32,
                    pledged: c.pledged.min(u64::from(u32::MAX / 4)) as u32,
                    honoured: Chance::correlated(
                        c.probability,
                        &format!("{path}.probability"),
                        &format!("{path}.honour"),
                        shared,
                    ),
                    fulfilment: Draw::new(&c.fulfilment, shared),
                    first_arrival: Draw::new(&c.first_arrival_days, shared),
                    after: c.after,
                    waves: c.waves.max(1),
                    interval: Draw::new(&c.wave_interval_days, shared),
                    attrition: Draw::new(&c.attrition_per_year, shared),
                    withdrawal: Draw::new(&c.withdrawal_per_year, shared),
                    withdrawal_time: StreamId::of(&format!("{path}.withdrawal_time")),
                    wait_slot: shared.and_then(|s| s.slot_of(&format!("{path}.withdrawal"))),
                    process: StreamId::of(&format!("{path}.attrition_process")),
                    bridge: StreamId::of(&format!("{path}.attrition_bridge")),
                    police: c.kind == Kind::Police,
                    outside: !c.in_mission,
                    requires: c.requires.clone(),
                    max_wait: c.max_wait_days.as_ref().map(|m| Draw::new(m, shared)),
                }
            })
            .collect();
        let events = scenario
            .events
            .iter()
            .map(|e| EventModel {
                name: e.name.clone(),
                happens: Chance::new(e.probability, &format!("events.{}.probability", e.name)),
                day: Draw::new(&e.day, shared),
                effect: e.effect,
            })
            .collect();
        let targets: Vec<(Metric, f64)> = scenario.targets.iter().map(|t| (t.metric, t.at_least)).collect();
        let timeline = Box::new(timeline::Plan::new(scenario, shared));
        let names: Vec<String> = scenario.contributors.iter().map(|c| c.name.clone()).collect();
        let shocks = shocks::ShockModel::compile(&scenario.events, &names, shared);
        Model {
            seed: scenario.simulation.seed,
            horizon,
            report_days: scenario.report_days(),
            metrics: scenario.metrics(),
            ratio_targets: targets.iter().any(|(m, _)| m.is_ratio()),
            targets,
            population: Draw::new(&scenario.population.initial, shared),
            growth: Draw::new(&scenario.population.annual_growth, shared),
            host,
            contributors,
            events,
            ceiling_shares: scenario.targets.iter().map(|t| t.share_of_ceiling).collect(),
            timeline,
            shocks,
            requires_gate: scenario.contributors.iter().any(|c| !c.requires.is_empty()),
            has_outside: scenario.has_outside_forces(),
            areas: (scenario.areas.iter())
                .map(|a| areas::AreaModel::new(a, &scenario.contributors, shared))
                .collect(),
            copula,
        }
    }

    /// Replaces the targets checked in each trial (`compare` checks every
    /// scenario against the same targets).
    pub fn set_targets(&mut self, targets: Vec<(Metric, f64)>) {
        self.ratio_targets = targets.iter().any(|(m, _)| m.is_ratio());
        self.ceiling_shares = vec![None; targets.len()];
        self.targets = targets;
    }

    /// The earlier metric whose series metric `m` always is, if any: the
    /// payroll is the host police (and its ratio theirs); with no layer
    /// but the payroll, so are those available for duty.
    pub fn same_series_as(&self, m: usize) -> Option<usize> {
        let all_available = matches!(
            self.host.as_ref().and_then(|h| h.available.as_ref()),
            Some(AvailableModel::Payroll)
        );
        let original = match self.metrics.get(m)? {
            Metric::HostPayroll => Metric::HostPolice,
            Metric::PolicePer100kPayroll => Metric::PolicePer100k,
            Metric::HostAvailable if all_available => Metric::HostPolice,
            Metric::PolicePer100kAvailable if all_available => Metric::PolicePer100k,
            _ => return None,
        };
        self.metrics
            .iter()
            .position(|&metric| metric == original)
            .filter(|&o| o < m)
    }

    pub fn contributor_count(&self) -> usize {
        self.contributors.len()
    }

    pub fn pledged(&self, c: usize) -> u32 {
        self.contributors[c].pledged
    }

    /// Runs trial number `index` into `trial`'s buffers.
    pub fn run_trial(&self, index: u64, trial: &mut Trial) {
        let seed = self.seed;
        let mut correlated = std::mem::take(&mut trial.correlated);
        if let Some(copula) = &self.copula {
            copula.sample(seed, index, &mut correlated);
        }
        self.run_keyed(
            &Key {
                seed,
                index,
                correlated: &correlated,
            },
            trial,
        );
        trial.correlated = correlated;
    }

    /// One trial (docs/MODEL.md §2): events, each contingent's plan, the
    /// contingents followed event by event, the host police, the
    /// evaluated days, every head count on them, the sums and the targets.
    fn run_keyed(&self, key: &Key, trial: &mut Trial) {
        self.sample_events(key, trial);
        self.sample_shocks(key, &trial.event_days, &mut trial.shocks);
        let end_mission = self.end_of_mission(trial);
        let cutoff_all = end_mission.map_or(u32::MAX, |(day, _)| day);

        trial.jump_days.clear();
        let gated = self.plan_contingents(key, cutoff_all, trial);
        let followed = trial.plans.followed.iter().any(|&f| f);
        if followed {
            let course = timeline::Course {
                plans: &trial.plans,
                event_days: &trial.event_days,
                end: end_mission,
                gated,
                shocks: &trial.shocks,
            };
            let (deliveries, jumps) = (&mut trial.deliveries, &mut trial.jump_days);
            self.follow(key, &course, deliveries, jumps, &mut trial.timeline);
        }
        let (host_initial, host_lambda) = self.plan_host(key, trial);
        let growth = self.growth.once(key);
        let population0 = self.population.once(key);

        self.choose_days(trial, growth < 0.0);
        Self::mark_reports(trial);

        Self::fill_population(trial, population0, growth);
        self.fill_host(key, host_initial, host_lambda, trial);
        let most = self.fill_contributors(key, end_mission, trial);
        let (days, events, history) = (&trial.days, &trial.event_days, &trial.timeline.history);
        self.fill_series(days, events, history, followed, &mut trial.followed);
        self.sum_contributors(trial, most);
        let (strength, days) = (&trial.contributor_strength, trial.days.len());
        trial.areas.fill(&self.areas, key, strength, days);
        self.settle_targets(key, host_lambda, trial);
    }

    /// Every contingent's head count on the evaluated days: a followed one
    /// from its course, the others sampled on their own days (docs/MODEL.md
    /// §2.7) and cut off by withdrawal and the end of mission. Returns the
    /// most people all of them together can count.
    fn fill_contributors(&self, key: &Key, end_mission: Option<(u32, u32)>, trial: &mut Trial) -> u64 {
        let n = trial.days.len();
        let schedule = Schedule::new(&trial.days, &trial.is_report);
        trial.contributor_strength.resize(n * self.contributors.len(), 0);
        trial.empty.clear();
        trial.empty.resize(self.contributors.len(), false);
        let mut most = 0;
        for (c, model) in self.contributors.iter().enumerate() {
            let out = &mut trial.contributor_strength[c * n..(c + 1) * n];
            if trial.plans.followed[c] {
                let history = &trial.timeline.history;
                let highest = history.most(c);
                most += u64::from(highest);
                trial.empty[c] = highest == 0;
                history.fill_count(c, &trial.days, out);
                continue;
            }
            let total =
                u64::from(model.deployed) + trial.plans.arrivals[c].iter().map(|a| u64::from(a.size)).sum::<u64>();
            most += total;
            if total == 0 {
                out.fill(0);
                trial.empty[c] = true;
                continue;
            }
            let lambda = daily_rate(model.attrition.once(key));
            let mut rng = stream(key.seed, key.index, model.process);
            let mut bridge = Bridge::new(key.seed, key.index, model.bridge);
            strength_at(
                model.deployed,
                &trial.plans.arrivals[c],
                lambda,
                schedule,
                out,
                &mut rng,
                Skipped::Bridge(&mut bridge),
            );
            let end = end_mission.filter(|_| !model.outside);
            apply_cutoffs(&trial.days, out, trial.plans.cutoffs[c], end);
        }
        most
    }

    /// The host police's head count on the evaluated days. Other groups'
    /// arrival days are bridged only if a target needs them (see
    /// `bridge_host`): most trials are settled without.
    fn fill_host(&self, key: &Key, host_initial: u32, host_lambda: f64, trial: &mut Trial) {
        trial.host.resize(trial.days.len(), 0);
        trial.host_skipped.clear();
        let schedule = Schedule::new(&trial.days, &trial.is_report);
        if let Some(host) = &self.host {
            let mut rng = stream(key.seed, key.index, host.process);
            strength_at(
                host_initial,
                &trial.host_arrivals,
                host_lambda,
                schedule,
                &mut trial.host,
                &mut rng,
                Skipped::Defer(&mut trial.host_skipped),
            );
        } else {
            trial.host.fill(0);
        }
        self.fill_available(key, trial);
    }

    /// Finds the first day of each target, bridging the host police's
    /// skipped days first if a target needs them.
    fn settle_targets(&self, key: &Key, host_lambda: f64, trial: &mut Trial) {
        if self.check_targets(trial) {
            self.bridge_host(key, host_lambda, trial);
            self.check_targets(trial);
        }
    }

    fn sample_events(&self, key: &Key, trial: &mut Trial) {
        let index = key.index;
        trial.event_days.clear();
        for event in &self.events {
            let day = event
                .happens
                .happens(self.seed, index)
                .then(|| event.day.once(key) as u32);
            trial.event_days.push(day.filter(|&d| d <= self.horizon));
        }
    }

    /// The earliest end-of-mission event that happens: its day and drawdown.
    fn end_of_mission(&self, trial: &Trial) -> Option<(u32, u32)> {
        self.events
            .iter()
            .zip(&trial.event_days)
            .filter_map(|(event, day)| match (event.effect, day) {
                (Effect::EndMission { drawdown_days }, Some(day)) => Some((*day, drawdown_days)),
                _ => None,
            })
            .min_by_key(|(day, _)| *day)
    }
}
