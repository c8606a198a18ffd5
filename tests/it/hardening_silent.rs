//! Issue #26, nothing silently wrong or silently ignored:
//! - capabilities that could pass 2^32, and a population that could fall
//!   below one person, are refused at their field (exit code 2);
//! - `merge` refuses partials whose ratio sums were multiplied after the
//!   run, and still merges real shards with money and ratio metrics;
//! - `validate` and `run` warn about values that change nothing: the
//!   capabilities of a contingent that pledges nobody, a share-of-ceiling
//!   target against a ceiling of 0, a transform's cost without `[funding]`,
//!   and `--report-date`, `--xlsx`, `--wide` or `--no-drivers` with `--shard`.

use std::fs;
use std::path::Path;

use crate::cli_support::{forcegen, scenarios_dir, stderr_of, write_file};

const HEAD: &str = "name = \"silent\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 365\n\
                    [population]\ninitial = 12000000\n";

/// `forcegen validate` of `text`: exit code and stderr.
fn validate(text: &str) -> (Option<i32>, String) {
    let work = tempfile::tempdir().unwrap();
    let path = write_file(work.path(), "s.toml", text);
    let output = forcegen().arg("validate").arg(&path).output().unwrap();
    (output.status.code(), stderr_of(&output))
}

#[test]
fn capabilities_that_could_pass_two_to_the_32_are_refused_at_the_field() {
    // The case: 5,000 contributors bringing 10^6 helicopters each
    // (4,294,967,295 in capability:heli, saturated, before).
    let mut text = HEAD.to_string();
    for c in 0..5_000 {
        text += &format!("[[contributors]]\nname = \"C{c}\"\npledged = 1\ncapabilities = {{ heli = 1000000 }}\n");
    }
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(2), "{stderr}");
    // The 4,295th contributor takes it past.
    assert!(
        stderr.contains("field `contributors.C4294.capabilities.heli`"),
        "{stderr:.800}"
    );
    assert!(stderr.contains("4,295,000,000"), "{stderr:.800}");
    assert!(stderr.contains("4,294,967,296 (2^32)"), "{stderr:.800}");
    assert_eq!(
        stderr.matches("capabilities could pass").count(),
        1,
        "reported once: {stderr:.800}"
    );
    // 4,294 of them are fine.
    let fine: String = text
        .split("[[contributors]]")
        .take(4_295)
        .collect::<Vec<_>>()
        .join("[[contributors]]");
    assert_eq!(validate(&fine).0, Some(0));
}

#[test]
fn a_population_that_could_fall_below_one_person_is_refused() {
    let cases = [
        // The case: 12 million shrinking to a fraction of a person.
        ("horizon_days = 36500", "annual_growth = -0.99", "1.64465e-193"),
        // About 1 person after 3.6 years, below it after 1,300 days.
        ("horizon_days = 1300", "annual_growth = -0.99", "fall to 0.91"),
        // A drawn growth whose lowest draw shrinks it too far.
        ("horizon_days = 36500", "annual_growth = \"normal(0, 0.1)\"", "-0.79"),
    ];
    for (horizon, growth, shown) in cases {
        let text = HEAD.replace("horizon_days = 365", horizon) + growth + "\n";
        let (code, stderr) = validate(&text);
        assert_eq!(code, Some(2), "{growth}: {stderr}");
        assert!(stderr.contains("field `population.annual_growth`"), "{stderr}");
        assert!(stderr.contains("could fall to"), "{stderr}");
        assert!(stderr.contains(shown), "no {shown} in: {stderr}");
        assert!(stderr.contains("must stay at least 1"), "{stderr}");
    }
    // A steady decline, or a drawn growth near 0, stays far above it.
    for growth in ["annual_growth = -0.05", "annual_growth = \"normal(0.014, 0.002)\""] {
        let text = HEAD.replace("horizon_days = 365", "horizon_days = 36500") + growth + "\n";
        assert_eq!(validate(&text).0, Some(0), "{growth}");
    }
}

/// Runs `scenario` as two shards into `dir`: the two partial files.
fn shards(scenario: &Path, dir: &Path, trials: &str) -> [std::path::PathBuf; 2] {
    [1, 2].map(|k| {
        let part = dir.join(format!("p{k}.json"));
        forcegen()
            .arg("run")
            .arg(scenario)
            .args(["--quiet", "--trials", trials, "--shard", &format!("{k}/2"), "--partial"])
            .arg(&part)
            .assert()
            .success();
        part
    })
}

#[test]
fn merge_refuses_ratio_sums_multiplied_after_the_run() {
    let work = tempfile::tempdir().unwrap();
    // A huge population keeps the sums within serde_json's u64.
    let text = "name = \"ratios\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 120\nstep = \"week\"\n\
                [population]\ninitial = 100000000000\n[host_police]\ninitial = 500\nattrition_per_year = 0.1\n\
                [[contributors]]\nname = \"K\"\npledged = 300\nfulfilment = \"uniform(0.5, 1)\"\n";
    let scenario = write_file(work.path(), "ratios.toml", text);
    let [first, second] = shards(&scenario, work.path(), "100");
    let mut value: serde_json::Value = serde_json::from_slice(&fs::read(&first).unwrap()).unwrap();
    for day in value["aggregates"]["ratio_sums"][0].as_array_mut().unwrap() {
        let (sum, squares) = (day[0].as_u64().unwrap(), day[1].as_u64().unwrap());
        day[0] = (sum * 1_000).into();
        day[1] = (squares * 1_000_000).into();
    }
    let edited = work.path().join("edited.json");
    fs::write(&edited, serde_json::to_vec(&value).unwrap()).unwrap();
    let output = forcegen()
        .arg("merge")
        .arg(&edited)
        .arg(&second)
        .args(["--quiet", "--out"])
        .arg(work.path().join("merged"))
        .output()
        .unwrap();
    let message = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("edited.json"), "{message}");
    assert!(message.contains("do not fit its bins"), "{message}");
    assert!(!work.path().join("merged").exists());
    // The shards as written merge, and so do the GSF's (money, months of
    // cover and police layers).
    let gsf = scenarios_dir().join("haiti-gsf-2026-04.toml");
    for (scenario, trials) in [(scenario.as_path(), "100"), (gsf.as_path(), "300")] {
        let dir = tempfile::tempdir().unwrap();
        let parts = shards(scenario, dir.path(), trials);
        forcegen()
            .arg("merge")
            .args(&parts)
            .args(["--quiet", "--out"])
            .arg(dir.path().join("merged"))
            .assert()
            .success();
    }
}

const V2: &str = "[mission]\nceiling = 0\n\
                  [[events]]\nname = \"gsf\"\nday = 50\neffect = \"transform\"\nceiling = 100\n\
                  cost_per_person_month = 5000\n\
                  [[contributors]]\nname = \"A\"\ndeployed = 10\ncapabilities = { heli = 3 }\n\
                  [[contributors]]\nname = \"B\"\npledged = 10\ncapabilities = { heli = 2 }\n\
                  [[targets]]\nname = \"share\"\nmetric = \"international\"\nat_least_share_of_ceiling = 0.9\n";

#[test]
fn values_that_change_nothing_are_warned_about_in_validate_and_run() {
    let work = tempfile::tempdir().unwrap();
    let path = write_file(work.path(), "v2.toml", &(HEAD.to_string() + V2));
    let expected = [
        "warning: contributors.A.capabilities: count as 0",
        "warning: targets.share.at_least_share_of_ceiling: meets a ceiling of 0 (mission.ceiling = 0)",
        "warning: events.gsf.cost_per_person_month: is not used: the scenario has no [funding]",
    ];
    let validated = forcegen().arg("validate").arg(&path).output().unwrap();
    let run = forcegen()
        .arg("run")
        .arg(&path)
        .args(["--trials", "50", "--no-drivers", "--out"])
        .arg(work.path().join("out"))
        .output()
        .unwrap();
    for output in [validated, run] {
        let stderr = stderr_of(&output);
        assert!(output.status.success(), "{stderr}");
        for warning in expected {
            assert!(stderr.contains(warning), "no {warning:?} in: {stderr}");
        }
        assert!(!stderr.contains("contributors.B.capabilities"), "{stderr}");
    }
    // A ceiling of 0 set by a transform is named too; with [funding] the
    // transform's cost is used.
    let text = HEAD.to_string()
        + &V2
            .replace("[mission]\nceiling = 0\n", "[funding]\ncost_per_person_month = 1000\n")
            .replace("ceiling = 100", "ceiling = 0");
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("meets a ceiling of 0 (events.gsf.ceiling = 0, from its day)"),
        "{stderr}"
    );
    assert!(!stderr.contains("cost_per_person_month"), "{stderr}");
}

#[test]
fn flags_a_shard_does_not_use_are_warned_about() {
    let work = tempfile::tempdir().unwrap();
    let output = forcegen()
        .arg("run")
        .arg(crate::cli_support::baseline())
        .args(["--trials", "20", "--shard", "1/2", "--partial"])
        .arg(work.path().join("p.json"))
        .args([
            "--report-date",
            "2025-06-30",
            "--xlsx",
            "--wide",
            "--no-drivers",
            "--quiet",
        ])
        .output()
        .unwrap();
    let stderr = stderr_of(&output);
    assert!(output.status.success(), "{stderr}");
    for flag in ["--report-date", "--xlsx", "--wide", "--no-drivers"] {
        assert!(
            stderr.contains(&format!("warning: {flag} is not used with --shard")),
            "no warning about {flag}: {stderr}"
        );
    }
    // Without them, a shard says nothing.
    let output = forcegen()
        .arg("run")
        .arg(crate::cli_support::baseline())
        .args(["--trials", "20", "--shard", "2/2", "--quiet", "--partial"])
        .arg(work.path().join("q.json"))
        .output()
        .unwrap();
    assert_eq!(stderr_of(&output), "");
}
