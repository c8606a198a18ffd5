//! The four charts of the report, drawn with plotters' SVG backend.
//!
//! Colours are the Okabe–Ito palette (safe for colour-blind readers); lines
//! also differ by dash pattern and marker shape, and bands by lightness, so
//! the charts stay readable printed in black and white. Text is SVG `<text>`
//! in the generic `sans-serif` family: no font files are needed or embedded.

use std::error::Error;

use chrono::Datelike;
use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ReportError;
use super::data::{RunData, Series};
use super::extras::Extras;
pub use super::frame::{Area, DrawResult, FONT, HEIGHT, WIDTH, run_label, svg, thousands};
use crate::output::uncell;

/// The Okabe–Ito palette, in the order lines and areas use it.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];
/// Okabe–Ito without black, for filled areas (black is kept for edges and text).
const AREA_PALETTE: [RGBColor; 7] = [
    PALETTE[0], PALETTE[4], PALETTE[2], PALETTE[3], PALETTE[5], PALETTE[1], PALETTE[7],
];
const BLUE: RGBColor = PALETTE[0];
const VERMILLION: RGBColor = PALETTE[1];
const GREEN: RGBColor = PALETTE[2];
const GRID: RGBColor = RGBColor(225, 225, 225);

/// Element id and title of each chart, in the order of [`super::FILES`]`[1..]`.
pub const CHARTS: [(&str, &str); 5] = [
    ("chart-international", "International personnel by date"),
    ("chart-police-ratio", "Police per 100,000 inhabitants by date"),
    ("chart-targets", "Probability of reaching each target by date"),
    ("chart-contributors", "Expected strength by contributor (mean, stacked)"),
    ("chart-distribution", "Distribution of strength on one date"),
];

pub(super) type DateChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<WithKeyPoints<RangedCoordi32>, RangedCoordf64>>;

/// The first four charts as SVG documents, in the order of [`CHARTS`]
/// (the distribution chart is drawn by `super::distribution`).
pub fn draw_all(data: &RunData, extras: &Extras) -> Result<Vec<String>, ReportError> {
    let run = run_label(data);
    Ok(vec![
        svg(CHARTS[0], 0, &run, |root| international(root, data, extras))?,
        svg(CHARTS[1], 0, &run, |root| police_ratio(root, data, extras))?,
        svg(CHARTS[2], legend_height(data.targets.len(), 2), &run, |root| {
            targets(root, data)
        })?,
        svg(
            CHARTS[3],
            legend_height(data.contributor_series().len(), 3),
            &run,
            |root| contributors(root, data),
        )?,
    ])
}

/// Date ticks on the first of a month: every month, quarter, half year or
/// year, depending on the horizon.
pub(super) fn date_ticks(data: &RunData) -> Vec<i32> {
    let horizon = data.horizon_days;
    let step = match horizon {
        0..=250 => 1,
        251..=1100 => 3,
        1101..=2200 => 6,
        _ => 12,
    };
    let mut ticks = Vec::new();
    let mut month = data.start.with_day(1).unwrap_or(data.start);
    loop {
        let day = (month - data.start).num_days();
        if day > i64::from(horizon) {
            break;
        }
        if day >= 0 && month.month0().is_multiple_of(step) {
            ticks.push(day as i32);
        }
        match month.checked_add_months(chrono::Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    if ticks.len() < 2 {
        ticks = vec![0, horizon as i32];
    }
    ticks
}

pub(super) fn x_range(data: &RunData) -> std::ops::Range<i32> {
    0..data.horizon_days.max(1) as i32
}

/// Draws the axes: dates along x, `y_desc` along y.
pub(super) fn mesh(
    chart: &mut DateChart,
    data: &RunData,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> DrawResult {
    let x_format = |day: &i32| data.date_of(*day).format("%b %Y").to_string();
    chart
        .configure_mesh()
        .x_desc("date")
        .y_desc(y_desc)
        .x_label_formatter(&x_format)
        .y_label_formatter(y_format)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.stroke_width(0))
        .bold_line_style(GRID.stroke_width(1))
        .axis_style(BLACK.stroke_width(1))
        .draw()?;
    Ok(())
}

pub fn builder<'a, 'b>(root: &'a Area<'b>, caption: &str) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(caption, (FONT, 20))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(48)
        .y_label_area_size(78);
    builder
}

/// Upper percentile forward, lower percentile back: a closed band.
pub(super) fn band(series: &Series, lower: usize, upper: usize) -> Vec<(i32, f64)> {
    let points = series.days.iter().zip(&series.percentiles);
    points
        .clone()
        .map(|(d, p)| (*d, p[upper]))
        .chain(points.rev().map(|(d, p)| (*d, p[lower])))
        .collect()
}

pub(super) fn median(series: &Series) -> Vec<(i32, f64)> {
    series
        .days
        .iter()
        .zip(&series.percentiles)
        .map(|(d, p)| (*d, p[2]))
        .collect()
}

/// `top` as the top of a y axis from 0, if plotters can draw it (finite:
/// an infinite range never finishes).
pub(super) fn axis_top(top: f64) -> Result<f64, Box<dyn Error>> {
    if top.is_finite() && top > 0.0 {
        Ok(top)
    } else {
        Err(format!("the values are too large to draw (the y axis would reach {top})").into())
    }
}

pub(super) fn max_p95(series: &Series) -> f64 {
    series.percentiles.iter().map(|p| p[4]).fold(0.0, f64::max)
}

pub(super) fn legend_box<'a, 'b: 'a>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, impl CoordTranslate>,
    position: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(position)
        .margin(10)
        .legend_area_size(30)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}

pub(super) fn swatch(color: RGBAColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], color.filled())
}

/// Personnel fan chart: p5–p95 and p25–p75 bands, the median, and the
/// targets and benchmarks on `international`.
fn international(root: &Area, data: &RunData, extras: &Extras) -> DrawResult {
    root.fill(&WHITE)?;
    let Some(series) = data.series("international") else {
        return no_data(root, "no international personnel in this run");
    };
    let lines = reference_lines(data, extras, "international");
    // Room above the highest line for the legend (top left).
    let (top, above) = scale((max_p95(series) * 1.12).max(10.0), &lines, 1.4);
    let top = axis_top(top)?;
    let mut chart = builder(root, "International personnel (all contributors) by date")
        .build_cartesian_2d(x_range(data).with_key_points(date_ticks(data)), 0.0..top)?;
    mesh(&mut chart, data, "personnel", &|v| thousands(*v))?;

    let outer = PALETTE[5].mix(0.35);
    let inner = BLUE.mix(0.45);
    chart
        .draw_series(std::iter::once(Polygon::new(band(series, 0, 4), outer.filled())))?
        .label(data.bands.outer_named())
        .legend(swatch(outer));
    chart
        .draw_series(std::iter::once(Polygon::new(band(series, 1, 3), inner.filled())))?
        .label(data.bands.inner_named())
        .legend(swatch(inner));
    chart
        .draw_series(LineSeries::new(median(series), BLACK.stroke_width(3)))?
        .label("median")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3)));
    draw_lines(&mut chart, data, &lines, top, &above)?;
    legend_box(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// Police per 100,000: median and p5–p95, with the targets and benchmarks
/// on `police_per_100k`; the axis fits the data (see [`scale`]).
fn police_ratio(root: &Area, data: &RunData, extras: &Extras) -> DrawResult {
    root.fill(&WHITE)?;
    let Some(series) = data.series("police_per_100k") else {
        return no_data(root, "no police ratio in this run");
    };
    let lines = reference_lines(data, extras, "police_per_100k");
    let (top, above) = scale((max_p95(series) * 1.12).max(1.0), &lines, 1.15);
    let top = axis_top(top)?;
    let mut chart = builder(root, "Police (host and international) per 100,000 inhabitants")
        .build_cartesian_2d(x_range(data).with_key_points(date_ticks(data)), 0.0..top)?;
    mesh(&mut chart, data, "police per 100,000", &|v| thousands(*v))?;

    let band_color = GREEN.mix(0.35);
    chart
        .draw_series(std::iter::once(Polygon::new(band(series, 0, 4), band_color.filled())))?
        .label(data.bands.outer_named())
        .legend(swatch(band_color));
    chart
        .draw_series(LineSeries::new(median(series), GREEN.stroke_width(3)))?
        .label("median")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], GREEN.stroke_width(3)));
    draw_lines(&mut chart, data, &lines, top, &above)?;
    legend_box(&mut chart, SeriesLabelPosition::UpperRight)
}

/// A level drawn across a chart: a target (dashed, vermillion) or a
/// benchmark (dotted, black), with its label.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RefLine {
    pub label: String,
    pub value: f64,
    pub benchmark: bool,
}

impl RefLine {
    pub(super) fn color(&self) -> RGBColor {
        if self.benchmark { BLACK } else { VERMILLION }
    }

    /// Dash and gap lengths.
    pub(super) fn dashes(&self) -> (u32, u32) {
        if self.benchmark { (3, 4) } else { (10, 6) }
    }
}

/// The targets (from `summary.csv`) and benchmarks (from `benchmarks.csv`)
/// on `metric`, with their labels.
pub(super) fn reference_lines(data: &RunData, extras: &Extras, metric: &str) -> Vec<RefLine> {
    let targets = data.targets_on(metric).into_iter().map(|(name, value)| RefLine {
        label: format!("target {}: {}", uncell(&name), thousands(value)),
        value,
        benchmark: false,
    });
    let benchmarks = extras.benchmarks_on(metric).into_iter().map(|(name, value)| RefLine {
        label: format!("{}: {}", uncell(&name), thousands(value)),
        value,
        benchmark: true,
    });
    targets.chain(benchmarks).collect()
}

/// How far past the data a line may be and still widen the axis: lines up
/// to this many times the data's top are drawn; those above are named in
/// a note at the top of the chart, so the data never shrinks to a strip.
pub(super) const REACH: f64 = 3.0;

/// The top of a value axis whose data reach `data_top`, with `headroom`
/// times the highest line drawn (room for its label, or for a legend
/// above it), and the lines left above it.
pub(super) fn scale(data_top: f64, lines: &[RefLine], headroom: f64) -> (f64, Vec<RefLine>) {
    let within = |l: &&RefLine| l.value <= data_top * REACH;
    let top = lines
        .iter()
        .filter(within)
        .map(|l| l.value * headroom)
        .fold(data_top, f64::max);
    let above = lines.iter().filter(|l| !within(l)).cloned().collect();
    (top, above)
}

/// Draws `lines` across a chart by date, each labelled, adds their legend
/// entries, and notes the lines above the axis.
pub(super) fn draw_lines(
    chart: &mut DateChart,
    data: &RunData,
    lines: &[RefLine],
    top: f64,
    above: &[RefLine],
) -> DrawResult {
    let horizon = data.horizon_days.max(1) as i32;
    let mut legend = [false, false];
    let mut placed: Vec<(f64, bool)> = Vec::new();
    for line in lines.iter().filter(|l| !above.contains(l)) {
        let (dash, gap) = line.dashes();
        let style = line.color().stroke_width(2);
        let drawn = chart.draw_series(DashedLineSeries::new(
            vec![(0, line.value), (horizon, line.value)],
            dash,
            gap,
            style,
        ))?;
        if !legend[usize::from(line.benchmark)] {
            legend[usize::from(line.benchmark)] = true;
            let label = if line.benchmark {
                "benchmark (dotted)"
            } else {
                "target (dashed)"
            };
            drawn
                .label(label)
                .legend(move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 24, y)], dash, gap, style));
        }
        // Labels at the left, above the line; one close to the line before
        // goes below its line instead.
        let close = placed
            .last()
            .is_some_and(|(v, up)| *up && (line.value - v).abs() < top * 0.06);
        placed.push((line.value, !close));
        let (v, dy) = if close {
            (VPos::Top, -0.01)
        } else {
            (VPos::Bottom, 0.01)
        };
        let text = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, v));
        let at = (horizon / 100, line.value + top * dy);
        chart.draw_series(std::iter::once(Text::new(line.label.clone(), at, text)))?;
    }
    if !above.is_empty() {
        let names: Vec<&str> = above.iter().map(|l| l.label.as_str()).collect();
        let text = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Bottom));
        chart.draw_series(std::iter::once(Text::new(
            format!("above the chart: {}", names.join("; ")),
            (horizon - horizon / 100, top * 0.02),
            text,
        )))?;
    }
    Ok(())
}

/// Dash and gap lengths of line `i` (0 = solid).
const DASHES: [(u32, u32); 4] = [(0, 0), (10, 5), (3, 4), (16, 5)];

/// One line per target: the probability of having reached it by each date.
fn targets(root: &Area, data: &RunData) -> DrawResult {
    root.fill(&WHITE)?;
    if data.targets.is_empty() {
        return no_data(root, "no targets in this scenario");
    }
    let (plot, legend) = root.split_vertically(HEIGHT);
    let mut chart = builder(&plot, "Probability of having reached each target, by date")
        .build_cartesian_2d(x_range(data).with_key_points(date_ticks(data)), 0.0..1.02)?;
    mesh(&mut chart, data, "probability", &|v| format!("{v:.1}"))?;

    let count = data.targets.len();
    let shares = data.p_by_horizon_all();
    for (i, target) in data.targets.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let line = color.stroke_width(2);
        let points: Vec<(i32, f64)> = target
            .days
            .iter()
            .copied()
            .zip(target.p_reached.iter().copied())
            .collect();
        let (dash, gap) = DASHES[i % DASHES.len()];
        let (x, y) = legend_slot(i, 2);
        if dash == 0 {
            chart.draw_series(LineSeries::new(points.clone(), line))?;
            legend.draw(&PathElement::new(vec![(x, y), (x + 36, y)], line))?;
        } else {
            chart.draw_series(DashedLineSeries::new(points.clone(), dash, gap, line))?;
            legend.draw(&DashedPathElement::new(vec![(x, y), (x + 36, y)], dash, gap, line))?;
        }
        // Markers on a few points, shifted per target so overlapping lines
        // still show every marker.
        let every = (points.len() / 10).max(1);
        let shift = i * every / count.max(1);
        let marked: Vec<(i32, f64)> = points
            .iter()
            .enumerate()
            .filter(|(j, _)| (j + every - shift % every).is_multiple_of(every))
            .map(|(_, p)| *p)
            .collect();
        let filled = color.filled();
        macro_rules! markers {
            (|$c:ident| $make:expr) => {{
                chart.draw_series(marked.iter().map(|&$c| $make))?;
                let $c = (x + 18, y);
                legend.draw(&$make)?;
            }};
        }
        match (i / PALETTE.len() + i) % 4 {
            0 => markers!(|c| Circle::new(c, 5, filled)),
            1 => markers!(|c| TriangleMarker::new(c, 7, filled)),
            2 => markers!(|c| Cross::new(c, 5, color.stroke_width(3))),
            _ => markers!(|c| Circle::new(c, 5, color.stroke_width(2))),
        }
        let label = match shares.get(target.name.as_str()) {
            Some(p) => format!("{} ({:.1}% by the horizon)", target.name, 100.0 * p),
            None => target.name.clone(),
        };
        legend.draw(&Text::new(label, (x + 46, y), legend_text()))?;
    }
    Ok(())
}

/// Height of a legend under a chart with `entries` in `columns`.
fn legend_height(entries: usize, columns: usize) -> u32 {
    if entries == 0 {
        0
    } else {
        (entries.div_ceil(columns) as u32) * LEGEND_ROW + 12
    }
}

const LEGEND_ROW: u32 = 24;

/// Where legend entry `i` starts, in the legend area under a chart.
fn legend_slot(i: usize, columns: usize) -> (i32, i32) {
    let width = (WIDTH as i32 - 110) / columns as i32;
    let (row, column) = (i / columns, i % columns);
    (90 + column as i32 * width, 10 + row as i32 * LEGEND_ROW as i32)
}

fn legend_text() -> TextStyle<'static> {
    TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center))
}

/// Mean strength of each contributor, stacked.
fn contributors(root: &Area, data: &RunData) -> DrawResult {
    root.fill(&WHITE)?;
    let series = data.contributor_series();
    if series.is_empty() {
        return no_data(root, "no contributors in this scenario");
    }
    let days = &series[0].days;
    let mut stacked: Vec<Vec<f64>> = Vec::new();
    let mut below = vec![0.0; days.len()];
    for s in &series {
        let top: Vec<f64> = below.iter().zip(&s.mean).map(|(b, m)| b + m).collect();
        stacked.push(top.clone());
        below = top;
    }
    let top = axis_top((below.iter().copied().fold(0.0, f64::max) * 1.15).max(10.0))?;
    let (plot, legend) = root.split_vertically(HEIGHT);
    let mut chart = builder(&plot, "Expected strength by contributor (mean over trials, stacked)")
        .build_cartesian_2d(x_range(data).with_key_points(date_ticks(data)), 0.0..top)?;
    mesh(&mut chart, data, "personnel (mean)", &|v| thousands(*v))?;

    let zero = vec![0.0; days.len()];
    let mut labels = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let lower = if i == 0 { &zero } else { &stacked[i - 1] };
        let upper = &stacked[i];
        let fill = area_fill(i);
        let polygon: Vec<(i32, f64)> = days
            .iter()
            .zip(upper)
            .map(|(d, v)| (*d, *v))
            .chain(days.iter().zip(lower).rev().map(|(d, v)| (*d, *v)))
            .collect();
        let name = s
            .metric
            .trim_start_matches('\'')
            .trim_start_matches("contributor:")
            .to_string();
        chart.draw_series(std::iter::once(Polygon::new(polygon, fill.filled())))?;
        let (x, y) = legend_slot(i, 3);
        legend.draw(&Rectangle::new([(x, y - 8), (x + 30, y + 8)], fill.filled()))?;
        legend.draw(&Rectangle::new([(x, y - 8), (x + 30, y + 8)], BLACK.stroke_width(1)))?;
        legend.draw(&Text::new(format!("{}. {name}", i + 1), (x + 40, y), legend_text()))?;
        chart.draw_series(LineSeries::new(
            days.iter().copied().zip(upper.iter().copied()),
            BLACK.stroke_width(1),
        ))?;
        // A name inside its band where the band is thick enough.
        let inner = (days.len() / 5)..(days.len() - days.len() / 10).max(days.len() / 5 + 1);
        // A series may have fewer days than the first (in an edited file).
        let drawn = days.len().min(upper.len()).min(lower.len());
        if let Some(j) = inner
            .filter(|&j| j < drawn)
            .max_by(|&a, &b| (upper[a] - lower[a]).total_cmp(&(upper[b] - lower[b])))
            && upper[j] - lower[j] > top * 0.06
        {
            labels.push((format!("{}. {name}", i + 1), (days[j], (upper[j] + lower[j]) / 2.0)));
        }
    }
    let style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    chart.draw_series(labels.into_iter().map(|(name, at)| Text::new(name, at, style.clone())))?;
    Ok(())
}

/// Lightness of a stacked area's colour, by round of the palette.
const AREA_SHADES: [f64; 3] = [0.85, 0.5, 0.25];

/// The fill of stacked area `i`: the palette's colours at full shade, then
/// again lighter, then lighter still, so that no two of the first 21
/// contributors share a fill (the 17 of the GSF scenario once repeated
/// Kenya's for Burundi); past them, the numbers in the bands and the legend
/// tell them apart.
pub(super) fn area_fill(i: usize) -> RGBAColor {
    let shade = AREA_SHADES[(i / AREA_PALETTE.len()) % AREA_SHADES.len()];
    AREA_PALETTE[i % AREA_PALETTE.len()].mix(shade)
}

pub(super) fn no_data(root: &Area, message: &str) -> DrawResult {
    let style = TextStyle::from((FONT, 18).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(
        message.to_string(),
        (WIDTH as i32 / 2, HEIGHT as i32 / 2),
        style,
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_far_above_the_data_do_not_stretch_the_axis() {
        let line = |value: f64| RefLine {
            label: format!("{value}"),
            value,
            benchmark: true,
        };
        // Data up to 50: 100 and 150 widen the axis (to 150 x 1.1), 400 is
        // named above the chart.
        let (top, above) = scale(50.0, &[line(100.0), line(400.0), line(150.0)], 1.1);
        assert!((top - 165.0).abs() < 1e-9, "{top}");
        assert_eq!(above, [line(400.0)]);
        assert_eq!(scale(50.0, &[], 1.1), (50.0, Vec::new()));
    }

    #[test]
    fn stacked_areas_do_not_repeat_a_fill_within_three_rounds_of_the_palette() {
        let fills: Vec<String> = (0..AREA_PALETTE.len() * AREA_SHADES.len())
            .map(|i| format!("{:?}", area_fill(i)))
            .collect();
        for (i, fill) in fills.iter().enumerate() {
            assert!(!fills[..i].contains(fill), "area {i} repeats an earlier fill");
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(2500.0), "2,500");
        assert_eq!(thousands(11_700_000.0), "11,700,000");
    }
}
