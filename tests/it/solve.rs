//! End-to-end tests of `forcegen solve`: a closed-form answer, the answer's
//! interval against a fine `sweep` of the same input on the same trials,
//! `--largest` and several `--vary`, refusals, thread-count independence,
//! and the page rebuilt from the CSV files.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{cell, entries, forcegen, read_csv, stderr_of, write_file};

/// `X` arrives (on its `first_arrival_days`) only if its pledge is honoured
/// (`probability`), so "X at 50" is reached by a date exactly in the trials
/// where it is honoured and arrives by then: the chance is the share of
/// trials whose uniform draw is below `probability`.
const SCENARIO: &str = r#"name = "Solve test"

[simulation]
start = 2024-01-01
horizon_days = 90
step = "week"
trials = 2000
seed = 11

[population]
initial = 1000000

[[contributors]]
name = "X"
pledged = 100
probability = 0.5
first_arrival_days = 30

[[contributors]]
name = "Y"
deployed = 20
pledged = 200
probability = 0.7
first_arrival_days = "uniform(10, 120)"

[[targets]]
name = "X at 50"
metric = "contributor:X"
at_least = 50
"#;

const TRIALS: f64 = 2000.0;

/// Runs `forcegen ARGS --out OUT`; asserts success and returns stdout.
fn ok(args: &[&str], out: &Path) -> String {
    let output = forcegen()
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn scenario(dir: &Path) -> PathBuf {
    write_file(dir, "solve.toml", SCENARIO)
}

/// The rows of `solve_summary.csv`, as (header, rows).
fn summary(out: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    read_csv(&out.join("solve_summary.csv"))
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or_else(|_| panic!("{text} is not a number"))
}

/// The probability asked for: P(honoured) = q, so the smallest q with a
/// chance of 80% is 0.8, within the chance's Monte Carlo error (two
/// standard errors of a share of 0.8, turned into q one for one) and the
/// resolution.
#[test]
fn the_smallest_probability_for_a_chance_is_the_chance_itself() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (file, out) = (scenario(dir.path()), dir.path().join("out"));
    let stdout = ok(
        &[
            "solve",
            &file.display().to_string(),
            "--target",
            "X at 50",
            "--chance",
            "0.8",
        ]
        .into_iter()
        .chain(["--vary", "contributors.X.probability", "--range", "0..1"])
        .collect::<Vec<_>>(),
        &out,
    );
    assert!(
        stdout.contains("the smallest value for a chance of at least 80.0%"),
        "{stdout}"
    );
    assert_eq!(
        entries(&out),
        ["solve.csv", "solve.html", "solve_info.csv", "solve_summary.csv"]
    );
    let (header, rows) = summary(&out);
    assert_eq!(header, ["input", "answer", "low", "high", "chance", "chance_se"]);
    let row = &rows[0];
    assert_eq!(cell(&header, row, "input"), "contributors.X.probability");
    let answer = number(cell(&header, row, "answer"));
    let tolerance = 2.0 * (0.8f64 * 0.2 / TRIALS).sqrt() + 0.001;
    assert!((answer - 0.8).abs() <= tolerance, "answer {answer}");
    let chance = number(cell(&header, row, "chance"));
    assert!(chance >= 0.8, "the chance at the answer reaches the goal: {chance}");
    let (low, high) = (number(cell(&header, row, "low")), number(cell(&header, row, "high")));
    assert!(low < answer && answer < high, "{low} {answer} {high}");
    // The values not distinguishable from 0.8: about 0.8 +- 2 SE in q.
    let band = 2.0 * (0.16f64 / TRIALS).sqrt();
    assert!((high - low - 2.0 * band).abs() < 0.01, "{low}..{high}");
    let (info_header, info) = read_csv(&out.join("solve_info.csv"));
    let info = &info[0];
    assert_eq!(
        cell(&info_header, info, "by"),
        "2024-03-31",
        "the horizon without report_date"
    );
    assert_eq!(cell(&info_header, info, "direction"), "smallest");
    assert_eq!(cell(&info_header, info, "trials"), "2000");
}

/// The interval and the answer against a fine sweep of the same input on
/// the same trials: each value's chance is the sweep's at that value, the
/// answer is the first swept value with a chance of at least the goal, and
/// the interval holds exactly the swept values within two standard errors
/// of it (the goal's: `sqrt(0.3 * 0.7 / n)`). "Force at 150" needs Y
/// (honoured with `probability`, then arriving by the horizon in 80 of 110
/// days): its chance is `probability` times about 0.73, a line on the
/// same trials.
#[test]
fn the_answer_and_its_interval_agree_with_a_fine_sweep() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = SCENARIO.replace(
        "name = \"X at 50\"\nmetric = \"contributor:X\"\nat_least = 50",
        "name = \"Force at 150\"\nmetric = \"international\"\nat_least = 150",
    );
    let path = write_file(dir.path(), "force.toml", &text).display().to_string();
    let (solved, swept) = (dir.path().join("solve"), dir.path().join("sweep"));
    let vary = [
        "--vary",
        "contributors.Y.probability",
        "--range",
        "0..1",
        "--resolution",
        "0.002",
    ];
    let question = ["solve", &path, "--target", "Force at 150", "--chance", "0.3"];
    ok(&[&question[..], &vary[..]].concat(), &solved);
    let (header, rows) = summary(&solved);
    let [answer, low, high] = ["answer", "low", "high"].map(|c| number(cell(&header, &rows[0], c)));
    // Every value of the grid from 0.05 below the interval to 0.05 above.
    let (from, to) = ((low / 0.002).round() as i64 - 25, (high / 0.002).round() as i64 + 25);
    let values: Vec<String> = (from.max(0)..=to.min(500))
        .map(|i| crate_number(i as f64 * 0.002))
        .collect();
    let set = format!("contributors.Y.probability={}", values.join(","));
    ok(&["sweep", &path, "--quiet", "--set", &set], &swept);
    let (header, rows) = read_csv(&swept.join("sweep.csv"));
    let sweep: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| {
            let x = number(cell(&header, r, "contributors.Y.probability"));
            (x, number(cell(&header, r, "p_reached_by_horizon")))
        })
        .collect();
    // Every value solve tried within the sweep has the sweep's chance there.
    let (tried_header, tried) = read_csv(&solved.join("solve.csv"));
    assert!(tried.len() >= 10, "{} values tried", tried.len());
    let mut compared = 0;
    for row in &tried {
        let (v, p) = (
            number(cell(&tried_header, row, "value")),
            number(cell(&tried_header, row, "chance")),
        );
        if let Some(at) = sweep.iter().find(|(x, _)| (x - v).abs() < 1e-9) {
            assert_eq!(at.1, p, "the chance at {v}");
            compared += 1;
        }
    }
    assert!(compared >= 5, "{compared} values compared");
    let (goal, band) = (0.3, 2.0 * (0.3f64 * 0.7 / TRIALS).sqrt());
    let first = sweep.iter().find(|(_, p)| *p >= goal).expect("the goal is reached");
    assert!((first.0 - answer).abs() < 1e-9, "answer {answer}, sweep {first:?}");
    let mut inside_count = 0;
    for &(x, p) in &sweep {
        let inside = (p - goal).abs() <= band + 1e-12;
        let in_interval = x >= low - 1e-9 && x <= high + 1e-9;
        assert_eq!(inside, in_interval, "value {x}: chance {p}, interval {low}..{high}");
        inside_count += usize::from(inside);
    }
    assert!(inside_count >= 10, "the band holds {inside_count} swept values");
    assert!(sweep.first().is_some_and(|f| f.1 < goal - band) && sweep.last().is_some_and(|l| l.1 > goal + band));
}

/// A number as `--set` takes it: `0.30000000000000004` -> `0.3`.
fn crate_number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `--largest` on a delay: "X at 50" is reached by the date only if X
/// arrives by then, a step at the date; the files do not depend on the
/// thread count.
#[test]
fn the_largest_delay_is_a_step_and_threads_change_nothing() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = scenario(dir.path()).display().to_string();
    let args = |threads: &'static str| -> Vec<String> {
        [
            "solve",
            &path,
            "--target",
            "X at 50",
            "--chance",
            "0.4",
            "--by",
            "2024-02-15",
            "--largest",
            "--vary",
            "contributors.X.first_arrival_days",
            "--range",
            "0..80",
            "--quiet",
            "--threads",
            threads,
        ]
        .map(String::from)
        .to_vec()
    };
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    ok(&strs(&args("1")), &one);
    ok(&strs(&args("2")), &two);
    for name in entries(&one) {
        assert_eq!(fs::read(one.join(&name)).ok(), fs::read(two.join(&name)).ok(), "{name}");
    }
    let (header, rows) = summary(&one);
    let row = &rows[0];
    // 2024-02-15 is day 45; X is honoured in about half the trials.
    assert_eq!(cell(&header, row, "answer"), "45");
    // Nothing is within noise of 40%: the interval is the answer alone.
    assert_eq!((cell(&header, row, "low"), cell(&header, row, "high")), ("45", "45"));
    let (info_header, info) = read_csv(&one.join("solve_info.csv"));
    assert_eq!(cell(&info_header, &info[0], "direction"), "largest");
}

/// Several `--vary`: each solved alone, one row each; one that cannot
/// change the target is refused by name, and nothing is written.
#[test]
fn several_inputs_and_one_that_changes_nothing() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = scenario(dir.path()).display().to_string();
    let out = dir.path().join("out");
    let question = ["solve", &path, "--target", "X at 50", "--chance", "0.4", "--quiet"];
    let both = [
        "--vary",
        "contributors.X.probability",
        "--range",
        "0..1",
        "--vary",
        "contributors.X.pledged",
        "--range",
        "0..200",
    ];
    ok(&[&question[..], &both[..]].concat(), &out);
    let (header, rows) = summary(&out);
    let inputs: Vec<&str> = rows.iter().map(|r| cell(&header, r, "input")).collect();
    assert_eq!(inputs, ["contributors.X.probability", "contributors.X.pledged"]);
    // Honoured in about half the trials, a pledge reaches 50 from 50 on.
    assert_eq!(cell(&header, &rows[1], "answer"), "50");
    let nothing = dir.path().join("nothing");
    let unused = ["--vary", "contributors.Y.deployed", "--range", "0..100"];
    let output = forcegen()
        .args([&question[..], &unused[..]].concat())
        .arg("--out")
        .arg(&nothing)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("--vary contributors.Y.deployed") && stderr.contains("exactly the same trials"),
        "{stderr}"
    );
    assert!(!nothing.exists(), "nothing written");
}

/// Questions without an answer, or badly put, are refused with exit code
/// 2 before or instead of any file.
#[test]
fn bad_questions_are_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = scenario(dir.path()).display().to_string();
    let out = dir.path().join("out");
    let vary = ["--vary", "contributors.X.probability", "--range", "0..0.5"];
    let cases: [(Vec<&str>, &str); 7] = [
        (
            vec!["--target", "X at 50", "--chance", "0.8"],
            "is not reached inside 0..0.5",
        ),
        (vec!["--target", "Nope", "--chance", "0.3"], "its targets: \"X at 50\""),
        (
            vec!["--target", "X at 50", "--chance", "1.5"],
            "--chance must be a probability",
        ),
        (
            vec!["--target", "X at 50", "--chance", "0.3", "--by", "2030-01-01"],
            "outside the simulated period",
        ),
        (
            vec!["--target", "X at 50", "--chance", "0.3", "--range", "0..1"],
            "give one --range for each --vary",
        ),
        (
            vec![
                "--target",
                "X at 50",
                "--chance",
                "0.3",
                "--vary",
                "simulation.seed",
                "--range",
                "1..9",
            ],
            "same seed",
        ),
        (
            vec![
                "--target",
                "X at 50",
                "--chance",
                "0.3",
                "--set",
                "contributors.X.probability=2",
            ],
            "must be a probability",
        ),
    ];
    for (extra, message) in cases {
        let args = [&["solve", path.as_str()][..], &vary[..], &extra[..]].concat();
        let output = forcegen().args(&args).arg("--out").arg(&out).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr_of(&output));
        assert!(stderr_of(&output).contains(message), "{args:?}: {}", stderr_of(&output));
        assert!(!out.exists(), "{args:?} wrote nothing");
    }
}

/// `solve.html` is rebuilt from the three CSV files byte for byte, and
/// says the answer.
#[test]
fn the_page_is_built_from_the_csv_files() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = scenario(dir.path()).display().to_string();
    let out = dir.path().join("out");
    let args = ["solve", &path, "--target", "X at 50", "--chance", "0.8", "--quiet"];
    ok(
        &[
            &args[..],
            &["--vary", "contributors.X.probability", "--range", "0..1"][..],
        ]
        .concat(),
        &out,
    );
    let files: Vec<(&str, Vec<u8>)> = ["solve.csv", "solve_summary.csv", "solve_info.csv"]
        .into_iter()
        .map(|name| (name, fs::read(out.join(name)).expect("read")))
        .collect();
    let page = forcegen::report::pages::solve::render(&files).expect("the page");
    assert_eq!(page.as_bytes(), fs::read(out.join("solve.html")).expect("read"));
    assert!(page.contains("<svg id=\"chart-solve-1\""), "a chart");
    let (header, rows) = summary(&out);
    let answer = cell(&header, &rows[0], "answer");
    assert!(
        page.contains(&format!("at least {answer} for a chance of at least 80.0%")),
        "the finding"
    );
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
