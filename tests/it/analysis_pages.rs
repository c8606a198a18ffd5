//! The pages of the analysis commands (`sensitivity.html`, `sweep.html`,
//! `solve.html`, `compare.html`, `backtest.html`): every chart is there (each `<svg>`
//! parsed with roxmltree), its axes hold the data of the CSV files it is
//! built from, its labels name what it shows, the page names the run, and
//! the page rebuilt from the CSV files equals the written one.

use std::path::Path;

use forcegen::report::pages;

use crate::cli_support::{cell, forcegen, read_csv, scenarios_dir};

/// Each `<svg>` of a page: its id and its text.
pub fn charts(page: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find("<svg ") {
        let end = rest[at..].find("</svg>").expect("a closed svg") + at + "</svg>".len();
        let svg = &rest[at..end];
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("an svg that does not parse: {e}"));
        let id = doc.root_element().attribute("id").expect("an id").to_string();
        out.push((id, svg.to_string()));
        rest = &rest[end..];
    }
    out
}

/// A chart's parsed axis ranges and every text in it (title included).
struct Chart {
    x: (f64, f64),
    y: (f64, f64),
    texts: Vec<String>,
}

fn parse(svg: &str) -> Chart {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let root = doc.root_element();
    let range = |name: &str| {
        let text = root.attribute(name).unwrap_or_else(|| panic!("no {name}"));
        let v: Vec<f64> = text.split(' ').map(|v| v.parse().unwrap()).collect();
        assert!(v[0] < v[1], "{name} {text} is empty");
        (v[0], v[1])
    };
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") || n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect();
    Chart {
        x: range("data-x-range"),
        y: range("data-y-range"),
        texts,
    }
}

fn holds(range: (f64, f64), value: f64, what: &str) {
    assert!(
        range.0 <= value + 1e-9 && value <= range.1 + 1e-9,
        "{what}: {value} outside the axis {range:?}"
    );
}

/// The chart with id `id`.
fn chart(charts: &[(String, String)], id: &str) -> Chart {
    let (_, svg) = charts
        .iter()
        .find(|(i, _)| i == id)
        .unwrap_or_else(|| panic!("no chart {id}"));
    parse(svg)
}

fn has_text(chart: &Chart, text: &str) {
    assert!(
        chart.texts.iter().any(|t| t.contains(text)),
        "no text {text:?} in {:?}",
        chart.texts
    );
}

/// The files of `dir` named `names`, as the page builders take them.
fn files(dir: &Path, names: &[&'static str]) -> Vec<(&'static str, Vec<u8>)> {
    names
        .iter()
        .map(|n| (*n, std::fs::read(dir.join(n)).unwrap()))
        .collect()
}

fn page(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn num(text: &str) -> f64 {
    text.parse().unwrap_or_else(|_| panic!("not a number: {text:?}"))
}

/// The bars' labels of a tornado ("1. contributors.Kenya.probability"), top
/// to bottom, as drawn.
fn tornado_order(chart: &Chart) -> Vec<String> {
    chart
        .texts
        .iter()
        .map(|t| t.trim())
        .filter(|t| t.split_once(". ").is_some_and(|(n, _)| n.parse::<u32>().is_ok()))
        .map(str::to_string)
        .collect()
}

/// The labels the first [`pages::sensitivity::BARS`] rows of an outcome of
/// `sensitivity.csv` (in file order: its ranks) must have.
fn csv_order(bars: &[(f64, f64, &str)]) -> Vec<String> {
    bars.iter()
        .take(pages::sensitivity::BARS)
        .enumerate()
        .map(|(i, (_, _, input))| format!("{}. {input}", i + 1))
        .collect()
}

#[test]
fn the_gsf_tornadoes_and_findings_follow_sensitivity_csv() {
    // The GSF, whose withdrawal days have wide swings from a few trials but
    // no influence: the page once drew them on top and blamed one for arrears.
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("gsf");
    forcegen()
        .arg("sensitivity")
        .arg(scenarios_dir().join("haiti-gsf-2026-04.toml"))
        .args(["--trials", "2000", "--seed", "5", "-q", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let html = page(&out, "sensitivity.html");
    let (header, rows) = read_csv(&out.join("sensitivity.csv"));
    let charts = charts(&html);
    let mut outcomes: Vec<&str> = rows.iter().map(|r| cell(&header, r, "outcome")).collect();
    outcomes.dedup();
    for (i, outcome) in outcomes.iter().enumerate() {
        let block: Vec<(f64, f64, &str)> = rows
            .iter()
            .filter(|r| cell(&header, r, "outcome") == *outcome)
            .map(|r| (0.0, 0.0, cell(&header, r, "input")))
            .collect();
        let chart = chart(&charts, &format!("chart-tornado-{}", i + 1));
        if !tornado_order(&chart).is_empty() {
            assert_eq!(tornado_order(&chart), csv_order(&block), "{outcome}");
            let finding = format!("<li>{outcome}: {} ranks first", block[0].2);
            assert!(html.contains(&finding), "no `{finding}` in the findings");
        }
    }
    let arrears = rows
        .iter()
        .find(|r| cell(&header, r, "outcome") == "day_reached:Pay in arrears")
        .expect("the arrears outcome");
    assert_eq!(cell(&header, arrears, "input"), "funding.start_balance");
    assert!(html.contains("<li>day_reached:Pay in arrears: funding.start_balance ranks first"));
}

#[test]
fn sensitivity_page_has_a_tornado_per_outcome() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("s");
    forcegen()
        .args(["sensitivity", "--trials", "600", "--seed", "3", "-q", "--set"])
        .arg("contributors.Kenya.probability=0.9")
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let html = page(&out, "sensitivity.html");
    let (header, rows) = read_csv(&out.join("sensitivity.csv"));
    let mut outcomes: Vec<String> = Vec::new();
    for row in &rows {
        let o = cell(&header, row, "outcome").to_string();
        if !outcomes.contains(&o) {
            outcomes.push(o);
        }
    }
    let charts = charts(&html);
    assert_eq!(charts.len(), outcomes.len(), "one tornado per outcome");
    for (i, outcome) in outcomes.iter().enumerate() {
        let chart = chart(&charts, &format!("chart-tornado-{}", i + 1));
        has_text(&chart, &format!("What drives {outcome}"));
        // The bars are sensitivity.csv's first rows of the outcome, in its order.
        let bars: Vec<(f64, f64, &str)> = rows
            .iter()
            .filter(|r| cell(&header, r, "outcome") == outcome)
            .map(|r| {
                let low = num(cell(&header, r, "mean_when_input_low"));
                (
                    low,
                    num(cell(&header, r, "mean_when_input_high")),
                    cell(&header, r, "input"),
                )
            })
            .collect();
        let varies = rows
            .iter()
            .any(|r| cell(&header, r, "outcome") == outcome && !cell(&header, r, "spearman").is_empty());
        if varies {
            for (low, high, input) in bars.iter().take(pages::sensitivity::BARS) {
                holds(chart.x, *low, input);
                holds(chart.x, *high, input);
            }
            assert_eq!(
                tornado_order(&chart),
                csv_order(&bars),
                "{outcome}: the tornado's order"
            );
            has_text(&chart, "input low (its bottom 10%)");
        }
    }
    for named in [
        "(what-if: --set contributors.Kenya.probability=0.9)",
        "600 trials, seed 3",
        "<ul id=\"findings\">",
    ] {
        assert!(html.contains(named), "the page does not say {named}");
    }
    let rebuilt = pages::sensitivity::render(&files(&out, &["sensitivity.csv", "sensitivity_info.csv"])).unwrap();
    assert_eq!(rebuilt, html, "the page rebuilt from the CSV files");
}

#[test]
fn sweep_page_has_a_curve_per_target_and_the_medians() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("s");
    forcegen()
        .args(["sweep", "--trials", "400", "--seed", "5", "-q"])
        .args(["--set", "contributors.Kenya.probability=0.5,1"])
        .args(["--set", "events.mandate_lapse.probability=0,0.5"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let html = page(&out, "sweep.html");
    let (header, rows) = read_csv(&out.join("sweep.csv"));
    let mut targets: Vec<String> = Vec::new();
    for row in &rows {
        let t = cell(&header, row, "target").to_string();
        if !targets.contains(&t) {
            targets.push(t);
        }
    }
    let charts = charts(&html);
    assert_eq!(charts.len(), targets.len() + pages::sweep::MEDIANS.len());
    for (i, target) in targets.iter().enumerate() {
        let chart = chart(&charts, &format!("chart-sweep-target-{}", i + 1));
        has_text(&chart, &format!("Probability of reaching {target}"));
        has_text(&chart, "events.mandate_lapse.probability=0.5");
        for row in rows.iter().filter(|r| cell(&header, r, "target") == target) {
            let (p, se) = (
                num(cell(&header, row, "p_reached_by_horizon")),
                num(cell(&header, row, "p_reached_by_horizon_se")),
            );
            holds(chart.x, num(cell(&header, row, "contributors.Kenya.probability")), "x");
            holds(chart.y, p, target);
            holds(chart.y, (p + 2.0 * se).min(1.0), target);
            holds(chart.y, (p - 2.0 * se).max(0.0), target);
        }
    }
    for (column, title) in pages::sweep::MEDIANS {
        let chart = chart(&charts, &format!("chart-sweep-{column}"));
        has_text(&chart, title);
        for row in &rows {
            holds(chart.y, num(cell(&header, row, column)), column);
        }
    }
    for named in [
        "contributors.Kenya.probability=0.5,1; events.mandate_lapse.probability=0,0.5",
        "400 trials, seed 5",
    ] {
        assert!(html.contains(named), "the page does not say {named}");
    }
    let rebuilt = pages::sweep::render(&files(&out, &["sweep.csv", "sweep_info.csv"])).unwrap();
    assert_eq!(rebuilt, html, "the page rebuilt from the CSV files");
}

/// `compare_timeseries.csv` rows of one scenario and metric: day and p5..p95.
fn fan_rows(dir: &Path, scenario: &str, metric: &str) -> Vec<(String, Vec<String>)> {
    let (header, rows) = read_csv(&dir.join("compare_timeseries.csv"));
    rows.iter()
        .filter(|r| cell(&header, r, "scenario") == scenario && cell(&header, r, "metric") == metric)
        .map(|r| {
            let p = ["p5", "p25", "p50", "p75", "p95"].map(|c| cell(&header, r, c).to_string());
            (cell(&header, r, "day").to_string(), p.to_vec())
        })
        .collect()
}

#[test]
fn compare_page_overlays_the_fans_and_the_paired_difference() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("c");
    let (a, b) = (
        scenarios_dir().join("haiti-mss-2024-09.toml"),
        scenarios_dir().join("haiti-un-transition.toml"),
    );
    forcegen()
        .args(["compare", "--trials", "500", "--seed", "9", "-q"])
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let html = page(&out, "compare.html");
    let charts = charts(&html);
    assert_eq!(charts.len(), 2 * pages::compare::METRICS.len() + 1);
    let (header, rows) = read_csv(&out.join("compare_timeseries.csv"));
    let names = [a.display().to_string(), b.display().to_string()];
    for (metric, what) in pages::compare::METRICS {
        let fan = chart(&charts, &format!("chart-compare-fan-{metric}"));
        let difference = chart(&charts, &format!("chart-compare-difference-{metric}"));
        has_text(&fan, what);
        has_text(&fan, &format!("{}: median", names[1]));
        has_text(&difference, &format!("{} minus {}", names[1], names[0]));
        for row in rows.iter().filter(|r| cell(&header, r, "metric") == metric) {
            holds(fan.x, num(cell(&header, row, "day")), "day");
            holds(fan.y, num(cell(&header, row, "p5")), metric);
            holds(fan.y, num(cell(&header, row, "p95")), metric);
            if let (Ok(d), Ok(se)) = (
                cell(&header, row, "difference_to_first").parse::<f64>(),
                cell(&header, row, "difference_se").parse::<f64>(),
            ) {
                holds(difference.y, d + 2.0 * se, metric);
                holds(difference.y, d - 2.0 * se, metric);
            }
        }
    }
    let targets = chart(&charts, "chart-compare-targets");
    has_text(&targets, "MSS at 2,500");
    for named in [names[0].as_str(), names[1].as_str(), "500 trials, seed 9"] {
        assert!(html.contains(named), "the page does not say {named}");
    }
    let rebuilt = pages::compare::render(&files(
        &out,
        &["compare.csv", "compare_info.csv", "compare_timeseries.csv"],
    ))
    .unwrap();
    assert_eq!(rebuilt, html, "the page rebuilt from the CSV files");
}

/// Each scenario's fan equals its own `run` (same seed and trials), and the
/// horizon's paired difference equals `compare.csv`'s.
#[test]
fn compare_fans_equal_each_run_and_the_difference_compare_csv() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("c");
    let scenarios = [
        scenarios_dir().join("haiti-mss-2024-09.toml"),
        scenarios_dir().join("haiti-un-transition.toml"),
    ];
    forcegen()
        .args(["compare", "--trials", "300", "--seed", "4", "-q", "--threads", "2"])
        .args(&scenarios)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    for (i, scenario) in scenarios.iter().enumerate() {
        let run = work.path().join(format!("run{i}"));
        forcegen()
            .args(["run", "--trials", "300", "--seed", "4", "-q", "--out"])
            .arg(&run)
            .arg(scenario)
            .assert()
            .code(0);
        let (header, rows) = read_csv(&run.join("timeseries.csv"));
        for metric in ["international", "police_per_100k"] {
            let expected: Vec<(String, Vec<String>)> = rows
                .iter()
                .filter(|r| cell(&header, r, "metric") == metric)
                .map(|r| {
                    let p = ["p5", "p25", "p50", "p75", "p95"].map(|c| cell(&header, r, c).to_string());
                    (cell(&header, r, "day").to_string(), p.to_vec())
                })
                .collect();
            let got = fan_rows(&out, &scenario.display().to_string(), metric);
            assert_eq!(got, expected, "{metric} of {}", scenario.display());
        }
    }
    // The same bytes on one thread.
    let one = work.path().join("one");
    forcegen()
        .args(["compare", "--trials", "300", "--seed", "4", "-q", "--threads", "1"])
        .args(&scenarios)
        .arg("--out")
        .arg(&one)
        .assert()
        .code(0);
    for file in ["compare.csv", "compare_timeseries.csv", "compare.html"] {
        let same = std::fs::read(one.join(file)).unwrap() == std::fs::read(out.join(file)).unwrap();
        assert!(same, "{file} differs between 1 and 2 threads");
    }
    let (header, rows) = read_csv(&out.join("compare.csv"));
    let expected = rows
        .iter()
        .find(|r| {
            cell(&header, r, "quantity") == "international" && !cell(&header, r, "difference_to_first").is_empty()
        })
        .map(|r| num(cell(&header, r, "difference_to_first")))
        .unwrap();
    let (header, rows) = read_csv(&out.join("compare_timeseries.csv"));
    let last = rows
        .iter()
        .rfind(|r| cell(&header, r, "metric") == "international")
        .unwrap();
    let got = num(cell(&header, last, "difference_to_first"));
    // Both are the same paired mean, printed to 6 and to 4 decimals.
    assert!((got - expected).abs() < 1e-3, "{got} vs {expected}");
}

#[test]
fn backtest_page_has_a_fan_per_metric_and_the_pit() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("b");
    forcegen()
        .args(["backtest", "--trials", "500", "--seed", "2", "-q"])
        .arg(scenarios_dir().join("haiti-mss-2024-09.toml"))
        .arg(scenarios_dir().join("haiti-observed-example.csv"))
        .args(["--set", "contributors.Kenya.probability=0.95", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let html = page(&out, "backtest.html");
    let (header, rows) = read_csv(&out.join("backtest.csv"));
    let observed: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| cell(&header, r, "row") == "observation")
        .collect();
    let mut metrics: Vec<&str> = Vec::new();
    for row in &observed {
        let m = cell(&header, row, "metric");
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    let charts = charts(&html);
    assert_eq!(
        charts.len(),
        metrics.len() + 1,
        "a fan per metric and the PIT histogram"
    );
    for (i, metric) in metrics.iter().enumerate() {
        let chart = chart(&charts, &format!("chart-backtest-{}", i + 1));
        has_text(&chart, &format!("{metric}: forecast and observations"));
        has_text(&chart, "observed, inside the 90% band");
        for row in observed.iter().filter(|r| cell(&header, r, "metric") == *metric) {
            holds(chart.x, num(cell(&header, row, "day")), "day");
            for column in ["observed", "p5", "p95"] {
                holds(chart.y, num(cell(&header, row, column)), column);
            }
        }
    }
    let pit = chart(&charts, "chart-backtest-pit");
    has_text(&pit, "a calibrated forecast");
    assert_eq!(pit.x, (0.0, 1.0));
    holds(pit.y, observed.len() as f64 / 10.0, "expected count");
    let (info_header, info) = read_csv(&out.join("backtest_info.csv"));
    assert_eq!(
        cell(&info_header, &info[0], "overrides"),
        "contributors.Kenya.probability=0.95"
    );
    for named in [
        "(what-if: --set contributors.Kenya.probability=0.95)",
        "500 trials, seed 2",
        "haiti-observed-example.csv",
    ] {
        assert!(html.contains(named), "the page does not say {named}");
    }
    let rebuilt = pages::backtest::render(&files(&out, &["backtest.csv", "backtest_info.csv"])).unwrap();
    assert_eq!(rebuilt, html, "the page rebuilt from the CSV files");
}

/// A damaged CSV file gives an error naming it, not a panic.
#[test]
fn a_damaged_file_is_an_error_naming_it() {
    let info =
        b"scenario,scenario_sha256,seed,trials,forcegen_version,generator,points,sets\nx,y,1,10,0,g,1,a=1\n".to_vec();
    let sweep = b"point,a,target,report_date,p_reached_by_report_date,p_reached_by_report_date_se,p_reached_by_horizon,p_reached_by_horizon_se,date_p50,international_p50,police_per_100k_p50\n1,1,t,2025-01-01,1.5,0.1,0.5,0.1,,3,4\n".to_vec();
    let error = pages::sweep::render(&[("sweep.csv", sweep), ("sweep_info.csv", info)]).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("sweep.csv") && text.contains("line 2") && text.contains("p_reached_by_report_date"),
        "{text}"
    );
}

#[test]
fn solve_page_draws_each_value_tried_the_goal_and_the_answer() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("s");
    forcegen()
        .args([
            "solve",
            "--trials",
            "500",
            "--seed",
            "5",
            "-q",
            "--target",
            "MSS at 1,000",
        ])
        .args([
            "--chance",
            "0.7",
            "--vary",
            "contributors.Kenya.probability",
            "--range",
            "0..1",
        ])
        .args(["--by", "2025-09-30"])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let html = page(&out, "solve.html");
    let charts = charts(&html);
    assert_eq!(charts.len(), 1);
    let chart = chart(&charts, "chart-solve-1");
    has_text(&chart, "contributors.Kenya.probability: chance by value");
    has_text(&chart, "goal 70.0%");
    let (header, rows) = read_csv(&out.join("solve_summary.csv"));
    let answer = cell(&header, &rows[0], "answer");
    has_text(&chart, &format!("answer {answer}"));
    for column in ["answer", "low", "high"] {
        holds(chart.x, num(cell(&header, &rows[0], column)), column);
    }
    holds(chart.y, 0.7, "the goal");
    let (header, rows) = read_csv(&out.join("solve.csv"));
    for row in &rows {
        let (p, se) = (num(cell(&header, row, "chance")), num(cell(&header, row, "chance_se")));
        holds(chart.x, num(cell(&header, row, "value")), "value");
        holds(chart.y, (p + 2.0 * se).min(1.0), "chance + 2 SE");
        holds(chart.y, (p - 2.0 * se).max(0.0), "chance - 2 SE");
    }
    for named in [
        "MSS at 1,000&quot; is reached by 2025-09-30",
        "500 trials, seed 5",
        "<ul id=\"findings\">",
    ] {
        assert!(html.contains(named), "the page does not say {named}");
    }
    let names = ["solve.csv", "solve_summary.csv", "solve_info.csv"];
    let rebuilt = pages::solve::render(&files(&out, &names)).unwrap();
    assert_eq!(rebuilt, html, "the page rebuilt from the CSV files");
}
