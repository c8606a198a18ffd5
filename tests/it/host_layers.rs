//! The host police layers (docs/MODEL.md §2.6): payroll and available for
//! duty, against closed-form answers within 4 Monte Carlo standard errors
//! (fixed seeds: the tests never flake), the ratio metrics against their
//! formula, targets on the layers, determinism across thread counts, and
//! bad input refused with the field and what is allowed.

use crate::cli_support::{assert_same_outputs, forcegen, run_ok, stderr_of, write_file};
use crate::common::{
    MEAN_PRINT, Row, SHARE_PRINT, beta_cdf, check_mean, check_sd, check_share, day, ln_gamma, num, run,
};

/// A scenario from 2024-01-01 with a fixed population of 1,000,000.
fn scenario(horizon: u32, step: &str, body: &str) -> String {
    format!(
        "name = \"host layers\"\n\n[simulation]\nstart = 2024-01-01\nhorizon_days = {horizon}\nstep = \"{step}\"\n\n\
         [population]\ninitial = 1000000\n\n{body}"
    )
}

/// The rows of `metric` in `timeseries.csv`, in day order.
fn rows<'a>(timeseries: &'a [Row], metric: &str) -> Vec<&'a Row> {
    timeseries.iter().filter(|r| r["metric"] == metric).collect()
}

/// The `p_reached` rows of target `name`.
fn reached<'a>(targets: &'a [Row], name: &str) -> Vec<&'a Row> {
    targets.iter().filter(|r| r["target"] == name).collect()
}

/// A beta(a, b) available share of a constant payroll: available is
/// round(payroll × share), mean payroll × a / (a + b) and the beta's sd
/// scaled (the rounding adds a variance of about 1/12, far below the SE);
/// the payroll stays the payroll; a target on host_available is met with
/// P(round(10000 s) >= 5000) = P(s >= 0.49995).
#[test]
fn a_beta_share_of_a_constant_payroll_gives_the_beta_mean_and_sd() {
    let (a, b, payroll): (f64, f64, f64) = (3.0, 4.0, 10_000.0);
    let body = r#"
[host_police]
initial = 10000
available_share = "beta(3, 4)"

[[targets]]
name = "half available"
metric = "host_available"
at_least = 5000
"#;
    let trials = 4_000;
    let run = run(&scenario(60, "week", body), trials, 11);
    let s = a + b;
    let (mean, var) = (a / s, a * b / (s * s * (s + 1.0)));
    let excess = 6.0 * ((a - b).powi(2) * (s + 1.0) - a * b * (s + 2.0)) / (a * b * (s + 2.0) * (s + 3.0));
    let (sd, mu4) = (payroll * var.sqrt(), (excess + 3.0) * (payroll * payroll * var).powi(2));
    let available = rows(&run.timeseries, "host_available");
    assert_eq!(available.len(), 10, "one row per report day");
    for row in available {
        let what = format!("host_available, day {}", day(row));
        check_mean(&what, num(row, "mean"), payroll * mean, sd, trials, MEAN_PRINT);
        check_sd(&what, num(row, "sd"), sd, mu4, trials, MEAN_PRINT);
    }
    for row in rows(&run.timeseries, "host_payroll") {
        assert_eq!(
            (num(row, "mean"), num(row, "sd")),
            (payroll, 0.0),
            "the payroll is constant"
        );
    }
    let p = 1.0 - beta_cdf(0.49995, a, b);
    for row in reached(&run.targets, "half available") {
        check_share("half available", num(row, "p_reached"), p, trials, SHARE_PRINT);
    }
}

/// A uniform course: a class whose day is 30 days before the start joins
/// on day -30 + round(U), U ~ uniform(50, 150), so P(joined by day d) is
/// the uniform CDF at d + 30.5 (not at d + 0.5, as clamping its day to 0
/// first would give); a class on day 90 joins only if 90 + round(U) is
/// within the horizon; a class whose course ends before the start is
/// among `initial` and never joins. The payroll's mean and sd follow, and
/// a target on police_per_100k_payroll (the first class, 1000 of 1e6) is
/// met with the first class's probability.
#[test]
fn a_uniform_course_gives_the_uniform_cdf_of_joining() {
    let body = r#"
[host_police]
course_days = "uniform(50, 150)"

[[host_police.intakes]]
day = 2023-12-02
size = 1000

[[host_police.intakes]]
day = 90
size = 10000

[[host_police.intakes]]
day = 2023-01-01
size = 50000

[[targets]]
name = "first class joined"
metric = "police_per_100k_payroll"
at_least = 100
"#;
    let trials = 4_000;
    let run = run(&scenario(150, "day", body), trials, 5);
    let cdf = |x: f64| ((x - 50.0) / 100.0).clamp(0.0, 1.0);
    let payroll = rows(&run.timeseries, "host_payroll");
    assert_eq!(payroll.len(), 151);
    for row in &payroll {
        let d = f64::from(day(row));
        let (pa, pb) = (cdf(d + 30.5), cdf(d - 89.5));
        // The second class joins only after the first (the same course).
        let var = 1e6 * pa * (1.0 - pa) + 1e8 * pb * (1.0 - pb) + 2e7 * (pb - pa * pb);
        let what = format!("payroll, day {d}");
        check_mean(
            &what,
            num(row, "mean"),
            1000.0 * pa + 10_000.0 * pb,
            var.sqrt(),
            trials,
            MEAN_PRINT,
        );
    }
    assert_eq!(num(payroll[0], "mean"), 0.0, "nobody joins on day 0");
    for row in reached(&run.targets, "first class joined") {
        let d = f64::from(day(row));
        check_share(
            "first class joined",
            num(row, "p_reached"),
            cdf(d + 30.5),
            trials,
            SHARE_PRINT,
        );
    }
    // host_police counts the payroll.
    let host: Vec<&str> = rows(&run.timeseries, "host_police")
        .iter()
        .map(|r| r["mean"].as_str())
        .collect();
    let on_payroll: Vec<&str> = payroll.iter().map(|r| r["mean"].as_str()).collect();
    assert_eq!(host, on_payroll);
}

/// The exact mean and sd of round(share × K), K ~ Binomial(n, q).
fn rounded_binomial_share(n: u64, q: f64, share: f64) -> (f64, f64) {
    if q >= 1.0 {
        return ((share * n as f64).round(), 0.0);
    }
    let (mut mean, mut square) = (0.0, 0.0);
    for k in 0..=n {
        let (kf, nf) = (k as f64, n as f64);
        let ln = ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0)
            + kf * q.ln()
            + (nf - kf) * (1.0 - q).ln();
        let value = (share * kf).round();
        mean += ln.exp() * value;
        square += ln.exp() * value * value;
    }
    (mean, (square - mean * mean).max(0.0).sqrt())
}

/// Exponential attrition on the payroll flows to those available: the
/// payroll is Binomial(n, 0.7^(d/365)) and a share 0.4 available is
/// round(0.4 × payroll), whose exact mean and sd the binomial gives. The
/// ratio metrics are (layer + international police) × 100000 / population,
/// and police_per_100k is police_per_100k_payroll.
#[test]
fn attrition_on_the_payroll_flows_to_the_available_and_the_ratios_follow() {
    let body = r#"
[host_police]
initial = 2000
attrition_per_year = 0.3
available_share = 0.4

[[contributors]]
name = "A"
deployed = 300
"#;
    let trials = 4_000;
    let run = run(&scenario(365, "month", body), trials, 3);
    for row in rows(&run.timeseries, "host_available") {
        let d = f64::from(day(row));
        let (mean, sd) = rounded_binomial_share(2000, 0.7f64.powf(d / 365.0), 0.4);
        let what = format!("available, day {d}");
        check_mean(&what, num(row, "mean"), mean, sd, trials, MEAN_PRINT);
    }
    let mean_of = |metric: &str| -> Vec<f64> { rows(&run.timeseries, metric).iter().map(|r| num(r, "mean")).collect() };
    for (layer, ratio) in [
        ("host_payroll", "police_per_100k_payroll"),
        ("host_available", "police_per_100k_available"),
    ] {
        for (count, value) in mean_of(layer).iter().zip(mean_of(ratio)) {
            let formula = (count + 300.0) * 1e5 / 1e6;
            assert!((value - formula).abs() < 1e-3, "{ratio}: {value}, formula {formula}");
        }
    }
    let text = |metric: &str| -> Vec<String> {
        let cells = ["mean", "sd", "p5", "p50", "p95"];
        rows(&run.timeseries, metric)
            .iter()
            .map(|r| cells.map(|c| r[c].clone()).join(","))
            .collect()
    };
    assert_eq!(text("police_per_100k"), text("police_per_100k_payroll"));
    assert_eq!(text("host_police"), text("host_payroll"));
}

/// The planner's own series: each count held from its day to the next
/// entry (a quoted date before the start holds on day 0), at most the
/// payroll; a count met only between report days (day 16) still meets a
/// target, as the entries' days are evaluated.
#[test]
fn the_own_series_is_held_between_entries() {
    let body = r#"
[host_police]
initial = 5000

[[host_police.available]]
day = "2023-06-01"
count = 400

[[host_police.available]]
day = 3
count = 500

[[host_police.available]]
day = 8
count = "uniform(1000, 2000)"

[[host_police.available]]
day = 16
count = 2500

[[host_police.available]]
day = 17
count = 800

[[host_police.available]]
day = 25
count = 9000

[[targets]]
name = "2400"
metric = "host_available"
at_least = 2400

[[targets]]
name = "1700"
metric = "host_available"
at_least = 1700
"#;
    let trials = 4_000;
    let run = run(&scenario(30, "week", body), trials, 8);
    let uniform_sd = 1000.0 / 12f64.sqrt();
    for row in rows(&run.timeseries, "host_available") {
        let d = day(row);
        let (mean, sd) = match d {
            0 => (400.0, 0.0),
            7 => (500.0, 0.0),
            14 => (1500.0, uniform_sd),
            21 => (800.0, 0.0),
            28 | 30 => (5000.0, 0.0),
            other => panic!("unexpected report day {other}"),
        };
        check_mean(
            &format!("available, day {d}"),
            num(row, "mean"),
            mean,
            sd,
            trials,
            MEAN_PRINT,
        );
    }
    let expected = |name: &str, d: u32| match (name, d) {
        (_, 0 | 7) => 0.0,
        ("2400", 14) => 0.0,
        ("1700", 14) => (2000.0 - 1699.5) / 1000.0,
        _ => 1.0,
    };
    for name in ["2400", "1700"] {
        for row in reached(&run.targets, name) {
            let p = expected(name, day(row));
            check_share(name, num(row, "p_reached"), p, trials, SHARE_PRINT);
        }
    }
}

/// A scenario with every layer rule, event by event and day by day (a
/// ceiling makes it model v2).
fn layered(ceiling: bool) -> String {
    let mission = if ceiling { "[mission]\nceiling = 400\n" } else { "" };
    scenario(
        400,
        "week",
        &format!(
            r#"{mission}
[host_police]
initial = "uniform(9000, 11000)"
attrition_per_year = "uniform(0.05, 0.2)"
available_share = "0.3 to 0.75"
course_days = "uniform(120, 240)"

[[host_police.intakes]]
first_day = 2023-10-01
every_days = 90
size = "uniform(300, 800)"
probability = 0.8

[[contributors]]
name = "A"
pledged = 600
first_arrival_days = "uniform(10, 90)"
attrition_per_year = 0.2

[[targets]]
name = "available"
metric = "host_available"
at_least = 4500

[[targets]]
name = "ratio"
metric = "police_per_100k_available"
at_least = 480
"#
        ),
    )
}

/// Byte-identical files on 1 and 2 threads, with and without model v2.
#[test]
fn layers_are_deterministic_across_threads() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for ceiling in [false, true] {
        let file = write_file(dir.path(), &format!("layers-{ceiling}.toml"), &layered(ceiling));
        let (one, two) = (
            dir.path().join(format!("one-{ceiling}")),
            dir.path().join(format!("two-{ceiling}")),
        );
        let args = |threads: &'static str| ["--trials", "3000", "--seed", "9", "--threads", threads];
        run_ok(&file, &one, &args("1"));
        run_ok(&file, &two, &args("2"));
        assert_same_outputs(&one, &two, &format!("ceiling {ceiling}"));
        let timeseries = std::fs::read_to_string(one.join("timeseries.csv")).expect("timeseries.csv");
        for metric in [
            "host_payroll",
            "host_available",
            "police_per_100k_payroll",
            "police_per_100k_available",
        ] {
            assert!(timeseries.contains(&format!(",{metric},")), "{metric} reported");
        }
    }
}

/// `explain` and `sensitivity` list the layers' inputs by their paths.
#[test]
fn explain_and_sensitivity_list_the_layer_inputs() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let series = scenario(
        100,
        "week",
        "[host_police]\ninitial = 3000\ncourse_days = \"uniform(10, 20)\"\n\
         [[host_police.intakes]]\nday = 5\nsize = 100\n\
         [[host_police.available]]\nday = 0\ncount = 900\n\
         [[host_police.available]]\nday = 50\ncount = \"uniform(800, 1200)\"\n",
    );
    for (text, paths) in [
        (
            layered(false),
            vec!["host_police.course_days", "host_police.available_share"],
        ),
        (series, vec!["host_police.course_days", "host_police.available.2.count"]),
    ] {
        let file = write_file(dir.path(), "s.toml", &text);
        let explain = forcegen().arg("explain").arg(&file).output().expect("run explain");
        assert!(explain.status.success(), "{}", stderr_of(&explain));
        let shown = String::from_utf8_lossy(&explain.stdout);
        let out = dir.path().join("sensitivity");
        let sensitivity = forcegen()
            .args(["sensitivity", "--quiet", "--force", "--trials", "300", "--out"])
            .arg(&out)
            .arg(&file)
            .output()
            .expect("run sensitivity");
        assert!(sensitivity.status.success(), "{}", stderr_of(&sensitivity));
        let ranked = std::fs::read_to_string(out.join("sensitivity.csv")).expect("sensitivity.csv");
        for path in paths {
            assert!(shown.contains(path), "explain lists {path}:\n{shown}");
            assert!(ranked.contains(&format!(",{path},")), "sensitivity ranks {path}");
        }
    }
}

/// Bad layer values are refused (exit code 2) with the field and what is allowed.
#[test]
fn bad_layer_values_are_refused_with_what_is_allowed() {
    let cases = [
        (
            "[host_police]\ninitial = 100\navailable_share = 1.2\n",
            "host_police.available_share`: must be a fraction between 0 and 1, got 1.2",
        ),
        (
            "[host_police]\ninitial = 100\navailable_share = 0.5\n[[host_police.available]]\nday = 0\ncount = 5\n",
            "give available_share or [[host_police.available]] entries, not both",
        ),
        (
            "[host_police]\ninitial = 100\n[[host_police.available]]\nday = 10\ncount = 5\n\
             [[host_police.available]]\nday = 10\ncount = 6\n",
            "host_police.available.2.day`: must be after the day of the entry before",
        ),
        (
            "[host_police]\ninitial = 100\n[[host_police.available]]\nday = 10\ncount = 5\n\
             [[host_police.available]]\nday = 2023-12-01\ncount = 6\n",
            "host_police.available.2.day`: must be after the day of the entry before (day 10); got day -31",
        ),
        (
            "[host_police]\ninitial = 100\ncourse_days = -5\n",
            "host_police.course_days`: must be a number of days between 0 and 36525, got -5",
        ),
        (
            "[host_police]\ninitial = 100\n[[host_police.available]]\nday = \"2026-13-01\"\ncount = 5\n",
            "`2026-13-01` is not a day of the calendar; write dates as YYYY-MM-DD",
        ),
        (
            "[host_police]\ninitial = 100\n[[host_police.available]]\nday = 4\n",
            "host_police.available.1.count`: is required",
        ),
        (
            "[host_police]\ninitial = 100\n[[targets]]\nname = \"x\"\nmetric = \"host_available\"\nat_least = 3\n",
            "\"host_available\" needs the host police layers",
        ),
    ];
    let dir = tempfile::tempdir().expect("temporary folder");
    for (body, message) in cases {
        let file = write_file(dir.path(), "bad.toml", &scenario(100, "week", body));
        let out = dir.path().join("out");
        let output = forcegen()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .output();
        let output = output.expect("run forcegen");
        assert_eq!(output.status.code(), Some(2), "{body}");
        let stderr = stderr_of(&output);
        assert!(stderr.contains(message), "{body}: expected {message:?} in:\n{stderr}");
        assert!(!out.exists(), "nothing written for {body}");
    }
}

/// Without a layer key, no layer rows (the old files, byte for byte, are
/// pinned by value_stability).
#[test]
fn without_layer_keys_no_layer_rows() {
    let run = run(&scenario(30, "week", "[host_police]\ninitial = 100\n"), 50, 1);
    assert!(
        run.timeseries
            .iter()
            .all(|r| !r["metric"].contains("payroll") && !r["metric"].contains("available"))
    );
}
