//! Limits: absurd inputs get a clear error (file, line, field and the limit)
//! instead of a hang or running out of memory, and large but reasonable
//! inputs still run: 3,000 contributors, a pledge of 100,000,000 on daily
//! steps (peak memory measured), drawn delays far past every horizon.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::cli_support::{self, cell, forcegen, read_csv, write_file};
use crate::scenario_text::many_contributors;
use forcegen::scenario::{self, MAX_ARRIVALS, MAX_CSV_ROWS, MAX_SCENARIO_BYTES, MAX_TRIALS};

const HEAD: &str = "name = \"limits\"\n\n[simulation]\nstart = 2024-01-01\nhorizon_days = 730\n";

/// Runs `forcegen validate` on `text` and returns (exit code, stderr).
fn validate(dir: &Path, text: &str) -> (i32, String) {
    let path = write_file(dir, "limits.toml", text);
    let output = forcegen().arg("validate").arg(&path).output().expect("run forcegen");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The scenario is refused with exit code 2 and a message that names the
/// file, the line, the field and each of `needles` (the limit).
fn assert_refused(dir: &Path, text: &str, line: usize, field: &str, needles: &[&str]) {
    let (code, stderr) = validate(dir, text);
    assert_eq!(code, 2, "exit code for:\n{text}\nstderr: {stderr}");
    let place = format!("limits.toml:{line}:");
    assert!(stderr.contains(&place), "no {place} in: {stderr}");
    assert!(
        stderr.contains(&format!("field `{field}`")),
        "no field `{field}` in: {stderr}"
    );
    for needle in needles {
        assert!(stderr.contains(needle), "no \"{needle}\" in: {stderr}");
    }
}

#[test]
fn trial_counts_beyond_the_maximum_are_refused_with_the_limit() {
    let work = tempfile::tempdir().unwrap();
    let text = format!("{HEAD}trials = 10000000001\n[population]\ninitial = 1000\n");
    assert_refused(work.path(), &text, 6, "simulation.trials", &["from 1 to 10000000000"]);
    let path = write_file(work.path(), "ok.toml", &format!("{HEAD}[population]\ninitial = 1000\n"));
    for trials in [0, MAX_TRIALS + 1, u64::MAX] {
        let output = forcegen()
            .arg("run")
            .arg(&path)
            .args(["--trials", &trials.to_string(), "--out"])
            .arg(work.path().join("out"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "--trials {trials}: {stderr}");
        assert!(stderr.contains("--trials must be from 1 to 10000000000"), "{stderr}");
    }
    assert!(!work.path().join("out").exists(), "a refused run wrote its folder");
}

#[test]
fn absurd_values_are_refused_naming_file_line_field_and_limit() {
    let work = tempfile::tempdir().unwrap();
    let population = "[population]\ninitial = 1000\n";
    let mut cases: Vec<Absurd> = vec![
        (
            format!("name = \"x\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 36526\n{population}"),
            4,
            "simulation.horizon_days",
            vec!["from 1 to 36525"],
        ),
        (
            format!("name = \"x\"\n[simulation]\nstart = 9999-06-01\nhorizon_days = 36525\n{population}"),
            4,
            "simulation.horizon_days",
            vec!["9999-12-31", "at most 213"],
        ),
        (
            format!("{HEAD}[population]\ninitial = 1e12\n"),
            7,
            "population.initial",
            vec!["population"],
        ),
    ];
    cases.extend(absurd_contributor_values(population));
    for (text, line, field, needles) in &cases {
        assert_refused(work.path(), text, *line, field, needles);
    }
}

/// A scenario with an absurd value: its text, the line and field the
/// message must name, and what the message must say.
type Absurd = (String, usize, &'static str, Vec<&'static str>);

/// Absurd values of a contributor (on line 10), after `population`.
fn absurd_contributor_values(population: &str) -> Vec<Absurd> {
    let contributor = |extra: &str| format!("{HEAD}{population}[[contributors]]\nname = \"K\"\n{extra}");
    vec![
        (
            contributor("waves = 10001\n"),
            10,
            "contributors.K.waves",
            vec!["from 1 to 10000"],
        ),
        (
            contributor("waves = 1e308\n"),
            10,
            "contributors.K.waves",
            vec!["from 1 to 10000"],
        ),
        (
            contributor("pledged = 100000001\n"),
            10,
            "contributors.K.pledged",
            vec!["between 0 and 100000000"],
        ),
        (
            contributor("deployed = 9223372036854775807\n"),
            10,
            "contributors.K.deployed",
            vec!["between 0 and 100000000"],
        ),
        (
            contributor("pledged = nan\n"),
            10,
            "contributors.K.pledged",
            vec!["finite"],
        ),
        (
            contributor("first_arrival_days = \"gamma(1e-300, 1e300)\"\n"),
            10,
            "contributors.K.first_arrival_days",
            vec!["out of range", "1e12"],
        ),
        (
            contributor("first_arrival_days = \"gamma(1e-300, 1)\"\n"),
            10,
            "contributors.K.first_arrival_days",
            vec!["shape between 0.001 and 1e6"],
        ),
        (
            contributor("fulfilment = \"beta(1e-4, 1)\"\n"),
            10,
            "contributors.K.fulfilment",
            vec!["between 0.001 and 1e6"],
        ),
        (
            contributor("first_arrival_days = \"lognormal(31, 1)\"\n"),
            10,
            "contributors.K.first_arrival_days",
            vec!["|mu| <= 30"],
        ),
        (
            contributor("first_arrival_days = \"1e308 to 1e309\"\n"),
            10,
            "contributors.K.first_arrival_days",
            vec!["0 < A < B"],
        ),
    ]
}

#[test]
fn too_many_arrivals_in_one_trial_are_refused() {
    let work = tempfile::tempdir().unwrap();
    // 101 contributors of 10,000 waves each: 1,010,000 arrivals per trial.
    let mut text = format!("{HEAD}[population]\ninitial = 1000\n");
    for c in 0..101 {
        text.push_str(&format!(
            "[[contributors]]\nname = \"C{c}\"\npledged = 100000000\nwaves = 10000\n"
        ));
    }
    let line = 8 + 100 * 4 + 3;
    assert_refused(
        work.path(),
        &text,
        line,
        "contributors.C100.waves",
        &["too many arrivals", "1010000", "1,000,000"],
    );
    // A daily class over 100 years, 28 times: 1,022,728 classes.
    let mut text = "name = \"x\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 36525\n\
                    [population]\ninitial = 1000\n[host_police]\ninitial = 10\n"
        .to_string();
    for _ in 0..28 {
        text.push_str("[[host_police.intakes]]\nfirst_day = 0\nevery_days = 1\nsize = 1\n");
    }
    let line = 9 + 27 * 4 + 2;
    assert_refused(
        work.path(),
        &text,
        line,
        "host_police.intakes.28.every_days",
        &["too many arrivals", "1,000,000"],
    );
    assert_eq!(MAX_ARRIVALS, 1_000_000);
}

/// Reliefs count toward the arrivals of a trial: 10,000 one-day tours over
/// 100 years (#26: 21 s a trial, 29 hours at 10,000 trials) are refused at
/// `tour_days`, and a realistic rotation (the GSF's 18-month tours) is not.
#[test]
fn reliefs_count_toward_the_arrivals_of_a_trial() {
    let dir = tempfile::tempdir().unwrap();
    let head = "name = \"x\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 36525\nstep = \"month\"\n\
                [population]\ninitial = 1000000\n";
    let text = format!("{head}[[contributors]]\nname = \"K\"\npledged = 10000\nwaves = 10000\ntour_days = 1\n");
    assert_refused(
        dir.path(),
        &text,
        12,
        "contributors.K.tour_days",
        &[
            "too many arrivals in one trial",
            "rotation (its reliefs)",
            &fmt_limit(MAX_ARRIVALS),
        ],
    );
    let text =
        format!("{head}[[contributors]]\nname = \"K\"\ndeployed = 1000\npledged = 1000\nwaves = 10\ntour_days = 548\n");
    let (code, stderr) = validate(dir.path(), &text);
    assert_eq!(code, 0, "{stderr}");
}

/// `n` with thousands separators, as messages write limits.
fn fmt_limit(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn more_rows_than_a_spreadsheet_holds_are_refused() {
    let work = tempfile::tempdir().unwrap();
    // 731 daily report days: the 1,428th contributor takes timeseries.csv past 1,048,575 rows.
    let text = many_contributors(1_500, "day", 730);
    let line = 13 + 1_427 * 11;
    assert_refused(
        work.path(),
        &text,
        line,
        "contributors.C1427.name",
        &["1,048,985 rows", "1,048,575", "step"],
    );
    // 1,435 targets on 731 days: targets.csv past the limit.
    let mut text = format!("{HEAD}step = \"day\"\n[population]\ninitial = 1000\n");
    for t in 0..1_435 {
        text.push_str(&format!(
            "[[targets]]\nname = \"T{t}\"\nmetric = \"international\"\nat_least = {t}\n"
        ));
    }
    let line = 9 + 1_434 * 4 + 1;
    assert_refused(
        work.path(),
        &text,
        line,
        "targets.T1434.name",
        &["targets.csv", "1,048,575"],
    );
    assert_eq!(MAX_CSV_ROWS, 1_048_575);
}

#[test]
fn a_scenario_file_over_10_mib_is_refused_at_once() {
    let work = tempfile::tempdir().unwrap();
    // 50 MB: a valid scenario followed by comment lines.
    let path = work.path().join("huge.toml");
    let mut text = format!("{HEAD}[population]\ninitial = 1000\n");
    let comment = format!("# {}\n", "x".repeat(97));
    text.push_str(&comment.repeat(500_000));
    std::fs::write(&path, &text).unwrap();
    for command in ["validate", "run"] {
        let started = Instant::now();
        let output = forcegen()
            .arg(command)
            .arg(&path)
            .current_dir(work.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "huge.toml:1:1: the scenario file is too large ({} bytes)",
                text.len()
            )),
            "{stderr}"
        );
        assert!(stderr.contains("the limit is 10485760 bytes (10 MiB)"), "{stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }
    assert!(!work.path().join("output").exists(), "a refused run wrote its folder");
    // Something endless with no size: read up to the limit only.
    let output = forcegen().args(["validate", "/dev/zero"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("too large (more than 10485760 bytes)"), "{stderr}");
    // Exactly at the limit is still read (and here refused for its content only).
    let at_limit = format!("{HEAD}[population]\ninitial = 1000\n");
    let padding = MAX_SCENARIO_BYTES as usize - at_limit.len();
    let path = write_file(
        work.path(),
        "at-limit.toml",
        &format!("{at_limit}{}", "\n".repeat(padding)),
    );
    assert!(
        scenario::parse_file(&path).is_ok(),
        "a file of exactly 10 MiB is accepted"
    );
}

#[test]
fn drawn_delays_far_past_every_horizon_never_wrap_around() {
    // lognormal(30, 10) draws past 2^64 days in about 7% of trials; such a
    // delay must mean "never", not wrap to an early day.
    let work = tempfile::tempdir().unwrap();
    let text = "name = \"wrap\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 200\nstep = \"day\"\n\
                [population]\ninitial = 1000000\n\
                [[events]]\nname = \"go\"\nday = 100\neffect = \"unlock\"\n\
                [[contributors]]\nname = \"A\"\npledged = 1000\nafter = \"go\"\nfirst_arrival_days = \"lognormal(30, 10)\"\n\
                [[contributors]]\nname = \"B\"\npledged = 1000\nwaves = 2\nfirst_arrival_days = 150\n\
                wave_interval_days = \"lognormal(30, 10)\"\n";
    let path = write_file(work.path(), "wrap.toml", text);
    let out = work.path().join("out");
    cli_support::run_ok(&path, &out, &["--trials", "2000"]);
    let (h, rows) = read_csv(&out.join("timeseries.csv"));
    for row in &rows {
        let day: u32 = cell(&h, row, "day").parse().unwrap();
        let metric = cell(&h, row, "metric");
        let p95 = cell(&h, row, "p95");
        if metric == "contributor:A" && day < 100 {
            assert_eq!(p95, "0", "A arrived before its unlock event, day {day}");
        }
        if metric == "contributor:B" && day <= 150 {
            // The first wave (500) on day 150; the second only after a gap.
            assert!(p95 == "0" || (day == 150 && p95 == "500"), "B on day {day}: p95 {p95}");
        }
    }
}

/// A scenario whose per-day tables would grow without bound (a huge pledge
/// spread over every value, daily, with a ratio target) stops with a clear
/// error at the table-memory ceiling instead of exhausting memory, and
/// leaves no output folder behind.
#[test]
fn table_memory_ceiling_stops_a_runaway_scenario_cleanly() {
    let work = tempfile::tempdir().unwrap();
    let text = "name = \"huge\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 730\nstep = \"day\"\ntrials = 2000\n\
        [population]\ninitial = 1000000\n[[contributors]]\nname = \"Big\"\npledged = 100000000\nprobability = 0.5\n\
        fulfilment = \"uniform(0.5, 1)\"\nfirst_arrival_days = \"uniform(0, 300)\"\nwaves = 10000\n\
        wave_interval_days = \"uniform(0, 1)\"\nattrition_per_year = \"uniform(0, 0.5)\"\nwithdrawal_per_year = 0.2\n\
        [[targets]]\nname = \"ratio\"\nmetric = \"police_per_100k\"\nat_least = 100\n";
    let path = write_file(work.path(), "huge.toml", text);
    let out = work.path().join("out");
    let assert = forcegen()
        .env("FORCEGEN_MAX_TABLE_MIB", "50")
        .args(["run", path.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("per-day tables passed 50 MiB"), "{stderr}");
    assert!(stderr.contains("step = \"week\""), "{stderr}");
    assert!(!out.exists(), "a failed run left its output folder behind");
}
