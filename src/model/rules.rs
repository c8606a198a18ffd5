//! The rules a contingent follows whichever way it is sampled (on its own
//! days, or followed event by event): the people an honoured pledge
//! delivers and the waves they come in (docs/MODEL.md §2.3), and the
//! end-of-mission drawdown (§2.5).

use super::strength::Arrival;
use super::withdrawal::Withdrawal;
use super::{ContributorModel, Key, Model};

/// Each contributor's plan in one trial, reused from trial to trial.
#[derive(Debug, Default, Clone)]
pub struct Plans {
    /// Per contributor: its waves (planned; for one not followed, those
    /// before its withdrawal).
    pub(super) arrivals: Vec<Vec<Arrival>>,
    /// Per contributor not followed: its withdrawal day (`u32::MAX`: none).
    pub(super) cutoffs: Vec<u32>,
    /// Per contributor: its drawn withdrawal, if it may withdraw.
    pub(super) withdrawals: Vec<Option<Withdrawal>>,
    /// Per contributor: followed event by event (docs/MODEL.md §2.10)?
    pub(super) followed: Vec<bool>,
    /// Per contributor and planned wave: the day a shock cancels it if it
    /// has not come by then (`u32::MAX`: never).
    pub(super) cancel_days: Vec<Vec<u32>>,
    /// Per contributor: the days a pledged wave may wait before it lapses.
    pub(super) max_wait: Vec<Option<u32>>,
}

/// What one contributor did in one trial, besides its head counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Pledged personnel that arrived within the horizon.
    pub delivered: u32,
    /// Day the last wave arrived, if every wave arrived within the horizon.
    pub last_wave_day: Option<u32>,
}

impl Model {
    /// Fills `arrivals` with the waves that arrive before `cutoff()` (asked
    /// only when something is to arrive) and within the horizon, and says
    /// what was delivered.
    pub(super) fn plan_arrivals(
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
        if model.pledged == 0 || !model.honoured.happens_in(key) {
            return Delivery::default();
        }
        let total = pledged_total(model, key);
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
}

/// The people a contributor's honoured pledge delivers in this trial
/// (`round(pledged × fulfilment)`, §2.3), before any cut-off.
pub(super) fn pledged_total(model: &ContributorModel, key: &Key) -> u32 {
    (f64::from(model.pledged) * model.fulfilment.once(key)).round() as u32
}

/// `n` scaled through the end-of-mission drawdown `end` (its day e and
/// length D) on `day`: `floor(n × (D − (day − e)) / D)` from e, 0 from
/// e + D, in exact whole-number arithmetic (docs/MODEL.md §2.5).
#[inline]
pub(super) fn drawn_down(n: u64, day: u32, end: Option<(u32, u32)>) -> u64 {
    match end {
        Some((end, drawdown)) if day >= end => {
            let elapsed = day - end;
            if elapsed >= drawdown {
                0
            } else {
                n * u64::from(drawdown - elapsed) / u64::from(drawdown)
            }
        }
        _ => n,
    }
}
