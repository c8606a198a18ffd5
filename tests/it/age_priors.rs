//! Age-aware priors (issue #28, point 2) against their closed forms.
//!
//! A pledge `a` days old and not arrived: honoured with probability
//! `q = p S(a) / (1 - p + p S(a))`, and if honoured its delay from the
//! scenario's start is `R = T - a` given `T > a` (`T` lognormal). Checked:
//! - the sampler of `R` (as the engine draws it) against R's exact mean, its
//!   exact quantiles (bisection on the exact CDF `1 - S(a + x) / S(a)`, with
//!   the tests' own normal CDF) and a Kolmogorov-Smirnov test, as
//!   tests/it/samplers.rs does for every form (n = 100,000; 4-SE rules);
//! - a whole run: a one-person pledge with both age-aware priors reaches its
//!   target by the horizon `H` with probability `q F_R(H + 1/2)` (days are
//!   rounded), within 4 binomial SE.

use crate::common::{check_mean, check_share, invert, normal_cdf, run};
use forcegen::model::{StreamId, stream};
use forcegen::scenario::{Dist, Sampler};

const N: u64 = 100_000;

/// The lognormal delay (median 150 days) and the pledge's age.
const MU: f64 = 5.010_635_294_096_256; // ln 150
const SIGMA: f64 = 0.9;
const AGE: f64 = 214.0;

fn survival(t: f64) -> f64 {
    if t <= 0.0 {
        1.0
    } else {
        1.0 - normal_cdf((t.ln() - MU) / SIGMA)
    }
}

/// P(R <= x).
fn cdf(x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else {
        1.0 - survival(AGE + x) / survival(AGE)
    }
}

/// `E[T^k; T > a]` of the lognormal.
fn partial_moment(k: f64) -> f64 {
    (k * MU + k * k * SIGMA * SIGMA / 2.0).exp() * (1.0 - normal_cdf((AGE.ln() - MU - k * SIGMA * SIGMA) / SIGMA))
}

#[test]
fn the_rest_of_a_delay_is_sampled_as_its_closed_form() {
    let s = survival(AGE);
    let (m1, m2) = (partial_moment(1.0) / s, partial_moment(2.0) / s);
    let mean = m1 - AGE;
    let sd = (m2 - 2.0 * AGE * m1 + AGE * AGE - mean * mean).sqrt();
    let dist = Dist::Remaining {
        mu: MU,
        sigma: SIGMA,
        after: AGE,
    };
    assert!((dist.mean() - mean).abs() < 1e-9 * mean, "{} vs {mean}", dist.mean());
    let sampler = Sampler::new(&dist).unwrap();
    let id = StreamId::of("tests.age_priors");
    let mut xs: Vec<f64> = (0..N).map(|t| sampler.sample(&mut stream(7, t, id))).collect();
    assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0));
    let sample_mean = xs.iter().sum::<f64>() / N as f64;
    check_mean("remaining delay", sample_mean, mean, sd, N, 0.0);
    for q in [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] {
        let x = invert(cdf, q, 0.0, 1e7);
        assert!(
            (dist.quantile(q) - x).abs() < 1e-6 * x.max(1.0),
            "{q}: {} vs {x}",
            dist.quantile(q)
        );
        let below = xs.iter().filter(|v| **v < x).count() as f64 / N as f64;
        check_share(&format!("share below the {q} quantile {x}"), below, q, N, 0.0);
    }
    xs.sort_by(f64::total_cmp);
    let n = N as f64;
    let d = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| (cdf(x) - i as f64 / n).max((i + 1) as f64 / n - cdf(x)))
        .fold(0.0, f64::max);
    let critical = ((2.0 / 1e-4f64).ln() / 2.0).sqrt() / n.sqrt();
    assert!(d < critical, "KS distance {d} above {critical}");
}

#[test]
fn a_run_with_both_age_aware_priors_arrives_as_the_formula_says() {
    let dir = tempfile::tempdir().unwrap();
    let priors = dir.path().join("p.toml");
    // honour beta(3, 2): p = 0.6.
    let text = format!("[g]\nrecords = 20\nhonour = \"beta(3, 2)\"\ndelay = \"lognormal({MU}, {SIGMA})\"\n");
    std::fs::write(&priors, text).unwrap();
    // Pledged 2024-02-29, the start 2024-09-30: 214 days old.
    let scenario = format!(
        r#"name = "aged"
priors = "{}"
[simulation]
start = 2024-09-30
horizon_days = 200
step = "day"
[population]
initial = 100000
[[contributors]]
name = "K"
pledged = 1
fulfilment = 1
probability = "prior(g.honour, pledged = 2024-02-29)"
first_arrival_days = "prior(g.delay, pledged = 2024-02-29)"
[[targets]]
name = "K here"
metric = "contributor:K"
at_least = 1
"#,
        priors.display()
    );
    let trials = 40_000;
    let r = run(&scenario, trials, 11);
    let s = survival(AGE);
    let q = 0.6 * s / (1.0 - 0.6 + 0.6 * s);
    let expected = q * cdf(200.5);
    let last = r
        .targets
        .iter()
        .find(|row| row["day"] == "200")
        .expect("the horizon's row");
    let reached: f64 = last["p_reached"].parse().unwrap();
    check_share("reached by the horizon", reached, expected, trials, 5e-7);
}
