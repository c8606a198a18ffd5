//! `forcegen calibrate`: priors for a scenario's pledge inputs, fitted from
//! records of past pledges (docs/calibration.md).
//!
//! Per group of records (all of them, and each value of the `--by` columns):
//! - [`honour`]: the probability a pledge is honoured, a Beta posterior
//!   from a Beta(1, 1) prior;
//! - [`fulfilment`]: the share of an honoured pledge delivered at its peak,
//!   a beta by maximum likelihood;
//! - [`delay`]: days from pledge to first arrival, a lognormal by censored
//!   maximum likelihood (pledges not arrived by their `as_of_date` count
//!   through their survival, not dropped), also as "A to B" (5th to 95th);
//! - [`bootstrap`]: 90% intervals of each, from resampled records.
//!
//! [`records`] reads and checks the file; [`write`] renders
//! `calibration.csv` and `priors.toml`. Pure computations: the command
//! layer prints and writes.

pub mod bootstrap;
pub mod delay;
pub mod fulfilment;
pub mod honour;
pub mod pooling;
pub mod records;
#[cfg(test)]
mod recovery;
mod simplex;
pub mod validate;
pub mod write;

use std::collections::BTreeMap;

use rayon::prelude::*;

pub use records::{
    Arrival, MAX_RECORDS, MAX_RECORDS_BYTES, Record, RecordProblem, Records, RecordsError, read_records,
};

use crate::scenario::Z95;
use pooling::{Counts, Pooling, Shrinkage, pooling_of};

/// The name of the group of all records.
pub const POOLED: &str = "all";
/// Bootstrap resamples by default.
pub const RESAMPLES: usize = 1000;
/// Most resamples anyone may ask for.
pub const MAX_RESAMPLES: usize = 100_000;
/// Most groups `--by` may make.
pub const MAX_GROUPS: usize = 1000;
/// Most records x resamples a run may fit (about 10 s on one core).
pub const MAX_WORK: u64 = 10_000_000;

/// Asked between resamples: true stops the work (Ctrl-C); what was found
/// is then incomplete and must not be written.
pub type Stop<'s> = &'s (dyn Fn() -> bool + Sync);

/// Never stops.
pub fn never() -> bool {
    false
}
/// The seed of the resamples by default.
pub const SEED: u64 = 1;

/// The quantities of `calibration.csv`, in row order within a group.
pub const QUANTITIES: [&str; 11] = [
    "honour",
    "honour_alpha",
    "honour_beta",
    "fulfilment_mean",
    "fulfilment_alpha",
    "fulfilment_beta",
    "delay_mu",
    "delay_sigma",
    "delay_p5_days",
    "delay_p50_days",
    "delay_p95_days",
];

/// One fit of a group's records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// The Beta posterior of the honour probability.
    pub honour: (f64, f64),
    /// Fulfilment's beta, when at least two different shares are known.
    pub fulfilment: Option<(f64, f64)>,
    /// The delay lognormal's `mu` and `sigma`, when at least two different
    /// delays are known.
    pub delay: Option<(f64, f64)>,
}

impl Fit {
    /// The value of each of [`QUANTITIES`].
    pub fn values(&self) -> [Option<f64>; 11] {
        let (ha, hb) = self.honour;
        let f = self.fulfilment;
        let d = self.delay;
        [
            Some(honour::mean(self.honour)),
            Some(ha),
            Some(hb),
            f.map(|(a, b)| a / (a + b)),
            f.map(|(a, _)| a),
            f.map(|(_, b)| b),
            d.map(|(mu, _)| mu),
            d.map(|(_, s)| s),
            d.map(|(mu, s)| (mu - Z95 * s).exp()),
            d.map(|(mu, _)| mu.exp()),
            d.map(|(mu, s)| (mu + Z95 * s).exp()),
        ]
    }
}

/// A group's fit, its intervals and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFit {
    pub name: String,
    pub records: usize,
    /// Records still open at their `as_of_date` (not arrived, peak empty).
    pub censored: usize,
    /// Records never honoured (not arrived, peak 0).
    pub never: usize,
    /// Records with a fulfilment share (arrived, peak known).
    pub shares: usize,
    pub fit: Fit,
    /// The 90% bootstrap interval of each of [`QUANTITIES`].
    pub intervals: [Option<(f64, f64)>; 11],
    /// How far the fit moved toward the pooled one (`None` for the pooled group).
    pub shrinkage: Option<Shrinkage>,
}

/// Everything `calibrate` found.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    pub by: Vec<String>,
    pub seed: u64,
    pub resamples: usize,
    pub groups: Vec<GroupFit>,
}

/// Fits one set of records. Without a delay fit (fewer than two different
/// dated arrivals) a pledge still open counts as not honoured.
pub fn fit(rows: &[&Record]) -> Fit {
    let data = delay::DelayData {
        arrived: rows.iter().filter_map(|r| r.delay_days()).collect(),
        undated: rows.iter().filter(|r| r.arrived() && r.delay_days().is_none()).count(),
        never: rows.iter().filter(|r| r.never()).count(),
        censored: rows.iter().filter(|r| r.open()).map(|r| r.watched_days()).collect(),
    };
    let shares: Vec<f64> = rows.iter().filter_map(|r| r.fulfilment()).collect();
    let delay = delay::fit(&data);
    let came = data.arrived.len() + data.undated;
    let honoured = came as f64 + delay.map_or(0.0, |d| d.late);
    Fit {
        honour: honour::posterior(honoured, rows.len() as f64),
        fulfilment: fulfilment::fit_beta(&shares),
        delay: delay.map(|d| (d.mu, d.sigma)),
    }
}

/// Fits the group `name` (shrunk by `pooling`, if any) and its bootstrap intervals.
pub fn fit_group(
    name: &str,
    rows: &[&Record],
    (seed, resamples): (u64, usize),
    pooling: Option<&Pooling>,
    stop: Stop,
) -> GroupFit {
    let shrunk = |picked: &[&Record]| {
        let own = fit(picked);
        match pooling {
            Some(p) => {
                let (fit, s) = p.shrink(&own, &Counts::of(picked));
                (fit, Some(s))
            }
            None => (own, None),
        }
    };
    let (point, shrinkage) = shrunk(rows);
    let fits: Vec<[Option<f64>; 11]> = (0..resamples as u64)
        .into_par_iter()
        .map(|k| {
            if stop() {
                return [None; 11];
            }
            let picked: Vec<&Record> = bootstrap::resample(seed, name, k, rows.len())
                .into_iter()
                .map(|i| rows[i])
                .collect();
            shrunk(&picked).0.values()
        })
        .collect();
    let intervals = std::array::from_fn(|q| {
        let mut values: Vec<f64> = fits.iter().filter_map(|v| v[q]).collect();
        bootstrap::interval(&mut values, resamples)
    });
    GroupFit {
        name: name.to_string(),
        records: rows.len(),
        censored: rows.iter().filter(|r| r.open()).count(),
        never: rows.iter().filter(|r| r.never()).count(),
        shares: rows.iter().filter(|r| r.fulfilment().is_some()).count(),
        fit: point,
        intervals,
        shrinkage,
    }
}

/// The groups of `records`: all of them ([`POOLED`]), then one per value
/// (or combination of values, joined by `/`) of the `by` columns.
pub fn groups<'r>(
    records: &'r Records,
    by: &[String],
    file: &str,
) -> Result<Vec<(String, Vec<&'r Record>)>, RecordsError> {
    let mut columns = Vec::new();
    for name in by {
        match records.column(name) {
            Some(at) => columns.push(at),
            None => {
                let message = format!(
                    "--by {name}: the file has no such column (its columns: {})",
                    records.header.join(", ")
                );
                return Err(RecordsError::whole(file, message));
            }
        }
    }
    let all: Vec<&Record> = records.rows.iter().collect();
    let mut groups = vec![(POOLED.to_string(), all)];
    if columns.is_empty() {
        return Ok(groups);
    }
    let mut by_values: BTreeMap<Vec<&str>, Vec<&Record>> = BTreeMap::new();
    for r in &records.rows {
        // An empty cell (a fact not known) groups as "unknown".
        let values: Vec<&str> = columns
            .iter()
            .map(|at| r.cells[*at].as_str())
            .map(|c| if c.is_empty() { records::UNKNOWN } else { c })
            .collect();
        by_values.entry(values).or_default().push(r);
    }
    let mut by_name: BTreeMap<String, Vec<&Record>> = BTreeMap::new();
    let mut named: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (values, rows) in by_values {
        let name = values.join("/");
        let line = rows[0].line;
        if name == POOLED {
            let message = format!("--by: \"{POOLED}\" cannot be a group's name: it names the group of all records");
            return Err(on_line(file, line, &by.join("/"), message));
        }
        if let Some(first) = named.get(&name) {
            let message = format!(
                "--by: the values {} and {} both make the group name \"{name}\"; change a value (a `/` in one \
                 joins like two columns)",
                quoted_values(first),
                quoted_values(&values)
            );
            return Err(on_line(file, line, &by.join("/"), message));
        }
        named.insert(name.clone(), values);
        by_name.insert(name, rows);
    }
    if by_name.len() > MAX_GROUPS {
        let message = format!("--by makes {} groups; at most {MAX_GROUPS} are allowed", by_name.len());
        return Err(RecordsError::whole(file, message));
    }
    groups.extend(by_name);
    Ok(groups)
}

/// One problem on one line of the records file.
fn on_line(file: &str, line: u64, column: &str, message: String) -> RecordsError {
    RecordsError {
        file: file.to_string(),
        problems: vec![RecordProblem {
            line,
            column: column.to_string(),
            message,
        }],
    }
}

/// `"x/y", "z"` for a group's values.
fn quoted_values(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    format!("({})", quoted.join(", "))
}

/// Refuses records x resamples above [`MAX_WORK`], naming both numbers.
pub fn check_work(records: usize, resamples: usize) -> Result<(), String> {
    let work = records as u64 * resamples as u64;
    if work <= MAX_WORK {
        return Ok(());
    }
    Err(format!(
        "{records} records x {resamples} resamples = {work} fits of a record; at most {MAX_WORK} are allowed (about \
         10 seconds): lower --resamples to {} or fewer",
        (MAX_WORK / records.max(1) as u64).max(1)
    ))
}

/// Fits every group of `records`.
pub fn calibrate(
    records: &Records,
    by: &[String],
    (seed, resamples): (u64, usize),
    file: &str,
    stop: Stop,
) -> Result<Calibration, RecordsError> {
    let groups = groups(records, by, file)?;
    let pooling = pooling_of(&groups);
    let groups = groups
        .iter()
        .enumerate()
        .map(|(i, (name, rows))| {
            // The first group is all the records: it is the pooled fit.
            let pooling = pooling.as_ref().filter(|_| i > 0);
            fit_group(name, rows, (seed, resamples), pooling, stop)
        })
        .collect();
    Ok(Calibration {
        by: by.to_vec(),
        seed,
        resamples,
        groups,
    })
}
