//! Peak memory of forcegen runs, in a test binary of its own.
//!
//! A child's peak resident memory as `wait4` reports it includes the pages
//! of the process that spawned it (posix_spawn shares the parent's memory
//! until the child execs, and Linux keeps that high-water mark), so the
//! measuring process must stay small. In `tests/it`, where many tests run
//! at once in one process, the parent alone can pass the limits below;
//! here it holds a few MiB.

#[path = "it/scenario_text.rs"]
mod scenario_text;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scenario_text::many_contributors;

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

/// The header and rows of a CSV file.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("open the CSV file");
    let header = reader.headers().expect("a header").iter().map(str::to_string).collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn cell<'r>(header: &[String], row: &'r [String], name: &str) -> &'r str {
    let i = header.iter().position(|h| h == name).expect("the column");
    &row[i]
}

/// Runs `forcegen ARGS` as a child and returns its exit code and peak
/// resident memory in MiB (from `wait4`, which also reaps the child).
#[allow(clippy::zombie_processes)]
fn run_measured(args: &[&std::ffi::OsStr]) -> (i32, f64) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_forcegen"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start forcegen");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 waits for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss as f64 / 1024.0)
}

#[test]
fn a_pledge_of_100_million_on_daily_steps_stays_within_memory() {
    let work = tempfile::tempdir().unwrap();
    let text = "name = \"big pledge\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 730\nstep = \"day\"\n\
                [population]\ninitial = 11000000\n\
                [[contributors]]\nname = \"Huge\"\npledged = 100000000\nprobability = 0.5\n\
                [[targets]]\nname = \"t\"\nmetric = \"police_per_100k\"\nat_least = 222\n";
    let path = write_file(work.path(), "big.toml", text);
    let out = work.path().join("out");
    let (code, peak) = run_measured(&[
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
        "--trials".as_ref(),
        "20000".as_ref(),
    ]);
    eprintln!("pledged = 100,000,000, probability 0.5, daily for 730 days, 20,000 trials: peak RSS {peak:.0} MiB");
    assert_eq!(code, 0);
    assert!(peak < 300.0, "peak resident memory {peak:.0} MiB");
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    let last = rows
        .iter()
        .rfind(|r| cell(&h, r, "metric") == "contributor:Huge")
        .expect("rows for Huge");
    // Half the trials get everyone, within the 0.05% bins above 65,535.
    let p95: f64 = cell(&h, last, "p95").parse().unwrap();
    assert!((p95 - 1e8).abs() <= 1e8 * 0.0005, "p95 {p95}");
    assert_eq!(cell(&h, last, "p5"), "0");
}

#[test]
fn three_thousand_contributors_still_run() {
    let work = tempfile::tempdir().unwrap();
    let path = write_file(work.path(), "many.toml", &many_contributors(3_000, "month", 730));
    let out = work.path().join("out");
    let started = Instant::now();
    let (code, peak) = run_measured(&[
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
        "--trials".as_ref(),
        "200".as_ref(),
    ]);
    let elapsed = started.elapsed();
    eprintln!(
        "3,000 contributors, monthly for 730 days, 200 trials: {:.1} s, peak RSS {peak:.0} MiB",
        elapsed.as_secs_f64()
    );
    assert_eq!(code, 0);
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    let (_, rows) = read_csv(&out.join("timeseries.csv"));
    assert_eq!(rows.len(), 25 * 3_007, "25 monthly report days of 3,007 metrics");
    let (_, rows) = read_csv(&out.join("contributors.csv"));
    assert_eq!(rows.len(), 3_000);
}
