//! The scenarios `properties` generates: proptest strategies for each
//! part, and the TOML text of a generated scenario with the facts the
//! checks need.

use chrono::NaiveDate;
use proptest::prelude::*;

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
pub(super) struct Gen {
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
    pub(super) trials: u64,
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

pub(super) fn scenario() -> impl Strategy<Value = Gen> {
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
pub(super) struct Facts {
    /// Contributor names as in the file (unique), deployed + pledged, police?
    pub(super) contributors: Vec<(String, f64, bool)>,
    /// Largest host police strength, when bounded.
    pub(super) host_max: Option<f64>,
    /// Metric name of each target.
    pub(super) targets: Vec<(String, String, f64)>,
}

/// The standard metrics, in the order a target's `metric` index picks them.
pub(super) const STANDARD: [&str; 7] = [
    "international",
    "international_police",
    "host_police",
    "police",
    "security_forces",
    "police_per_100k",
    "security_per_1000",
];

impl Gen {
    /// The scenario as TOML; `fixed_population` replaces the population by
    /// that constant with zero growth.
    pub(super) fn render(&self, fixed_population: Option<f64>) -> (String, Facts) {
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
        let host_max = self.render_host(&mut t);
        self.render_events(&mut t);
        let contributors = self.render_contributors(&mut t);
        let targets = self.render_targets(&mut t, &contributors);
        let facts = Facts {
            contributors,
            host_max,
            targets,
        };
        (t, facts)
    }

    /// The date of day `day`.
    fn date(&self, day: u32) -> String {
        (self.start + chrono::Days::new(u64::from(day))).to_string()
    }

    /// `[host_police]` and its intakes; returns the largest strength, when
    /// bounded.
    fn render_host(&self, t: &mut String) -> Option<f64> {
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
                        let text = if as_date { self.date(day) } else { day.to_string() };
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
        host_max
    }

    /// The `[[events]]`: unlocks, and ends of mission with their drawdown.
    fn render_events(&self, t: &mut String) {
        for (e, event) in self.events.iter().enumerate() {
            t.push_str(&format!("\n[[events]]\nname = \"E{e}\"\n"));
            if let Some(p) = event.probability {
                t.push_str(&format!("probability = {p}\n"));
            }
            let (day, as_date) = &event.day;
            match day.max {
                Some(d) if *as_date => t.push_str(&format!("day = {}\n", self.date(d as u32))),
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
    }

    /// The `[[contributors]]`: names, and the most each can have.
    fn render_contributors(&self, t: &mut String) -> Vec<(String, f64, bool)> {
        let unlocks: Vec<usize> = (0..self.events.len())
            .filter(|&e| self.events[e].drawdown.is_none())
            .collect();
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
        contributors
    }

    /// The `[[targets]]`: name, metric and threshold of each.
    fn render_targets(&self, t: &mut String, contributors: &[(String, f64, bool)]) -> Vec<(String, String, f64)> {
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
        targets
    }
}
