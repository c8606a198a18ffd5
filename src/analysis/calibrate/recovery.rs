//! Statistical tests of the fits: records simulated from known parameters
//! (with censoring) are fitted back within their 90% intervals at about the
//! stated rate, and dropping the censored records would bias the delay.

use chrono::{Days, NaiveDate};
use rand::RngExt;
use rand_distr::{Beta, Distribution, LogNormal};

use super::records::{Arrival, Record, Records};
use super::{QUANTITIES, calibrate, fit_group, never};
use crate::model::{StreamId, StreamRng, stream};

/// The parameters records are simulated from.
#[derive(Clone, Copy)]
struct Truth {
    honour: f64,
    mu: f64,
    sigma: f64,
    fulfilment: (f64, f64),
    /// Pledges are watched for a uniform number of days in this range.
    watched: (f64, f64),
}

const TRUTH: Truth = Truth {
    honour: 0.7,
    mu: 4.787_491_742_782_046, // ln 120
    sigma: 0.8,
    fulfilment: (4.0, 1.5),
    watched: (60.0, 900.0),
};

fn day(d: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Days::new(d)
}

/// `n` records of region `region` drawn from `truth`.
fn simulate(truth: Truth, n: usize, rng: &mut StreamRng, region: &str) -> Vec<Record> {
    let delay = LogNormal::new(truth.mu, truth.sigma).unwrap();
    let share = Beta::new(truth.fulfilment.0, truth.fulfilment.1).unwrap();
    (0..n)
        .map(|i| {
            let watched = rng.random_range(truth.watched.0..truth.watched.1).round() as u64;
            let honoured = rng.random::<f64>() < truth.honour;
            let t = delay.sample(rng).round() as u64;
            let s: f64 = share.sample(rng);
            let arrived = honoured && t <= watched;
            // Not arrived: still open (peak empty), never honoured or late alike.
            let peak = arrived.then(|| (1000.0 * s).round().max(1.0));
            Record {
                line: i as u64 + 2,
                cells: vec![String::new(), String::new(), region.to_string()],
                pledge_date: day(0),
                pledged: Some(1000.0),
                first_arrival: if arrived { Arrival::On(day(t)) } else { Arrival::NotYet },
                peak_deployed: peak,
                as_of: day(watched),
            }
        })
        .collect()
}

/// The true value of each quantity checked for coverage, by its index in
/// [`QUANTITIES`].
fn truths(truth: Truth) -> [(usize, f64); 4] {
    let (a, b) = truth.fulfilment;
    let at = |name: &str| QUANTITIES.iter().position(|q| *q == name).unwrap();
    [
        (at("honour"), truth.honour),
        (at("fulfilment_mean"), a / (a + b)),
        (at("delay_mu"), truth.mu),
        (at("delay_sigma"), truth.sigma),
    ]
}

#[test]
fn simulated_records_are_fitted_back_within_their_intervals() {
    const REPLICATIONS: usize = 200;
    const RECORDS: usize = 300;
    const RESAMPLES: usize = 200;
    let mut covered = [0usize; 4];
    for r in 0..REPLICATIONS {
        let mut rng = stream(20, r as u64, StreamId::of("recovery"));
        let rows = simulate(TRUTH, RECORDS, &mut rng, "x");
        let refs: Vec<&Record> = rows.iter().collect();
        let g = fit_group("all", &refs, (r as u64, RESAMPLES), None, &never);
        for (k, (q, value)) in truths(TRUTH).into_iter().enumerate() {
            let (low, high) = g.intervals[q].expect("an interval");
            covered[k] += usize::from(low <= value && value <= high);
        }
    }
    // Each coverage is a binomial share of REPLICATIONS with p = 0.9: its
    // standard error is sqrt(0.9 * 0.1 / 200) = 0.021. Allow 3 SE either
    // side.
    let se = (0.9f64 * 0.1 / REPLICATIONS as f64).sqrt();
    for (k, (q, _)) in truths(TRUTH).into_iter().enumerate() {
        let rate = covered[k] as f64 / REPLICATIONS as f64;
        assert!(
            (rate - 0.9).abs() <= 3.0 * se,
            "{}: covered {rate} of the time",
            QUANTITIES[q]
        );
    }
}

#[test]
fn censored_records_are_not_dropped() {
    // Every pledge honoured, watched 30 to 300 days, a median delay of 120:
    // many are still on their way when the records end.
    let truth = Truth {
        honour: 1.0,
        watched: (30.0, 300.0),
        ..TRUTH
    };
    let mut rng = stream(21, 0, StreamId::of("censoring"));
    let rows = simulate(truth, 2000, &mut rng, "x");
    let refs: Vec<&Record> = rows.iter().collect();
    let g = fit_group("all", &refs, (5, 200), None, &never);
    let arrived: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.delay_days())
        .map(|t| t.max(0.5).ln())
        .collect();
    assert!(arrived.len() < 1500, "{} arrived", arrived.len());
    let dropped = arrived.iter().sum::<f64>() / arrived.len() as f64;
    // Bootstrap standard error of mu from its 90% interval (width 2 x 1.645 SE).
    let (low, high) = g.intervals[6].unwrap();
    let se = (high - low) / (2.0 * 1.644_853_626_951_472_2);
    let (mu, sigma) = g.fit.delay.unwrap();
    assert!(
        (mu - truth.mu).abs() < 4.0 * se,
        "fitted mu {mu}, true {}, se {se}",
        truth.mu
    );
    assert!((sigma - truth.sigma).abs() < 0.1, "sigma {sigma}");
    assert!(
        truth.mu - dropped > 10.0 * se,
        "dropping censored rows: mu {dropped}, true {}",
        truth.mu
    );
    // Counting the late pledges as never honoured would put honour near the
    // arrived share; the fit puts it near 1.
    let honour = g.fit.values()[0].unwrap();
    assert!(honour > 0.95, "honour {honour}");
}

#[test]
fn groups_are_fitted_apart() {
    let mut rng = stream(22, 0, StreamId::of("groups"));
    let mut rows = simulate(Truth { honour: 0.9, ..TRUTH }, 300, &mut rng, "north");
    rows.extend(simulate(Truth { honour: 0.3, ..TRUTH }, 300, &mut rng, "south"));
    let records = Records {
        header: vec!["mission".into(), "contributor".into(), "region".into()],
        rows,
        excluded: Vec::new(),
    };
    let c = calibrate(&records, &["region".to_string()], (1, 50), "r.csv", &never).unwrap();
    let names: Vec<&str> = c.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["all", "north", "south"]);
    assert_eq!(c.groups[1].records, 300);
    let honour = |g: usize| c.groups[g].fit.values()[0].unwrap();
    // Each from 300 records: SE of a share about sqrt(0.25 / 300) = 0.03,
    // more with the censoring; 0.15 is over 3 SE.
    assert!(
        (honour(1) - 0.9).abs() < 0.15 && (honour(2) - 0.3).abs() < 0.15,
        "{} {}",
        honour(1),
        honour(2)
    );
    assert!(calibrate(&records, &["nope".to_string()], (1, 50), "r.csv", &never).is_err());
}
