//! `report.html` and the charts: written with the CSV files by `run`,
//! rebuilt byte for byte by `forcegen report OUTDIR` from the CSV files
//! alone; and `run --wide` (`timeseries_wide.csv`).

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{EXTRA_FILES, FILES, REPORT_FILES, forcegen, read_csv};

/// Runs the built-in baseline (small) into `dir/name`, with extra args.
fn run_baseline(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    forcegen()
        .args(["run", "--trials", "500", "--quiet", "--out"])
        .arg(&out)
        .args(extra)
        .assert()
        .code(0);
    out
}

#[test]
fn run_writes_the_report_and_report_rebuilds_it_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    let out = run_baseline(work.path(), "run", &[]);
    let copy = work.path().join("copy");
    fs::create_dir(&copy).unwrap();
    for file in FILES.iter().chain(&EXTRA_FILES) {
        fs::copy(out.join(file), copy.join(file)).unwrap();
    }
    forcegen().arg("report").arg(&copy).assert().code(0);
    for file in REPORT_FILES {
        let from_run = fs::read(out.join(file)).unwrap_or_else(|e| panic!("run did not write {file}: {e}"));
        let rebuilt = fs::read(copy.join(file)).unwrap_or_else(|e| panic!("report did not write {file}: {e}"));
        assert!(from_run == rebuilt, "{file} from `run` and from `report` differ");
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    for id in [
        "chart-international",
        "chart-police-ratio",
        "chart-targets",
        "chart-contributors",
        "chart-distribution",
    ] {
        assert!(html.contains(&format!("<svg id=\"{id}\"")), "no chart {id}");
    }
    for id in ["drivers", "assumptions", "summary", "contributors", "run-info"] {
        assert!(html.contains(&format!("<table id=\"{id}\">")), "no table {id}");
    }
    // Self-contained: nothing is loaded from anywhere else.
    for forbidden in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(forbidden), "report.html contains {forbidden}");
    }
    // No temporary files left behind.
    for entry in fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "left behind: {name}");
    }
}

#[test]
fn report_needs_the_csv_files() {
    let work = tempfile::tempdir().unwrap();
    let assert = forcegen().arg("report").arg(work.path()).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with("error:") && stderr.contains("timeseries.csv"),
        "{stderr}"
    );
    assert_eq!(fs::read_dir(work.path()).unwrap().count(), 0, "report wrote something");
}

#[test]
fn wide_has_one_row_per_date_and_the_values_of_timeseries() {
    let work = tempfile::tempdir().unwrap();
    let plain = run_baseline(work.path(), "plain", &[]);
    assert!(!plain.join("timeseries_wide.csv").exists(), "written without --wide");
    // A run without --wide removes the wide file of an earlier run, which
    // would no longer match.
    run_baseline(work.path(), "plain", &["--wide"]);
    assert!(plain.join("timeseries_wide.csv").is_file());
    run_baseline(work.path(), "plain", &[]);
    assert!(
        !plain.join("timeseries_wide.csv").exists(),
        "a stale wide file was left"
    );
    let out = run_baseline(work.path(), "wide", &["--wide"]);
    let (long_header, long) = read_csv(&out.join("timeseries.csv"));
    let (header, wide) = read_csv(&out.join("timeseries_wide.csv"));
    assert_eq!(&header[..2], ["date", "day"]);
    let stats = ["mean", "sd", "p5", "p25", "p50", "p75", "p95"];
    let mut dates: Vec<&str> = long.iter().map(|r| r[0].as_str()).collect();
    dates.dedup();
    assert_eq!(wide.len(), dates.len(), "one row per report date");
    let metrics: Vec<&str> = {
        let mut m: Vec<&str> = long.iter().map(|r| r[2].as_str()).collect();
        let first_date = &long[0][0];
        m.truncate(long.iter().take_while(|r| &r[0] == first_date).count());
        m
    };
    assert!(header.contains(&"international_p5".to_string()), "{header:?}");
    assert_eq!(header.len(), 2 + metrics.len() * stats.len());
    for row in &long {
        let w = wide.iter().find(|w| w[0] == row[0]).expect("every date has a wide row");
        assert_eq!(w[1], row[1], "day of {}", row[0]);
        for stat in stats {
            let long_col = long_header.iter().position(|h| h == stat).unwrap();
            let wide_col = header.iter().position(|h| *h == format!("{}_{stat}", row[2])).unwrap();
            assert_eq!(w[wide_col], row[long_col], "{} {} {stat}", row[0], row[2]);
        }
    }
}

/// A what-if's report says so in its title and under every chart, and
/// opens with each target's finding in a sentence, formatted for people
/// (the CSV files keep plain numbers).
#[test]
fn a_what_if_report_names_its_overrides_and_opens_with_findings() {
    let work = tempfile::tempdir().unwrap();
    let set = "contributors.Kenya.probability=0.5";
    let out = run_baseline(work.path(), "what-if", &["--set", set]);
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let what_if = format!("(what-if: --set {set})");
    assert!(
        html.contains(&format!("<title>Haiti MSS, baseline as of 30 Sep 2024 {what_if}")),
        "title"
    );
    assert!(
        html.contains(&format!("<h1>Haiti MSS, baseline as of 30 Sep 2024 {what_if}</h1>")),
        "h1"
    );
    let captions: Vec<&str> = html.split("<figcaption>").skip(1).collect();
    assert_eq!(captions.len(), 5);
    for caption in captions {
        let caption = &caption[..caption.find("</figcaption>").unwrap()];
        assert!(
            caption.contains(&what_if) && caption.contains("500 trials, seed 20240930"),
            "{caption}"
        );
    }
    // Each chart file says which run it shows: a what-if pasted into a
    // slide does not pass for the baseline.
    let run = format!("Haiti MSS, baseline as of 30 Sep 2024 {what_if}: 500 trials, seed 20240930");
    for chart in &crate::cli_support::REPORT_FILES[1..] {
        let svg = fs::read_to_string(out.join(chart)).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).map(str::trim).collect();
        assert!(
            texts.contains(&run.as_str()),
            "{chart} does not name the run: {texts:?}"
        );
        let title = doc
            .descendants()
            .find(|n| n.has_tag_name("title"))
            .and_then(|n| n.text());
        assert!(title.is_some_and(|t| t.ends_with(&run)), "{chart}'s title: {title:?}");
    }
    // The tables fit the page: long names and sources wrap, numbers do not.
    assert!(html.contains("overflow-wrap: anywhere") && html.contains("max-width: 100%"));
    let (header, rows) = read_csv(&out.join("summary.csv"));
    let findings = &html[html.find("<ul id=\"findings\">").expect("findings")..];
    let findings = &findings[..findings.find("</ul>").unwrap()];
    // A sentence per target, then the strength and the police on the date.
    assert_eq!(findings.matches("<li>").count(), rows.len() + 2);
    assert!(findings.contains("<li>Strength on 30 Sep 2026: international personnel "));
    assert!(findings.contains("<li>Police on 30 Sep 2026: police per 100,000 inhabitants "));
    let p = header.iter().position(|h| h == "p_reached_by_horizon").unwrap();
    for row in &rows {
        let share = format!("{:.1}% by 30 Sep 2026", 100.0 * row[p].parse::<f64>().unwrap());
        assert!(
            findings.contains(&format!("<li>{} (", row[0])) && findings.contains(&format!("): {share} (")),
            "{share} in {findings}"
        );
    }
    // The summary table shows percentages; summary.csv stays plain.
    let summary = &html[html.find("<table id=\"summary\">").unwrap()..];
    assert!(summary[..summary.find("</table>").unwrap()].contains("%</td>"));
    assert!(!fs::read_to_string(out.join("summary.csv")).unwrap().contains('%'));
    // Without --set, no what-if.
    let plain = run_baseline(work.path(), "plain", &[]);
    assert!(
        !fs::read_to_string(plain.join("report.html"))
            .unwrap()
            .contains("what-if")
    );
}
