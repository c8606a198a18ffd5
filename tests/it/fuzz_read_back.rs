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

use crate::common::Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use forcegen::engine::{self, Progress};
use forcegen::model::Model;
use forcegen::output;
use forcegen::partial::{self, Partial, PartialError, Shard};
use forcegen::report::{self, ReportError};
use forcegen::scenario;

/// Odd numbers, as text (for JSON numbers and CSV cells).
const ODD_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e999",
    "5e-324",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456",
    "100000000",
    "36525",
    "36526",
    "99999999999999999999999999",
];

/// Odd CSV cells that are not numbers.
const ODD_CELLS: &[&str] = &[
    "",
    "x",
    "\"",
    "2024-02-30",
    "9999-12-31",
    "+10000-01-01",
    "-0001-01-01",
    "1970-01-01",
    "contributor:",
    "contributor:K",
    "'contributor:K",
    "international",
    "police_per_100k",
    "t",
    "\u{0}",
    "=1+1",
];

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
pub(super) struct Bases {
    /// Shards 1/2 and 2/2, as written by `run --shard`.
    partials: [Vec<u8>; 2],
    /// The five CSV files of the whole run.
    csvs: Vec<(&'static str, Vec<u8>)>,
}

pub(super) fn bases() -> Bases {
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
pub(super) enum Case {
    /// Partial files (one or two), merged in this order.
    Partials(Vec<Vec<u8>>),
    /// The five CSV files of a run.
    Csvs(Vec<(&'static str, Vec<u8>)>),
}

/// One byte-wise mutation of `bytes`; `other` is another file to splice from.
fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, other: &[u8]) {
    let len = bytes.len();
    let at = rng.below(len + 1);
    match rng.below(8) {
        0 if len > 0 => bytes[at.min(len - 1)] ^= 1 << rng.below(8),
        1 if len > 0 => {
            let odd = [
                b'"', b',', b'\n', b'{', b'}', b'[', b']', b'9', b'-', b'.', b'e', 0, 0xff, b'\r',
            ];
            bytes[at.min(len - 1)] = *rng.pick(&odd);
        }
        2 => {
            let insert: Vec<u8> = (0..=rng.below(8)).map(|_| rng.next() as u8).collect();
            bytes.splice(at..at, insert);
        }
        3 => {
            let end = (at + 1 + rng.below(64)).min(len);
            bytes.drain(at.min(end)..end);
        }
        4 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(200)).min(len);
            let copy = bytes[start..end].to_vec();
            bytes.splice(at..at, copy);
        }
        5 if !other.is_empty() => {
            let from = rng.below(other.len());
            bytes.truncate(at);
            bytes.extend_from_slice(&other[from..]);
        }
        6 => bytes.truncate(at),
        _ => {
            // A number (a run of digits) replaced by an odd one.
            let digits: Vec<usize> = (0..len)
                .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
                .collect();
            if !digits.is_empty() {
                let start = *rng.pick(&digits);
                let end = (start..len).find(|&i| !bytes[i].is_ascii_digit()).unwrap_or(len);
                let odd = rng.pick(ODD_NUMBERS).as_bytes().to_vec();
                bytes.splice(start..end, odd);
            }
        }
    }
}

/// A random node of `value` (walking down at random, stopping anywhere).
fn random_node<'a>(rng: &mut Rng, mut value: &'a mut serde_json::Value) -> &'a mut serde_json::Value {
    loop {
        let len = match &*value {
            serde_json::Value::Array(items) => items.len(),
            serde_json::Value::Object(map) => map.len(),
            _ => 0,
        };
        if len == 0 || rng.below(6) == 0 {
            return value;
        }
        let i = rng.below(len);
        value = match value {
            serde_json::Value::Array(items) => &mut items[i],
            serde_json::Value::Object(map) => map.values_mut().nth(i).expect("i < len"),
            _ => unreachable!("only arrays and objects have children"),
        };
    }
}

/// Sets the value at `path` (object keys) if every object on the way is there.
fn set(value: &mut serde_json::Value, path: &[&str], new: serde_json::Value) {
    let mut node = value;
    for key in path {
        match node.get_mut(*key) {
            Some(next) => node = next,
            None => return,
        }
    }
    *node = new;
}

/// One structural mutation of a partial file, as JSON.
fn mutate_partial(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    match rng.below(9) {
        7 | 8 => {
            // A histogram column moved or copied: it still counts every
            // trial once, so only its bins' place can give it away.
            let Some(metrics) = value.pointer_mut("/aggregates/metrics").and_then(|m| m.as_array_mut()) else {
                return;
            };
            let column = |rng: &mut Rng, metrics: &[serde_json::Value]| {
                let m = rng.below(metrics.len());
                let days = metrics[m]["columns"].as_array().map_or(0, Vec::len);
                (m, rng.below(days))
            };
            if metrics.is_empty() {
                return;
            }
            let (m, d) = column(rng, metrics);
            if rng.below(2) == 0 {
                // Bins shifted by whole pages (of 128 bins), or to anywhere in range.
                let low = metrics[m]["columns"][d]["low"].as_i64().unwrap_or(0);
                let moved = if rng.below(2) == 0 {
                    low + 128 * (rng.below(7) as i64 - 3)
                } else {
                    128 * rng.below(1 << 15) as i64
                };
                if let Some(slot) = metrics[m].pointer_mut(&format!("/columns/{d}/low")) {
                    *slot = moved.into();
                }
            } else {
                let (n, e) = column(rng, metrics);
                let copy = metrics[m]["columns"].get(d).cloned();
                if let (Some(copy), Some(slot)) = (copy, metrics[n].pointer_mut(&format!("/columns/{e}"))) {
                    *slot = copy;
                }
            }
        }
        0 => {
            let node = random_node(rng, &mut value);
            let odd = [
                serde_json::json!(0),
                serde_json::json!(-1),
                serde_json::json!(u64::MAX),
                serde_json::json!(i64::MIN),
                serde_json::json!(1e308),
                serde_json::json!(0.5),
                serde_json::json!(null),
                serde_json::json!("x"),
                serde_json::json!([]),
                serde_json::json!({}),
                serde_json::json!([[0, 1]]),
            ];
            *node = rng.pick(&odd).clone();
        }
        1 => {
            // A count nudged, as an edit by hand would.
            let node = random_node(rng, &mut value);
            if let Some(n) = node.as_u64() {
                let nudged = match rng.below(5) {
                    0 => n.wrapping_add(1),
                    1 => n.wrapping_sub(1),
                    2 => n.wrapping_add(5000),
                    3 => n.wrapping_mul(2),
                    _ => u64::MAX - n,
                };
                *node = nudged.into();
            }
        }
        2 | 3 => {
            let node = random_node(rng, &mut value);
            if let serde_json::Value::Array(items) = node
                && !items.is_empty()
            {
                let i = rng.below(items.len());
                match rng.below(3) {
                    0 => {
                        items.remove(i);
                    }
                    1 => {
                        let copy = items[i].clone();
                        items.insert(i, copy);
                    }
                    _ => {
                        let j = rng.below(items.len());
                        items.swap(i, j);
                    }
                }
            } else if let serde_json::Value::Object(map) = node
                && !map.is_empty()
            {
                let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
                map.remove(&key);
            }
        }
        4 => {
            // The scenario text edited, with its fingerprint updated.
            if let Some(text) = value.get("scenario_source").and_then(|t| t.as_str()) {
                let mut source = text.as_bytes().to_vec();
                mutate_bytes(rng, &mut source, SCENARIO.as_bytes());
                let source = String::from_utf8_lossy(&source).into_owned();
                set(&mut value, &["scenario_sha256"], output::sha256_hex(&source).into());
                set(&mut value, &["scenario_source"], source.into());
            }
        }
        5 => {
            // Other shard numbers or totals.
            let numbers = [0u64, 1, 2, 3, 7, 100, 200, 1_000_000, 10_000_000_000, u64::MAX];
            let path: &[&str] = match rng.below(4) {
                0 => &["shard", "index"],
                1 => &["shard", "count"],
                2 => &["total_trials"],
                _ => &["aggregates", "trials"],
            };
            set(&mut value, path, (*rng.pick(&numbers)).into());
        }
        _ => {
            let stems = ["/tmp/x", "../../x", "..", "", "a\u{0}b", "fine"];
            set(&mut value, &["out_stem"], (*rng.pick(&stems)).into());
        }
    }
    if let Ok(text) = serde_json::to_vec(&value) {
        *bytes = text;
    }
}

/// One structural mutation of a CSV file.
fn mutate_csv(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let Ok(mut rows) = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect::<Vec<String>>()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    if rows.is_empty() {
        return;
    }
    let r = rng.below(rows.len());
    let width = rows[0].len().max(1);
    let c = rng.below(width);
    match rng.below(10) {
        0..=2 => {
            // A cell (of a data row, mostly) replaced by an odd value.
            let r = if rows.len() > 1 {
                1 + rng.below(rows.len() - 1)
            } else {
                r
            };
            let odd = if rng.below(3) == 0 {
                rng.pick(ODD_CELLS).to_string()
            } else {
                rng.pick(ODD_NUMBERS).to_string()
            };
            if let Some(cell) = rows[r].get_mut(c) {
                *cell = odd;
            }
        }
        3 => {
            // A whole column set to one odd value (so a drawn metric gets it).
            let odd = rng.pick(ODD_NUMBERS).to_string();
            for row in rows.iter_mut().skip(1) {
                if let Some(cell) = row.get_mut(c) {
                    *cell = odd.clone();
                }
            }
        }
        4 => {
            rows.remove(r);
        }
        5 => {
            let copy = rows[r].clone();
            let times = if rng.below(4) == 0 { 1 + rng.below(500) } else { 1 };
            for _ in 0..times {
                rows.insert(r, copy.clone());
            }
        }
        6 => {
            let j = rng.below(rows.len());
            rows.swap(r, j);
        }
        7 => {
            for row in &mut rows {
                if c < row.len() {
                    row.remove(c);
                }
            }
        }
        8 => {
            let d = rng.below(width);
            for row in &mut rows {
                if c < row.len() && d < row.len() {
                    if rng.below(2) == 0 {
                        row.swap(c, d);
                    } else {
                        let copy = row[c].clone();
                        row.push(copy);
                    }
                }
            }
        }
        _ => {
            // Every row of one metric or target given a name of its own.
            for (i, row) in rows.iter_mut().enumerate().skip(1) {
                if let Some(cell) = row.get_mut(c) {
                    *cell = format!("contributor:n{i}");
                }
            }
        }
    }
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in &rows {
        if writer.write_record(row).is_err() {
            return;
        }
    }
    if let Ok(text) = writer.into_inner() {
        *bytes = text;
    }
}

/// A case made from the bases: 1 to 4 mutations of one or more files.
pub(super) fn make_case(rng: &mut Rng, bases: &Bases) -> Case {
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
        ReportError::Budget(e) => e.to_string().contains("CSV files of"),
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

#[test]
fn mutated_partials_and_report_inputs_never_panic_or_hang() {
    let cases = env_number("FORCEGEN_FUZZ_CASES", 300);
    let seed = env_number("FORCEGEN_FUZZ_SEED", 0x2e5d_bac6);
    let limit = Duration::from_secs(env_number("FORCEGEN_FUZZ_CASE_SECONDS", 5));
    let bases = bases();
    let failures_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-read-back-failures");
    // The cases run on a worker thread, so that one that hangs can be noticed.
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
