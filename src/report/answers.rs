//! The answer to a run's question, from its CSV files alone: each target's
//! chance by the report date (when it is before the horizon) and by the
//! horizon, with the level it means; and the strength, police ratios,
//! money and capabilities on the report date, each as its median and the
//! band that holds 90% of the trials. One source for the report's findings,
//! the terminal summary of `run` and `merge`, the first sheet of
//! `results.xlsx` and `--json`, so that they never disagree.
//!
//! Numbers are shown as a reader takes them in: people whole, ratios and
//! money to three significant figures, months of cover to one decimal and
//! a capped value as what it is ("10 years or more"), never the cap itself.
//! The rules: docs/MODEL.md §5.8.

use chrono::NaiveDate;

use super::data::{RunData, Series, last_on_or_before};
use super::extras::Extras;
use crate::model::MAX_MONTHS_OF_COVER;
use crate::output::uncell;

/// One target: what it means, and its chance by the report date and the
/// horizon (`summary.csv`, `targets.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetAnswer {
    pub name: String,
    pub metric: String,
    /// The level it means (`summary.csv`'s `at_least`); `None` for a share
    /// of a ceiling that an event may change.
    pub threshold: Option<f64>,
    /// Its chance by the report date, when that is before the horizon.
    pub by_date: Option<f64>,
    pub by_horizon: Option<f64>,
    pub se: Option<f64>,
    /// `date_p5`, `date_p50`, `date_p95`.
    pub dates: [Option<NaiveDate>; 3],
}

/// What a figure counts, for how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    People,
    Ratio,
    Usd,
    Months,
    Things,
}

/// One metric on the report date: its median and the outer band of
/// `timeseries.csv`'s percentiles (90% of trials by default).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub metric: String,
    /// What it is, in words ("international personnel").
    pub what: String,
    pub unit: Unit,
    pub low: f64,
    pub median: f64,
    pub high: f64,
    /// The share of trials between `low` and `high` ("90% of trials").
    pub band: String,
}

impl Figure {
    /// "1,473 (90% of trials: 663 to 2,646)"; "USD 0 (in at least 90% of
    /// trials)" when the band is one value.
    pub fn median_and_band(&self) -> String {
        if self.low == self.high {
            return format!("{} (in at least {})", human(self.median, self.unit), self.band);
        }
        format!(
            "{} ({}: {} to {})",
            human(self.median, self.unit),
            self.band,
            human(self.low, self.unit),
            human(self.high, self.unit)
        )
    }
}

/// The answer of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// The report date (`distribution.csv`'s; the horizon without one).
    pub date: NaiveDate,
    pub horizon: NaiveDate,
    pub trials: u64,
    /// The share of trials in each figure's band ("90% of trials").
    pub band: String,
    pub targets: Vec<TargetAnswer>,
    /// Strength, police ratios, host police, capabilities, then money.
    pub figures: Vec<Figure>,
}

impl Answers {
    /// True when the report date is before the horizon.
    pub fn date_before_horizon(&self) -> bool {
        self.date < self.horizon
    }

    /// The figures of the money (`[funding]`).
    pub fn money(&self) -> impl Iterator<Item = &Figure> {
        self.figures
            .iter()
            .filter(|f| matches!(f.unit, Unit::Usd | Unit::Months))
    }
}

/// The metrics shown on the report date, in order, with what they are; a
/// layer's metric replaces the plain one it refines.
const FIGURES: [(&str, &str, Unit); 13] = [
    ("international", "international personnel", Unit::People),
    ("international_police", "international police", Unit::People),
    ("police_per_100k", "police per 100,000 inhabitants", Unit::Ratio),
    (
        "police_per_100k_payroll",
        "police per 100,000 on the payroll (host payroll and international police)",
        Unit::Ratio,
    ),
    (
        "police_per_100k_available",
        "police per 100,000 available for duty (host available and international police)",
        Unit::Ratio,
    ),
    (
        "security_per_1000",
        "security forces per 1,000 inhabitants",
        Unit::Ratio,
    ),
    ("host_police", "host police", Unit::People),
    ("host_payroll", "host police on the payroll", Unit::People),
    ("host_available", "host police available for duty", Unit::People),
    ("months_of_cover", "months of cover", Unit::Months),
    ("fund_balance", "fund balance", Unit::Usd),
    ("monthly_cost", "monthly cost to the fund", Unit::Usd),
    ("funding_gap", "pay in arrears", Unit::Usd),
];

/// The answers of a run from its parsed CSV files.
pub fn answers(data: &RunData, extras: &Extras) -> Answers {
    let horizon_day = data.horizon_days as i32;
    let day = report_day(data, extras).unwrap_or(horizon_day);
    let trials = data.info("trials").parse().unwrap_or(0);
    Answers {
        date: data.date_of(day),
        horizon: data.date_of(horizon_day),
        trials,
        band: data.bands.outer(),
        targets: targets(data, (day < horizon_day).then_some(day)),
        figures: figures(data, day),
    }
}

/// The report date (`distribution.csv`'s) as a day within the horizon.
pub fn report_day(data: &RunData, extras: &Extras) -> Option<i32> {
    let date = extras.distribution.as_ref()?.date;
    let day = i32::try_from((date - data.start).num_days()).ok()?;
    (0..=data.horizon_days as i32).contains(&day).then_some(day)
}

fn targets(data: &RunData, day: Option<i32>) -> Vec<TargetAnswer> {
    let summary = &data.summary;
    let column = |name: &str| summary.header.iter().position(|h| h == name);
    let Some(t) = column("target") else {
        return Vec::new();
    };
    let [metric, at_least, p, se] =
        ["metric", "at_least", "p_reached_by_horizon", "p_reached_by_horizon_se"].map(column);
    let dates = ["date_p5", "date_p50", "date_p95"].map(column);
    summary
        .rows
        .iter()
        .map(|row| {
            let text = |c: Option<usize>| c.and_then(|c| row.get(c)).map_or("", String::as_str);
            let number = |c: Option<usize>| text(c).parse::<f64>().ok().filter(|v| v.is_finite());
            let name = text(Some(t));
            TargetAnswer {
                name: uncell(name).to_string(),
                metric: uncell(text(metric)).to_string(),
                threshold: number(at_least),
                by_date: day.and_then(|day| p_by_day(data, name, day)),
                by_horizon: number(p),
                se: number(se),
                dates: dates.map(|c| NaiveDate::parse_from_str(text(c), "%Y-%m-%d").ok()),
            }
        })
        .collect()
}

/// A target's chance by `day` (its last report day on or before it), as
/// `targets.csv` has it.
fn p_by_day(data: &RunData, target: &str, day: i32) -> Option<f64> {
    let series = data.targets.iter().find(|t| t.name == target)?;
    series.p_reached.get(last_on_or_before(&series.days, day)?).copied()
}

fn figures(data: &RunData, day: i32) -> Vec<Figure> {
    // With police layers, the plain metric is the payroll one: shown once.
    let refined = |metric: &str| match metric {
        "police_per_100k" => data.series("police_per_100k_payroll").is_some(),
        "host_police" => data.series("host_payroll").is_some(),
        _ => false,
    };
    let mut out: Vec<Figure> = Vec::new();
    for (metric, what, unit) in FIGURES {
        if refined(metric) {
            continue;
        }
        if let Some(figure) = figure(data, metric, what, unit, day) {
            out.push(figure);
        }
    }
    let capabilities = data
        .series
        .iter()
        .filter(|s| uncell(&s.metric).starts_with("capability:"));
    let at = out.iter().position(|f| f.unit == Unit::Months).unwrap_or(out.len());
    let capabilities: Vec<Figure> = capabilities
        .filter_map(|s| {
            let name = uncell(&s.metric).trim_start_matches("capability:");
            on_day(data, s, day, (&s.metric, &format!("capability {name}")), Unit::Things)
        })
        .collect();
    out.splice(at..at, capabilities);
    out
}

fn figure(data: &RunData, metric: &str, what: &str, unit: Unit, day: i32) -> Option<Figure> {
    on_day(data, data.series(metric)?, day, (metric, what), unit)
}

/// The figure of `series` on its last report day on or before `day`.
fn on_day(data: &RunData, series: &Series, day: i32, (metric, what): (&str, &str), unit: Unit) -> Option<Figure> {
    let p = series.percentiles.get(last_on_or_before(&series.days, day)?)?;
    Some(Figure {
        metric: metric.to_string(),
        what: what.to_string(),
        unit,
        low: p[0],
        median: p[2],
        high: p[4],
        band: data.bands.outer(),
    })
}

/// A value as a reader takes it in (see the module's comment).
pub fn human(value: f64, unit: Unit) -> String {
    match unit {
        Unit::People | Unit::Things => thousands(value),
        Unit::Ratio => significant(value),
        Unit::Usd => usd(value),
        Unit::Months if value >= MAX_MONTHS_OF_COVER => "10 years or more".to_string(),
        Unit::Months => format!("{value:.1} months"),
    }
}

/// A whole number with thousands separators: 12,500.
pub fn thousands(value: f64) -> String {
    super::charts::thousands(value)
}

/// Three significant figures, whole numbers from 100 on: 116, 42.4, 2.34.
pub fn significant(value: f64) -> String {
    let magnitude = if value == 0.0 {
        0
    } else {
        value.abs().log10().floor() as i32
    };
    match magnitude {
        m if m >= 2 => thousands(value),
        m => {
            let decimals = (2 - m).clamp(0, 6) as usize;
            crate::output::number(value, decimals)
        }
    }
}

/// USD to three significant figures: "USD 50.7 million", "USD 951,000".
pub fn usd(value: f64) -> String {
    let (scaled, word) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, " billion"),
        v if v >= 1e6 => (value / 1e6, " million"),
        _ => {
            let magnitude = if value == 0.0 {
                0
            } else {
                value.abs().log10().floor() as i32
            };
            let unit = 10f64.powi((magnitude - 2).max(0));
            return format!("USD {}", thousands((value / unit).round() * unit));
        }
    };
    format!("USD {}{word}", significant(scaled))
}

/// A share as a percentage a reader can trust: one decimal, but "under
/// 0.1%" (or "over 99.9%") rather than a 0.0% (100.0%) that is not one.
pub fn percent(p: f64) -> String {
    match p {
        p if p > 0.0 && p < 0.0005 => "under 0.1%".to_string(),
        p if p < 1.0 && p > 0.9995 => "over 99.9%".to_string(),
        p => format!("{:.1}%", 100.0 * p),
    }
}

/// A share's standard error in percentage points, to two significant
/// figures below 0.1 (`±0.041 pp`, not `±0.0 pp`); for a share of 0 or 1,
/// which every trial agrees on, the count instead.
pub fn standard_error(p: f64, se: f64, trials: u64) -> String {
    let trials = thousands(trials as f64);
    match (p, se) {
        (p, _) if p <= 0.0 => format!("in none of the {trials} trials"),
        (p, _) if p >= 1.0 => format!("in all {trials} trials"),
        (_, se) if 100.0 * se < 0.1 => {
            let magnitude = (100.0 * se).log10().floor() as i32;
            format!(
                "±{} pp",
                crate::output::number(100.0 * se, (1 - magnitude).clamp(0, 6) as usize)
            )
        }
        (_, se) => format!("±{:.1} pp", 100.0 * se),
    }
}

/// What a target means: "international at least 4,950".
pub fn meaning(target: &TargetAnswer) -> String {
    match target.threshold {
        Some(level) if target.metric.contains("per_") => format!("{} at least {}", target.metric, significant(level)),
        Some(level) => format!("{} at least {}", target.metric, thousands(level)),
        None => format!(
            "{} at a share of the ceiling in force (an event may change it)",
            target.metric
        ),
    }
}

/// A date as people write it: `2 Oct 2026`.
pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %b %Y").to_string()
}

/// A target's chances in words, dates written by `show`: "0.0% by 2 Oct
/// 2026, 0.6% by 30 Apr 2027 (±0.077 pp)".
pub fn chances(a: &Answers, t: &TargetAnswer, show: fn(NaiveDate) -> String) -> String {
    let mut text = String::new();
    if let (Some(p), true) = (t.by_date, a.date_before_horizon()) {
        text.push_str(&format!("{} by {}, ", percent(p), show(a.date)));
    }
    match t.by_horizon {
        Some(p) => {
            text.push_str(&format!("{} by {}", percent(p), show(a.horizon)));
            let error = standard_error(p, t.se.unwrap_or(0.0), a.trials);
            text.push_str(&format!(" ({error})"));
        }
        None => text.push_str(&format!("no share by {}", show(a.horizon))),
    }
    text
}

/// The findings in sentences: each target, then the figures on the
/// report date by group (strength, police, capabilities, money).
pub fn sentences(a: &Answers) -> Vec<String> {
    let mut out = Vec::new();
    for t in &a.targets {
        let mut sentence = format!("{} ({}): {}", t.name, meaning(t), chances(a, t, long_date));
        match t.dates.map(|d| d.map(long_date)) {
            [_, None, _] => sentence.push_str("; the median trial does not reach it"),
            [Some(early), Some(median), Some(late)] => sentence.push_str(&format!(
                "; median date {median} (90% of trials between {early} and {late})"
            )),
            [_, Some(median), _] => sentence.push_str(&format!("; median date {median}")),
        }
        out.push(sentence);
    }
    let date = long_date(a.date);
    let group = |units: &[Unit], police: Option<bool>| -> Vec<String> {
        a.figures
            .iter()
            .filter(|f| units.contains(&f.unit))
            .filter(|f| police.is_none_or(|p| p == is_police(f)))
            .map(|f| format!("{} {}", f.what, f.median_and_band()))
            .collect()
    };
    for (title, parts) in [
        ("Strength", group(&[Unit::People], Some(false))),
        ("Police", group(&[Unit::People, Unit::Ratio], Some(true))),
        ("Capabilities", group(&[Unit::Things], None)),
    ] {
        if !parts.is_empty() {
            out.push(format!("{title} on {date}: {}", parts.join("; ")));
        }
    }
    if let Some(money) = money_sentence(a) {
        out.push(money);
    }
    out
}

/// The answer as the terminal shows it (under the run's first line): each
/// target with the level it means and its chances (ISO dates), then the
/// figures on the report date, one a line.
pub fn terminal_lines(a: &Answers) -> Vec<String> {
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    for t in &a.targets {
        let median = t.dates[1]
            .map(|d| format!(", median date {}", iso(d)))
            .unwrap_or_default();
        out.push(format!("  {} ({}): {}{median}", t.name, meaning(t), chances(a, t, iso)));
    }
    if !a.figures.is_empty() {
        out.push(format!("  On {} (median; {}):", iso(a.date), a.band));
    }
    for f in &a.figures {
        let band = if f.low == f.high {
            format!("in at least {}", a.band)
        } else {
            format!("{} to {}", human(f.low, f.unit), human(f.high, f.unit))
        };
        out.push(format!("    {}: {} ({band})", f.what, human(f.median, f.unit)));
    }
    out
}

/// The answers of a run from its CSV files (name and bytes), as
/// [`crate::report::render`] takes them.
pub fn from_files(files: &[(&str, Vec<u8>)]) -> Result<Answers, super::ReportError> {
    let data = RunData::parse(files)?;
    let extras = Extras::parse(files)?;
    Ok(answers(&data, &extras))
}

/// Police ratios and host police (as against international strength).
fn is_police(figure: &Figure) -> bool {
    figure.metric.starts_with("host_") || figure.metric.contains("per_")
}

/// The money on the report date, cover explained: the balance over that
/// day's monthly personnel cost to the fund, at that day's strength.
fn money_sentence(a: &Answers) -> Option<String> {
    let cover = a.figures.iter().find(|f| f.unit == Unit::Months)?;
    let median = |metric: &str| {
        let f = a.figures.iter().find(|f| f.metric == metric)?;
        Some(human(f.median, f.unit))
    };
    let mut sentence = format!(
        "Money on {}: {} of cover in the median trial ({}: {} to {})",
        long_date(a.date),
        human(cover.median, cover.unit),
        cover.band,
        human(cover.low, cover.unit),
        human(cover.high, cover.unit)
    );
    if let (Some(balance), Some(cost)) = (median("fund_balance"), median("monthly_cost")) {
        sentence.push_str(&format!(
            ": the fund's balance ({balance} in the median trial) over the month's personnel cost to the fund at \
             that day's strength ({cost})"
        ));
    }
    if cover.high >= MAX_MONTHS_OF_COVER {
        sentence.push_str("; 10 years or more where nothing is charged (the mission has gone)");
    }
    if let Some(gap) = a.figures.iter().find(|f| f.metric == "funding_gap") {
        sentence.push_str(&format!("; pay in arrears {}", gap.median_and_band()));
    }
    Some(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_as_read() {
        assert_eq!(human(1473.0, Unit::People), "1,473");
        assert_eq!(human(86.3932, Unit::People), "86");
        assert_eq!(human(116.4, Unit::Ratio), "116");
        assert_eq!(human(42.366, Unit::Ratio), "42.4");
        assert_eq!(human(2.3412, Unit::Ratio), "2.34");
        assert_eq!(human(50_708_480.0, Unit::Usd), "USD 50.7 million");
        assert_eq!(human(2_622_464.0, Unit::Usd), "USD 2.62 million");
        assert_eq!(human(951_234.0, Unit::Usd), "USD 951,000");
        assert_eq!(human(0.0, Unit::Usd), "USD 0");
        assert_eq!(human(1.2e9, Unit::Usd), "USD 1.2 billion");
        assert_eq!(human(17.94, Unit::Months), "17.9 months");
        assert_eq!(human(MAX_MONTHS_OF_COVER, Unit::Months), "10 years or more");
    }

    #[test]
    fn shares_and_errors_have_no_false_precision() {
        assert_eq!(percent(0.0017), "0.2%");
        assert_eq!(percent(0.0001), "under 0.1%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(0.99999), "over 99.9%");
        assert_eq!(standard_error(0.0017, 0.000412, 10_000), "±0.041 pp");
        assert_eq!(standard_error(0.449, 0.004974, 10_000), "±0.5 pp");
        assert_eq!(standard_error(0.0, 0.0, 10_000), "in none of the 10,000 trials");
        assert_eq!(standard_error(1.0, 0.0, 3_000), "in all 3,000 trials");
    }
}
