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

use std::collections::HashMap;
use std::path::Path;

use crate::cli_support::{FILES, assert_same_outputs, read_csv};
use chrono::NaiveDate;
use clap::Parser;
use forcegen::cmd::Cli;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// Values above this are kept in bins of relative width 2^-10 (0.05% from
/// the midpoint), so comparisons allow that much.
const EXACT_LIMIT: f64 = 65_536.0;
const BIN: f64 = 0.0005;

/// An uncertain value as written in TOML, with the largest value it can
/// take (after rounding) when that is bounded.
#[derive(Debug, Clone)]
struct Uncertain {
    toml: String,
    max: Option<f64>,
}

fn constant(v: f64) -> Uncertain {
    Uncertain {
        toml: format!("{v}"),
        max: Some(v),
    }
}

fn dist(text: String, max: Option<f64>) -> Uncertain {
    Uncertain {
        toml: format!("\"{text}\""),
        max,
    }
}

/// A whole number of people: bounded forms carry their maximum.
fn count_value(limit: u32) -> impl Strategy<Value = Uncertain> {
    let limit = f64::from(limit);
    prop_oneof![
        4 => (0.0..=limit).prop_map(|v| constant(v.round())),
        2 => (0.0..limit, 1.0..1000.0f64).prop_map(|(a, w)| {
            let (a, b) = (a.round(), a.round() + w.round());
            dist(format!("uniform({a}, {b})"), Some(b))
        }),
        2 => (0.0..limit, 0.0..1.0f64, 1.0..1000.0f64).prop_map(|(a, m, w)| {
            let (a, b) = (a.round(), a.round() + w.round());
            let mode = (a + m * (b - a)).round();
            dist(format!("triangular({a}, {mode}, {b})"), Some(b))
        }),
        1 => (0.0..limit, 0.0..1.0f64, 1.0..1000.0f64).prop_map(|(a, m, w)| {
            let (a, b) = (a.round(), a.round() + w.round());
            let mode = (a + m * (b - a)).round();
            dist(format!("pert({a}, {mode}, {b})"), Some(b))
        }),
        1 => (0.0..limit, 1.0..500.0f64).prop_map(|(m, sd)| dist(format!("normal({}, {})", m.round(), sd.round()), None)),
        1 => (1.0..limit.max(2.0), 1.1..4.0f64).prop_map(|(a, r)| {
            let a = a.round().max(1.0);
            dist(format!("{a} to {}", (a * r).round() + 1.0), None)
        }),
    ]
}

/// A share in [0, 1] (out-of-range draws are clamped by the model).
fn fraction_value() -> impl Strategy<Value = Uncertain> {
    prop_oneof![
        3 => (0u32..=100).prop_map(|k| constant(f64::from(k) / 100.0)),
        2 => (0u32..99, 1u32..=100).prop_map(|(a, w)| {
            let a = f64::from(a) / 100.0;
            let b = (a + f64::from(w) / 100.0).min(1.0);
            let b = if b <= a { a + 0.01 } else { b };
            dist(format!("uniform({a}, {b})"), Some(1.0))
        }),
        2 => (1u32..=40, 1u32..=40).prop_map(|(a, b)| dist(format!("beta({}, {})", f64::from(a) / 4.0, f64::from(b) / 4.0), Some(1.0))),
        1 => (0u32..=100, 1u32..=50).prop_map(|(m, sd)| dist(format!("normal({}, {})", f64::from(m) / 100.0, f64::from(sd) / 100.0), Some(1.0))),
    ]
}

/// A small yearly rate (attrition, withdrawal).
fn rate_value() -> impl Strategy<Value = Uncertain> {
    prop_oneof![
        3 => (0u32..=30).prop_map(|k| constant(f64::from(k) / 100.0)),
        1 => (0u32..20, 1u32..=30).prop_map(|(a, w)| dist(format!("uniform({}, {})", f64::from(a) / 100.0, f64::from(a + w) / 100.0), Some(1.0))),
        1 => (1u32..=10, 10u32..=60).prop_map(|(a, b)| dist(format!("beta({a}, {b})"), Some(1.0))),
        1 => Just(constant(1.0)),
    ]
}

/// A duration in days.
fn days_value() -> impl Strategy<Value = Uncertain> {
    prop_oneof![
        3 => (0u32..=400).prop_map(|d| constant(f64::from(d))),
        1 => (0u32..200, 1u32..200).prop_map(|(a, w)| dist(format!("uniform({a}, {})", a + w), None)),
        1 => (0u32..100, 0u32..=100, 1u32..300).prop_map(|(a, m, w)| {
            let mode = a + m * w / 100;
            dist(format!("triangular({a}, {mode}, {})", a + w), None)
        }),
        1 => (1u32..200).prop_map(|m| dist(format!("exponential({m})"), None)),
        1 => (1u32..=20, 1u32..=40).prop_map(|(k, s)| dist(format!("gamma({}, {s})", f64::from(k) / 4.0), None)),
        1 => (1u32..100, 2u32..=5).prop_map(|(a, r)| dist(format!("{a} to {}", a * r), None)),
        1 => (0u32..=50, 1u32..=15).prop_map(|(mu, s)| dist(format!("lognormal({}, {})", f64::from(mu) / 10.0, f64::from(s) / 10.0), None)),
    ]
}

#[derive(Debug, Clone)]
struct Intake {
    /// `day = N`, `day = DATE` or `first_day = N` + `every_days = E`.
    once: Option<(u32, bool)>,
    recurring: (u32, u32),
    size: Uncertain,
    probability: Option<f64>,
}

#[derive(Debug, Clone)]
struct Host {
    initial: Uncertain,
    attrition: Option<Uncertain>,
    intakes: Vec<Intake>,
}

#[derive(Debug, Clone)]
struct Contributor {
    name: String,
    deployed: Option<u32>,
    pledged: Option<u32>,
    probability: Option<f64>,
    fulfilment: Option<Uncertain>,
    first_arrival: Option<Uncertain>,
    /// Which unlock event (modulo their number) it waits for, if any.
    after: Option<usize>,
    waves: Option<u32>,
    interval: Option<Uncertain>,
    attrition: Option<Uncertain>,
    withdrawal: Option<Uncertain>,
    military: Option<bool>,
}

#[derive(Debug, Clone)]
struct Event {
    probability: Option<f64>,
    /// A day number, or the same as a date.
    day: (Uncertain, bool),
    drawdown: Option<Option<u32>>,
}

#[derive(Debug, Clone)]
struct Target {
    /// Index into the standard metrics, then the contributors (modulo).
    metric: usize,
    at_least: f64,
}

#[derive(Debug, Clone)]
struct Gen {
    name: String,
    start: NaiveDate,
    horizon: u32,
    step: &'static str,
    seed: u64,
    population: Uncertain,
    growth: Option<Uncertain>,
    host: Option<Host>,
    contributors: Vec<Contributor>,
    events: Vec<Event>,
    targets: Vec<Target>,
    trials: u64,
}

const NAMES: [&str; 8] = [
    "Kenya",
    "=HYPERLINK(\"http://x\",\"y\")",
    "a, b",
    "Ünïcødé 国",
    "+cmd",
    "quote\" and \\ backslash",
    "-1+1",
    "@SUM(A1)",
];

fn probability() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(0.0)),
        1 => Just(Some(1.0)),
        3 => (1u32..100).prop_map(|k| Some(f64::from(k) / 100.0)),
    ]
}

fn intake() -> impl Strategy<Value = Intake> {
    (
        proptest::option::of((0u32..=800, any::<bool>())),
        (0u32..=400, 1u32..=400),
        count_value(800),
        probability(),
    )
        .prop_map(|(once, recurring, size, probability)| Intake {
            once,
            recurring,
            size,
            probability,
        })
}

fn host() -> impl Strategy<Value = Host> {
    (
        count_value(20_000),
        proptest::option::of(rate_value()),
        proptest::collection::vec(intake(), 0..=3),
    )
        .prop_map(|(initial, attrition, intakes)| Host {
            initial,
            attrition,
            intakes,
        })
}

fn head_count() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        6 => Just(None),
        // Now and then above 65,535, where values share 0.05% bins.
        20 => (0u32..=3_000).prop_map(Some),
        1 => (60_000u32..=80_000).prop_map(Some),
    ]
}

fn contributor() -> impl Strategy<Value = Contributor> {
    (
        (0usize..NAMES.len() * 3, head_count(), head_count(), probability()),
        (
            proptest::option::of(fraction_value()),
            proptest::option::of(days_value()),
            proptest::option::of(0usize..4),
            proptest::option::of(1u32..=12),
        ),
        (
            proptest::option::of(days_value()),
            proptest::option::of(rate_value()),
            proptest::option::of(rate_value()),
            proptest::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |((name, deployed, pledged, probability), (fulfilment, first_arrival, after, waves), rest)| {
                let (interval, attrition, withdrawal, military) = rest;
                Contributor {
                    // Made unique when rendered.
                    name: NAMES.get(name).copied().unwrap_or("C").to_string(),
                    deployed,
                    pledged,
                    probability,
                    fulfilment,
                    first_arrival,
                    after,
                    waves,
                    interval,
                    attrition,
                    withdrawal,
                    military,
                }
            },
        )
}

fn event() -> impl Strategy<Value = Event> {
    (
        probability(),
        (days_value(), any::<bool>()),
        proptest::option::of(proptest::option::of(0u32..=200)),
    )
        .prop_map(|(probability, day, drawdown)| Event {
            probability,
            day,
            drawdown,
        })
}

fn target() -> impl Strategy<Value = Target> {
    (0usize..20, 0u32..=6_000, any::<bool>()).prop_map(|(metric, at_least, fine)| Target {
        metric,
        at_least: if fine {
            f64::from(at_least) / 20.0
        } else {
            f64::from(at_least)
        },
    })
}

fn population() -> impl Strategy<Value = Uncertain> {
    prop_oneof![
        3 => (1_000u32..=50_000_000).prop_map(|p| constant(f64::from(p))),
        1 => (10_000u32..=1_000_000, 2u32..=4).prop_map(|(a, r)| dist(format!("uniform({a}, {})", a * r), None)),
        1 => (10_000u32..=1_000_000, 2u32..=4).prop_map(|(a, r)| dist(format!("{a} to {}", a * r), None)),
    ]
}

fn growth() -> impl Strategy<Value = Option<Uncertain>> {
    prop_oneof![
        2 => Just(None),
        1 => (-50i32..=100).prop_map(|g| Some(constant(f64::from(g) / 1000.0))),
        1 => (-20i32..=40, 1u32..=20).prop_map(|(m, sd)| Some(dist(format!("normal({}, {})", f64::from(m) / 1000.0, f64::from(sd) / 1000.0), None))),
    ]
}

fn scenario() -> impl Strategy<Value = Gen> {
    (
        (
            0usize..NAMES.len(),
            0i64..=15_000,
            1u32..=1_500,
            0usize..3,
            0u64..1_000_000,
        ),
        (population(), growth(), proptest::option::of(host())),
        (
            proptest::collection::vec(contributor(), 0..=6),
            proptest::collection::vec(event(), 0..=3),
            proptest::collection::vec(target(), 0..=4),
            1u64..=200,
        ),
    )
        .prop_map(
            |((name, start, horizon, step, seed), (population, growth, host), rest)| {
                let (contributors, events, targets, trials) = rest;
                // Daily steps cost the most per report day: shorter horizons there.
                let horizon = 1 + horizon * [250, 1_500, 3_650][step] / 1_500;
                Gen {
                    name: NAMES[name].to_string(),
                    start: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(start as u64),
                    horizon,
                    step: ["day", "week", "month"][step],
                    seed,
                    population,
                    growth,
                    host,
                    contributors,
                    events,
                    targets,
                    trials,
                }
            },
        )
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What the checks need to know about a generated scenario.
struct Facts {
    /// Contributor names as in the file (unique), deployed + pledged, police?
    contributors: Vec<(String, f64, bool)>,
    /// Largest host police strength, when bounded.
    host_max: Option<f64>,
    /// Metric name of each target.
    targets: Vec<(String, String, f64)>,
}

impl Gen {
    /// The scenario as TOML; `fixed_population` replaces the population by
    /// that constant with zero growth.
    fn render(&self, fixed_population: Option<f64>) -> (String, Facts) {
        let mut t = String::new();
        t.push_str(&format!("name = {}\n\n[simulation]\n", quoted(&self.name)));
        t.push_str(&format!(
            "start = {}\nhorizon_days = {}\nstep = \"{}\"\ntrials = {}\nseed = {}\n\n",
            self.start, self.horizon, self.step, self.trials, self.seed
        ));
        t.push_str("[population]\n");
        match fixed_population {
            Some(p) => t.push_str(&format!("initial = {p}\nannual_growth = 0\n")),
            None => {
                t.push_str(&format!("initial = {}\n", self.population.toml));
                if let Some(g) = &self.growth {
                    t.push_str(&format!("annual_growth = {}\n", g.toml));
                }
            }
        }
        let date = |day: u32| (self.start + chrono::Days::new(u64::from(day))).to_string();
        let mut host_max = Some(0.0);
        if let Some(host) = &self.host {
            t.push_str(&format!("\n[host_police]\ninitial = {}\n", host.initial.toml));
            host_max = host.initial.max;
            if let Some(a) = &host.attrition {
                t.push_str(&format!("attrition_per_year = {}\n", a.toml));
            }
            for intake in &host.intakes {
                t.push_str("\n[[host_police.intakes]]\n");
                let classes = match intake.once {
                    Some((day, as_date)) => {
                        let text = if as_date { date(day) } else { day.to_string() };
                        t.push_str(&format!("day = {text}\n"));
                        u32::from(day <= self.horizon)
                    }
                    None => {
                        let (first, every) = intake.recurring;
                        t.push_str(&format!("first_day = {first}\nevery_days = {every}\n"));
                        if first <= self.horizon {
                            (self.horizon - first) / every + 1
                        } else {
                            0
                        }
                    }
                };
                t.push_str(&format!("size = {}\n", intake.size.toml));
                if let Some(p) = intake.probability {
                    t.push_str(&format!("probability = {p}\n"));
                }
                host_max = match (host_max, intake.size.max) {
                    (Some(h), Some(s)) => Some(h + f64::from(classes) * s),
                    _ => None,
                };
            }
        }
        let unlocks: Vec<usize> = (0..self.events.len())
            .filter(|&e| self.events[e].drawdown.is_none())
            .collect();
        for (e, event) in self.events.iter().enumerate() {
            t.push_str(&format!("\n[[events]]\nname = \"E{e}\"\n"));
            if let Some(p) = event.probability {
                t.push_str(&format!("probability = {p}\n"));
            }
            let (day, as_date) = &event.day;
            match day.max {
                Some(d) if *as_date => t.push_str(&format!("day = {}\n", date(d as u32))),
                _ => t.push_str(&format!("day = {}\n", day.toml)),
            }
            match event.drawdown {
                None => t.push_str("effect = \"unlock\"\n"),
                Some(drawdown) => {
                    t.push_str("effect = \"end_mission\"\n");
                    if let Some(d) = drawdown {
                        t.push_str(&format!("drawdown_days = {d}\n"));
                    }
                }
            }
        }
        let mut contributors = Vec::new();
        for (i, c) in self.contributors.iter().enumerate() {
            let name = format!("{} {i}", c.name);
            t.push_str(&format!("\n[[contributors]]\nname = {}\n", quoted(&name)));
            if let Some(d) = c.deployed {
                t.push_str(&format!("deployed = {d}\n"));
            }
            if let Some(p) = c.pledged {
                t.push_str(&format!("pledged = {p}\n"));
            }
            if let Some(p) = c.probability {
                t.push_str(&format!("probability = {p}\n"));
            }
            for (key, value) in [
                ("fulfilment", &c.fulfilment),
                ("first_arrival_days", &c.first_arrival),
                ("wave_interval_days", &c.interval),
                ("attrition_per_year", &c.attrition),
                ("withdrawal_per_year", &c.withdrawal),
            ] {
                if let Some(v) = value {
                    t.push_str(&format!("{key} = {}\n", v.toml));
                }
            }
            if let (Some(a), false) = (c.after, unlocks.is_empty()) {
                t.push_str(&format!("after = \"E{}\"\n", unlocks[a % unlocks.len()]));
            }
            if let Some(w) = c.waves {
                t.push_str(&format!("waves = {w}\n"));
            }
            if let Some(m) = c.military {
                t.push_str(&format!("kind = \"{}\"\n", if m { "military" } else { "police" }));
            }
            let most = f64::from(c.deployed.unwrap_or(0)) + f64::from(c.pledged.unwrap_or(0));
            contributors.push((name, most, c.military != Some(true)));
        }
        let mut targets = Vec::new();
        for (i, target) in self.targets.iter().enumerate() {
            let metric = match target.metric {
                m if m < STANDARD.len() => STANDARD[m].to_string(),
                m if !contributors.is_empty() => format!("contributor:{}", contributors[m % contributors.len()].0),
                m => STANDARD[m % STANDARD.len()].to_string(),
            };
            let name = format!("T{i} {metric}");
            t.push_str(&format!(
                "\n[[targets]]\nname = {}\nmetric = {}\nat_least = {}\n",
                quoted(&name),
                quoted(&metric),
                target.at_least
            ));
            targets.push((name, metric, target.at_least));
        }
        let facts = Facts {
            contributors,
            host_max,
            targets,
        };
        (t, facts)
    }
}

const STANDARD: [&str; 7] = [
    "international",
    "international_police",
    "host_police",
    "police",
    "security_forces",
    "police_per_100k",
    "security_per_1000",
];

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
