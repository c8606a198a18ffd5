//! Helpers shared by the end-to-end tests of the `forcegen` binary: run it,
//! and read the files it writes.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The five files every run writes (docs/MODEL.md §5), named by the schema.
pub const FILES: [&str; 5] = forcegen::output::schema::RUN_FILES;

/// The report and its charts, written with the CSV files.
pub const REPORT_FILES: [&str; 6] = forcegen::output::schema::REPORT_FILES;

/// The CSV files a run writes for its report besides the five.
pub const EXTRA_FILES: [&str; 4] = forcegen::output::schema::RUN_EXTRA_FILES;

/// The exact header row of each file, in the order of [`FILES`], written out
/// here as the public interface they are: `output/schema.rs` must match them
/// (`cli::the_schema_is_the_public_interface`).
pub const HEADERS: [&[&str]; 5] = [
    &["date", "day", "metric", "mean", "sd", "p5", "p25", "p50", "p75", "p95"],
    &["target", "date", "day", "p_reached", "p_reached_se"],
    &[
        "target",
        "metric",
        "at_least",
        "p_reached_by_horizon",
        "p_reached_by_horizon_se",
        "date_p5",
        "date_p50",
        "date_p95",
    ],
    &[
        "contributor",
        "pledged",
        "mean_delivered",
        "p_full_delivery",
        "last_wave_date_p5",
        "last_wave_date_p50",
        "last_wave_date_p95",
    ],
    &[
        "scenario",
        "scenario_sha256",
        "seed",
        "trials",
        "forcegen_version",
        "generator",
        "start",
        "horizon_days",
        "step",
        "overrides",
    ],
];

/// A fresh `forcegen` command.
pub fn forcegen() -> Command {
    Command::cargo_bin("forcegen").expect("the forcegen binary is built for integration tests")
}

/// `scenarios/` of this repository.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// The baseline scenario file (the same text as the built-in baseline).
pub fn baseline() -> PathBuf {
    scenarios_dir().join("haiti-mss-2024-09.toml")
}

/// Every `*.toml` file in `scenarios/`, sorted.
pub fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(scenarios_dir())
        .expect("scenarios/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write test file");
    path
}

/// Header and rows of a CSV file, parsed with the `csv` crate (so quoting is
/// honoured and every row must have as many cells as the header).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let header = reader
        .headers()
        .unwrap_or_else(|e| panic!("bad header in {}: {e}", path.display()))
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("bad row in {}: {e}", path.display()))
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, rows)
}

/// The value of column `name` in `row`, given the file's header.
pub fn cell<'r>(header: &[String], row: &'r [String], name: &str) -> &'r str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &row[i]
}

/// The single data row of `run_info.csv` in `dir`, as (header, row).
pub fn run_info(dir: &Path) -> (Vec<String>, Vec<String>) {
    let (header, mut rows) = read_csv(&dir.join("run_info.csv"));
    assert_eq!(rows.len(), 1, "run_info.csv must have exactly one data row");
    (header, rows.remove(0))
}

/// Names of the entries of `dir` (empty if it does not exist).
pub fn entries(dir: &Path) -> Vec<String> {
    match fs::read_dir(dir) {
        Ok(read) => {
            let mut names: Vec<String> = read
                .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
        Err(_) => Vec::new(),
    }
}

/// Asserts that `dir` holds the five CSV files and nothing else.
pub fn assert_exactly_the_five_files(dir: &Path) {
    let mut expected: Vec<String> = FILES
        .iter()
        .chain(&REPORT_FILES)
        .chain(&EXTRA_FILES)
        .map(|f| f.to_string())
        .collect();
    expected.sort();
    assert_eq!(entries(dir), expected, "files in {}", dir.display());
}

/// Asserts that the five CSV files in `a` and `b` are byte-identical.
pub fn assert_same_outputs(a: &Path, b: &Path, what: &str) {
    for file in FILES {
        let left =
            fs::read(a.join(file)).unwrap_or_else(|e| panic!("{what}: cannot read {}: {e}", a.join(file).display()));
        let right =
            fs::read(b.join(file)).unwrap_or_else(|e| panic!("{what}: cannot read {}: {e}", b.join(file).display()));
        if left != right {
            let first = left
                .iter()
                .zip(&right)
                .position(|(x, y)| x != y)
                .unwrap_or(left.len().min(right.len()));
            let line = left[..first].iter().filter(|&&c| c == b'\n').count() + 1;
            panic!(
                "{what}: {file} differs between {} and {} (first difference at byte {first}, line {line}; sizes {} and {})",
                a.display(),
                b.display(),
                left.len(),
                right.len()
            );
        }
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `forcegen run SCENARIO --out OUT --quiet ARGS...`; returns its output.
pub fn run_output(scenario: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    forcegen()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(args)
        .output()
        .expect("run forcegen")
}

/// Runs `forcegen run SCENARIO --out OUT --quiet ARGS...` and asserts success.
pub fn run_ok(scenario: &Path, out: &Path, args: &[&str]) {
    let output = run_output(scenario, out, args);
    assert!(
        output.status.success(),
        "forcegen failed ({}): {}",
        output.status,
        stderr_of(&output)
    );
}

/// The stderr of a finished command, as text.
pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The GSF scenario's text for a copy written elsewhere: its priors file
/// (`../data/priors-2026-04.toml`, relative to scenarios/) by its full path.
pub fn gsf_copy_text() -> String {
    let text = fs::read_to_string(scenarios_dir().join("haiti-gsf-2026-04.toml")).expect("gsf");
    let relative = "priors = \"../data/priors-2026-04.toml\"";
    assert!(text.contains(relative), "test bug: the GSF's priors line moved");
    let priors = scenarios_dir().join("../data/priors-2026-04.toml");
    text.replacen(relative, &format!("priors = \"{}\"", priors.display()), 1)
}
