//! Hardening of what forcegen writes (issue #21, items 5-8 and 10, and the
//! "also" list): each test reproduces an attack or a mishap that once
//! worked, through the binary.
//! - Temporary files are created exclusively under random names, so a
//!   planted link at a predictable name is never followed.
//! - An existing device or pipe given as a file (`--partial /dev/null`,
//!   `explain --csv /dev/stdout`) is written through, never replaced.
//! - Two runs into one folder do not mix: the folder is locked while a
//!   command works in it.
//! - Every file a run writes or removes (the report, the charts, the wide
//!   file) is covered by the owner check.
//! - `--threads` is bounded; terminal output shows control characters
//!   escaped; `--partial` never replaces the scenario or a file that is not
//!   a partial result; a failed partial write exits 1 and leaves nothing.

use std::fs;
use std::path::Path;

use crate::cli_support::{entries, forcegen, run_ok, run_output, stderr_of, write_file};

fn scenario_text(name: &str) -> String {
    format!(
        "name = \"{name}\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 120\nstep = \"week\"\ntrials = 200\n\
         [population]\ninitial = 1000000\n[host_police]\ninitial = 500\nattrition_per_year = 0.1\n\
         [[contributors]]\nname = \"K\"\npledged = 300\nfirst_arrival_days = \"uniform(0, 60)\"\n\
         [[targets]]\nname = \"t\"\nmetric = \"international\"\nat_least = 100\n"
    )
}

fn hidden(dir: &Path) -> Vec<String> {
    entries(dir).into_iter().filter(|n| n.starts_with('.')).collect()
}

#[cfg(unix)]
#[test]
fn a_link_planted_at_the_old_temporary_names_is_not_followed() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let out = work.path().join("out");
    fs::create_dir(&out).unwrap();
    let victim = work.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    // The names of every temporary file of earlier versions, for many pids.
    for pid in 1..2000 {
        for name in ["timeseries.csv", "run_info.csv"] {
            let _ = std::os::unix::fs::symlink(&victim, out.join(format!(".{name}.{pid}.tmp")));
        }
        let _ = std::os::unix::fs::symlink(&victim, out.join(format!(".forcegen-probe.{pid}.tmp")));
    }
    run_ok(&scenario, &out, &[]);
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
}

#[cfg(unix)]
#[test]
fn a_device_given_as_a_file_is_written_through_not_replaced() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    forcegen()
        .args(["run", "--shard", "1/2", "--partial", "/dev/null", "-q"])
        .arg(&scenario)
        .assert()
        .success();
    let output = forcegen()
        .arg("explain")
        .arg(&scenario)
        .args(["--csv", "/dev/stdout"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("path,kind,distribution"));
    // (/dev/stdout is the test's own output here, which may be a file.)
    assert!(
        !fs::metadata("/dev/null").unwrap().is_file(),
        "/dev/null was replaced by a regular file"
    );
}

#[cfg(unix)]
#[test]
fn a_failed_partial_write_exits_1_and_leaves_no_temporary_file() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let output = forcegen()
        .args(["run", "--shard", "1/2", "--partial", "/dev/full", "-q"])
        .arg(&scenario)
        .output()
        .unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("No space left"), "{message}");
    assert!(hidden(Path::new("/dev")).iter().all(|n| !n.contains("forcegen")));
    // A partial in a folder that does not exist: exit 1 too, nothing made.
    let missing = work.path().join("no/such/folder/part.json");
    let output = forcegen()
        .args(["run", "--shard", "1/2", "-q", "--partial"])
        .arg(&missing)
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(entries(work.path()), ["a.toml"]);
}

#[test]
fn partial_never_replaces_the_scenario_or_a_file_that_is_not_a_partial() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let text = fs::read_to_string(&scenario).unwrap();
    for force in [false, true] {
        let mut command = forcegen();
        command
            .args(["run", "--shard", "1/2", "-q", "--partial"])
            .arg(&scenario)
            .arg(&scenario);
        if force {
            command.arg("--force");
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
        assert!(stderr_of(&output).contains("is the scenario file"));
        assert_eq!(fs::read_to_string(&scenario).unwrap(), text);
    }
    let notes = write_file(work.path(), "notes.txt", "my notes");
    let output = forcegen()
        .args(["run", "--shard", "1/2", "-q", "--partial"])
        .arg(&notes)
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("is not a file forcegen wrote there"));
    assert_eq!(fs::read_to_string(&notes).unwrap(), "my notes");
    // A partial may replace an earlier partial, and --force a file.
    let part = work.path().join("part.json");
    for _ in 0..2 {
        forcegen()
            .args(["run", "--shard", "1/2", "-q", "--partial"])
            .arg(&part)
            .arg(&scenario)
            .assert()
            .success();
    }
    forcegen()
        .args(["run", "--shard", "1/2", "-q", "--force", "--partial"])
        .arg(&notes)
        .arg(&scenario)
        .assert()
        .success();
}

#[test]
fn the_users_own_report_and_charts_are_not_replaced_without_force() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    for mine in ["report.html", "chart_targets.svg", "timeseries_wide.csv"] {
        let out = work.path().join(format!("out-{mine}"));
        fs::create_dir(&out).unwrap();
        write_file(&out, mine, "mine");
        let output = run_output(&scenario, &out, &[]);
        assert_eq!(output.status.code(), Some(2), "{mine}: {}", stderr_of(&output));
        assert!(stderr_of(&output).contains(mine), "{}", stderr_of(&output));
        assert_eq!(fs::read_to_string(out.join(mine)).unwrap(), "mine");
        assert_eq!(entries(&out), [mine]);
        run_ok(&scenario, &out, &["--force"]);
    }
}

#[test]
fn a_second_command_in_a_busy_folder_is_refused_not_mixed_in() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let out = work.path().join("out");
    run_ok(&scenario, &out, &["--seed", "1"]);
    let before = fs::read(out.join("run_info.csv")).unwrap();
    // Hold the folder's lock as a running forcegen would.
    let lock = fs::File::open(&out).unwrap();
    lock.lock().unwrap();
    let output = run_output(&scenario, &out, &["--seed", "2"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("another forcegen command is writing"));
    assert_eq!(fs::read(out.join("run_info.csv")).unwrap(), before);
    lock.unlock().unwrap();
    run_ok(&scenario, &out, &["--seed", "2"]);
}

#[test]
fn thread_counts_are_bounded() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let output = forcegen()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(work.path().join("out"))
        .args(["-q", "--threads", "10000"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("--threads must be at most 1024"));
    assert!(!work.path().join("out").exists());
    // Within the bound, more threads than 4 per core are simply fewer.
    run_ok(&scenario, &work.path().join("out"), &["--threads", "1024"]);
}

#[test]
fn control_characters_in_names_reach_the_terminal_escaped() {
    let work = tempfile::tempdir().unwrap();
    let text = scenario_text("A").replace("name = \"t\"", "name = \"t\\u001b[2J\\u0007\"");
    let scenario = write_file(
        work.path(),
        "a.toml",
        &text.replace("name = \"A\"", "name = \"A\\u001b]0;x\\u0007\""),
    );
    let output = forcegen()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(work.path().join("out"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'), "{stdout:?}");
    assert!(stdout.contains("A\\u{1b}]0;x\\u{7}"), "{stdout}");
    assert!(stdout.contains("t\\u{1b}[2J\\u{7}"), "{stdout}");
    // Errors too.
    let bad = write_file(
        work.path(),
        "b.toml",
        &text.replace("at_least = 100", "at_least = \"\u{1b}[2J\""),
    );
    let output = forcegen().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr_of(&output).contains('\u{1b}'), "{}", stderr_of(&output));
}

#[cfg(unix)]
#[test]
fn an_info_file_linked_to_an_endless_device_is_not_read_without_limit() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let out = work.path().join("out");
    fs::create_dir(&out).unwrap();
    write_file(&out, "timeseries.csv", "mine");
    std::os::unix::fs::symlink("/dev/zero", out.join("run_info.csv")).unwrap();
    let output = run_output(&scenario, &out, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("not a regular file"),
        "{}",
        stderr_of(&output)
    );
}

#[cfg(unix)]
#[test]
fn explain_csv_to_stdout_redirected_to_a_file_writes_the_file_and_keeps_dev_stdout() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let captured = work.path().join("captured.txt");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_forcegen"))
        .arg("explain")
        .arg(&scenario)
        .args(["--csv", "/dev/stdout"])
        .stdout(fs::File::create(&captured).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let text = fs::read_to_string(&captured).unwrap();
    assert!(text.starts_with("path,kind,distribution"), "{text}");
    assert!(
        text.contains("Uncertain inputs"),
        "the printed table follows the CSV: {text}"
    );
    assert!(fs::symlink_metadata("/dev/stdout").unwrap().file_type().is_symlink());
}

#[test]
fn explain_csv_never_replaces_the_scenario_or_a_file_it_did_not_write() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let text = fs::read_to_string(&scenario).unwrap();
    let output = forcegen()
        .arg("explain")
        .arg(&scenario)
        .arg("--csv")
        .arg(&scenario)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert_eq!(fs::read_to_string(&scenario).unwrap(), text);
    let notes = write_file(work.path(), "notes.csv", "my,notes\n");
    let output = forcegen()
        .arg("explain")
        .arg(&scenario)
        .arg("--csv")
        .arg(&notes)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert_eq!(fs::read_to_string(&notes).unwrap(), "my,notes\n");
    // Its own table is replaced on a rerun, and --force replaces a file.
    let table = work.path().join("inputs.csv");
    for _ in 0..2 {
        forcegen()
            .arg("explain")
            .arg(&scenario)
            .arg("--csv")
            .arg(&table)
            .assert()
            .success();
    }
    forcegen()
        .arg("explain")
        .arg(&scenario)
        .arg("--csv")
        .arg(&notes)
        .arg("--force")
        .assert()
        .success();
}

#[cfg(unix)]
#[test]
fn a_link_or_a_folder_named_as_the_partial_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "a.toml", &scenario_text("A"));
    let victim = write_file(work.path(), "victim.txt", "precious");
    let link = work.path().join("part.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    for target in [link.clone(), work.path().to_path_buf()] {
        let output = forcegen()
            .args(["run", "--shard", "1/2", "-q", "--force", "--partial"])
            .arg(&target)
            .arg(&scenario)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    }
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}
