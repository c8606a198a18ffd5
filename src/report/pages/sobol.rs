//! The Sobol indices on `sensitivity.html` (from `sobol.csv`, when
//! `sensitivity --sobol` wrote it): per output, the inputs with the
//! largest total index, each with its first-order index (circle) and total
//! index (bar), and their 90% intervals (whiskers).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::{self, Span};
use super::{Files, figure, table, table_html};
use crate::output::schema::{SOBOL, SOBOL_COLUMNS};
use crate::output::uncell;
use crate::report::ReportError;
use crate::report::charts::{Area, DrawResult, FONT, PALETTE};

/// Inputs drawn per output: those with the largest total index.
pub const BARS: usize = 12;
/// Room on the left for the inputs' names, in pixels.
const NAMES: u32 = 330;
/// Room under the bars for the legend, in bars.
const LEGEND_ROOM: f64 = -2.2;

/// One input's indices for one output: `[estimate, low, high]` each.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub input: String,
    pub first: [f64; 3],
    pub total: [f64; 3],
    /// The row of `sobol.csv`, as written.
    pub row: Vec<String>,
}

/// One output's inputs (largest total first, at most [`BARS`]); empty
/// when the output does not vary.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub bars: Vec<Bar>,
}

/// The outputs of `sobol.csv`, in file order; `None` when there is no
/// such file among `files`.
pub fn outputs(files: &Files) -> Result<Option<Vec<Output>>, ReportError> {
    if !files.iter().any(|(name, _)| *name == SOBOL) {
        return Ok(None);
    }
    let t = table(files, SOBOL)?;
    let (output, input) = (super::column(&t, SOBOL, "output")?, super::column(&t, SOBOL, "input")?);
    let mut outputs: Vec<Output> = Vec::new();
    for r in 0..t.rows.len() {
        let name = uncell(super::cell(&t, r, output)).to_string();
        if outputs.last().is_none_or(|last| last.name != name) {
            outputs.push(Output { name, bars: Vec::new() });
        }
        let read = |columns: [&str; 3]| -> Result<Option<[f64; 3]>, ReportError> {
            let values = columns.map(|c| super::number(&t, SOBOL, r, c, true));
            let [a, b, c] = values;
            Ok(match (a?, b?, c?) {
                (Some(a), Some(b), Some(c)) => Some([a, b, c]),
                _ => None,
            })
        };
        let first = read(["first", "first_low", "first_high"])?;
        let total = read(["total", "total_low", "total_high"])?;
        if let (Some(first), Some(total), Some(last)) = (first, total, outputs.last_mut())
            && last.bars.len() < BARS
        {
            last.bars.push(Bar {
                input: uncell(super::cell(&t, r, input)).to_string(),
                first,
                total,
                row: t.rows[r].clone(),
            });
        }
    }
    Ok(Some(outputs))
}

/// The x range of an output's chart: 0 to 1, or wider for an estimate or
/// interval past them (Monte Carlo error).
pub fn x_span(output: &Output) -> Span {
    let values = output.bars.iter().flat_map(|b| b.first.iter().chain(&b.total).copied());
    let (lo, hi) = values.fold((0.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    (lo, hi)
}

fn chart(id: &str, output: &Output) -> Result<String, ReportError> {
    let title = format!("Sobol indices of {}", output.name);
    let x = x_span(output);
    draw::chart_svg((id, &title), 0, (x, (LEGEND_ROOM, BARS as f64)), |root| {
        if output.bars.is_empty() {
            return draw::no_data(root, "the same in every row: no index to give");
        }
        bars(root, output, x, &title)
    })
}

fn bars(root: &Area, output: &Output, x: Span, title: &str) -> DrawResult {
    root.fill(&WHITE)?;
    let (names, plot) = root.split_horizontally(NAMES);
    let mut chart = draw::plot(
        &plot,
        title,
        (x, (LEGEND_ROOM, BARS as f64)),
        ("share of the output's variance", ""),
        (&|v| draw::tick(*v), &|_| String::new()),
    )?;
    let (first, total) = (PALETTE[0], PALETTE[1]);
    let name_style = TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, bar) in output.bars.iter().enumerate() {
        let y = BARS as f64 - i as f64 - 0.5;
        chart.draw_series([Rectangle::new(
            [(0.0, y - 0.3), (bar.total[0], y + 0.3)],
            total.mix(0.35).filled(),
        )])?;
        chart.draw_series([PathElement::new(
            vec![(bar.total[1], y), (bar.total[2], y)],
            total.stroke_width(2),
        )])?;
        chart.draw_series([PathElement::new(
            vec![(bar.first[1], y - 0.2), (bar.first[2], y - 0.2)],
            first.stroke_width(2),
        )])?;
        chart.draw_series([Circle::new((bar.first[0], y - 0.2), 5, first.filled())])?;
        let (_, pixel_y) = chart.backend_coord(&(x.0, y));
        let name = format!("{}. {}", i + 1, bar.input);
        names.draw(&Text::new(name, (NAMES as i32 - 8, pixel_y), name_style.clone()))?;
    }
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("first order (alone), 90% interval")
        .legend(move |(px, py)| Circle::new((px + 12, py), 5, first.filled()));
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("total (alone and with others), 90% interval")
        .legend(move |(px, py)| Rectangle::new([(px, py - 6), (px + 24, py + 6)], total.mix(0.35).filled()));
    draw::legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// The Sobol charts and their table, appended to `body`; findings, one
/// per output.
pub fn section(body: &mut String, outputs: &[Output], run: &str) -> Result<Vec<String>, ReportError> {
    body.push_str("<h2>Variance-based drivers: Sobol indices</h2>\n");
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    for (i, output) in outputs.iter().enumerate() {
        let svg = chart(&format!("chart-sobol-{}", i + 1), output)?;
        let caption = format!(
            "For each input, the share of the variance of {} it explains alone (first order, circle) and alone \
             or together with other inputs (total, bar), with 90% bootstrap intervals; the {} inputs with the \
             largest total index. A total well above the first order marks an input that matters through \
             others. What no input explains is each trial's own randomness. {run}",
            output.name,
            output.bars.len()
        );
        figure(body, &format!("Sobol indices of {}", output.name), &svg, &caption);
        rows.extend(output.bars.iter().map(|b| b.row.clone()));
        findings.push(match output.bars.first() {
            Some(top) => format!(
                "{}: {} has the largest total Sobol index, {} (first order {}).",
                output.name,
                top.input,
                draw::tick(top.total[0]),
                draw::tick(top.first[0])
            ),
            None => format!("{}: the same in every row, no Sobol index.", output.name),
        });
    }
    table_html(
        body,
        "sobol",
        "The rows of sobol.csv drawn above (every input is in the file)",
        &SOBOL_COLUMNS,
        rows,
    );
    Ok(findings)
}
