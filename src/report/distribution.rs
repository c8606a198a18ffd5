//! The distribution chart: international personnel and police per 100,000
//! on one date (`distribution.csv`), as bars of the share of trials, with
//! the targets and benchmarks on each metric as labelled vertical lines.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ReportError;
use super::charts::{
    self, Area, CHARTS, DrawResult, FONT, HEIGHT, PALETTE, REACH, RefLine, axis_top, builder, no_data, reference_lines,
    thousands,
};
use super::data::RunData;
use super::extras::{Distribution, Extras};

/// Most bars in a panel.
pub const BARS: usize = 40;

/// The metrics drawn, one panel each, with their panel titles.
const PANELS: [(&str, &str); 2] = [
    ("international", "International personnel"),
    ("police_per_100k", "Police per 100,000 inhabitants"),
];

/// The distribution chart as an SVG document.
pub fn draw(data: &RunData, extras: &Extras) -> Result<String, ReportError> {
    charts::svg(CHARTS[4], HEIGHT / 2, &charts::run_label(data), |root| {
        root.fill(&WHITE)?;
        let Some(distribution) = &extras.distribution else {
            return no_data(
                root,
                "distribution.csv is missing: run the scenario again to draw this chart",
            );
        };
        let panels = root.split_evenly((2, 1));
        for (panel, (metric, title)) in panels.iter().zip(PANELS) {
            draw_panel(panel, data, extras, distribution, metric, title)?;
        }
        Ok(())
    })
}

/// Bars of `values` (value, share; ascending values): at most [`BARS`] of
/// equal width, whole numbers wide for whole numbers. Each bar: its lower
/// edge, width and share.
pub fn bars(values: &[(f64, f64)]) -> Vec<(f64, f64, f64)> {
    let (Some(&(low, _)), Some(&(high, _))) = (values.first(), values.last()) else {
        return Vec::new();
    };
    let whole = values.iter().all(|(v, _)| v.fract() == 0.0);
    let width = if whole {
        ((high - low + 1.0) / BARS as f64).ceil().max(1.0)
    } else if high > low {
        (high - low) / (BARS - 1) as f64
    } else {
        (high * 0.05).max(1e-6)
    };
    let low = if whole { low } else { low - width / 2.0 };
    let mut shares = vec![0.0; BARS];
    for &(v, s) in values {
        let i = (((v - low) / width).floor().max(0.0) as usize).min(BARS - 1);
        shares[i] += s;
    }
    let used = shares.iter().rposition(|s| *s > 0.0).map_or(0, |i| i + 1);
    (0..used).map(|i| (low + i as f64 * width, width, shares[i])).collect()
}

/// The x range of a panel: the bars, widened for the lines within
/// [`REACH`] - 1 spans of them (a span of at least a quarter of the
/// highest value, so that a narrow distribution still shows lines near
/// it); the lines outside it.
fn x_range(bars: &[(f64, f64, f64)], lines: &[RefLine]) -> ((f64, f64), Vec<RefLine>) {
    let low = bars.first().map_or(0.0, |b| b.0);
    let high = bars.last().map_or(1.0, |b| b.0 + b.1);
    let span = (high - low).max(high.abs() * 0.25).max(1e-6);
    let near = |l: &&RefLine| l.value >= low - span * (REACH - 1.0) && l.value <= high + span * (REACH - 1.0);
    let (mut from, mut to) = (low, high);
    for line in lines.iter().filter(near) {
        from = from.min(line.value);
        to = to.max(line.value);
    }
    let pad = (to - from).max(1e-6) * 0.04;
    let outside = lines.iter().filter(|l| !near(l)).cloned().collect();
    (((from - pad).max(0.0), to + pad), outside)
}

fn draw_panel(
    area: &Area,
    data: &RunData,
    extras: &Extras,
    distribution: &Distribution,
    metric: &str,
    title: &str,
) -> DrawResult {
    let date = distribution.date.format("%-d %b %Y");
    let Some(values) = distribution.of(metric) else {
        return no_data(area, &format!("no {metric} in distribution.csv"));
    };
    let bars = bars(values);
    let lines = reference_lines(data, extras, metric);
    let ((from, to), outside) = x_range(&bars, &lines);
    let top = axis_top(bars.iter().map(|b| b.2).fold(0.0, f64::max) * 1.3)?;
    let span = to - from;
    let x_format = move |v: &f64| if span < 10.0 { format!("{v:.1}") } else { thousands(*v) };
    let mut chart = builder(area, &format!("{title} on {date}")).build_cartesian_2d(from..to, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc(title.to_lowercase())
        .y_desc("share of trials")
        .x_label_formatter(&x_format)
        .y_label_formatter(&|v| format!("{:.0}%", 100.0 * v))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE.stroke_width(0))
        .bold_line_style(RGBColor(225, 225, 225).stroke_width(1))
        .axis_style(BLACK.stroke_width(1))
        .draw()?;
    let fill = PALETTE[0].mix(0.6);
    chart.draw_series(
        bars.iter()
            .map(|&(x, w, s)| Rectangle::new([(x, 0.0), (x + w, s)], fill.filled())),
    )?;
    for (i, line) in lines.iter().filter(|l| !outside.contains(l)).enumerate() {
        let (dash, gap) = line.dashes();
        let style = line.color().stroke_width(2);
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(line.value, 0.0), (line.value, top)],
            dash,
            gap,
            style,
        )))?;
        // Two rows of labels under the note, each on the side of its line
        // with more room.
        let y = top * (0.92 - 0.07 * (i % 2) as f64);
        let (h, label) = if line.value > from + span * 0.6 {
            (HPos::Right, format!("{} ", line.label))
        } else {
            (HPos::Left, format!(" {}", line.label))
        };
        let text = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(h, VPos::Top));
        chart.draw_series(std::iter::once(Text::new(label, (line.value, y), text)))?;
    }
    if !outside.is_empty() {
        let names: Vec<&str> = outside.iter().map(|l| l.label.as_str()).collect();
        let text = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Top));
        let note = format!("off the chart: {}", names.join("; "));
        chart.draw_series(std::iter::once(Text::new(
            note,
            (from + span * 0.01, top * 0.995),
            text,
        )))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_cover_every_value_once() {
        // 0..=99 people, 1% each: 40 bars of 3 people (the last holds 99 alone).
        let values: Vec<(f64, f64)> = (0..100).map(|v| (f64::from(v), 0.01)).collect();
        let b = bars(&values);
        assert_eq!(b.len(), 34);
        assert_eq!((b[0].0, b[0].1), (0.0, 3.0));
        assert!((b[0].2 - 0.03).abs() < 1e-12);
        assert!((b.iter().map(|b| b.2).sum::<f64>() - 1.0).abs() < 1e-12);
        // A single value: one bar.
        assert_eq!(bars(&[(5.0, 1.0)]), [(5.0, 1.0, 1.0)]);
        // Ratios: equal widths centred on the lowest and highest value.
        let b = bars(&[(40.5, 0.5), (79.5, 0.5)]);
        assert_eq!(b.len(), BARS);
        assert!((b[0].1 - 1.0).abs() < 1e-12 && (b[0].0 - 40.0).abs() < 1e-12);
        assert_eq!((b[0].2, b[BARS - 1].2), (0.5, 0.5));
    }
}
