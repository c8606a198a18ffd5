//! Output safety: results are never lost or mixed up.
//! - A folder holding results of another scenario (by the name, or the
//!   `scenario_sha256`, in its `run_info.csv`), or files with the result
//!   names that forcegen did not write, is not overwritten without `--force`
//!   (run and merge); a rerun of the same scenario with another seed or
//!   trial count, with `--set` or after an edit, is.
//! - An unwritable folder, a path that is a file, and a full disk give a
//!   clear error (exit 1) and leave the earlier files as they were, with no
//!   temporary files behind. Read-only and full folders are small tmpfs
//!   mounts when this runs as root and `mount` works (as in CI); a full disk
//!   is also simulated in-process through /dev/full.
//! - Ctrl-C (SIGINT) stops a long run within seconds with exit code 130 and
//!   leaves the earlier results byte-identical.
//! - Damaged partial files are refused by `merge` (exit 2), never crash it.
//! - Names a spreadsheet would evaluate as a formula never start a cell.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cli_support::{
    self, FILES, cell, entries, forcegen, read_csv, run_info, run_ok, run_output, stderr_of, write_file,
};

fn scenario_text(name: &str, pledged: u32) -> String {
    format!(
        "name = \"{name}\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 120\nstep = \"week\"\ntrials = 200\n\
         [population]\ninitial = 1000000\n[host_police]\ninitial = 500\nattrition_per_year = 0.1\n\
         [[contributors]]\nname = \"K\"\npledged = {pledged}\nfirst_arrival_days = \"uniform(0, 60)\"\n\
         [[targets]]\nname = \"t\"\nmetric = \"international\"\nat_least = 100\n"
    )
}

/// The bytes of every file in `dir`, by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    entries(dir)
        .into_iter()
        .map(|name| {
            let bytes = fs::read(dir.join(&name)).unwrap_or_default();
            (name, bytes)
        })
        .collect()
}

#[test]
fn rerunning_the_same_scenario_replaces_its_results_without_force() {
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    let out = work.path().join("out");
    run_ok(&a, &out, &["--seed", "1"]);
    run_ok(&a, &out, &["--seed", "2", "--trials", "300"]);
    let (h, info) = run_info(&out);
    assert_eq!(cell(&h, &info, "seed"), "2");
    assert_eq!(cell(&h, &info, "trials"), "300");
}

#[test]
fn results_of_another_scenario_are_kept_unless_forced() {
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    let b = write_file(work.path(), "b.toml", &scenario_text("B", 400));
    let out = work.path().join("out");
    run_ok(&a, &out, &[]);
    fs::write(out.join("notes.txt"), "mine").unwrap();
    let before = snapshot(&out);

    let output = run_output(&b, &out, &[]);
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.starts_with("error: the output folder"), "{message}");
    for needle in ["another scenario", "\"A\"", "--force", &out.display().to_string()] {
        assert!(message.contains(needle), "no {needle:?} in: {message}");
    }
    assert_eq!(snapshot(&out), before, "a refused run changed the folder");

    run_ok(&b, &out, &["--force"]);
    let (h, info) = run_info(&out);
    assert_eq!(cell(&h, &info, "scenario"), "B");
    assert_eq!(
        fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine",
        "other files are left alone"
    );
}

#[test]
fn files_forcegen_did_not_write_are_kept_unless_forced() {
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    for (junk, why) in [("summary.csv", "is missing"), ("run_info.csv", "header")] {
        let out = work.path().join(format!("out-{junk}"));
        fs::create_dir(&out).unwrap();
        fs::write(out.join(junk), "a,b,c\n1,2,3\n").unwrap();
        let before = snapshot(&out);
        let output = run_output(&a, &out, &[]);
        let message = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(
            message.contains(junk) && message.contains(why) && message.contains("--force"),
            "{message}"
        );
        assert_eq!(snapshot(&out), before);
        run_ok(&a, &out, &["--force"]);
        let (h, info) = run_info(&out);
        assert_eq!(cell(&h, &info, "scenario"), "A");
    }
    // Unrelated files alone are no reason to refuse.
    let out = work.path().join("out-other");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("README.txt"), "keep").unwrap();
    run_ok(&a, &out, &[]);
    assert_eq!(fs::read_to_string(out.join("README.txt")).unwrap(), "keep");
}

#[test]
fn merge_keeps_results_of_another_scenario_unless_forced() {
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    let b = write_file(work.path(), "b.toml", &scenario_text("B", 400));
    let out = work.path().join("out");
    run_ok(&a, &out, &[]);
    let before = snapshot(&out);
    let mut parts = Vec::new();
    for k in 1..=2 {
        let part = work.path().join(format!("b{k}.json"));
        forcegen()
            .arg("run")
            .arg(&b)
            .args(["--quiet", "--shard", &format!("{k}/2"), "--partial"])
            .arg(&part)
            .assert()
            .success();
        parts.push(part);
    }
    let merge = |force: bool| {
        let mut command = forcegen();
        command.arg("merge").args(&parts).arg("--out").arg(&out).arg("--quiet");
        if force {
            command.arg("--force");
        }
        command.output().unwrap()
    };
    let output = merge(false);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("another scenario"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(snapshot(&out), before);
    assert!(merge(true).status.success());
    let (h, info) = run_info(&out);
    assert_eq!(cell(&h, &info, "scenario"), "B");
}

#[test]
fn a_path_that_is_a_file_is_refused_with_exit_1() {
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    let file = write_file(work.path(), "results", "not a folder");
    let output = run_output(&a, &file, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("exists and is not a folder"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a folder");
    // Also below a file: the folder cannot be created.
    let output = run_output(&a, &file.join("sub"), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("cannot create the output folder"),
        "{}",
        stderr_of(&output)
    );
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs with `options` at `dir`; `None` if that is not possible
    /// here (not root, or no mount permission).
    fn mount(dir: &Path, options: &str) -> Option<Tmpfs> {
        fs::create_dir_all(dir).ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs(dir.to_path_buf()))
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn an_unwritable_folder_is_refused_before_simulating() {
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    let out = work.path().join("ro");
    // Read-only: a tmpfs remounted read-only (as root), or a folder without
    // write permission (as another user; root may write there anyway).
    let mount = Tmpfs::mount(&out, "size=1m");
    if mount.is_none() {
        fs::create_dir(&out).unwrap();
    }
    run_ok(&a, &out, &[]);
    let before = snapshot(&out);
    match &mount {
        Some(m) => m.remount("ro"),
        None => {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&out, fs::Permissions::from_mode(0o555)).unwrap();
            if fs::write(out.join(".probe"), "x").is_ok() {
                let _ = fs::remove_file(out.join(".probe"));
                eprintln!("SKIPPED: cannot make a read-only folder here (root without mount)");
                return;
            }
        }
    }
    let started = Instant::now();
    // Far too many trials to finish: the refusal must come first.
    let output = run_output(&a, &out, &["--seed", "9", "--trials", "5000000000"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(
        stderr_of(&output).contains("cannot write to the output folder"),
        "{}",
        stderr_of(&output)
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(snapshot(&out), before);
    if mount.is_none() {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_earlier_results() {
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    let out = work.path().join("small");
    // Room for one run's files, the report and charts included.
    let Some(_mount) = Tmpfs::mount(&out, "size=2m") else {
        eprintln!("SKIPPED: cannot mount a small tmpfs here; see the /dev/full test");
        return;
    };
    run_ok(&a, &out, &["--seed", "1"]);
    let before = snapshot(&out);
    // Fill the disk but for a few kB: the probe fits, the results do not.
    let mut filler = fs::File::create(out.join("filler")).unwrap();
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
    drop(filler);
    let size = fs::metadata(out.join("filler")).unwrap().len();
    let file = fs::OpenOptions::new().write(true).open(out.join("filler")).unwrap();
    file.set_len(size.saturating_sub(4096)).unwrap();
    drop(file);
    let mut before_with_filler = before.clone();
    before_with_filler.push(("filler".to_string(), vec![0; (size.saturating_sub(4096)) as usize]));
    before_with_filler.sort();

    let output = run_output(&a, &out, &["--seed", "2"]);
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("cannot write") && message.contains("No space left on device"),
        "{message}"
    );
    assert_eq!(
        snapshot(&out),
        before_with_filler,
        "earlier results changed or temporary files left"
    );
}

#[test]
fn a_rename_that_fails_half_way_rolls_back_and_leaves_one_consistent_run() {
    // summary.csv, the third file renamed into place, is replaced by a
    // folder that a file cannot be renamed over: the first two renames are
    // undone, so the folder still holds the seed-1 run whole.
    let work = tempfile::tempdir().unwrap();
    let a = write_file(work.path(), "a.toml", &scenario_text("A", 300));
    let out = work.path().join("out");
    run_ok(&a, &out, &["--seed", "1"]);
    let summary = out.join(FILES[2]);
    fs::remove_file(&summary).unwrap();
    fs::create_dir(&summary).unwrap();
    fs::write(summary.join("keep"), "x").unwrap();
    let before = snapshot(&out);
    let output = run_output(&a, &out, &["--seed", "2"]);
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("summary.csv"), "{message}");
    assert_eq!(snapshot(&out), before, "a mixed set or temporary files were left");
    let hidden: Vec<String> = cli_support::entries(&out)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "temporary files left: {hidden:?}");
}

#[test]
fn ctrl_c_stops_a_long_run_with_130_and_keeps_the_earlier_results() {
    let work = tempfile::tempdir().unwrap();
    let baseline = cli_support::baseline();
    let out = work.path().join("out");
    run_ok(&baseline, &out, &["--trials", "200"]);
    let before = snapshot(&out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_forcegen"))
        .arg("run")
        .arg(&baseline)
        .arg("--out")
        .arg(&out)
        .args(["--trials", "5000000", "--seed", "3"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(child.try_wait().unwrap().is_none(), "the long run ended before Ctrl-C");
    // SAFETY: sends SIGINT to our own child.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("still running 10 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut message = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut message).unwrap();
    eprintln!(
        "Ctrl-C: stopped {:.2} s after the signal",
        signalled.elapsed().as_secs_f64()
    );
    assert_eq!(status.code(), Some(130), "{message}");
    assert!(message.contains("interrupted"), "{message}");
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "took {:?}",
        signalled.elapsed()
    );
    assert_eq!(
        snapshot(&out),
        before,
        "earlier results changed or temporary files left"
    );
}

/// A change to a partial file, as JSON.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

/// The damage `merge` must refuse: what it is, and the edit that makes it.
fn damage() -> Vec<(&'static str, Edit)> {
    vec![
        ("shard 0/2", Box::new(|v| v["shard"]["index"] = 0.into())),
        (
            "shard 1/10^18",
            Box::new(|v| v["shard"]["count"] = 1_000_000_000_000_000_000u64.into()),
        ),
        (
            "a short page",
            Box::new(|v| v["aggregates"]["metrics"][0]["columns"][0]["pages"] = serde_json::json!([[1, 2, 3]])),
        ),
        (
            "far bins",
            Box::new(|v| v["aggregates"]["metrics"][0]["columns"][0]["low"] = (-(1i64 << 62)).into()),
        ),
        (
            "a trial counted twice",
            Box::new(|v| {
                let pages = v["aggregates"]["metrics"][0]["columns"][0]["pages"]
                    .as_array_mut()
                    .unwrap();
                let page = pages.iter_mut().find(|p| !p.is_null()).unwrap();
                page[0] = (page[0].as_u64().unwrap() + 1).into();
            }),
        ),
        (
            "a far page from another file",
            Box::new(|v| v["aggregates"]["metrics"][0]["columns"][0]["low"] = (1i64 << 30).into()),
        ),
        (
            "unsorted overflow counts",
            Box::new(|v| v["aggregates"]["metrics"][0]["columns"][0]["overflow"] = serde_json::json!([[5, 1], [3, 1]])),
        ),
        (
            "too few contributors",
            Box::new(|v| v["aggregates"]["delivered"] = serde_json::json!([])),
        ),
        (
            "too few days",
            Box::new(|v| v["aggregates"]["first_reached"][0] = serde_json::json!([1])),
        ),
        ("other trials", Box::new(|v| v["aggregates"]["trials"] = 7.into())),
        (
            "edited scenario",
            Box::new(|v| v["scenario_source"] = "name = \"x\"".into()),
        ),
    ]
}

#[test]
fn damaged_partial_files_are_refused_not_crashed() {
    let work = tempfile::tempdir().unwrap();
    // A huge population keeps the ratio sums small enough for serde_json's
    // Value (u64), so that only the intended edit changes a file.
    let text = scenario_text("A", 300).replace("initial = 1000000\n", "initial = 100000000000\n");
    let a = write_file(work.path(), "a.toml", &text);
    let mut parts = Vec::new();
    for k in 1..=2 {
        let part = work.path().join(format!("a{k}.json"));
        forcegen()
            .arg("run")
            .arg(&a)
            .args(["--quiet", "--shard", &format!("{k}/2"), "--partial"])
            .arg(&part)
            .assert()
            .success();
        parts.push(part);
    }
    let good = fs::read_to_string(&parts[0]).unwrap();
    let value: serde_json::Value = serde_json::from_str(&good).unwrap();
    let damage = damage();
    let unedited: (&str, Edit) = ("nothing", Box::new(|_| {}));
    for (what, edit) in std::iter::once(&unedited).chain(&damage) {
        let mut damaged = value.clone();
        edit(&mut damaged);
        let path = work.path().join("damaged.json");
        let text = serde_json::to_string(&damaged).unwrap();
        fs::write(&path, text).unwrap();
        let out = work.path().join("merged");
        let output = forcegen()
            .arg("merge")
            .arg(&path)
            .arg(&parts[1])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let message = stderr_of(&output);
        if *what == "nothing" {
            // The round trip itself changes nothing that matters.
            assert!(output.status.success(), "unedited: {message}");
            fs::remove_dir_all(&out).unwrap();
            continue;
        }
        assert_eq!(output.status.code(), Some(2), "{what}: {message}");
        assert!(
            message.starts_with("error:") && message.contains("damaged"),
            "{what}: {message}"
        );
        assert!(!out.exists(), "{what}: merge wrote results");
    }
}

#[test]
fn names_a_spreadsheet_would_evaluate_never_start_a_cell() {
    let names = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+cmd",
        "-1+1",
        "@SUM(A1)",
        "\tTAB",
        "\rCR",
        "=1+1",
    ];
    let toml = |s: &str| {
        format!(
            "\"{}\"",
            s.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\t', "\\t")
                .replace('\r', "\\r")
        )
    };
    let mut text = format!(
        "name = {}\n[simulation]\nstart = 2024-01-01\nhorizon_days = 60\n[population]\ninitial = 1000000\n",
        toml("=cmd|' /C calc'!A0")
    );
    for name in &names {
        text.push_str(&format!(
            "[[contributors]]\nname = {}\ndeployed = 10\npledged = 20\n",
            toml(name)
        ));
    }
    for (i, name) in names.iter().enumerate() {
        text.push_str(&format!(
            "[[targets]]\nname = {}\nmetric = {}\nat_least = {}\n",
            toml(name),
            toml(&format!("contributor:{name}")),
            i
        ));
    }
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "formula.toml", &text);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &["--trials", "50"]);

    let expected: Vec<String> = names.iter().map(|n| format!("'{n}")).collect();
    let (h, rows) = read_csv(&out.join("contributors.csv"));
    let got: Vec<&str> = rows.iter().map(|r| cell(&h, r, "contributor")).collect();
    assert_eq!(got, expected, "contributors.csv");
    let (h, rows) = read_csv(&out.join("summary.csv"));
    let got: Vec<&str> = rows.iter().map(|r| cell(&h, r, "target")).collect();
    assert_eq!(got, expected, "summary.csv");
    let metrics: Vec<&str> = rows.iter().map(|r| cell(&h, r, "metric")).collect();
    let expected_metrics: Vec<String> = names.iter().map(|n| format!("contributor:{n}")).collect();
    assert_eq!(
        metrics, expected_metrics,
        "a metric starts with `contributor:`, so it is safe as it is"
    );
    let (h, info) = run_info(&out);
    assert_eq!(cell(&h, &info, "scenario"), "'=cmd|' /C calc'!A0");

    // No cell of any CSV file in the folder (whatever files a run writes)
    // starts with a character that makes a spreadsheet evaluate it.
    let mut checked = 0;
    for name in entries(&out).iter().filter(|n| n.ends_with(".csv")) {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(out.join(name))
            .unwrap();
        for record in reader.records() {
            for value in record.unwrap().iter() {
                let numeric = value.parse::<f64>().is_ok();
                let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(numeric || !formula, "{name}: cell {value:?} would be evaluated");
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "checked {checked} cells");
}

/// A reader that stops early (`forcegen explain big.toml | head -1`) ends
/// forcegen quietly, as it ends any Unix tool, with no panic message: the
/// explain table of 900 uncertain inputs (over 100 kB) is more than a pipe holds,
/// so forcegen is still writing when the read end closes.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_program_without_a_panic() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut text = String::from(
        "name = \"big\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n[population]\ninitial = 1000\n",
    );
    for i in 0..300 {
        text.push_str(&format!(
            "[[contributors]]\nname = \"C{i}\"\npledged = 10\nfulfilment = \"uniform(0, 1)\"\n\
             first_arrival_days = \"uniform(0, 9)\"\nattrition_per_year = \"uniform(0, 0.1)\"\n"
        ));
    }
    let path = write_file(dir.path(), "big.toml", &text);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("forcegen"))
        .arg("explain")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start forcegen");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).expect("one line");
    assert!(first.starts_with("big"), "{first}");
    // The reader is dropped here: the pipe's read end closes.
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        output.status.success() || output.status.signal() == Some(libc::SIGPIPE),
        "{:?}: {stderr}",
        output.status
    );
}
