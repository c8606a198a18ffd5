//! Issue #26, time: commands that only compute before they print stop at
//! Ctrl-C within a second with exit code 130 and write nothing, and
//! `explain` of thousands of constant contributors takes no longer than
//! `run` of them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli_support::{forcegen, write_file};

/// `count` contributors, each with `extra` lines.
fn many(count: usize, extra: &str) -> String {
    let mut text = "name = \"many\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 365\nstep = \"month\"\n\
                    trials = 100\n[population]\ninitial = 1000000\n"
        .to_string();
    for c in 0..count {
        text += &format!("[[contributors]]\nname = \"C{c}\"\npledged = 10\n{extra}");
    }
    text
}

/// Starts `forcegen ARGS`, sends Ctrl-C after `wait`; the exit code, stderr
/// and how long it took to end after the signal.
fn interrupt(args: &[&str], dir: &Path, wait: Duration) -> (Option<i32>, String, Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_forcegen"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start forcegen");
    std::thread::sleep(wait);
    assert!(child.try_wait().unwrap().is_none(), "{args:?} ended before Ctrl-C");
    // SAFETY: sends SIGINT to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{args:?} still running 20 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr, signalled.elapsed())
}

#[test]
fn ctrl_c_stops_validate_and_explain_within_a_second_writing_nothing() {
    let work = tempfile::tempdir().unwrap();
    // 4,000 uncertain contributors: tens of seconds of draws for either.
    let extra = "fulfilment = \"uniform(0, 1)\"\nfirst_arrival_days = \"uniform(0, 100)\"\n";
    write_file(work.path(), "slow.toml", &many(4_000, extra));
    for args in [
        &["validate", "slow.toml"][..],
        &["explain", "slow.toml", "--csv", "table.csv"],
    ] {
        let (code, stderr, took) = interrupt(args, work.path(), Duration::from_millis(1500));
        assert_eq!(code, Some(130), "{args:?}: {stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        assert!(took < Duration::from_secs(1), "{args:?} took {took:?} after Ctrl-C");
    }
    assert!(!work.path().join("table.csv").exists(), "explain wrote its table");
}

#[test]
fn explain_of_4000_constant_contributors_is_as_quick_as_run() {
    let work = tempfile::tempdir().unwrap();
    let path = write_file(work.path(), "c.toml", &many(4_000, ""));
    let timed = |args: &[&str]| {
        let started = Instant::now();
        forcegen()
            .args(args)
            .arg(&path)
            .current_dir(work.path())
            .assert()
            .success();
        started.elapsed()
    };
    let explain = timed(&["explain"]);
    let validate = timed(&["validate"]);
    let run = timed(&["run", "--quiet", "--no-drivers", "--out", "out"]);
    // Both were about 20 s and 12 s, against 0.2 s for run.
    assert!(
        explain < run * 3 + Duration::from_secs(1),
        "explain {explain:?}, run {run:?}"
    );
    assert!(
        validate < run * 3 + Duration::from_secs(1),
        "validate {validate:?}, run {run:?}"
    );
}
