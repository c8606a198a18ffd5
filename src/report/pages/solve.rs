//! `solve.html`: for each input solved for, the chance at every value
//! tried (with a band of two standard errors), the goal as a dashed line,
//! the values not distinguishable from it shaded, and the answer marked;
//! then the answers. From `solve.csv`, `solve_summary.csv` and
//! `solve_info.csv`.

use chrono::NaiveDate;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::draw::{self, SHARE};
use super::{Files, Info, figure, page, percent, table, table_html, what_if};
use crate::output::schema::{SOLVE, SOLVE_INFO, SOLVE_SUMMARY, SOLVE_SUMMARY_COLUMNS};
use crate::output::uncell;
use crate::report::ReportError;
use crate::report::charts::PALETTE;

/// Most inputs charted (`solve_summary.csv` has them all).
pub const CHARTS: usize = 12;

/// A value of `solve.csv`: a number, or a date (then as days after `origin`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    Numbers,
    Dates(NaiveDate),
}

impl Scale {
    /// The scale of `values`: numbers when all are, else dates when all are.
    fn of<'a>(values: impl Iterator<Item = &'a str> + Clone) -> Option<Scale> {
        if values.clone().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite)) {
            return Some(Scale::Numbers);
        }
        let dates: Option<Vec<NaiveDate>> = values.map(|v| v.parse::<NaiveDate>().ok()).collect();
        dates?.into_iter().min().map(Scale::Dates)
    }

    fn x(self, value: &str) -> f64 {
        match self {
            Scale::Numbers => value.parse().unwrap_or(f64::NAN),
            Scale::Dates(origin) => value
                .parse::<NaiveDate>()
                .map_or(f64::NAN, |d| (d - origin).num_days() as f64),
        }
    }

    fn label(self, x: f64) -> String {
        match self {
            Scale::Numbers => draw::tick(x),
            Scale::Dates(origin) => origin
                .checked_add_signed(chrono::Duration::days(x.round() as i64))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }
}

/// One input's values tried and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub name: String,
    /// (value, chance, standard error), in value order.
    pub tried: Vec<(String, f64, f64)>,
    /// The summary row: answer, low, high, chance, chance_se (as written).
    pub summary: Vec<String>,
}

/// The inputs of `solve_summary.csv`, each with its rows of `solve.csv`.
pub fn inputs(files: &Files) -> Result<Vec<Input>, ReportError> {
    let values = table(files, SOLVE)?;
    let summary = table(files, SOLVE_SUMMARY)?;
    let (input, value) = (
        super::column(&values, SOLVE, "input")?,
        super::column(&values, SOLVE, "value")?,
    );
    let name = super::column(&summary, SOLVE_SUMMARY, "input")?;
    for column in SOLVE_SUMMARY_COLUMNS {
        super::column(&summary, SOLVE_SUMMARY, column)?;
    }
    let mut out = Vec::new();
    for r in 0..summary.rows.len() {
        super::share(&summary, SOLVE_SUMMARY, r, "chance", false)?;
        super::share(&summary, SOLVE_SUMMARY, r, "chance_se", false)?;
        let input_name = uncell(super::cell(&summary, r, name)).to_string();
        let mut tried = Vec::new();
        for v in 0..values.rows.len() {
            if uncell(super::cell(&values, v, input)) != input_name {
                continue;
            }
            let chance = super::share(&values, SOLVE, v, "chance", false)?.unwrap_or(0.0);
            let se = super::share(&values, SOLVE, v, "chance_se", false)?.unwrap_or(0.0);
            tried.push((super::cell(&values, v, value).to_string(), chance, se));
        }
        out.push(Input {
            name: input_name,
            tried,
            summary: summary.rows[r][1..].to_vec(),
        });
    }
    Ok(out)
}

/// The chart of one input: chance against value, the goal, the band of
/// values not distinguishable from it, the answer.
fn chart(id: &str, input: &Input, goal: f64, title: &str) -> Result<String, ReportError> {
    let texts = input
        .tried
        .iter()
        .map(|t| t.0.as_str())
        .chain(input.summary.iter().take(3).map(String::as_str));
    let scale = Scale::of(texts).ok_or_else(|| ReportError::Csv {
        file: SOLVE.to_string(),
        message: format!("the values of {} are neither all numbers nor all dates", input.name),
    })?;
    let points: Vec<(f64, f64, f64)> = input
        .tried
        .iter()
        .map(|(v, p, se)| (scale.x(v), *p, 2.0 * se))
        .collect();
    let [answer, low, high] = [0, 1, 2].map(|i| scale.x(&input.summary[i]));
    let x = draw::span(points.iter().map(|p| p.0).chain([answer, low, high]), draw::FREE);
    let y = draw::span(points.iter().flat_map(|p| [p.1 - p.2, p.1 + p.2]).chain([goal]), SHARE);
    draw::chart_svg((id, title), 0, (x, y), |root| {
        let label = move |v: &f64| scale.label(*v);
        let mut chart = draw::plot(
            root,
            title,
            (x, y),
            (&input.name, "chance"),
            (&label, &|v| draw::tick_percent(*v)),
        )?;
        let shade = PALETTE[2].mix(0.15).filled();
        chart
            .draw_series([Rectangle::new([(low, y.0), (high.max(low), y.1)], shade)])?
            .label("not distinguishable from the goal (within 2 SE)")
            .legend(move |(px, py)| Rectangle::new([(px, py - 6), (px + 24, py + 6)], shade));
        let upper: Vec<(f64, f64)> = points.iter().map(|p| (p.0, (p.1 + p.2).min(y.1))).collect();
        let lower: Vec<(f64, f64)> = points.iter().map(|p| (p.0, (p.1 - p.2).max(y.0))).collect();
        draw::band(&mut chart, 0, &upper, &lower, 0.2)?;
        draw::line(
            &mut chart,
            0,
            points.iter().map(|p| (p.0, p.1)).collect(),
            "chance at each value tried",
        )?;
        draw::level(&mut chart, x, goal, &format!("goal {}", percent(goal)))?;
        let mark = PALETTE[5].stroke_width(3);
        chart
            .draw_series([PathElement::new(vec![(answer, y.0), (answer, y.1)], mark)])?
            .label(format!("answer {}", input.summary[0]))
            .legend(move |(px, py)| DashedPathElement::new(vec![(px, py), (px + 24, py)], 24, 0, mark));
        draw::legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The finding of one input, in a sentence.
fn finding(input: &Input, info: &Info) -> String {
    let [answer, low, high, chance, se] = [0, 1, 2, 3, 4].map(|i| input.summary[i].as_str());
    let goal: f64 = info.get("goal").parse().unwrap_or(f64::NAN);
    let event = event(info);
    let bound = if info.get("direction") == "largest" {
        "at most"
    } else {
        "at least"
    };
    let chance: f64 = chance.parse().unwrap_or(f64::NAN);
    let se: f64 = se.parse().unwrap_or(f64::NAN);
    let edge = match input.tried.first().zip(input.tried.last()) {
        Some((first, last)) if low == first.0 || high == last.0 => {
            " These reach an end of the range searched, and may go on past it."
        }
        _ => "",
    };
    format!(
        "{}: {bound} {answer} for a chance of at least {} that {event} ({} there, SE {:.1} points); from {low} to \
         {high} the chance is not distinguishable from {} at {}.{edge}",
        input.name,
        percent(goal),
        percent(chance),
        100.0 * se,
        percent(goal),
        info.trials_and_seed(),
    )
}

/// The event counted, from the info file.
fn event(info: &Info) -> String {
    let (target, by) = (info.get("target"), info.get("by"));
    match info.get("event") {
        "not reached" => format!("\"{target}\" is not reached by {by}"),
        _ => format!("\"{target}\" is reached by {by}"),
    }
}

/// `solve.html` from `solve.csv`, `solve_summary.csv` and `solve_info.csv`.
pub fn render(files: &Files) -> Result<String, ReportError> {
    let info = Info::read(files, SOLVE_INFO)?;
    let inputs = inputs(files)?;
    let goal = super::share(&table(files, SOLVE_INFO)?, SOLVE_INFO, 0, "goal", false)?.unwrap_or(0.5);
    let scenario = format!("{}{}", info.get("scenario"), what_if(info.get("overrides")));
    let title = format!(
        "{scenario}: what it takes for a chance of {} that {}",
        percent(goal),
        event(&info)
    );
    let meta = format!(
        "forcegen {} solve: the {} value of each input ({}), {} at every value (common random numbers). Built \
         from solve.csv, solve_summary.csv and solve_info.csv.",
        info.get("forcegen_version"),
        info.get("direction"),
        info.get("varies"),
        info.trials_and_seed()
    );
    let mut body = String::new();
    for (i, input) in inputs.iter().take(CHARTS).enumerate() {
        let heading = format!("{}: chance by value", input.name);
        let svg = chart(&format!("chart-solve-{}", i + 1), input, goal, &heading)?;
        let caption = format!(
            "The share of trials in which {} at each value of {} tried by the search (line, with a band of two \
             standard errors), the goal (dashed), the values whose chance is not distinguishable from it (shaded) \
             and the answer (vertical line). Run: {scenario}; {}.",
            event(&info),
            input.name,
            info.trials_and_seed()
        );
        figure(&mut body, &heading, &svg, &caption);
    }
    body.push_str("<h2>The answers</h2>\n");
    let rows: Vec<Vec<String>> = inputs
        .iter()
        .map(|i| {
            std::iter::once(i.name.clone())
                .chain(i.summary.iter().cloned())
                .collect()
        })
        .collect();
    table_html(
        &mut body,
        "solve",
        "solve_summary.csv: one answer per input",
        &SOLVE_SUMMARY_COLUMNS,
        rows,
    );
    let findings: Vec<String> = inputs.iter().map(|i| finding(i, &info)).collect();
    Ok(page("solve", &title, &meta, &findings, &body))
}
