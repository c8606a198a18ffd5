//! `sweep.html`: for each target, its probability by the report date (the
//! `report_date` of `sweep.csv`: `--report-date`, the scenario's, else the
//! horizon) over the values of the first `--set` (with a band of two
//! standard errors), one line per combination of the other `--set` values;
//! then the medians of international strength and police per 100,000 on
//! that date. From `sweep.csv` and `sweep_info.csv`.

use plotters::prelude::*;

use super::draw::{self, POSITIVE, SHARE, Span};
use super::{Files, Info, figure, page, percent, table, table_html};
use crate::output::schema::{SWEEP, SWEEP_INFO};
use crate::output::uncell;
use crate::report::ReportError;

/// Most lines on one chart (the palette's size); more are left to the table.
pub const LINES: usize = 8;
/// Most target charts on the page.
pub const TARGET_CHARTS: usize = 12;
/// Most rows of `sweep.csv` shown in the page's table.
const TABLE_ROWS: usize = 200;
/// The medians charted: column of `sweep.csv` and what it is (on the
/// report date).
pub const MEDIANS: [(&str, &str); 2] = [
    ("international_p50", "International personnel"),
    ("police_per_100k_p50", "Police per 100,000"),
];

/// One row of `sweep.csv`, as the charts use it.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    pub point: u64,
    /// The swept values, in `--set` order.
    pub values: Vec<String>,
    pub target: String,
    /// `report_date`: the date of `p` and the medians.
    pub date: String,
    /// `p_reached_by_report_date` and its standard error (`None` without targets).
    pub p: Option<(f64, f64)>,
    /// The [`MEDIANS`] of the grid point.
    pub medians: [f64; 2],
}

/// The sweep: the swept fields and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub axes: Vec<String>,
    pub rows: Vec<SweepRow>,
    /// The rows as written, for the table.
    pub cells: Vec<Vec<String>>,
    pub header: Vec<String>,
}

impl Sweep {
    /// Parses `sweep.csv`.
    pub fn read(files: &Files) -> Result<Sweep, ReportError> {
        let t = table(files, SWEEP)?;
        let target = super::column(&t, SWEEP, "target")?;
        if target < 2 || t.header[0] != "point" {
            return Err(ReportError::Csv {
                file: SWEEP.to_string(),
                message: "the header must be point, the swept fields, then target".to_string(),
            });
        }
        let mut rows = Vec::new();
        for r in 0..t.rows.len() {
            let p = super::share(&t, SWEEP, r, "p_reached_by_report_date", true)?;
            let se = super::share(&t, SWEEP, r, "p_reached_by_report_date_se", true)?;
            let date = super::cell(&t, r, super::column(&t, SWEEP, "report_date")?).to_string();
            let point = super::required(&t, SWEEP, r, "point")?;
            let medians = [
                super::required(&t, SWEEP, r, MEDIANS[0].0)?,
                super::required(&t, SWEEP, r, MEDIANS[1].0)?,
            ];
            rows.push(SweepRow {
                point: point.max(0.0) as u64,
                values: (1..target).map(|c| uncell(super::cell(&t, r, c)).to_string()).collect(),
                target: uncell(super::cell(&t, r, target)).to_string(),
                date,
                p: p.map(|p| (p, se.unwrap_or(0.0))),
                medians,
            });
        }
        Ok(Sweep {
            axes: t.header[1..target].to_vec(),
            rows,
            cells: t.rows,
            header: t.header,
        })
    }

    /// The report date in words ("2 Oct 2026"), or "each point's report
    /// date" when the points differ (a swept `simulation.report_date`).
    pub fn date(&self) -> String {
        let dates = distinct(self.rows.iter().map(|r| r.date.clone()));
        match dates.as_slice() {
            [one] => chrono::NaiveDate::parse_from_str(one, "%Y-%m-%d")
                .map_or_else(|_| one.clone(), |d| d.format("%-d %b %Y").to_string()),
            _ => "each point's report date".to_string(),
        }
    }

    /// The first field's values, in first-seen order.
    pub fn x_values(&self) -> Vec<String> {
        distinct(self.rows.iter().map(|r| r.values[0].clone()))
    }

    /// The combinations of the other fields, in first-seen order.
    pub fn lines(&self) -> Vec<Vec<String>> {
        distinct(self.rows.iter().map(|r| r.values[1..].to_vec()))
    }

    /// The targets, in first-seen order.
    pub fn targets(&self) -> Vec<String> {
        distinct(
            self.rows
                .iter()
                .filter(|r| !r.target.is_empty())
                .map(|r| r.target.clone()),
        )
    }

    /// Where a first-field value goes on the x axis: the number itself when
    /// every value is a number, else its position.
    pub fn x_of(&self) -> impl Fn(&str) -> f64 + use<> {
        let values = self.x_values();
        let numeric = values.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite));
        let places: std::collections::HashMap<String, usize> =
            values.into_iter().enumerate().map(|(i, v)| (v, i)).collect();
        move |v: &str| match (numeric, v.parse::<f64>()) {
            (true, Ok(x)) => x,
            _ => places.get(v).copied().unwrap_or(0) as f64,
        }
    }

    /// The x axis's labels: numbers, or the values at their positions.
    fn x_label(&self) -> impl Fn(&f64) -> String + use<> {
        let values = self.x_values();
        let numeric = values.iter().all(|v| v.parse::<f64>().is_ok_and(f64::is_finite));
        move |x: &f64| {
            if numeric {
                draw::tick(*x)
            } else if (x - x.round()).abs() < 1e-6 && *x >= 0.0 {
                values.get(x.round() as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
    }

    /// A combination of the other fields as a label.
    fn line_label(&self, line: &[String]) -> String {
        let parts: Vec<String> = self.axes[1..]
            .iter()
            .zip(line)
            .map(|(a, v)| format!("{a}={v}"))
            .collect();
        parts.join(", ")
    }

    /// The x range.
    pub fn x_span(&self) -> Span {
        let x_of = self.x_of();
        let (lo, hi) = draw::span(self.x_values().iter().map(|v| x_of(v)), draw::FREE);
        if self.x_values().len() == 1 {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        }
    }
}

/// The distinct items, in first-seen order (a sweep may have a million rows).
fn distinct<T: Eq + std::hash::Hash + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.filter(|item| seen.insert(item.clone())).collect()
}

/// Points of one line: (x, y, half band) in x order.
type Points = Vec<(f64, f64, f64)>;

/// The lines of one chart: label and points, at most [`LINES`].
fn curves(sweep: &Sweep, value: &dyn Fn(&SweepRow) -> Option<(f64, f64)>) -> Vec<(String, Points)> {
    let x_of = sweep.x_of();
    let mut out = Vec::new();
    for line in sweep.lines().into_iter().take(LINES) {
        let mut points: Points = sweep
            .rows
            .iter()
            .filter(|r| r.values[1..] == line[..])
            .filter_map(|r| value(r).map(|(y, band)| (x_of(&r.values[0]), y, band)))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        points.dedup_by(|a, b| a.0 == b.0);
        out.push((sweep.line_label(&line), points));
    }
    out
}

/// The y range of `curves` (their bands included), within `limits`.
pub fn y_span(curves: &[(String, Points)], limits: Span) -> Span {
    draw::span(
        curves
            .iter()
            .flat_map(|(_, p)| p.iter().flat_map(|&(_, y, b)| [y - b, y + b])),
        limits,
    )
}

/// One chart of `curves`.
fn chart(
    sweep: &Sweep,
    (id, title): (&str, &str),
    curves: &[(String, Points)],
    (y_desc, limits, as_share): (&str, Span, bool),
) -> Result<String, ReportError> {
    let (x, y) = (sweep.x_span(), y_span(curves, limits));
    let x_label = sweep.x_label();
    draw::chart_svg((id, title), 0, (x, y), |root| {
        let y_format = |v: &f64| {
            if as_share {
                draw::tick_percent(*v)
            } else {
                draw::tick(*v)
            }
        };
        let mut chart = draw::plot(root, title, (x, y), (&sweep.axes[0], y_desc), (&x_label, &y_format))?;
        for (i, (label, points)) in curves.iter().enumerate() {
            if points.iter().any(|p| p.2 > 0.0) {
                let upper: Vec<(f64, f64)> = points.iter().map(|p| (p.0, (p.1 + p.2).min(y.1))).collect();
                let lower: Vec<(f64, f64)> = points.iter().map(|p| (p.0, (p.1 - p.2).max(y.0))).collect();
                draw::band(&mut chart, i, &upper, &lower, 0.2)?;
            }
            let label = if label.is_empty() { "grid points" } else { label };
            draw::line(&mut chart, i, points.iter().map(|p| (p.0, p.1)).collect(), label)?;
        }
        draw::legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// The finding of one target: its lowest and highest share over the grid,
/// by the report date.
fn finding(sweep: &Sweep, target: &str) -> Option<String> {
    let date = sweep.date();
    let rows: Vec<&SweepRow> = sweep
        .rows
        .iter()
        .filter(|r| r.target == target && r.p.is_some())
        .collect();
    let by_p = |a: &&&SweepRow, b: &&&SweepRow| {
        a.p.map(|p| p.0)
            .partial_cmp(&b.p.map(|p| p.0))
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    let (low, high) = (rows.iter().min_by(by_p)?, rows.iter().max_by(by_p)?);
    let at = |r: &SweepRow| {
        let parts: Vec<String> = sweep
            .axes
            .iter()
            .zip(&r.values)
            .map(|(a, v)| format!("{a}={v}"))
            .collect();
        format!("point {}: {}", r.point, parts.join(", "))
    };
    let se = rows.iter().filter_map(|r| r.p.map(|p| p.1)).fold(0.0, f64::max);
    if low.p == high.p {
        return Some(format!(
            "{target}: {} by {date} at every grid point.",
            percent(low.p?.0)
        ));
    }
    Some(format!(
        "{target}: from {} ({}) to {} ({}) by {date}, each within ±{:.1} pp (one standard error).",
        percent(low.p?.0),
        at(low),
        percent(high.p?.0),
        at(high),
        100.0 * se
    ))
}

/// The first rows of `sweep.csv`.
fn grid_table(body: &mut String, sweep: &Sweep) {
    let count = sweep.cells.len();
    body.push_str("<h2>The grid</h2>\n");
    let header: Vec<&str> = sweep.header.iter().map(String::as_str).collect();
    let caption = if count > TABLE_ROWS {
        format!("sweep.csv: its first {TABLE_ROWS} of {count} rows")
    } else {
        "sweep.csv: one row per grid point and target".to_string()
    };
    let rows = sweep.cells.iter().take(TABLE_ROWS).cloned().collect();
    table_html(body, "sweep", &caption, &header, rows);
}

/// `sweep.html` from `sweep.csv` and `sweep_info.csv`.
pub fn render(files: &Files) -> Result<String, ReportError> {
    let info = Info::read(files, SWEEP_INFO)?;
    let sweep = Sweep::read(files)?;
    let sets = info.get("sets");
    let title = format!("{}: sweep of --set {sets}", info.get("scenario"));
    let lines = sweep.lines().len();
    let shown = if lines > LINES {
        format!(" The first {LINES} of {lines} combinations are drawn; sweep.csv has them all.")
    } else {
        String::new()
    };
    let run = format!(
        "Run: {}, --set {sets}; {} at every grid point.{shown}",
        info.get("scenario"),
        info.trials_and_seed()
    );
    let meta = format!(
        "forcegen {} sweep: {} grid points, {} each (common random numbers). Built from sweep.csv and sweep_info.csv.",
        info.get("forcegen_version"),
        info.get("points"),
        info.trials_and_seed()
    );
    let mut body = String::new();
    let targets = sweep.targets();
    for (i, target) in targets.iter().take(TARGET_CHARTS).enumerate() {
        let curves = curves(&sweep, &|r| {
            r.p.filter(|_| r.target == *target).map(|(p, se)| (p, 2.0 * se))
        });
        let title = format!("Probability of reaching {target} by {}", sweep.date());
        let svg = chart(
            &sweep,
            (&format!("chart-sweep-target-{}", i + 1), &title),
            &curves,
            ("probability", SHARE, true),
        )?;
        let caption = format!(
            "Share of trials that reached {target} by {} at each value of {}, with a band of two standard \
             errors; one line per combination of the other swept values (sweep.csv has the chance by the horizon \
             too). {run}",
            sweep.date(),
            sweep.axes[0]
        );
        figure(&mut body, &title, &svg, &caption);
    }
    for (i, (column, what)) in MEDIANS.iter().enumerate() {
        let curves = curves(&sweep, &|r| Some((r.medians[i], 0.0)));
        let title = &format!("{what} on {} (median)", sweep.date());
        let svg = chart(
            &sweep,
            (&format!("chart-sweep-{column}"), title),
            &curves,
            ("median", POSITIVE, false),
        )?;
        let caption = format!(
            "{title} at each value of {} ({column} in sweep.csv). {run}",
            sweep.axes[0]
        );
        figure(&mut body, title, &svg, &caption);
    }
    grid_table(&mut body, &sweep);
    let mut findings: Vec<String> = targets
        .iter()
        .take(TARGET_CHARTS)
        .filter_map(|t| finding(&sweep, t))
        .collect();
    if findings.is_empty() {
        findings.push(format!(
            "The scenario has no targets: the charts show the medians on {}.",
            sweep.date()
        ));
    }
    Ok(page("sweep", &title, &meta, &findings, &body))
}
