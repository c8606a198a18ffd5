//! The run report's model v2 section: with `[funding]` and capabilities, the
//! findings say the months of money left, the fund's balance and the
//! enablers on the horizon, and a chart of months of cover is drawn inline;
//! a run without them has neither (its report is the same as before).

use std::fs;

use crate::cli_support::{cell, read_csv, run_ok, write_file};

/// One contingent of 100 arriving on day 10 with 2 helicopters, charged 1,000 USD a
/// person-month to a fund that starts with 1,200,000 USD: 12 months of
/// cover when it arrives, fewer as the months pass, the same in every trial.
const FUNDED: &str = r#"name = "funded"
[simulation]
start = 2025-01-01
horizon_days = 120
step = "month"
trials = 200
[population]
initial = 1000000
[funding]
start_balance = 1200000
cost_per_person_month = 1000
[[contributors]]
name = "A"
pledged = 100
first_arrival_days = 10
capabilities = { helicopters = 2 }
[[targets]]
name = "six months of cover"
metric = "months_of_cover"
at_least = 6
"#;

#[test]
fn a_funded_run_reports_its_money_and_enablers() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_file(dir.path(), "funded.toml", FUNDED);
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    let report = fs::read_to_string(out.join("report.html")).unwrap();

    // The sentence quotes the horizon's median months of cover, one decimal.
    let (header, rows) = read_csv(&out.join("timeseries.csv"));
    let last = rows
        .iter()
        .rfind(|row| cell(&header, row, "metric") == "months_of_cover")
        .expect("months_of_cover rows");
    let months: f64 = cell(&header, last, "p50").parse().unwrap();
    assert!(months > 0.0 && months < 12.0, "{months}");
    let sentence = format!("Money on 1 May 2025: {months:.1} months of cover in the median trial");
    assert!(report.contains(&sentence), "no `{sentence}` in the findings");
    assert!(report.contains("the fund&#39;s balance (USD "), "the fund's balance");
    assert!(
        report.contains("Capabilities on 1 May 2025: capability helicopters 2 "),
        "the enablers"
    );
    assert!(report.contains("<svg id=\"chart-money\""), "the money chart");
    assert!(
        report.contains("target six months of cover: 6"),
        "the target's line on it"
    );
    assert!(
        !report.contains("chart-police-layers"),
        "no police layers in this scenario"
    );
}

#[test]
fn a_run_without_money_has_no_money_section() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let baseline = crate::cli_support::scenarios_dir().join("haiti-mss-2024-09.toml");
    run_ok(&baseline, &out, &["--trials", "200"]);
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    for absent in ["chart-money", "chart-police-layers", "Money on", "Capability "] {
        assert!(!report.contains(absent), "{absent} in a run without [funding]");
    }
}

#[test]
fn with_a_report_date_the_findings_say_it_too() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_file(dir.path(), "funded.toml", FUNDED);
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &["--report-date", "2025-03-01"]);
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    // Each target by the report date and by the horizon, the money on the
    // report date (its p50 in timeseries.csv).
    let (header, rows) = read_csv(&out.join("targets.csv"));
    let p = |date: &str| -> f64 {
        let row = rows
            .iter()
            .find(|r| cell(&header, r, "date") == date)
            .expect("the date's row");
        cell(&header, row, "p_reached").parse().unwrap()
    };
    let sentence = format!(
        "six months of cover (months_of_cover at least 6): {:.1}% by 1 Mar 2025, {:.1}% by 1 May 2025",
        100.0 * p("2025-03-01"),
        100.0 * p("2025-05-01")
    );
    assert!(report.contains(&sentence), "no `{sentence}` in the findings");
    let (header, rows) = read_csv(&out.join("timeseries.csv"));
    let row = rows
        .iter()
        .find(|r| cell(&header, r, "metric") == "months_of_cover" && cell(&header, r, "date") == "2025-03-01")
        .expect("months_of_cover on 1 Mar 2025");
    let months: f64 = cell(&header, row, "p50").parse().unwrap();
    let sentence = format!("Money on 1 Mar 2025: {months:.1} months of cover");
    assert!(report.contains(&sentence), "no `{sentence}` in the findings");
}
