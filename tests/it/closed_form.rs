//! Statistical checks of the model (MODEL.md section 1) against closed-form
//! answers, end to end: each test writes a small scenario, runs the real
//! `forcegen` binary with a fixed seed, parses its CSV files and compares
//! every estimate with its exact value within 4 Monte Carlo standard errors
//! (see `common::Z` for the false-positive reasoning; the seeds are fixed, so
//! the tests never flake). Deterministic quantities are compared exactly.
//!
//! Rounding conventions used for the exact values: a sampled day is
//! `max(0, round(x))` with Rust's `f64::round` (half away from zero), so for
//! a whole day d >= 0 and a continuous x, `day <= d` exactly when `x < d + 0.5`.

mod reports;

use crate::common::{
    MEAN_PRINT, SHARE_PRINT, a_to_b_params, beta_cdf, check_mean, check_sd, check_share, day, normal_cdf, num, run,
    text,
};

/// A scenario with the required tables: day 0 is 2024-01-01 and the
/// population is fixed (it only enters the ratio metrics, unused here).
fn scenario(horizon: u32, step: &str, body: &str) -> String {
    format!(
        "name = \"closed form\"\n\n[simulation]\nstart = 2024-01-01\nhorizon_days = {horizon}\nstep = \"{step}\"\n\n\
         [population]\ninitial = 1000000\n\n{body}"
    )
}

/// The ISO date `days` after 2024-01-01.
fn date_after_start(days: u32) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    (start + chrono::Days::new(u64::from(days)))
        .format("%Y-%m-%d")
        .to_string()
}

/// P(max(0, round(U)) <= d) for U ~ uniform(a, b) and a whole day d >= 0.
fn rounded_uniform_cdf(d: u32, a: f64, b: f64) -> f64 {
    ((f64::from(d) + 0.5 - a) / (b - a)).clamp(0.0, 1.0)
}

#[test]
fn uniform_arrival_delay_gives_the_rounded_uniform_cdf() {
    // A: part of the delay is negative and clamps to day 0; B: the support
    // ends on half-days, so the exact share is 0 up to day 4 and 1 from day 20.
    let (a1, b1) = (-3.3, 12.6);
    let (a2, b2) = (4.5, 20.5);
    let body = format!(
        r#"
[[contributors]]
name = "A"
pledged = 30
first_arrival_days = "uniform({a1}, {b1})"

[[contributors]]
name = "B"
pledged = 30
first_arrival_days = "uniform({a2}, {b2})"

[[targets]]
name = "A all here"
metric = "contributor:A"
at_least = 30

[[targets]]
name = "B all here"
metric = "contributor:B"
at_least = 30
"#
    );
    let n = 20_000;
    let out = run(&scenario(25, "day", &body), n, 101);
    for (target, metric, a, b) in [
        ("A all here", "contributor:A", a1, b1),
        ("B all here", "contributor:B", a2, b2),
    ] {
        let rows = out.target(target);
        assert_eq!(rows.len(), 26, "one row per day 0..=25");
        for row in rows {
            let d = day(row);
            let exact = rounded_uniform_cdf(d, a, b);
            check_share(
                &format!("{target}: p_reached on day {d}"),
                num(row, "p_reached"),
                exact,
                n,
                SHARE_PRINT,
            );
            // Without attrition the strength is 30 once arrived, else 0.
            let mean = num(out.at(metric, d), "mean");
            check_share(
                &format!("{metric}: mean / 30 on day {d}"),
                mean / 30.0,
                exact,
                n,
                MEAN_PRINT / 30.0,
            );
        }
    }
}

#[test]
fn beta_fulfilment_delivers_the_mean_of_the_rounded_share() {
    // delivered = round(1000 f), f ~ beta(2, 5). Its exact distribution:
    // P(delivered = k) = I((k + 0.5) / 1000) - I((k - 0.5) / 1000) with I the
    // beta CDF (round(x) = k exactly when k - 0.5 <= x < k + 0.5 for x >= 0).
    // Its mean differs from 1000 * 2/7 by the rounding bias, at most 0.5 in
    // absolute value; the sum below removes it instead of allowing for it.
    let (pledged, a, b) = (1000u32, 2.0, 5.0);
    let body = format!(
        r#"
[[contributors]]
name = "F"
pledged = {pledged}
fulfilment = "beta({a}, {b})"
"#
    );
    let scale = f64::from(pledged);
    let pmf: Vec<f64> = (0..=pledged)
        .map(|k| {
            let k = f64::from(k);
            beta_cdf(((k + 0.5) / scale).min(1.0), a, b) - beta_cdf(((k - 0.5) / scale).max(0.0), a, b)
        })
        .collect();
    let total: f64 = pmf.iter().sum();
    assert!((total - 1.0).abs() < 1e-12, "pmf sums to {total}");
    let mean: f64 = pmf.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
    let var: f64 = pmf.iter().enumerate().map(|(k, p)| (k as f64 - mean).powi(2) * p).sum();
    let mu4: f64 = pmf.iter().enumerate().map(|(k, p)| (k as f64 - mean).powi(4) * p).sum();
    let continuous = scale * a / (a + b);
    assert!(
        (mean - continuous).abs() < 0.5,
        "rounding bias {} exceeds 0.5",
        mean - continuous
    );

    let n = 40_000;
    let out = run(&scenario(7, "week", &body), n, 202);
    let row = out.contributor("F");
    assert_eq!(text(row, "pledged"), "1000");
    check_mean(
        "mean_delivered",
        num(row, "mean_delivered"),
        mean,
        var.sqrt(),
        n,
        MEAN_PRINT,
    );
    // Everyone arrives on day 0 and nobody leaves: strength = delivered on every day.
    for d in [0, 7] {
        let series = out.at("contributor:F", d);
        check_mean(
            &format!("contributor:F mean on day {d}"),
            num(series, "mean"),
            mean,
            var.sqrt(),
            n,
            MEAN_PRINT,
        );
        check_sd(
            &format!("contributor:F sd on day {d}"),
            num(series, "sd"),
            var.sqrt(),
            mu4,
            n,
            MEAN_PRINT,
        );
        assert_eq!(
            num(series, "mean"),
            num(row, "mean_delivered"),
            "the same trials, the same mean"
        );
    }
    // All 1000 delivered only when f >= 0.9995: practically never.
    let p_full = 1.0 - beta_cdf(0.9995, a, b);
    check_share("p_full_delivery", num(row, "p_full_delivery"), p_full, n, SHARE_PRINT);
}

/// Host police of `n0` with yearly attrition `a` and no intakes: the head
/// count on day d is Binomial(n0, s) with s = (1 - a)^(d / 365).
fn check_host_attrition(n0: u32, a: f64, horizon: u32, step: &str, n: u64, seed: u64) {
    let body = format!("[host_police]\ninitial = {n0}\nattrition_per_year = {a}\n");
    let out = run(&scenario(horizon, step, &body), n, seed);
    let rows = out.series("host_police");
    for row in &rows {
        let d = day(row);
        let s = (1.0 - a).powf(f64::from(d) / 365.0);
        let n0f = f64::from(n0);
        let var = n0f * s * (1.0 - s);
        // Binomial central 4th moment: n s (1-s) (1 + 3 (n - 2) s (1-s)).
        let mu4 = var * (1.0 + 3.0 * (n0f - 2.0) * s * (1.0 - s));
        let what = format!("host_police {n0} on day {d}");
        check_mean(&what, num(row, "mean"), n0f * s, var.sqrt(), n, MEAN_PRINT);
        check_sd(&what, num(row, "sd"), var.sqrt(), mu4, n, MEAN_PRINT);
    }
    let last = rows.last().expect("rows");
    assert_eq!(day(last), horizon, "the horizon is a report day here");
}

#[test]
fn host_police_attrition_small_force_every_day() {
    // 40 officers over 366 report days: few departures per asked day, so the
    // engine samples departures one by one ("death race") as of this writing.
    check_host_attrition(40, 0.3, 365, "day", 10_000, 303);
}

#[test]
fn host_police_attrition_large_force_monthly() {
    // 20000 officers on 13 monthly report days: many departures per asked
    // day, so the engine thins binomially between report days.
    // Horizon 366: 2025-01-01 is a report day (2024 is a leap year).
    check_host_attrition(20_000, 0.3, 366, "month", 10_000, 304);
}

#[test]
fn end_of_mission_without_drawdown_empties_the_share_p_of_trials() {
    // Event on day 10 with probability 0.3. A: 100 deployed from day 0.
    // B: 20 pledged, arriving on day 15, after the event: they never come in
    // trials where the mission ends.
    let p = 0.3;
    let body = format!(
        r#"
[[contributors]]
name = "A"
deployed = 100

[[contributors]]
name = "B"
pledged = 20
first_arrival_days = 15

[[events]]
name = "end"
probability = {p}
day = 10
effect = "end_mission"
"#
    );
    let n = 20_000;
    let out = run(&scenario(20, "day", &body), n, 404);
    for d in 0..=20u32 {
        let row = out.at("contributor:A", d);
        let mean = num(row, "mean");
        if d < 10 {
            check_mean(&format!("A on day {d}"), mean, 100.0, 0.0, n, MEAN_PRINT);
            assert_eq!((num(row, "p5"), num(row, "p95")), (100.0, 100.0), "day {d}");
        } else {
            check_share(
                &format!("A on day {d}: mean / 100"),
                mean / 100.0,
                1.0 - p,
                n,
                MEAN_PRINT / 100.0,
            );
            // About 30% of trials at 0, the rest at 100.
            assert_eq!(
                (num(row, "p25"), num(row, "p50"), num(row, "p95")),
                (0.0, 100.0, 100.0),
                "day {d}"
            );
        }
        let b = num(out.at("contributor:B", d), "mean");
        if d < 15 {
            check_mean(&format!("B on day {d}"), b, 0.0, 0.0, n, MEAN_PRINT);
        } else {
            check_share(
                &format!("B on day {d}: mean / 20"),
                b / 20.0,
                1.0 - p,
                n,
                MEAN_PRINT / 20.0,
            );
        }
    }
    let b = out.contributor("B");
    check_share(
        "B mean_delivered / 20",
        num(b, "mean_delivered") / 20.0,
        1.0 - p,
        n,
        MEAN_PRINT / 20.0,
    );
    check_share("B p_full_delivery", num(b, "p_full_delivery"), 1.0 - p, n, SHARE_PRINT);
}

/// Runs deterministic contributors of the given sizes through a certain
/// end-of-mission event on day `e` with `drawdown` days, and checks that on
/// every day the strength is exactly `floor(size * max(0, 1 - (d - e) / drawdown))`,
/// computed here in integer arithmetic: `size * (drawdown - k) / drawdown`.
fn check_drawdown(sizes: &[u32], e: u32, drawdown: u32) {
    let mut body =
        format!("[[events]]\nname = \"end\"\nday = {e}\neffect = \"end_mission\"\ndrawdown_days = {drawdown}\n\n");
    for size in sizes {
        body += &format!("[[contributors]]\nname = \"C{size}\"\ndeployed = {size}\n\n");
    }
    let horizon = e + drawdown + 3;
    let out = run(&scenario(horizon, "day", &body), 50, 505);
    let mut wrong = Vec::new();
    for &size in sizes {
        for d in 0..=horizon {
            let expected = if d < e {
                size
            } else {
                let k = (d - e).min(drawdown);
                size * (drawdown - k) / drawdown
            };
            let row = out.at(&format!("contributor:C{size}"), d);
            let got: Vec<f64> = ["mean", "p5", "p50", "p95"].iter().map(|c| num(row, c)).collect();
            if got.iter().any(|&v| v != f64::from(expected)) || num(row, "sd") != 0.0 {
                wrong.push(format!(
                    "n = {size}, day {d} (k = {}): expected {expected}, got mean/p5/p50/p95 = {got:?}",
                    d.saturating_sub(e)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "drawdown over {drawdown} days from day {e}:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn drawdown_scales_strength_by_the_remaining_share_rounded_down() {
    check_drawdown(&[97], 5, 7);
}

#[test]
fn drawdown_rounds_down_exactly_when_the_remaining_strength_is_whole() {
    // floor(n * (1 - k / D)) where n (D - k) / D is a whole number: e.g.
    // n = 100, D = 10, k = 8 must give 20 (not 19, which a float product
    // 100 * (1 - 0.8) = 19.999999999999996 would round down to).
    check_drawdown(&[100, 50, 5, 97], 5, 10);
}

#[test]
fn unlock_event_starts_the_clock_and_gates_the_pledge() {
    // The pledge waits for "ev" (probability 0.35, day 10), then 4 days.
    let q = 0.35;
    let body = format!(
        r#"
[[events]]
name = "ev"
probability = {q}
day = 10
effect = "unlock"

[[contributors]]
name = "U"
pledged = 50
after = "ev"
first_arrival_days = 4

[[targets]]
name = "U here"
metric = "contributor:U"
at_least = 50
"#
    );
    let n = 20_000;
    let out = run(&scenario(30, "day", &body), n, 606);
    for row in out.target("U here") {
        let d = day(row);
        let exact = if d >= 14 { q } else { 0.0 };
        check_share(
            &format!("p_reached on day {d}"),
            num(row, "p_reached"),
            exact,
            n,
            SHARE_PRINT,
        );
        let mean = num(out.at("contributor:U", d), "mean");
        check_share(
            &format!("contributor:U mean / 50 on day {d}"),
            mean / 50.0,
            exact,
            n,
            MEAN_PRINT / 50.0,
        );
    }
    let horizon_mean = num(out.at("contributor:U", 30), "mean");
    let u = out.contributor("U");
    assert_eq!(
        num(u, "mean_delivered"),
        horizon_mean,
        "nothing arrives where the event does not happen"
    );
    check_share(
        "mean_delivered / 50",
        num(u, "mean_delivered") / 50.0,
        q,
        n,
        MEAN_PRINT / 50.0,
    );
    check_share("p_full_delivery", num(u, "p_full_delivery"), q, n, SHARE_PRINT);
    // Only 35% of trials ever see the last wave (day 14): p5 is that day,
    // p50 and p95 are never reached and stay empty.
    assert_eq!(text(u, "last_wave_date_p5"), date_after_start(14));
    assert_eq!(text(u, "last_wave_date_p50"), "");
    assert_eq!(text(u, "last_wave_date_p95"), "");
}

#[test]
fn withdrawal_survival_is_one_minus_w_to_the_years() {
    // The withdrawal day is round(T), T exponential with P(T <= 365) = w
    // (rounded to the nearest day like every drawn day), so at a whole day d:
    // P(withdrawn on or before d) = P(T < d + 0.5) = 1 - (1 - w)^((d + 0.5) / 365)
    // exactly, and P(still there) = (1 - w)^((d + 0.5) / 365).
    // 10 deployed from day 0, 5 more pledged for day 100 (they come only if
    // the contingent is still there on day 100).
    let w: f64 = 0.4;
    let body = format!(
        r#"
[[contributors]]
name = "W"
deployed = 10
pledged = 5
first_arrival_days = 100
withdrawal_per_year = {w}

[[targets]]
name = "W at 15"
metric = "contributor:W"
at_least = 15
"#
    );
    let survival = |d: u32| (1.0 - w).powf((f64::from(d) + 0.5) / 365.0);
    let n = 20_000;
    let out = run(&scenario(364, "week", &body), n, 707);
    let rows = out.series("contributor:W");
    assert_eq!(rows.len(), 53);
    for row in rows {
        let d = day(row);
        // Strength is 0 once withdrawn, else 10 (15 from day 100).
        let size = if d >= 100 { 15.0 } else { 10.0 };
        let share = num(row, "mean") / size;
        check_share(
            &format!("share still there on day {d}"),
            share,
            survival(d),
            n,
            MEAN_PRINT / size,
        );
    }
    for row in out.target("W at 15") {
        let d = day(row);
        let exact = if d >= 100 { survival(100) } else { 0.0 };
        check_share(
            &format!("p_reached on day {d}"),
            num(row, "p_reached"),
            exact,
            n,
            SHARE_PRINT,
        );
    }
    let c = out.contributor("W");
    check_share(
        "mean_delivered / 5",
        num(c, "mean_delivered") / 5.0,
        survival(100),
        n,
        MEAN_PRINT / 5.0,
    );
    check_share(
        "p_full_delivery",
        num(c, "p_full_delivery"),
        survival(100),
        n,
        SHARE_PRINT,
    );
}

/// A wait of a few days on average, where half a day matters: the share
/// still there on day d is (1 - w)^((d + 0.5) / 365) = exp(-lambda (d + 0.5)),
/// lambda = -ln(1 - w) / 365 (about 0.076 a day here), which rounding up
/// (exp(-lambda d); 1 on day 0) would miss by about 4% of it, over 5
/// binomial standard errors at 20,000 trials. Checked within 4 SEs
/// (`check_share`).
#[test]
fn withdrawal_day_is_the_wait_rounded_to_the_nearest_day() {
    let w: f64 = 0.999_999_999_999;
    let body = format!("[[contributors]]\nname = \"W\"\ndeployed = 10\nwithdrawal_per_year = {w}\n");
    let lambda = -(1.0 - w).ln() / 365.0;
    let n = 20_000;
    let out = run(&scenario(30, "day", &body), n, 708);
    let rows = out.series("contributor:W");
    assert_eq!(rows.len(), 31);
    for row in rows {
        let d = day(row);
        let exact = (-lambda * (f64::from(d) + 0.5)).exp();
        let what = format!("share still there on day {d}");
        check_share(&what, num(row, "mean") / 10.0, exact, n, MEAN_PRINT / 10.0);
    }
}

#[test]
fn waves_split_the_pledge_evenly_earliest_first() {
    // 10 in 3 waves, 7 days apart, the first on day 5: 4 on day 5, 3 on day
    // 12, 3 on day 19.
    let body = r#"
[[contributors]]
name = "V"
pledged = 10
waves = 3
wave_interval_days = 7
first_arrival_days = 5
"#;
    let out = run(&scenario(25, "day", body), 100, 808);
    for d in 0..=25u32 {
        let expected = match d {
            0..=4 => 0.0,
            5..=11 => 4.0,
            12..=18 => 7.0,
            _ => 10.0,
        };
        let row = out.at("contributor:V", d);
        for column in ["mean", "p5", "p25", "p50", "p75", "p95"] {
            assert_eq!(num(row, column), expected, "day {d}, {column}");
        }
        assert_eq!(num(row, "sd"), 0.0, "day {d}");
    }
    let v = out.contributor("V");
    assert_eq!(num(v, "mean_delivered"), 10.0);
    assert_eq!(num(v, "p_full_delivery"), 1.0);
    for column in ["last_wave_date_p5", "last_wave_date_p50", "last_wave_date_p95"] {
        assert_eq!(text(v, column), "2024-01-20", "{column}: day 19");
    }
}

#[test]
fn a_to_b_arrival_day_matches_the_rounded_lognormal() {
    // first_arrival_days = "30 to 240": X lognormal with 5th and 95th
    // percentiles 30 and 240; the day is round(X) (X > 0, so no clamping), and
    // P(day <= d) = P(X < d + 0.5) = Phi((ln(d + 0.5) - mu) / sigma). So the
    // share by day 30 is a little over 5% (X < 30.5) and by day 240 a little
    // over 95% (X < 240.5).
    let body = r#"
[[contributors]]
name = "L"
pledged = 1
first_arrival_days = "30 to 240"

[[targets]]
name = "L here"
metric = "contributor:L"
at_least = 1
"#;
    let (mu, sigma) = a_to_b_params(30.0, 240.0);
    let cdf = |d: u32| normal_cdf(((f64::from(d) + 0.5).ln() - mu) / sigma);
    assert!(cdf(29) < 0.05 && cdf(30) > 0.05 && cdf(239) < 0.95 && cdf(240) > 0.95);
    let n = 20_000;
    let out = run(&scenario(250, "day", body), n, 1010);
    let rows = out.target("L here");
    assert_eq!(rows.len(), 251);
    for row in rows {
        let d = day(row);
        check_share(
            &format!("p_reached on day {d}"),
            num(row, "p_reached"),
            cdf(d),
            n,
            SHARE_PRINT,
        );
    }
}
