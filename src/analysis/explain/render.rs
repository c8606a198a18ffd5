//! `forcegen explain` as text for the terminal and as CSV.

use std::fmt::Write as _;

use super::{CORRELATION_DRAWS, CSV_HEADER, DRAWS, Explanation, InputSummary, sampled_rank_correlations};
use crate::output::number;
use crate::scenario::{Dist, Scenario, ValueKind};

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
        Dist::Remaining { mu, sigma, after } => format!("lognormal({mu}, {sigma}) after {after} days"),
    }
}

/// A short name for a kind of value.
pub fn kind_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Count | ValueKind::PositiveCount => "people",
        ValueKind::Day | ValueKind::SignedDay => "days",
        ValueKind::Fraction => "fraction",
        ValueKind::Amount => "USD",
        ValueKind::Growth => "growth",
    }
}

/// The range a kind is clamped to, in words.
pub(super) fn range_words(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Count => "0 or more people",
        ValueKind::PositiveCount => "1 or more people",
        ValueKind::Day => "0 or more days",
        ValueKind::SignedDay => "a whole number of days",
        ValueKind::Amount => "0 or more USD",
        ValueKind::Fraction => "0 to 1",
        ValueKind::Growth => "-0.99 or more",
    }
}

/// A value of this kind as printed: whole numbers for people and days.
pub(super) fn show(kind: ValueKind, value: f64) -> String {
    match kind {
        ValueKind::Count | ValueKind::PositiveCount | ValueKind::Day | ValueKind::SignedDay | ValueKind::Amount => {
            number(value, 0)
        }
        ValueKind::Fraction | ValueKind::Growth => number(value, 4),
    }
}

pub(super) fn show_mean(kind: ValueKind, value: f64) -> String {
    match kind {
        ValueKind::Count | ValueKind::PositiveCount | ValueKind::Day | ValueKind::SignedDay | ValueKind::Amount => {
            number(value, 1)
        }
        ValueKind::Fraction | ValueKind::Growth => number(value, 4),
    }
}

/// A share as a percentage for people: "15.9%", "<0.1%", "0%".
pub(super) fn percent(share: f64) -> String {
    match share {
        s if s <= 0.0 => "0%".to_string(),
        s if s < 0.0005 => "<0.1%".to_string(),
        s if s >= 1.0 => "100%".to_string(),
        s if s > 0.9995 => ">99.9%".to_string(),
        s => format!("{:.1}%", 100.0 * s),
    }
}

/// The text `explain` prints: a header, the aligned table of uncertain
/// inputs, the constants, and the warnings.
pub fn render_text(scenario: &Scenario, explanation: &Explanation) -> String {
    let mut text = String::new();
    let horizon = scenario.simulation.horizon_days;
    let _ = writeln!(text, "{}", scenario.name);
    let _ = writeln!(text, "  file: {}", scenario.file);
    if !scenario.overrides.is_empty() {
        let _ = writeln!(text, "  what-if: --set {}", scenario.overrides.join("; "));
    }
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
    write_constants(&mut text, scenario, explanation);
    write_correlations(&mut text, scenario);
    write_priors(&mut text, scenario);
    write_warnings(&mut text, explanation);
    text
}

/// Where each value taken from the priors file came from (nothing without one).
fn write_priors(text: &mut String, scenario: &Scenario) {
    if let Some(first) = scenario.prior_uses.first() {
        let _ = writeln!(
            text,
            "
Values from priors (forcegen calibrate), file {}:",
            first.file
        );
        for u in &scenario.prior_uses {
            let _ = writeln!(text, "  {} = prior({}) = {}", u.field, u.prior, u.value);
        }
    }
}

/// The inputs that are the same in every trial.
fn write_constants(text: &mut String, scenario: &Scenario, explanation: &Explanation) {
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
}

/// Each correlation, requested and as sampled.
fn write_correlations(text: &mut String, scenario: &Scenario) {
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
}

/// The warnings, wrapped, or "No warnings.".
fn write_warnings(text: &mut String, explanation: &Explanation) {
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
}

/// Width at which warnings are wrapped.
pub(super) const WRAP: usize = 100;

/// Word-wraps `text` to `width` columns: `first` before the first line,
/// `rest` before the others. A word longer than a line stays whole.
pub(super) fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
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
pub(super) fn unused(scenario: &Scenario, path: &str) -> &'static str {
    let one_wave = scenario
        .contributors
        .iter()
        .any(|c| c.waves <= 1 && c.wave_interval_days.path == path);
    if one_wave { " (not used: one wave)" } else { "" }
}

/// Columns padded to their widest cell: text to the left, numbers to the right.
pub(super) fn write_table(text: &mut String, header: &[&str; 8], rows: &[[String; 8]]) {
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
