//! `compare.html`: the scenarios' fans overlaid (p5 to p95 and the median)
//! and the paired difference to the first scenario by date with a band of
//! two standard errors, for international strength and police per
//! 100,000; then each target's probability by the report date (when
//! compared) and by the horizon in each scenario. From
//! `compare_timeseries.csv`, `compare.csv` and `compare_info.csv`.

use chrono::NaiveDate;
use plotters::prelude::*;

use super::draw::{self, FREE, POSITIVE, SHARE, Span};
use super::{Files, Info, figure, page, percent, table, table_html};
use crate::output::schema::{COMPARE, COMPARE_COLUMNS, COMPARE_INFO, COMPARE_TIMESERIES};
use crate::output::uncell;
use crate::report::ReportError;
use crate::report::charts::{FONT, PALETTE};
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Room on the left of the targets chart for the targets' names, in pixels.
const NAMES: u32 = 260;

/// The metrics of `compare_timeseries.csv`, with what they are.
pub const METRICS: [(&str, &str); 2] = [
    ("international", "International personnel"),
    ("police_per_100k", "Police per 100,000 inhabitants"),
];
/// Most targets on the targets chart.
pub const TARGETS: usize = 12;

/// One row of `compare_timeseries.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct FanRow {
    pub day: f64,
    pub scenario: String,
    pub metric: String,
    /// p5, p25, p50, p75, p95.
    pub percentiles: [f64; 5],
    /// Mean paired difference to the first scenario and its standard error.
    pub difference: Option<(f64, f64)>,
}

/// `compare_timeseries.csv`, and the start date its dates count from.
pub fn fans(files: &Files) -> Result<(Vec<FanRow>, NaiveDate), ReportError> {
    let file = COMPARE_TIMESERIES;
    let t = table(files, file)?;
    let (scenario, metric, date) = (
        super::column(&t, file, "scenario")?,
        super::column(&t, file, "metric")?,
        super::column(&t, file, "date")?,
    );
    let mut rows = Vec::new();
    let mut start = None;
    for r in 0..t.rows.len() {
        let day = super::required(&t, file, r, "day")?;
        let parsed = NaiveDate::parse_from_str(super::cell(&t, r, date), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.checked_sub_days(chrono::Days::new(day.max(0.0) as u64)))
            .filter(|_| (0.0..=1e6).contains(&day))
            .ok_or_else(|| super::bad_cell(&t, file, r, "date", "is not a date (YYYY-MM-DD) of day `day`"))?;
        start.get_or_insert(parsed);
        let mut percentiles = [0.0; 5];
        for (slot, name) in percentiles.iter_mut().zip(["p5", "p25", "p50", "p75", "p95"]) {
            *slot = super::required(&t, file, r, name)?;
        }
        let d = super::number(&t, file, r, "difference_to_first", true)?;
        let se = super::number(&t, file, r, "difference_se", true)?;
        rows.push(FanRow {
            day,
            scenario: uncell(super::cell(&t, r, scenario)).to_string(),
            metric: super::cell(&t, r, metric).to_string(),
            percentiles,
            difference: d.zip(se),
        });
    }
    Ok((rows, start.unwrap_or_default()))
}

/// The scenarios, in first-seen order.
pub fn scenarios(rows: &[FanRow]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        if !out.contains(&row.scenario) {
            out.push(row.scenario.clone());
        }
    }
    out
}

/// The ranges of a fan chart and of a difference chart of `metric`.
pub fn spans(rows: &[FanRow], metric: &str) -> ((Span, Span), (Span, Span)) {
    let of = || rows.iter().filter(move |r| r.metric == metric);
    let x = draw::span(of().map(|r| r.day), POSITIVE);
    let fan = draw::span(of().flat_map(|r| [r.percentiles[0], r.percentiles[4]]), POSITIVE);
    let difference = draw::span(
        of().filter_map(|r| r.difference)
            .flat_map(|(d, se)| [d - 2.0 * se, d + 2.0 * se, 0.0]),
        FREE,
    );
    ((x, fan), (x, difference))
}

fn date_label(start: NaiveDate) -> impl Fn(&f64) -> String {
    move |day: &f64| {
        start
            .checked_add_days(chrono::Days::new(day.max(0.0).round() as u64))
            .map_or_else(String::new, |d| d.format("%-d %b %Y").to_string())
    }
}

/// The overlaid fans of `metric`.
fn fan_chart(
    rows: &[FanRow],
    start: NaiveDate,
    (metric, what): (&str, &str),
    ranges: (Span, Span),
) -> Result<String, ReportError> {
    let id = format!("chart-compare-fan-{metric}");
    let title = format!("{what} by date, each scenario");
    let names = scenarios(rows);
    draw::chart_svg((&id, &title), 0, ranges, |root| {
        let x_label = date_label(start);
        let mut chart = draw::plot(root, &title, ranges, ("date", what), (&x_label, &|v| draw::tick(*v)))?;
        for (i, name) in names.iter().enumerate() {
            let mine: Vec<&FanRow> = rows
                .iter()
                .filter(|r| r.metric == metric && r.scenario == *name)
                .collect();
            let at = |k: usize| mine.iter().map(|r| (r.day, r.percentiles[k])).collect::<Vec<_>>();
            draw::band(&mut chart, i, &at(4), &at(0), 0.18)?;
            draw::line(&mut chart, i, at(2), &format!("{name}: median (band: p5 to p95)"))?;
        }
        draw::legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// The paired difference of `metric` to the first scenario, by date.
fn difference_chart(
    rows: &[FanRow],
    start: NaiveDate,
    (metric, what): (&str, &str),
    ranges: (Span, Span),
) -> Result<String, ReportError> {
    let id = format!("chart-compare-difference-{metric}");
    let title = format!("{what}: difference to the first scenario (paired)");
    let names = scenarios(rows);
    draw::chart_svg((&id, &title), 0, ranges, |root| {
        let x_label = date_label(start);
        let mut chart = draw::plot(
            root,
            &title,
            ranges,
            ("date", "difference (mean)"),
            (&x_label, &|v| draw::tick(*v)),
        )?;
        let x = ranges.0;
        chart.draw_series(LineSeries::new(vec![(x.0, 0.0), (x.1, 0.0)], BLACK.stroke_width(1)))?;
        for (i, name) in names.iter().enumerate().skip(1) {
            let mine: Vec<(f64, f64, f64)> = rows
                .iter()
                .filter(|r| r.metric == metric && r.scenario == *name)
                .filter_map(|r| r.difference.map(|(d, se)| (r.day, d, 2.0 * se)))
                .collect();
            let upper: Vec<(f64, f64)> = mine.iter().map(|p| (p.0, p.1 + p.2)).collect();
            let lower: Vec<(f64, f64)> = mine.iter().map(|p| (p.0, p.1 - p.2)).collect();
            draw::band(&mut chart, i, &upper, &lower, 0.3)?;
            let label = format!("{name} minus {} (band: ±2 paired SE)", names[0]);
            draw::line(&mut chart, i, mine.iter().map(|p| (p.0, p.1)).collect(), &label)?;
        }
        draw::legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// The target rows of `compare.csv`: target, scenario, value, its SE, the
/// paired difference with its SE, and the date it is by (or on).
pub type TargetRow = (String, String, f64, f64, Option<(f64, f64)>, String);

/// The rows of `compare.csv` of kind `kind`.
pub fn compared(files: &Files, kind: &str) -> Result<(Vec<TargetRow>, Vec<Vec<String>>), ReportError> {
    let t = table(files, COMPARE)?;
    let (k, q, s, date) = (
        super::column(&t, COMPARE, "kind")?,
        super::column(&t, COMPARE, "quantity")?,
        super::column(&t, COMPARE, "scenario")?,
        super::column(&t, COMPARE, "date")?,
    );
    let (mut rows, mut cells) = (Vec::new(), Vec::new());
    for r in (0..t.rows.len()).filter(|&r| super::cell(&t, r, k) == kind) {
        let value = super::required(&t, COMPARE, r, "value")?;
        let se = super::required(&t, COMPARE, r, "value_se")?;
        let d = super::number(&t, COMPARE, r, "difference_to_first", true)?;
        let d_se = super::number(&t, COMPARE, r, "difference_se", true)?;
        let name = |c| uncell(super::cell(&t, r, c)).to_string();
        let when = NaiveDate::parse_from_str(super::cell(&t, r, date), "%Y-%m-%d")
            .map_err(|_| super::bad_cell(&t, COMPARE, r, "date", "is not a date (YYYY-MM-DD)"))?;
        rows.push((
            name(q),
            name(s),
            value,
            se,
            d.zip(d_se),
            when.format("%-d %b %Y").to_string(),
        ));
        cells.push(t.rows[r].clone());
    }
    Ok((rows, cells))
}

/// Each target's probability by `date` in each scenario, with bars of two
/// standard errors; `n` numbers the chart.
fn targets_chart(rows: &[TargetRow], names: &[String], (date, n): (&str, usize)) -> Result<String, ReportError> {
    let rows: Vec<TargetRow> = rows.iter().filter(|r| r.5 == date).cloned().collect();
    let rows = rows.as_slice();
    let targets: Vec<&String> = rows.iter().map(|r| &r.0).fold(Vec::new(), |mut v, t| {
        if !v.contains(&t) {
            v.push(t);
        }
        v
    });
    let targets: Vec<&String> = targets.into_iter().take(TARGETS).collect();
    let shown: Vec<&TargetRow> = rows.iter().filter(|r| targets.contains(&&r.0)).collect();
    let x = draw::span(shown.iter().flat_map(|r| [r.2 - 2.0 * r.3, r.2 + 2.0 * r.3]), SHARE);
    let y = (0.0, targets.len().max(1) as f64);
    let title = &format!("Probability of reaching each target by {date}, each scenario");
    let id = if n == 0 {
        "chart-compare-targets".to_string()
    } else {
        format!("chart-compare-targets-{}", n + 1)
    };
    draw::chart_svg((&id, title), 0, (x, y), |root| {
        let count = targets.len();
        root.fill(&WHITE)?;
        let (labels, plot) = root.split_horizontally(NAMES);
        let mut chart = draw::plot(
            &plot,
            title,
            (x, y),
            (&format!("probability by {date}"), ""),
            (&|v| draw::tick_percent(*v), &|_| String::new()),
        )?;
        let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, target) in targets.iter().enumerate() {
            let (_, pixel_y) = chart.backend_coord(&(x.0, count as f64 - i as f64 - 0.5));
            labels.draw(&Text::new(
                target.to_string(),
                (NAMES as i32 - 8, pixel_y),
                style.clone(),
            ))?;
        }
        for (a, name) in names.iter().enumerate() {
            let color = PALETTE[a % PALETTE.len()];
            let offset = (a as f64 + 1.0) / (names.len() as f64 + 1.0) - 0.5;
            let points: Vec<(f64, f64, f64)> = shown
                .iter()
                .filter(|r| r.1 == *name)
                .filter_map(|r| {
                    let i = targets.iter().position(|t| **t == r.0)?;
                    Some((r.2, count as f64 - i as f64 - 0.5 + offset * 0.6, 2.0 * r.3))
                })
                .collect();
            chart.draw_series(points.iter().map(|&(v, y, e)| {
                PathElement::new(
                    vec![((v - e).max(x.0), y), ((v + e).min(x.1), y)],
                    color.stroke_width(2),
                )
            }))?;
            chart
                .draw_series(points.iter().map(|&(v, y, _)| Circle::new((v, y), 5, color.filled())))?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x + 12, y), 5, color.filled()));
        }
        draw::legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The findings: each target in each scenario, then the metrics.
fn findings(targets: &[TargetRow], metrics: &[TargetRow]) -> Vec<String> {
    let mut out = Vec::new();
    let mut sentence = |name: &str, rows: Vec<&TargetRow>, show: &dyn Fn(f64) -> String, unit: &str| {
        let parts: Vec<String> = rows
            .iter()
            .map(|r| match r.4 {
                None => format!("{} with {}", show(r.2), r.1),
                Some((d, se)) => format!(
                    "{} with {} ({}{}{unit}, paired SE {}{unit})",
                    show(r.2),
                    r.1,
                    if d >= 0.0 { "+" } else { "" },
                    show_diff(d, unit),
                    show_diff(se, unit)
                ),
            })
            .collect();
        out.push(format!("{name}: {}.", parts.join("; ")));
    };
    let names = targets.iter().map(|r| &r.0).fold(Vec::new(), |mut v: Vec<&String>, t| {
        if !v.contains(&t) {
            v.push(t);
        }
        v
    });
    let dates = dates(targets.iter().chain(metrics));
    for name in names.into_iter().take(TARGETS) {
        for date in &dates {
            let rows = targets.iter().filter(|r| r.0 == *name && r.5 == *date).collect();
            sentence(&format!("{name} by {date}"), rows, &percent, " pp");
        }
    }
    for (metric, what) in METRICS {
        for date in &dates {
            let rows: Vec<&TargetRow> = metrics.iter().filter(|r| r.0 == metric && r.5 == *date).collect();
            if !rows.is_empty() {
                sentence(&format!("{what} on {date} (mean)"), rows, &draw::tick, "");
            }
        }
    }
    out
}

/// The dates of the rows, in first-seen order (the report date, then the horizon).
fn dates<'a>(rows: impl Iterator<Item = &'a TargetRow>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        if !out.contains(&row.5) {
            out.push(row.5.clone());
        }
    }
    out
}

fn show_diff(value: f64, unit: &str) -> String {
    if unit == " pp" {
        format!("{:.1}", 100.0 * value)
    } else {
        draw::tick(value)
    }
}

/// `compare.html` from `compare_timeseries.csv`, `compare.csv` and `compare_info.csv`.
pub fn render(files: &Files) -> Result<String, ReportError> {
    let info = Info::read(files, COMPARE_INFO)?;
    let (rows, start) = fans(files)?;
    let names = scenarios(&rows);
    let (targets, target_cells) = compared(files, "target")?;
    let (metrics, _) = compared(files, "metric")?;
    let title = format!("Comparison: {}", names.join(" vs "));
    let run = format!(
        "Scenarios: {} ({}); {} on common random numbers.",
        names.join(", "),
        info.get("scenario"),
        info.trials_and_seed()
    );
    let meta = format!(
        "forcegen {} compare: {}, each scenario on the same trials. Built from compare_timeseries.csv, compare.csv \
         and compare_info.csv.",
        info.get("forcegen_version"),
        info.trials_and_seed()
    );
    let mut body = String::new();
    for (metric, what) in METRICS {
        let (fan, difference) = spans(&rows, metric);
        let svg = fan_chart(&rows, start, (metric, what), fan)?;
        let caption = format!("{what}: the median (line) and 90% of trials (band, p5 to p95) of each scenario. {run}");
        figure(&mut body, &format!("{what} by date"), &svg, &caption);
        let svg = difference_chart(&rows, start, (metric, what), difference)?;
        let caption = format!(
            "{what}: the mean difference of each scenario to {} trial by trial (line), with two paired standard \
             errors either side (band). {run}",
            names.first().map_or("the first", String::as_str)
        );
        figure(&mut body, &format!("{what}: paired difference"), &svg, &caption);
    }
    for (n, date) in dates(targets.iter()).iter().enumerate() {
        let svg = targets_chart(&targets, &names, (date, n))?;
        let caption =
            format!("Share of trials that reached each target by {date} (dot), ±2 standard errors (bar). {run}");
        figure(&mut body, &format!("Targets by {date}"), &svg, &caption);
    }
    body.push_str("<h2>Targets</h2>\n");
    table_html(
        &mut body,
        "compare",
        "compare.csv: the target rows",
        &COMPARE_COLUMNS,
        target_cells,
    );
    Ok(page("compare", &title, &meta, &findings(&targets, &metrics), &body))
}
