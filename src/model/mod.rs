//! One Monte Carlo trial (MODEL.md section 1): sample every uncertain input
//! once, then evaluate each head count at the days that matter.
//!
//! Head counts only rise on arrival and graduation days and otherwise fall
//! (attrition, withdrawal, drawdown), so a trial is evaluated exactly on the
//! report days plus the days something arrives: the first day a target is
//! met is always one of them. The one exception, a ratio target while the
//! population shrinks, switches that trial to every day.

mod copula;
mod inputs;
mod streams;
pub mod strength;

use crate::scenario::{Effect, Input, Kind, Metric, Sampler, Scenario, ValueKind};
use copula::Copula;
pub use inputs::InputTable;
pub use streams::{GENERATOR_NAME, StreamId, StreamRng, stream};
use strength::{Arrival, Bridge, Schedule, Skipped, bridge_skipped, daily_rate, strength_at, unit};

/// Which trial is being drawn, and its correlated inputs' values.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub seed: u64,
    pub index: u64,
    /// Values of the inputs in `[[correlations]]`, by copula slot, drawn
    /// jointly at the start of the trial.
    pub correlated: &'a [f64],
}

impl Key<'_> {
    /// A key for reading constants (no trial, no correlated values).
    pub fn constant() -> Key<'static> {
        Key {
            seed: 0,
            index: 0,
            correlated: &[],
        }
    }
}

/// An input ready to draw: its sampler and its stream.
#[derive(Debug, Clone)]
pub struct Draw {
    sampler: Sampler,
    kind: ValueKind,
    id: StreamId,
    /// Its place among the correlated inputs, if it is one.
    slot: Option<usize>,
}

impl Draw {
    fn new(input: &Input, copula: Option<&Copula>) -> Draw {
        // Dists were validated when parsed; a failure here is a bug, and a
        // constant NaN would show up in every output at once.
        let sampler = Sampler::new(&input.dist).unwrap_or(Sampler::Constant(f64::NAN));
        Draw {
            sampler,
            kind: input.kind,
            id: StreamId::of(&input.path),
            slot: copula.and_then(|c| c.slot_of(&input.path)),
        }
    }

    /// This trial's value, rounded and clamped for its kind.
    #[inline]
    pub fn once(&self, key: &Key) -> f64 {
        if let Some(slot) = self.slot {
            return key.correlated.get(slot).copied().unwrap_or(f64::NAN);
        }
        match self.sampler.constant() {
            Some(v) => self.kind.apply(v),
            None => self
                .kind
                .apply(self.sampler.sample(&mut stream(key.seed, key.index, self.id))),
        }
    }

    /// The mean of `count` per-class draws of this trial (the first
    /// `count` of [`Draw::many`]); for sensitivity analysis.
    fn mean_of_many(&self, key: &Key, count: usize) -> f64 {
        if count == 0 {
            return f64::NAN;
        }
        if self.slot.is_some() {
            return self.once(key);
        }
        let mut draws = self.many(key.seed, key.index);
        (0..count).map(|_| draws.next()).sum::<f64>() / count as f64
    }

    /// True when the input is a distribution rather than a constant.
    fn is_uncertain(&self) -> bool {
        self.sampler.constant().is_none()
    }

    /// A stream for several draws of this input in one trial (per class, per gap).
    fn many(&self, seed: u64, trial: u64) -> DrawIter<'_> {
        let rng = self.sampler.constant().is_none().then(|| stream(seed, trial, self.id));
        DrawIter { draw: self, rng }
    }
}

struct DrawIter<'a> {
    draw: &'a Draw,
    rng: Option<StreamRng>,
}

impl DrawIter<'_> {
    fn next(&mut self) -> f64 {
        let raw = match &mut self.rng {
            Some(rng) => self.draw.sampler.sample(rng),
            None => self.draw.sampler.constant().unwrap_or(f64::NAN),
        };
        self.draw.kind.apply(raw)
    }
}

/// A Bernoulli trial with its own stream.
#[derive(Debug, Clone)]
struct Chance {
    probability: f64,
    id: StreamId,
}

impl Chance {
    fn new(probability: f64, path: &str) -> Chance {
        Chance {
            probability,
            id: StreamId::of(path),
        }
    }

    fn happens(&self, seed: u64, trial: u64) -> bool {
        match self.probability {
            p if p >= 1.0 => true,
            p if p <= 0.0 => false,
            p => unit(&mut stream(seed, trial, self.id)) < p,
        }
    }
}

#[derive(Debug, Clone)]
struct HostModel {
    initial: Draw,
    attrition: Draw,
    process: StreamId,
    bridge: StreamId,
    intakes: Vec<IntakeModel>,
}

#[derive(Debug, Clone)]
struct IntakeModel {
    days: Vec<u32>,
    size: Draw,
    graduates: Chance,
}

#[derive(Debug, Clone)]
struct ContributorModel {
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
    process: StreamId,
    bridge: StreamId,
    police: bool,
}

#[derive(Debug, Clone)]
struct EventModel {
    name: String,
    happens: Chance,
    day: Draw,
    effect: Effect,
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
    ratio_targets: bool,
    copula: Option<Copula>,
}

/// What one contributor did in one trial, besides its head counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Pledged personnel that arrived within the horizon.
    pub delivered: u32,
    /// Day the last wave arrived, if every wave arrived within the horizon.
    pub last_wave_day: Option<u32>,
}

/// Buffers for one trial, reused across trials by one worker.
#[derive(Debug, Default, Clone)]
pub struct Trial {
    /// The days evaluated, ascending: report days plus arrival days.
    pub days: Vec<u32>,
    /// For each report day, in order, its index among the evaluated days.
    pub report_positions: Vec<u32>,
    /// For each evaluated day: is it a report day?
    pub is_report: Vec<bool>,
    /// Head counts `[contributor][day]`, flattened.
    pub contributor_strength: Vec<u32>,
    /// The host police's head count on each evaluated day. Exact on report
    /// days and graduation days; on other groups' arrival days, exact only
    /// if a target needed it (see `host_skipped`), else the count of the
    /// evaluated day before, which is at least the true count.
    pub host: Vec<u32>,
    /// Ranges of evaluated days whose `host` count is not yet exact.
    host_skipped: Vec<std::ops::Range<usize>>,
    /// All contributors' head count on each evaluated day.
    pub international: Vec<u32>,
    /// Police contributors' head count on each evaluated day.
    pub international_police: Vec<u32>,
    /// Population on each evaluated day.
    pub population: Vec<f64>,
    pub deliveries: Vec<Delivery>,
    /// First day each target is met, if within the horizon.
    pub first_reached: Vec<Option<u32>>,
    /// Per contributor: nobody on any day (lets recording skip it).
    empty: Vec<bool>,
    arrivals: Vec<Vec<Arrival>>,
    cutoffs: Vec<u32>,
    host_arrivals: Vec<Arrival>,
    jump_days: Vec<u32>,
    event_days: Vec<Option<u32>>,
    /// This trial's values of the correlated inputs.
    correlated: Vec<f64>,
}

/// The head counts of a metric on each evaluated day: one series, or two
/// added day by day (saturating, like every head count).
#[derive(Debug, Clone, Copy)]
pub enum CountSeries<'a> {
    One(&'a [u32]),
    Sum(&'a [u32], &'a [u32]),
}

impl CountSeries<'_> {
    /// The head count on evaluated day index `k`.
    #[inline(always)]
    pub fn at(self, k: usize) -> u32 {
        match self {
            CountSeries::One(series) => series[k],
            CountSeries::Sum(a, b) => a[k].saturating_add(b[k]),
        }
    }
}

impl Trial {
    /// Head counts of contributor `c` on each evaluated day.
    #[inline]
    pub fn contributor(&self, c: usize) -> &[u32] {
        let n = self.days.len();
        &self.contributor_strength[c * n..(c + 1) * n]
    }

    /// True when contributor `c` has nobody on any day of this trial.
    pub fn is_empty(&self, c: usize) -> bool {
        self.empty.get(c).copied().unwrap_or(false)
    }

    /// The evaluated-day series behind a head-count metric (`None` for
    /// ratios).
    #[inline]
    pub fn count_series(&self, metric: Metric) -> Option<CountSeries<'_>> {
        Some(match metric {
            Metric::International => CountSeries::One(&self.international),
            Metric::InternationalPolice => CountSeries::One(&self.international_police),
            Metric::HostPolice => CountSeries::One(&self.host),
            Metric::Police => CountSeries::Sum(&self.host, &self.international_police),
            Metric::SecurityForces => CountSeries::Sum(&self.host, &self.international),
            Metric::Contributor(c) => CountSeries::One(self.contributor(c)),
            Metric::PolicePer100k | Metric::SecurityPer1000 => return None,
        })
    }

    /// A head-count metric at evaluated day index `k` (`None` for ratios).
    #[inline]
    pub fn count(&self, metric: Metric, k: usize) -> Option<u32> {
        Some(self.count_series(metric)?.at(k))
    }

    /// The value of `metric` at evaluated day index `k`.
    #[inline(always)]
    pub fn metric(&self, metric: Metric, k: usize) -> f64 {
        match self.ratio_parts(metric) {
            Some((scale, international)) => ratio(self.host[k], international[k], scale, self.population[k]),
            None => f64::from(self.count(metric, k).unwrap_or(0)),
        }
    }

    /// A ratio metric's scale (per `scale` people) and the international
    /// series whose count it adds to the host's; `None` for head counts.
    #[inline(always)]
    fn ratio_parts(&self, metric: Metric) -> Option<(f64, &[u32])> {
        match metric {
            Metric::PolicePer100k => Some((1e5, &self.international_police)),
            Metric::SecurityPer1000 => Some((1e3, &self.international)),
            _ => None,
        }
    }

    /// Appends ratio `metric`'s values (nothing for a head count) on every
    /// evaluated day when `every_day`, else on the evaluated days at
    /// `positions`. Every day is one pass over the series, which the
    /// compiler vectorizes (divisions two at a time); the values are those
    /// of [`Trial::metric`], to the bit.
    #[inline(always)]
    pub fn ratios(&self, metric: Metric, positions: &[u32], every_day: bool, out: &mut Vec<f64>) {
        let Some((scale, international)) = self.ratio_parts(metric) else {
            return;
        };
        let (host, population) = (&self.host, &self.population);
        if every_day {
            let international = &international[..host.len()];
            let population = &population[..host.len()];
            out.extend((host.iter().zip(international).zip(population)).map(|((&h, &i), &p)| ratio(h, i, scale, p)));
        } else {
            out.extend(positions.iter().map(|&k| {
                let k = k as usize;
                ratio(host[k], international[k], scale, population[k])
            }));
        }
    }
}

impl Model {
    pub fn new(scenario: &Scenario) -> Model {
        let copula = Copula::new(scenario);
        let shared = copula.as_ref();
        let horizon = scenario.simulation.horizon_days;
        let host = scenario.host_police.as_ref().map(|h| HostModel {
            initial: Draw::new(&h.initial, shared),
            attrition: Draw::new(&h.attrition_per_year, shared),
            process: StreamId::of("host_police.attrition_process"),
            bridge: StreamId::of("host_police.attrition_bridge"),
            intakes: h
                .intakes
                .iter()
                .map(|i| IntakeModel {
                    days: i.class_days(horizon),
                    size: Draw::new(&i.size, shared),
                    graduates: Chance::new(i.probability, &format!("{}.graduates", i.size.path)),
                })
                .collect(),
        });
        let contributors = scenario
            .contributors
            .iter()
            .map(|c| {
                let path = format!("contributors.{}", c.name);
                ContributorModel {
                    name: c.name.clone(),
                    deployed: c.deployed.min(u64::from(u32::MAX / 4)) as u32,
                    pledged: c.pledged.min(u64::from(u32::MAX / 4)) as u32,
                    honoured: Chance::new(c.probability, &format!("{path}.probability")),
                    fulfilment: Draw::new(&c.fulfilment, shared),
                    first_arrival: Draw::new(&c.first_arrival_days, shared),
                    after: c.after,
                    waves: c.waves.max(1),
                    interval: Draw::new(&c.wave_interval_days, shared),
                    attrition: Draw::new(&c.attrition_per_year, shared),
                    withdrawal: Draw::new(&c.withdrawal_per_year, shared),
                    withdrawal_time: StreamId::of(&format!("{path}.withdrawal_time")),
                    process: StreamId::of(&format!("{path}.attrition_process")),
                    bridge: StreamId::of(&format!("{path}.attrition_bridge")),
                    police: c.kind == Kind::Police,
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
            copula,
        }
    }

    /// Replaces the targets checked in each trial (`compare` checks every
    /// scenario against the same targets).
    pub fn set_targets(&mut self, targets: Vec<(Metric, f64)>) {
        self.ratio_targets = targets.iter().any(|(m, _)| m.is_ratio());
        self.targets = targets;
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

    fn run_keyed(&self, key: &Key, trial: &mut Trial) {
        let (seed, index) = (key.seed, key.index);
        self.sample_events(key, trial);
        let end_mission = self.end_of_mission(trial);
        let cutoff_all = end_mission.map_or(u32::MAX, |(day, _)| day);

        trial.jump_days.clear();
        trial.arrivals.resize_with(self.contributors.len(), Vec::new);
        trial.cutoffs.resize(self.contributors.len(), u32::MAX);
        trial.deliveries.resize(self.contributors.len(), Delivery::default());
        for (c, model) in self.contributors.iter().enumerate() {
            let anchor = match model.after {
                None => Some(0),
                Some(event) => trial.event_days[event],
            };
            // The withdrawal day is drawn (from its own streams) only for a
            // contingent that has someone to withdraw.
            let mut withdrawal = None;
            let mut withdrawal_day = || *withdrawal.get_or_insert_with(|| self.withdrawal_day(model, key));
            let mut arrivals = std::mem::take(&mut trial.arrivals[c]);
            let cutoff = || withdrawal_day().min(cutoff_all);
            trial.deliveries[c] = self.plan_arrivals(model, key, anchor, cutoff, &mut arrivals);
            let present = model.deployed > 0 || !arrivals.is_empty();
            trial.cutoffs[c] = if present { withdrawal_day() } else { u32::MAX };
            trial.jump_days.extend(arrivals.iter().map(|a| a.day));
            trial.arrivals[c] = arrivals;
        }
        let (host_initial, host_lambda) = self.plan_host(key, trial);
        let growth = self.growth.once(key);
        let population0 = self.population.once(key);

        self.choose_days(trial, growth < 0.0);
        Self::mark_reports(trial);
        let n = trial.days.len();

        Self::fill_population(trial, population0, growth);

        trial.host.resize(n, 0);
        trial.host_skipped.clear();
        let schedule = Schedule::new(&trial.days, &trial.is_report);
        if let Some(host) = &self.host {
            // Other groups' arrival days are bridged only if a target needs
            // them (see `bridge_host`): most trials are settled without.
            let mut rng = stream(seed, index, host.process);
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

        trial.contributor_strength.resize(n * self.contributors.len(), 0);
        trial.empty.clear();
        trial.empty.resize(self.contributors.len(), false);
        let mut most = 0;
        for (c, model) in self.contributors.iter().enumerate() {
            let out = &mut trial.contributor_strength[c * n..(c + 1) * n];
            let total = u64::from(model.deployed) + trial.arrivals[c].iter().map(|a| u64::from(a.size)).sum::<u64>();
            most += total;
            if total == 0 {
                out.fill(0);
                trial.empty[c] = true;
                continue;
            }
            let lambda = daily_rate(model.attrition.once(key));
            let mut rng = stream(seed, index, model.process);
            let mut bridge = Bridge::new(seed, index, model.bridge);
            strength_at(
                model.deployed,
                &trial.arrivals[c],
                lambda,
                schedule,
                out,
                &mut rng,
                Skipped::Bridge(&mut bridge),
            );
            apply_cutoffs(&trial.days, out, trial.cutoffs[c], end_mission);
        }
        self.sum_contributors(trial, most);

        if self.check_targets(trial) {
            self.bridge_host(key, host_lambda, trial);
            self.check_targets(trial);
        }
    }

    /// Makes the host's counts exact on the days `strength_at` left (the
    /// same draws it would have made there at once).
    fn bridge_host(&self, key: &Key, host_lambda: f64, trial: &mut Trial) {
        if let Some(host) = &self.host {
            let mut bridge = Bridge::new(key.seed, key.index, host.bridge);
            bridge_skipped(
                &trial.host_arrivals,
                host_lambda,
                &trial.days,
                &mut trial.host,
                &trial.host_skipped,
                &mut bridge,
            );
        }
        trial.host_skipped.clear();
    }

    /// pop(d) = pop(0) * (1 + g)^(d / 365.25), stepped from evaluated day
    /// to day. Steps repeat (7 days, 1 day), so one exp serves many days:
    /// the factors of short steps are kept once computed. The factors are
    /// found first and multiplied in a second pass, a tight loop.
    fn fill_population(trial: &mut Trial, population0: f64, growth: f64) {
        let log_growth = (1.0 + growth).ln() / 365.25;
        let mut previous_day = 0u32;
        let mut short_steps = [f64::NAN; 32];
        trial.population.clear();
        trial.population.extend(trial.days.iter().map(|&day| {
            let gap = day - previous_day;
            previous_day = day;
            match short_steps.get_mut(gap as usize) {
                Some(known) if !known.is_nan() => *known,
                Some(unknown) => {
                    *unknown = (log_growth * f64::from(gap)).exp();
                    *unknown
                }
                None => (log_growth * f64::from(gap)).exp(),
            }
        }));
        let mut population = population0;
        for slot in &mut trial.population {
            population *= *slot;
            *slot = population;
        }
    }

    /// Sums the contingents' head counts, saturating like every head count.
    /// A head count never passes its contingent's `deployed` plus its
    /// arrivals; `most` is those added up over all contingents, so when it
    /// fits in a `u32`, no sum can saturate and plain additions (four at a
    /// time, where saturating ones take several instructions each) give
    /// the same sums.
    fn sum_contributors(&self, trial: &mut Trial, most: u64) {
        let n = trial.days.len();
        trial.international.clear();
        trial.international.resize(n, 0);
        trial.international_police.clear();
        trial.international_police.resize(n, 0);
        let plain = most <= u64::from(u32::MAX);
        for (c, model) in self.contributors.iter().enumerate() {
            if trial.empty[c] {
                continue;
            }
            let counts = &trial.contributor_strength[c * n..(c + 1) * n];
            add_counts(&mut trial.international, counts, plain);
            if model.police {
                add_counts(&mut trial.international_police, counts, plain);
            }
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

    /// Day the contingent withdraws (`u32::MAX` if never): exponential with
    /// `P(within 365 days) = withdrawal_per_year`.
    fn withdrawal_day(&self, model: &ContributorModel, key: &Key) -> u32 {
        let index = key.index;
        let per_year = model.withdrawal.once(key);
        if per_year <= 0.0 {
            return u32::MAX;
        }
        let rate = daily_rate(per_year);
        if rate.is_infinite() {
            return 0;
        }
        let wait: f64 =
            rand_distr::Distribution::sample(&rand_distr::Exp1, &mut stream(self.seed, index, model.withdrawal_time));
        let day = (wait / rate).ceil();
        if day > f64::from(self.horizon) {
            u32::MAX
        } else {
            day as u32
        }
    }

    /// Fills `arrivals` with the waves that arrive before `cutoff()` (asked
    /// only when something is to arrive) and within the horizon, and says
    /// what was delivered.
    fn plan_arrivals(
        &self,
        model: &ContributorModel,
        key: &Key,
        anchor: Option<u32>,
        cutoff: impl FnOnce() -> u32,
        arrivals: &mut Vec<Arrival>,
    ) -> Delivery {
        arrivals.clear();
        let (seed, index) = (key.seed, key.index);
        let Some(anchor) = anchor else {
            return Delivery::default();
        };
        if model.pledged == 0 || !model.honoured.happens(seed, index) {
            return Delivery::default();
        }
        let fulfilment = model.fulfilment.once(key);
        let total = (f64::from(model.pledged) * fulfilment).round() as u32;
        if total == 0 {
            return Delivery::default();
        }
        let waves = model.waves;
        let mut day = u64::from(anchor) + model.first_arrival.once(key) as u64;
        let mut gaps = model.interval.many(seed, index);
        let limit = u64::from(cutoff().min(self.horizon.saturating_add(1)));
        let mut delivered = 0;
        let mut last_wave_day = None;
        for wave in 0..waves {
            if wave > 0 {
                day += gaps.next() as u64;
            }
            let size = total / waves + u32::from(wave < total % waves);
            if size == 0 {
                break;
            }
            if day >= limit {
                last_wave_day = None;
                break;
            }
            arrivals.push(Arrival { day: day as u32, size });
            delivered += size;
            last_wave_day = Some(day as u32);
        }
        let complete = delivered == total;
        Delivery {
            delivered,
            last_wave_day: last_wave_day.filter(|_| complete),
        }
    }

    /// Samples the host police's initial strength, attrition and graduating classes.
    fn plan_host(&self, key: &Key, trial: &mut Trial) -> (u32, f64) {
        let index = key.index;
        trial.host_arrivals.clear();
        let Some(host) = &self.host else { return (0, 0.0) };
        let seed = self.seed;
        for intake in &host.intakes {
            let mut sizes = intake.size.many(seed, index);
            let mut graduates = (intake.graduates.probability < 1.0).then(|| stream(seed, index, intake.graduates.id));
            for &day in &intake.days {
                // A one-off class may be correlated: then its size is the copula's.
                let size = if intake.size.slot.is_some() {
                    intake.size.once(key)
                } else {
                    sizes.next()
                } as u32;
                let passes = match &mut graduates {
                    Some(rng) => unit(rng) < intake.graduates.probability,
                    None => true,
                };
                if passes && size > 0 {
                    trial.host_arrivals.push(Arrival { day, size });
                }
            }
        }
        trial.host_arrivals.sort_by_key(|a| a.day);
        trial.jump_days.extend(trial.host_arrivals.iter().map(|a| a.day));
        let initial = host.initial.once(key).min(f64::from(u32::MAX / 4)) as u32;
        (initial, daily_rate(host.attrition.once(key)))
    }

    /// Sets the evaluated days: report days plus, when there are targets,
    /// every arrival day (or every day, for a ratio target while the
    /// population shrinks).
    fn choose_days(&self, trial: &mut Trial, shrinking: bool) {
        trial.days.clear();
        trial.report_positions.clear();
        if self.targets.is_empty() {
            trial.days.extend_from_slice(&self.report_days);
            trial.report_positions.extend(0..self.report_days.len() as u32);
            return;
        }
        if shrinking && self.ratio_targets {
            trial.days.extend(0..=self.horizon);
            trial.report_positions.extend_from_slice(&self.report_days);
            return;
        }
        trial.jump_days.sort_unstable();
        trial.jump_days.dedup();
        // The report days before each jump day are copied in one piece,
        // then the jump day, unless it is a report day itself.
        let reports = &self.report_days;
        let (days, positions) = (&mut trial.days, &mut trial.report_positions);
        let mut r = 0;
        for &jump in &trial.jump_days {
            let before = r + reports[r..].partition_point(|&day| day < jump);
            add_reports(days, positions, &reports[r..before]);
            r = before;
            if reports.get(r) != Some(&jump) {
                days.push(jump);
            }
        }
        add_reports(days, positions, &reports[r..]);
    }

    fn mark_reports(trial: &mut Trial) {
        trial.is_report.clear();
        trial.is_report.resize(trial.days.len(), false);
        for &k in &trial.report_positions {
            trial.is_report[k as usize] = true;
        }
    }

    /// Finds the first day each target is met. Returns true when one that
    /// counts the host police was met on a day whose host count is not yet
    /// exact: then the days must be bridged and the targets checked again.
    /// (Elsewhere the answer is exact: those counts are at least the true
    /// ones, so a day they fail, the true counts fail too.)
    fn check_targets(&self, trial: &mut Trial) -> bool {
        trial.first_reached.clear();
        let mut needs_exact_host = false;
        for &(metric, at_least) in &self.targets {
            let first = match metric {
                Metric::PolicePer100k | Metric::SecurityPer1000 => first_ratio_day(trial, metric, at_least),
                _ => first_count_day(trial, metric, at_least),
            };
            let inexact = |k: usize| trial.host_skipped.iter().any(|skipped| skipped.contains(&k));
            needs_exact_host |= counts_host(metric) && first.is_some_and(inexact);
            trial.first_reached.push(first.map(|k| trial.days[k]));
        }
        needs_exact_host
    }
}

/// A ratio metric's value: `(host + international) * scale / population`.
#[inline(always)]
fn ratio(host: u32, international: u32, scale: f64, population: f64) -> f64 {
    (f64::from(host) + f64::from(international)) * scale / population
}

/// Appends report days to the evaluated days, noting their positions.
fn add_reports(days: &mut Vec<u32>, positions: &mut Vec<u32>, reports: &[u32]) {
    let start = days.len() as u32;
    positions.extend(start..start + reports.len() as u32);
    days.extend_from_slice(reports);
}

/// True for the metrics that count the host police.
fn counts_host(metric: Metric) -> bool {
    match metric {
        Metric::HostPolice | Metric::Police | Metric::SecurityForces => true,
        Metric::PolicePer100k | Metric::SecurityPer1000 => true,
        Metric::International | Metric::InternationalPolice | Metric::Contributor(_) => false,
    }
}

/// The first evaluated day on which a head-count metric is at least
/// `at_least`: a whole number `c` is at least `a` exactly when it is at
/// least `ceil(a)`, so the comparison is on integers.
fn first_count_day(trial: &Trial, metric: Metric, at_least: f64) -> Option<usize> {
    if at_least.is_nan() {
        return None;
    }
    let threshold = at_least.ceil().max(0.0);
    if threshold > f64::from(u32::MAX) {
        return None;
    }
    let threshold = threshold as u32;
    if let Metric::Contributor(c) = metric
        && trial.is_empty(c)
    {
        return (threshold == 0).then_some(0);
    }
    // One series scanned as a slice (no per-day dispatch on the metric).
    match trial.count_series(metric)? {
        CountSeries::One(series) => first_pair_where(series, series, |x, _| x >= threshold),
        CountSeries::Sum(a, b) => first_pair_where(a, b, |x, y| x.saturating_add(y) >= threshold),
    }
}

/// The first `k` with `test(a[k], b[k])` (over the shorter of the two).
/// The searches this serves mostly run long (targets met late or never,
/// runs of equal bins), so the days are passed over 16 at a time, by a
/// test of each without an exit, over slices (which the compiler
/// vectorizes: indexing day by day kept a bounds check on each), and only
/// the block where one passes is searched.
#[inline(always)]
pub(crate) fn first_pair_where(a: &[u32], b: &[u32], test: impl Fn(u32, u32) -> bool) -> Option<usize> {
    const BLOCK: usize = 16;
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut start = 0;
    for (x, y) in a.chunks_exact(BLOCK).zip(b.chunks_exact(BLOCK)) {
        if x.iter().zip(y).fold(false, |any, (&x, &y)| any | test(x, y)) {
            break;
        }
        start += BLOCK;
    }
    (a[start..].iter().zip(&b[start..]))
        .position(|(&x, &y)| test(x, y))
        .map(|place| start + place)
}

/// The first evaluated day on which a ratio metric is at least `at_least`.
/// A multiplication rules out most days (the count is well below
/// `at_least` people per `scale` of the population); only days near or
/// over the line are decided by the metric's own division, so the answer is
/// exactly that of comparing [`Trial::metric`] on every day.
fn first_ratio_day(trial: &Trial, metric: Metric, at_least: f64) -> Option<usize> {
    let (scale, intl) = trial.ratio_parts(metric)?;
    // Well below: count < at_least * pop / scale by more than rounding can blur.
    let margin = at_least / scale * (1.0 - 1e-9);
    // The population only grows or only shrinks over a trial, so a day
    // whose count is well below on the smaller end is well below on its
    // own day too: the days before the first whose count reaches that line
    // fail (a whole count is below the line exactly when it is below its
    // `ceil`), and without such a day, every day fails.
    let (Some(&first), Some(&last)) = (trial.population.first(), trial.population.last()) else {
        return None;
    };
    let line = (margin * first.min(last)).ceil();
    let start = if line <= f64::from(u32::MAX) {
        // (A negative line becomes 0: no day is ruled out. A NaN line takes
        // the other branch, which rules out none either.)
        let (host, intl) = (&trial.host, &intl[..trial.host.len()]);
        let line = line as u32;
        first_pair_where(host, intl, |h, i| h.saturating_add(i) >= line)?
    } else {
        let most = trial
            .host
            .iter()
            .zip(intl)
            .map(|(&h, &i)| u64::from(h) + u64::from(i))
            .max();
        if most.is_some_and(|most| (most as f64) < line) {
            return None;
        }
        0
    };
    (start..trial.days.len()).find(|&k| {
        let count = f64::from(trial.host[k]) + f64::from(intl[k]);
        count >= margin * trial.population[k] && ratio(trial.host[k], intl[k], scale, trial.population[k]) >= at_least
    })
}

/// Adds `counts` into `sums`, by `plain` additions (when no sum can pass
/// `u32::MAX`) or saturating ones.
#[inline(always)]
fn add_counts(sums: &mut [u32], counts: &[u32], plain: bool) {
    let pairs = sums.iter_mut().zip(counts);
    if plain {
        pairs.for_each(|(sum, &count)| *sum += count);
    } else {
        pairs.for_each(|(sum, &count)| *sum = sum.saturating_add(count));
    }
}

/// Zeroes the count from the withdrawal day, and scales it down through the
/// end-of-mission drawdown: `floor(n * max(0, 1 - (d - e) / drawdown))`.
fn apply_cutoffs(days: &[u32], out: &mut [u32], withdrawal_day: u32, end_mission: Option<(u32, u32)>) {
    let first_cut = withdrawal_day.min(end_mission.map_or(u32::MAX, |(end, _)| end));
    // Days before both cut-offs keep their counts.
    let from = days.partition_point(|&day| day < first_cut);
    for (slot, &day) in out[from..].iter_mut().zip(&days[from..]) {
        if day >= withdrawal_day {
            *slot = 0;
        } else if let Some((end, drawdown)) = end_mission
            && day >= end
        {
            // Whole-number arithmetic: n * (D - k) / D, rounded down, exactly.
            let elapsed = day - end;
            *slot = if elapsed >= drawdown {
                0
            } else {
                (u64::from(*slot) * u64::from(drawdown - elapsed) / u64::from(drawdown)) as u32
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Host counts on other groups' arrival days are bridged only when a
    /// target counting the host needs them; the day the target is first
    /// met, and the counts it was met with, are those of bridging at once.
    #[test]
    fn host_counts_are_bridged_when_a_target_needs_them() {
        let text = r#"
name = "bridged on demand"
[simulation]
start = 2024-01-01
horizon_days = 120
step = "week"
seed = 7
[population]
initial = 1000000
[host_police]
initial = 2000
attrition_per_year = 0.3
[[contributors]]
name = "A"
kind = "police"
pledged = 400
first_arrival_days = "uniform(8, 60)"
[[targets]]
name = "police"
metric = "police"
at_least = 2350
"#;
        let scenario = crate::scenario::parse_str(text, "test.toml").expect("a valid scenario");
        let model = Model::new(&scenario);
        let host = model.host.as_ref().expect("a host");
        let lambda = daily_rate(0.3);
        let mut trial = Trial::default();
        let (mut bridged, mut settled) = (0, 0);
        for index in 0..400 {
            model.run_trial(index, &mut trial);
            // The host's counts had every day been bridged at once.
            let mut exact = vec![0; trial.days.len()];
            strength_at(
                2000,
                &trial.host_arrivals,
                lambda,
                Schedule::new(&trial.days, &trial.is_report),
                &mut exact,
                &mut stream(7, index, host.process),
                Skipped::Bridge(&mut Bridge::new(7, index, host.bridge)),
            );
            let first = (0..trial.days.len()).find(|&k| exact[k] + trial.international_police[k] >= 2350);
            assert_eq!(trial.first_reached, vec![first.map(|k| trial.days[k])], "trial {index}");
            for (k, (&count, &exact)) in trial.host.iter().zip(&exact).enumerate() {
                let day = trial.days[k];
                if trial.is_report[k] {
                    assert_eq!(count, exact, "trial {index}, day {day}");
                } else {
                    assert!(count >= exact, "trial {index}, day {day}");
                }
            }
            if trial.host_skipped.is_empty() {
                // Bridged (or nothing to bridge): every count is exact.
                assert_eq!(trial.host, exact, "trial {index}");
                bridged += usize::from(trial.is_report.contains(&false));
            } else {
                settled += 1;
            }
        }
        assert!(
            bridged > 20 && settled > 20,
            "{bridged} bridged, {settled} settled without"
        );
    }

    /// Contingents' sums saturate at `u32::MAX` whichever way they are
    /// added: 50 contingents of 100 million each (with plain additions they
    /// would wrap; the scenario reader refuses them, so they are copied in
    /// after it), a few that cannot overflow (plain additions), and the two
    /// ways of `add_counts` alike wherever no sum passes `u32::MAX`.
    #[test]
    fn contingents_sums_saturate_like_every_head_count() {
        let contingents = |count: usize, deployed: u32| {
            let text = format!(
                "name = \"many\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\nstep = \"week\"\n\
                 [population]\ninitial = 1000000\n\
                 [[contributors]]\nname = \"C0\"\nkind = \"police\"\ndeployed = {deployed}\n"
            );
            let mut scenario = crate::scenario::parse_str(&text, "test.toml").expect("a valid scenario");
            let first = scenario.contributors[0].clone();
            scenario.contributors = (0..count)
                .map(|c| crate::scenario::Contributor {
                    name: format!("C{c}"),
                    ..first.clone()
                })
                .collect();
            let mut trial = Trial::default();
            Model::new(&scenario).run_trial(0, &mut trial);
            (trial.international[0], trial.international_police[0])
        };
        assert_eq!(contingents(50, 100_000_000), (u32::MAX, u32::MAX));
        assert_eq!(contingents(3, 100_000_000), (300_000_000, 300_000_000));
        let mut plain = vec![1, u32::MAX - 5, 7];
        let mut saturating = plain.clone();
        add_counts(&mut plain, &[2, 5, 0], true);
        add_counts(&mut saturating, &[2, 5, 0], false);
        assert_eq!(plain, saturating);
        add_counts(&mut saturating, &[0, 1, u32::MAX], false);
        assert_eq!(saturating, [3, u32::MAX, u32::MAX]);
    }

    /// The block-by-block search finds what a plain search finds, for
    /// lengths on and off the block size, one series or the sum of two,
    /// and thresholds at the extremes.
    #[test]
    fn first_pair_where_finds_what_a_plain_search_finds() {
        let mut rng = stream(9, 0, StreamId::of("first-reaching"));
        for case in 0..2_000u64 {
            let len = (case % 53) as usize;
            let counts: Vec<u32> = (0..len)
                .map(|_| match (unit(&mut rng) * 4.0) as u32 {
                    0 => u32::MAX - (unit(&mut rng) * 3.0) as u32,
                    _ => (unit(&mut rng) * 100.0) as u32,
                })
                .collect();
            // A second series as long, or one day shorter (the sum runs over the shorter).
            let shorter = (case as usize / 53) % 2;
            let others: Vec<u32> = counts.iter().rev().skip(shorter).map(|&c| c / 3).collect();
            for threshold in [0, 1, 50, 99, 100, u32::MAX - 1, u32::MAX] {
                let plain = (0..len).find(|&k| counts[k] >= threshold);
                assert_eq!(
                    first_pair_where(&counts, &counts, |x, _| x >= threshold),
                    plain,
                    "case {case}, threshold {threshold}"
                );
                let plain_sum = (0..others.len()).find(|&k| counts[k].saturating_add(others[k]) >= threshold);
                assert_eq!(
                    first_pair_where(&counts, &others, |x, y| x.saturating_add(y) >= threshold),
                    plain_sum,
                    "case {case}, threshold {threshold}, summed"
                );
            }
        }
    }

    /// A ratio metric's values in one pass, on every day or on some, are
    /// those of `Trial::metric` on each day, to the bit; head counts give
    /// none.
    #[test]
    fn ratios_in_one_pass_are_the_metric_on_each_day() {
        let mut rng = stream(11, 0, StreamId::of("ratio-series"));
        let mut trial = Trial::default();
        let mut population = 11.87e6;
        for day in 0..500u32 {
            trial.days.push(day);
            trial.host.push(if day == 7 {
                u32::MAX
            } else {
                (unit(&mut rng) * 6_000.0) as u32
            });
            let international = (unit(&mut rng) * 3_000.0) as u32;
            trial.international.push(international);
            trial.international_police.push(international / 3);
            trial.population.push(population);
            population *= 1.0 + (unit(&mut rng) - 0.5) * 1e-3;
        }
        let positions: Vec<u32> = (0..500).filter(|k| k % 7 == 0 || k % 11 == 3).collect();
        for metric in [Metric::PolicePer100k, Metric::SecurityPer1000] {
            let mut every_day = Vec::new();
            trial.ratios(metric, &positions, true, &mut every_day);
            let mut some_days = Vec::new();
            trial.ratios(metric, &positions, false, &mut some_days);
            let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let each: Vec<f64> = (0..500).map(|k| trial.metric(metric, k)).collect();
            assert_eq!(bits(&every_day), bits(&each));
            let picked: Vec<f64> = positions.iter().map(|&k| each[k as usize]).collect();
            assert_eq!(bits(&some_days), bits(&picked));
        }
        let mut none = Vec::new();
        trial.ratios(Metric::HostPolice, &positions, true, &mut none);
        assert!(none.is_empty());
    }

    /// The first day a ratio target is met, with its shortcuts, is the
    /// first day on which the ratio itself is at least the target, for
    /// growing and shrinking populations, targets on either side of what
    /// the trial reaches, and targets of 0, NaN, infinity and so high that
    /// their line at the smaller population passes `u32::MAX`.
    #[test]
    fn ratio_targets_are_met_on_the_first_day_the_ratio_is() {
        let mut rng = stream(9, 0, StreamId::of("ratio-days"));
        for case in 0..400u64 {
            let days = 40;
            let growth = [1.0004, 0.9996, 1.0][case as usize % 3];
            let mut trial = Trial::default();
            let mut population = 1.0e6;
            for day in 0..days {
                trial.days.push(day);
                trial.host.push(3_000 + (unit(&mut rng) * 500.0) as u32);
                let international = (unit(&mut rng) * 300.0) as u32;
                trial.international.push(international);
                trial.international_police.push(international / 2);
                trial.population.push(population);
                population *= growth;
            }
            for metric in [Metric::PolicePer100k, Metric::SecurityPer1000] {
                let values: Vec<f64> = (0..days as usize).map(|k| trial.metric(metric, k)).collect();
                let most = values.iter().copied().fold(f64::MIN, f64::max);
                let extremes = [0.0, f64::NAN, f64::INFINITY, 1e30, f64::MIN_POSITIVE];
                let near_most = [most * 0.9, most * (1.0 - 1e-12), most, most * (1.0 + 1e-12), most * 1.1];
                for at_least in near_most.into_iter().chain(extremes) {
                    let brute = values.iter().position(|&v| v >= at_least);
                    assert_eq!(
                        first_ratio_day(&trial, metric, at_least),
                        brute,
                        "case {case}, {at_least}"
                    );
                }
            }
        }
    }
}
