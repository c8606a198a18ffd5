//! Shocks: events that last and hit several contributors at once, so that
//! pledges fail together (docs/MODEL.md §2.14). Each rule is one function
//! here, used both by contingents sampled on their own days (whose planned
//! waves and withdrawal day it changes before they are sampled) and by
//! those followed event by event (whose queue and hazard it changes on the
//! day).

use super::draw::Draw;
use super::streams::{StreamId, stream};
use super::strength::unit;
use super::withdrawal::Withdrawal;
use super::{Key, Model};
use crate::scenario::{Effect, Event};

/// A shock of the scenario, compiled: what it does, to whom, and its draws.
#[derive(Debug, Clone)]
pub(super) struct ShockModel {
    /// Its event (index into the scenario's events).
    event: usize,
    effect: Effect,
    duration: Option<Draw>,
    size: Option<Draw>,
    /// Per contributor: hit? (`None`: everyone.)
    hits: Option<Vec<bool>>,
    /// cancel_pledges: per contributor, the stream of its waves' draws.
    cancel_streams: Vec<StreamId>,
}

/// A shock that happens in one trial: days `start` to `end - 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Shock {
    pub(super) effect: Effect,
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) size: f64,
    /// Index into [`Model::shocks`].
    model: usize,
}

impl ShockModel {
    /// The shocks among `events`, compiled for `contributors` contributors.
    pub(super) fn compile(
        events: &[Event],
        names: &[String],
        shared: Option<&super::copula::Copula>,
    ) -> Vec<ShockModel> {
        let contributors = names.len();
        events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.effect.is_shock())
            .map(|(event, e)| ShockModel {
                event,
                effect: e.effect,
                duration: e.duration_days.as_ref().map(|d| Draw::new(d, shared)),
                size: e.size.as_ref().map(|s| Draw::new(s, shared)),
                hits: e.contributors.as_ref().map(|list| {
                    let mut hits = vec![false; contributors];
                    list.iter().for_each(|&c| hits[c] = true);
                    hits
                }),
                cancel_streams: names
                    .iter()
                    .map(|name| StreamId::of(&format!("events.{}.cancelled.{name}", e.name)))
                    .collect(),
            })
            .collect()
    }
}

impl Model {
    /// The shocks that happen in this trial (their events happened), each
    /// with its drawn duration (to the horizon without one) and size.
    pub(super) fn sample_shocks(&self, key: &Key, event_days: &[Option<u32>], out: &mut Vec<Shock>) {
        out.clear();
        for (model, shock) in self.shocks.iter().enumerate() {
            let Some(start) = event_days.get(shock.event).copied().flatten() else {
                continue;
            };
            let end = match &shock.duration {
                Some(duration) => start.saturating_add(duration.once(key) as u32),
                None => self.horizon.saturating_add(1),
            };
            out.push(Shock {
                effect: shock.effect,
                start,
                end,
                size: shock.size.as_ref().map_or(1.0, |s| s.once(key)),
                model,
            });
        }
    }

    /// Whether a shock with `effect` is in force on `day` and hits `c`.
    pub(super) fn in_force(&self, shock: &Shock, effect: Effect, c: usize, day: u32) -> bool {
        shock.effect == effect && shock.start <= day && day < shock.end && self.hits(shock, c)
    }

    /// Whether `shock` hits contributor `c`.
    pub(super) fn hits(&self, shock: &Shock, c: usize) -> bool {
        self.shocks[shock.model].hits.as_ref().is_none_or(|hits| hits[c])
    }

    /// The first day from `day` on that no pause of contributor `c` holds:
    /// an arrival due on `day` comes then (`day` when nothing holds it).
    pub(super) fn held_until(&self, shocks: &[Shock], c: usize, day: u32) -> u32 {
        let mut day = day;
        loop {
            let paused = shocks
                .iter()
                .filter(|s| self.in_force(s, Effect::PauseArrivals, c, day));
            match paused.map(|s| s.end).max() {
                Some(end) => day = end,
                None => return day,
            }
        }
    }

    /// The factor the shocks put on contributor `c`'s withdrawal hazard on `day`.
    pub(super) fn shock_factor(&self, shocks: &[Shock], c: usize, day: u32) -> f64 {
        shocks
            .iter()
            .filter(|s| self.in_force(s, Effect::RaiseWithdrawal, c, day))
            .map(|s| s.size)
            .product()
    }

    /// Contributor `c`'s withdrawal under the shocks' factors, each from the
    /// day it starts to the day it ends (before any arrears).
    pub(super) fn shocked_withdrawal(&self, shocks: &[Shock], c: usize, withdrawal: &mut Withdrawal) {
        let mut days: Vec<u32> = shocks
            .iter()
            .filter(|s| s.effect == Effect::RaiseWithdrawal && self.hits(s, c))
            .flat_map(|s| [s.start, s.end])
            .collect();
        days.sort_unstable();
        days.dedup();
        for day in days {
            withdrawal.set_factor(day, self.shock_factor(shocks, c, day));
        }
    }

    /// For each of contributor `c`'s `waves` pledged waves, the day a
    /// cancel_pledges shock cancels it if it has not arrived by then
    /// (`u32::MAX`: none does): each shock that hits `c` draws one uniform
    /// per wave, in order, from its own stream, and cancels the wave when
    /// the draw is below its share.
    pub(super) fn cancel_days(&self, shocks: &[Shock], key: &Key, c: usize, waves: usize, out: &mut Vec<u32>) {
        out.clear();
        out.resize(waves, u32::MAX);
        for shock in shocks
            .iter()
            .filter(|s| s.effect == Effect::CancelPledges && self.hits(s, c))
        {
            let mut rng = stream(key.seed, key.index, self.shocks[shock.model].cancel_streams[c]);
            for day in out.iter_mut() {
                if unit(&mut rng) < shock.size {
                    *day = (*day).min(shock.start);
                }
            }
        }
    }
}
