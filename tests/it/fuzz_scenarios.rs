//! Fuzzing of the scenario reader on stable Rust: a deterministic mutation
//! fuzzer over the shipped scenarios (`scenarios/*.toml`) and a few small
//! ones. Each case applies 1 to 4 mutations (byte flips, deleted or
//! duplicated or swapped lines, truncation, inserted TOML fragments, keys and
//! distribution strings with odd numbers such as 1e308, -0, nan, inf and huge
//! integers, values replaced by odd ones) or is random bytes altogether, and
//! goes through `forcegen::scenario::parse_str` (or `parse_file` when it is
//! not UTF-8). Then:
//! - nothing panics (each case runs under `catch_unwind`; the input that
//!   panicked is printed and saved under `target/tmp/fuzz-failures/`);
//! - every rejection is a `ScenarioError` with at least one problem, every
//!   problem with a line and column >= 1 (and the line within the text);
//! - every accepted scenario builds a `Model`, runs 3 trials through the
//!   engine (200 for the regression files; horizon capped at 1,500 days to
//!   keep the CI run short) and
//!   renders the five CSV files.
//!
//! 2,000 cases in CI (about a second of work per few hundred cases); set
//! `FORCEGEN_FUZZ_CASES` for a longer run and `FORCEGEN_FUZZ_SEED` for other
//! cases:
//!
//! ```sh
//! FORCEGEN_FUZZ_CASES=200000 cargo test --profile test-release --test it fuzz_scenarios:: -- --nocapture
//! ```
//!
//! Inputs that once broke the reader are kept in `tests/fuzz_regressions/`
//! and run by `fuzz_regressions_stay_fixed`.

use crate::common::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use forcegen::engine::{self, Progress};
use forcegen::model::Model;
use forcegen::output;
use forcegen::scenario::{self, MAX_SHOWN_PROBLEMS, ScenarioError};

/// Odd numbers, as TOML values.
const ODD_NUMBERS: &[&str] = &[
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "-0",
    "-0.0",
    "+0",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "+inf",
    "0",
    "1",
    "-1",
    "0.5",
    "1.0000000000000002",
    "0.9999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999999",
    "18446744073709551615",
    "100000000",
    "100000001",
    "10000000000",
    "10000000001",
    "36525",
    "36526",
    "4294967295",
    "4294967296",
    "0x7fffffffffffffff",
    "0o777",
    "0b1",
    "1_000_000",
    "1e400",
    "2147483648",
    "65535",
    "65536",
];

/// Odd distribution strings (without quotes).
const ODD_DISTS: &[&str] = &[
    "gamma(1e-300, 1e300)",
    "gamma(1e-3, 1e12)",
    "gamma(1e6, 1e12)",
    "gamma(0.001, 0.001)",
    "beta(1e-3, 1e6)",
    "beta(1e6, 1e-3)",
    "beta(0.001, 0.001)",
    "uniform(nan, 1)",
    "uniform(-1e12, 1e12)",
    "uniform(0, 5e-324)",
    "uniform(1e12, 1e12)",
    "normal(0, inf)",
    "normal(1e12, 1e12)",
    "normal(-1e12, 1e-300)",
    "lognormal(30, 10)",
    "lognormal(-30, 10)",
    "lognormal(30, 1e-300)",
    "exponential(1e-320)",
    "exponential(1e12)",
    "triangular(0, 0, 0)",
    "triangular(-1e12, 0, 1e12)",
    "pert(0, 0, 1e-300)",
    "pert(-1e12, 1e12, 1e12)",
    "1e308 to 1e309",
    "5e-324 to 1e12",
    "1e-300 to 1e300",
    "-0 to 5",
    "1 to 1",
    "0.1 to 1e12",
    "nan to inf",
    "to",
    " to ",
    "uniform()",
    "uniform(1,)",
    "uniform(,)",
    "UNIFORM(1, 2)",
    "weibull(1, 2)",
    "((((",
    "))",
    "beta(1, 2, 3)",
    "exponential(-0)",
    "1e308",
    "-0",
    "",
    "\u{0}",
    "é(1)",
];

/// Keys that scenarios use, so insertions land on real fields.
const KEYS: &[&str] = &[
    "name",
    "start",
    "horizon_days",
    "step",
    "trials",
    "seed",
    "initial",
    "annual_growth",
    "attrition_per_year",
    "day",
    "first_day",
    "every_days",
    "size",
    "probability",
    "deployed",
    "pledged",
    "fulfilment",
    "first_arrival_days",
    "after",
    "waves",
    "wave_interval_days",
    "withdrawal_per_year",
    "kind",
    "effect",
    "drawdown_days",
    "metric",
    "at_least",
    "unknown_key",
];

/// Whole TOML fragments.
const FRAGMENTS: &[&str] = &[
    "[simulation]",
    "[population]",
    "[host_police]",
    "[[host_police.intakes]]\nfirst_day = 0\nevery_days = 1\nsize = 1e8",
    "[[host_police.intakes]]\nday = 9999-12-31\nsize = \"uniform(0, 1e12)\"",
    "[[contributors]]",
    "[[contributors]]\nname = \"X\"\npledged = 100000000\nwaves = 10000\nwave_interval_days = 0",
    "[[contributors]]\nname = \"=cmd\"\ndeployed = 100000000\nafter = \"nowhere\"",
    "[[events]]\nname = \"u\"\nday = 0\neffect = \"unlock\"",
    "[[events]]\nname = \"end\"\nday = \"exponential(1e12)\"\neffect = \"end_mission\"\ndrawdown_days = 36525",
    "[[targets]]\nname = \"t\"\nmetric = \"police_per_100k\"\nat_least = 1e12",
    "[[targets]]\nname = \"t\"\nmetric = \"contributor:\"\nat_least = 0",
    "[contributors]",
    "contributors = 5",
    "contributors = []",
    "targets = [{name = \"a\", metric = \"international\", at_least = 1}]",
    "simulation = { start = 2024-01-01, horizon_days = 1 }",
    "population.initial = 1",
    "a.b.c.d = 1",
    "\"quoted key\" = 1",
    "[[]]",
    "[",
    "]]",
    "= 1",
    "name = \"\"\"\nmulti\nline\"\"\"",
    "name = '''raw'''",
    "# comment",
    "\u{feff}",
    "start = 1979-05-27T07:32:00Z",
    "start = 0000-01-01",
    "start = 9999-12-31",
    "start = 2024-02-30",
    "start = 07:32:00",
    "step = \"day\"\nhorizon_days = 36525",
    "step = \"month\"\nstart = 9999-12-31",
    "horizon_days = 1",
    "trials = 1",
    "name = \"\\u0000\\t\\r\"",
    "x = [1, [2, [3, [4, [5]]]]]",
    "x = {a = {b = {c = {}}}}",
];

/// The start of each line of `bytes` (and of the empty line after a last
/// newline).
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

/// The bytes of line `k`, its newline included.
fn line_range(bytes: &[u8], starts: &[usize], k: usize) -> std::ops::Range<usize> {
    let start = starts[k].min(bytes.len());
    let end = starts.get(k + 1).copied().unwrap_or(bytes.len()).min(bytes.len());
    start..end.max(start)
}

/// One mutation of `bytes`.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    match rng.below(10) {
        // Flip bits or set a random byte.
        0 if !bytes.is_empty() => {
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len());
                if rng.below(2) == 0 {
                    bytes[at] ^= 1 << rng.below(8);
                } else {
                    bytes[at] = rng.next() as u8;
                }
            }
        }
        // Delete a range of bytes.
        1 if !bytes.is_empty() => {
            let at = rng.below(bytes.len());
            let len = 1 + rng.below(40);
            bytes.drain(at..(at + len).min(bytes.len()));
        }
        kind @ 2..=8 => mutate_lines(rng, bytes, kind),
        // Truncate.
        _ => {
            let at = rng.below(bytes.len() + 1);
            bytes.truncate(at);
        }
    }
}

/// One mutation of whole lines (`kind` from 2 to 8, as drawn by [`mutate`]).
fn mutate_lines(rng: &mut Rng, bytes: &mut Vec<u8>, kind: usize) {
    match kind {
        // Delete a line.
        2 => {
            let starts = line_starts(bytes);
            let range = line_range(bytes, &starts, rng.below(starts.len()));
            bytes.drain(range);
        }
        // Duplicate a line (duplicate keys and tables).
        3 => {
            let starts = line_starts(bytes);
            let range = line_range(bytes, &starts, rng.below(starts.len()));
            let line = bytes[range.clone()].to_vec();
            let at = if rng.below(2) == 0 {
                range.end
            } else {
                starts[rng.below(starts.len())].min(bytes.len())
            };
            bytes.splice(at..at, line);
        }
        // Swap two lines.
        4 => {
            let starts = line_starts(bytes);
            let (a, b) = (rng.below(starts.len()), rng.below(starts.len()));
            let (a, b) = (a.min(b), a.max(b));
            if a != b {
                let (ra, rb) = (line_range(bytes, &starts, a), line_range(bytes, &starts, b));
                let (la, lb) = (bytes[ra.clone()].to_vec(), bytes[rb.clone()].to_vec());
                bytes.splice(rb, la);
                bytes.splice(ra, lb);
            }
        }
        // Replace the value of a `key = value` line with an odd one.
        5 | 6 => {
            let starts = line_starts(bytes);
            let range = line_range(bytes, &starts, rng.below(starts.len()));
            if let Some(eq) = bytes[range.clone()].iter().position(|&b| b == b'=') {
                let end = if bytes[range.end - 1] == b'\n' {
                    range.end - 1
                } else {
                    range.end
                };
                let from = (range.start + eq + 1).min(end);
                let value = odd_value(rng);
                bytes.splice(from..end, format!(" {value}").into_bytes());
            }
        }
        // Insert `key = odd value` or a fragment at a line start.
        _ => {
            let starts = line_starts(bytes);
            let at = starts[rng.below(starts.len())].min(bytes.len());
            let text = if rng.below(2) == 0 {
                format!("{} = {}\n", rng.pick(KEYS), odd_value(rng))
            } else {
                format!("{}\n", rng.pick(FRAGMENTS))
            };
            bytes.splice(at..at, text.into_bytes());
        }
    }
}

fn odd_value(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 | 1 => rng.pick(ODD_NUMBERS).to_string(),
        2 | 3 => format!("\"{}\"", rng.pick(ODD_DISTS)),
        _ => [
            "2024-01-01",
            "\"\"",
            "[]",
            "{}",
            "true",
            "\"week\"",
            "\"military\"",
            "\"unlock\"",
        ][rng.below(8)]
        .to_string(),
    }
}

/// The shipped scenarios plus small ones that reach every table.
fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).expect("read")).collect();
    seeds.push(
        b"name = \"small\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 400\nstep = \"day\"\ntrials = 5\n\
          [population]\ninitial = 1000\nannual_growth = \"normal(-0.5, 0.3)\"\n\
          [host_police]\ninitial = 10\nattrition_per_year = 1\n\
          [[host_police.intakes]]\nfirst_day = 0\nevery_days = 3\nsize = \"exponential(2)\"\nprobability = 0.5\n\
          [[contributors]]\nname = \"A\"\ndeployed = 5\npledged = 70000\nwaves = 7\nafter = \"go\"\n\
          wave_interval_days = \"gamma(0.5, 10)\"\nwithdrawal_per_year = 1\nkind = \"military\"\n\
          [[events]]\nname = \"go\"\nday = \"uniform(0, 500)\"\neffect = \"unlock\"\n\
          [[events]]\nname = \"stop\"\nday = 2024-06-01\nprobability = 0.5\neffect = \"end_mission\"\ndrawdown_days = 30\n\
          [[targets]]\nname = \"r\"\nmetric = \"police_per_100k\"\nat_least = 222\n\
          [[targets]]\nname = \"a\"\nmetric = \"contributor:A\"\nat_least = 60000\n"
            .to_vec(),
    );
    seeds.push(b"name = \"min\"\n[simulation]\nstart = 2024-01-31\nhorizon_days = 1\nstep = \"month\"\n[population]\ninitial = 1\n".to_vec());
    seeds
}

/// Everything that must hold for one input; `Ok(true)` if it was accepted,
/// `Err` describes a violation (a panic is caught by the caller).
fn check_input(bytes: &[u8], work: &Path, trials: u64) -> Result<bool, String> {
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => scenario::parse_str(text, "fuzz.toml"),
        Err(_) => {
            let path = work.join("fuzz.toml");
            std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
            scenario::parse_file(&path)
        }
    };
    match parsed {
        Err(error) => check_rejection(&error, bytes).map(|()| false),
        Ok(mut s) => {
            // Keep accepted inputs cheap: few trials, at most 1,500 days.
            s.simulation.trials = trials;
            s.simulation.horizon_days = s.simulation.horizon_days.min(1_500);
            let model = Model::new(&s);
            let aggregates = engine::run(&model, 0..trials, 1, &Progress::default()).map_err(|e| e.to_string())?;
            let files = output::render(&s, &model, &aggregates);
            if files.iter().any(|(_, bytes)| bytes.is_empty()) {
                return Err("an accepted scenario rendered an empty file".to_string());
            }
            Ok(true)
        }
    }
}

fn check_rejection(error: &ScenarioError, bytes: &[u8]) -> Result<(), String> {
    if error.problems.is_empty() {
        return Err("rejected with no problem".to_string());
    }
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    for p in &error.problems {
        if p.line < 1 || p.column < 1 || p.line > lines || p.message.trim().is_empty() {
            return Err(format!(
                "a problem without a proper place or message (line {}, column {}, {} lines): {p:?}",
                p.line, p.column, lines
            ));
        }
    }
    let shown = error.to_string();
    if !shown.starts_with("fuzz.toml:") && !shown.contains("fuzz.toml:") {
        return Err(format!("the message does not name the file: {shown}"));
    }
    // The first MAX_SHOWN_PROBLEMS each start a line with the file, line and
    // column; past them one line says how many more, and a hint may end it.
    let located = shown.lines().filter(|l| l.contains("fuzz.toml:")).count();
    let expected = error.problems.len().min(MAX_SHOWN_PROBLEMS);
    let more = error.problems.len() - expected;
    let tail = format!("\n... and {more} more problem");
    if located < expected || (more > 0) != shown.contains(&tail) {
        return Err(format!("{expected} problems and {more} more, shown as: {shown}"));
    }
    if let Some(hint) = shown.lines().find(|l| l.starts_with("hint: ")) {
        let named = hint.starts_with("hint: is ")
            && hint.ends_with("fuzz.toml a TOML scenario? (see README: Writing a scenario)");
        if !named || !shown.ends_with(hint) {
            return Err(format!("a hint that is not the last line, or another: {shown}"));
        }
    }
    Ok(())
}

/// Runs one input, turning a panic into an error that shows the input.
fn run_case(bytes: &[u8], work: &Path, trials: u64) -> Result<bool, String> {
    match catch_unwind(AssertUnwindSafe(|| check_input(bytes, work, trials))) {
        Ok(result) => result,
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panicked: {message}"))
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn mutated_scenarios_never_panic_and_every_rejection_names_a_line() {
    let cases = env_number("FORCEGEN_FUZZ_CASES", 2_000);
    let seed = env_number("FORCEGEN_FUZZ_SEED", 0x5eed_f00d);
    let seeds = seeds();
    let work = tempfile::tempdir().expect("temporary folder");
    let failures_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let (mut accepted, mut rejected) = (0u64, 0u64);
    for case in 0..cases {
        let input: Vec<u8> = if rng.below(20) == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            let mut bytes = rng.pick(&seeds).clone();
            for _ in 0..=rng.below(4) {
                mutate(&mut rng, &mut bytes);
            }
            bytes
        };
        match run_case(&input, work.path(), 3) {
            // Count outcomes, to see the fuzzer reaches both sides.
            Ok(true) => accepted += 1,
            Ok(false) => rejected += 1,
            Err(e) => {
                let _ = std::fs::create_dir_all(&failures_dir);
                let saved = failures_dir.join(format!("case-{seed:x}-{case}.toml"));
                let _ = std::fs::write(&saved, &input);
                failures.push(format!(
                    "case {case}: {e}\n  input saved to {}\n  input: {:?}",
                    saved.display(),
                    String::from_utf8_lossy(&input)
                ));
            }
        }
    }
    eprintln!("fuzz: {cases} cases (seed {seed:#x}): {accepted} accepted and run, {rejected} rejected");
    assert!(
        failures.is_empty(),
        "{} of {cases} fuzz cases failed (keep each as a file in tests/fuzz_regressions/):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        accepted >= cases / 20 && rejected >= cases / 4,
        "the fuzzer should reach both sides: {accepted} accepted, {rejected} rejected"
    );
}

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fuzz_regressions/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression inputs in {}", dir.display());
    let work = tempfile::tempdir().expect("temporary folder");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).expect("read");
            run_case(&bytes, work.path(), 200)
                .err()
                .map(|e| format!("{}: {e}", path.display()))
        })
        .collect();
    assert!(failures.is_empty(), "regressions:\n{}", failures.join("\n"));
}
