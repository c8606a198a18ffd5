//! `sensitivity --sobol`: Sobol indices against a scenario whose indices
//! are known in closed form (an additive pair, and a pair that matters only
//! together), thread-count independence, the page, and refusals.

use std::fs;
use std::path::Path;

use crate::cli_support::{cell, entries, forcegen, read_csv, stderr_of, write_file};

/// Everyone arrives on day 0 and stays (no attrition, no withdrawal):
/// - `international` = round(1000 a) + round(2000 b) + 500 c + 500 d, with
///   a, b uniform on 0..1 (the fulfilments) and c, d yes/no with chance
///   0.5 (the pledges of C and D): additive, so each input's first and
///   total index are its share of the variance, 1000^2/12, 2000^2/12 and
///   500^2/4 each of 541,667 (rounding adds 1/6 in all);
/// - "C and D" (police >= 1000) is reached when both come, c d: each
///   alone explains Var(E[cd | c]) = 1/16 of Var(cd) = 3/16, a third, and
///   all of it with the other: first order 1/3, total 2/3;
/// - E's attrition touches no one: 0 and 0.
const SCENARIO: &str = r#"name = "Sobol test"

[simulation]
start = 2024-01-01
horizon_days = 28
step = "week"
trials = 300
seed = 3

[population]
initial = 1000000

[[contributors]]
name = "A"
kind = "military"
pledged = 1000
fulfilment = "uniform(0, 1)"
first_arrival_days = 0

[[contributors]]
name = "B"
kind = "military"
pledged = 2000
fulfilment = "uniform(0, 1)"
first_arrival_days = 0

[[contributors]]
name = "C"
kind = "police"
pledged = 500
probability = 0.5
first_arrival_days = 0

[[contributors]]
name = "D"
kind = "police"
pledged = 500
probability = 0.5
first_arrival_days = 0

[[contributors]]
name = "E"
kind = "military"
attrition_per_year = "uniform(0.01, 0.2)"

[[targets]]
name = "C and D"
metric = "international_police"
at_least = 1000
"#;

fn sobol(dir: &Path, out: &Path, rows: &str, extra: &[&str]) {
    let file = write_file(dir, "sobol.toml", SCENARIO);
    let output = forcegen()
        .arg("sensitivity")
        .arg(&file)
        .args(["--sobol", "--sobol-rows", rows, "--metric", "international", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or_else(|_| panic!("{text:?} is not a number"))
}

/// The closed-form indices of the test scenario: (output, input,
/// (first, total)). International strength adds A's and B's uniform
/// fulfilments and C's and D's 50% pledges; "C and D" is reached only when
/// both come (a purely interactive pair); E touches nothing.
fn closed_form_indices() -> [(&'static str, &'static str, (f64, f64)); 9] {
    let variance = 1000.0f64.powi(2) / 12.0 + 2000.0f64.powi(2) / 12.0 + 2.0 * 500.0f64.powi(2) / 4.0;
    let share = |v: f64| (v, v);
    [
        (
            "reached by 2024-01-29: C and D",
            "contributors.C.probability",
            (1.0 / 3.0, 2.0 / 3.0),
        ),
        (
            "reached by 2024-01-29: C and D",
            "contributors.D.probability",
            (1.0 / 3.0, 2.0 / 3.0),
        ),
        (
            "reached by 2024-01-29: C and D",
            "contributors.A.fulfilment",
            (0.0, 0.0),
        ),
        (
            "reached by 2024-01-29: C and D",
            "contributors.E.attrition_per_year",
            (0.0, 0.0),
        ),
        (
            "international on 2024-01-29",
            "contributors.A.fulfilment",
            share(1000.0f64.powi(2) / 12.0 / variance),
        ),
        (
            "international on 2024-01-29",
            "contributors.B.fulfilment",
            share(2000.0f64.powi(2) / 12.0 / variance),
        ),
        (
            "international on 2024-01-29",
            "contributors.C.probability",
            share(62_500.0 / variance),
        ),
        (
            "international on 2024-01-29",
            "contributors.D.probability",
            share(62_500.0 / variance),
        ),
        (
            "international on 2024-01-29",
            "contributors.E.attrition_per_year",
            (0.0, 0.0),
        ),
    ]
}

#[test]
fn indices_match_their_closed_form_within_their_monte_carlo_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("out");
    sobol(dir.path(), &out, "16000", &[]);
    let expected = closed_form_indices();
    let (header, rows) = read_csv(&out.join("sobol.csv"));
    assert_eq!(
        header,
        [
            "output",
            "input",
            "first",
            "first_low",
            "first_high",
            "total",
            "total_low",
            "total_high"
        ]
    );
    for (output, input, (first, total)) in expected {
        let row = rows
            .iter()
            .find(|r| cell(&header, r, "output") == output && cell(&header, r, "input") == input)
            .unwrap_or_else(|| panic!("no row {output} / {input}"));
        for (name, truth) in [("first", first), ("total", total)] {
            let estimate = number(cell(&header, row, name));
            let low = number(cell(&header, row, &format!("{name}_low")));
            let high = number(cell(&header, row, &format!("{name}_high")));
            // The bootstrap's standard error: a 90% interval is 3.29 of them.
            let se = (high - low) / 3.29;
            assert!(
                se < 0.05,
                "{output} / {input}: {name} is too imprecise to test ({low}..{high})"
            );
            assert!(
                (estimate - truth).abs() <= 4.0 * se + 1e-4,
                "{output} / {input}: {name} {estimate} (90% {low}..{high}) against {truth}"
            );
        }
    }
    // An input that touches nothing: exactly 0, every row of AB its A.
    let untouched = rows
        .iter()
        .filter(|r| cell(&header, r, "input") == "contributors.E.attrition_per_year");
    for row in untouched {
        assert_eq!((cell(&header, row, "first"), cell(&header, row, "total")), ("0", "0"));
    }
}

#[test]
fn sobol_files_the_page_and_any_thread_count() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sobol(dir.path(), &one, "700", &["--threads", "1"]);
    sobol(dir.path(), &two, "700", &["--threads", "2"]);
    assert!(entries(&one).contains(&"sobol.csv".to_string()));
    for name in entries(&one) {
        assert_eq!(fs::read(one.join(&name)).ok(), fs::read(two.join(&name)).ok(), "{name}");
    }
    let (header, rows) = read_csv(&one.join("sensitivity_info.csv"));
    assert_eq!(cell(&header, &rows[0], "sobol_rows"), "700");
    assert_eq!(cell(&header, &rows[0], "sobol_date"), "2024-01-29");
    assert_eq!(cell(&header, &rows[0], "sobol_inputs"), "5");
    let names = ["sensitivity.csv", "sensitivity_info.csv", "sobol.csv"];
    let files: Vec<(&str, Vec<u8>)> = names
        .iter()
        .map(|n| (*n, fs::read(one.join(n)).expect("read")))
        .collect();
    let page = forcegen::report::pages::sensitivity::render(&files).expect("the page");
    assert_eq!(page.as_bytes(), fs::read(one.join("sensitivity.html")).expect("read"));
    assert!(
        page.contains("chart-sobol-1") && page.contains("chart-tornado-1"),
        "both rankings"
    );
    assert!(page.contains("has the largest total Sobol index"), "a Sobol finding");
    // Without --sobol, the folder's sobol.csv goes (the page has no Sobol part).
    let file = dir.path().join("sobol.toml");
    let output = forcegen()
        .arg("sensitivity")
        .arg(&file)
        .args(["--quiet", "--out"])
        .arg(&one)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(!one.join("sobol.csv").exists());
}

#[test]
fn correlated_inputs_and_bad_flags_are_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = format!(
        "{SCENARIO}\n[[correlations]]\ninputs = [\"contributors.A.fulfilment\", \"contributors.B.fulfilment\"]\nrank_correlation = 0.5\n"
    );
    let file = write_file(dir.path(), "correlated.toml", &text);
    let out = dir.path().join("out");
    let cases: [(&[&str], &str); 4] = [
        (&["--sobol"], "needs inputs drawn independently"),
        (&["--sobol-rows", "100"], "--sobol"),
        (&["--sobol", "--metric", "nonsense"], "--metric nonsense"),
        (&["--sobol", "--sobol-rows", "1"], "--sobol-rows must be"),
    ];
    for (i, (extra, message)) in cases.into_iter().enumerate() {
        let scenario = if i == 0 {
            file.clone()
        } else {
            write_file(dir.path(), "plain.toml", SCENARIO)
        };
        let output = forcegen()
            .arg("sensitivity")
            .arg(&scenario)
            .args(extra)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run forcegen");
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        assert!(
            stderr_of(&output).contains(message),
            "{extra:?}: {}",
            stderr_of(&output)
        );
        assert!(!out.exists(), "{extra:?} wrote nothing");
    }
}
