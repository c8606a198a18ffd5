//! Each distribution form a scenario may name, sampled through the library
//! API exactly as the engine does (one fresh stream per trial and input,
//! `forcegen::model::stream`), against its exact mean, quantiles and CDF.
//!
//! For every form, with n = 100,000 draws:
//! - the sample mean is within 4 SE of the exact mean (SE = exact sd / sqrt n);
//! - at the exact 1, 5, 25, 50, 75, 95 and 99% quantiles x_q, the share of
//!   draws below x_q is within 4 sqrt(q (1 - q) / n) of q;
//! - a Kolmogorov-Smirnov test against the exact CDF at level 1e-4.
//!
//! False positives: each 4-SE check fails a correct sampler with probability
//! 6.3e-5 (normal approximation; n q (1 - q) >= 990 here), each KS test with
//! probability <= 1e-4 (the asymptotic critical value is conservative for
//! finite n). Over 12 forms x (1 + 7 + 1) checks, a correct implementation
//! fails for a random seed with probability below 0.012 (union bound), and the
//! seeds are fixed, so the tests never flake.
//!
//! Exact quantiles come from closed forms where they exist (uniform,
//! triangular, exponential, normal, lognormal, "A to B"), else by bisection on
//! the exact CDF (beta, PERT, gamma: regularised incomplete beta and gamma
//! functions, themselves checked against closed forms and numerical
//! integration in `reference_functions_are_right`).

use crate::common::{
    a_to_b_params, beta_cdf, check_mean, check_share, gamma_cdf, invert, ln_gamma, normal_cdf, normal_quantile, simpson,
};
use forcegen::model::{StreamId, stream};
use forcegen::scenario::{Dist, Sampler};

const N: u64 = 100_000;
const LEVELS: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
/// Level of the Kolmogorov-Smirnov tests.
const KS_ALPHA: f64 = 1e-4;

/// A distribution form and its exact description.
struct Exact<'a> {
    text: &'a str,
    mean: f64,
    sd: f64,
    cdf: &'a dyn Fn(f64) -> f64,
    quantile: &'a dyn Fn(f64) -> f64,
}

/// n draws of `text`, draw t being the first value of the stream of
/// (seed, trial t, input) as `Draw::once` in the model takes it.
fn draws(text: &str, seed: u64) -> Vec<f64> {
    let dist = Dist::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let sampler = Sampler::new(&dist).unwrap_or_else(|e| panic!("{text}: {e}"));
    let id = StreamId::of(&format!("tests.samplers.{text}"));
    (0..N)
        .map(|trial| sampler.sample(&mut stream(seed, trial, id)))
        .collect()
}

fn check(exact: &Exact, seed: u64) {
    let text = exact.text;
    let dist = Dist::parse(text).expect("parses");
    let scale = exact.mean.abs().max(exact.sd);
    assert!(
        (dist.mean() - exact.mean).abs() <= 1e-9 * scale,
        "{text}: Dist::mean() = {}, exact {}",
        dist.mean(),
        exact.mean
    );

    let mut xs = draws(text, seed);
    assert!(xs.iter().all(|x| x.is_finite()), "{text}: a non-finite draw");
    let mean = xs.iter().sum::<f64>() / N as f64;
    check_mean(&format!("{text}: sample mean"), mean, exact.mean, exact.sd, N, 0.0);

    for q in LEVELS {
        let x = (exact.quantile)(q);
        assert!(
            ((exact.cdf)(x) - q).abs() < 1e-9,
            "{text}: quantile {q} = {x} is off its own CDF"
        );
        let below = xs.iter().filter(|&&v| v < x).count() as f64 / N as f64;
        check_share(&format!("{text}: share below the {q} quantile {x}"), below, q, N, 0.0);
    }

    xs.sort_by(f64::total_cmp);
    let n = N as f64;
    let d = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = (exact.cdf)(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max);
    // P(sqrt(n) D > c) ~ 2 exp(-2 c^2) (the first term of Kolmogorov's series,
    // an upper bound on it): c = sqrt(ln(2 / alpha) / 2).
    let critical = ((2.0 / KS_ALPHA).ln() / 2.0).sqrt() / n.sqrt();
    assert!(
        d < critical,
        "{text}: KS distance {d:.5} exceeds the {KS_ALPHA} critical value {critical:.5}"
    );
}

#[test]
fn constant() {
    let dist = Dist::parse("12.5").expect("parses");
    assert_eq!(dist.mean(), 12.5);
    let xs = draws("12.5", 1);
    assert!(xs.iter().all(|&x| x == 12.5), "a constant always draws itself");
}

#[test]
fn uniform() {
    let (a, b) = (2.0, 10.0);
    check(
        &Exact {
            text: "uniform(2, 10)",
            mean: (a + b) / 2.0,
            sd: (b - a) / 12f64.sqrt(),
            cdf: &|x: f64| ((x - a) / (b - a)).clamp(0.0, 1.0),
            quantile: &|q| a + q * (b - a),
        },
        2,
    );
}

#[test]
fn triangular() {
    let (a, c, b) = (14.0f64, 45.0f64, 180.0f64);
    let fc = (c - a) / (b - a);
    check(
        &Exact {
            text: "triangular(14, 45, 180)",
            mean: (a + b + c) / 3.0,
            sd: ((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0).sqrt(),
            cdf: &|x: f64| {
                if x <= a {
                    0.0
                } else if x <= c {
                    (x - a).powi(2) / ((b - a) * (c - a))
                } else if x < b {
                    1.0 - (b - x).powi(2) / ((b - a) * (b - c))
                } else {
                    1.0
                }
            },
            quantile: &|q| {
                if q < fc {
                    a + (q * (b - a) * (c - a)).sqrt()
                } else {
                    b - ((1.0 - q) * (b - a) * (b - c)).sqrt()
                }
            },
        },
        3,
    );
}

#[test]
fn pert() {
    // PERT(min, mode, max) = min + (max - min) Beta(alpha, beta) with
    // alpha = 1 + 4 (mode - min) / (max - min), beta = 1 + 4 (max - mode) / (max - min).
    let (min, mode, max) = (10.0, 20.0, 60.0);
    let range = max - min;
    let (al, be) = (1.0 + 4.0 * (mode - min) / range, 1.0 + 4.0 * (max - mode) / range);
    let cdf = move |x: f64| beta_cdf((x - min) / range, al, be);
    check(
        &Exact {
            text: "pert(10, 20, 60)",
            mean: (min + 4.0 * mode + max) / 6.0,
            sd: range * (al * be / ((al + be).powi(2) * (al + be + 1.0))).sqrt(),
            cdf: &cdf,
            quantile: &|q| invert(cdf, q, min, max),
        },
        4,
    );
}

#[test]
fn normal() {
    let (m, s) = (0.012, 0.002);
    check(
        &Exact {
            text: "normal(0.012, 0.002)",
            mean: m,
            sd: s,
            cdf: &|x: f64| normal_cdf((x - m) / s),
            quantile: &|q| m + s * normal_quantile(q),
        },
        5,
    );
}

#[test]
fn lognormal() {
    let (mu, sigma) = (3.0f64, 0.5f64);
    let var = ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp();
    check(
        &Exact {
            text: "lognormal(3, 0.5)",
            mean: (mu + sigma * sigma / 2.0).exp(),
            sd: var.sqrt(),
            cdf: &|x: f64| {
                if x <= 0.0 {
                    0.0
                } else {
                    normal_cdf((x.ln() - mu) / sigma)
                }
            },
            quantile: &|q| (mu + sigma * normal_quantile(q)).exp(),
        },
        6,
    );
}

fn check_beta(text: &str, a: f64, b: f64, seed: u64) {
    let cdf = move |x: f64| beta_cdf(x, a, b);
    check(
        &Exact {
            text,
            mean: a / (a + b),
            sd: (a * b / ((a + b).powi(2) * (a + b + 1.0))).sqrt(),
            cdf: &cdf,
            quantile: &|q| invert(cdf, q, 0.0, 1.0),
        },
        seed,
    );
}

#[test]
fn beta() {
    // Both shapes above 1, and both below 1 (rand_distr samples these with
    // different algorithms).
    check_beta("beta(2, 5)", 2.0, 5.0, 7);
    check_beta("beta(0.5, 0.8)", 0.5, 0.8, 8);
}

fn check_gamma(text: &str, shape: f64, scale: f64, seed: u64) {
    let cdf = move |x: f64| gamma_cdf(x, shape, scale);
    let sd = shape.sqrt() * scale;
    check(
        &Exact {
            text,
            mean: shape * scale,
            sd,
            cdf: &cdf,
            quantile: &|q| invert(cdf, q, 0.0, shape * scale + 60.0 * sd),
        },
        seed,
    );
}

#[test]
fn gamma() {
    // Shape above 1 and below 1 (different algorithms in rand_distr).
    check_gamma("gamma(2.5, 30)", 2.5, 30.0, 9);
    check_gamma("gamma(0.4, 10)", 0.4, 10.0, 10);
}

#[test]
fn exponential() {
    let mean = 60.0;
    check(
        &Exact {
            text: "exponential(60)",
            mean,
            sd: mean,
            cdf: &|x: f64| if x <= 0.0 { 0.0 } else { -(-x / mean).exp_m1() },
            quantile: &|q| -mean * (-q).ln_1p(),
        },
        11,
    );
}

#[test]
fn a_to_b() {
    // Lognormal with 5th and 95th percentiles A = 30 and B = 240.
    let (a, b) = (30.0f64, 240.0f64);
    let (mu, sigma) = a_to_b_params(a, b);
    let var = ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp();
    let quantile = move |q: f64| match q {
        // By definition, not through mu and sigma.
        0.05 => a,
        0.95 => b,
        _ => (mu + sigma * normal_quantile(q)).exp(),
    };
    check(
        &Exact {
            text: "30 to 240",
            mean: (mu + sigma * sigma / 2.0).exp(),
            sd: var.sqrt(),
            cdf: &|x: f64| {
                if x <= 0.0 {
                    0.0
                } else {
                    normal_cdf((x.ln() - mu) / sigma)
                }
            },
            quantile: &quantile,
        },
        12,
    );
}

/// The exact CDFs the checks rely on, against closed forms and Simpson's rule.
#[test]
fn reference_functions_are_right() {
    let close = |what: &str, got: f64, want: f64, tol: f64| {
        assert!((got - want).abs() <= tol, "{what}: {got} vs {want}");
    };
    close("ln Gamma(5)", ln_gamma(5.0), 24f64.ln(), 1e-13);
    close("ln Gamma(1/2)", ln_gamma(0.5), std::f64::consts::PI.sqrt().ln(), 1e-13);
    close("ln Gamma(0.4)", ln_gamma(0.4), 2.218_159_543_757_688f64.ln(), 1e-13);
    close("Phi(z95)", normal_cdf(1.644_853_626_951_472_2), 0.95, 1e-14);
    close("Phi(-1.96)", normal_cdf(-1.96), 0.024_997_895_148_220_435, 1e-15);
    close("Phi(0)", normal_cdf(0.0), 0.5, 1e-15);
    close("z(0.99)", normal_quantile(0.99), 2.326_347_874_040_841, 1e-12);
    close("z(0.05)", normal_quantile(0.05), -1.644_853_626_951_472_2, 1e-12);

    for x in [0.01f64, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99] {
        // I_x(2, 5) = P(Binomial(6, x) >= 2) for whole shapes.
        let binomial: f64 = (2..=6)
            .map(|j: i32| {
                let choose = [1.0, 6.0, 15.0, 20.0, 15.0, 6.0, 1.0][j as usize];
                choose * x.powi(j) * (1.0 - x).powi(6 - j)
            })
            .sum();
        close(&format!("I_{x}(2, 5)"), beta_cdf(x, 2.0, 5.0), binomial, 1e-14);
        close(
            &format!("I_{x}(1/2, 1/2)"),
            beta_cdf(x, 0.5, 0.5),
            2.0 / std::f64::consts::PI * x.sqrt().asin(),
            1e-14,
        );
        // Non-whole shapes: integrate the density after x = t^2 (smooth at 0).
        for (a, b) in [(1.8, 4.2), (0.5, 0.8)] {
            let norm = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b)).exp();
            let integrand = |t: f64| 2.0 * norm * t.powf(2.0 * a - 1.0) * (1.0 - t * t).powf(b - 1.0);
            let upper = x.sqrt();
            let integral = if b < 1.0 && x > 0.5 {
                // Singular at 1 too: integrate 1 - I from the other end with x = 1 - s^2.
                let rev = |s: f64| 2.0 * norm * s.powf(2.0 * b - 1.0) * (1.0 - s * s).powf(a - 1.0);
                1.0 - simpson(rev, 0.0, (1.0 - x).sqrt(), 20_000)
            } else {
                simpson(integrand, 0.0, upper, 20_000)
            };
            // Simpson's rule converges slowly on the remaining t^(2a - 1) or
            // s^(2b - 1) corner (error ~1e-9 here); the checks need the CDF to
            // ~1e-5 (a hundredth of the smallest SE), so 1e-8 proves plenty.
            close(&format!("I_{x}({a}, {b})"), beta_cdf(x, a, b), integral, 1e-8);
        }
    }
    for x in [0.05f64, 0.5, 1.0, 2.5, 7.0, 20.0] {
        close(&format!("P(1, {x})"), gamma_cdf(x, 1.0, 1.0), 1.0 - (-x).exp(), 1e-14);
        close(
            &format!("P(3, {x})"),
            gamma_cdf(x, 3.0, 1.0),
            1.0 - (-x).exp() * (1.0 + x + x * x / 2.0),
            1e-14,
        );
        // P(2.5, x) and P(0.4, x) by integrating the density (after x = t^2.5
        // for shape 0.4, which removes the singularity at 0).
        let g25 = simpson(|t: f64| t.powf(1.5) * (-t).exp() / ln_gamma(2.5).exp(), 0.0, x, 20_000);
        close(&format!("P(2.5, {x})"), gamma_cdf(x, 2.5, 1.0), g25, 1e-9);
        let g04 = simpson(
            |t: f64| 2.5 * (-t.powf(2.5)).exp() / ln_gamma(0.4).exp(),
            0.0,
            x.powf(0.4),
            20_000,
        );
        close(&format!("P(0.4, {x})"), gamma_cdf(x, 0.4, 1.0), g04, 1e-9);
    }
}
