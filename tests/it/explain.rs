//! `forcegen explain` end to end: every input of the baseline is listed,
//! known distributions give their known percentiles (within sampling error
//! of 100,000 draws), the output is deterministic, and a scenario built to
//! trip every warning gets each one, naming its field.

use std::collections::HashMap;
use std::fs;

use crate::cli_support::{self, baseline, forcegen, read_csv, stderr_of, write_file};
use forcegen::scenario::parse_str;

fn explain_stdout(args: &[&std::ffi::OsStr]) -> String {
    let output = forcegen().arg("explain").args(args).output().expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_built_in_baseline_lists_every_input_path() {
    let text = fs::read_to_string(baseline()).expect("the baseline scenario");
    let scenario = parse_str(&text, "haiti-mss-2024-09.toml").expect("parses");
    let stdout = explain_stdout(&[]);
    assert!(stdout.starts_with(&scenario.name), "{stdout}");
    assert!(stdout.contains("(built in)"), "{stdout}");
    let inputs = scenario.inputs();
    assert!(inputs.len() > 50);
    for input in inputs {
        let listed = stdout.lines().any(|line| {
            let line = line.trim_start();
            line.starts_with(&format!("{} ", input.path)) || line.starts_with(&format!("{} = ", input.path))
        });
        assert!(listed, "{} is not listed:\n{stdout}", input.path);
    }
    // Constants are marked as such, and a date is shown for a constant event day.
    assert!(stdout.contains("Constants (the same in every trial):"));
    assert!(
        stdout.contains("events.mandate_lapse.day = 367 (2025-10-02)"),
        "{stdout}"
    );
    // The file form gives the same text (apart from its name), every time.
    let from_file = explain_stdout(&[baseline().as_os_str()]);
    assert_eq!(
        stdout.lines().skip(2).collect::<Vec<_>>(),
        from_file.lines().skip(2).collect::<Vec<_>>()
    );
    assert_eq!(explain_stdout(&[]), stdout, "deterministic");
}

/// Rows of the `--csv` file: (path, cells by column name).
type Rows = Vec<(String, HashMap<String, String>)>;

/// Runs `explain --csv` on `scenario` and returns (stdout, CSV rows by path).
fn explain_with_csv(scenario: &str) -> (String, Rows) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = write_file(dir.path(), "s.toml", scenario);
    let csv = dir.path().join("inputs.csv");
    let stdout = explain_stdout(&[path.as_os_str(), "--csv".as_ref(), csv.as_os_str()]);
    let (header, rows) = read_csv(&csv);
    assert_eq!(
        header,
        [
            "path",
            "kind",
            "distribution",
            "constant",
            "p5",
            "p50",
            "p95",
            "mean",
            "clamped_share"
        ]
    );
    let rows = rows
        .into_iter()
        .map(|row| (row[0].clone(), header.iter().cloned().zip(row).collect()))
        .collect();
    (stdout, rows)
}

fn value(rows: &Rows, path: &str, column: &str) -> f64 {
    let (_, row) = rows
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no row {path}"));
    row[column].parse().expect("a number")
}

const KNOWN: &str = r#"name = "Known distributions"
[simulation]
start = 2025-01-01
horizon_days = 365
[population]
initial = 1000000
[[contributors]]
name = "A"
deployed = 10
pledged = 100
fulfilment = "uniform(0.2, 0.4)"
first_arrival_days = "normal(20, 10)"
[[events]]
name = "e"
day = "uniform(10, 20)"
effect = "unlock"
"#;

#[test]
fn known_distributions_give_their_percentiles_after_rounding_and_clamping() {
    let (stdout, rows) = explain_with_csv(KNOWN);
    // A day from uniform(10, 20), rounded: p50 = 15, mean 15; p95 is 19 or 20.
    assert_eq!(value(&rows, "events.e.day", "p50"), 15.0);
    assert!((value(&rows, "events.e.day", "mean") - 15.0).abs() < 0.03);
    assert!((19.0..=20.0).contains(&value(&rows, "events.e.day", "p95")));
    // A fraction from uniform(0.2, 0.4): quantiles 0.21, 0.30, 0.39. The SE
    // of a sample quantile is sqrt(p (1 - p) / n) / density: at most
    // sqrt(0.25 / 1e5) / 5 = 0.0003.
    for (column, expect) in [("p5", 0.21), ("p50", 0.30), ("p95", 0.39)] {
        let got = value(&rows, "contributors.A.fulfilment", column);
        assert!((got - expect).abs() < 0.002, "{column}: {got}");
    }
    // A day from normal(20, 10): below -0.5 (rounds below 0) with probability
    // Phi(-2.05) = 0.0202; those draws are clamped to 0 (SE 0.00044).
    let clamped = value(&rows, "contributors.A.first_arrival_days", "clamped_share");
    assert!((clamped - 0.020_18).abs() < 0.002, "{clamped}");
    assert!(stdout.contains("contributors.A.first_arrival_days:"), "{stdout}");
    // Constants are in the CSV, marked.
    assert_eq!(value(&rows, "population.initial", "constant"), 1.0);
    assert_eq!(value(&rows, "population.initial", "p50"), 1_000_000.0);
    assert_eq!(value(&rows, "events.e.day", "constant"), 0.0);
}

/// Every warning at least once; the comment on each line names the field it trips.
const WARNINGS: &str = r#"name = "Every warning"
[simulation]
start = 2025-01-01
horizon_days = 365
[population]
initial = 100000
[host_police]
initial = 100
[[host_police.intakes]]
day = 400                       # after the horizon: intakes.1.day
size = 50
[[host_police.intakes]]
day = 100
size = 50
probability = 0                 # never graduates: intakes.2.probability
[[host_police.intakes]]
first_day = 30
every_days = 90
size = "uniform(0, 0.4)"        # always 0 after rounding: intakes.3.size
[[contributors]]
name = "Clamped"
deployed = 100
pledged = 100
fulfilment = "normal(0.9, 0.1)" # 16% above 1: contributors.Clamped.fulfilment
[[contributors]]
name = "Never"
pledged = 100
probability = 0                 # contributors.Never.probability
[[contributors]]
name = "Waiting"
pledged = 100
after = "impossible"            # contributors.Waiting.after
[[contributors]]
name = "Late"
pledged = 100
first_arrival_days = "uniform(400, 500)"   # contributors.Late.first_arrival_days
[[events]]
name = "impossible"
probability = 0                 # events.impossible.probability
day = 10
effect = "unlock"
[[events]]
name = "after_horizon"
day = 2026-06-01                # events.after_horizon.day, always
effect = "end_mission"
[[events]]
name = "sometimes_late"
day = "uniform(300, 430)"       # events.sometimes_late.day, in about half the draws
effect = "end_mission"
[[targets]]
name = "Too many"
metric = "international"
at_least = 100000               # more than all pledges
[[targets]]
name = "Too many police"
metric = "contributor:Late"
at_least = 101                  # more than Late pledged
[[targets]]
name = "Already there"
metric = "international"
at_least = 50                   # met on day 0 by the 100 deployed
[[targets]]
name = "Ratio out of reach"
metric = "police_per_100k"
at_least = 5000                 # at most ~ (100 + 100 + 400 police) per 100,000
"#;

#[test]
fn a_scenario_built_to_trip_every_warning_gets_each_one() {
    let (stdout, _) = explain_with_csv(WARNINGS);
    let warnings = stdout
        .split("\nWarnings (")
        .nth(1)
        .unwrap_or_else(|| panic!("no warnings:\n{stdout}"));
    // Warnings are wrapped: join the lines back for matching.
    let warnings = warnings.split_whitespace().collect::<Vec<_>>().join(" ");
    for (field, words) in [
        (
            "contributors.Clamped.fulfilment:",
            "15.9% of draws of normal(0.9, 0.1) fall outside 0 to 1",
        ),
        (
            "host_police.intakes.1.day:",
            "day 400 (2026-02-05) is after the horizon, day 365 (2026-01-01)",
        ),
        (
            "host_police.intakes.2.probability:",
            "is 0: this intake never graduates",
        ),
        ("host_police.intakes.3.size:", "uniform(0, 0.4) is 0 in every draw"),
        (
            "contributors.Never.probability:",
            "is 0: none of the 100 pledged ever arrives",
        ),
        (
            "contributors.Waiting.after:",
            "waits on event `impossible`, whose probability is 0",
        ),
        (
            "contributors.Late.first_arrival_days:",
            "uniform(400, 500) puts the first wave after the horizon",
        ),
        ("events.impossible.probability:", "is 0: this event never happens"),
        ("events.after_horizon.day:", "day 516 (2026-06-01) is after the horizon"),
        (
            "events.sometimes_late.day:",
            "uniform(300, 430) is after the horizon, day 365 (2026-01-01) in",
        ),
        (
            "targets.Too many.at_least:",
            "100000 cannot be reached: deployed plus pledged is only 500 for all",
        ),
        (
            "targets.Too many police.at_least:",
            "101 cannot be reached: deployed plus pledged is only 100 for contributor Late, so contributor:Late",
        ),
        (
            "targets.Already there.at_least:",
            "50 is already met on day 0 in every trial",
        ),
        (
            "targets.Ratio out of reach.at_least:",
            "5000 is out of reach: police_per_100k is at most",
        ),
    ] {
        let expect = format!("{field} {words}");
        assert!(
            warnings.contains(&expect),
            "missing warning:\n{expect}\nin:\n{warnings}"
        );
    }
    // P(round(uniform(300, 430)) > 365) = 64.5 / 130 = 0.496; SE 0.0016 over 100,000 draws.
    let late = warnings
        .split("uniform(300, 430) is after the horizon, day 365 (2026-01-01) in ")
        .nth(1)
        .and_then(|rest| rest.split("% of draws").next())
        .and_then(|share| share.parse::<f64>().ok())
        .expect("a share of draws after the horizon");
    assert!((late - 49.6).abs() < 0.6, "{late}");
    // The clamping warning also gives the effect on the mean.
    assert!(warnings.contains("instead of the distribution's 0.9"), "{warnings}");
}

#[test]
fn a_bad_scenario_or_csv_path_is_refused_with_exit_2_or_1() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let bad = write_file(dir.path(), "bad.toml", "name = \"x\"\n");
    let output = forcegen().arg("explain").arg(&bad).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("bad.toml"), "{}", stderr_of(&output));
    // A --csv folder that cannot be created: a failure to write (1), nothing printed.
    let blocker = write_file(dir.path(), "file", "not a folder");
    let output = forcegen()
        .arg("explain")
        .arg("--csv")
        .arg(blocker.join("inputs.csv"))
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(output.stdout.is_empty());
}

/// The pessimistic scenario correlates four fulfilments at rank 0.5; explain
/// shows each pair with its sampled rank correlation, which must lie within
/// 4 standard errors of 0.5 on the Fisher scale (SE sqrt((1 + r^2/2) / (n - 3))
/// for n = 20,000 draws, Bonett and Wright 2000).
#[test]
fn correlations_are_echoed_with_their_sampled_rank_correlation() {
    let path = cli_support::scenarios_dir().join("haiti-pessimistic.toml");
    let stdout = explain_stdout(&[path.as_os_str()]);
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("requested")).collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    let se = ((1.0f64 + 0.125) / (20_000.0 - 3.0)).sqrt();
    for line in lines {
        assert!(line.contains("rank correlation +0.500 requested"), "{line}");
        let sampled: f64 = line
            .split(", ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no sampled value in {line}"));
        let off = (sampled.atanh() - 0.5f64.atanh()).abs();
        assert!(off < 4.0 * se, "{line}: {:.2} SE off", off / se);
    }
}

/// `explain --set` explains the what-if: the header names the overrides,
/// and an overridden distribution is the one listed.
#[test]
fn explain_with_set_names_the_what_if() {
    let stdout = explain_stdout(&[
        "--set".as_ref(),
        "contributors.Kenya.probability=0.3".as_ref(),
        "--set".as_ref(),
        "contributors.Kenya.fulfilment=beta(2, 2)".as_ref(),
    ]);
    assert!(
        stdout.contains(
            "  what-if: --set contributors.Kenya.probability=0.3; contributors.Kenya.fulfilment=beta(2, 2)\n"
        ),
        "{stdout}"
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("contributors.Kenya.fulfilment "))
        .expect("the fulfilment's row");
    assert!(line.contains("beta(2, 2)"), "{line}");
    assert!(
        !explain_stdout(&[]).contains("what-if"),
        "no what-if line without --set"
    );
}
