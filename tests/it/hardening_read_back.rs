//! Files forcegen reads back (issue #21): partial results for `merge`, the
//! CSV files of a run for `report`, and an observed file for `backtest`.
//! Each test reproduces an attack through the binary and checks that it is
//! refused with exit code 2 and a message naming the file (and, where there
//! is one, the line and column), or handled, within a time limit so that a
//! hang fails the test:
//! - `merge` refuses edited counts (a target reached more often than there
//!   are trials, u64::MAX in two partials, deliveries past the pledge, ratio
//!   sums no run could make);
//! - a partial's `out_stem` cannot send the merged files out of `output/`;
//! - `merge /dev/zero`, and a report CSV linked to `/dev/zero`, end at once;
//! - `report` refuses a horizon or start date past the last date, an
//!   infinite or huge value, and a day past the horizon, and groups 100,000
//!   metrics quickly;
//! - `backtest` refuses an observed value of 1e308.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli_support::{self, forcegen, stderr_of, write_file};

/// Longest any of these commands may take (a debug build, on a busy machine).
const LIMIT: Duration = Duration::from_secs(60);

/// A small scenario. The huge population keeps the ratio sums small enough
/// for serde_json's `Value` (u64), so that only the intended edit changes a
/// partial file.
fn scenario_text() -> String {
    "name = \"hardening\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 120\nstep = \"week\"\ntrials = 100\n\
     [population]\ninitial = 100000000000\n[host_police]\ninitial = 500\nattrition_per_year = 0.1\n\
     [[contributors]]\nname = \"K\"\npledged = 300\nfulfilment = \"uniform(0.5, 1)\"\nfirst_arrival_days = \"uniform(0, 60)\"\n\
     [[targets]]\nname = \"t\"\nmetric = \"international\"\nat_least = 100\n"
        .to_string()
}

/// The scenario file and its two shards' partial files, in `dir`.
fn partials(dir: &Path) -> (PathBuf, [PathBuf; 2]) {
    let scenario = write_file(dir, "hardening.toml", &scenario_text());
    let parts = [1, 2].map(|k| {
        let part = dir.join(format!("p{k}.json"));
        forcegen()
            .arg("run")
            .arg(&scenario)
            .args(["--quiet", "--shard", &format!("{k}/2"), "--partial"])
            .arg(&part)
            .timeout(LIMIT)
            .assert()
            .success();
        part
    });
    (scenario, parts)
}

/// `path` edited as JSON by `edit`, written to `dir/name`.
fn edited(path: &Path, dir: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let mut value: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    edit(&mut value);
    let out = dir.join(name);
    fs::write(&out, serde_json::to_vec(&value).unwrap()).unwrap();
    out
}

/// `forcegen merge PARTS... --out OUT`.
fn merge(parts: &[&Path], out: &Path) -> std::process::Output {
    forcegen()
        .arg("merge")
        .args(parts)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .timeout(LIMIT)
        .output()
        .unwrap()
}

/// Asserts exit code 2, a message naming `file` and holding `words`, and no output folder.
fn refused(output: &std::process::Output, file: &str, words: &str, out: &Path, what: &str) {
    let message = stderr_of(output);
    assert_eq!(output.status.code(), Some(2), "{what}: {message}");
    assert!(message.starts_with("error:"), "{what}: {message}");
    assert!(
        message.contains(file),
        "{what}: the message should name {file}: {message}"
    );
    assert!(
        message.contains(words),
        "{what}: the message should say \"{words}\": {message}"
    );
    assert!(!out.exists(), "{what}: merge wrote results");
}

#[test]
fn merge_refuses_edited_counts() {
    let work = tempfile::tempdir().unwrap();
    let (_, [p1, p2]) = partials(work.path());
    let out = work.path().join("merged");
    // The unedited pair merges.
    assert!(merge(&[&p1, &p2], &out).status.success());
    fs::remove_dir_all(&out).unwrap();

    type Edit = fn(&mut serde_json::Value);
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "a target reached 5000 more times than there are trials",
            |v| {
                let slots = v["aggregates"]["first_reached"][0].as_array_mut().unwrap();
                let slot = &mut slots[0];
                *slot = (slot.as_u64().unwrap() + 5000).into();
            },
            "target 1",
        ),
        (
            "a target never reached in u64::MAX trials",
            |v| {
                let slots = v["aggregates"]["first_reached"][0].as_array_mut().unwrap();
                *slots.last_mut().unwrap() = u64::MAX.into();
            },
            "target 1",
        ),
        (
            "a last wave on a day too many",
            |v| v["aggregates"]["last_wave"][0][3] = 1.into(),
            "last wave",
        ),
        (
            "more full deliveries than trials",
            |v| v["aggregates"]["full_delivery"][0] = 51.into(),
            "contributor 1",
        ),
        (
            "more delivered than pledged",
            |v| v["aggregates"]["delivered"][0] = 1_000_000_000.into(),
            "contributor 1",
        ),
        (
            "full deliveries without the personnel",
            |v| {
                v["aggregates"]["full_delivery"][0] = 50.into();
                v["aggregates"]["delivered"][0] = 0.into();
            },
            "contributor 1",
        ),
        (
            "head counts moved to the bins of ratios",
            |v| v["aggregates"]["metrics"][0]["columns"][0]["low"] = (128 * 8000).into(),
            "not a bin of a head count",
        ),
        (
            "a ratio sum no run could make",
            |v| v["aggregates"]["ratio_sums"][0][0] = serde_json::json!([u64::MAX, 0]),
            "ratio metric 1",
        ),
    ];
    for (what, edit, words) in cases {
        let bad = edited(&p1, work.path(), "edited.json", edit);
        let output = merge(&[&bad, &p2], &out);
        refused(&output, "edited.json", words, &out, what);
        assert!(stderr_of(&output).contains("damaged"), "{what}");
    }

    // u64::MAX in both partials would wrap when added.
    let wrap = |v: &mut serde_json::Value| v["aggregates"]["delivered"][0] = u64::MAX.into();
    let a = edited(&p1, work.path(), "wrap1.json", wrap);
    let b = edited(&p2, work.path(), "wrap2.json", wrap);
    refused(&merge(&[&a, &b], &out), "wrap1.json", "damaged", &out, "u64::MAX twice");
}

#[test]
fn out_stem_cannot_leave_the_output_folder() {
    let work = tempfile::tempdir().unwrap();
    let (_, [p1, p2]) = partials(work.path());
    // ../../escaped from cwd/output/ is work/escaped.
    let cwd = work.path().join("cwd");
    fs::create_dir(&cwd).unwrap();
    let absolute = work.path().join("absolute");
    let stems = [
        absolute.display().to_string(),
        "../../escaped".to_string(),
        "..".to_string(),
        "a/b".to_string(),
        "bell\u{7}".to_string(),
        String::new(),
    ];
    for stem in &stems {
        let stemmed = |v: &mut serde_json::Value| v["out_stem"] = stem.as_str().into();
        let a = edited(&p1, work.path(), "s1.json", stemmed);
        let b = edited(&p2, work.path(), "s2.json", stemmed);
        let output = forcegen()
            .current_dir(&cwd)
            .arg("merge")
            .arg(&a)
            .arg(&b)
            .arg("--quiet")
            .timeout(LIMIT)
            .output()
            .unwrap();
        assert!(output.status.success(), "{stem:?}: {}", stderr_of(&output));
        let merged = cwd.join("output").join("merged");
        assert!(merged.join("run_info.csv").is_file(), "{stem:?}: not in output/merged");
        fs::remove_dir_all(cwd.join("output")).unwrap();
        assert!(!absolute.exists(), "{stem:?}");
        assert!(!work.path().join("escaped").exists(), "{stem:?}");
        assert_eq!(
            cli_support::entries(&cwd),
            Vec::<String>::new(),
            "{stem:?}: files outside output/"
        );
    }
    // A plain stem is used as it is.
    let a = edited(&p1, work.path(), "s1.json", |v| v["out_stem"] = "plain name".into());
    let b = edited(&p2, work.path(), "s2.json", |v| v["out_stem"] = "plain name".into());
    forcegen()
        .current_dir(&cwd)
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--quiet")
        .timeout(LIMIT)
        .assert()
        .success();
    assert!(cwd.join("output/plain name/run_info.csv").is_file());
}

#[cfg(unix)]
#[test]
fn devices_and_links_to_them_are_refused_at_once() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("merged");
    let link = work.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    for path in [Path::new("/dev/zero"), link.as_path()] {
        let started = std::time::Instant::now();
        let output = merge(&[path], &out);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        refused(&output, &name, "not a regular file", &out, "merge");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "merge took {:?}",
            started.elapsed()
        );
    }

    let run = work.path().join("run");
    let scenario = write_file(work.path(), "s.toml", &scenario_text());
    cli_support::run_ok(&scenario, &run, &[]);
    fs::remove_file(run.join("timeseries.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", run.join("timeseries.csv")).unwrap();
    let started = std::time::Instant::now();
    let output = forcegen().arg("report").arg(&run).timeout(LIMIT).output().unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("timeseries.csv") && message.contains("not a regular file"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "report took {:?}",
        started.elapsed()
    );
}

/// A finished run of the small scenario in `dir/run`.
fn run_folder(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    let scenario = write_file(dir, "s.toml", &scenario_text());
    cli_support::run_ok(&scenario, &run, &[]);
    run
}

/// Rewrites `dir/file` with `edit` applied to its header and rows.
fn edit_csv(dir: &Path, file: &str, edit: impl FnOnce(&mut Vec<String>, &mut Vec<Vec<String>>)) {
    let (mut header, mut rows) = cli_support::read_csv(&dir.join(file));
    edit(&mut header, &mut rows);
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_path(dir.join(file))
        .unwrap();
    writer.write_record(&header).unwrap();
    for row in rows {
        writer.write_record(&row).unwrap();
    }
    writer.flush().unwrap();
}

/// Sets column `name` of data row `row` (0-based).
fn set(header: &[String], rows: &mut [Vec<String>], row: usize, name: &str, value: &str) {
    let col = header.iter().position(|h| h == name).unwrap();
    rows[row][col] = value.to_string();
}

/// `forcegen report DIR`, which must fail with exit code 2 and a message
/// holding each of `words`, within the time limit.
fn report_refuses(dir: &Path, words: &[&str], what: &str) {
    let output = forcegen().arg("report").arg(dir).timeout(LIMIT).output().unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{what}: {message}");
    for word in words {
        assert!(
            message.contains(word),
            "{what}: the message should say {word:?}: {message}"
        );
    }
}

/// A value the report cannot draw: file, column, value, what it is, and
/// the words its refusal must have.
type Undrawable = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
/// The values `report` must refuse, each set in the first row (or, for
/// one too large to draw, in every row).
const UNDRAWABLE: &[Undrawable] = &[
    (
        "run_info.csv",
        "horizon_days",
        "100000000",
        "a horizon of 10^8 days",
        &["run_info.csv", "horizon_days", "36525"],
    ),
    (
        "run_info.csv",
        "start",
        "9999-12-01",
        "a start a month before 9999-12-31",
        &["run_info.csv", "9999-12-31"],
    ),
    (
        "run_info.csv",
        "start",
        "+12345-01-01",
        "a start past year 9999",
        &["run_info.csv", "start"],
    ),
    (
        "timeseries.csv",
        "p95",
        "inf",
        "an infinite p95",
        &["timeseries.csv", "line 2", "p95", "finite"],
    ),
    (
        "timeseries.csv",
        "p95",
        "NaN",
        "a NaN p95",
        &["timeseries.csv", "line 2", "p95"],
    ),
    (
        "timeseries.csv",
        "mean",
        "-1e308",
        "a negative mean",
        &["timeseries.csv", "line 2", "mean"],
    ),
    (
        "timeseries.csv",
        "p95",
        "1.7e308",
        "a p95 of 1.7e308",
        &["chart", "too large"],
    ),
    (
        "timeseries.csv",
        "day",
        "2147483648",
        "a day past i32",
        &["timeseries.csv", "line 2", "day"],
    ),
    (
        "timeseries.csv",
        "day",
        "121",
        "a day past the horizon",
        &["timeseries.csv", "day", "120"],
    ),
    (
        "targets.csv",
        "p_reached",
        "1e30",
        "a share of 1e30",
        &["targets.csv", "line 2", "p_reached"],
    ),
    (
        "targets.csv",
        "day",
        "-1",
        "a negative day",
        &["targets.csv", "line 2", "day"],
    ),
    (
        "summary.csv",
        "at_least",
        "inf",
        "an infinite target",
        &["summary.csv", "line 2", "at_least"],
    ),
];

#[test]
fn report_refuses_values_it_cannot_draw() {
    let work = tempfile::tempdir().unwrap();
    let run = run_folder(work.path());
    let pristine: Vec<(String, Vec<u8>)> = cli_support::FILES
        .iter()
        .map(|f| (f.to_string(), fs::read(run.join(f)).unwrap()))
        .collect();
    let restore = || {
        for (name, bytes) in &pristine {
            fs::write(run.join(name), bytes).unwrap();
        }
    };
    for &(file, column, value, what, words) in UNDRAWABLE {
        // Values too large to draw are set in every row (so in a drawn metric).
        let every_row = words.contains(&"too large");
        edit_csv(&run, file, |header, rows| {
            for row in 0..if every_row { rows.len() } else { 1 } {
                set(header, rows, row, column, value);
            }
        });
        report_refuses(&run, words, what);
        restore();
    }
    // Huge values that still fit an axis are drawn; a target far above the
    // data (1.7e308 too) is named above the chart, and leaves the axis to
    // the data.
    for (file, column, value) in [
        ("timeseries.csv", "p95", "1e308"),
        ("summary.csv", "at_least", "1e308"),
        ("summary.csv", "at_least", "1.7e308"),
    ] {
        edit_csv(&run, file, |header, rows| {
            for row in 0..rows.len() {
                set(header, rows, row, column, value);
            }
        });
        forcegen()
            .arg("report")
            .arg(&run)
            .arg("--quiet")
            .timeout(LIMIT)
            .assert()
            .success();
        restore();
    }
    // Unedited, the report is rebuilt.
    forcegen()
        .arg("report")
        .arg(&run)
        .arg("--quiet")
        .timeout(LIMIT)
        .assert()
        .success();
}

#[test]
fn report_groups_many_metrics_quickly_and_caps_rows() {
    let work = tempfile::tempdir().unwrap();
    let run = run_folder(work.path());
    // 100,000 metrics, one row each (quadratic grouping took about a minute).
    let mut text = String::from("date,day,metric,mean,sd,p5,p25,p50,p75,p95\n");
    for m in 0..100_000 {
        text.push_str(&format!("2024-01-01,0,m{m},1,0,1,1,1,1,1\n"));
    }
    fs::write(run.join("timeseries.csv"), &text).unwrap();
    let started = std::time::Instant::now();
    forcegen().arg("report").arg(&run).timeout(LIMIT).assert().success();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "report took {:?}",
        started.elapsed()
    );

    // One row past the spreadsheet limit.
    let mut text = String::from("date,day,metric,mean,sd,p5,p25,p50,p75,p95\n");
    let row = "2024-01-01,0,m,1,0,1,1,1,1,1\n";
    text.reserve(row.len() * 1_048_576);
    for _ in 0..1_048_576 {
        text.push_str(row);
    }
    fs::write(run.join("timeseries.csv"), &text).unwrap();
    report_refuses(&run, &["timeseries.csv", "1048575 rows"], "too many rows");
}

#[test]
fn backtest_refuses_an_observed_value_that_would_overflow_the_scores() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", &scenario_text());
    let observed = write_file(
        work.path(),
        "observed.csv",
        "date,metric,value\n2024-01-08,international,10\n2024-01-15,international,1e308\n",
    );
    let out = work.path().join("bt");
    let output = forcegen()
        .arg("backtest")
        .arg(&scenario)
        .arg(&observed)
        .arg("--out")
        .arg(&out)
        .args(["--trials", "100", "-q"])
        .timeout(LIMIT)
        .output()
        .unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("observed.csv:3:") && message.contains("value") && message.contains("too large"),
        "{message}"
    );
    assert!(!out.join("backtest.csv").exists());
}
