//! The one-page HTML report: the four charts inline, then the tables.
//! Self-contained: no script, no font, no image from anywhere else.

use std::fmt::Write;

use super::charts::{self, CHARTS};
use super::data::{RunData, Table};
use super::escape;
use crate::output::uncell;

pub const STYLE: &str = "
body { font-family: sans-serif; color: #111; background: #fff; max-width: 1000px; margin: 1.5em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #999; }
p.meta { color: #333; margin-top: 0; }
figure { margin: 1em 0; }
figure svg { width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { font-size: 0.9em; color: #333; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #999; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.date { white-space: nowrap; }
@media print { figure, table { break-inside: avoid; } }
";

const CAPTIONS: [&str; 4] = [
    "Personnel of all contributors together. The light band holds 90% of the trials (p5 to p95), \
     the dark band 50% (p25 to p75), the black line is the median; dashed lines are the targets on this metric.",
    "Host and international police per 100,000 inhabitants: median (line) and 90% of trials (band), \
     against the 222 per 100,000 quoted in UN reports on Haiti (dashed; often called a UN norm, but it is a \
     misreading of a 2010 UNODC/HEUNI table whose median was 303) and the 100 to 400 range of tranquil \
     policing (grey; Quinlivan, RAND).",
    "Share of trials that had reached each target on or before each date. Lines differ by colour, dash and marker.",
    "Mean strength of each contributor over the trials, stacked: the top edge is the mean international strength.",
];

/// The report page, with the charts (SVG documents, in the order of [`CHARTS`]).
pub fn page(data: &RunData, charts: &[String]) -> String {
    let title = title(data);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}: forcegen report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p class=\"meta\">forcegen {version}: {trials} trials, seed {seed}; \
         from {start} for {horizon} days ({step} steps). Built from the CSV files of this run.</p>\n",
        title = escape(&title),
        version = escape(data.info("forcegen_version")),
        trials = escape(data.info("trials")),
        seed = escape(data.info("seed")),
        start = escape(data.info("start")),
        horizon = escape(data.info("horizon_days")),
        step = escape(data.info("step")),
    );
    findings(&mut html, data);
    let run = format!(
        " Run: {title}; {} trials, seed {}.",
        data.info("trials"),
        data.info("seed")
    );
    for (((_, chart_title), svg), caption) in CHARTS.iter().zip(charts).zip(CAPTIONS) {
        let _ = write!(
            html,
            "<h2>{}</h2>\n<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
            escape(chart_title),
            svg.trim(),
            escape(&format!("{caption}{run}"))
        );
    }
    html.push_str("<h2>Targets</h2>\n");
    table(&mut html, "summary", "summary.csv: one row per target", &data.summary);
    html.push_str("<h2>Contributors</h2>\n");
    table(
        &mut html,
        "contributors",
        "contributors.csv: one row per contributor",
        &data.contributors,
    );
    html.push_str("<h2>Key assumptions</h2>\n");
    table(
        &mut html,
        "assumptions",
        "From run_info.csv, contributors.csv and timeseries.csv",
        &assumptions(data),
    );
    html.push_str("</body>\n</html>\n");
    html
}

/// The scenario's name, and the `--set` overrides of a what-if run.
fn title(data: &RunData) -> String {
    let name = uncell(data.info("scenario"));
    match uncell(data.info("overrides")) {
        "" => name.to_string(),
        overrides => format!("{name} (what-if: --set {overrides})"),
    }
}

/// The findings in sentences: each target's chance by the horizon, with
/// its standard error, and when the median trial reached it.
fn findings(html: &mut String, data: &RunData) {
    let column = |name: &str| data.summary.header.iter().position(|h| h == name);
    let (Some(t), Some(p), Some(se)) = (
        column("target"),
        column("p_reached_by_horizon"),
        column("p_reached_by_horizon_se"),
    ) else {
        return;
    };
    let dates = [column("date_p5"), column("date_p50"), column("date_p95")];
    let horizon = data.date_of(data.horizon_days as i32).format("%-d %b %Y").to_string();
    html.push_str("<h2>Findings</h2>\n<ul id=\"findings\">\n");
    for row in &data.summary.rows {
        let cell = |c: Option<usize>| c.and_then(|c| row.get(c)).map_or("", String::as_str);
        let share = human_share(cell(Some(p)));
        let error = human_se(cell(Some(se)));
        let mut sentence = format!("{}: {share} by {horizon} ({error})", uncell(cell(Some(t))));
        match (
            human_date(cell(dates[0])),
            human_date(cell(dates[1])),
            human_date(cell(dates[2])),
        ) {
            (_, None, _) => sentence.push_str("; the median trial does not reach it"),
            (Some(early), Some(median), Some(late)) => {
                let _ = write!(
                    sentence,
                    "; median date {median} (90% of trials between {early} and {late})"
                );
            }
            (_, Some(median), _) => {
                let _ = write!(sentence, "; median date {median}");
            }
        }
        let _ = writeln!(html, "<li>{}.</li>", escape(&sentence));
    }
    html.push_str("</ul>\n");
}

/// A share (0 to 1) as a percentage with one decimal: `84.7%`.
fn human_share(cell: &str) -> String {
    cell.parse::<f64>()
        .map_or_else(|_| cell.to_string(), |v| format!("{:.1}%", 100.0 * v))
}

/// A share's standard error in percentage points: `±0.4 pp`.
fn human_se(cell: &str) -> String {
    cell.parse::<f64>()
        .map_or_else(|_| cell.to_string(), |v| format!("±{:.1} pp", 100.0 * v))
}

/// An ISO date as people write it: `13 Jan 2025`.
fn human_date(cell: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%-d %b %Y").to_string())
}

/// A table cell for people: shares as percentages, their standard errors
/// in percentage points, dates as `13 Jan 2025`; the CSV keeps plain values.
fn human(column: &str, cell: &str) -> String {
    if column.starts_with("p_") && column.ends_with("_se") {
        human_se(cell)
    } else if column.starts_with("p_") {
        human_share(cell)
    } else {
        human_date(cell).unwrap_or_else(|| uncell(cell).to_string())
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.parse::<f64>().is_ok()
}

fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

pub fn table(html: &mut String, id: &str, caption: &str, table: &Table) {
    let _ = writeln!(html, "<table id=\"{id}\">\n<caption>{}</caption>", escape(caption));
    html.push_str("<thead><tr>");
    for h in &table.header {
        let _ = write!(html, "<th scope=\"col\">{}</th>", escape(h));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        html.push_str("<tr>");
        for (column, cell) in table.header.iter().zip(row) {
            let class = if is_number(cell) {
                " class=\"num\""
            } else if is_date(cell) {
                " class=\"date\""
            } else {
                ""
            };
            let _ = write!(html, "<td{class}>{}</td>", escape(&human(column, cell)));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
}

/// The scenario's key assumptions, as far as the CSV files record them.
fn assumptions(data: &RunData) -> Table {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut add = |what: &str, value: String| rows.push(vec![what.to_string(), value]);
    add("scenario", data.info("scenario").to_string());
    add("scenario file SHA-256", data.info("scenario_sha256").to_string());
    add("start date", data.info("start").to_string());
    let end = data.date_of(data.horizon_days as i32).format("%Y-%m-%d");
    add("horizon", format!("{} days (to {end})", data.horizon_days));
    add("report step", data.info("step").to_string());
    add("trials", data.info("trials").to_string());
    add("seed", data.info("seed").to_string());
    add("random number generator", data.info("generator").to_string());
    for (metric, what) in [
        ("host_police", "host police at start (median)"),
        ("international", "international personnel at start (median)"),
        ("police_per_100k", "police per 100,000 at start (median)"),
    ] {
        if let Some(p) = data.series(metric).and_then(|s| s.percentiles.first()) {
            add(what, crate::output::number(p[2], 4));
        }
    }
    let (name, pledged) = (
        data.contributors.header.iter().position(|h| h == "contributor"),
        data.contributors.header.iter().position(|h| h == "pledged"),
    );
    if let (Some(n), Some(p)) = (name, pledged) {
        for row in &data.contributors.rows {
            add(
                &format!("{} pledged (still to arrive at start)", row[n]),
                row[p].clone(),
            );
        }
    }
    for (target, value) in data
        .summary
        .rows
        .iter()
        .filter_map(|row| Some((row.first()?.clone(), format!("{} >= {}", row.get(1)?, row.get(2)?))))
    {
        add(&format!("target \"{target}\""), value);
    }
    add(
        "police per 100,000 quoted in UN reports on Haiti (not a UN standard)",
        charts::thousands(charts::UN_NORM),
    );
    add(
        "tranquil policing band, police per 100,000",
        format!("{} to {}", charts::TRANQUIL.0, charts::TRANQUIL.1),
    );
    Table {
        header: vec!["assumption".to_string(), "value".to_string()],
        rows,
        lines: Vec::new(),
    }
}
