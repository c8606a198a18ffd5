//! Fuzzing of the files forcegen reads back (issue #21), on stable Rust: a
//! deterministic mutation fuzzer over valid inputs made once in-process (the
//! two partial files of a small sharded run, and the five CSV files of the
//! same run). Each case mutates them byte-wise (flipped, set, inserted,
//! deleted or duplicated bytes, a splice from another file, truncation) and
//! structurally (a JSON value or CSV cell replaced by a huge, negative,
//! fractional, NaN, infinite or otherwise odd value, a count nudged, array
//! items or CSV rows and columns dropped, duplicated or swapped, the
//! scenario text inside a partial edited with its fingerprint updated), then
//! feeds them to the library:
//! - partials: `partial::parse` each, `partial::merge_partials`, and for a
//!   merge that succeeds, the CSV files (`output::render`: every number
//!   finite, every share from 0 to 1) and the report (`report::render`);
//! - CSV files: `report::render` and `report::workbook::render`.
//!
//! Nothing may panic (each case runs under `catch_unwind`), every error must
//! name its file, and each case must finish within a time limit (5 s; it
//! runs on a worker thread, so a hang fails the test instead of stalling
//! it). Inputs that fail are saved under `target/tmp/fuzz-read-back-failures/`.
//!
//! 300 cases in CI; set `FORCEGEN_FUZZ_CASES` for a longer run,
//! `FORCEGEN_FUZZ_SEED` for other cases and `FORCEGEN_FUZZ_CASE_SECONDS` for
//! another time limit:
//!
//! ```sh
//! FORCEGEN_FUZZ_CASES=100000 cargo test --profile test-release --locked --test it fuzz_read_back:: -- --nocapture
//! ```

mod mutate;

use crate::common::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use forcegen::engine::{self, Progress};
use forcegen::model::Model;
use forcegen::output;
use forcegen::partial::{self, Partial, PartialError, Shard};
use forcegen::report::{self, ReportError};
use forcegen::scenario;
use mutate::{mutate_bytes, mutate_csv, mutate_partial};

/// A small scenario with two contributors, two targets and both ratio
/// metrics. The huge population keeps the ratio sums within a u64, so that
/// serde_json's `Value` (used by the structural mutations) keeps them exact.
const SCENARIO: &str = "name = \"fuzz\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 120\nstep = \"week\"\n\
trials = 200\nseed = 7\n[population]\ninitial = 100000000000\n[host_police]\ninitial = 500\n\
attrition_per_year = 0.1\n[[contributors]]\nname = \"K\"\npledged = 300\nfulfilment = \"uniform(0.5, 1)\"\n\
first_arrival_days = \"uniform(0, 60)\"\n[[contributors]]\nname = \"J\"\npledged = 40\nwaves = 2\n\
first_arrival_days = \"uniform(10, 90)\"\n[[targets]]\nname = \"t\"\nmetric = \"international\"\nat_least = 100\n\
[[targets]]\nname = \"u\"\nmetric = \"police_per_100k\"\nat_least = 0.0001\n";

/// The valid inputs every case starts from.
struct Bases {
    /// Shards 1/2 and 2/2, as written by `run --shard`.
    partials: [Vec<u8>; 2],
    /// The five CSV files of the whole run.
    csvs: Vec<(&'static str, Vec<u8>)>,
}

fn bases() -> Bases {
    let scenario = scenario::parse_str(SCENARIO, "fuzz.toml").expect("the fuzz scenario parses");
    let model = Model::new(&scenario);
    let total = scenario.simulation.trials;
    let run = |trials| engine::run(&model, trials, 1, &Progress::default()).expect("the fuzz scenario runs");
    let partials = [1, 2].map(|index| {
        let shard = Shard { index, count: 2 };
        let part = Partial::new(&scenario, Some("fuzz".to_string()), shard, run(shard.trials(total)));
        serde_json::to_vec(&part).expect("a partial serialises")
    });
    let csvs = output::render(&scenario, &model, &run(0..total));
    Bases { partials, csvs }
}

/// One fuzz case: the inputs, and which reader they go to.
#[derive(Clone)]
enum Case {
    /// Partial files (one or two), merged in this order.
    Partials(Vec<Vec<u8>>),
    /// The five CSV files of a run.
    Csvs(Vec<(&'static str, Vec<u8>)>),
}

/// A case made from the bases: 1 to 4 mutations of one or more files.
fn make_case(rng: &mut Rng, bases: &Bases) -> Case {
    let mutations = 1 + rng.below(4);
    if rng.below(2) == 0 {
        let mut files: Vec<Vec<u8>> = bases.partials.to_vec();
        if rng.below(4) == 0 {
            files.swap(0, 1);
        }
        for _ in 0..mutations {
            let both = rng.below(4) == 0;
            let which = if both { rng.below(2) } else { 0 };
            let other = bases.partials[1 - which].clone();
            // Most byte-wise changes break the JSON: structural ones reach further.
            if rng.below(3) == 0 {
                mutate_bytes(rng, &mut files[which], &other);
            } else {
                mutate_partial(rng, &mut files[which]);
            }
        }
        if rng.below(8) == 0 {
            files.truncate(1);
        } else if rng.below(16) == 0 {
            let copy = files[0].clone();
            files.push(copy);
        }
        Case::Partials(files)
    } else {
        let mut files = bases.csvs.clone();
        for _ in 0..mutations {
            let which = rng.below(files.len());
            let other = files[rng.below(files.len())].1.clone();
            if rng.below(3) == 0 {
                mutate_bytes(rng, &mut files[which].1, &other);
            } else {
                mutate_csv(rng, &mut files[which].1);
            }
        }
        Case::Csvs(files)
    }
}

/// A report error must name the file (or chart) and say what is wrong.
fn check_report_error(error: &ReportError) -> Result<(), String> {
    let named = match error {
        ReportError::Read { .. } => true,
        ReportError::Csv { file, message } => file.ends_with(".csv") && !message.trim().is_empty(),
        ReportError::Draw { chart, message } => chart.starts_with("chart-") && !message.trim().is_empty(),
        ReportError::Workbook { message } => !message.trim().is_empty(),
    };
    if named {
        Ok(())
    } else {
        Err(format!("an error that names no file or says nothing: {error}"))
    }
}

/// Every number in the merged CSV files is finite, and every share is from 0 to 1.
fn check_merged_csvs(files: &[(&'static str, Vec<u8>)]) -> Result<(), String> {
    for (name, bytes) in files {
        if !name.ends_with(".csv") {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| format!("{name}: {e}"))?
            .iter()
            .map(str::to_string)
            .collect();
        for record in reader.records() {
            let record = record.map_err(|e| format!("{name}: {e}"))?;
            for (column, cell) in header.iter().zip(record.iter()) {
                let Ok(value) = cell.parse::<f64>() else { continue };
                let share = column.starts_with("p_") && !column.ends_with("_se");
                if !value.is_finite() || (share && !(0.0..=1.0).contains(&value)) {
                    return Err(format!("{name}: column {column} holds {cell}"));
                }
            }
        }
    }
    Ok(())
}

/// Runs one case through the readers: whether it was accepted (merged, or
/// the report built), or an error for anything a user should not see (a
/// panic is caught by the caller).
fn check_case(case: &Case) -> Result<bool, String> {
    match case {
        Case::Csvs(files) => {
            // `report --xlsx`: the workbook from the same files.
            if let Err(e) = report::workbook::render(files) {
                check_report_error(&e)?;
            }
            match report::render(files) {
                Ok(_) => Ok(true),
                Err(e) => check_report_error(&e).map(|()| false),
            }
        }
        Case::Partials(files) => {
            let mut parts = Vec::new();
            for (i, bytes) in files.iter().enumerate() {
                let path = PathBuf::from(format!("fuzz-part-{}.json", i + 1));
                match partial::parse(&path, bytes) {
                    Ok(part) => parts.push((path, part)),
                    Err(e) => return check_partial_error(&e).map(|()| false),
                }
            }
            let merged = match partial::merge_partials(parts) {
                Ok(merged) => merged,
                Err(e) => return check_partial_error(&e).map(|()| false),
            };
            let dir = merged.default_out_dir();
            if dir.parent() != Some(Path::new("output")) || dir.components().count() != 2 {
                return Err(format!("the default folder {} is not in output/", dir.display()));
            }
            let model = Model::new(&merged.scenario);
            let files = output::render(&merged.scenario, &model, &merged.aggregates);
            check_merged_csvs(&files)?;
            match report::render(&files) {
                Ok(_) => Ok(true),
                Err(e) => check_report_error(&e).map(|()| true),
            }
        }
    }
}

/// A partial error must name its file (or, for a set that is incomplete or
/// whose scenario does not parse, say so).
fn check_partial_error(error: &PartialError) -> Result<(), String> {
    let text = error.to_string();
    let named = match error {
        PartialError::Format { .. } | PartialError::Mismatch { .. } => text.contains("fuzz-part-"),
        PartialError::Incomplete(detail) => !detail.trim().is_empty(),
        _ => !text.trim().is_empty(),
    };
    if named {
        Ok(())
    } else {
        Err(format!("an error that names no file: {text}"))
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The inputs of a case as one file, to keep when it fails.
fn case_bytes(case: &Case) -> Vec<u8> {
    let mut out = Vec::new();
    let files: Vec<(String, &[u8])> = match case {
        Case::Partials(files) => files
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("partial {}", i + 1), b.as_slice()))
            .collect(),
        Case::Csvs(files) => files.iter().map(|(n, b)| (n.to_string(), b.as_slice())).collect(),
    };
    for (name, bytes) in files {
        out.extend_from_slice(format!("===== {name} ({} bytes)\n", bytes.len()).as_bytes());
        out.extend_from_slice(bytes);
        out.push(b'\n');
    }
    out
}

/// A worker thread that checks the cases sent to it, a panic caught as an
/// error: the cases run there so that one that hangs can be noticed.
fn worker() -> (Sender<Case>, Receiver<Result<bool, String>>) {
    let (send_case, cases_in) = mpsc::channel::<Case>();
    let (send_result, results) = mpsc::channel::<Result<bool, String>>();
    std::thread::spawn(move || {
        for case in cases_in {
            let result = catch_unwind(AssertUnwindSafe(|| check_case(&case))).unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panicked: {message}"))
            });
            if send_result.send(result).is_err() {
                break;
            }
        }
    });
    (send_case, results)
}

#[test]
fn mutated_partials_and_report_inputs_never_panic_or_hang() {
    let cases = env_number("FORCEGEN_FUZZ_CASES", 300);
    let seed = env_number("FORCEGEN_FUZZ_SEED", 0x2e5d_bac6);
    let limit = Duration::from_secs(env_number("FORCEGEN_FUZZ_CASE_SECONDS", 5));
    let bases = bases();
    let failures_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-read-back-failures");
    let (send_case, results) = worker();
    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let (mut slowest, mut slowest_case) = (Duration::ZERO, 0);
    // Cases of partials and of report inputs, and how many of each were accepted.
    let (mut partial_cases, mut csv_cases) = ([0u64; 2], [0u64; 2]);
    let save = |case_number: u64, case: &Case| {
        let _ = std::fs::create_dir_all(&failures_dir);
        let saved = failures_dir.join(format!("case-{seed:x}-{case_number}.txt"));
        let _ = std::fs::write(&saved, case_bytes(case));
        saved
    };
    for number in 0..cases {
        let case = make_case(&mut rng, &bases);
        let started = Instant::now();
        send_case.send(case.clone()).expect("the worker thread is running");
        match results.recv_timeout(limit) {
            Ok(result) => {
                let took = started.elapsed();
                if took > slowest {
                    (slowest, slowest_case) = (took, number);
                }
                let counts = match case {
                    Case::Partials(_) => &mut partial_cases,
                    Case::Csvs(_) => &mut csv_cases,
                };
                counts[0] += 1;
                match result {
                    Ok(accepted) => counts[1] += u64::from(accepted),
                    Err(e) => {
                        let saved = save(number, &case);
                        failures.push(format!("case {number}: {e}\n  inputs saved to {}", saved.display()));
                    }
                }
            }
            Err(_) => {
                let saved = save(number, &case);
                panic!(
                    "case {number} (seed {seed:#x}) took more than {limit:?}; inputs saved to {}",
                    saved.display()
                );
            }
        }
    }
    eprintln!(
        "fuzz: {cases} cases (seed {seed:#x}): {} of partials ({} merged), {} of report inputs ({} reported); \
         slowest case {slowest_case}: {:.1} ms",
        partial_cases[0],
        partial_cases[1],
        csv_cases[0],
        csv_cases[1],
        slowest.as_secs_f64() * 1000.0
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} fuzz cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Both readers are reached past their first checks.
    for (what, [all, accepted]) in [("partials", partial_cases), ("report inputs", csv_cases)] {
        assert!(
            accepted >= all / 20 && accepted < all,
            "the fuzzer should reach both sides for {what}: {accepted} of {all} accepted"
        );
    }
}
