//! Answers nobody can misread (issue #30 points 1 and 3): on the GSF, the
//! findings, the terminal summary and the workbook's first sheet give the
//! strength, police ratios, money and capabilities on the report date as
//! `timeseries.csv` has them, every target with the level it means (4,950
//! for 90% of the 5,500 ceiling, also drawn on the chart), no figure that
//! is a cap (months of cover at 120 is "10 years or more"), no false
//! precision, and a contingent drawing down is not "delivered in full".

use std::fs;
use std::path::Path;

use crate::cli_support::{cell, forcegen, read_csv, scenarios_dir, stderr_of};

/// Runs the GSF (3,000 trials) into `out` with `args`; its standard output.
fn run_gsf(out: &Path, args: &[&str]) -> String {
    let output = forcegen()
        .arg("run")
        .arg(scenarios_dir().join("haiti-gsf-2026-04.toml"))
        .args(["--trials", "3000", "--seed", "11", "--no-drivers", "--xlsx", "--out"])
        .arg(out)
        .args(args)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    String::from_utf8(output.stdout).expect("utf-8")
}

/// `timeseries.csv`'s p5, p50 and p95 of `metric` on `date`.
fn percentiles(out: &Path, metric: &str, date: &str) -> [f64; 3] {
    let (header, rows) = read_csv(&out.join("timeseries.csv"));
    let row = rows
        .iter()
        .find(|r| cell(&header, r, "metric") == metric && cell(&header, r, "date") == date)
        .unwrap_or_else(|| panic!("no {metric} on {date}"));
    ["p5", "p50", "p95"].map(|p| cell(&header, row, p).parse().unwrap())
}

fn thousands(v: f64) -> String {
    forcegen::report::answers::thousands(v)
}

fn findings(report: &str) -> &str {
    let findings = &report[report.find("<ul id=\"findings\">").expect("findings")..];
    &findings[..findings.find("</ul>").unwrap()]
}

#[test]
fn the_findings_summary_and_workbook_give_the_strength_and_thresholds_on_the_report_date() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("gsf");
    let stdout = run_gsf(&out, &[]);
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    let [low, median, high] = percentiles(&out, "international", "2026-10-02");
    let band = format!(
        "{} (90% of trials: {} to {})",
        thousands(median),
        thousands(low),
        thousands(high)
    );
    let finding = format!("Strength on 2 Oct 2026: international personnel {band}");
    assert!(findings(&report).contains(&finding), "no `{finding}` in the findings");
    let line = format!(
        "    international personnel: {} ({} to {})",
        thousands(median),
        thousands(low),
        thousands(high)
    );
    assert!(stdout.lines().any(|l| l == line), "no `{line}` in:\n{stdout}");
    assert!(stdout.contains("  On 2026-10-02 (median; 90% of trials):"), "{stdout}");
    // The share of the ceiling means 4,950: in summary.csv, the findings,
    // the terminal, the chart's target line and the workbook.
    let (header, rows) = read_csv(&out.join("summary.csv"));
    let share = rows
        .iter()
        .find(|r| cell(&header, r, "target") == "GSF at 90% of ceiling")
        .expect("the target");
    assert_eq!(cell(&header, share, "at_least"), "4950");
    assert!(report.contains("GSF at 90% of ceiling (international at least 4,950): "));
    assert!(stdout.contains("  GSF at 90% of ceiling (international at least 4,950): "));
    assert!(
        report.contains("target GSF at 90% of ceiling: 4,950"),
        "the line on the chart"
    );
    let svg = fs::read_to_string(out.join("chart_international.svg")).unwrap();
    assert!(
        svg.contains("target GSF at 90% of ceiling: 4,950"),
        "the line in the chart file"
    );
    for police in [
        "police per 100,000 on the payroll",
        "police per 100,000 available for duty",
    ] {
        assert!(stdout.contains(&format!("    {police} ")), "{police} in:\n{stdout}");
        assert!(findings(&report).contains(police), "{police} in the findings");
    }
    assert!(stdout.contains("    capability helicopters: "), "{stdout}");
}

#[test]
fn no_shown_figure_is_a_cap_and_none_has_false_precision() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("gsf");
    // On the horizon, after the mandate may have ended, some trials charge
    // nothing: their months of cover are at the cap, 120.
    let stdout = run_gsf(&out, &["--report-date", "2027-04-30"]);
    let cap = forcegen::model::MAX_MONTHS_OF_COVER;
    let [_, _, high] = percentiles(&out, "months_of_cover", "2027-04-30");
    assert_eq!(high, cap, "the test needs a p95 at the cap");
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    let findings = findings(&report);
    for shown in [findings, stdout.as_str()] {
        assert!(shown.contains("to 10 years or more"), "the cap as what it is:\n{shown}");
        for cap in ["120.0", "120 months", "120.00"] {
            assert!(!shown.contains(cap), "`{cap}` shown as a result:\n{shown}");
        }
        // No standard error of 0.0 pp, no four-decimal head count, money in
        // three significant figures.
        assert!(!shown.contains("±0.0 pp"), "{shown}");
        assert!(!shown.contains("USD 50,"), "{shown}");
    }
    // The money chart's axis stops below the cap and says what its top edge means.
    let money = &report[report.find("<svg id=\"chart-money\"").expect("the money chart")..];
    let money = &money[..money.find("</svg>").unwrap()];
    assert!(
        money.contains("band at the top edge: more than "),
        "no note on the capped band"
    );
    assert!(!money.contains(">\n120\n<"), "a tick at the cap");
    // The workbook's first sheet writes the cap as words too.
    let xlsx = fs::read(out.join("results.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut strings = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/sharedStrings.xml").unwrap(), &mut strings).unwrap();
    assert!(strings.contains("10 years or more"));
}

#[test]
fn a_contingent_drawing_down_is_not_a_pledge_delivered_in_full() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("gsf");
    run_gsf(&out, &[]);
    let (header, rows) = read_csv(&out.join("contributors.csv"));
    let kenya = rows
        .iter()
        .find(|r| cell(&header, r, "contributor") == "Kenya")
        .unwrap();
    assert_eq!(cell(&header, kenya, "pledged"), "0");
    assert_eq!(
        cell(&header, kenya, "p_full_delivery"),
        "",
        "nothing pledged, nothing delivered in full"
    );
    let report = fs::read_to_string(out.join("report.html")).unwrap();
    let table = &report[report.find("<table id=\"contributors\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let row = &table[table.find("<td>Kenya</td>").expect("Kenya's row")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("no pledge") && !row.contains("100.0%"), "{row}");
    // Its strength on day 0 and on the report date shows the drawdown.
    let [_, start, _] = percentiles(&out, "contributor:Kenya", "2026-04-30");
    let [_, later, _] = percentiles(&out, "contributor:Kenya", "2026-10-02");
    assert!(later < start, "Kenya draws down: {start} then {later}");
    for value in [start, later] {
        assert!(row.contains(&format!(">{}</td>", thousands(value))), "{value} in {row}");
    }
    // Mean deliveries are whole people in the report (the CSV keeps 4 decimals).
    assert!(!table.contains(".3932"), "{table}");
}
