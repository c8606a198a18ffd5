//! `forcegen calibrate` end to end, and scenarios that use its priors.
//!
//! The fits' statistics (recovery of known parameters, censoring, groups)
//! are tested beside the code, in src/analysis/calibrate/recovery.rs; here
//! the binary: its files, its determinism, every kind of bad input (exit
//! code 2, file, line and column named, nothing written), and the shipped
//! data and calibrated scenario.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{entries, forcegen, read_csv, scenarios_dir, stderr_of, write_file};

const HEADER: &str =
    "mission,contributor,region,kind,pledge_date,pledged,first_arrival_date,peak_deployed,peak_date,as_of_date\n";

/// Ten records in two regions: arrivals, never-honoured and open pledges.
const ROWS: &str = "\
M,A,africa,police,2020-01-01,100,2020-03-01,80,,2021-01-01
M,B,africa,police,2020-01-01,100,2020-06-15,60,,2021-01-01
M,C,africa,police,2020-01-01,100,,0,,2021-01-01
M,D,africa,police,2020-01-01,100,,,,2021-01-01
M,E,africa,police,2020-01-01,100,2020-02-01,100,,2021-01-01
M,F,americas,military,2020-01-01,50,2020-04-01,50,,2021-01-01
M,G,americas,military,2020-01-01,50,2020-09-01,20,,2021-01-01
M,H,americas,military,2020-01-01,50,2020-05-01,35,,2021-01-01
M,I,americas,military,2020-01-01,50,,,,2021-01-01
M,J,americas,military,2020-01-01,50,unknown,10,,2021-01-01
";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn calibrate(args: &[&str]) -> std::process::Output {
    forcegen().arg("calibrate").args(args).output().expect("forcegen runs")
}

#[test]
fn writes_priors_by_group_and_the_same_bytes_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let records = write_file(dir.path(), "r.csv", &format!("{HEADER}{ROWS}"));
    let out = dir.path().join("out");
    let args = [
        records.to_str().unwrap(),
        "--by",
        "region",
        "--out",
        out.to_str().unwrap(),
        "--resamples",
        "200",
    ];
    let first = calibrate(&args);
    assert!(first.status.success(), "{}", stderr_of(&first));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("africa") && stdout.contains("americas"), "{stdout}");
    assert_eq!(
        entries(&out),
        ["calibration.csv", "calibration_info.csv", "priors.toml"]
    );
    let (header, rows) = read_csv(&out.join("calibration.csv"));
    assert_eq!(
        header.join(","),
        forcegen::output::schema::CALIBRATION_COLUMNS.join(",")
    );
    // Three groups (all, africa, americas), eleven quantities each.
    assert_eq!(rows.len(), 33);
    let priors = fs::read_to_string(out.join("priors.toml")).unwrap();
    for table in ["[\"all\"]", "[\"africa\"]", "[\"americas\"]"] {
        assert!(priors.contains(table), "{priors}");
    }
    let bytes = |name: &str| fs::read(out.join(name)).unwrap();
    let (csv, toml) = (bytes("calibration.csv"), bytes("priors.toml"));
    let again = calibrate(&args);
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(bytes("calibration.csv"), csv, "the same seed gives the same intervals");
    assert_eq!(bytes("priors.toml"), toml);
    let other_seed = calibrate(&[&args[..], &["--seed", "2"]].concat());
    assert!(other_seed.status.success());
    assert_ne!(bytes("calibration.csv"), csv, "another seed, other resamples");
    // A scenario names the priors by group.
    let scenario = concat!(
        "name = \"s\"\npriors = \"out/priors.toml\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 365\n",
        "[population]\ninitial = 1000\n[[contributors]]\nname = \"K\"\npledged = 100\n",
        "probability = \"prior(africa.honour)\"\nfulfilment = \"prior(americas.fulfilment)\"\n",
        "first_arrival_days = \"prior(all.delay)\"\n"
    );
    let scenario = write_file(dir.path(), "s.toml", scenario);
    let explain = forcegen().arg("explain").arg(&scenario).output().unwrap();
    assert!(explain.status.success(), "{}", stderr_of(&explain));
    let text = String::from_utf8_lossy(&explain.stdout);
    assert!(
        text.contains("contributors.K.probability = prior(africa.honour) = "),
        "{text}"
    );
    assert!(text.contains("out/priors.toml"), "{text}");
}

/// Runs calibrate on `rows` (after the header, unless `whole`) and returns
/// stderr, checking exit code 2 and that no output folder was made.
fn refused(text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let records = write_file(dir.path(), "r.csv", text);
    let out = dir.path().join("out");
    let output = calibrate(&[&[records.to_str().unwrap(), "--out", out.to_str().unwrap()], extra].concat());
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    assert!(!out.exists(), "nothing is written for bad input");
    stderr_of(&output)
}

#[test]
fn each_bad_input_is_refused_with_its_place() {
    let row = |line: &str| format!("{HEADER}{line}\n");
    let cases: [(String, &[&str], &str); 10] = [
        (
            row("M,A,x,police,2020-02-30,1,,0,,2021-01-01"),
            &[],
            "r.csv:2: column `pledge_date`: \"2020-02-30\" is not a date",
        ),
        (
            row("M,A,x,police,2020-01-01,1.5,,0,,2021-01-01"),
            &[],
            "r.csv:2: column `pledged`: must be a whole number",
        ),
        (
            row("M,A,x,police,2020-01-01,5,,7,,2021-01-01"),
            &[],
            "r.csv:2: column `peak_deployed`: is above 0 but",
        ),
        (
            row("M,A,x,police,2020-01-01,5,2020-01-05,0,,2021-01-01"),
            &[],
            "column `peak_deployed`: is 0 but",
        ),
        (
            row("M,A,x,police,2020-01-01,5,2022-01-05,3,,2021-01-01"),
            &[],
            "column `first_arrival_date`: 2022-01-05 is after",
        ),
        (
            row("M,A,x,police,2020-01-01,5,,,,2019-01-01"),
            &[],
            "column `as_of_date`: 2019-01-01 is before",
        ),
        (
            row("M,,x,police,2020-01-01,5,,,,2021-01-01"),
            &[],
            "r.csv:2: column `contributor`: must not be empty",
        ),
        (row("M,A,x"), &[], "r.csv:2: has 3 cells; the header has 10 columns"),
        (
            "mission,contributor\nM,A\n".to_string(),
            &[],
            "the header has no column `region`",
        ),
        (
            row("M,A,x,police,2020-01-01,5,,,,2021-01-01"),
            &["--by", "regoin"],
            "--by regoin: the file has no such column",
        ),
    ];
    for (text, extra, expected) in cases {
        let stderr = refused(&text, extra);
        assert!(stderr.contains(expected), "expected {expected:?} in:\n{stderr}");
    }
    assert!(refused(HEADER, &[]).contains("has no records"));
    assert!(refused(&row("M,A,x,police,2020-01-01,5,,,,2021-01-01"), &["--resamples", "5"]).contains("--resamples"));
    let stderr = refused(&row("M,A,all,police,2020-01-01,5,,,,2021-01-01"), &["--by", "region"]);
    assert!(
        stderr.contains("r.csv:2: column `region`: --by: \"all\" cannot be a group's name"),
        "{stderr}"
    );
}

#[test]
fn a_missing_or_linked_records_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = calibrate(&[
        dir.path().join("none.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("cannot read the records file"),
        "{}",
        stderr_of(&output)
    );
    let output = calibrate(&["/dev/zero", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("not a regular file"),
        "{}",
        stderr_of(&output)
    );
    assert!(!out.exists());
}

#[test]
fn scenario_priors_errors_name_the_field_and_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "p.toml", "[all]\nhonour = \"beta(2, 3)\"\n");
    let scenario = |priors: &str, probability: &str| {
        format!(
            "name = \"s\"\n{priors}[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n[population]\n\
             initial = 1000\n[[contributors]]\nname = \"K\"\npledged = 10\nprobability = \"{probability}\"\n"
        )
    };
    let cases = [
        (
            scenario("priors = \"p.toml\"\n", "prior(asia.honour)"),
            "s.toml:11:15: field `contributors.K.probability`: \"prior(asia.honour)\": no group \"asia\" in the priors file",
        ),
        (
            scenario("priors = \"p.toml\"\n", "prior(all.delay)"),
            "a `delay` prior does not suit this field; it takes honour",
        ),
        (
            scenario("priors = \"p.toml\"\n", "prior(all.speed)"),
            "unknown prior field `speed`",
        ),
        (
            scenario("priors = \"none.toml\"\n", "prior(all.honour)"),
            "s.toml:2:10: field `priors`: cannot read the priors file",
        ),
        (scenario("", "prior(all.honour)"), "needs a priors file"),
        (
            scenario("priors = \"p.toml\"\n", "prior(all.honour, pledged = 2024-02-30)"),
            "s.toml:11:15: field `contributors.K.probability`: \"prior(all.honour, pledged = 2024-02-30)\": pledged = \"2024-02-30\" is not a date",
        ),
        (
            scenario("priors = \"p.toml\"\n", "prior(all.honour, pledged = 2024-01-02)"),
            "pledged = 2024-01-02 is after the scenario's start 2024-01-01",
        ),
        (
            scenario("priors = \"p.toml\"\n", "prior(all.honour, pledged = 2023-01-02)"),
            "an age-aware prior needs the group's delay",
        ),
        (
            scenario("priors = \"bad.toml\"\n", "prior(all.honour)"),
            "bad.toml:2:10: `all.honour`: \"uniform(5, 7)\" can fall outside what a `honour` prior allows",
        ),
    ];
    write_file(dir.path(), "bad.toml", "[all]\nhonour = \"uniform(5, 7)\"\n");
    for (text, expected) in cases {
        let file = write_file(dir.path(), "s.toml", &text);
        let output = forcegen().arg("validate").arg(&file).output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr_of(&output).contains(expected),
            "expected {expected:?} in:\n{}",
            stderr_of(&output)
        );
    }
    a_prior_of_one_record_is_warned_of(dir.path(), &scenario("priors = \"one.toml\"\n", "prior(asia.honour)"));
    #[cfg(unix)]
    a_linked_priors_file_is_refused(dir.path(), &scenario("priors = \"link.toml\"\n", "prior(all.honour)"));
}

/// A prior fitted to one record is warned of, in validate and run.
fn a_prior_of_one_record_is_warned_of(dir: &Path, text: &str) {
    write_file(dir, "one.toml", "[asia]\nrecords = 1\nhonour = \"beta(1, 2)\"\n");
    let file = write_file(dir, "s.toml", text);
    let output = forcegen().arg("validate").arg(&file).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let expected = "warning: contributors.K.probability: prior(asia.honour) of ";
    assert!(stderr_of(&output).contains(expected), "{}", stderr_of(&output));
    let out = dir.join("run");
    let output = forcegen()
        .args([
            "run",
            file.to_str().unwrap(),
            "--trials",
            "10",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        stderr_of(&output).contains("was fitted to one record"),
        "{}",
        stderr_of(&output)
    );
}

/// A priors file that is a symbolic link is refused.
#[cfg(unix)]
fn a_linked_priors_file_is_refused(dir: &Path, text: &str) {
    std::os::unix::fs::symlink(dir.join("p.toml"), dir.join("link.toml")).unwrap();
    let file = write_file(dir, "s.toml", text);
    let output = forcegen().arg("validate").arg(&file).output().unwrap();
    assert!(
        stderr_of(&output).contains("is a symbolic link"),
        "{}",
        stderr_of(&output)
    );
}

/// Runs `forcegen calibrate ARGS --out OUT -q` in the repository.
fn calibrate_shipped(args: &[&str], out: &Path) -> String {
    let output = forcegen()
        .current_dir(repo())
        .arg("calibrate")
        .args(args)
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A priors file after its first line (which names the version that wrote it).
fn after_version(text: &str) -> String {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    assert!(first.starts_with("# Priors fitted by forcegen calibrate "), "{first}");
    rest.to_string()
}

#[test]
fn the_shipped_records_fit_and_the_calibrated_priors_are_reproduced() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = calibrate_shipped(&["data/pledges.csv", "--by", "region"], &dir.path().join("out"));
    assert!(stdout.contains("54 records in 4 groups"), "{stdout}");
    for region in ["africa", "americas", "asia"] {
        let row = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{region} ")))
            .expect("a row");
        // Each group's weights on the pooled fit are shown.
        assert!(
            row.trim_end().split(' ').next_back().unwrap().matches('/').count() == 2,
            "{row}"
        );
    }
    // Each shipped priors file is what the command in its scenario writes,
    // byte for byte after the version line.
    for (records, priors) in [
        ("data/pledges-2024-09.csv", "data/priors-2024-09.toml"),
        ("data/pledges-2026-04.csv", "data/priors-2026-04.toml"),
    ] {
        let out = dir.path().join(priors.replace('/', "-"));
        calibrate_shipped(&[records, "--by", "region", "-q"], &out);
        let shipped = fs::read_to_string(repo().join(priors)).unwrap();
        let written = fs::read_to_string(out.join("priors.toml")).unwrap();
        assert_eq!(after_version(&written), after_version(&shipped), "{priors}");
    }
    for (scenario, field, prior) in [
        (
            "haiti-mss-2024-09-calibrated.toml",
            "contributors.Benin.probability",
            "prior(africa.honour, pledged = 2024-02-26)",
        ),
        (
            "haiti-gsf-2026-04.toml",
            "contributors.Chad.first_arrival_days",
            "prior(africa.delay, pledged = 2025-12-09)",
        ),
    ] {
        let explain = forcegen()
            .arg("explain")
            .arg(scenarios_dir().join(scenario))
            .output()
            .unwrap();
        assert!(explain.status.success(), "{}", stderr_of(&explain));
        let text = String::from_utf8_lossy(&explain.stdout);
        assert!(text.contains(&format!("{field} = {prior} = ")), "{text}");
    }
}

#[test]
fn the_shipped_records_validate_by_mission() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stdout = calibrate_shipped(&["data/pledges.csv", "--validate", "mission"], &out);
    let (_, rows) = read_csv(&out.join("validation.csv"));
    // 13 missions less the excluded-only ECOMIL, and "all"; four scores each.
    assert_eq!(rows.len(), 13 * 4, "{stdout}");
    let all: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "all").collect();
    assert_eq!(all[0][1], "54");
    // The records beat the flat prior on the honour Brier score.
    let (fitted, flat): (f64, f64) = (all[0][3].parse().unwrap(), all[0][4].parse().unwrap());
    assert!(fitted < flat, "{fitted} vs {flat}");
}

/// `n` records of one region, a third of them still open (for the limits).
fn many_records(n: usize) -> String {
    let mut text = HEADER.to_string();
    for i in 0..n {
        let row = match i % 3 {
            0 => format!(
                "M,C{i},x,police,2020-01-01,100,2020-0{}-15,{},,2021-01-01\n",
                2 + i % 7,
                1 + i % 100
            ),
            1 => format!("M,C{i},x,police,2020-01-01,100,,0,,2021-01-01\n"),
            _ => format!("M,C{i},x,police,2020-01-01,100,,,,2021-0{}-01\n", 1 + i % 9),
        };
        text.push_str(&row);
    }
    text
}

#[test]
fn records_times_resamples_is_bounded_up_front() {
    let stderr = refused(&many_records(2000), &["--resamples", "10000"]);
    assert!(
        stderr.contains("2000 records x 10000 resamples = 20000000")
            && stderr.contains("at most 10000000")
            && stderr.contains("lower --resamples to 5000"),
        "{stderr}"
    );
}

#[test]
fn by_columns_whose_joined_names_collide_are_refused() {
    let text = format!("{HEADER}M,A,x/y,z,2020-01-01,5,,,,2021-01-01\nM,B,x,y/z,2020-01-01,5,,,,2021-01-01\n");
    let stderr = refused(&text, &["--by", "region", "--by", "kind"]);
    assert!(
        stderr.contains("(\"x\", \"y/z\") and (\"x/y\", \"z\") both make the group name \"x/y/z\""),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_calibrate_with_130_and_writes_nothing() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let records = write_file(dir.path(), "r.csv", &many_records(10_000));
    let out = dir.path().join("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_forcegen"))
        .args(["calibrate", records.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "calibrate ended before Ctrl-C");
    // SAFETY: sends SIGINT to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("still running 10 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(130));
    assert!(
        signalled.elapsed() < Duration::from_secs(1),
        "took {:?}",
        signalled.elapsed()
    );
    let written: Vec<String> = if out.exists() { entries(&out) } else { Vec::new() };
    assert!(written.is_empty(), "nothing is written: {written:?}");
}

#[test]
fn validate_holds_out_each_mission_and_scores_the_flat_prior_as_its_formulas() {
    let dir = tempfile::tempdir().unwrap();
    // Mission N: one arrival after 100 days watched 366, 80 of 100 delivered.
    let text = format!("{HEADER}{ROWS}N,K,africa,police,2020-01-01,100,2020-04-10,80,,2021-01-01\n");
    let records = write_file(dir.path(), "r.csv", &text);
    let out = dir.path().join("out");
    let args = [
        "calibrate",
        records.to_str().unwrap(),
        "--validate",
        "mission",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = forcegen().args(args).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Held out one mission at a time"), "{stdout}");
    let (header, rows) = read_csv(&out.join("validation.csv"));
    assert_eq!(header, ["mission", "records", "score", "fitted", "flat"]);
    // Two missions and "all", four scores each.
    let held: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        held,
        ["M", "M", "M", "M", "N", "N", "N", "N", "all", "all", "all", "all"]
    );
    let scores: Vec<&str> = rows[4..8].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(scores, ["honour_brier", "delay_log", "delay_crps", "fulfilment_crps"]);
    let flat = |k: usize| rows[4 + k][4].parse::<f64>().unwrap();
    let (mu, t, c, y) = (180f64.ln(), 100f64, 366f64, 0.8f64);
    let arrived_by = 0.5 * crate::common::normal_cdf(c.ln() - mu);
    assert!((flat(0) - (arrived_by - 1.0).powi(2)).abs() < 2e-6, "{}", flat(0));
    let log = 0.5 * (t.ln() - mu).powi(2) + (t * (2.0 * std::f64::consts::PI).sqrt()).ln();
    assert!((flat(1) - log).abs() < 2e-6, "{}", flat(1));
    assert!(
        (flat(3) - (y.powi(3) + (1.0 - y).powi(3)) / 3.0).abs() < 2e-6,
        "{}",
        flat(3)
    );
    // The fitted prediction of N comes from M alone: each score is there.
    assert!(rows[4..8].iter().all(|r| !r[3].is_empty() && r[1] == "1"), "{rows:?}");
    let stderr = refused(&text, &["--validate", "regoin"]);
    assert!(
        stderr.contains("--validate regoin: the file has no such column"),
        "{stderr}"
    );
}

#[test]
fn the_priors_file_is_in_the_scenario_fingerprint_so_shards_with_other_priors_do_not_merge() {
    let dir = tempfile::tempdir().unwrap();
    let priors = dir.path().join("p.toml");
    fs::write(&priors, "[all]\nrecords = 5\nhonour = \"beta(9, 1)\"\n").unwrap();
    let text = "name = \"s\"\npriors = \"p.toml\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n\
                [population]\ninitial = 1000\n[[contributors]]\nname = \"K\"\npledged = 10\n\
                probability = \"prior(all.honour)\"\n";
    let scenario = write_file(dir.path(), "s.toml", text);
    let shard = |k: &str, part: &str| {
        let output = forcegen()
            .args([
                "run",
                scenario.to_str().unwrap(),
                "-q",
                "--trials",
                "100",
                "--shard",
                k,
                "--partial",
            ])
            .arg(dir.path().join(part))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
    };
    let merge = |parts: &[&str], out: &str| {
        forcegen()
            .arg("merge")
            .args(parts.iter().map(|p| dir.path().join(p)))
            .args(["--out", dir.path().join(out).to_str().unwrap(), "-q"])
            .output()
            .unwrap()
    };
    shard("1/2", "a1.part");
    shard("2/2", "a2.part");
    let ok = merge(&["a1.part", "a2.part"], "merged");
    assert!(ok.status.success(), "{}", stderr_of(&ok));
    // run_info.csv's scenario_sha256 is not the text's alone.
    let (header, rows) = read_csv(&dir.path().join("merged/run_info.csv"));
    let at = header.iter().position(|h| h == "scenario_sha256").unwrap();
    assert_ne!(rows[0][at], forcegen::output::sha256_hex(text));
    // The same text with other priors: the shards do not merge, and a merge
    // after the file changed is refused too.
    fs::write(&priors, "[all]\nrecords = 5\nhonour = \"beta(1, 9)\"\n").unwrap();
    shard("2/2", "b2.part");
    let refused = merge(&["a1.part", "b2.part"], "mixed");
    assert_eq!(refused.status.code(), Some(2), "{}", stderr_of(&refused));
    assert!(
        stderr_of(&refused).contains("scenario (SHA-256)"),
        "{}",
        stderr_of(&refused)
    );
    let stale = merge(&["a1.part", "a2.part"], "stale");
    assert_eq!(stale.status.code(), Some(2), "{}", stderr_of(&stale));
    assert!(
        stderr_of(&stale).contains("the priors changed since the shards ran"),
        "{}",
        stderr_of(&stale)
    );
}
