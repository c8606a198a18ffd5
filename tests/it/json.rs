//! `--json` (issue #30 point 8): `run`, `merge` and `report` print the
//! answer as one JSON document (docs/output-reference.md): run_info.csv's
//! row, the report date, and summary.csv's and targets.csv's rows, each
//! cell as the file has it (numbers as numbers, empty as null), and
//! nothing else on standard output.

use std::path::Path;

use serde_json::Value;

use crate::cli_support::{cell, forcegen, read_csv, scenarios_dir, stderr_of};

/// Runs forcegen with `args`, asserting success; its standard output.
fn stdout(args: &[&str], out: &Path) -> String {
    let output = forcegen().args(args).arg(out).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// The objects of `rows` equal the CSV file's rows, cell by cell.
fn assert_rows_match(rows: &Value, file: &Path) {
    let (header, csv_rows) = read_csv(file);
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), csv_rows.len(), "{}", file.display());
    for (object, csv_row) in rows.iter().zip(&csv_rows) {
        let keys: Vec<&String> = object.as_object().expect("an object").keys().collect();
        assert_eq!(keys.len(), header.len());
        for column in &header {
            let text = cell(&header, csv_row, column);
            match &object[column.as_str()] {
                Value::Null => assert!(text.is_empty(), "{column}: null for {text:?}"),
                Value::Number(n) => assert_eq!(n.as_f64(), text.parse::<f64>().ok(), "{column}"),
                Value::String(s) => assert_eq!(s, text, "{column}"),
                other => panic!("{column}: {other:?}"),
            }
        }
    }
}

#[test]
fn run_and_report_print_the_summary_and_targets_as_json() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("gsf");
    let gsf = scenarios_dir().join("haiti-gsf-2026-04.toml");
    let gsf = gsf.to_str().unwrap();
    let args = ["run", gsf, "--trials", "600", "--no-drivers", "--json", "--out"];
    let printed = stdout(&args, &out);
    let document: Value = serde_json::from_str(&printed).expect("standard output is one JSON document");
    assert_eq!(document["format"], "forcegen-answers-1");
    assert_eq!(document["report_date"], "2026-10-02");
    assert_eq!(document["horizon"], "2027-04-30");
    assert_eq!(document["run"]["trials"], 600);
    assert_eq!(document["run"]["scenario"], "Haiti GSF as of 30 Apr 2026");
    assert_rows_match(&document["summary"], &out.join("summary.csv"));
    assert_rows_match(&document["targets"], &out.join("targets.csv"));
    // The share of the ceiling as the number it means.
    let levels: Vec<&Value> = document["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| &row["at_least"])
        .collect();
    assert!(levels.contains(&&Value::from(4950)), "{levels:?}");
    // `report --json` prints the same document from the folder.
    assert_eq!(stdout(&["report", "--json"], &out), printed);
}

#[test]
fn a_shard_refuses_json() {
    let work = tempfile::tempdir().unwrap();
    let output = forcegen()
        .args(["run", "--trials", "10", "--json", "--shard", "1/2", "--partial"])
        .arg(work.path().join("part"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("give them to `forcegen merge`"));
}
