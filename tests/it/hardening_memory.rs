//! Issue #26, memory: what a command would hold is bounded as a whole, not
//! per table. Each case once took gigabytes from a small input; now it is
//! refused up front (exit code 2, at once, nothing written) with a message
//! naming the product that passes the budget (`FORCEGEN_MAX_MEMORY_MIB`),
//! or, for names, the field and the limit.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cli_support::{baseline, forcegen, run_ok, stderr_of, write_file};
use forcegen::budget::VARIABLE;
use forcegen::scenario::MAX_NAME_CHARS;

/// Longest a refusal may take: it comes before any work.
const AT_ONCE: Duration = Duration::from_secs(5);

/// Runs `forcegen ARGS` in `dir` (with `env` set); asserts exit code 2 within
/// [`AT_ONCE`] and returns stderr.
fn refused(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let started = Instant::now();
    let mut command = forcegen();
    command.args(args).current_dir(dir).timeout(Duration::from_secs(60));
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert!(started.elapsed() < AT_ONCE, "{args:?} took {:?}", started.elapsed());
    message
}

#[test]
fn a_backtest_with_an_observation_every_day_for_100_years_is_refused_up_front() {
    let work = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(baseline())
        .unwrap()
        .replace("horizon_days = 730 ", "horizon_days = 36500 ");
    write_file(work.path(), "century.toml", &text);
    let start = chrono::NaiveDate::from_ymd_opt(2024, 9, 30).unwrap();
    let mut observed = String::from("date,metric,value\n");
    for day in 0..36_500 {
        observed += &format!("{},international,{}\n", start + chrono::Days::new(day), day % 1000);
    }
    assert!(observed.len() > 1_000_000, "{}", observed.len());
    write_file(work.path(), "observed.csv", &observed);
    let message = refused(
        work.path(),
        &[
            "backtest",
            "century.toml",
            "observed.csv",
            "--threads",
            "2",
            "--out",
            "out",
        ],
        &[],
    );
    for needle in [
        "36,501 report dates",
        "18 metrics",
        "2 worker threads",
        "memory budget of 2 GiB",
        VARIABLE,
        "observe fewer distinct dates",
    ] {
        assert!(message.contains(needle), "no {needle:?} in: {message}");
    }
    assert!(!work.path().join("out").exists(), "the output folder was made");
    // Monthly observations of the same century are scored.
    let monthly: String = observed
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || i % 30 == 0)
        .map(|(_, line)| format!("{line}\n"))
        .collect();
    write_file(work.path(), "monthly.csv", &monthly);
    forcegen()
        .args([
            "backtest",
            "century.toml",
            "monthly.csv",
            "--trials",
            "100",
            "--quiet",
            "--out",
            "out",
        ])
        .current_dir(work.path())
        .assert()
        .success();
}

#[test]
fn names_longer_than_200_characters_are_refused_with_field_and_limit() {
    let work = tempfile::tempdir().unwrap();
    let base = "name = \"n\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n[population]\ninitial = 1000\n\
                [[contributors]]\nname = \"A\"\npledged = 4\n[[targets]]\nname = \"t\"\nmetric = \"international\"\n\
                at_least = 1\n";
    let long = format!("name = \"{}\"", "N".repeat(1_000_000));
    let cases = [
        ("name = \"n\"", "field `name`"),
        ("name = \"A\"", "field `contributors.1.name`"),
        ("name = \"t\"", "field `targets.1.name`"),
    ];
    for (name, field) in cases {
        write_file(work.path(), "long.toml", &base.replacen(name, &long, 1));
        let message = refused(work.path(), &["validate", "long.toml"], &[]);
        assert!(message.contains(field), "no {field:?} in: {message:.600}");
        assert!(message.contains("1,000,000 characters long"), "{message:.600}");
        assert!(message.contains("at most 200"), "{message:.600}");
        assert!(
            message.len() < 2_000,
            "the message quotes the name: {} bytes",
            message.len()
        );
    }
    // 200 characters are fine.
    let ok = base.replacen("name = \"A\"", &format!("name = \"{}\"", "A".repeat(MAX_NAME_CHARS)), 1);
    write_file(work.path(), "ok.toml", &ok);
    forcegen()
        .args(["validate", "ok.toml"])
        .current_dir(work.path())
        .assert()
        .success();
}

#[test]
fn compare_takes_at_most_100_scenarios_and_their_text_within_the_budget() {
    let work = tempfile::tempdir().unwrap();
    let path = baseline().display().to_string();
    let mut args = vec!["compare".to_string()];
    args.extend(std::iter::repeat_n(path.clone(), 1_000));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let message = refused(work.path(), &args, &[]);
    assert!(message.contains("at most 100 scenario files, got 1000"), "{message}");
    // Three scenarios of 6 MB (thousands of contributors) under a budget of
    // 256 MiB: refused, naming their bytes.
    let mut big = fs::read_to_string(baseline()).unwrap();
    let contributor = "[[contributors]]\nname = \"C{}\"\npledged = 10\n# padding padding padding padding\n";
    for c in 0..90_000 {
        big += &contributor.replace("{}", &c.to_string());
    }
    write_file(work.path(), "big.toml", &big);
    let message = refused(
        work.path(),
        &["compare", "big.toml", "big.toml", "big.toml"],
        &[(VARIABLE, "256")],
    );
    assert!(message.contains("comparing 3 scenarios"), "{message}");
    assert!(message.contains("bytes of scenario files × 32"), "{message}");
    assert!(message.contains("memory budget of 256 MiB"), "{message}");
}

/// A file of `bytes` bytes that takes no room on disk (a sparse file).
fn sparse(path: &Path, bytes: u64) {
    fs::File::create(path).unwrap().set_len(bytes).unwrap();
}

#[test]
fn report_and_merge_bound_their_files_together_not_each() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("run");
    run_ok(&baseline(), &out, &["--trials", "100", "--no-drivers"]);
    // Three files of 900 MB: each within the 1 GiB a file may have.
    for name in ["timeseries.csv", "targets.csv", "contributors.csv"] {
        sparse(&out.join(name), 900 << 20);
    }
    let message = refused(work.path(), &["report", "run"], &[]);
    assert!(message.contains("reading the 8 CSV files of run"), "{message}");
    assert!(message.contains("bytes × 8"), "{message}");
    assert!(message.contains("memory budget of 2 GiB"), "{message}");
    // Two partial files of 1.5 GB, each within the 4 GiB one may have.
    for name in ["a.part", "b.part"] {
        sparse(&work.path().join(name), 1_500_000_000);
    }
    let message = refused(work.path(), &["merge", "a.part", "b.part", "--out", "merged"], &[]);
    assert!(message.contains("merging 2 partial files"), "{message}");
    assert!(message.contains("3,000,000,000 bytes × 2"), "{message}");
    assert!(!work.path().join("merged").exists());
    // A malformed budget is refused, not replaced by the default.
    let message = refused(work.path(), &["report", "run"], &[(VARIABLE, "lots")]);
    assert!(message.contains("must be a whole number of MiB"), "{message}");
}
