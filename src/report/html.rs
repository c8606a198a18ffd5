//! The one-page HTML report: the findings, the drivers and the
//! assumptions, then the five charts inline, then the tables.
//! Self-contained: no script, no font, no image from anywhere else.

use std::fmt::Write;

use super::answers::{self, Answers};
use super::charts::CHARTS;
use super::data::{RunData, Table, last_on_or_before};
use super::escape;
use super::extras::Extras;
use super::money_and_layers::SectionChart;
use crate::output::schema;
use crate::output::uncell;

pub const STYLE: &str = "
body { font-family: sans-serif; color: #111; background: #fff; max-width: 1000px; margin: 1.5em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #999; }
p.meta { color: #333; margin-top: 0; }
figure { margin: 1em 0; }
figure svg { width: 100%; height: auto; border: 1px solid #ccc; }
figcaption { font-size: 0.9em; color: #333; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; max-width: 100%; }
th, td { border: 1px solid #999; padding: 0.25em 0.5em; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: normal; white-space: nowrap; }
td.date { white-space: nowrap; }
@media print { figure, table { break-inside: avoid; } }
";

/// The charts' captions; `{outer}` and `{inner}` are the bands of
/// [`RunData::bands`] ("90% of trials (p5 to p95)").
const CAPTIONS: [&str; 5] = [
    "Personnel of all contributors together. The light band holds {outer}, \
     the dark band {inner}, the black line is the median; dashed lines are the targets on this metric, \
     dotted lines the scenario's benchmarks (with their sources under Assumptions).",
    "Host and international police per 100,000 inhabitants: median (line) and {outer} (band); \
     dashed lines are the targets on this metric, dotted lines the scenario's benchmarks (with their sources \
     under Assumptions). The axis fits the forecast: a line far above it is named at the foot of the chart.",
    "Share of trials that had reached each target on or before each date (an S-curve per target). \
     Lines differ by colour, dash and marker.",
    "Mean strength of each contributor over the trials, stacked: the top edge is the mean international strength.",
    "Share of trials at each level on one date (distribution.csv): international personnel (top) and police \
     per 100,000 (bottom); each bar groups nearby values. Dashed lines are targets, dotted lines benchmarks.",
];

/// The report page, with the charts (SVG documents, in the order of [`CHARTS`]).
/// `sections` are the inline charts of [`super::money_and_layers`], after them.
/// It leads with the answer (the findings) and the strength chart, then the
/// targets' curves, before any table.
pub fn page(data: &RunData, extras: &Extras, charts: &[String], sections: &[SectionChart]) -> String {
    let title = title(data);
    let answers = answers::answers(data, extras);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}: forcegen report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p class=\"meta\">forcegen {version}: {trials} trials, seed {seed}; \
         from {start} for {horizon} days ({step} steps); findings on {date}. Built from the CSV files of this \
         run.</p>\n",
        title = escape(&title),
        version = escape(data.info("forcegen_version")),
        trials = escape(data.info("trials")),
        seed = escape(data.info("seed")),
        start = escape(data.info("start")),
        horizon = escape(data.info("horizon_days")),
        step = escape(data.info("step")),
        date = escape(&answers::long_date(answers.date)),
    );
    missing(&mut html, extras);
    findings(&mut html, &answers);
    conditioned(&mut html, data, extras);
    let run = format!(
        " Run: {title}; {} trials, seed {}.",
        data.info("trials"),
        data.info("seed")
    );
    let figures: Vec<(&str, &String, String)> = CHARTS
        .iter()
        .zip(charts)
        .zip(CAPTIONS)
        .map(|(((_, chart_title), svg), caption)| {
            let date = match (chart_title.contains("one date"), &extras.distribution) {
                (true, Some(d)) => format!(" Date: {}.", d.date.format("%-d %b %Y")),
                _ => String::new(),
            };
            let caption = caption
                .replace("{outer}", &data.bands.outer_named())
                .replace("{inner}", &data.bands.inner_named());
            (*chart_title, svg, format!("{caption}{date}{run}"))
        })
        .collect();
    // The strength and the targets first, then the drivers, then the rest.
    for (chart_title, svg, caption) in figures.iter().filter(|f| LEADING.contains(&f.0)) {
        figure(&mut html, chart_title, svg, caption);
    }
    drivers(&mut html, data, extras);
    for (chart_title, svg, caption) in figures.iter().filter(|f| !LEADING.contains(&f.0)) {
        figure(&mut html, chart_title, svg, caption);
    }
    for chart in sections {
        let caption = chart.caption.replace("{outer}", &data.bands.outer_named());
        figure(&mut html, chart.title, &chart.svg, &format!("{caption}{run}"));
    }
    assumptions(&mut html, extras);
    html.push_str("<h2>Targets</h2>\n");
    table(&mut html, "summary", "summary.csv: one row per target", &data.summary);
    html.push_str("<h2>Contributors</h2>\n");
    table(
        &mut html,
        "contributors",
        &format!(
            "contributors.csv: one row per contributor, with its strength (median) on day 0 and on {} from \
             timeseries.csv",
            answers::long_date(answers.date)
        ),
        &contributors(data, &answers),
    );
    html.push_str("<h2>About this run</h2>\n");
    table(
        &mut html,
        "run-info",
        "From run_info.csv, contributors.csv and timeseries.csv",
        &about(data, &answers),
    );
    html.push_str("</body>\n</html>\n");
    html
}

/// The charts shown right after the findings.
const LEADING: [&str; 2] = [CHARTS[0].1, CHARTS[2].1];

/// One chart under its heading, with its caption.
fn figure(html: &mut String, title: &str, svg: &str, caption: &str) {
    let _ = write!(
        html,
        "<h2>{}</h2>\n<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(title),
        svg.trim(),
        escape(caption)
    );
}

/// The scenario's name, and the `--set` overrides of a what-if run.
pub fn title(data: &RunData) -> String {
    let name = uncell(data.info("scenario"));
    match uncell(data.info("overrides")) {
        "" => name.to_string(),
        overrides => format!("{name} (what-if: --set {overrides})"),
    }
}

/// The findings in sentences ([`answers::sentences`]): each target's
/// chance by the report date (when it is before the horizon) and by the
/// horizon with the level it means, and the strength, police, capabilities
/// and money on the report date.
fn findings(html: &mut String, answers: &Answers) {
    html.push_str("<h2>Findings</h2>\n<ul id=\"findings\">\n");
    for sentence in answers::sentences(answers) {
        let _ = writeln!(html, "<li>{}.</li>", escape(&sentence));
    }
    html.push_str("</ul>\n");
}

/// A share (0 to 1) as a percentage ([`answers::percent`]).
fn human_share(cell: &str) -> String {
    cell.parse::<f64>().map_or_else(|_| cell.to_string(), answers::percent)
}

/// A share's standard error in percentage points: `±0.4 pp`, `±0.041 pp`
/// (two significant figures below 0.1), `±0 pp`.
fn human_se(cell: &str) -> String {
    let Ok(v) = cell.parse::<f64>() else {
        return cell.to_string();
    };
    match 100.0 * v {
        0.0 => "±0 pp".to_string(),
        points if points < 0.1 => {
            let decimals = (1 - points.log10().floor() as i32).clamp(0, 6) as usize;
            format!("±{} pp", crate::output::number(points, decimals))
        }
        points => format!("±{points:.1} pp"),
    }
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
    } else if column == "p_full_delivery" && cell.is_empty() {
        "no pledge".to_string()
    } else if column.starts_with("p_") {
        human_share(cell)
    } else if column == "mean_delivered" {
        cell.parse::<f64>()
            .map_or_else(|_| cell.to_string(), answers::thousands)
    } else if cell.is_empty() && matches!(column, "p5" | "p50" | "p95") {
        String::new()
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

/// The run and the scenario's main numbers, as far as the five CSV files
/// record them.
fn about(data: &RunData, answers: &Answers) -> Table {
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
            let unit = if metric.contains("per_") {
                answers::Unit::Ratio
            } else {
                answers::Unit::People
            };
            add(what, answers::human(p[2], unit));
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
    for target in &answers.targets {
        add(&format!("target \"{}\"", target.name), answers::meaning(target));
    }
    Table {
        header: vec!["assumption".to_string(), "value".to_string()],
        rows,
        lines: Vec::new(),
    }
}

/// `contributors.csv` for people: after each contributor, its strength
/// (median over the trials) on day 0 and on the report date from
/// `timeseries.csv`, so that one drawing down (nothing pledged, fewer on
/// the ground) shows as that rather than as a pledge delivered in full.
fn contributors(data: &RunData, answers: &Answers) -> Table {
    let table = &data.contributors;
    let name = table.header.iter().position(|h| h == "contributor");
    let day = (answers.date - data.start).num_days() as i32;
    let date = answers::long_date(answers.date);
    let mut header = table.header.clone();
    header.splice(
        1..1,
        [
            "on the ground on day 0 (median)".to_string(),
            format!("on {date} (median)"),
        ],
    );
    let rows = table
        .rows
        .iter()
        .map(|row| {
            let series = name
                .and_then(|n| row.get(n))
                .and_then(|n| data.series(&format!("contributor:{}", uncell(n))));
            let at = |d: i32| {
                series
                    .and_then(|s| Some(s.percentiles.get(last_on_or_before(&s.days, d)?)?[2]))
                    .map_or_else(String::new, answers::thousands)
            };
            let mut out = row.clone();
            out.splice(1..1, [at(0), at(day)]);
            out
        })
        .collect();
    Table {
        header,
        rows,
        lines: Vec::new(),
    }
}

/// A line naming the extra files this folder lacks (written by an older
/// forcegen, or by a run with `--no-drivers`), and what is left out.
fn missing(html: &mut String, extras: &Extras) {
    if extras.missing.is_empty() {
        return;
    }
    let _ = writeln!(
        html,
        "<p class=\"meta\" id=\"missing\">Not in this folder: {}. This report leaves out what they hold \
         (benchmark lines, the distribution chart, the drivers, the assumptions table); run the scenario again \
         with this forcegen to see them.</p>",
        escape(&extras.missing.join(", "))
    );
}

/// An outcome of `drivers.csv` in words (`never`: the day that stands
/// for "not reached by the horizon").
fn outcome_words(outcome: &str, never: u32) -> String {
    match outcome {
        "international_at_horizon" => "international personnel at the horizon".to_string(),
        "police_per_100k_at_horizon" => "police per 100,000 at the horizon".to_string(),
        other => match other.strip_prefix("day_reached:") {
            Some(target) => format!("day \"{}\" is reached ({never} = not by the horizon)", uncell(target)),
            None => describe_outcome(uncell(other)),
        },
    }
}

/// An outcome of `sensitivity.csv` or `drivers.csv` in words (a
/// tornado's axis).
pub fn describe_outcome(outcome: &str) -> String {
    let on_date = |name: &str| {
        let date = outcome.strip_prefix(name)?.strip_prefix("_on_")?;
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        Some(date.format("%-d %b %Y").to_string())
    };
    if let Some(date) = on_date("international") {
        return format!("international personnel on {date} (mean)");
    }
    if let Some(date) = on_date("police_per_100k") {
        return format!("police per 100,000 on {date} (mean)");
    }
    if let Some((date, target)) = outcome
        .strip_prefix("reached_by_")
        .and_then(|rest| rest.split_once(':'))
    {
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_or(date.to_string(), |d| d.format("%-d %b %Y").to_string());
        return format!("chance of reaching \"{target}\" by {date} (share of trials)");
    }
    match outcome {
        "international_at_horizon" => "international personnel on the horizon day (mean)".to_string(),
        "police_per_100k_at_horizon" => "police per 100,000 on the horizon day (mean)".to_string(),
        other => match other.strip_prefix("day_reached:") {
            Some(target) => format!("day \"{target}\" is first reached (mean; past the horizon = never)"),
            None => other.to_string(),
        },
    }
}

/// A number of `drivers.csv` rounded for people.
fn rounded(cell: &str, decimals: usize) -> String {
    cell.parse::<f64>()
        .map_or_else(|_| cell.to_string(), |v| crate::output::number(v, decimals))
}

/// The drivers: the top inputs of each outcome from `drivers.csv`, the
/// outcome named once above its inputs.
fn drivers(html: &mut String, data: &RunData, extras: &Extras) {
    html.push_str("<h2>Drivers</h2>\n");
    let Some(drivers) = &extras.drivers else {
        html.push_str("<p>No drivers: drivers.csv is not in this folder.</p>\n");
        return;
    };
    if drivers.rows.is_empty() {
        html.push_str("<p>No uncertain input moves an outcome beyond noise in the quick pass.</p>\n");
        return;
    }
    let column = |name: &str| drivers.header.iter().position(|h| h == name);
    let columns: Vec<Option<usize>> = schema::DRIVERS_COLUMNS.iter().map(|c| column(c)).collect();
    let cell = |row: &[String], i: usize| columns[i].and_then(|c| row.get(c)).cloned().unwrap_or_default();
    let _ = writeln!(
        html,
        "<p>The inputs that move each outcome most, from a quick sensitivity pass over the first {} trials \
         (forcegen sensitivity ranks every input over all trials). Spearman: rank correlation, -1 to 1; \
         first-order: the share of the outcome's variance the input explains alone; then the outcome's mean \
         when the input is in its lowest and highest tenth.</p>",
        escape(&cell(&drivers.rows[0], 7))
    );
    let never = data.horizon_days + 1;
    let mut last = String::new();
    let rows = drivers
        .rows
        .iter()
        .map(|row| {
            let outcome = cell(row, 0);
            let shown = if outcome == last {
                String::new()
            } else {
                outcome_words(&outcome, never)
            };
            last = outcome;
            let mut out = vec![shown, cell(row, 1), cell(row, 2)];
            out.extend([rounded(&cell(row, 3), 2), rounded(&cell(row, 4), 2)]);
            out.extend([rounded(&cell(row, 5), 1), rounded(&cell(row, 6), 1)]);
            out
        })
        .collect();
    let header = [
        "outcome",
        "rank",
        "input",
        "spearman",
        "first-order",
        "outcome mean, input low",
        "outcome mean, input high",
    ];
    let table_data = Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
        lines: Vec::new(),
    };
    table(
        html,
        "drivers",
        "drivers.csv: the top inputs of each outcome",
        &table_data,
    );
}

/// The assumptions table from `assumptions.csv`.
/// Rows of `posterior.csv` shown (the inputs that moved most).
const POSTERIOR_ROWS: usize = 15;

/// A conditioned run (`run --observed`): how many trials were kept, the
/// observations, and the inputs that moved most.
fn conditioned(html: &mut String, data: &RunData, extras: &Extras) {
    let Some((posterior, observations)) = &extras.conditioned else {
        return;
    };
    html.push_str("<h2>Conditioned on observations</h2>\n");
    let _ = writeln!(
        html,
        "<p>This forecast keeps the {} of {} trials consistent with the observations of {} (approximate \
         Bayesian rejection with each observation's error): every chart and table of this page is of the kept \
         trials.</p>",
        escape(data.info("trials_accepted")),
        escape(data.info("trials_run")),
        escape(data.info("observed_file"))
    );
    table(
        html,
        "observations",
        "observations.csv: each observation, and the trials' mean there before and after",
        observations,
    );
    let mut shown = posterior.clone();
    shown.rows.truncate(POSTERIOR_ROWS);
    let caption = format!(
        "posterior.csv: the {} inputs that moved most (of {}), by the shift of their mean in standard deviations",
        shown.rows.len(),
        posterior.rows.len()
    );
    table(html, "posterior", &caption, &shown);
}

fn assumptions(html: &mut String, extras: &Extras) {
    html.push_str("<h2>Assumptions</h2>\n");
    let Some(assumptions) = &extras.assumptions else {
        html.push_str("<p>No assumptions table: assumptions.csv is not in this folder.</p>\n");
        return;
    };
    html.push_str(
        "<p>Every uncertain input as the scenario writes it, with the p5, p50 and p95 of its drawn values \
         (forcegen explain shows more), every probability, every event (its dates: p5, p50, p95; blank if after \
         the horizon) and every benchmark with its source.</p>\n",
    );
    table(
        html,
        "assumptions",
        "assumptions.csv: inputs, probabilities, events and benchmarks",
        assumptions,
    );
}
