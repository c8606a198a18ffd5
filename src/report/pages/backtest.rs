//! `backtest.html`: for each observed metric, the forecast fan on the
//! observed dates (p5 to p95, p25 to p75, the median) with the
//! observations on it, and the histogram of the observations' PIT. From
//! `backtest.csv` and `backtest_info.csv`.

use chrono::NaiveDate;
use plotters::prelude::*;

use super::draw::{self, POSITIVE, Span};
use super::{Files, Info, figure, page, percent, table, table_html, what_if};
use crate::output::schema::{BACKTEST, BACKTEST_COLUMNS, BACKTEST_INFO};
use crate::output::uncell;
use crate::report::ReportError;
use crate::report::charts::PALETTE;

/// Most metrics charted (one fan each).
pub const METRIC_CHARTS: usize = 12;
/// Bins of the PIT histogram, each 0.1 wide.
pub const PIT_BINS: usize = 10;

/// One observation row of `backtest.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub day: f64,
    pub metric: String,
    pub observed: f64,
    /// p5, p25, p50, p75, p95.
    pub percentiles: [f64; 5],
    pub pit: f64,
    pub in_90: bool,
}

/// The observation rows, the overall rows (as written) and the start date.
pub struct Backtest {
    pub observed: Vec<Observed>,
    pub overall: Vec<Vec<String>>,
    pub start: NaiveDate,
}

impl Backtest {
    pub fn read(files: &Files) -> Result<Backtest, ReportError> {
        let file = BACKTEST;
        let t = table(files, file)?;
        let (kind, metric, date) = (
            super::column(&t, file, "row")?,
            super::column(&t, file, "metric")?,
            super::column(&t, file, "date")?,
        );
        let (mut observed, mut overall, mut start) = (Vec::new(), Vec::new(), None);
        for r in 0..t.rows.len() {
            if super::cell(&t, r, kind) != "observation" {
                overall.push(t.rows[r].clone());
                continue;
            }
            let day = super::required(&t, file, r, "day")?;
            let first = NaiveDate::parse_from_str(super::cell(&t, r, date), "%Y-%m-%d")
                .ok()
                .filter(|_| (0.0..=1e6).contains(&day))
                .and_then(|d| d.checked_sub_days(chrono::Days::new(day as u64)))
                .ok_or_else(|| super::bad_cell(&t, file, r, "date", "is not a date (YYYY-MM-DD) of day `day`"))?;
            start.get_or_insert(first);
            let mut percentiles = [0.0; 5];
            for (slot, name) in percentiles.iter_mut().zip(["p5", "p25", "p50", "p75", "p95"]) {
                *slot = super::required(&t, file, r, name)?;
            }
            observed.push(Observed {
                day,
                metric: super::cell(&t, r, metric).to_string(),
                observed: super::required(&t, file, r, "observed")?,
                percentiles,
                pit: super::share(&t, file, r, "pit", false)?.unwrap_or(0.0),
                in_90: super::required(&t, file, r, "in_90")? > 0.5,
            });
        }
        Ok(Backtest {
            observed,
            overall,
            start: start.unwrap_or_default(),
        })
    }

    /// The metrics observed, in file order.
    pub fn metrics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for o in &self.observed {
            if !out.contains(&o.metric) {
                out.push(o.metric.clone());
            }
        }
        out
    }

    /// The observations of `metric`.
    pub fn of<'a>(&'a self, metric: &'a str) -> impl Iterator<Item = &'a Observed> + 'a {
        self.observed.iter().filter(move |o| o.metric == metric)
    }

    /// The ranges of the fan chart of `metric`.
    pub fn spans(&self, metric: &str) -> (Span, Span) {
        let (lo, hi) = draw::span(self.of(metric).map(|o| o.day), POSITIVE);
        let x = if hi - lo < 30.0 {
            (lo - 15.0, hi + 15.0)
        } else {
            (lo, hi)
        };
        let y = draw::span(
            self.of(metric)
                .flat_map(|o| [o.percentiles[0], o.percentiles[4], o.observed]),
            POSITIVE,
        );
        (x, y)
    }

    /// The PIT histogram: observations per bin of width 1 / [`PIT_BINS`].
    pub fn pit_counts(&self) -> [u64; PIT_BINS] {
        let mut counts = [0; PIT_BINS];
        for o in &self.observed {
            counts[((o.pit * PIT_BINS as f64) as usize).min(PIT_BINS - 1)] += 1;
        }
        counts
    }
}

/// The forecast on the observed dates, one per distinct day (the first
/// observation's percentiles; every observation of a day shares them).
fn forecast_by_day<'a>(observed: impl Iterator<Item = &'a Observed>) -> Vec<(f64, [f64; 5])> {
    let mut days = std::collections::BTreeMap::new();
    for o in observed {
        days.entry(o.day.to_bits()).or_insert((o.day, o.percentiles));
    }
    let mut days: Vec<(f64, [f64; 5])> = days.into_values().collect();
    days.sort_by(|a, b| a.0.total_cmp(&b.0));
    days
}

/// Most observations drawn on one chart; past it, every k-th (the caption says so).
pub const MAX_DRAWN: usize = 5_000;

/// Every how many observations of `metric` one is drawn.
fn thinning(backtest: &Backtest, metric: &str) -> usize {
    backtest.of(metric).count().div_ceil(MAX_DRAWN).max(1)
}

fn fan_chart(backtest: &Backtest, i: usize, metric: &str) -> Result<String, ReportError> {
    let ranges = backtest.spans(metric);
    let title = format!("{metric}: forecast and observations");
    let start = backtest.start;
    draw::chart_svg((&format!("chart-backtest-{}", i + 1), &title), 0, ranges, |root| {
        let x_label = |day: &f64| {
            start
                .checked_add_days(chrono::Days::new(day.max(0.0).round() as u64))
                .map_or_else(String::new, |d| d.format("%-d %b %Y").to_string())
        };
        let mut chart = draw::plot(root, &title, ranges, ("date", metric), (&x_label, &|v| draw::tick(*v)))?;
        let days = forecast_by_day(backtest.of(metric));
        let at = |k: usize| days.iter().map(|(d, p)| (*d, p[k])).collect::<Vec<_>>();
        if days.len() > 1 {
            draw::band(&mut chart, 5, &at(4), &at(0), 0.3)?;
            draw::band(&mut chart, 0, &at(3), &at(1), 0.4)?;
        }
        let whisker = PALETTE[0].stroke_width(2);
        chart.draw_series(
            days.iter()
                .map(|(d, p)| PathElement::new(vec![(*d, p[0]), (*d, p[4])], whisker)),
        )?;
        let half = (ranges.0.1 - ranges.0.0) * 0.006;
        chart.draw_series(
            days.iter()
                .map(|(d, p)| Rectangle::new([(*d - half, p[1]), (*d + half, p[3])], PALETTE[0].mix(0.6).filled())),
        )?;
        chart.draw_series(days.iter().map(|(d, p)| {
            PathElement::new(
                vec![(*d - 2.0 * half, p[2]), (*d + 2.0 * half, p[2])],
                BLACK.stroke_width(3),
            )
        }))?;
        chart
            .draw_series(LineSeries::new(at(2), BLACK.stroke_width(3)))?
            .label("forecast median; bands and whiskers: p25 to p75, p5 to p95")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.stroke_width(3)));
        let drawn: Vec<&Observed> = backtest.of(metric).step_by(thinning(backtest, metric)).collect();
        let inside: Vec<(f64, f64)> = drawn.iter().filter(|o| o.in_90).map(|o| (o.day, o.observed)).collect();
        let outside: Vec<(f64, f64)> = drawn.iter().filter(|o| !o.in_90).map(|o| (o.day, o.observed)).collect();
        chart
            .draw_series(inside.into_iter().map(|p| Circle::new(p, 6, BLACK.filled())))?
            .label("observed, inside the 90% band")
            .legend(|(x, y)| Circle::new((x + 12, y), 6, BLACK.filled()));
        let red = PALETTE[1];
        chart
            .draw_series(outside.into_iter().map(|p| TriangleMarker::new(p, 8, red.filled())))?
            .label("observed, outside the 90% band")
            .legend(move |(x, y)| TriangleMarker::new((x + 12, y), 8, red.filled()));
        draw::legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// The PIT histogram's ranges.
pub fn pit_spans(backtest: &Backtest) -> (Span, Span) {
    let counts = backtest.pit_counts();
    let n = backtest.observed.len() as f64;
    let top = counts.iter().copied().max().unwrap_or(0) as f64;
    ((0.0, 1.0), (0.0, (top.max(n / PIT_BINS as f64) * 1.2).max(1.0)))
}

fn pit_chart(backtest: &Backtest) -> Result<String, ReportError> {
    let ranges = pit_spans(backtest);
    let title = "Where the observations fell in the forecast (PIT)";
    let counts = backtest.pit_counts();
    let expected = backtest.observed.len() as f64 / PIT_BINS as f64;
    draw::chart_svg(("chart-backtest-pit", title), 0, ranges, |root| {
        let mut chart = draw::plot(
            root,
            title,
            ranges,
            (
                "percentile rank of the observation in the forecast (PIT)",
                "observations",
            ),
            (&|v| draw::tick(*v), &|v| draw::tick(*v)),
        )?;
        let width = 1.0 / PIT_BINS as f64;
        chart
            .draw_series(counts.iter().enumerate().map(|(b, &c)| {
                let x = b as f64 * width;
                Rectangle::new(
                    [(x + width * 0.05, 0.0), (x + width * 0.95, c as f64)],
                    PALETTE[0].mix(0.7).filled(),
                )
            }))?
            .label("observations in each tenth")
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], PALETTE[0].mix(0.7).filled()));
        draw::level(
            &mut chart,
            ranges.0,
            expected,
            &format!("a calibrated forecast: {} per tenth", draw::tick(expected)),
        )?;
        draw::legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// The findings: coverage and mean PIT over all observations.
fn findings(backtest: &Backtest) -> Vec<String> {
    let n = backtest.observed.len();
    if n == 0 {
        return vec!["No observations.".to_string()];
    }
    let inside = backtest.observed.iter().filter(|o| o.in_90).count();
    let mean_pit = backtest.observed.iter().map(|o| o.pit).sum::<f64>() / n as f64;
    let lean = if mean_pit < 0.4 {
        "the observations mostly fell below the forecast: the scenario was too optimistic"
    } else if mean_pit > 0.6 {
        "the observations mostly fell above the forecast: the scenario was too pessimistic"
    } else {
        "the observations fell on both sides of the forecast's middle"
    };
    let mut out = vec![format!(
        "{inside} of {n} observations ({}) lie inside the forecast's 90% band; their mean PIT is {mean_pit:.2} \
         (0.5 for a calibrated forecast): {lean}.",
        percent(inside as f64 / n as f64)
    )];
    if n < 20 {
        out.push(
            "With fewer than 20 observations, these shares can be far from a calibrated forecast's by chance alone."
                .to_string(),
        );
    }
    out
}

/// `backtest.html` from `backtest.csv` and `backtest_info.csv`.
pub fn render(files: &Files) -> Result<String, ReportError> {
    let info = Info::read(files, BACKTEST_INFO)?;
    let backtest = Backtest::read(files)?;
    let scenario = format!("{}{}", info.get("scenario"), what_if(info.get("overrides")));
    let title = format!("Backtest of {scenario} against {}", info.get("observed_file"));
    let run = format!(
        "Run: {scenario}; {}; observations from {}.",
        info.trials_and_seed(),
        info.get("observed_file")
    );
    let meta = format!(
        "forcegen {} backtest: {} observations, {}. Built from backtest.csv and backtest_info.csv.",
        info.get("forcegen_version"),
        info.get("observations"),
        info.trials_and_seed()
    );
    let mut body = String::new();
    for (i, metric) in backtest.metrics().iter().take(METRIC_CHARTS).enumerate() {
        let svg = fan_chart(&backtest, i, metric)?;
        let every = match thinning(&backtest, metric) {
            1 => String::new(),
            k => format!(" (every {k}th of {} observations)", backtest.of(metric).count()),
        };
        let caption = format!(
            "{metric}: the forecast on the observed dates (median line; p25 to p75 dark band, p5 to p95 light band \
             and whiskers) and the observed values{every} (dots; triangles outside the 90% band). {run}"
        );
        figure(
            &mut body,
            &format!("{metric}: forecast and observations"),
            &svg,
            &caption,
        );
    }
    let svg = pit_chart(&backtest)?;
    let caption = format!(
        "How many observations fell in each tenth of their forecast (PIT 0: below every trial, 1: above every trial). \
         A calibrated forecast spreads them evenly (dashed line); piled up on the left, the forecast was too high. {run}"
    );
    figure(&mut body, "Where the observations fell (PIT)", &svg, &caption);
    body.push_str("<h2>Scores</h2>\n");
    let rows = backtest
        .overall
        .iter()
        .map(|r| r.iter().map(|c| uncell(c).to_string()).collect())
        .collect();
    table_html(
        &mut body,
        "backtest",
        "backtest.csv: the overall rows (means over the observations)",
        &BACKTEST_COLUMNS,
        rows,
    );
    Ok(page("backtest", &title, &meta, &findings(&backtest), &body))
}
