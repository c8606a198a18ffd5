//! Issue #26, read-back: `report` refuses (exit code 2, naming the file,
//! line and column) a NaN, a negative or an out-of-range value in
//! `summary.csv`, `drivers.csv` and `timeseries.csv`, and a
//! `months_of_cover` above its cap, as docs/reliability.md says; before,
//! they gave "NaN%", "-500.0%" and axis labels of 400 digits.

use std::fs;
use std::path::Path;

use crate::cli_support::{forcegen, run_ok, scenarios_dir, stderr_of};

/// The cell at `column` of the first data row of `file` in `dir` whose
/// `key` column is `key_value`, replaced by `value`.
fn edit(dir: &Path, file: &str, key: (&str, &str), column: &str, value: &str) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{file}: {name}"))
    };
    let (k, c) = (at(key.0), at(column));
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let row = rows
        .iter_mut()
        .find(|r| r[k] == key.1)
        .unwrap_or_else(|| panic!("{file}: no {key:?}"));
    row[c] = value.to_string();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for row in rows {
        writer.write_record(&row).unwrap();
    }
    fs::write(&path, writer.into_inner().unwrap()).unwrap();
}

/// The GSF's share-of-ceiling target.
const TARGET: &str = "GSF at 90% of ceiling";

/// File, the row's key column and value, the column, the new value, and what the error says.
type Case = (
    &'static str,
    (&'static str, &'static str),
    &'static str,
    &'static str,
    &'static str,
);

/// The edits `report` refuses.
const CASES: &[Case] = &[
    (
        "summary.csv",
        ("target", TARGET),
        "p_reached_by_horizon",
        "NaN",
        "not a finite number",
    ),
    (
        "summary.csv",
        ("target", TARGET),
        "p_reached_by_horizon",
        "-5",
        "is below 0",
    ),
    (
        "summary.csv",
        ("target", TARGET),
        "p_reached_by_horizon",
        "1.5",
        "is above 1",
    ),
    (
        "summary.csv",
        ("target", TARGET),
        "p_reached_by_horizon_se",
        "-0.3",
        "is below 0",
    ),
    (
        "summary.csv",
        ("target", TARGET),
        "date_p50",
        "someday",
        "is not a date",
    ),
    ("drivers.csv", ("rank", "1"), "spearman", "NaN", "not a finite number"),
    ("drivers.csv", ("rank", "1"), "spearman", "-5", "is below -1"),
    ("drivers.csv", ("rank", "1"), "first_order", "-7", "is below 0"),
    ("drivers.csv", ("rank", "1"), "mean_when_input_low", "1e308", "is above"),
    (
        "timeseries.csv",
        ("metric", "international"),
        "p95",
        "1e308",
        "is above 4303360000",
    ),
    (
        "timeseries.csv",
        ("metric", "months_of_cover"),
        "p95",
        "500",
        "is above 120.234",
    ),
    (
        "timeseries.csv",
        ("metric", "months_of_cover"),
        "sd",
        "NaN",
        "not a finite number",
    ),
];

#[test]
fn report_refuses_nan_negative_and_out_of_range_values() {
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("run");
    // The GSF has months of cover and drivers.
    run_ok(
        &scenarios_dir().join("haiti-gsf-2026-04.toml"),
        &run,
        &["--trials", "200"],
    );
    for &(file, key, column, value, says) in CASES {
        let copy = work.path().join("copy");
        let _ = fs::remove_dir_all(&copy);
        fs::create_dir(&copy).unwrap();
        for entry in fs::read_dir(&run).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
        edit(&copy, file, key, column, value);
        let output = forcegen().arg("report").arg(&copy).arg("--quiet").output().unwrap();
        let message = stderr_of(&output);
        assert_eq!(output.status.code(), Some(2), "{file} {column}={value}: {message}");
        assert!(message.contains(&format!("{file}: line ")), "{message}");
        assert!(message.contains(&format!("column \"{column}\"")), "{message}");
        assert!(
            message.contains(says),
            "{file} {column}={value}: no {says:?} in {message}"
        );
        assert!(!message.contains("NaN%"), "{message}");
    }
    // The run's own files are accepted.
    forcegen().arg("report").arg(&run).arg("--quiet").assert().success();
}
