//! `sensitivity.html`: one tornado chart per outcome (the outcome's mean
//! when each input is low and when it is high), its bars the inputs
//! `sensitivity.csv` ranks highest, in its order (by first-order index, then
//! |Spearman|), so that the page and the file (and the terminal) agree;
//! from `sensitivity.csv` and `sensitivity_info.csv`; then, with `--sobol`,
//! the Sobol indices of `sobol.csv` (see `sobol`).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::{self, FREE, Span};
use super::{Files, Info, figure, page, table, table_html, what_if};
use crate::output::schema::{SENSITIVITY, SENSITIVITY_COLUMNS, SENSITIVITY_INFO};
use crate::output::uncell;
use crate::report::ReportError;
use crate::report::charts::{Area, DrawResult, FONT, PALETTE};

/// Inputs drawn per tornado: those `sensitivity.csv` ranks highest.
pub const BARS: usize = 12;
/// Room under the bars for the legend, in bars.
const LEGEND_ROOM: f64 = -2.2;
/// Room on the left for the inputs' names, in pixels.
const NAMES: u32 = 330;

/// One input's bar: its name, its rank and the outcome's mean when it is
/// low and high.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub input: String,
    /// Its rank in `sensitivity.csv` (1 = most influential).
    pub rank: f64,
    /// Its first-order index as written (empty when it does not vary).
    pub first_order: String,
    pub low: f64,
    pub high: f64,
    /// The row of `sensitivity.csv`, as written.
    pub row: Vec<String>,
}

/// One outcome's bars, in rank order, and whether it varies at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    pub outcome: String,
    pub bars: Vec<Bar>,
    pub varies: bool,
}

/// The outcomes of `sensitivity.csv`, in file order, each with its
/// [`BARS`] best-ranked inputs, in rank order.
pub fn tornadoes(files: &Files) -> Result<Vec<Tornado>, ReportError> {
    let t = table(files, SENSITIVITY)?;
    let col = |name| super::column(&t, SENSITIVITY, name);
    let (outcome, input, spearman) = (col("outcome")?, col("input")?, col("spearman")?);
    let first_order = col("first_order")?;
    let mut tornadoes: Vec<Tornado> = Vec::new();
    for r in 0..t.rows.len() {
        let low = super::required(&t, SENSITIVITY, r, "mean_when_input_low")?;
        let high = super::required(&t, SENSITIVITY, r, "mean_when_input_high")?;
        let rank = super::required(&t, SENSITIVITY, r, "rank")?;
        let name = uncell(super::cell(&t, r, outcome)).to_string();
        if tornadoes.last().is_none_or(|last| last.outcome != name) {
            tornadoes.push(Tornado {
                outcome: name,
                bars: Vec::new(),
                varies: false,
            });
        }
        let last = tornadoes.last_mut().expect("pushed above");
        last.varies |= !super::cell(&t, r, spearman).is_empty();
        last.bars.push(Bar {
            input: uncell(super::cell(&t, r, input)).to_string(),
            rank,
            first_order: super::cell(&t, r, first_order).to_string(),
            low,
            high,
            row: t.rows[r].clone(),
        });
    }
    for tornado in &mut tornadoes {
        // The file is in rank order; sorted again (stably) so that an
        // edited file is drawn in the order its ranks say.
        tornado.bars.sort_by(|a, b| a.rank.total_cmp(&b.rank));
        tornado.bars.truncate(BARS);
    }
    Ok(tornadoes)
}

/// The tornado of one outcome.
fn tornado_chart(id: &str, tornado: &Tornado, x: Span) -> Result<String, ReportError> {
    let title = format!("What drives {}", tornado.outcome);
    draw::chart_svg((id, &title), 0, (x, (LEGEND_ROOM, BARS as f64)), |root| {
        if !tornado.varies || tornado.bars.is_empty() {
            return draw::no_data(root, "the same in every trial: nothing to rank");
        }
        bars(root, tornado, x)
    })
}

fn bars(root: &Area, tornado: &Tornado, x: Span) -> DrawResult {
    root.fill(&WHITE)?;
    let (names, plot) = root.split_horizontally(NAMES);
    let caption = format!("{}: mean when each input is low and high", tornado.outcome);
    let mut chart = draw::plot(
        &plot,
        &caption,
        (x, (LEGEND_ROOM, BARS as f64)),
        (&crate::report::html::describe_outcome(&tornado.outcome), ""),
        (&|v| draw::tick(*v), &|_| String::new()),
    )?;
    let (low, high) = (PALETTE[0], PALETTE[1]);
    let name_style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, bar) in tornado.bars.iter().enumerate() {
        let y = BARS as f64 - i as f64 - 0.5;
        let (a, b) = (bar.low.min(bar.high), bar.low.max(bar.high));
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, y - 0.32), (b, y + 0.32)],
            RGBColor(200, 200, 200).filled(),
        )))?;
        chart.draw_series([Circle::new((bar.low, y), 6, low.filled())])?;
        chart.draw_series([TriangleMarker::new((bar.high, y), 8, high.filled())])?;
        let (_, pixel_y) = chart.backend_coord(&(x.0, y));
        let name = format!("{}. {}", bar.rank, bar.input);
        names.draw(&Text::new(name, (NAMES as i32 - 8, pixel_y), name_style.clone()))?;
    }
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("input low (its bottom 10%)")
        .legend(move |(x, y)| Circle::new((x + 12, y), 6, low.filled()));
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("input high (its top 10%)")
        .legend(move |(x, y)| TriangleMarker::new((x + 12, y), 8, high.filled()));
    draw::legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// The x range of a tornado: its bars' ends.
pub fn x_span(tornado: &Tornado) -> Span {
    draw::span(tornado.bars.iter().flat_map(|b| [b.low, b.high]), FREE)
}

/// The finding of one outcome, in a sentence: its first-ranked input.
fn finding(tornado: &Tornado) -> String {
    match tornado.bars.first() {
        Some(top) if tornado.varies => format!(
            "{}: {} ranks first in sensitivity.csv (first-order index {}), a mean of {} when it is low and {} \
             when it is high.",
            tornado.outcome,
            top.input,
            if top.first_order.is_empty() {
                "-"
            } else {
                &top.first_order
            },
            draw::tick(top.low),
            draw::tick(top.high)
        ),
        _ => format!("{}: the same in every trial, nothing to rank.", tornado.outcome),
    }
}

/// `sensitivity.html` from `sensitivity.csv` and `sensitivity_info.csv`.
pub fn render(files: &Files) -> Result<String, ReportError> {
    let info = Info::read(files, SENSITIVITY_INFO)?;
    let tornadoes = tornadoes(files)?;
    let title = format!("What drives {}{}", info.get("scenario"), what_if(info.get("overrides")));
    let run = format!(
        "Run: {}{}; {}.",
        info.get("scenario"),
        what_if(info.get("overrides")),
        info.trials_and_seed()
    );
    let dates = match info.get("report_date") {
        "" => "Outcomes at the horizon".to_string(),
        date => format!(
            "Outcomes on the report date, {date}, where it is before the horizon, and at the horizon (the day a \
             target is reached counts over the whole horizon)"
        ),
    };
    let meta = format!(
        "forcegen {} sensitivity: {} uncertain inputs, {}. {dates}. |spearman| under {} and first-order under {} \
         are within noise of no influence. Built from sensitivity.csv and sensitivity_info.csv.",
        info.get("forcegen_version"),
        info.get("inputs"),
        info.trials_and_seed(),
        info.get("spearman_noise"),
        info.get("first_order_noise")
    );
    let mut body = String::new();
    let mut rows = Vec::new();
    for (i, tornado) in tornadoes.iter().enumerate() {
        let svg = tornado_chart(&format!("chart-tornado-{}", i + 1), tornado, x_span(tornado))?;
        let caption = format!(
            "Each bar runs from the mean of {} over the trials where the input is low (circle: its bottom 10%, \
             or its lowest value; for a yes/no input, no) to the mean where it is high (triangle: its top 10%, \
             or yes); the {} inputs sensitivity.csv ranks highest (by first-order index, then |Spearman|), in its \
             order, numbered by their rank. {run}",
            tornado.outcome,
            tornado.bars.len().min(BARS)
        );
        figure(&mut body, &format!("What drives {}", tornado.outcome), &svg, &caption);
        rows.extend(tornado.bars.iter().map(|b| b.row.clone()));
    }
    body.push_str("<h2>The inputs charted</h2>\n");
    table_html(
        &mut body,
        "sensitivity",
        "The rows of sensitivity.csv drawn above (every input is in the file)",
        &SENSITIVITY_COLUMNS,
        rows,
    );
    let mut findings: Vec<String> = tornadoes.iter().map(finding).collect();
    if let Some(outputs) = super::sobol::outputs(files)? {
        findings.extend(super::sobol::section(&mut body, &outputs, &run)?);
    }
    Ok(page("sensitivity", &title, &meta, &findings, &body))
}
