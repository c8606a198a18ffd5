//! Reproducibility of the `forcegen` binary: byte-identical files whatever
//! the thread count, on a rerun, and after a sharded run is merged; each
//! contributor's random draws independent of the other contributors; and
//! `merge` refusing partial results that do not belong together.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{
    self, assert_same_outputs, baseline, entries, forcegen, read_csv, run_ok, stderr_of, write_file,
};

/// Three contributors whose strength depends on every kind of random draw:
/// honoured or not, uncertain fulfilment, delays, several waves with
/// uncertain gaps, attrition, withdrawal, an unlock event and a possible end
/// of mission. Contributor blocks are separated by `[[contributors]]` so the
/// tests can drop, add and reorder them.
const HEADER: &str = r#"name = "Independence"

[simulation]
start = 2024-01-01
horizon_days = 400
step = "week"
trials = 600
seed = 11

[population]
initial = "uniform(900000, 1100000)"
annual_growth = "normal(0.01, 0.002)"

[host_police]
initial = "uniform(1000, 2000)"
attrition_per_year = "uniform(0.05, 0.15)"
[[host_police.intakes]]
first_day = 30
every_days = 90
size = "triangular(50, 100, 200)"
probability = 0.8
"#;

const X: &str = r#"
[[contributors]]
name = "X"
deployed = 100
pledged = 500
probability = 0.8
fulfilment = "beta(8, 2)"
first_arrival_days = "10 to 120"
waves = 3
wave_interval_days = "uniform(10, 60)"
attrition_per_year = "uniform(0.02, 0.1)"
withdrawal_per_year = 0.2
"#;

const Y: &str = r#"
[[contributors]]
name = "Y"
deployed = 50
pledged = 300
probability = 0.6
fulfilment = "uniform(0.5, 1)"
first_arrival_days = "triangular(5, 30, 90)"
after = "go"
waves = 2
wave_interval_days = "uniform(20, 40)"
attrition_per_year = 0.1
withdrawal_per_year = "uniform(0.1, 0.3)"
"#;

const Z: &str = r#"
[[contributors]]
name = "Z"
kind = "military"
pledged = 800
probability = 0.7
fulfilment = "beta(5, 3)"
first_arrival_days = "pert(20, 60, 200)"
after = "go"
waves = 4
wave_interval_days = "gamma(4, 10)"
attrition_per_year = "uniform(0.01, 0.05)"
withdrawal_per_year = 0.1
"#;

const W: &str = r#"
[[contributors]]
name = "W"
pledged = 200
probability = 0.5
fulfilment = "uniform(0.2, 1)"
first_arrival_days = "5 to 50"
after = "go"
waves = 2
wave_interval_days = 15
attrition_per_year = 0.3
withdrawal_per_year = 0.5
"#;

const EVENTS_AND_TARGETS: &str = r#"
[[events]]
name = "go"
probability = 0.8
day = "uniform(20, 120)"
effect = "unlock"

[[events]]
name = "lapse"
probability = 0.3
day = "uniform(150, 350)"
effect = "end_mission"
drawdown_days = 60

[[targets]]
name = "X at 400"
metric = "contributor:X"
at_least = 400

[[targets]]
name = "Z at 300"
metric = "contributor:Z"
at_least = 300
"#;

fn scenario_with(contributors: &[&str]) -> String {
    let mut text = HEADER.to_string();
    for c in contributors {
        text.push_str(c);
    }
    text.push_str(EVENTS_AND_TARGETS);
    text
}

/// The rows of `file` in `dir` whose `column` is one of `keys`, as raw
/// records, in file order.
fn rows_where(dir: &Path, file: &str, column: &str, keys: &[&str]) -> Vec<Vec<String>> {
    let (header, rows) = read_csv(&dir.join(file));
    let i = header.iter().position(|h| h == column).unwrap();
    rows.into_iter().filter(|r| keys.contains(&r[i].as_str())).collect()
}

#[test]
fn baseline_is_byte_identical_whatever_the_thread_count_and_on_a_rerun() {
    let work = tempfile::tempdir().unwrap();
    // 3000 trials: not a multiple of 512, so work chunks are uneven.
    let run = |name: &str, threads: &str| -> PathBuf {
        let out = work.path().join(name);
        run_ok(&baseline(), &out, &["--trials", "3000", "--threads", threads]);
        out
    };
    let one = run("threads1", "1");
    for (name, threads) in [("threads2", "2"), ("threads4", "4"), ("rerun", "1")] {
        let other = run(name, threads);
        assert_same_outputs(&one, &other, &format!("--threads 1 vs {name}"));
    }
}

#[test]
fn daily_steps_are_byte_identical_whatever_the_thread_count() {
    let work = tempfile::tempdir().unwrap();
    let text = scenario_with(&[X, Y, Z, W]).replace("step = \"week\"", "step = \"day\"");
    let scenario = write_file(work.path(), "daily.toml", &text);
    let one = work.path().join("one");
    let three = work.path().join("three");
    run_ok(&scenario, &one, &["--trials", "1031", "--threads", "1"]);
    run_ok(&scenario, &three, &["--trials", "1031", "--threads", "3"]);
    assert_same_outputs(&one, &three, "daily steps, --threads 1 vs 3");
}

#[test]
fn a_contributors_results_do_not_depend_on_the_other_contributors() {
    let work = tempfile::tempdir().unwrap();
    let variants = [
        ("xyz", scenario_with(&[X, Y, Z])),
        ("without_y", scenario_with(&[X, Z])),
        ("plus_w_first", scenario_with(&[W, X, Y, Z])),
        ("plus_w_last", scenario_with(&[X, Y, Z, W])),
        ("reordered", scenario_with(&[Z, Y, X])),
    ];
    let mut outs = Vec::new();
    for (name, text) in &variants {
        let scenario = write_file(work.path(), &format!("{name}.toml"), text);
        let out = work.path().join(name);
        run_ok(&scenario, &out, &[]);
        outs.push((*name, out));
    }
    let (reference_name, reference) = &outs[0];
    // Sort rows so that a reordered scenario (Z listed before X) compares equal.
    let sorted = |mut rows: Vec<Vec<String>>| {
        rows.sort();
        rows
    };
    let series = |dir: &Path| {
        sorted(rows_where(
            dir,
            "timeseries.csv",
            "metric",
            &["contributor:X", "contributor:Z"],
        ))
    };
    let delivery = |dir: &Path| sorted(rows_where(dir, "contributors.csv", "contributor", &["X", "Z"]));
    let targets = |dir: &Path| sorted(rows_where(dir, "targets.csv", "target", &["X at 400", "Z at 300"]));

    let reference_series = series(reference);
    assert!(
        !reference_series.is_empty(),
        "no contributor:X / contributor:Z rows in timeseries.csv"
    );
    // The streams matter: X and Z vary across trials at some date.
    let (header, _) = read_csv(&reference.join("timeseries.csv"));
    let sd = header.iter().position(|h| h == "sd").unwrap();
    assert!(
        reference_series.iter().any(|r| r[sd] != "0"),
        "X and Z never vary: the test scenario is too tame"
    );

    for (name, out) in &outs[1..] {
        assert_eq!(
            series(out),
            reference_series,
            "timeseries.csv contributor:X/Z rows, {reference_name} vs {name}"
        );
        assert_eq!(
            delivery(out),
            delivery(reference),
            "contributors.csv X/Z rows, {reference_name} vs {name}"
        );
        assert_eq!(
            targets(out),
            targets(reference),
            "targets.csv rows for X/Z targets, {reference_name} vs {name}"
        );
    }
    // The aggregate metrics do change when Y goes, as they should.
    let international = |dir: &Path| rows_where(dir, "timeseries.csv", "metric", &["international"]);
    assert_ne!(
        international(reference),
        international(&outs[1].1),
        "removing Y changed nothing in `international`"
    );
}

/// `run SCENARIO --shard K/N --partial FILE` with extra args; asserts success.
fn run_shard(scenario: &Path, shard: &str, partial: &Path, extra: &[&str]) {
    forcegen()
        .arg("run")
        .arg(scenario)
        .args(["--quiet", "--shard", shard, "--partial"])
        .arg(partial)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn merged_shards_are_byte_identical_to_a_single_run() {
    let work = tempfile::tempdir().unwrap();
    let args = ["--trials", "2000", "--seed", "424242"];
    let single = work.path().join("single");
    run_ok(&baseline(), &single, &args);

    let parts: Vec<PathBuf> = (1..=3).map(|k| work.path().join(format!("p{k}.part"))).collect();
    for (k, part) in parts.iter().enumerate() {
        run_shard(&baseline(), &format!("{}/3", k + 1), part, &args);
        assert!(part.is_file(), "shard {} wrote no partial file", k + 1);
    }
    // Shards write no CSV files of their own.
    let mut expected: Vec<String> = vec!["p1.part".into(), "p2.part".into(), "p3.part".into(), "single".into()];
    expected.sort();
    assert_eq!(
        entries(work.path()),
        expected,
        "a shard wrote something besides its partial file"
    );

    let merged = work.path().join("merged");
    forcegen()
        .arg("merge")
        .args(&parts)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .code(0)
        .stderr("");
    assert_same_outputs(&single, &merged, "single run vs merge of 3 shards");
}

#[test]
fn merge_refuses_partials_that_do_not_belong_together() {
    let work = tempfile::tempdir().unwrap();
    let text = scenario_with(&[X, Y, Z]);
    let scenario = write_file(work.path(), "a.toml", &text);
    let other_scenario = write_file(work.path(), "b.toml", &scenario_with(&[X, Z]));
    let part = |name: &str| work.path().join(name);
    for k in 1..=3 {
        run_shard(&scenario, &format!("{k}/3"), &part(&format!("p{k}.part")), &[]);
    }
    run_shard(&scenario, "2/3", &part("seed2.part"), &["--seed", "12"]);
    run_shard(&other_scenario, "2/3", &part("other2.part"), &[]);
    run_shard(&scenario, "2/3", &part("trials2.part"), &["--trials", "601"]);

    // Sanity: the good set merges, given in any order, to what a single run writes.
    forcegen()
        .arg("merge")
        .args([part("p3.part"), part("p1.part"), part("p2.part")])
        .arg("--out")
        .arg(part("good"))
        .arg("--quiet")
        .assert()
        .code(0);
    run_ok(&scenario, &part("single"), &[]);
    assert_same_outputs(
        &part("single"),
        &part("good"),
        "single run vs merge of shards given as 3, 1, 2",
    );

    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("a different seed", &["p1.part", "seed2.part", "p3.part"], &["seed"]),
        (
            "a different scenario",
            &["p1.part", "other2.part", "p3.part"],
            &["scenario"],
        ),
        (
            "a different trial count",
            &["p1.part", "trials2.part", "p3.part"],
            &["trials"],
        ),
        ("a missing shard", &["p1.part", "p3.part"], &["missing", "2/3"]),
        (
            "a duplicated shard",
            &["p1.part", "p2.part", "p2.part", "p3.part"],
            &["2/3", "twice"],
        ),
    ];
    for (i, (what, files, words)) in cases.iter().enumerate() {
        let files: Vec<PathBuf> = files.iter().map(|f| part(f)).collect();
        assert_merge_refused(&files, &work.path().join(format!("refused{i}")), what, words);
    }

    // A file that is not a partial result at all.
    let bogus = write_file(work.path(), "bogus.part", "not a partial");
    let out = work.path().join("refused_bogus");
    let output = forcegen()
        .arg("merge")
        .arg(&bogus)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "merge of a non-partial: {}",
        stderr_of(&output)
    );
    assert!(
        stderr_of(&output).contains("bogus.part"),
        "the message names the file: {}",
        stderr_of(&output)
    );
    assert!(entries(&out).is_empty());
    assert!(fs::metadata(part("good")).is_ok());
}

/// `merge` of `files` into `out` stops with exit 2, a message with each
/// of `words` (in any case), and writes and prints nothing.
fn assert_merge_refused(files: &[PathBuf], out: &Path, what: &str, words: &[&str]) {
    let output = forcegen()
        .arg("merge")
        .args(files)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "merge with {what}: exit code; stderr: {stderr}"
    );
    let lower = stderr.to_lowercase();
    for word in words {
        assert!(
            lower.contains(word),
            "merge with {what}: the message does not mention {word:?}: {stderr}"
        );
    }
    assert!(entries(out).is_empty(), "merge with {what} wrote {:?}", entries(out));
    assert!(output.stdout.is_empty(), "merge with {what} printed a summary");
}

/// Removes the `[[contributors]]` block whose name is `name` from scenario text.
fn without_contributor(text: &str, name: &str) -> String {
    let blocks: Vec<&str> = text.split("\n[[").collect();
    let kept: Vec<&str> = blocks
        .iter()
        .filter(|b| !(b.starts_with("contributors]]") && b.contains(&format!("name = \"{name}\""))))
        .copied()
        .collect();
    assert_eq!(kept.len() + 1, blocks.len(), "contributor {name} not found once");
    kept.join("\n[[")
}

/// Regression: large groups with high attrition are sampled by binomial
/// thinning between the days they are evaluated on; those days once
/// included other contributors' arrival days, so removing a contributor
/// changed `host_police` and other contributors' series.
#[test]
fn removing_a_contributor_leaves_host_police_and_the_others_unchanged() {
    let work = tempfile::tempdir().unwrap();
    let big = r#"
name = "Big groups"
[simulation]
start = 2024-01-01
horizon_days = 200
trials = 300
seed = 11
[population]
initial = 1000000
[host_police]
initial = 20000
attrition_per_year = "uniform(0.3, 0.6)"
[[contributors]]
name = "Large"
deployed = 6000
pledged = 3000
first_arrival_days = "uniform(10, 90)"
attrition_per_year = 0.5
[[contributors]]
name = "Other"
pledged = 300
first_arrival_days = "uniform(5, 150)"
waves = 3
wave_interval_days = "uniform(3, 20)"
[[targets]]
name = "Police at 100"
metric = "police_per_100k"
at_least = 100
[[targets]]
name = "Everyone"
metric = "security_forces"
at_least = 27000
"#;
    let pessimistic = std::fs::read_to_string(cli_support::scenarios_dir().join("haiti-pessimistic.toml")).unwrap();
    let cases = [
        (
            "big",
            big.to_string(),
            "Other",
            vec!["host_police", "contributor:Large"],
        ),
        (
            "pessimistic",
            pessimistic,
            "Antigua and Barbuda",
            vec![
                "host_police",
                "contributor:Kenya",
                "contributor:Benin",
                "contributor:Jamaica",
            ],
        ),
    ];
    for (label, text, removed, kept) in cases {
        let with = write_file(work.path(), &format!("{label}-with.toml"), &text);
        let without = write_file(
            work.path(),
            &format!("{label}-without.toml"),
            &without_contributor(&text, removed),
        );
        let (out_with, out_without) = (
            work.path().join(format!("{label}-a")),
            work.path().join(format!("{label}-b")),
        );
        run_ok(&with, &out_with, &["--trials", "300"]);
        run_ok(&without, &out_without, &["--trials", "300"]);
        let series = |dir: &Path| rows_where(dir, "timeseries.csv", "metric", &kept);
        assert_eq!(
            series(&out_with),
            series(&out_without),
            "{label}: removing {removed} changed {kept:?}"
        );
    }
}
