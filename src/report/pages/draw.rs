//! What the analysis pages' charts share: the chart frame of `report.html`
//! ([`charts::svg`], [`charts::builder`]), axes that scale to the data, and
//! the ranges written on each `<svg>` (`data-x-range`, `data-y-range`) so
//! that a test can check that every value drawn lies on the axes.

use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::ReportError;
use crate::report::charts::{self, Area, DrawResult, FONT, PALETTE};

/// How the values on an axis are written.
pub type Format<'f> = &'f dyn Fn(&f64) -> String;

/// An x or y range of a chart.
pub type Span = (f64, f64);

/// A chart with f64 axes on both sides.
pub type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Dash and gap of line `i` (0 = solid), as in the report's target chart.
pub const DASHES: [(u32, u32); 4] = [(0, 0), (10, 5), (3, 4), (16, 5)];

/// The smallest to the largest of `values`, widened by 6% of the span on
/// each side (a single value by 10% of itself, or 1), and kept within
/// `limits` (a share stays within 0 and 1, a head count above 0).
pub fn span(values: impl IntoIterator<Item = f64>, limits: Span) -> Span {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (limits.0.max(0.0).min(limits.1), limits.1.min(1.0).max(limits.0 + 1e-9));
    }
    let pad = if hi > lo {
        (hi - lo) * 0.06
    } else {
        (hi.abs() * 0.1).max(1e-3)
    };
    let (lo, hi) = ((lo - pad).max(limits.0), (hi + pad).min(limits.1));
    if hi > lo { (lo, hi) } else { (lo, lo + 1.0) }
}

/// No limit on a range.
pub const FREE: Span = (f64::MIN, f64::MAX);
/// A share: 0 to 1.
pub const SHARE: Span = (0.0, 1.0);
/// A head count or ratio: 0 and up.
pub const POSITIVE: Span = (0.0, f64::MAX);

/// Draws one chart (with `extra` pixels of height for a legend or bars)
/// in the report's frame, and writes its axis ranges on the `<svg>`.
pub fn chart_svg(
    (id, title): (&str, &str),
    extra: u32,
    (x, y): (Span, Span),
    draw: impl FnOnce(&Area) -> DrawResult,
) -> Result<String, ReportError> {
    let svg = charts::svg((id, title), extra, "", draw)?;
    let ranges = format!(
        "<svg id=\"{id}\" data-x-range=\"{} {}\" data-y-range=\"{} {}\"",
        x.0, x.1, y.0, y.1
    );
    Ok(svg.replacen(&format!("<svg id=\"{id}\""), &ranges, 1))
}

/// The plot with both axes on f64 ranges, its mesh drawn with `x_format`
/// and `y_format`.
pub fn plot<'a, 'b>(
    area: &'a Area<'b>,
    caption: &str,
    (x, y): (Span, Span),
    (x_desc, y_desc): (&str, &str),
    (x_format, y_format): (Format, Format),
) -> Result<Chart<'a, 'b>, Box<dyn std::error::Error>> {
    area.fill(&WHITE)?;
    let mut chart = charts::builder(area, caption).build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(x_format)
        .y_label_formatter(y_format)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.stroke_width(0))
        .bold_line_style(RGBColor(225, 225, 225).stroke_width(1))
        .axis_style(BLACK.stroke_width(1))
        .draw()?;
    Ok(chart)
}

/// The series' legend box, as in the report.
pub fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>, position: SeriesLabelPosition) -> DrawResult {
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

/// Colour of line `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Lines of at most this many points get a marker on each.
const MARKED: usize = 30;

/// Draws line `i` through `points` (colour and dash by `i`), with a legend
/// entry `label`; a single point gets a marker.
pub fn line(chart: &mut Chart, i: usize, points: Vec<(f64, f64)>, label: &str) -> DrawResult {
    let style = color(i).stroke_width(3);
    let (dash, gap) = DASHES[i % DASHES.len()];
    let legend = move |(x, y): (i32, i32)| {
        DashedPathElement::new(
            vec![(x, y), (x + 24, y)],
            dash.max(1),
            if dash == 0 { 0 } else { gap },
            style,
        )
    };
    if points.len() <= MARKED {
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, color(i).filled())))?;
    }
    if dash == 0 {
        chart
            .draw_series(LineSeries::new(points, style))?
            .label(label)
            .legend(legend);
    } else {
        chart
            .draw_series(DashedLineSeries::new(points, dash, gap, style))?
            .label(label)
            .legend(legend);
    }
    Ok(())
}

/// A closed band: `upper` forward, `lower` back.
pub fn band(chart: &mut Chart, i: usize, upper: &[(f64, f64)], lower: &[(f64, f64)], alpha: f64) -> DrawResult {
    let polygon: Vec<(f64, f64)> = upper.iter().chain(lower.iter().rev()).copied().collect();
    chart.draw_series(std::iter::once(Polygon::new(polygon, color(i).mix(alpha).filled())))?;
    Ok(())
}

/// A labelled horizontal line at `y` (a target or a benchmark), dashed.
pub fn level(chart: &mut Chart, x: Span, y: f64, label: &str) -> DrawResult {
    let style = PALETTE[1].stroke_width(2);
    chart.draw_series(DashedLineSeries::new(vec![(x.0, y), (x.1, y)], 10, 6, style))?;
    let text = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Bottom));
    chart.draw_series(std::iter::once(Text::new(
        label.to_string(),
        (x.0 + (x.1 - x.0) * 0.01, y),
        text,
    )))?;
    Ok(())
}

/// A message in place of a chart with nothing to draw.
pub fn no_data(root: &Area, message: &str) -> DrawResult {
    root.fill(&WHITE)?;
    let style = TextStyle::from((FONT, 18).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(
        message.to_string(),
        (charts::WIDTH as i32 / 2, charts::HEIGHT as i32 / 2),
        style,
    ))?;
    Ok(())
}

/// A value on an axis: thousands separators from 1,000 up, else up to
/// three significant decimals.
pub fn tick(value: f64) -> String {
    if value.abs() >= 1000.0 {
        charts::thousands(value)
    } else if value.abs() >= 10.0 || value == 0.0 {
        crate::output::number(value, 1)
    } else {
        crate::output::number(value, 3)
    }
}

/// A share on an axis, as a percentage.
pub fn tick_percent(value: f64) -> String {
    format!("{}%", crate::output::number(100.0 * value, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_hold_the_data_within_their_limits() {
        assert_eq!(span([0.2, 0.7], SHARE), (0.2 - 0.03, 0.7 + 0.03));
        assert_eq!(span([0.0, 1.0], SHARE), (0.0, 1.0));
        let (lo, hi) = span([5.0], POSITIVE);
        assert!(lo < 5.0 && hi > 5.0 && lo >= 0.0);
        let (lo, hi) = span([], SHARE);
        assert!(lo < hi);
        let (lo, hi) = span([f64::NAN, 3.0, -2.0], FREE);
        assert!(lo < -2.0 && hi > 3.0);
    }
}
