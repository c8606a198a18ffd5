//! Each trial's value of every uncertain input, for sensitivity analysis.
//!
//! Every input draws from its own stream keyed by (seed, trial, path), so
//! drawing an input again gives exactly the value the trial used. Inputs
//! drawn per class or per wave gap are summarised by their mean over the
//! draws a trial makes; a probability (a pledge honoured, an event, a class
//! graduating) enters as its outcome: 1 or 0, or the share of classes; a
//! contingent's withdrawal enters as the day it was drawn to leave
//! (`contributors.NAME.withdrawal_day`, `horizon + 1` when not within the
//! horizon), since whether and when it leaves is random even at a fixed rate.

use super::timeline::Named;
use super::{AvailableModel, Chance, Draw, Key, Model};
use crate::model::streams::stream;
use crate::model::strength::unit;

/// Where an input's per-trial value comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Population,
    Growth,
    HostInitial,
    HostAttrition,
    IntakeSize(usize),
    IntakeGraduates(usize),
    CourseDays,
    AvailableShare,
    AvailableCount(usize),
    Honoured(usize),
    Fulfilment(usize),
    FirstArrival(usize),
    WaveInterval(usize),
    Attrition(usize),
    Withdrawal(usize),
    WithdrawalDay(usize),
    EventHappens(usize),
    EventDay(usize),
    /// Model v2's inputs (rotations, costs, the fund), by index.
    Stepped(usize),
    /// An area's `population_share`, `host_police_share`.
    AreaPopulation(usize),
    AreaHost(usize),
}

/// The uncertain inputs of a model, named by their scenario paths.
#[derive(Debug, Clone)]
pub struct InputTable {
    pub paths: Vec<String>,
    sources: Vec<Source>,
}

fn uncertain_chance(chance: &Chance) -> bool {
    chance.probability > 0.0 && chance.probability < 1.0
}

impl Model {
    /// Every input that varies between trials, in scenario order.
    pub fn input_table(&self) -> InputTable {
        let mut table = InputTable {
            paths: Vec::new(),
            sources: Vec::new(),
        };
        let mut add = |path: String, source: Source, varies: bool| {
            if varies {
                table.paths.push(path);
                table.sources.push(source);
            }
        };
        add(
            "population.initial".into(),
            Source::Population,
            self.population.is_uncertain(),
        );
        add(
            "population.annual_growth".into(),
            Source::Growth,
            self.growth.is_uncertain(),
        );
        if let Some(host) = &self.host {
            add(
                "host_police.initial".into(),
                Source::HostInitial,
                host.initial.is_uncertain(),
            );
            let attrition = host.attrition.is_uncertain();
            add(
                "host_police.attrition_per_year".into(),
                Source::HostAttrition,
                attrition,
            );
            for (i, intake) in host.intakes.iter().enumerate() {
                let fires = intake.classes > 0;
                let size = fires && intake.size.is_uncertain();
                add(
                    format!("host_police.intakes.{}.size", i + 1),
                    Source::IntakeSize(i),
                    size,
                );
                let graduates = fires && uncertain_chance(&intake.graduates);
                add(
                    format!("host_police.intakes.{}.probability", i + 1),
                    Source::IntakeGraduates(i),
                    graduates,
                );
            }
            self.layer_inputs(&mut add);
        }
        self.contributor_inputs(&mut add);
        for (e, event) in self.events.iter().enumerate() {
            let path = |field: &str| format!("events.{}.{field}", event.name);
            add(
                path("probability"),
                Source::EventHappens(e),
                uncertain_chance(&event.happens),
            );
            add(path("day"), Source::EventDay(e), event.day.is_uncertain());
        }
        for (i, (path, named)) in self.timeline.named.iter().enumerate() {
            let varies = match named {
                Named::Draw(draw) => draw.is_uncertain(),
                Named::Chance(chance) => uncertain_chance(chance),
            };
            add(path.clone(), Source::Stepped(i), varies);
        }
        for (a, model) in self.areas.iter().enumerate() {
            let path = |field: &str| format!("areas.{}.{field}", model.name);
            let population = model.population_share.is_uncertain();
            add(path("population_share"), Source::AreaPopulation(a), population);
            let host = model.host_share.is_uncertain();
            add(path("host_police_share"), Source::AreaHost(a), host);
        }
        table
    }

    /// The host police layers' uncertain inputs, each passed to `add`.
    fn layer_inputs(&self, add: &mut impl FnMut(String, Source, bool)) {
        let Some(host) = &self.host else { return };
        if let Some(course) = &host.course {
            add(
                "host_police.course_days".into(),
                Source::CourseDays,
                course.is_uncertain(),
            );
        }
        match &host.available {
            Some(AvailableModel::Share(share)) => add(
                "host_police.available_share".into(),
                Source::AvailableShare,
                share.is_uncertain(),
            ),
            Some(AvailableModel::Series(entries)) => {
                for (i, (_, count)) in entries.iter().enumerate() {
                    let path = format!("host_police.available.{}.count", i + 1);
                    add(path, Source::AvailableCount(i), count.is_uncertain());
                }
            }
            Some(AvailableModel::Payroll) | None => {}
        }
    }

    /// The contingents' uncertain inputs, each passed to `add` (path,
    /// source, whether it varies), for [`Model::input_table`].
    fn contributor_inputs(&self, add: &mut impl FnMut(String, Source, bool)) {
        for (c, model) in self.contributors.iter().enumerate() {
            let path = |field: &str| format!("contributors.{}.{field}", model.name);
            let pledge = model.pledged > 0;
            add(
                path("probability"),
                Source::Honoured(c),
                pledge && uncertain_chance(&model.honoured),
            );
            add(
                path("fulfilment"),
                Source::Fulfilment(c),
                pledge && model.fulfilment.is_uncertain(),
            );
            let first = pledge && model.first_arrival.is_uncertain();
            add(path("first_arrival_days"), Source::FirstArrival(c), first);
            let gaps = pledge && model.waves > 1 && model.interval.is_uncertain();
            add(path("wave_interval_days"), Source::WaveInterval(c), gaps);
            add(
                path("attrition_per_year"),
                Source::Attrition(c),
                model.attrition.is_uncertain(),
            );
            add(
                path("withdrawal_per_year"),
                Source::Withdrawal(c),
                model.withdrawal.is_uncertain(),
            );
            let may_leave = model.withdrawal.is_uncertain() || model.withdrawal.once(&Key::constant()) > 0.0;
            let present = model.deployed > 0 || model.pledged > 0;
            add(path("withdrawal_day"), Source::WithdrawalDay(c), may_leave && present);
        }
    }

    /// Each input's values over `trials`, one column per input of `table`.
    pub fn input_columns(&self, table: &InputTable, trials: std::ops::Range<u64>) -> Vec<Vec<f64>> {
        let mut columns = vec![Vec::new(); table.paths.len()];
        let mut values = Vec::new();
        for index in trials {
            self.input_values(table, index, &mut values);
            for (column, v) in columns.iter_mut().zip(&values) {
                column.push(*v);
            }
        }
        columns
    }

    /// The copula's value of the correlated draw at `path` in each of
    /// `trials`: for a latent draw (a pledge's honour, its uniform; a
    /// withdrawal, its wait), what the trial compares or waits on;
    /// `None` when `path` is not correlated.
    pub fn correlated_column(&self, path: &str, trials: std::ops::Range<u64>) -> Option<Vec<f64>> {
        let copula = self.copula.as_ref()?;
        let slot = copula.slot_of(path)?;
        let mut values = Vec::new();
        Some(
            trials
                .map(|index| {
                    copula.sample(self.seed, index, &mut values);
                    values[slot]
                })
                .collect(),
        )
    }

    /// Trial `index`'s value of each input of `table`, into `out`.
    pub fn input_values(&self, table: &InputTable, index: u64, out: &mut Vec<f64>) {
        let mut correlated = Vec::new();
        if let Some(copula) = &self.copula {
            copula.sample(self.seed, index, &mut correlated);
        }
        let key = Key {
            seed: self.seed,
            index,
            correlated: &correlated,
        };
        out.clear();
        out.extend(table.sources.iter().map(|&source| self.input_value(source, &key)));
    }

    fn input_value(&self, source: Source, key: &Key) -> f64 {
        let bit = |chance: &Chance| f64::from(u8::from(chance.happens_in(key)));
        let host = || self.host.as_ref();
        let once = |draw: Option<&Draw>| draw.map_or(f64::NAN, |d| d.once(key));
        match source {
            Source::Population => self.population.once(key),
            Source::Growth => self.growth.once(key),
            Source::HostInitial => once(host().map(|h| &h.initial)),
            Source::HostAttrition => once(host().map(|h| &h.attrition)),
            Source::IntakeSize(i) => host()
                .and_then(|h| h.intakes.get(i))
                .map_or(f64::NAN, |intake| intake.size.mean_of_many(key, intake.classes)),
            Source::IntakeGraduates(i) => host().and_then(|h| h.intakes.get(i)).map_or(f64::NAN, |intake| {
                let mut rng = stream(key.seed, key.index, intake.graduates.id);
                let passed = (0..intake.classes)
                    .filter(|_| unit(&mut rng) < intake.graduates.probability)
                    .count();
                passed as f64 / intake.classes.max(1) as f64
            }),
            Source::CourseDays => once(host().and_then(|h| h.course.as_ref())),
            Source::AvailableShare => match host().and_then(|h| h.available.as_ref()) {
                Some(AvailableModel::Share(share)) => share.once(key),
                _ => f64::NAN,
            },
            Source::AvailableCount(i) => match host().and_then(|h| h.available.as_ref()) {
                Some(AvailableModel::Series(entries)) => once(entries.get(i).map(|(_, count)| count)),
                _ => f64::NAN,
            },
            Source::Honoured(c) => bit(&self.contributors[c].honoured),
            Source::Fulfilment(c) => self.contributors[c].fulfilment.once(key),
            Source::FirstArrival(c) => self.contributors[c].first_arrival.once(key),
            Source::WaveInterval(c) => {
                let model = &self.contributors[c];
                model.interval.mean_of_many(key, model.waves.saturating_sub(1) as usize)
            }
            Source::Attrition(c) => self.contributors[c].attrition.once(key),
            Source::Withdrawal(c) => self.contributors[c].withdrawal.once(key),
            Source::WithdrawalDay(c) => match self.withdrawal_day(&self.contributors[c], key) {
                u32::MAX => f64::from(self.horizon) + 1.0,
                day => f64::from(day),
            },
            Source::EventHappens(e) => bit(&self.events[e].happens),
            Source::EventDay(e) => self.events[e].day.once(key),
            Source::Stepped(i) => match self.timeline.named.get(i) {
                Some((_, Named::Draw(draw))) => draw.once(key),
                Some((_, Named::Chance(chance))) => bit(chance),
                None => f64::NAN,
            },
            Source::AreaPopulation(a) => once(self.areas.get(a).map(|area| &area.population_share)),
            Source::AreaHost(a) => once(self.areas.get(a).map(|area| &area.host_share)),
        }
    }
}
