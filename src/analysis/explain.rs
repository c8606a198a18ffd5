//! `forcegen explain`: what a scenario's inputs actually mean once drawn,
//! and what in it a careful analyst would want to double-check.
//!
//! Every input of [`Scenario::inputs`] is drawn [`DRAWS`] times from a fixed
//! seed and brought into its field's range exactly as the model does
//! ([`ValueKind::apply`]), so the printed p5, p50, p95 and mean are those of
//! the values the simulation uses, and the output is the same on every run.
//! "Clamped" is the share of draws that limiting to the range changes,
//! beyond rounding to whole numbers: a `normal` for a fraction that strays
//! below 0 or above 1, a `normal` day below 0.
//!
//! The warnings point at scenario fields (`contributors.Benin.probability`)
//! whose values make a target unreachable or already met, an event or
//! intake that cannot happen within the horizon, a pledge that can never
//! arrive, or a distribution much changed by clamping.

use std::fmt::Write as _;

use crate::model::{StreamId, stream};
use crate::output::{number, schema};
use crate::scenario::{Dist, Input, IntakeSchedule, Kind, Metric, Sampler, Scenario, ValueKind};

/// Draws per input.
pub const DRAWS: usize = 100_000;
/// The seed of the draws (fixed: the output is deterministic).
pub const SEED: u64 = 0;
/// Share of draws changed by clamping above which a warning is given.
pub const CLAMP_WARNING: f64 = 0.01;
/// The header of the `--csv` file.
pub const CSV_HEADER: [&str; 9] = schema::EXPLAIN_COLUMNS;

/// One input's distribution as the model uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSummary {
    pub path: String,
    pub kind: ValueKind,
    pub dist: Dist,
    /// p5, p50 and p95 after rounding and clamping: the smallest drawn value
    /// with at least that share of draws at or below it.
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
    pub mean: f64,
    /// Share of draws that clamping changes (beyond rounding).
    pub clamped: f64,
}

impl InputSummary {
    pub fn is_constant(&self) -> bool {
        matches!(self.dist, Dist::Constant(_))
    }
}

/// Something in a scenario worth a second look, and the field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub field: String,
    pub message: String,
}

/// Everything `explain` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub inputs: Vec<InputSummary>,
    pub warnings: Vec<Warning>,
}

/// [`DRAWS`] values of an input, rounded and clamped as the model does,
/// and how many of them clamping changed. Each input has its own stream
/// (named by its path), so draw `i` of two inputs form an independent pair.
pub fn draws(input: &Input) -> (Vec<f64>, usize) {
    let Ok(sampler) = Sampler::new(&input.dist) else {
        // Parsing checked every distribution; nothing to draw otherwise.
        return (Vec::new(), 0);
    };
    let mut rng = stream(SEED, 0, StreamId::of(&input.path));
    let mut clamped = 0;
    let values = (0..DRAWS)
        .map(|_| {
            let raw = sampler.sample(&mut rng);
            clamped += usize::from(is_clamped(input.kind, raw));
            input.kind.apply(raw)
        })
        .collect();
    (values, clamped)
}

/// True when [`ValueKind::apply`] moves `raw` by more than rounding. A day
/// capped far past the longest horizon is not counted: every such day means
/// the same ("not within the horizon").
fn is_clamped(kind: ValueKind, raw: f64) -> bool {
    match kind {
        ValueKind::Day => raw.round() < 0.0,
        ValueKind::Count | ValueKind::PositiveCount => kind.apply(raw) != raw.round(),
        ValueKind::Fraction | ValueKind::Growth => kind.apply(raw) != raw,
    }
}

/// The smallest value with at least `percent`% of the sorted values at or
/// below it: the definition of `timeseries.csv` (whose histograms take
/// only non-negative values, so they cannot hold a growth rate).
fn percentile(sorted: &[f64], percent: usize) -> f64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
}

/// Summarises one input from its draws.
pub fn summarise(input: &Input) -> InputSummary {
    let (mut values, clamped) = draws(input);
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.sort_by(f64::total_cmp);
    InputSummary {
        path: input.path.clone(),
        kind: input.kind,
        dist: input.dist.clone(),
        p5: percentile(&values, 5),
        p50: percentile(&values, 50),
        p95: percentile(&values, 95),
        mean,
        clamped: clamped as f64 / n,
    }
}

/// Summaries of every input and the warnings, for `scenario`.
pub fn explain(scenario: &Scenario) -> Explanation {
    let inputs: Vec<InputSummary> = scenario.inputs().into_iter().map(summarise).collect();
    let mut warnings = clamp_warnings(&inputs);
    warnings.extend(intake_warnings(scenario));
    warnings.extend(contributor_warnings(scenario));
    warnings.extend(event_warnings(scenario));
    warnings.extend(target_warnings(scenario));
    Explanation { inputs, warnings }
}

/// The distribution as a scenario would write it.
pub fn written(dist: &Dist) -> String {
    match *dist {
        Dist::Constant(v) => format!("{v}"),
        Dist::Uniform { low, high } => format!("uniform({low}, {high})"),
        Dist::Triangular { min, mode, max } => format!("triangular({min}, {mode}, {max})"),
        Dist::Pert { min, mode, max } => format!("pert({min}, {mode}, {max})"),
        Dist::Normal { mean, sd } => format!("normal({mean}, {sd})"),
        Dist::LogNormal { mu, sigma } => format!("lognormal({mu}, {sigma})"),
        Dist::Beta { alpha, beta } => format!("beta({alpha}, {beta})"),
        Dist::Gamma { shape, scale } => format!("gamma({shape}, {scale})"),
        Dist::Exponential { mean } => format!("exponential({mean})"),
        Dist::Range { p5, p95 } => format!("{p5} to {p95}"),
    }
}

/// A short name for a kind of value.
pub fn kind_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Count | ValueKind::PositiveCount => "people",
        ValueKind::Day => "days",
        ValueKind::Fraction => "fraction",
        ValueKind::Growth => "growth",
    }
}

/// The range a kind is clamped to, in words.
fn range_words(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Count => "0 or more people",
        ValueKind::PositiveCount => "1 or more people",
        ValueKind::Day => "0 or more days",
        ValueKind::Fraction => "0 to 1",
        ValueKind::Growth => "-0.99 or more",
    }
}

/// A value of this kind as printed: whole numbers for people and days.
fn show(kind: ValueKind, value: f64) -> String {
    match kind {
        ValueKind::Count | ValueKind::PositiveCount | ValueKind::Day => number(value, 0),
        ValueKind::Fraction | ValueKind::Growth => number(value, 4),
    }
}

fn show_mean(kind: ValueKind, value: f64) -> String {
    match kind {
        ValueKind::Count | ValueKind::PositiveCount | ValueKind::Day => number(value, 1),
        ValueKind::Fraction | ValueKind::Growth => number(value, 4),
    }
}

/// A share as a percentage for people: "15.9%", "<0.1%", "0%".
fn percent(share: f64) -> String {
    match share {
        s if s <= 0.0 => "0%".to_string(),
        s if s < 0.0005 => "<0.1%".to_string(),
        s if s >= 1.0 => "100%".to_string(),
        s if s > 0.9995 => ">99.9%".to_string(),
        s => format!("{:.1}%", 100.0 * s),
    }
}

fn warn(field: impl Into<String>, message: String) -> Warning {
    Warning {
        field: field.into(),
        message,
    }
}

fn clamp_warnings(inputs: &[InputSummary]) -> Vec<Warning> {
    inputs
        .iter()
        .filter(|s| s.clamped > CLAMP_WARNING)
        .map(|s| {
            let message = format!(
                "{} of draws of {} fall outside {} and are moved to its edge: the values used have mean {} \
                 instead of the distribution's {}",
                percent(s.clamped),
                written(&s.dist),
                range_words(s.kind),
                show_mean(s.kind, s.mean),
                show_mean(s.kind, s.dist.mean())
            );
            warn(&s.path, message)
        })
        .collect()
}

/// "day 740 (2026-10-09)" for a day number.
fn day_and_date(scenario: &Scenario, day: u32) -> String {
    format!("day {day} ({})", scenario.date_of(day))
}

fn horizon_words(scenario: &Scenario) -> String {
    format!(
        "the horizon, {}",
        day_and_date(scenario, scenario.simulation.horizon_days)
    )
}

fn intake_warnings(scenario: &Scenario) -> Vec<Warning> {
    let Some(host) = &scenario.host_police else {
        return Vec::new();
    };
    let horizon = scenario.simulation.horizon_days;
    let mut warnings = Vec::new();
    for intake in &host.intakes {
        let path = intake.size.path.strip_suffix(".size").unwrap_or(&intake.size.path);
        if intake.class_days(horizon).is_empty() {
            let (key, day) = match intake.schedule {
                IntakeSchedule::Once { day } => ("day", day),
                IntakeSchedule::Recurring { first_day, .. } => ("first_day", first_day),
            };
            let message = format!(
                "{} is after {}: this intake never graduates within the simulated period",
                day_and_date(scenario, day),
                horizon_words(scenario)
            );
            warnings.push(warn(format!("{path}.{key}"), message));
        }
        if intake.probability <= 0.0 {
            let message = "is 0: this intake never graduates".to_string();
            warnings.push(warn(format!("{path}.probability"), message));
        }
        let (sizes, _) = draws(&intake.size);
        if sizes.iter().all(|&s| s == 0.0) {
            let message = format!(
                "{} is 0 in every draw (after rounding): this intake never adds anyone",
                written(&intake.size.dist)
            );
            warnings.push(warn(intake.size.path.clone(), message));
        }
    }
    warnings
}

fn contributor_warnings(scenario: &Scenario) -> Vec<Warning> {
    let horizon = f64::from(scenario.simulation.horizon_days);
    let mut warnings = Vec::new();
    for c in scenario.contributors.iter().filter(|c| c.pledged > 0) {
        let path = format!("contributors.{}", c.name);
        let none = format!("none of the {} pledged ever arrives", c.pledged);
        if c.probability <= 0.0 {
            warnings.push(warn(format!("{path}.probability"), format!("is 0: {none}")));
            continue;
        }
        let event = c.after.and_then(|e| scenario.events.get(e));
        if let Some(event) = event
            && event.probability <= 0.0
        {
            let message = format!("waits on event `{}`, whose probability is 0: {none}", event.name);
            warnings.push(warn(format!("{path}.after"), message));
            continue;
        }
        let (delays, _) = draws(&c.first_arrival_days);
        let anchors = match event {
            Some(event) => draws(&event.day).0,
            None => vec![0.0; delays.len()],
        };
        let within = anchors.iter().zip(&delays).any(|(a, d)| a + d <= horizon);
        if !within {
            let from = event
                .map(|e| format!(" (counting from event `{}`)", e.name))
                .unwrap_or_default();
            let message = format!(
                "{} puts the first wave after {} in every draw{from}: none of the {} pledged arrives within the \
                 simulated period",
                written(&c.first_arrival_days.dist),
                horizon_words(scenario),
                c.pledged
            );
            warnings.push(warn(format!("{path}.first_arrival_days"), message));
        }
    }
    warnings
}

fn event_warnings(scenario: &Scenario) -> Vec<Warning> {
    let horizon = f64::from(scenario.simulation.horizon_days);
    let mut warnings = Vec::new();
    for event in &scenario.events {
        if event.probability <= 0.0 {
            let message = "is 0: this event never happens".to_string();
            warnings.push(warn(format!("events.{}.probability", event.name), message));
        }
        let (days, _) = draws(&event.day);
        let after = days.iter().filter(|&&d| d > horizon).count() as f64 / days.len().max(1) as f64;
        let message = match (&event.day.dist, after) {
            (_, a) if a <= 0.0 => continue,
            (Dist::Constant(_), _) => format!(
                "{} is after {}: the event never happens within the simulated period",
                day_and_date(scenario, days.first().copied().unwrap_or(horizon) as u32),
                horizon_words(scenario)
            ),
            (dist, a) if a >= 1.0 => format!(
                "{} is after {} in every draw: the event never happens within the simulated period",
                written(dist),
                horizon_words(scenario)
            ),
            (dist, a) => format!(
                "{} is after {} in {} of draws; in those trials the event does not happen",
                written(dist),
                horizon_words(scenario),
                percent(a)
            ),
        };
        warnings.push(warn(event.day.path.clone(), message));
    }
    warnings
}

/// The contributors a metric counts: all, police only, one, or `None` for
/// metrics that also count the host police.
fn counted(scenario: &Scenario, metric: Metric) -> Option<(String, Vec<usize>)> {
    let all = 0..scenario.contributors.len();
    match metric {
        Metric::International => Some(("all contributors together".to_string(), all.collect())),
        Metric::InternationalPolice => Some((
            "the police contributors together".to_string(),
            all.filter(|&c| scenario.contributors[c].kind == Kind::Police).collect(),
        )),
        Metric::Contributor(c) => Some((format!("contributor {}", scenario.contributors[c].name), vec![c])),
        _ => None,
    }
}

fn target_warnings(scenario: &Scenario) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for target in &scenario.targets {
        let field = format!("targets.{}.at_least", target.name);
        let metric = target.metric.name(scenario);
        if let Some((who, members)) = counted(scenario, target.metric) {
            let most = members.iter().fold(0u64, |sum, &c| {
                let c = &scenario.contributors[c];
                sum.saturating_add(c.deployed).saturating_add(c.pledged)
            });
            if (most as f64) < target.at_least {
                let message = format!(
                    "{} cannot be reached: deployed plus pledged is only {most} for {who}, so {metric} stays \
                     below it even if every pledge is honoured in full",
                    number(target.at_least, 6)
                );
                warnings.push(warn(field.clone(), message));
                continue;
            }
        } else if let Some(most) = most_drawn(scenario, target.metric)
            && most < target.at_least
        {
            let decimals = if target.metric.is_ratio() { 2 } else { 0 };
            let message = format!(
                "{} is out of reach: {metric} is at most {} even with the largest drawn host police and \
                 intake classes, nobody leaving, every pledge in full and the smallest drawn population",
                number(target.at_least, 6),
                number(most, decimals)
            );
            warnings.push(warn(field.clone(), message));
            continue;
        }
        let met = met_on_day_zero(scenario, target.metric, target.at_least);
        if met > 0.0 {
            let how_often = if met >= 1.0 {
                "in every trial".to_string()
            } else {
                format!("in {} of draws", percent(met))
            };
            let message = format!(
                "{} is already met on day 0 {how_often} by the deployed and initial strength alone: its \
                 probability and date measure the starting point, not growth",
                number(target.at_least, 6)
            );
            warnings.push(warn(field, message));
        }
    }
    warnings
}

/// The largest value a metric counting the host police could take, from
/// the largest draws of each input ([`DRAWS`] each): the largest initial
/// strength, every intake class within the horizon at its largest size, no
/// attrition, every contributor's deployed and pledged, and, for ratios, the
/// smallest population within the horizon. `None` for metrics of
/// contributors only (checked exactly from their pledges).
fn most_drawn(scenario: &Scenario, metric: Metric) -> Option<f64> {
    let largest = |input: &Input| draws(input).0.into_iter().fold(0.0, f64::max);
    let horizon = scenario.simulation.horizon_days;
    let host = scenario.host_police.as_ref().map_or(0.0, |h| {
        let classes: f64 = h
            .intakes
            .iter()
            .filter(|i| i.probability > 0.0)
            .map(|i| i.class_days(horizon).len() as f64 * largest(&i.size))
            .sum();
        largest(&h.initial) + classes
    });
    let pledges = |police_only: bool| -> f64 {
        scenario
            .contributors
            .iter()
            .filter(|c| !police_only || c.kind == Kind::Police)
            .map(|c| c.deployed as f64 + c.pledged as f64)
            .sum()
    };
    let smallest_population = || {
        let initial = draws(&scenario.population.initial)
            .0
            .into_iter()
            .fold(f64::INFINITY, f64::min);
        let growth = draws(&scenario.population.annual_growth)
            .0
            .into_iter()
            .fold(0.0, f64::min);
        initial * (1.0 + growth).powf(f64::from(horizon) / 365.25)
    };
    Some(match metric {
        Metric::HostPolice => host,
        Metric::Police => host + pledges(true),
        Metric::SecurityForces => host + pledges(false),
        Metric::PolicePer100k => (host + pledges(true)) * 1e5 / smallest_population(),
        Metric::SecurityPer1000 => (host + pledges(false)) * 1e3 / smallest_population(),
        Metric::International | Metric::InternationalPolice | Metric::Contributor(_) => return None,
    })
}

/// Share of draws in which `metric` is at least `at_least` on day 0 from the
/// deployed contributors, the initial host police and the initial population.
fn met_on_day_zero(scenario: &Scenario, metric: Metric, at_least: f64) -> f64 {
    let deployed = |police_only: bool| -> f64 {
        scenario
            .contributors
            .iter()
            .filter(|c| !police_only || c.kind == Kind::Police)
            .map(|c| c.deployed as f64)
            .sum()
    };
    let (international, international_police) = (deployed(false), deployed(true));
    let host = match &scenario.host_police {
        Some(h) => draws(&h.initial).0,
        None => vec![0.0; DRAWS],
    };
    let population = draws(&scenario.population.initial).0;
    let met = host
        .iter()
        .zip(&population)
        .filter(|&(&h, &p)| {
            let value = match metric {
                Metric::International => international,
                Metric::InternationalPolice => international_police,
                Metric::HostPolice => h,
                Metric::Police => h + international_police,
                Metric::SecurityForces => h + international,
                Metric::PolicePer100k => (h + international_police) * 1e5 / p,
                Metric::SecurityPer1000 => (h + international) * 1e3 / p,
                Metric::Contributor(c) => scenario.contributors.get(c).map_or(0.0, |c| c.deployed as f64),
            };
            value >= at_least
        })
        .count();
    met as f64 / host.len().max(1) as f64
}

/// The text `explain` prints: a header, the aligned table of uncertain
/// inputs, the constants, and the warnings.
/// Trials drawn to show each correlation's sampled rank correlation.
const CORRELATION_DRAWS: u64 = 20_000;

/// The Spearman correlation of each `[[correlations]]` pair over the inputs
/// the model draws (`None` if an input does not vary), as a check that the
/// copula gives what was asked for.
fn sampled_rank_correlations(scenario: &Scenario) -> Vec<Option<f64>> {
    use crate::analysis::sensitivity::{pearson, ranks};
    let mut fixed = scenario.clone();
    fixed.simulation.seed = 0;
    let model = crate::model::Model::new(&fixed);
    let table = model.input_table();
    let columns = model.input_columns(&table, 0..CORRELATION_DRAWS);
    let column = |path: &str| table.paths.iter().position(|p| p == path).map(|i| ranks(&columns[i]));
    scenario
        .correlations
        .iter()
        .map(|c| match (column(&c.inputs[0]), column(&c.inputs[1])) {
            (Some(a), Some(b)) => pearson(&a, &b),
            _ => None,
        })
        .collect()
}

pub fn render_text(scenario: &Scenario, explanation: &Explanation) -> String {
    let mut text = String::new();
    let horizon = scenario.simulation.horizon_days;
    let _ = writeln!(text, "{}", scenario.name);
    let _ = writeln!(text, "  file: {}", scenario.file);
    let _ = writeln!(
        text,
        "  simulated period: {} to {} (day 0 to day {horizon})\n",
        scenario.simulation.start,
        scenario.date_of(horizon)
    );
    let _ = writeln!(
        text,
        "Uncertain inputs, as the simulation uses them: {DRAWS} draws each (fixed seed), rounded and limited to \
         the field's range.\n\"clamped\" is the share of draws that limiting changes (rounding to whole numbers \
         is not counted).\n"
    );
    let header = ["input", "kind", "distribution", "p5", "p50", "p95", "mean", "clamped"];
    let rows: Vec<[String; 8]> = explanation
        .inputs
        .iter()
        .filter(|s| !s.is_constant())
        .map(|s| {
            [
                s.path.clone(),
                kind_name(s.kind).to_string(),
                written(&s.dist),
                show(s.kind, s.p5),
                show(s.kind, s.p50),
                show(s.kind, s.p95),
                show_mean(s.kind, s.mean),
                percent(s.clamped),
            ]
        })
        .collect();
    write_table(&mut text, &header, &rows);
    let constants: Vec<&InputSummary> = explanation.inputs.iter().filter(|s| s.is_constant()).collect();
    if !constants.is_empty() {
        let _ = writeln!(text, "\nConstants (the same in every trial):");
        for s in constants {
            let date = if s.path.starts_with("events.") && s.kind == ValueKind::Day {
                format!(" ({})", scenario.date_of(s.p50 as u32))
            } else {
                String::new()
            };
            let _ = writeln!(
                text,
                "  {} = {}{date}{}",
                s.path,
                show(s.kind, s.p50),
                unused(scenario, &s.path)
            );
        }
    }
    if !scenario.correlations.is_empty() {
        let _ = writeln!(
            text,
            "\nCorrelations (Gaussian copula; sampled over {CORRELATION_DRAWS} trials, fixed seed):"
        );
        for (c, sampled) in scenario.correlations.iter().zip(sampled_rank_correlations(scenario)) {
            let sampled = sampled.map_or_else(|| "-".to_string(), |r| format!("{r:+.3}"));
            let _ = writeln!(
                text,
                "  {} ~ {}: rank correlation {:+.3} requested, {sampled} sampled",
                c.inputs[0], c.inputs[1], c.rank_correlation
            );
        }
    }
    if explanation.warnings.is_empty() {
        let _ = writeln!(text, "\nNo warnings.");
    } else {
        let _ = writeln!(text, "\nWarnings ({}):", explanation.warnings.len());
        for w in &explanation.warnings {
            let _ = writeln!(
                text,
                "{}",
                wrap(&format!("{}: {}", w.field, w.message), WRAP, "  ", "      ")
            );
        }
    }
    text
}

/// Width at which warnings are wrapped.
const WRAP: usize = 100;

/// Word-wraps `text` to `width` columns: `first` before the first line,
/// `rest` before the others. A word longer than a line stays whole.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::from(first);
    let mut column = first.chars().count();
    let mut at_start = true;
    for word in text.split_whitespace() {
        let length = word.chars().count();
        if !at_start && column + 1 + length > width {
            out.push('\n');
            out.push_str(rest);
            column = rest.chars().count();
            at_start = true;
        }
        if !at_start {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += length;
        at_start = false;
    }
    out
}

/// " (not used: one wave)" for the wave interval of a one-wave contributor.
fn unused(scenario: &Scenario, path: &str) -> &'static str {
    let one_wave = scenario
        .contributors
        .iter()
        .any(|c| c.waves <= 1 && c.wave_interval_days.path == path);
    if one_wave { " (not used: one wave)" } else { "" }
}

/// Columns padded to their widest cell: text to the left, numbers to the right.
fn write_table(text: &mut String, header: &[&str; 8], rows: &[[String; 8]]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                if i < 3 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let _ = writeln!(text, "{}", line(header.to_vec()));
    for row in rows {
        let _ = writeln!(text, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

/// The input table as CSV (constants included, marked in `constant`).
pub fn render_csv(explanation: &Explanation) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(CSV_HEADER);
    for s in &explanation.inputs {
        let _ = writer.write_record([
            s.path.clone(),
            kind_name(s.kind).to_string(),
            written(&s.dist),
            u8::from(s.is_constant()).to_string(),
            number(s.p5, 6),
            number(s.p50, 6),
            number(s.p95, 6),
            number(s.mean, 6),
            number(s.clamped, 6),
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_str;

    fn input(text: &str, kind: ValueKind) -> Input {
        Input {
            path: "test.input".to_string(),
            dist: Dist::parse(text).expect("a valid distribution"),
            kind,
        }
    }

    #[test]
    fn clamping_is_counted_beyond_rounding() {
        assert!(!is_clamped(ValueKind::Day, -0.4));
        assert!(is_clamped(ValueKind::Day, -0.6));
        assert!(!is_clamped(ValueKind::Day, 1e12));
        assert!(is_clamped(ValueKind::Fraction, 1.01));
        assert!(!is_clamped(ValueKind::Count, 3.4));
        assert!(is_clamped(ValueKind::PositiveCount, 0.2));
    }

    #[test]
    fn a_normal_fraction_is_clamped_as_often_as_its_tail() {
        let s = summarise(&input("normal(0.9, 0.1)", ValueKind::Fraction));
        // P(Z > 1) = 0.158655; the SE over 100,000 draws is 0.0012.
        assert!((s.clamped - 0.158_655).abs() < 0.005, "{}", s.clamped);
        assert_eq!(s.p95, 1.0);
        assert!(s.mean < 0.9);
    }

    #[test]
    fn percentiles_are_of_the_rounded_values() {
        let s = summarise(&input("uniform(10, 20)", ValueKind::Day));
        assert_eq!(s.p50, 15.0);
        assert!((s.mean - 15.0).abs() < 0.05, "{}", s.mean);
        assert_eq!(s.clamped, 0.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 5), 1.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 95), 4.0);
    }

    #[test]
    fn distributions_are_written_back_as_given() {
        for text in [
            "uniform(10, 20)",
            "pert(4000, 4500, 5500)",
            "15 to 150",
            "normal(0.014, 0.002)",
            "beta(9, 1)",
        ] {
            assert_eq!(written(&Dist::parse(text).expect("valid")), text);
        }
    }

    #[test]
    fn warnings_wrap_at_word_boundaries() {
        assert_eq!(wrap("aa bb cc dd", 8, "- ", "  "), "- aa bb\n  cc dd");
        assert_eq!(wrap("averyveryverylongword x", 8, "", ""), "averyveryverylongword\nx");
    }

    #[test]
    fn a_clean_scenario_has_no_warnings() {
        let text = "name = \"t\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 90\n[population]\n\
                    initial = 1000\n[[contributors]]\nname = \"A\"\npledged = 10\nfirst_arrival_days = 30\n\
                    [[targets]]\nname = \"ten\"\nmetric = \"international\"\nat_least = 10\n";
        let scenario = parse_str(text, "t.toml").expect("valid");
        assert_eq!(explain(&scenario).warnings, Vec::new());
    }
}
