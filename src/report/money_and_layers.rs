//! The report's findings and charts for model v2's metrics, shown only
//! when the run has them: the money (`[funding]`: months of cover, the
//! fund's balance, the monthly cost and the gap), the two host police
//! layers (payroll and available for duty) and the capabilities.
//!
//! The charts are inline in `report.html` only (no `chart_*.svg` file), so
//! a run without these metrics writes the same files, byte for byte, as
//! before they existed.

use std::fmt::Write;

use plotters::prelude::*;

use super::ReportError;
use super::charts::{
    Area, DrawResult, PALETTE, axis_top, band, builder, date_ticks, draw_lines, legend_box, max_p95, median, mesh,
    reference_lines, scale, svg, swatch, thousands, x_range,
};
use super::data::{RunData, Series, last_on_or_before};
use super::extras::Extras;
use crate::output::uncell;

/// A chart of this section: its title, SVG (whose element has the id) and caption.
pub struct SectionChart {
    pub title: &'static str,
    pub svg: String,
    pub caption: &'static str,
}

/// One fan on a chart: the metric, its legend name and its colour.
struct Fan {
    metric: &'static str,
    label: &'static str,
    color: RGBColor,
}

const MONEY: (&str, &str) = ("chart-money", "Months of money left by date");
const MONEY_CAPTION: &str = "Months the fund's balance covers at that day's monthly cost (months_of_cover, capped at \
     120): median (line) and 90% of trials (band); dashed lines are the targets on this metric, dotted lines the \
     scenario's benchmarks. 0 means the fund is empty and pay falls into arrears.";
const LAYERS: (&str, &str) = (
    "chart-police-layers",
    "Police per 100,000: payroll and available for duty",
);
const LAYERS_CAPTION: &str = "Host police on the payroll and host police available for duty, each with the \
     international police, per 100,000 inhabitants (police_per_100k_payroll, police_per_100k_available): median \
     (line) and 90% of trials (band); dashed lines are targets, dotted lines benchmarks on either metric.";

/// The charts of the metrics this run has, in page order (none for a run
/// without `[funding]` or police layers).
pub fn charts(data: &RunData, extras: &Extras) -> Result<Vec<SectionChart>, ReportError> {
    let mut charts = Vec::new();
    if data.series("months_of_cover").is_some() {
        let fans = [Fan {
            metric: "months_of_cover",
            label: "months of cover",
            color: PALETTE[4],
        }];
        charts.push(SectionChart {
            title: MONEY.1,
            svg: svg(MONEY, 0, |root| draw_fans(root, data, extras, MONEY.1, "months", &fans))?,
            caption: MONEY_CAPTION,
        });
    }
    if data.series("police_per_100k_payroll").is_some() || data.series("police_per_100k_available").is_some() {
        let fans = [
            Fan {
                metric: "police_per_100k_payroll",
                label: "payroll",
                color: PALETTE[0],
            },
            Fan {
                metric: "police_per_100k_available",
                label: "available for duty",
                color: PALETTE[1],
            },
        ];
        charts.push(SectionChart {
            title: LAYERS.1,
            svg: svg(LAYERS, 0, |root| {
                draw_fans(root, data, extras, LAYERS.1, "police per 100,000", &fans)
            })?,
            caption: LAYERS_CAPTION,
        });
    }
    Ok(charts)
}

/// Each fan's p5–p95 band and median, with the targets and benchmarks on
/// any of their metrics; the axis fits the data.
fn draw_fans(root: &Area, data: &RunData, extras: &Extras, title: &str, y_desc: &str, fans: &[Fan]) -> DrawResult {
    root.fill(&WHITE)?;
    let drawn: Vec<(&Fan, &Series)> = fans
        .iter()
        .filter_map(|fan| Some((fan, data.series(fan.metric)?)))
        .collect();
    let lines: Vec<_> = fans
        .iter()
        .flat_map(|fan| reference_lines(data, extras, fan.metric))
        .collect();
    let data_top = drawn.iter().map(|(_, s)| max_p95(s)).fold(0.0, f64::max);
    let (top, above) = scale((data_top * 1.15).max(1.0), &lines, 1.15);
    let top = axis_top(top)?;
    let mut chart =
        builder(root, title).build_cartesian_2d(x_range(data).with_key_points(date_ticks(data)), 0.0..top)?;
    mesh(&mut chart, data, y_desc, &|v| thousands(*v))?;
    for (fan, series) in &drawn {
        let fill = fan.color.mix(0.25);
        chart
            .draw_series(std::iter::once(Polygon::new(band(series, 0, 4), fill.filled())))?
            .label(format!("{}: 90% of trials", fan.label))
            .legend(swatch(fill));
        let stroke = fan.color.stroke_width(3);
        chart
            .draw_series(LineSeries::new(median(series), stroke))?
            .label(format!("{}: median", fan.label))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], stroke));
    }
    draw_lines(&mut chart, data, &lines, top, &above)?;
    legend_box(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The findings in sentences for the money, the police layers and the
/// capabilities, on the report date `day` if one was chosen, else on the
/// horizon (empty for a run without them).
pub fn findings(data: &RunData, day: Option<i32>) -> Vec<String> {
    let day = day.unwrap_or(data.horizon_days as i32);
    let date = data.date_of(day).format("%-d %b %Y").to_string();
    let at = |metric: &str| at_day(data, metric, day);
    let mut sentences = Vec::new();
    if let Some(cover) = at("months_of_cover") {
        let mut sentence = format!(
            "Money on {date}: {} months of cover in the median trial (90% of trials: {} to {})",
            one_decimal(cover[2]),
            one_decimal(cover[0]),
            one_decimal(cover[4])
        );
        for (metric, what) in [
            ("fund_balance", "fund balance"),
            ("monthly_cost", "monthly cost"),
            ("funding_gap", "pay in arrears"),
        ] {
            if let Some(p) = at(metric) {
                let _ = write!(sentence, "; {what} USD {} (median)", thousands(p[2]));
            }
        }
        if at("funding_gap").is_some_and(|p| p[2] > 0.0) {
            sentence.push_str("; the median trial is in arrears");
        }
        sentences.push(sentence);
    }
    for (metric, what) in [
        (
            "police_per_100k_payroll",
            "Police per 100,000 on the payroll (host payroll and international police)",
        ),
        (
            "police_per_100k_available",
            "Police per 100,000 available for duty (host available and international police)",
        ),
        ("host_payroll", "Host police on the payroll"),
        ("host_available", "Host police available for duty"),
    ] {
        if let Some(p) = at(metric) {
            sentences.push(format!("{what} on {date}: {}", median_and_band(&p)));
        }
    }
    for series in data
        .series
        .iter()
        .filter(|s| uncell(&s.metric).starts_with("capability:"))
    {
        if let Some(p) = on_day(series, day) {
            let name = uncell(&series.metric).trim_start_matches("capability:");
            sentences.push(format!("Capability {name} on {date}: {}", median_and_band(&p)));
        }
    }
    sentences
}

/// The percentiles of `metric` on its last report day on or before `day`.
fn at_day(data: &RunData, metric: &str, day: i32) -> Option<[f64; 5]> {
    on_day(data.series(metric)?, day)
}

fn on_day(series: &Series, day: i32) -> Option<[f64; 5]> {
    series.percentiles.get(last_on_or_before(&series.days, day)?).copied()
}

fn median_and_band(p: &[f64; 5]) -> String {
    format!(
        "{} in the median trial (90% of trials: {} to {})",
        thousands(p[2]),
        thousands(p[0]),
        thousands(p[4])
    )
}

fn one_decimal(value: f64) -> String {
    format!("{value:.1}")
}
