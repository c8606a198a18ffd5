//! End-to-end tests of `--set PATH=VALUE` on `forcegen run` and `validate`:
//! an override changes the results exactly as the same edit of the file
//! would, is checked like the file, is reported against the `--set` that
//! caused a problem, and is recorded in `run_info.csv`.

use std::fs;
use std::path::Path;

use crate::cli_support::{
    FILES, cell, entries, forcegen, read_csv, run_info, run_ok, run_output, sha256_hex, stderr_of, write_file,
};

/// Two contributors and a target on each; `B` is in line 19 (for line numbers).
const SCENARIO: &str = r#"name = "Overrides"

[simulation]
start = 2024-01-01
horizon_days = 120
step = "week"
trials = 400
seed = 11

[population]
initial = 1000000

[[contributors]]
name = "A"
pledged = 200
probability = 0.9 # most likely honoured
first_arrival_days = "uniform(5, 40)"

[[contributors]]
name = "B"
deployed = 50
pledged = 100

[[targets]]
name = "A at 150"
metric = "contributor:A"
at_least = 150

[[targets]]
name = "Force at 300, all told"
metric = "international"
at_least = 300
"#;

/// Runs with `args`, expects exit code 2 and no output folder; returns stderr.
fn refused(scenario: &Path, out: &Path, args: &[&str]) -> String {
    let output = run_output(scenario, out, args);
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!out.exists(), "{args:?} wrote {:?}", entries(out));
    stderr
}

/// The `contributors.csv` row of `name`, as (header, row).
fn contributor(dir: &Path, name: &str) -> (Vec<String>, Vec<String>) {
    let (header, rows) = read_csv(&dir.join("contributors.csv"));
    let row = rows
        .into_iter()
        .find(|r| r[0] == name)
        .unwrap_or_else(|| panic!("no row for {name}"));
    (header, row)
}

#[test]
fn probability_zero_delivers_nothing() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let (plain, zero) = (work.path().join("plain"), work.path().join("zero"));
    run_ok(&scenario, &plain, &[]);
    run_ok(&scenario, &zero, &["--set", "contributors.A.probability=0"]);
    let (h, row) = contributor(&plain, "A");
    assert!(cell(&h, &row, "mean_delivered").parse::<f64>().unwrap() > 100.0);
    let (h, row) = contributor(&zero, "A");
    assert_eq!(cell(&h, &row, "mean_delivered"), "0");
    assert_eq!(cell(&h, &row, "p_full_delivery"), "0");
    assert_eq!(cell(&h, &row, "last_wave_date_p5"), "");
    // B is untouched: its own streams do not depend on A's probability.
    assert_eq!(contributor(&plain, "B"), contributor(&zero, "B"));
}

#[test]
fn an_override_equals_the_same_edit_of_the_file() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let edited_text = SCENARIO
        .replace("probability = 0.9 #", "probability = 0.5 #")
        .replace("pledged = 100\n", "pledged = 100\nfulfilment = \"beta(8, 2)\"\n");
    let edited = write_file(work.path(), "edited.toml", &edited_text);
    let (by_set, by_file) = (work.path().join("set"), work.path().join("file"));
    let sets = [
        "--set",
        "contributors.A.probability=0.5",
        "--set",
        "contributors.B.fulfilment=beta(8, 2)",
    ];
    run_ok(&scenario, &by_set, &sets);
    run_ok(&edited, &by_file, &[]);
    for file in &FILES[..4] {
        assert_eq!(
            fs::read(by_set.join(file)).unwrap(),
            fs::read(by_file.join(file)).unwrap(),
            "{file}"
        );
    }
    // The fingerprint is of the effective (edited) text; the overrides are listed.
    let (h, info) = run_info(&by_set);
    assert_eq!(cell(&h, &info, "scenario_sha256"), sha256_hex(edited_text.as_bytes()));
    assert_eq!(
        cell(&h, &info, "overrides"),
        "contributors.A.probability=0.5; contributors.B.fulfilment=beta(8, 2)"
    );
    let (h, info) = run_info(&by_file);
    assert_eq!(cell(&h, &info, "overrides"), "");
}

#[test]
fn names_with_spaces_and_commas_and_simulation_settings_can_be_set() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    run_ok(
        &scenario,
        &out,
        &[
            "--set",
            "targets.Force at 300, all told.at_least=0",
            "--set",
            "simulation.step=month",
            "--set",
            "simulation.horizon_days=60",
        ],
    );
    let (h, rows) = read_csv(&out.join("summary.csv"));
    let row = rows.iter().find(|r| r[0] == "Force at 300, all told").unwrap();
    assert_eq!(cell(&h, row, "at_least"), "0");
    assert_eq!(cell(&h, row, "p_reached_by_horizon"), "1");
    let (h, info) = run_info(&out);
    assert_eq!(
        (cell(&h, &info, "step"), cell(&h, &info, "horizon_days")),
        ("month", "60")
    );
}

#[test]
fn a_bad_value_names_the_set_and_what_is_allowed_and_writes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    let stderr = refused(&scenario, &out, &["--set", "contributors.A.probability=1.5"]);
    assert!(
        stderr.contains("--set contributors.A.probability=1.5: field `contributors.A.probability`"),
        "{stderr}"
    );
    assert!(stderr.contains("between 0 and 1"), "{stderr}");
    assert!(!stderr.contains("s.toml:"), "blamed the file: {stderr}");
    let stderr = refused(&scenario, &out, &["--set", "contributors.B.fulfilment=beta(8)"]);
    assert!(stderr.contains("--set contributors.B.fulfilment=beta(8)"), "{stderr}");
}

#[test]
fn an_unknown_contributor_gets_a_did_you_mean() {
    let work = tempfile::tempdir().unwrap();
    let kenya = SCENARIO
        .replace("name = \"A\"", "name = \"Kenya\"")
        .replace("contributor:A", "contributor:Kenya");
    let scenario = write_file(work.path(), "s.toml", &kenya);
    let out = work.path().join("out");
    let stderr = refused(&scenario, &out, &["--set", "contributors.Kenia.probability=0.5"]);
    assert!(stderr.contains("--set contributors.Kenia.probability=0.5"), "{stderr}");
    assert!(stderr.contains("no contributor named \"Kenia\""), "{stderr}");
    assert!(stderr.contains("did you mean \"Kenya\"?"), "{stderr}");
}

#[test]
fn an_unknown_key_is_reported_against_the_set() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    let stderr = refused(&scenario, &out, &["--set", "contributors.A.probabilty=0.5"]);
    assert!(stderr.contains("--set contributors.A.probabilty=0.5"), "{stderr}");
    assert!(stderr.contains("did you mean `probability`"), "{stderr}");
}

#[test]
fn a_list_of_tables_that_does_not_exist_is_named() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    let stderr = refused(&scenario, &out, &["--set", "host_police.intakes.1.size=100"]);
    assert!(stderr.contains("no [[host_police.intakes]]"), "{stderr}");
    let stderr = refused(&scenario, &out, &["--set", "events.vote.day=3"]);
    assert!(stderr.contains("no [[events]]"), "{stderr}");
    // A missing plain table is created: host police where the file has none.
    run_ok(&scenario, &out, &["--set", "host_police.initial=700"]);
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    let host = rows.iter().find(|r| cell(&h, r, "metric") == "host_police").unwrap();
    assert_eq!(cell(&h, host, "p50"), "700");
}

#[test]
fn the_files_own_problems_keep_their_line_numbers() {
    let work = tempfile::tempdir().unwrap();
    // Line 22 is wrong; the inserted `fulfilment` key lands above it.
    let bad = SCENARIO.replace("pledged = 100", "pledged = -100");
    assert_eq!(bad.lines().nth(21), Some("pledged = -100"));
    let scenario = write_file(work.path(), "bad.toml", &bad);
    let out = work.path().join("out");
    let stderr = refused(&scenario, &out, &["--set", "contributors.A.fulfilment=0.5"]);
    assert!(stderr.contains("bad.toml:22:"), "{stderr}");
    assert!(!stderr.contains("--set"), "{stderr}");
}

#[test]
fn validate_takes_sets_too() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    forcegen()
        .arg("validate")
        .arg(&scenario)
        .args(["--set", "simulation.step=day"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("(with 1 --set): ok"))
        .stdout(predicates::str::contains("121 report days"));
    let output = forcegen()
        .arg("validate")
        .arg(&scenario)
        .args(["--set", "simulation.horizon_days=0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("--set simulation.horizon_days=0"));
}

/// A what-if (`--set`) or an edited scenario reruns into the scenario's own
/// folder without `--force` (the folder belongs to the scenario's name);
/// `run_info.csv` records the new fingerprint and the overrides. Another
/// scenario still needs `--force`.
#[test]
fn an_override_or_an_edit_reruns_into_the_scenarios_own_folder() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &[]);
    let (h, before) = run_info(&out);
    run_ok(&scenario, &out, &["--set", "simulation.seed=5", "--trials", "100"]);
    let (h2, info) = run_info(&out);
    assert_eq!((cell(&h2, &info, "seed"), cell(&h2, &info, "trials")), ("5", "100"));
    assert_eq!(cell(&h2, &info, "overrides"), "simulation.seed=5");
    assert_ne!(
        cell(&h, &before, "scenario_sha256"),
        cell(&h2, &info, "scenario_sha256")
    );
    let edited = write_file(work.path(), "s.toml", &format!("# an edit\n{SCENARIO}"));
    run_ok(&edited, &out, &[]);
    let renamed = write_file(
        work.path(),
        "t.toml",
        &SCENARIO.replacen("name = \"", "name = \"Other ", 1),
    );
    let output = run_output(&renamed, &out, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(stderr_of(&output).contains("--force"));
}

#[test]
fn shards_carry_their_overrides_into_the_merge() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let single = work.path().join("single");
    let set = ["--set", "contributors.A.probability=0.3"];
    run_ok(&scenario, &single, &set);
    let mut partials = Vec::new();
    for k in 1..=2 {
        let part = work.path().join(format!("p{k}.part"));
        forcegen()
            .arg("run")
            .arg(&scenario)
            .args(["--quiet", "--shard", &format!("{k}/2"), "--partial"])
            .arg(&part)
            .args(set)
            .assert()
            .success();
        partials.push(part);
    }
    let merged = work.path().join("merged");
    forcegen()
        .arg("merge")
        .args(&partials)
        .arg("--out")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .success();
    for file in FILES {
        assert_eq!(
            fs::read(single.join(file)).unwrap(),
            fs::read(merged.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn a_path_to_a_whole_entry_says_to_name_one_of_its_fields() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    for (set, entry) in [
        ("contributors.B=5", "contributors.B"),
        ("contributors.2=5", "contributors.B"),
        ("targets.Force at 300, all told=5", "targets.Force at 300, all told"),
    ] {
        let stderr = refused(&scenario, &out, &["--set", set]);
        let expect = format!("error: --set {set}: field `{entry}`: is a whole ");
        assert!(stderr.starts_with(&expect), "{set}: {stderr}");
        assert!(stderr.contains("name one of its fields"), "{set}: {stderr}");
        assert!(!stderr.contains("did you mean"), "{set}: {stderr}");
    }
    let stderr = refused(&scenario, &out, &["--set", "contributors.B=5"]);
    assert!(
        stderr.contains("e.g. contributors.B.pledged=5 (fields: name, deployed, pledged, probability,"),
        "{stderr}"
    );
    // The built-in baseline, as in the review: no "did you mean" the same name.
    let output = forcegen()
        .args(["run", "-q", "--set", "contributors.Benin=5", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: --set contributors.Benin=5: field `contributors.Benin`: is a whole contributor"),
        "{stderr}"
    );
}

#[test]
fn a_seed_beyond_the_file_limit_says_what_is_allowed() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "s.toml", SCENARIO);
    let out = work.path().join("out");
    for seed in ["18446744073709551615", "9007199254740993", "-1"] {
        let set = format!("simulation.seed={seed}");
        let stderr = refused(&scenario, &out, &["--set", &set]);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!("error: --set {set}: field `simulation.seed`: ")),
            "{stderr}"
        );
        assert!(
            stderr.contains("must be a whole number from 0 to 9007199254740992"),
            "{stderr}"
        );
        assert!(stderr.contains("--seed option takes any whole number"), "{stderr}");
        assert!(!stderr.contains("found string"), "{stderr}");
    }
    // The same in the file, with the exact number; the largest allowed runs.
    let file = write_file(
        work.path(),
        "big.toml",
        &SCENARIO.replace("seed = 11", "seed = 18446744073709551615"),
    );
    let stderr = refused(&file, &out, &[]);
    assert!(stderr.contains("big.toml:8:8: field `simulation.seed`"), "{stderr}");
    assert!(stderr.contains("got 18446744073709551615"), "{stderr}");
    run_ok(&scenario, &out, &["--set", "simulation.seed=9007199254740992"]);
    let (h, info) = run_info(&out);
    assert_eq!(cell(&h, &info, "seed"), "9007199254740992");
    // --seed itself takes any u64.
    run_ok(
        &scenario,
        &work.path().join("out2"),
        &["--seed", "18446744073709551615"],
    );
}

/// A `--set` that makes a correlated input constant is refused at the
/// `[[correlations]]` lines, which then name that `--set`.
#[test]
fn correlation_problems_caused_by_an_override_name_it() {
    let work = tempfile::tempdir().unwrap();
    let correlated = format!(
        "{}\n[[correlations]]\ninputs = [\"contributors.A.first_arrival_days\", \"contributors.B.fulfilment\"]\n\
         rank_correlation = 0.5\n",
        SCENARIO.replace("pledged = 100", "pledged = 100\nfulfilment = \"beta(8, 2)\"")
    );
    let scenario = write_file(work.path(), "c.toml", &correlated);
    let out = work.path().join("out");
    run_ok(&scenario, &out, &[]);
    let out = work.path().join("out-constant");
    let stderr = refused(&scenario, &out, &["--set", "contributors.B.fulfilment=1"]);
    let line = correlated.lines().position(|l| l.starts_with("inputs = ")).unwrap() + 1;
    let place = format!("c.toml:{line}:10: field `correlations.1.inputs`");
    assert!(stderr.contains(&place), "{stderr}");
    assert!(
        stderr.contains("`contributors.B.fulfilment` is a constant here")
            && stderr.contains("(the value comes from --set contributors.B.fulfilment=1)"),
        "{stderr}"
    );
    // A renamed contributor too.
    let stderr = refused(&scenario, &out, &["--set", "contributors.B.name=C"]);
    assert!(
        stderr.contains("(the name comes from --set contributors.B.name=C)"),
        "{stderr}"
    );
    // The shipped pessimistic scenario, swept as in the review.
    let output = forcegen()
        .args(["sweep", "scenarios/haiti-pessimistic.toml", "-q", "--out"])
        .arg(work.path().join("sweep"))
        .args(["--set", "contributors.Kenya.fulfilment=beta(9,1),1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let constant: Vec<&str> = stderr.lines().filter(|l| l.contains("is a constant here")).collect();
    assert!(!constant.is_empty(), "{stderr}");
    for line in constant {
        assert!(
            line.starts_with("grid point 2: scenarios/haiti-pessimistic.toml:")
                && line.ends_with("(the value comes from --set contributors.Kenya.fulfilment=1)"),
            "{line}"
        );
    }
}
