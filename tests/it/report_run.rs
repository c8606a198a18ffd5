//! The run report's own CSV files (`benchmarks.csv`, `distribution.csv`,
//! `drivers.csv`, `assumptions.csv`), checked on a small scenario whose
//! numbers can be worked out by hand, and what the report draws from them:
//! every input, event and benchmark listed, benchmark lines on the charts,
//! and a report for an old folder that lacks them.

use std::fs;
use std::path::Path;

use crate::cli_support::{EXTRA_FILES, FILES, cell, forcegen, read_csv, run_ok, run_output, stderr_of, write_file};

/// 100,000 people, 90 host police, A's 10 police on day 10 in every trial,
/// B's 20 soldiers (not police) on a day from 10 to 12 with probability 0.5:
/// international is 10 or 30, police per 100,000 exactly 100.
const SMALL: &str = r#"name = "small"
[simulation]
start = 2025-01-01
horizon_days = 30
step = "week"
[population]
initial = 100000
[host_police]
initial = 90
[[contributors]]
name = "A"
pledged = 10
first_arrival_days = 10
[[contributors]]
name = "B"
kind = "military"
pledged = 20
probability = 0.5
first_arrival_days = "uniform(10, 12)"
[[events]]
name = "E"
probability = 0.25
day = 2025-03-01
effect = "end_mission"
[[targets]]
name = "thirty"
metric = "international"
at_least = 30
[[benchmarks]]
name = "ratio line"
metric = "police_per_100k"
value = 80
source = "a study"
[[benchmarks]]
name = "far line"
metric = "police_per_100k"
value = 5000
source = "folklore"
[[benchmarks]]
name = "=head line"
metric = "international"
value = 25
source = "a report"
"#;

fn rows_of(dir: &Path, file: &str) -> (Vec<String>, Vec<Vec<String>>) {
    read_csv(&dir.join(file))
}

#[test]
fn benchmarks_and_the_distribution_are_written_as_worked_out_by_hand() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "small.toml", SMALL);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &["--trials", "3000", "--seed", "1"]);
    let (header, rows) = rows_of(&out, "benchmarks.csv");
    assert_eq!(header, ["name", "metric", "value", "source"]);
    assert_eq!(
        rows,
        [
            ["ratio line", "police_per_100k", "80", "a study"],
            ["far line", "police_per_100k", "5000", "folklore"],
            ["'=head line", "international", "25", "a report"],
        ]
    );
    // On the horizon (30 Jan 2025): international is 30 in the trials where
    // B came (the share that reached the target "thirty", from
    // summary.csv) and 10 in the others; police per 100,000 is 100 in every
    // trial (its bin's midpoint, within 0.05%); every standard metric is there.
    let (header, rows) = rows_of(&out, "distribution.csv");
    assert_eq!(header, ["metric", "date", "value", "share"]);
    assert!(rows.iter().all(|r| r[1] == "2025-01-31"), "{rows:?}");
    let international: Vec<(&str, f64)> = rows
        .iter()
        .filter(|r| r[0] == "international")
        .map(|r| (r[2].as_str(), r[3].parse().unwrap()))
        .collect();
    let (s_header, summary) = rows_of(&out, "summary.csv");
    let reached: f64 = cell(&s_header, &summary[0], "p_reached_by_horizon").parse().unwrap();
    assert_eq!(international.len(), 2, "{international:?}");
    assert_eq!((international[0].0, international[1].0), ("10", "30"));
    // summary.csv prints 6 decimals, distribution.csv 10.
    assert!(
        (international[1].1 - reached).abs() < 1e-6,
        "{international:?} vs {reached}"
    );
    assert!((international[0].1 + international[1].1 - 1.0).abs() < 1e-9);
    let ratio: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "police_per_100k").collect();
    assert_eq!(ratio.len(), 1, "{ratio:?}");
    let value: f64 = ratio[0][2].parse().unwrap();
    assert!((value - 100.0).abs() < 0.05 && ratio[0][3] == "1", "{ratio:?}");
    for metric in forcegen::scenario::Metric::STANDARD_NAMES {
        assert!(rows.iter().any(|r| r[0] == metric), "no {metric}");
    }
    assert!(!rows.iter().any(|r| r[0].contains("contributor:")));
}

#[test]
fn report_date_picks_the_last_report_date_on_or_before_it() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "small.toml", SMALL);
    let out = work.path().join("out");
    // Weekly report days 0, 7, 14, 21, 28, 30: 5 Jan is day 4, so day 0,
    // when nobody has arrived yet.
    run_ok(&scenario, &out, &["--trials", "200", "--report-date", "2025-01-05"]);
    let (_, rows) = rows_of(&out, "distribution.csv");
    let international: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "international").collect();
    assert_eq!(international.len(), 1);
    assert_eq!(international[0][1..], ["2025-01-01", "0", "1"]);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Date: 1 Jan 2025."), "the caption names the date");
    // Outside the simulated period: refused, nothing written.
    let other = work.path().join("other");
    let output = run_output(&scenario, &other, &["--report-date", "2025-03-01"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output)
            .contains("--report-date 2025-03-01 is outside the simulated period, 2025-01-01 to 2025-01-31"),
        "{}",
        stderr_of(&output)
    );
    assert!(!other.exists(), "a refused run wrote {}", other.display());
}

#[test]
fn drivers_name_the_input_that_decides_the_outcome_from_a_bounded_pass() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "small.toml", SMALL);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &["--trials", "3000", "--seed", "1"]);
    let (header, rows) = rows_of(&out, "drivers.csv");
    assert_eq!(
        header,
        [
            "outcome",
            "rank",
            "input",
            "spearman",
            "first_order",
            "mean_when_input_low",
            "mean_when_input_high",
            "trials"
        ]
    );
    // International at the horizon is 10 + 20 x (B came): B's yes/no input
    // decides it entirely (Spearman 1, means 10 and 30); nothing else
    // varies it. Its first-order index is 1 less the bias correction of its
    // two bins, (2 - 1) / 2,000: 0.9995.
    let international: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "international_at_horizon").collect();
    assert_eq!(international.len(), 1, "{rows:?}");
    assert_eq!(
        international[0][1..],
        ["1", "contributors.B.probability", "1", "0.9995", "10", "30", "2000"]
    );
    // The pass takes at most 2,000 trials whatever --trials is, and the
    // run's own count when smaller: its cost is bounded by that count.
    assert!(rows.iter().all(|r| r[7] == "2000"));
    run_ok(&scenario, &out, &["--trials", "300", "--seed", "1"]);
    let (_, rows) = rows_of(&out, "drivers.csv");
    assert!(!rows.is_empty() && rows.iter().all(|r| r[7] == "300"), "{rows:?}");
    // --no-drivers: no drivers.csv (an earlier one is removed), and the
    // report says so.
    run_ok(&scenario, &out, &["--trials", "300", "--no-drivers"]);
    assert!(!out.join("drivers.csv").exists());
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Not in this folder: drivers.csv."), "missing line");
    assert!(html.contains("No drivers: drivers.csv is not in this folder."));
}

/// The text of every `<text>` element of an SVG chart (its own text,
/// trimmed).
fn svg_texts(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

#[test]
fn the_report_lists_every_input_event_and_benchmark_and_draws_the_benchmarks() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "small.toml", SMALL);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &["--trials", "500"]);
    let (header, rows) = rows_of(&out, "assumptions.csv");
    assert_eq!(header, ["kind", "name", "value", "unit", "p5", "p50", "p95", "source"]);
    // B's arrival: uniform(10, 12) rounded to whole days is 10, 11 or 12
    // with chances 1/4, 1/2, 1/4: p5 10, p50 11, p95 12.
    let names: Vec<(&str, &str)> = rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(
        names,
        [
            ("input", "contributors.B.first_arrival_days"),
            ("probability", "contributors.A.probability"),
            ("probability", "contributors.B.probability"),
            ("probability", "events.E.probability"),
            ("event", "events.E"),
            ("benchmark", "ratio line"),
            ("benchmark", "far line"),
            ("benchmark", "'=head line"),
        ]
    );
    assert_eq!(rows[0][2..7], ["uniform(10, 12)", "days", "10", "11", "12"]);
    assert_eq!(rows[2][2], "0.5");
    // The event on 1 Mar 2025, after the 30-day horizon: no dates.
    assert_eq!(rows[4][2..7], ["end_mission (drawdown 0 days)", "date", "", "", ""]);
    assert_eq!(rows[5][2..], ["80", "police_per_100k", "", "", "", "a study"]);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let table = &html[html.find("<table id=\"assumptions\">").expect("the assumptions table")..];
    let table = &table[..table.find("</table>").unwrap()];
    for name in [
        "contributors.B.first_arrival_days",
        "events.E",
        "ratio line",
        "far line",
        "=head line",
    ] {
        assert!(table.contains(&format!("<td>{name}</td>")), "{name} not listed");
    }
    for source in ["a study", "folklore", "a report"] {
        assert!(table.contains(&format!("<td>{source}</td>")), "{source} not listed");
    }
    // The police ratio (100 in every trial) is drawn with the 80 line and
    // its label; 5,000 is far above the data and named at the foot of the
    // chart instead of stretching the axis; the international chart and
    // the distribution chart carry their own benchmark.
    let police = svg_texts(&out.join("chart_police_ratio.svg"));
    assert!(police.iter().any(|t| t == "ratio line: 80"), "{police:?}");
    assert!(
        police.iter().any(|t| t == "above the chart: far line: 5,000"),
        "{police:?}"
    );
    let top_label = police
        .iter()
        .filter_map(|t| t.replace(',', "").parse::<f64>().ok())
        .fold(0.0, f64::max);
    assert!(top_label < 500.0, "the axis reaches {top_label}: {police:?}");
    let international = svg_texts(&out.join("chart_international.svg"));
    assert!(international.iter().any(|t| t == "=head line: 25"), "{international:?}");
    assert!(
        international.iter().any(|t| t == "benchmark (dotted)"),
        "{international:?}"
    );
    let distribution = svg_texts(&out.join("chart_distribution.svg"));
    assert!(distribution.iter().any(|t| t == "ratio line: 80"), "{distribution:?}");
    assert!(distribution.iter().any(|t| t == "=head line: 25"), "{distribution:?}");
    assert!(
        distribution.iter().any(|t| t == "target thirty: 30"),
        "{distribution:?}"
    );
}

#[test]
fn an_old_folder_without_the_new_files_still_gives_a_report_that_says_what_is_missing() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "small.toml", SMALL);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &["--trials", "200"]);
    let old = work.path().join("old");
    fs::create_dir(&old).unwrap();
    for file in FILES {
        fs::copy(out.join(file), old.join(file)).unwrap();
    }
    forcegen().arg("report").arg(&old).assert().code(0);
    let html = fs::read_to_string(old.join("report.html")).unwrap();
    let missing = format!("Not in this folder: {}.", EXTRA_FILES.join(", "));
    assert!(html.contains(&missing), "no line saying what is missing");
    assert!(html.contains("<h2>Findings</h2>") && html.contains("<table id=\"summary\">"));
    let police = svg_texts(&old.join("chart_police_ratio.svg"));
    assert!(
        !police.iter().any(|t| t.contains("ratio line")),
        "a benchmark without benchmarks.csv"
    );
    let distribution = svg_texts(&old.join("chart_distribution.svg"));
    assert!(
        distribution.iter().any(|t| t.contains("distribution.csv is missing")),
        "{distribution:?}"
    );
    // With the files copied too, the report is the run's, byte for byte.
    for file in EXTRA_FILES {
        fs::copy(out.join(file), old.join(file)).unwrap();
    }
    forcegen().arg("report").arg(&old).assert().code(0);
    for file in forcegen::output::schema::REPORT_FILES {
        assert!(
            fs::read(out.join(file)).unwrap() == fs::read(old.join(file)).unwrap(),
            "{file} differs"
        );
    }
}

#[test]
fn benchmarks_need_every_field() {
    let work = tempfile::tempdir().unwrap();
    let text = SMALL.replace("source = \"folklore\"\n", "");
    let scenario = write_file(work.path(), "bad.toml", &text);
    let out = work.path().join("out");
    let output = run_output(&scenario, &out, &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("benchmarks.far line.source") && stderr.contains("folklore"),
        "{stderr}"
    );
    assert!(!out.exists());
}
