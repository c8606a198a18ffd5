//! The frame every chart of the report is drawn in: its size, font and
//! SVG document (an id, a title, and a line naming the run above the chart,
//! so that a chart file pasted on its own says where it came from).

use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ReportError;
use super::data::RunData;
use crate::output::uncell;

/// Chart size in pixels (the SVG scales with the page).
pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 480;

pub const FONT: &str = "sans-serif";

pub type DrawResult = Result<(), Box<dyn Error>>;
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// What run a chart shows, for its top line and title: the scenario (with
/// a what-if's overrides), the trials and the seed, so that a chart file
/// pasted on its own (a slide) still says where it came from.
pub fn run_label(data: &RunData) -> String {
    let name = uncell(data.info("scenario"));
    let what_if = match uncell(data.info("overrides")) {
        "" => String::new(),
        overrides => format!(" (what-if: --set {overrides})"),
    };
    format!(
        "{name}{what_if}: {} trials, seed {}",
        data.info("trials"),
        data.info("seed")
    )
}

/// Height of the line naming the run at the top of a chart.
const RUN_LINE: u32 = 26;

/// Draws one chart (with `legend` pixels under it) into a string and gives
/// the `<svg>` element an id and a title. A non-empty `run` (see
/// [`run_label`]) is written on a line above the chart and in its title.
pub fn svg(
    (id, title): (&str, &str),
    legend: u32,
    run: &str,
    draw: impl FnOnce(&Area) -> DrawResult,
) -> Result<String, ReportError> {
    let mut buffer = String::new();
    let banner = if run.is_empty() { 0 } else { RUN_LINE };
    {
        let root = SVGBackend::with_string(&mut buffer, (WIDTH, HEIGHT + legend + banner)).into_drawing_area();
        let drawn = if run.is_empty() {
            draw(&root)
        } else {
            root.fill(&WHITE).map_err(Into::into).and_then(|()| {
                let (line, chart) = root.split_vertically(banner);
                let style = TextStyle::from((FONT, 14).into_font())
                    .color(&RGBColor(60, 60, 60))
                    .pos(Pos::new(HPos::Left, VPos::Center));
                line.draw(&Text::new(run.to_string(), (12, banner as i32 / 2 + 2), style))?;
                draw(&chart)
            })
        };
        drawn
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| ReportError::Draw {
                chart: id.to_string(),
                message: e.to_string(),
            })?;
    }
    let title = if run.is_empty() {
        title.to_string()
    } else {
        format!("{title}: {run}")
    };
    let open_end = buffer.find('>').unwrap_or(0);
    let (open, rest) = buffer.split_at(open_end + 1);
    let open = open.replacen(
        "<svg ",
        &format!("<svg id=\"{id}\" role=\"img\" aria-labelledby=\"{id}-title\" "),
        1,
    );
    Ok(format!(
        "{open}\n<title id=\"{id}-title\">{}</title>{rest}",
        super::escape(&title)
    ))
}

/// A whole number with thousands separators: 12,500.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if value < -0.5 { format!("-{out}") } else { out }
}
