//! Shared helpers for the statistical tests: run the real binary on a scenario
//! text and read its CSV files back, check an estimate against an exact value
//! within its Monte Carlo standard error, and the special functions (log-gamma,
//! regularised incomplete beta and gamma, normal CDF) the exact values need.

use std::collections::HashMap;
use std::path::Path;

/// One CSV row, by column name.
pub type Row = HashMap<String, String>;

/// Half a unit in the last printed place of `timeseries.csv` means and sds
/// (printed with 4 decimals) and of `contributors.csv` `mean_delivered`.
pub const MEAN_PRINT: f64 = 5e-5;
/// Half a unit in the last printed place of shares and their SEs (6 decimals).
pub const SHARE_PRINT: f64 = 5e-7;

/// How many standard errors an estimate may be from the exact value.
///
/// False-positive reasoning: for an estimate that is (close to) normally
/// distributed, |estimate - exact| >= 4 SE has probability 6.3e-5 (two-sided).
/// A test makes at most a few hundred such comparisons, many of them strongly
/// correlated (the same trials on consecutive days), so a correct engine fails
/// a given test for a random seed with probability well under 1-2%; with the
/// fixed seeds used here the outcome is deterministic and never flakes.
pub const Z: f64 = 4.0;
/// One-sided tail probability of the 4-SE rule, used where the normal
/// approximation does not hold (few expected successes): 0.5 * erfc(4 / sqrt 2).
pub const TAIL: f64 = 3.167_124_183_311_992e-5;

/// The parsed CSV files of one run (all but `run_info.csv`).
#[derive(Debug)]
pub struct Run {
    pub trials: u64,
    pub timeseries: Vec<Row>,
    pub targets: Vec<Row>,
    pub summary: Vec<Row>,
    pub contributors: Vec<Row>,
}

/// Writes `scenario` to a temporary folder, runs
/// `forcegen run SCEN --out DIR --quiet --trials N --seed S` and parses every CSV.
/// Also checks, for every run, that each printed `p_reached_se` is the
/// binomial SE of its printed share.
pub fn run(scenario: &str, trials: u64, seed: u64) -> Run {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario_path = dir.path().join("scenario.toml");
    std::fs::write(&scenario_path, scenario).expect("write the scenario");
    let out = dir.path().join("out");
    let output = crate::cli_support::forcegen()
        .arg("run")
        .arg(&scenario_path)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(["--trials", &trials.to_string(), "--seed", &seed.to_string()])
        .output()
        .expect("run forcegen");
    assert!(
        output.status.success(),
        "forcegen failed ({}):\n{}\n{}\nscenario:\n{scenario}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let run = Run {
        trials,
        timeseries: read_csv(&out.join("timeseries.csv")),
        targets: read_csv(&out.join("targets.csv")),
        summary: read_csv(&out.join("summary.csv")),
        contributors: read_csv(&out.join("contributors.csv")),
    };
    run.check_share_se();
    run
}

/// Every row of a CSV file with a header row, by column name.
pub fn read_csv(path: &Path) -> Vec<Row> {
    let (header, rows) = crate::cli_support::read_csv(path);
    rows.into_iter()
        .map(|row| header.iter().cloned().zip(row).collect())
        .collect()
}

/// A cell as a number.
pub fn num(row: &Row, column: &str) -> f64 {
    let text = row
        .get(column)
        .unwrap_or_else(|| panic!("no column {column} in {row:?}"));
    text.parse()
        .unwrap_or_else(|_| panic!("column {column} is not a number: {text:?} in {row:?}"))
}

/// The `day` cell.
pub fn day(row: &Row) -> u32 {
    let text = &row["day"];
    text.parse()
        .unwrap_or_else(|_| panic!("day is not a whole number: {text:?}"))
}

/// A cell as text.
pub fn text<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column)
        .unwrap_or_else(|| panic!("no column {column} in {row:?}"))
}

impl Run {
    /// The `timeseries.csv` rows of `metric`, in file order (ascending days).
    pub fn series(&self, metric: &str) -> Vec<&Row> {
        let rows: Vec<&Row> = self.timeseries.iter().filter(|r| r["metric"] == metric).collect();
        assert!(!rows.is_empty(), "no timeseries rows for metric {metric}");
        rows
    }

    /// The `timeseries.csv` row of `metric` on report day `d`.
    pub fn at(&self, metric: &str, d: u32) -> &Row {
        self.series(metric)
            .into_iter()
            .find(|r| day(r) == d)
            .unwrap_or_else(|| panic!("no timeseries row for {metric} on day {d}"))
    }

    /// The `targets.csv` rows of target `name`, in file order.
    pub fn target(&self, name: &str) -> Vec<&Row> {
        let rows: Vec<&Row> = self.targets.iter().filter(|r| r["target"] == name).collect();
        assert!(!rows.is_empty(), "no targets.csv rows for target {name}");
        rows
    }

    /// The `contributors.csv` row of contributor `name`.
    pub fn contributor(&self, name: &str) -> &Row {
        self.contributors
            .iter()
            .find(|r| r["contributor"] == name)
            .unwrap_or_else(|| panic!("no contributors.csv row for {name}"))
    }

    /// The `summary.csv` row of target `name`.
    pub fn summary_of(&self, name: &str) -> &Row {
        self.summary
            .iter()
            .find(|r| r["target"] == name)
            .unwrap_or_else(|| panic!("no summary.csv row for {name}"))
    }

    /// Every printed share SE equals sqrt(p (1 - p) / trials) of its printed
    /// share, to the printed precision. The share is k / trials for a whole k,
    /// recovered exactly from its 6 printed decimals while trials < 10^6.
    pub fn check_share_se(&self) {
        assert!(
            self.trials < 1_000_000,
            "shares cannot be recovered exactly from 6 decimals"
        );
        let n = self.trials as f64;
        let rows = self.targets.iter().map(|r| (r, "p_reached", "p_reached_se"));
        let summary = self
            .summary
            .iter()
            .map(|r| (r, "p_reached_by_horizon", "p_reached_by_horizon_se"));
        for (row, p_col, se_col) in rows.chain(summary) {
            let printed = num(row, p_col);
            let k = (printed * n).round();
            assert!(
                (printed - k / n).abs() <= SHARE_PRINT + 1e-12,
                "{p_col} {printed} is not k/{n}: {row:?}"
            );
            let p = k / n;
            let exact = (p * (1.0 - p) / n).sqrt();
            let se = num(row, se_col);
            assert!(
                (se - exact).abs() <= SHARE_PRINT + 1e-12,
                "{se_col} {se} != sqrt(p(1-p)/n) = {exact}: {row:?}"
            );
        }
    }
}

/// Checks an observed share of `n` trials against its exact probability `p`.
/// `print` is half the printed precision of `observed`.
///
/// - p = 0 or 1: the share must be exactly p (to the printed precision).
/// - n p (1 - p) >= 10: the share is close to normal, |share - p| < 4 SE + print
///   with SE = sqrt(p (1 - p) / n).
/// - otherwise (a handful of expected successes, where "4 SE" would be far too
///   strict or too loose): the observed count k must not lie in either binomial
///   tail of probability below [`TAIL`], the same false-positive rate as 4 SE.
pub fn check_share(what: &str, observed: f64, p: f64, n: u64, print: f64) {
    let nf = n as f64;
    if p <= 0.0 || p >= 1.0 {
        assert!(
            (observed - p).abs() <= print + 1e-12,
            "{what}: share {observed}, exactly {p} expected"
        );
        return;
    }
    let var = p * (1.0 - p);
    if nf * var >= 10.0 {
        let se = (var / nf).sqrt();
        let off = (observed - p).abs();
        assert!(
            off < Z * se + print,
            "{what}: share {observed}, exact {p}, off by {off:.3e} = {:.2} SE (SE {se:.3e}, n {n})",
            off / se
        );
        return;
    }
    assert!(
        print * nf < 0.5,
        "{what}: the count cannot be recovered from the printed share"
    );
    let k = (observed * nf).round() as u64;
    let below = binomial_cdf(k, n, p);
    let above = if k == 0 { 1.0 } else { 1.0 - binomial_cdf(k - 1, n, p) };
    assert!(
        below > TAIL && above > TAIL,
        "{what}: {k} of {n} trials (share {observed}), exact p {p}: P(K <= k) = {below:.3e}, P(K >= k) = {above:.3e}"
    );
}

/// Checks an observed mean of `n` trials against the exact mean of a quantity
/// with exact standard deviation `sd`: |mean - exact| < 4 sd / sqrt(n) + print.
/// With sd = 0 (a deterministic quantity) the mean must be exact.
pub fn check_mean(what: &str, observed: f64, exact: f64, sd: f64, n: u64, print: f64) {
    let se = sd / (n as f64).sqrt();
    let off = (observed - exact).abs();
    assert!(
        off < Z * se + print + 1e-9,
        "{what}: mean {observed}, exact {exact}, off by {off:.4e} = {:.2} SE (SE {se:.4e}, n {n})",
        if se > 0.0 { off / se } else { f64::INFINITY }
    );
}

/// Checks an observed (sample) standard deviation of `n` trials against the
/// exact `sd` of a quantity whose 4th central moment is `mu4`. By the delta
/// method, SE(s) = sqrt((mu4 - sd^4) / n) / (2 sd); the check is
/// |s - sd| < 4 SE(s) + print. With sd = 0 the observed sd must be 0.
pub fn check_sd(what: &str, observed: f64, sd: f64, mu4: f64, n: u64, print: f64) {
    if sd == 0.0 {
        assert!(
            observed.abs() <= print + 1e-12,
            "{what}: sd {observed}, exactly 0 expected"
        );
        return;
    }
    let se = ((mu4 - sd.powi(4)).max(0.0) / n as f64).sqrt() / (2.0 * sd);
    let off = (observed - sd).abs();
    assert!(
        off < Z * se + print + 1e-9,
        "{what}: sd {observed}, exact {sd}, off by {off:.4e} = {:.2} SE (SE {se:.4e}, n {n})",
        off / se
    );
}

/// P(K <= k) for K ~ Binomial(n, p), summing the shorter side of the pmf.
pub fn binomial_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n {
        return 1.0;
    }
    let pmf = |j: u64| {
        let (j, nf) = (j as f64, n as f64);
        (ln_gamma(nf + 1.0) - ln_gamma(j + 1.0) - ln_gamma(nf - j + 1.0) + j * p.ln() + (nf - j) * (-p).ln_1p()).exp()
    };
    if (k as f64) < n as f64 * p {
        (0..=k).map(pmf).sum::<f64>().min(1.0)
    } else {
        (1.0 - (k + 1..=n).map(pmf).sum::<f64>()).max(0.0)
    }
}

// ---------------------------------------------------------------- special functions

/// ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Gamma(x) Gamma(1 - x) = pi / sin(pi x).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// Regularised incomplete beta I_x(a, b): the CDF of Beta(a, b) at x
/// (continued fraction, modified Lentz; Numerical Recipes 6.4).
pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (-x).ln_1p()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..100_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() <= f64::EPSILON {
            return h;
        }
    }
    panic!("incomplete beta did not converge for a = {a}, b = {b}, x = {x}");
}

/// Regularised incomplete gamma (P(a, x), Q(a, x) = 1 - P): the CDF of
/// Gamma(shape a, scale 1) at x and its complement, each computed directly
/// on its own side so neither loses precision in a tail (Numerical Recipes 6.2).
pub fn gamma_pq(a: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    let log_front = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P.
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..100_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                let p = (sum * log_front.exp()).min(1.0);
                return (p, 1.0 - p);
            }
        }
        panic!("incomplete gamma series did not converge for a = {a}, x = {x}");
    }
    // Continued fraction for Q (modified Lentz).
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..100_000 {
        let i = f64::from(i);
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() <= f64::EPSILON {
            let q = (log_front.exp() * h).min(1.0);
            return (1.0 - q, q);
        }
    }
    panic!("incomplete gamma fraction did not converge for a = {a}, x = {x}");
}

/// CDF of Gamma(shape, scale) at x.
pub fn gamma_cdf(x: f64, shape: f64, scale: f64) -> f64 {
    gamma_pq(shape, x / scale).0
}

/// The standard normal CDF: Phi(x) = (1 + erf(x / sqrt 2)) / 2 with
/// erf(y) = P(1/2, y^2), so the tails come from Q directly (no cancellation).
pub fn normal_cdf(x: f64) -> f64 {
    let (p, q) = gamma_pq(0.5, x * x / 2.0);
    if x >= 0.0 { 0.5 + 0.5 * p } else { 0.5 * q }
}

/// The x in [lo, hi] with cdf(x) = q, by bisection (cdf non-decreasing).
pub fn invert(cdf: impl Fn(f64) -> f64, q: f64, mut lo: f64, mut hi: f64) -> f64 {
    assert!(
        cdf(lo) <= q && cdf(hi) >= q,
        "invert: [{lo}, {hi}] does not bracket {q}"
    );
    for _ in 0..300 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if cdf(mid) < q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The standard normal quantile z with Phi(z) = q.
pub fn normal_quantile(q: f64) -> f64 {
    invert(normal_cdf, q, -40.0, 40.0)
}

/// Parameters (mu, sigma) of the lognormal whose 5th and 95th percentiles are
/// `a` and `b` (the scenario form "A to B"), computed here independently of
/// the crate: ln a = mu - z95 sigma, ln b = mu + z95 sigma.
pub fn a_to_b_params(a: f64, b: f64) -> (f64, f64) {
    let z95 = normal_quantile(0.95);
    ((a.ln() + b.ln()) / 2.0, (b.ln() - a.ln()) / (2.0 * z95))
}

/// Simpson's rule for the integral of f over [a, b] with `n` (even) panels,
/// used to cross-check the closed-form CDFs above.
pub fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    assert!(n.is_multiple_of(2));
    let h = (b - a) / n as f64;
    let mut sum = f(a) + f(b);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(a + i as f64 * h);
    }
    sum * h / 3.0
}

/// SplitMix64: a tiny deterministic generator for the fuzz tests, so that
/// their cases never change.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number from 0 to `n - 1` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
