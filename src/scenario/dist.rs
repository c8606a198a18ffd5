//! Uncertain inputs: the ten distribution forms a scenario may name, parsed
//! from strings such as `"beta(8, 2)"` or `"14 to 180"`, and sampled with
//! `rand_distr`.
//!
//! Parsing checks every parameter a distribution cannot take, so a scenario
//! that parses can always be sampled: [`Dist::sampler`] never fails on a
//! validated [`Dist`].
//!
//! The rules: docs/MODEL.md §1.2.

use rand::Rng;
use rand_distr::{Beta, Distribution, Exp1, Gamma, LogNormal, Normal, Pert, Triangular, Uniform};

/// z such that the standard normal CDF at z is 0.95.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// A distribution as written in a scenario (or a constant).
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    Constant(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Pert {
        min: f64,
        mode: f64,
        max: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Parameters of the underlying normal.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    Exponential {
        mean: f64,
    },
    /// `"A to B"`: a lognormal whose 5th and 95th percentiles are A and B.
    Range {
        p5: f64,
        p95: f64,
    },
    /// What is left of a lognormal delay `T` past `after` days, given that
    /// it is longer: `T - after` given `T > after`. Made only by an
    /// age-aware prior (`prior(GROUP.delay, pledged = DATE)`), never
    /// written by hand; `after` is above 0.
    Remaining {
        mu: f64,
        sigma: f64,
        after: f64,
    },
}

/// Largest magnitude any distribution parameter may have.
pub const MAX_PARAMETER: f64 = 1e12;
/// Range of shape parameters (beta's alpha and beta, gamma's shape): outside
/// it the samplers lose all precision and a draw is 0 or 1 with certainty.
pub const MIN_SHAPE: f64 = 1e-3;
pub const MAX_SHAPE: f64 = 1e6;

fn shape_ok(value: f64) -> bool {
    (MIN_SHAPE..=MAX_SHAPE).contains(&value)
}

/// What the forms look like, for error messages.
pub const FORMS_HELP: &str = "a number or one of \"uniform(a, b)\", \"triangular(min, mode, max)\", \
\"pert(min, mode, max)\", \"normal(mean, sd)\", \"lognormal(mu, sigma)\", \"beta(alpha, beta)\", \
\"gamma(shape, scale)\", \"exponential(mean)\", \"A to B\"";

impl Dist {
    /// Parses a distribution string. The error says what is wrong and what is allowed.
    pub fn parse(text: &str) -> Result<Dist, String> {
        let trimmed = text.trim();
        if let Some((a, b)) = split_range(trimmed) {
            return range(a, b);
        }
        if let Ok(value) = trimmed.parse::<f64>() {
            return constant(value);
        }
        let Some(open) = trimmed.find('(') else {
            return Err(format!("\"{text}\" is not a distribution; expected {FORMS_HELP}"));
        };
        if !trimmed.ends_with(')') {
            return Err(format!("\"{text}\" is missing its closing parenthesis"));
        }
        let name = trimmed[..open].trim().to_ascii_lowercase();
        let args = parse_args(&trimmed[open + 1..trimmed.len() - 1], text)?;
        if let Some(big) = args.iter().find(|v| v.abs() > MAX_PARAMETER) {
            return Err(format!(
                "in \"{text}\": {big} is out of range; parameters must lie within +-{MAX_PARAMETER:e}"
            ));
        }
        let dist = by_name(&name, &args)?;
        dist.check_sampler()?;
        Ok(dist)
    }

    /// Builds the sampler once, so that a dist rand_distr would refuse is
    /// reported at parse time rather than silently sampled as NaN.
    fn check_sampler(&self) -> Result<(), String> {
        Sampler::new(self).map(|_| ())
    }

    /// The largest value a draw can take: the top of a bounded form's
    /// support, infinite for the others (the caller's clamp bounds it).
    pub fn upper(&self) -> f64 {
        match *self {
            Dist::Constant(v) => v,
            Dist::Uniform { high, .. } => high,
            Dist::Triangular { max, .. } | Dist::Pert { max, .. } => max,
            Dist::Beta { .. } => 1.0,
            Dist::Normal { .. }
            | Dist::LogNormal { .. }
            | Dist::Gamma { .. }
            | Dist::Exponential { .. }
            | Dist::Range { .. }
            | Dist::Remaining { .. } => f64::INFINITY,
        }
    }

    /// The distribution's mean (`None` where it has no finite closed form here).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Constant(v) => v,
            Dist::Uniform { low, high } => (low + high) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Dist::Normal { mean, .. } => mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Beta { alpha, beta } => alpha / (alpha + beta),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Exponential { mean } => mean,
            Dist::Range { p5, p95 } => {
                let (mu, sigma) = range_params(p5, p95);
                (mu + sigma * sigma / 2.0).exp()
            }
            Dist::Remaining { mu, sigma, after } => remaining_mean(mu, sigma, after),
        }
    }
}

/// The standard normal upper tail, `1 - Phi(z)`, accurate far out.
pub fn normal_survival(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2)
}

/// `S(after)` of the lognormal `(mu, sigma)`: the share of delays longer
/// than `after` days (1 for `after` <= 0).
pub fn lognormal_survival(mu: f64, sigma: f64, after: f64) -> f64 {
    if after <= 0.0 {
        return 1.0;
    }
    normal_survival((after.ln() - mu) / sigma)
}

/// `E[T - a | T > a]` for a lognormal `T`: `E[T; T > a] / S(a) - a`, with
/// `E[T; T > a] = exp(mu + sigma^2 / 2) S_z((ln a - mu - sigma^2) / sigma)`.
fn remaining_mean(mu: f64, sigma: f64, after: f64) -> f64 {
    let z = (after.ln() - mu) / sigma;
    let tail = (mu + sigma * sigma / 2.0).exp() * normal_survival(z - sigma);
    (tail / normal_survival(z) - after).max(0.0)
}

/// The `p` quantile of `T - a` given `T > a`: the `T` whose survival is
/// `S(a) (1 - p)`, found through the inverse of erfc so that a tiny `S(a)`
/// keeps its precision.
fn remaining_quantile(mu: f64, sigma: f64, after: f64, p: f64) -> f64 {
    let left = lognormal_survival(mu, sigma, after) * (1.0 - p);
    let z = std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * left);
    ((mu + sigma * z).exp() - after).max(0.0)
}

impl Dist {
    /// The value below which a share `p` of draws falls (the inverse CDF),
    /// from `statrs`. Correlated inputs are sampled through it (Gaussian
    /// copula). `p` is kept inside (0, 1), so a normal's tails stay finite.
    pub fn quantile(&self, p: f64) -> f64 {
        use statrs::distribution::{self as sd, ContinuousCDF};
        let p = if p.is_nan() { 0.5 } else { p.clamp(1e-15, 1.0 - 1e-15) };
        let q = match *self {
            Dist::Constant(v) => Some(v),
            Dist::Uniform { low, high } => Some(low + (high - low) * p),
            Dist::Triangular { min, mode, max } => sd::Triangular::new(min, max, mode).ok().map(|d| d.inverse_cdf(p)),
            Dist::Pert { min, mode, max } => {
                // rand_distr's PERT: a beta on [min, max] with shape 4.
                let width = max - min;
                let alpha = 1.0 + 4.0 * (mode - min) / width;
                let beta = 1.0 + 4.0 * (max - mode) / width;
                sd::Beta::new(alpha, beta).ok().map(|d| min + width * d.inverse_cdf(p))
            }
            Dist::Normal { mean, sd } => sd::Normal::new(mean, sd).ok().map(|d| d.inverse_cdf(p)),
            Dist::LogNormal { mu, sigma } => sd::LogNormal::new(mu, sigma).ok().map(|d| d.inverse_cdf(p)),
            Dist::Beta { alpha, beta } => sd::Beta::new(alpha, beta).ok().map(|d| d.inverse_cdf(p)),
            Dist::Gamma { shape, scale } => sd::Gamma::new(shape, 1.0 / scale).ok().map(|d| d.inverse_cdf(p)),
            Dist::Exponential { mean } => Some(-mean * (-p).ln_1p()),
            Dist::Range { p5, p95 } => {
                let (mu, sigma) = range_params(p5, p95);
                sd::LogNormal::new(mu, sigma).ok().map(|d| d.inverse_cdf(p))
            }
            Dist::Remaining { mu, sigma, after } => Some(remaining_quantile(mu, sigma, after, p)),
        };
        // Parameters were validated when parsed; NaN would show in every output.
        q.unwrap_or(f64::NAN)
    }
}

/// The distribution `name(args)`, its parameters checked (the `match` of
/// [`Dist::parse`]).
fn by_name(name: &str, args: &[f64]) -> Result<Dist, String> {
    Ok(match name {
        "uniform" => {
            let [low, high] = arity(name, args, ["a", "b"])?;
            require(low < high, || {
                format!("uniform(a, b) needs a < b, got a = {low}, b = {high}")
            })?;
            Dist::Uniform { low, high }
        }
        "triangular" | "pert" => {
            let [min, mode, max] = arity(name, args, ["min", "mode", "max"])?;
            require(min <= mode && mode <= max && min < max, || {
                format!("{name}(min, mode, max) needs min <= mode <= max and min < max, got {min}, {mode}, {max}")
            })?;
            if name == "pert" {
                Dist::Pert { min, mode, max }
            } else {
                Dist::Triangular { min, mode, max }
            }
        }
        "normal" => {
            let [mean, sd] = arity(name, args, ["mean", "sd"])?;
            require(sd > 0.0, || format!("normal(mean, sd) needs sd > 0, got {sd}"))?;
            Dist::Normal { mean, sd }
        }
        "lognormal" => {
            let [mu, sigma] = arity(name, args, ["mu", "sigma"])?;
            require(sigma > 0.0, || {
                format!("lognormal(mu, sigma) needs sigma > 0, got {sigma}")
            })?;
            require(mu.abs() <= 30.0 && sigma <= 10.0, || {
                format!("lognormal(mu, sigma) needs |mu| <= 30 and sigma <= 10, got {mu}, {sigma}")
            })?;
            Dist::LogNormal { mu, sigma }
        }
        "beta" => {
            let [alpha, beta] = arity(name, args, ["alpha", "beta"])?;
            require(alpha > 0.0 && beta > 0.0, || {
                format!("beta(alpha, beta) needs alpha > 0 and beta > 0, got {alpha}, {beta}")
            })?;
            require(shape_ok(alpha) && shape_ok(beta), || {
                format!(
                    "beta(alpha, beta) needs alpha and beta between {MIN_SHAPE} and {MAX_SHAPE:e}, got {alpha}, {beta}"
                )
            })?;
            Dist::Beta { alpha, beta }
        }
        "gamma" => {
            let [shape, scale] = arity(name, args, ["shape", "scale"])?;
            require(shape > 0.0 && scale > 0.0, || {
                format!("gamma(shape, scale) needs shape > 0 and scale > 0, got {shape}, {scale}")
            })?;
            require(shape_ok(shape), || {
                format!("gamma(shape, scale) needs shape between {MIN_SHAPE} and {MAX_SHAPE:e}, got {shape}")
            })?;
            Dist::Gamma { shape, scale }
        }
        "exponential" => {
            let [mean] = arity(name, args, ["mean"])?;
            require(mean > 0.0, || format!("exponential(mean) needs mean > 0, got {mean}"))?;
            Dist::Exponential { mean }
        }
        _ => {
            return Err(format!("unknown distribution \"{name}\"; expected {FORMS_HELP}"));
        }
    })
}

/// The standard normal CDF.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

/// mu and sigma of the lognormal whose 5th and 95th percentiles are `p5` and `p95`.
pub fn range_params(p5: f64, p95: f64) -> (f64, f64) {
    let (a, b) = (p5.ln(), p95.ln());
    ((a + b) / 2.0, (b - a) / (2.0 * Z95))
}

fn constant(value: f64) -> Result<Dist, String> {
    require(value.is_finite(), || format!("{value} is not a finite number"))?;
    Ok(Dist::Constant(value))
}

fn range(a: &str, b: &str) -> Result<Dist, String> {
    let parse = |s: &str| {
        s.trim().parse::<f64>().map_err(|_| {
            format!(
                "\"{a} to {b}\": \"{}\" is not a number; the form is \"A to B\" with 0 < A < B",
                s.trim()
            )
        })
    };
    let (p5, p95) = (parse(a)?, parse(b)?);
    require(p5 > 0.0 && p5 < p95 && p95.is_finite(), || {
        format!("\"A to B\" needs 0 < A < B (A and B are the 5th and 95th percentiles), got A = {p5}, B = {p95}")
    })?;
    Ok(Dist::Range { p5, p95 })
}

/// Splits `"A to B"` at the word `to`.
fn split_range(text: &str) -> Option<(&str, &str)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(" to ")?;
    Some((&text[..at], &text[at + 4..]))
}

fn parse_args(inner: &str, whole: &str) -> Result<Vec<f64>, String> {
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|part| {
            let part = part.trim();
            match part.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(format!("in \"{whole}\": \"{part}\" is not a finite number")),
            }
        })
        .collect()
}

fn arity<const N: usize>(name: &str, args: &[f64], params: [&str; N]) -> Result<[f64; N], String> {
    <[f64; N]>::try_from(args).map_err(|_| {
        format!(
            "{name} takes {N} parameter{} ({name}({})), got {}",
            if N == 1 { "" } else { "s" },
            params.join(", "),
            args.len()
        )
    })
}

fn require(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

/// A ready-to-sample form of a [`Dist`], built once per run.
#[derive(Debug, Clone)]
pub enum Sampler {
    Constant(f64),
    Uniform(Uniform<f64>),
    Triangular(Triangular<f64>),
    Pert(Pert<f64>),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Beta(Beta<f64>),
    Gamma(Gamma<f64>),
    Exponential {
        mean: f64,
    },
    /// [`Dist::Remaining`], drawn by its inverse CDF.
    Remaining {
        mu: f64,
        sigma: f64,
        after: f64,
    },
}

impl Sampler {
    pub fn new(dist: &Dist) -> Result<Sampler, String> {
        let err = |e: &dyn std::fmt::Display| format!("invalid parameters: {e}");
        Ok(match *dist {
            Dist::Constant(v) => Sampler::Constant(v),
            Dist::Uniform { low, high } => Sampler::Uniform(Uniform::new(low, high).map_err(|e| err(&e))?),
            Dist::Triangular { min, mode, max } => {
                Sampler::Triangular(Triangular::new(min, max, mode).map_err(|e| err(&e))?)
            }
            Dist::Pert { min, mode, max } => Sampler::Pert(Pert::new(min, max).with_mode(mode).map_err(|e| err(&e))?),
            Dist::Normal { mean, sd } => Sampler::Normal(Normal::new(mean, sd).map_err(|e| err(&e))?),
            Dist::LogNormal { mu, sigma } => Sampler::LogNormal(LogNormal::new(mu, sigma).map_err(|e| err(&e))?),
            Dist::Beta { alpha, beta } => Sampler::Beta(Beta::new(alpha, beta).map_err(|e| err(&e))?),
            Dist::Gamma { shape, scale } => Sampler::Gamma(Gamma::new(shape, scale).map_err(|e| err(&e))?),
            Dist::Exponential { mean } => Sampler::Exponential { mean },
            Dist::Range { p5, p95 } => {
                let (mu, sigma) = range_params(p5, p95);
                Sampler::LogNormal(LogNormal::new(mu, sigma).map_err(|e| err(&e))?)
            }
            Dist::Remaining { mu, sigma, after } => Sampler::Remaining { mu, sigma, after },
        })
    }

    /// One draw. Constants draw nothing from the stream.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Constant(v) => *v,
            Sampler::Uniform(d) => d.sample(rng),
            Sampler::Triangular(d) => d.sample(rng),
            Sampler::Pert(d) => d.sample(rng),
            Sampler::Normal(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Beta(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::Exponential { mean } => {
                let unit: f64 = Exp1.sample(rng);
                unit * mean
            }
            Sampler::Remaining { mu, sigma, after } => {
                let u: f64 = rand_distr::Open01.sample(rng);
                remaining_quantile(*mu, *sigma, *after, u)
            }
        }
    }

    pub fn constant(&self) -> Option<f64> {
        match self {
            Sampler::Constant(v) => Some(*v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Dist::parse("12.5"), Ok(Dist::Constant(12.5)));
        assert_eq!(Dist::parse("uniform(1, 2)"), Ok(Dist::Uniform { low: 1.0, high: 2.0 }));
        assert_eq!(
            Dist::parse("triangular(14, 45, 180)"),
            Ok(Dist::Triangular {
                min: 14.0,
                mode: 45.0,
                max: 180.0
            })
        );
        assert_eq!(
            Dist::parse("PERT(1,2,3)"),
            Ok(Dist::Pert {
                min: 1.0,
                mode: 2.0,
                max: 3.0
            })
        );
        assert_eq!(
            Dist::parse("normal(0.012, 0.002)"),
            Ok(Dist::Normal { mean: 0.012, sd: 0.002 })
        );
        assert_eq!(
            Dist::parse("lognormal(3, 0.5)"),
            Ok(Dist::LogNormal { mu: 3.0, sigma: 0.5 })
        );
        assert_eq!(Dist::parse("beta(8, 2)"), Ok(Dist::Beta { alpha: 8.0, beta: 2.0 }));
        assert_eq!(
            Dist::parse("gamma(2, 30)"),
            Ok(Dist::Gamma {
                shape: 2.0,
                scale: 30.0
            })
        );
        assert_eq!(Dist::parse("exponential(60)"), Ok(Dist::Exponential { mean: 60.0 }));
        assert_eq!(Dist::parse("30 to 240"), Ok(Dist::Range { p5: 30.0, p95: 240.0 }));
    }

    #[test]
    fn rejects_impossible_parameters_with_the_rule() {
        for (text, needle) in [
            ("uniform(2, 1)", "a < b"),
            ("triangular(1, 5, 3)", "min <= mode <= max"),
            ("normal(0, -1)", "sd > 0"),
            ("beta(0, 1)", "alpha > 0"),
            ("gamma(1, 0)", "scale > 0"),
            ("exponential(0)", "mean > 0"),
            ("0 to 5", "0 < A < B"),
            ("9 to 5", "0 < A < B"),
            ("weibull(1, 2)", "unknown distribution"),
            ("beta(1)", "takes 2 parameters"),
            ("beta(1, x)", "not a finite number"),
            ("uniform(1, 2", "closing parenthesis"),
            ("lots", "not a distribution"),
            ("gamma(1e-300, 1e300)", "out of range"),
            ("gamma(1e-300, 1)", "shape between"),
        ] {
            let err = Dist::parse(text).expect_err(text);
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn quantiles_invert_each_form() {
        let cases = [
            ("uniform(10, 20)", 0.25, 12.5),
            ("triangular(0, 0, 1)", 0.75, 0.5),
            ("normal(5, 2)", 0.975, 5.0 + 2.0 * 1.959_963_984_540_054),
            ("lognormal(0, 1)", 0.5, 1.0),
            ("beta(1, 1)", 0.3, 0.3),
            ("beta(2, 1)", 0.25, 0.5),
            ("pert(0, 0.5, 1)", 0.5, 0.5),
            ("gamma(1, 10)", 0.5, 10.0 * std::f64::consts::LN_2),
            ("exponential(10)", 0.5, 10.0 * std::f64::consts::LN_2),
            ("30 to 240", 0.05, 30.0),
            ("30 to 240", 0.95, 240.0),
        ];
        for (text, p, expected) in cases {
            let q = Dist::parse(text).unwrap().quantile(p);
            assert!(
                (q - expected).abs() < 1e-6 * expected.abs().max(1.0),
                "{text} at {p}: {q} vs {expected}"
            );
        }
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-9);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn quantiles_of_extreme_parameters_are_finite_or_clamped_later() {
        let forms = [
            "beta(0.001, 1000000)",
            "beta(1000000, 0.001)",
            "gamma(0.001, 1e12)",
            "gamma(1000000, 1e-12)",
            "normal(1e12, 1e12)",
            "lognormal(30, 10)",
            "exponential(1e12)",
            "pert(-1e12, 0, 1e12)",
            "1e-12 to 1e12",
        ];
        for form in forms {
            let dist = Dist::parse(form).unwrap();
            for p in [0.0, 1e-300, 0.5, 1.0 - 1e-16, 1.0, f64::NAN] {
                let q = dist.quantile(p);
                assert!(!q.is_nan(), "{form} at {p}: NaN");
            }
        }
    }

    #[test]
    fn range_form_puts_a_and_b_at_the_5th_and_95th_percentiles() {
        let (mu, sigma) = range_params(30.0, 240.0);
        assert!(((mu - Z95 * sigma).exp() - 30.0).abs() < 1e-9);
        assert!(((mu + Z95 * sigma).exp() - 240.0).abs() < 1e-9);
    }
}
