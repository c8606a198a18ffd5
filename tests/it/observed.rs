//! `forcegen run --observed`: a run conditioned on observations (approximate
//! Bayesian rejection, docs/MODEL.md §5.19), end to end. The closed-form
//! check: one pledge honoured with probability p, arriving on day
//! round(U), U ~ uniform(0, 100), so F(d) = P(arrived by day d) = (d +
//! 0.5) / 100. Observing nobody on day d, Bayes gives P(honoured | nobody
//! by d) = p (1 - F(d)) / (1 - p F(d)), and the trials are kept with
//! probability 1 - p F(d); observing the whole pledge there, P(honoured) = 1.

use std::path::Path;

use crate::cli_support::{
    assert_same_outputs, entries, forcegen, read_csv, run_info, run_output, stderr_of, write_file,
};
use crate::common::{SHARE_PRINT, check_share};

/// The honour probability, the pledge and the observed day.
const P: f64 = 0.4;
const PLEDGED: u32 = 30;
const DAY: u32 = 40;

fn scenario() -> String {
    format!(
        r#"name = "one pledge"

[simulation]
start = 2024-01-01
horizon_days = 200
step = "month"

[population]
initial = 1000000

[[contributors]]
name = "A"
pledged = {PLEDGED}
probability = {P}
first_arrival_days = "uniform(0, 100)"
"#
    )
}

/// F(d): P(round(U) <= d), U ~ uniform(0, 100).
fn arrived_by(d: u32) -> f64 {
    ((f64::from(d) + 0.5) / 100.0).clamp(0.0, 1.0)
}

/// The observed file: contributor A's head count on day [`DAY`] (2024-02-10).
fn observed(dir: &Path, value: &str) -> std::path::PathBuf {
    let text = format!("date,metric,value,contributor,error\n2024-02-10,,{value},A,\n");
    write_file(dir, "observed.csv", &text)
}

/// Runs the conditioned scenario; its output.
fn run(dir: &Path, value: &str, out: &str, args: &[&str]) -> std::process::Output {
    let scenario = write_file(dir, "one.toml", &scenario());
    let observed = observed(dir, value);
    let mut all = vec![
        "--observed",
        observed.to_str().expect("UTF-8 path"),
        "--seed",
        "29",
        "--no-drivers",
    ];
    all.extend(args);
    run_output(&scenario, &dir.join(out), &all)
}

/// `run_info.csv`'s value of `column`, as a number.
fn info(dir: &Path, column: &str) -> u64 {
    let (header, row) = run_info(dir);
    let at = header
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no {column} in {header:?}"));
    row[at].parse().expect("a whole number")
}

/// `posterior.csv`'s `mean_after` of `input`.
fn mean_after(dir: &Path, input: &str) -> f64 {
    let (header, rows) = read_csv(&dir.join("posterior.csv"));
    let row = rows
        .iter()
        .find(|r| r[0] == input)
        .unwrap_or_else(|| panic!("no {input} in posterior.csv"));
    let at = header.iter().position(|h| h == "mean_after").expect("mean_after");
    row[at].parse().expect("a number")
}

#[test]
fn nobody_observed_gives_the_closed_form_posterior() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let trials: u64 = 20_000;
    let output = run(dir.path(), "0", "out", &["--trials", "20000"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let out = dir.path().join("out");
    let f = arrived_by(DAY);
    let kept = info(&out, "trials_accepted");
    assert_eq!(info(&out, "trials_run"), trials);
    assert_eq!(info(&out, "trials"), kept, "the files rest on the kept trials");
    check_share("share kept", kept as f64 / trials as f64, 1.0 - P * f, trials, 0.0);
    let posterior = P * (1.0 - f) / (1.0 - P * f);
    let honour = mean_after(&out, "contributors.A.probability");
    check_share("P(honoured | nobody by day 40)", honour, posterior, kept, 5e-6);
    // The files are the posterior's, on the scenario's own (monthly) report
    // days: on day 91 (2024-04-01), mean strength is PLEDGED * P(honoured
    // and arrived by 91 | nobody by 40); day 40 is not one of them.
    let (header, rows) = read_csv(&out.join("timeseries.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let mean_on = |date: &str| -> f64 {
        let row = rows
            .iter()
            .find(|r| r[col("date")] == date && r[col("metric")] == "contributor:A")
            .unwrap_or_else(|| panic!("no contributor:A row on {date}"));
        row[col("mean")].parse().expect("a number")
    };
    assert!(
        !rows.iter().any(|r| r[col("date")] == "2024-02-10"),
        "day 40 is not reported"
    );
    let later = P * (arrived_by(91) - f) / (1.0 - P * f);
    let scaled = mean_on("2024-04-01") / f64::from(PLEDGED);
    check_share("mean strength on day 100 / pledge", scaled, later, kept, SHARE_PRINT);
}

#[test]
fn the_whole_pledge_observed_means_it_was_honoured() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let output = run(dir.path(), &PLEDGED.to_string(), "out", &["--trials", "5000"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let out = dir.path().join("out");
    check_share(
        "share kept",
        info(&out, "trials_accepted") as f64 / 5000.0,
        P * arrived_by(DAY),
        5000,
        0.0,
    );
    assert_eq!(mean_after(&out, "contributors.A.probability"), 1.0);
    for file in ["posterior.csv", "observations.csv", "report.html"] {
        assert!(entries(&out).contains(&file.to_string()), "{file} written");
    }
    // The report shows the conditioning, and `forcegen report` rebuilds it
    // from the folder's CSV files byte for byte.
    let page = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(page.contains("Conditioned on observations") && page.contains("id=\"posterior\""));
    let output = forcegen().arg("report").arg(&out).output().expect("report");
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(std::fs::read_to_string(out.join("report.html")).expect("report"), page);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let output = run(dir.path(), "0", out, &["--trials", "3000", "--threads", threads]);
        assert!(output.status.success(), "{}", stderr_of(&output));
    }
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    assert_same_outputs(&one, &two, "1 and 2 threads");
    for file in ["posterior.csv", "observations.csv", "run_info.csv"] {
        let read = |d: &Path| std::fs::read(d.join(file)).expect("read");
        assert_eq!(read(&one), read(&two), "{file} on 1 and 2 threads");
    }
}

#[test]
fn an_observation_the_scenario_cannot_produce_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let output = run(dir.path(), &(PLEDGED + 1).to_string(), "out", &["--trials", "2000"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("only 0 of 2000 trials"), "{stderr}");
    assert!(
        stderr.contains("observed.csv:2, contributor:A on 2024-02-10 = 31 (exact)"),
        "{stderr}"
    );
    assert!(stderr.contains("no trial comes close to it"), "{stderr}");
    assert!(!dir.path().join("out").exists(), "nothing written");
    // A fractional head count given as exact is refused before any trial runs.
    let output = run(dir.path(), "2.5", "out", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains(":2:3: column `value`: 2.5 is not a whole number"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn too_few_kept_trials_are_refused_and_the_minimum_can_be_set() {
    let dir = tempfile::tempdir().expect("temporary folder");
    // Kept with probability P F(40) = 0.162: about 16 of 100.
    let output = run(dir.path(), &PLEDGED.to_string(), "out", &["--trials", "100"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("at least 100 are needed, --min-accepted"),
        "{}",
        stderr_of(&output)
    );
    let output = run(
        dir.path(),
        &PLEDGED.to_string(),
        "out",
        &["--trials", "100", "--min-accepted", "5"],
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
}

#[test]
fn a_plain_run_keeps_its_run_info_columns() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let scenario = write_file(dir.path(), "one.toml", &scenario());
    let out = dir.path().join("plain");
    let output = run_output(&scenario, &out, &["--trials", "200", "--no-drivers"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (header, _) = run_info(&out);
    assert!(
        !header
            .iter()
            .any(|h| h.starts_with("observed") || h.starts_with("trials_")),
        "{header:?}"
    );
    assert!(!entries(&out).contains(&"posterior.csv".to_string()));
}

#[test]
fn a_million_observation_rows_are_read() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut text = String::with_capacity(26 * 1_000_001);
    text.push_str("date,metric,value\n");
    for _ in 0..1_000_000 {
        text.push_str("2024-01-01,contributor:A,0\n");
    }
    let observed = write_file(dir.path(), "million.csv", &text);
    let scenario = write_file(dir.path(), "one.toml", &scenario());
    let out = dir.path().join("out");
    let args = [
        "--observed",
        observed.to_str().expect("UTF-8"),
        "--trials",
        "200",
        "--no-drivers",
    ];
    let output = run_output(&scenario, &out, &args);
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(info(&out, "observations"), 1_000_000);
    // One more row is past the limit, and refused.
    text.push_str("2024-01-01,contributor:A,0\n");
    let observed = write_file(dir.path(), "million.csv", &text);
    let args = [
        "--observed",
        observed.to_str().expect("UTF-8"),
        "--trials",
        "200",
        "--force",
    ];
    let output = run_output(&scenario, &out, &args);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("more than 1000000 observations"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn observed_needs_a_file_and_excludes_until_se() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let observed = observed(dir.path(), "0");
    let observed = observed.to_str().expect("UTF-8");
    for args in [
        vec!["run", "--min-accepted", "5"],
        vec!["run", "--observed", observed, "--until-se", "0.01"],
    ] {
        let output = forcegen().args(&args).current_dir(dir.path()).output().expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr_of(&output));
    }
}

/// Runs shard `k` of the conditioned scenario (observing `value`) into `partial`.
fn shard(dir: &Path, value: &str, k: &str, partial: &str) {
    let scenario = write_file(dir, "one.toml", &scenario());
    let observed = observed(dir, value);
    let output = forcegen()
        .arg("run")
        .arg(&scenario)
        .arg("--observed")
        .arg(&observed)
        .args(["--seed", "29", "--trials", "3000", "--quiet", "--shard", k, "--partial"])
        .arg(dir.join(partial))
        .output()
        .expect("run a shard");
    assert!(output.status.success(), "{}", stderr_of(&output));
}

/// `forcegen merge PARTIALS... --out OUT --quiet`.
fn merge(dir: &Path, partials: &[&str], out: &str) -> std::process::Output {
    forcegen()
        .arg("merge")
        .args(partials.iter().map(|p| dir.join(p)))
        .arg("--out")
        .arg(dir.join(out))
        .arg("--quiet")
        .output()
        .expect("run merge")
}

#[test]
fn shards_merge_into_the_single_run_and_only_with_the_same_observations() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let d = dir.path();
    let output = run(d, "0", "single", &["--trials", "3000"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    shard(d, "0", "1/2", "a.partial");
    shard(d, "0", "2/2", "b.partial");
    let output = merge(d, &["a.partial", "b.partial"], "merged");
    assert!(output.status.success(), "{}", stderr_of(&output));
    let (single, merged) = (d.join("single"), d.join("merged"));
    assert_same_outputs(&single, &merged, "single run and merged shards");
    for file in ["posterior.csv", "observations.csv", "run_info.csv"] {
        let read = |dir: &Path| std::fs::read(dir.join(file)).expect("read");
        assert_eq!(read(&single), read(&merged), "{file}: single run and merged shards");
    }
    // A shard conditioned on another file, or on none, does not merge.
    shard(d, "30", "2/2", "other.partial");
    let scenario = write_file(d, "one.toml", &scenario());
    let plain = forcegen()
        .arg("run")
        .arg(&scenario)
        .args(["--seed", "29", "--trials", "3000", "--shard", "2/2", "--partial"])
        .arg(d.join("plain.partial"))
        .arg("--quiet")
        .output()
        .expect("run");
    assert!(plain.status.success(), "{}", stderr_of(&plain));
    for other in ["other.partial", "plain.partial"] {
        let output = merge(d, &["a.partial", other], "refused");
        assert_eq!(output.status.code(), Some(2), "{other}: {}", stderr_of(&output));
        assert!(
            stderr_of(&output).contains("observed file (SHA-256)"),
            "{}",
            stderr_of(&output)
        );
        assert!(!d.join("refused").exists(), "nothing written");
    }
}
