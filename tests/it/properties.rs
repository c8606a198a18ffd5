//! Property tests (proptest) over generated valid scenarios: random
//! contributors, distributions, events, host police intakes, targets,
//! horizons and report steps, written out as TOML text and run through the
//! library (`forcegen::cmd::Cli::run`, as the CLI does) into temporary folders.
//!
//! For every generated scenario:
//! - it is accepted and the run never fails or panics;
//! - every `timeseries.csv` row has `sd >= 0`, `p5 <= p25 <= p50 <= p75 <= p95`,
//!   head counts whole and non-negative, and every value within the exact
//!   bounds derivable from the scenario (a contributor never exceeds
//!   `deployed + pledged`, `international` the sum of those, host police its
//!   largest initial strength plus every class at its largest size);
//! - `p_reached` never falls as the date advances and ends at
//!   `p_reached_by_horizon`; the pXX dates are in order; `contributors.csv`
//!   stays within `[0, pledged]` and `[0, 1]`;
//! - a rerun on another thread count writes byte-identical files;
//! - a one-trial run (constant population, zero growth) has every percentile
//!   equal to the value, `international` equal to the sum of the
//!   contributors, `police = host_police + international_police`,
//!   `security_forces = host_police + international`, the ratios equal to
//!   the counts over the population, and every count target reached by each
//!   report day on which its metric is at least the threshold.
//!
//! 64 cases with a fixed seed, so CI never flakes; set
//! `FORCEGEN_PROPTEST_CASES` for more (and `PROPTEST_RNG_SEED` for other ones).

mod generate;

use std::collections::HashMap;
use std::path::Path;

use crate::cli_support::{FILES, assert_same_outputs, read_csv};
use chrono::NaiveDate;
use clap::Parser;
use forcegen::cmd::Cli;
use generate::{Facts, Gen, STANDARD, scenario};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Values above this are kept in bins of relative width 2^-10 (0.05% from
/// the midpoint), so comparisons allow that much.
const EXACT_LIMIT: f64 = 65_536.0;
const BIN: f64 = 0.0005;

/// `=x` is written `'=x` (spreadsheet safety): the name a metric cell shows.
fn shown(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

fn run(scenario: &Path, out: &Path, trials: u64, threads: usize) -> Result<(), String> {
    let (trials, threads) = (trials.to_string(), threads.to_string());
    let args = [
        "forcegen".as_ref(),
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--trials".as_ref(),
        trials.as_ref(),
        "--threads".as_ref(),
        threads.as_ref(),
        "--quiet".as_ref(),
    ];
    let cli: Cli = Cli::try_parse_from(args).map_err(|e| format!("the flags were refused: {e}"))?;
    cli.run().map_err(|e| format!("the run failed: {e}"))
}

fn num(text: &str, what: &str) -> Result<f64, String> {
    let v: f64 = text.parse().map_err(|_| format!("{what}: {text:?} is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("{what}: {text:?} is not finite"))
    }
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

/// The largest value each head-count metric can take, when bounded.
fn bounds(facts: &Facts) -> HashMap<String, Option<f64>> {
    let intl: f64 = facts.contributors.iter().map(|c| c.1).sum();
    let intl_police: f64 = facts.contributors.iter().filter(|c| c.2).map(|c| c.1).sum();
    let mut b = HashMap::new();
    b.insert("international".to_string(), Some(intl));
    b.insert("international_police".to_string(), Some(intl_police));
    b.insert("host_police".to_string(), facts.host_max);
    b.insert("police".to_string(), facts.host_max.map(|h| h + intl_police));
    b.insert("security_forces".to_string(), facts.host_max.map(|h| h + intl));
    for (name, most, _) in &facts.contributors {
        b.insert(shown(&format!("contributor:{name}")), Some(*most));
    }
    b
}

/// `value <= bound`, allowing the 0.05% bins above 65,535.
fn within(value: f64, bound: f64) -> bool {
    value <= bound || (bound >= EXACT_LIMIT - 1.0 && value <= bound * (1.0 + 2.0 * BIN) + 1.0)
}

/// Invariants of a run with any number of trials.
fn check_run(out: &Path, facts: &Facts, trials: u64) -> Result<(), String> {
    check_timeseries(out, facts, trials)?;
    check_targets(out, facts)?;
    check_contributors(out, facts)
}

/// timeseries.csv: one row per metric and report day, ordered percentiles,
/// whole head counts within their bounds, and one trial's one value.
fn check_timeseries(out: &Path, facts: &Facts, trials: u64) -> Result<(), String> {
    let bounds = bounds(facts);
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (metric_at, mean_at, sd_at) = (at("metric"), at("mean"), at("sd"));
    let p_at: Vec<usize> = ["p5", "p25", "p50", "p75", "p95"].iter().map(|p| at(p)).collect();
    let metrics = STANDARD.len() + facts.contributors.len();
    check(rows.len() % metrics == 0 && !rows.is_empty(), || {
        format!("timeseries.csv has {} rows, not a multiple of {metrics}", rows.len())
    })?;
    for row in &rows {
        let metric = row[metric_at].as_str();
        let what = format!("timeseries.csv {} day {} {metric}", row[0], row[1]);
        let mean = num(&row[mean_at], &what)?;
        let sd = num(&row[sd_at], &what)?;
        check(sd >= 0.0 && mean >= 0.0, || format!("{what}: mean {mean}, sd {sd}"))?;
        let p: Vec<f64> = p_at.iter().map(|&i| num(&row[i], &what)).collect::<Result<_, _>>()?;
        check(p[0] >= 0.0 && p.windows(2).all(|w| w[0] <= w[1]), || {
            format!("{what}: percentiles out of order or negative: {p:?}")
        })?;
        let is_ratio = metric == "police_per_100k" || metric == "security_per_1000";
        if !is_ratio {
            check(p.iter().all(|v| v.fract() == 0.0), || {
                format!("{what}: head count percentiles not whole: {p:?}")
            })?;
            let bound = bounds.get(metric).ok_or_else(|| format!("{what}: unexpected metric"))?;
            if let Some(bound) = bound {
                check(within(p[4], *bound) && within(mean, *bound), || {
                    format!("{what}: p95 {} or mean {mean} above the bound {bound}", p[4])
                })?;
            }
        }
        if trials == 1 {
            check(sd == 0.0 && p.iter().all(|v| *v == p[0]), || {
                format!("{what}: one trial but sd {sd} and percentiles {p:?}")
            })?;
            // The mean of a ratio is printed with 4 decimals.
            check((mean - p[0]).abs() <= 5e-5 + p[0] * 2.0 * BIN, || {
                format!("{what}: one trial but mean {mean} and value {}", p[0])
            })?;
        }
    }
    Ok(())
}

/// targets.csv and summary.csv: each target's chance never falls, ends at
/// `p_reached_by_horizon`, and its dates are in order.
fn check_targets(out: &Path, facts: &Facts) -> Result<(), String> {
    let (h, rows) = read_csv(&out.join("targets.csv"));
    let (sh, summary) = read_csv(&out.join("summary.csv"));
    check(summary.len() == facts.targets.len(), || "summary.csv rows".to_string())?;
    for (name, metric, _) in &facts.targets {
        let name = shown(name);
        let shares: Vec<f64> = rows
            .iter()
            .filter(|r| r[0] == name)
            .map(|r| num(&r[h.iter().position(|c| c == "p_reached").unwrap()], "p_reached"))
            .collect::<Result<_, _>>()?;
        check(!shares.is_empty(), || format!("targets.csv has no rows for {name}"))?;
        check(
            shares.windows(2).all(|w| w[0] <= w[1]) && shares.iter().all(|p| (0.0..=1.0).contains(p)),
            || format!("targets.csv {name}: p_reached falls or leaves [0, 1]: {shares:?}"),
        )?;
        let row = summary
            .iter()
            .find(|r| r[0] == name)
            .ok_or_else(|| format!("summary.csv has no {name}"))?;
        let get = |col: &str| row[sh.iter().position(|c| c == col).unwrap()].clone();
        check(get("metric") == shown(metric), || {
            format!("summary.csv metric of {name}")
        })?;
        let by_horizon = num(&get("p_reached_by_horizon"), "p_reached_by_horizon")?;
        check(Some(&by_horizon) == shares.last(), || {
            format!("{name}: p_reached_by_horizon {by_horizon} is not the last p_reached {shares:?}")
        })?;
        check_dates(&[get("date_p5"), get("date_p50"), get("date_p95")], &name)?;
    }
    Ok(())
}

/// contributors.csv: deliveries within the pledge, shares within [0, 1],
/// dates in order.
fn check_contributors(out: &Path, facts: &Facts) -> Result<(), String> {
    let (h, rows) = read_csv(&out.join("contributors.csv"));
    check(rows.len() == facts.contributors.len(), || {
        "contributors.csv rows".to_string()
    })?;
    for row in &rows {
        let get = |col: &str| row[h.iter().position(|c| c == col).unwrap()].clone();
        let what = format!("contributors.csv {}", get("contributor"));
        let pledged = num(&get("pledged"), &what)?;
        let delivered = num(&get("mean_delivered"), &what)?;
        // Nothing pledged, nothing to deliver in full: the cell is empty.
        let full = match get("p_full_delivery").as_str() {
            "" => None,
            text => Some(num(text, &what)?),
        };
        check(
            (0.0..=pledged).contains(&delivered) && full.is_none_or(|f| (0.0..=1.0).contains(&f)),
            || format!("{what}: mean_delivered {delivered} of {pledged}, p_full_delivery {full:?}"),
        )?;
        check((pledged > 0.0) == full.is_some(), || {
            format!("{what}: pledged {pledged} but p_full_delivery {full:?}")
        })?;
        check_dates(
            &[
                get("last_wave_date_p5"),
                get("last_wave_date_p50"),
                get("last_wave_date_p95"),
            ],
            &what,
        )?;
    }
    Ok(())
}

/// pXX dates: in order, and a later one only where the earlier ones are.
fn check_dates(dates: &[String], what: &str) -> Result<(), String> {
    let parsed: Vec<Option<NaiveDate>> = dates
        .iter()
        .map(|d| {
            (!d.is_empty())
                .then(|| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .flatten()
        })
        .collect();
    check(
        dates.iter().zip(&parsed).all(|(d, p)| d.is_empty() || p.is_some()),
        || format!("{what}: bad dates {dates:?}"),
    )?;
    for w in parsed.windows(2) {
        match (w[0], w[1]) {
            (Some(a), Some(b)) => check(a <= b, || format!("{what}: dates out of order {dates:?}"))?,
            (None, Some(_)) => return Err(format!("{what}: a later pXX date without an earlier one {dates:?}")),
            _ => {}
        }
    }
    Ok(())
}

/// `a == b` for head counts, allowing the 0.05% bins above 65,535.
fn same_count(a: f64, b: f64) -> bool {
    a == b || (a.max(b) >= EXACT_LIMIT && (a - b).abs() <= a.max(b) * 4.0 * BIN + 1.0)
}

/// Invariants of a one-trial run with constant population `population` and no growth.
fn check_one_trial(out: &Path, facts: &Facts, population: f64) -> Result<(), String> {
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (metric_at, p50_at) = (at("metric"), at("p50"));
    let mut by_day: Vec<(String, HashMap<String, f64>)> = Vec::new();
    for row in &rows {
        if by_day.last().is_none_or(|(d, _)| *d != row[0]) {
            by_day.push((row[0].clone(), HashMap::new()));
        }
        let value = num(&row[p50_at], "p50")?;
        by_day.last_mut().unwrap().1.insert(row[metric_at].clone(), value);
    }
    for (date, values) in &by_day {
        let get = |m: &str| values.get(m).copied().ok_or_else(|| format!("{date}: no {m}"));
        let mut sum = 0.0;
        let mut police_sum = 0.0;
        for (name, _, police) in &facts.contributors {
            let v = get(&shown(&format!("contributor:{name}")))?;
            sum += v;
            if *police {
                police_sum += v;
            }
        }
        let (intl, intl_police, host) = (get("international")?, get("international_police")?, get("host_police")?);
        let (police, security) = (get("police")?, get("security_forces")?);
        let pairs = [
            ("international = sum of contributors", intl, sum),
            (
                "international_police = sum of police contributors",
                intl_police,
                police_sum,
            ),
            (
                "police = host_police + international_police",
                police,
                host + intl_police,
            ),
            ("security_forces = host_police + international", security, host + intl),
        ];
        for (rule, left, right) in pairs {
            check(same_count(left, right), || format!("{date}: {rule}: {left} vs {right}"))?;
        }
        for (metric, count, scale) in [("police_per_100k", police, 1e5), ("security_per_1000", security, 1e3)] {
            let printed = get(metric)?;
            let exact = count * scale / population;
            check((printed - exact).abs() <= 5e-5 + exact * 4.0 * BIN, || {
                format!("{date}: {metric} {printed}, but {count} * {scale} / {population} = {exact}")
            })?;
        }
    }
    // A count target is reached by every report day on which its metric is
    // at least the threshold (exact values only).
    let (h, rows) = read_csv(&out.join("targets.csv"));
    let p_at = h.iter().position(|c| c == "p_reached").unwrap();
    for (name, metric, at_least) in &facts.targets {
        if metric.ends_with("_per_100k") || metric.ends_with("_per_1000") {
            continue;
        }
        let name = shown(name);
        for row in rows.iter().filter(|r| r[0] == name) {
            let p = num(&row[p_at], "p_reached")?;
            check(p == 0.0 || p == 1.0, || {
                format!("{name} {}: one trial but p_reached {p}", row[1])
            })?;
            let value = by_day
                .iter()
                .find(|(d, _)| *d == row[1])
                .and_then(|(_, v)| v.get(&shown(metric)).copied());
            if let Some(value) = value
                && value < EXACT_LIMIT
                && value >= *at_least
            {
                check(p == 1.0, || {
                    format!("{name} {}: {metric} is {value} >= {at_least} but p_reached {p}", row[1])
                })?;
            }
        }
    }
    Ok(())
}

fn one_case(generated: &Gen) -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (text, facts) = generated.render(None);
    let with_text = |e: String| format!("{e}\n--- scenario ---\n{text}");
    let path = work.path().join("scenario.toml");
    std::fs::write(&path, &text).map_err(|e| e.to_string())?;
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    run(&path, &a, generated.trials, 2).map_err(with_text)?;
    check_run(&a, &facts, generated.trials).map_err(with_text)?;
    run(&path, &b, generated.trials, 1).map_err(with_text)?;
    let same = std::panic::catch_unwind(|| assert_same_outputs(&a, &b, "rerun on 1 thread"));
    same.map_err(|_| with_text("a rerun wrote different files".to_string()))?;
    for file in FILES {
        check(a.join(file).exists(), || with_text(format!("no {file}")))?;
    }

    let population = 1_000_003.0;
    let (text, facts) = generated.render(Some(population));
    let with_text = |e: String| format!("{e}\n--- scenario (one trial) ---\n{text}");
    std::fs::write(&path, &text).map_err(|e| e.to_string())?;
    let one = work.path().join("one");
    run(&path, &one, 1, 1).map_err(with_text)?;
    check_run(&one, &facts, 1).map_err(with_text)?;
    check_one_trial(&one, &facts, population).map_err(with_text)
}

#[test]
fn generated_scenarios_run_and_their_outputs_satisfy_the_invariants() {
    let cases = std::env::var("FORCEGEN_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0f0c_e6e0),
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&scenario(), |generated| {
        one_case(&generated).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
