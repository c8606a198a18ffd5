//! The report's charts for model v2's metrics, shown only
//! when the run has them: the money (`[funding]`: months of cover, the
//! fund's balance, the monthly cost and the gap), the two host police
//! layers (payroll and available for duty) and the capabilities.
//!
//! The charts are inline in `report.html` only (no `chart_*.svg` file), so
//! a run without these metrics writes the same files, byte for byte, as
//! before they existed.

use plotters::prelude::*;

use super::ReportError;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{
    Area, DrawResult, FONT, PALETTE, WIDTH, axis_top, band, builder, date_ticks, draw_lines, legend_box, max_p95,
    median, mesh, reference_lines, run_label, scale, svg, swatch, thousands, x_range,
};
use super::data::{RunData, Series};
use super::extras::Extras;
use crate::model::MAX_MONTHS_OF_COVER;

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
const MONEY_CAPTION: &str = "Months of pay the fund's balance covers (months_of_cover): the balance over the \
     month's personnel cost to the fund at that day's strength (the contingents on the ground that day, less the \
     share others pay), so cover rises when strength falls. Median (line) and {outer} (band); dashed lines \
     are the targets on this metric, dotted lines the scenario's benchmarks. 0 means the fund is empty and pay \
     falls into arrears. Where nothing is charged (the mission has gone) cover counts as 10 years or more: the \
     axis stops above the cover actually computed, and a band at its top edge stands for more than the axis \
     shows.";
const LAYERS: (&str, &str) = (
    "chart-police-layers",
    "Police per 100,000: payroll and available for duty",
);
const LAYERS_CAPTION: &str = "Host police on the payroll and host police available for duty, each with the \
     international police, per 100,000 inhabitants (police_per_100k_payroll, police_per_100k_available): median \
     (line) and {outer} (band); dashed lines are targets, dotted lines benchmarks on either metric.";

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
        let capped = capped_cover(data);
        let data = capped.as_ref().map_or(data, |(data, _)| data);
        let note = capped.as_ref().map(|(_, top)| {
            format!(
                "band at the top edge: more than {} months (10 years or more where nothing is charged)",
                thousands(*top)
            )
        });
        charts.push(SectionChart {
            title: MONEY.1,
            svg: svg(MONEY, 0, &run_label(data), |root| {
                draw_fans(root, data, extras, MONEY.1, "months", &fans)?;
                match &note {
                    Some(note) => top_note(root, note),
                    None => Ok(()),
                }
            })?,
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
            svg: svg(LAYERS, 0, &run_label(data), |root| {
                draw_fans(root, data, extras, LAYERS.1, "police per 100,000", &fans)
            })?,
            caption: LAYERS_CAPTION,
        });
    }
    Ok(charts)
}

/// When some months of cover are at the cap (nothing charged, or cover past
/// 120 months), a copy of the run whose cover is cut at an axis top, and
/// that top: half as high again as the middle half of the trials (p25 to
/// p75) reaches, in whole half-years, and at most half the cap; so that
/// the chart shows the cover of most trials, and the cap never as a result
/// (the band at the top edge stands for "more").
fn capped_cover(data: &RunData) -> Option<(RunData, f64)> {
    let series = data.series("months_of_cover")?;
    if !series.percentiles.iter().flatten().any(|v| *v >= MAX_MONTHS_OF_COVER) {
        return None;
    }
    let middle = series
        .percentiles
        .iter()
        .flat_map(|p| [p[1], p[2], p[3]])
        .filter(|v| *v < MAX_MONTHS_OF_COVER)
        .fold(0.0, f64::max);
    let top = ((middle * 1.5).max(12.0) / 6.0).ceil() * 6.0;
    let top = top.min(MAX_MONTHS_OF_COVER / 2.0);
    let mut copy = data.clone();
    for s in copy.series.iter_mut().filter(|s| s.metric == "months_of_cover") {
        s.percentiles.iter_mut().flatten().for_each(|v| *v = v.min(top));
    }
    Some((copy, top))
}

/// A note along the top of a chart, under its title.
fn top_note(root: &Area, note: &str) -> DrawResult {
    let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Top));
    root.draw(&Text::new(note.to_string(), (WIDTH as i32 - 40, 40), style))?;
    Ok(())
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
            .label(format!("{}: {}", fan.label, data.bands.outer()))
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
