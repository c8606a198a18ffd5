//! `calibrate --validate COLUMN`: is the calibration any good on records it
//! was not fitted to? Each value of COLUMN (each mission) is held out in
//! turn: the pooled fit of all the other records predicts its pledges, and
//! the predictions are scored next to those of a flat prior (honour
//! Beta(1, 1), fulfilment uniform(0, 1), delay lognormal with median 180
//! days and sigma 1). Four scores, each a mean over the held-out pledges it
//! can score, lower better:
//!
//! - `honour_brier`: `(P - y)^2`, `y` = 1 if people arrived by the row's
//!   `as_of_date` (`c` days after the pledge), `P = p F(c)` the predicted
//!   chance of that (honoured, and on time): never-honoured and still-open
//!   pledges both have `y` = 0, so the open ones count through `F(c)`;
//! - `delay_log`: `-ln f(t)` (per day) for an arrival after `t` days;
//!   `-ln S(c)` for a pledge still open after `c` days (right-censored);
//! - `delay_crps` (days): the lognormal's CRPS at `t`; for an open pledge
//!   the censored (survival) CRPS `int_0^c F(x)^2 dx`, the part of the CRPS
//!   that the observation fixes (Avati et al., 2020);
//! - `fulfilment_crps`: the beta's CRPS at the share delivered.
//!
//! A never-honoured pledge has no delay to score. A same-day arrival, and
//! watching of less than half a day, count as half a day, as in the fit.

use std::collections::{BTreeMap, HashSet};

use statrs::distribution::{Beta, ContinuousCDF};

use super::delay::{SAME_DAY, survival};
use super::records::{RecordProblem, RecordsError, UNKNOWN};
use super::{Fit, MAX_WORK, Record, Records, Stop, fit, honour};

/// The scores, in row order.
pub const SCORES: [&str; 4] = ["honour_brier", "delay_log", "delay_crps", "fulfilment_crps"];
/// The name of the rows that pool every held-out prediction.
pub const ALL: &str = "all";
/// The flat prior's delay: median 180 days, sigma 1.
pub const FLAT_DELAY: (f64, f64) = (5.192_956_850_890_212, 1.0);

/// One row of `validation.csv`: a held-out value, a score, the number of
/// pledges scored, and the means of the fitted and the flat predictions
/// (`None` when nothing could be scored or the fit lacks the quantity).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationRow {
    pub held_out: String,
    pub score: &'static str,
    pub records: usize,
    pub fitted: Option<f64>,
    pub flat: Option<f64>,
}

/// What predicts a held-out pledge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The probability a pledge is honoured.
    pub honour: f64,
    /// The delay lognormal's `(mu, sigma)`.
    pub delay: Option<(f64, f64)>,
    /// The fulfilment beta's `(alpha, beta)`.
    pub fulfilment: Option<(f64, f64)>,
}

impl Prediction {
    /// The flat prior.
    pub const FLAT: Prediction = Prediction {
        honour: 0.5,
        delay: Some(FLAT_DELAY),
        fulfilment: Some((1.0, 1.0)),
    };

    /// A fit's prediction: the honour posterior's mean, the delay and fulfilment.
    pub fn of(fit: &Fit) -> Prediction {
        Prediction {
            honour: honour::mean(fit.honour),
            delay: fit.delay,
            fulfilment: fit.fulfilment,
        }
    }

    /// Each score of `r`, where it has one (in [`SCORES`] order).
    pub fn scores(&self, r: &Record) -> [Option<f64>; 4] {
        let watched = r.watched_days().max(SAME_DAY);
        let arrived_by = |d: Option<(f64, f64)>| d.map_or(1.0, |(mu, s)| 1.0 - survival((watched.ln() - mu) / s));
        let y = if r.arrived() { 1.0 } else { 0.0 };
        let brier = (self.honour * arrived_by(self.delay) - y).powi(2);
        let (log, crps) = match (self.delay, r.delay_days(), r.open()) {
            (Some((mu, s)), Some(t), _) => {
                let t = t.max(SAME_DAY);
                (Some(-log_density(mu, s, t)), Some(lognormal_crps(mu, s, t)))
            }
            (Some((mu, s)), None, true) => {
                let log = -survival((watched.ln() - mu) / s).max(f64::MIN_POSITIVE).ln();
                (Some(log), Some(censored_crps(mu, s, watched)))
            }
            _ => (None, None),
        };
        let share = match (self.fulfilment, r.fulfilment()) {
            (Some((a, b)), Some(y)) => Some(beta_crps(a, b, y)),
            _ => None,
        };
        [Some(brier), log, crps, share]
    }
}

/// `ln f(t)` of the lognormal `(mu, sigma)`, per day.
pub fn log_density(mu: f64, sigma: f64, t: f64) -> f64 {
    let z = (t.ln() - mu) / sigma;
    -0.5 * z * z - (sigma * t * (2.0 * std::f64::consts::PI).sqrt()).ln()
}

/// The CRPS of the lognormal `(mu, sigma)` at `y` (Baran and Lerch, 2015):
/// `y (2 Phi(z) - 1) - 2 e^(mu + sigma^2/2) (Phi(z - sigma) + Phi(sigma/sqrt 2) - 1)`.
pub fn lognormal_crps(mu: f64, sigma: f64, y: f64) -> f64 {
    let phi = |x: f64| 1.0 - survival(x);
    let z = (y.ln() - mu) / sigma;
    let mean = (mu + sigma * sigma / 2.0).exp();
    y * (2.0 * phi(z) - 1.0) - 2.0 * mean * (phi(z - sigma) + phi(sigma / std::f64::consts::SQRT_2) - 1.0)
}

/// `int_0^c F(x)^2 dx` for the lognormal `(mu, sigma)`: the CRPS of a delay
/// known only to be longer than `c`. Simpson's rule in `u = ln x`, from 12
/// sigma below the median (where `F^2 e^u` is below 1e-30 of the rest).
pub fn censored_crps(mu: f64, sigma: f64, c: f64) -> f64 {
    let (low, high) = (mu - 12.0 * sigma, c.ln());
    if high <= low {
        return 0.0;
    }
    let f = |u: f64| {
        let cdf = 1.0 - survival((u - mu) / sigma);
        cdf * cdf * u.exp()
    };
    simpson(f, low, high, 4000)
}

/// The CRPS of the beta `(a, b)` at `y`: `int_0^1 (F(x) - 1{x >= y})^2 dx`,
/// by Simpson's rule on each side of `y`.
pub fn beta_crps(a: f64, b: f64, y: f64) -> f64 {
    let Ok(d) = Beta::new(a, b) else {
        return f64::NAN;
    };
    let below = simpson(|x| d.cdf(x).powi(2), 0.0, y, 2000);
    let above = simpson(|x| (1.0 - d.cdf(x)).powi(2), y, 1.0, 2000);
    below + above
}

/// Simpson's rule with `n` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    if b <= a {
        return 0.0;
    }
    let h = (b - a) / n as f64;
    let inner: f64 = (1..n)
        .map(|i| f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    (f(a) + f(b) + inner) * h / 3.0
}

/// Holds out each value of `column` in turn and scores the fit of the
/// others on it, then every held-out prediction together ([`ALL`]).
pub fn validate(records: &Records, column: &str, file: &str, stop: Stop) -> Result<Vec<ValidationRow>, RecordsError> {
    let Some(at) = records.column(column) else {
        let message = format!(
            "--validate {column}: the file has no such column (its columns: {})",
            records.header.join(", ")
        );
        return Err(RecordsError::whole(file, message));
    };
    let mut by_value: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in &records.rows {
        let value = r.cells[at].as_str();
        by_value
            .entry(if value.is_empty() { UNKNOWN } else { value })
            .or_default()
            .push(r);
    }
    if by_value.len() < 2 {
        let message = format!("--validate {column}: needs at least two values to hold out one at a time");
        return Err(RecordsError {
            file: file.to_string(),
            problems: vec![RecordProblem {
                line: 0,
                column: column.to_string(),
                message,
            }],
        });
    }
    let work = by_value.len() as u64 * records.rows.len() as u64;
    if work > MAX_WORK {
        let message = format!(
            "--validate {column}: {} values x {} records = {work} fits of a record; at most {MAX_WORK} are allowed",
            by_value.len(),
            records.rows.len()
        );
        return Err(RecordsError::whole(file, message));
    }
    let mut rows = Vec::new();
    let mut pooled: [Totals; 4] = Default::default();
    for (value, held) in &by_value {
        if stop() {
            break;
        }
        let lines: HashSet<u64> = held.iter().map(|r| r.line).collect();
        let others: Vec<&Record> = records.rows.iter().filter(|r| !lines.contains(&r.line)).collect();
        let fitted = Prediction::of(&fit(&others));
        let mut totals: [Totals; 4] = Default::default();
        for r in held {
            let (f, g) = (fitted.scores(r), Prediction::FLAT.scores(r));
            for k in 0..4 {
                totals[k].add(f[k], g[k]);
                pooled[k].add(f[k], g[k]);
            }
        }
        rows.extend(score_rows(value, &totals));
    }
    rows.extend(score_rows(ALL, &pooled));
    Ok(rows)
}

/// Sums of one score over the pledges scored.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    records: usize,
    fitted: f64,
    fitted_n: usize,
    flat: f64,
}

impl Totals {
    fn add(&mut self, fitted: Option<f64>, flat: Option<f64>) {
        let Some(flat) = flat else {
            return;
        };
        self.records += 1;
        self.flat += flat;
        if let Some(f) = fitted {
            self.fitted += f;
            self.fitted_n += 1;
        }
    }
}

fn score_rows(value: &str, totals: &[Totals; 4]) -> Vec<ValidationRow> {
    SCORES
        .iter()
        .zip(totals)
        .map(|(score, t)| ValidationRow {
            held_out: value.to_string(),
            score,
            records: t.records,
            // A mean over every pledge scored, or none when the fit could
            // not score them all (it lacks the quantity).
            fitted: (t.records > 0 && t.fitted_n == t.records).then(|| t.fitted / t.records as f64),
            flat: (t.records > 0).then(|| t.flat / t.records as f64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crps_forms_agree_with_their_definition() {
        // Lognormal: the closed form against int (F - 1{x >= y})^2 dx, and
        // the censored part is its integral below y.
        let (mu, s, y) = (5.0, 0.8, 90.0);
        let cdf = |x: f64| 1.0 - survival((x.ln() - mu) / s);
        let below = simpson(|x| cdf(x).powi(2), 1e-9, y, 200_000);
        let above = simpson(|x| (1.0 - cdf(x)).powi(2), y, 60_000.0, 400_000);
        let exact = lognormal_crps(mu, s, y);
        assert!(
            (below + above - exact).abs() < 1e-4 * exact,
            "{} vs {exact}",
            below + above
        );
        assert!(
            (censored_crps(mu, s, y) - below).abs() < 1e-6 * below.max(1.0),
            "{below}"
        );
        // Uniform (beta(1, 1)): y^3/3 + (1 - y)^3/3.
        for y in [0.0, 0.3, 1.0] {
            let exact = (y * y * y + (1.0 - y) * (1.0 - y) * (1.0 - y)) / 3.0;
            assert!((beta_crps(1.0, 1.0, y) - exact).abs() < 1e-9, "{y}");
        }
        // Log density: the lognormal pdf.
        let t: f64 = 120.0;
        let pdf = (-((t.ln() - mu) / s).powi(2) / 2.0).exp() / (t * s * (2.0 * std::f64::consts::PI).sqrt());
        assert!((log_density(mu, s, t) - pdf.ln()).abs() < 1e-12);
        assert!((FLAT_DELAY.0.exp() - 180.0).abs() < 1e-9);
    }
}
