//! The CSV files in a real spreadsheet: LibreOffice Calc (headless) opens
//! each one as a user would (comma separated, UTF-8, English (US), special
//! numbers such as dates detected) and saves it as flat XML (.fods). Every
//! numeric column must arrive as numbers with the same values, every date
//! column as dates, and text as text. Ignored by a plain `cargo test`
//! (listed as ignored, with the reason); `.ci/run` installs LibreOffice Calc
//! and runs it with `-- --ignored`, and run so without it it fails, saying
//! what to install.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Instant;

use crate::cli_support::forcegen;

const OFFICE: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
pub const TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";

/// CSV import options: comma, double quote, UTF-8, from line 1, default
/// column types, English (US), quoted fields not forced to text, detect
/// special numbers (dates).
const CSV_FILTER: &str = "CSV:44,34,76,1,,1033,false,true";

/// LibreOffice: `FORCEGEN_SOFFICE`, or `soffice`, `libreoffice` or `localc` on PATH.
pub fn soffice() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FORCEGEN_SOFFICE") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["soffice", "libreoffice", "localc"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// What a column must hold in the spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Date,
    Text,
}

fn kind_of(column: &str) -> Kind {
    match column {
        "target" | "metric" | "contributor" | "scenario" | "scenario_sha256" | "forcegen_version" | "generator"
        | "step" | "overrides" => Kind::Text,
        "date" | "start" => Kind::Date,
        c if c.starts_with("date_") || c.contains("_date_") => Kind::Date,
        _ => Kind::Number,
    }
}

/// One cell as Calc stored it: value type and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub kind: String,
    pub value: String,
}

/// The cells of the first sheet of a .fods file, row by row.
fn read_fods(path: &Path, max_columns: usize) -> Vec<Vec<Cell>> {
    let text = fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let table = doc
        .descendants()
        .find(|n| n.has_tag_name((TABLE, "table")))
        .expect("a sheet");
    table_cells(table, max_columns)
}

/// The cells of one sheet (a `table:table` element), row by row, at most
/// `max_columns` of each (rows repeated by Calc are not repeated here).
pub fn table_cells(table: roxmltree::Node, max_columns: usize) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    // Not the rows of a chart's own data table, embedded in the sheet.
    let own = |row: &roxmltree::Node| row.ancestors().skip(1).find(|a| a.has_tag_name((TABLE, "table"))) == Some(table);
    for row in table
        .descendants()
        .filter(|n| n.has_tag_name((TABLE, "table-row")) && own(n))
    {
        let mut cells = Vec::new();
        for cell in row.children().filter(|n| n.has_tag_name((TABLE, "table-cell"))) {
            let repeat: usize = cell
                .attribute((TABLE, "number-columns-repeated"))
                .and_then(|r| r.parse().ok())
                .unwrap_or(1);
            let kind = cell.attribute((OFFICE, "value-type")).unwrap_or("").to_string();
            let value = match kind.as_str() {
                "float" | "percentage" => cell.attribute((OFFICE, "value")).unwrap_or("").to_string(),
                "date" => cell.attribute((OFFICE, "date-value")).unwrap_or("").to_string(),
                _ => cell
                    .descendants()
                    .filter(|n| n.has_tag_name((TEXT, "p")))
                    .map(|p| {
                        p.descendants()
                            .filter(|t| t.is_text())
                            .filter_map(|t| t.text())
                            .collect::<String>()
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            for _ in 0..repeat.min(max_columns.saturating_sub(cells.len())) {
                cells.push(Cell {
                    kind: kind.clone(),
                    value: value.clone(),
                });
            }
        }
        rows.push(cells);
    }
    rows
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Compares one CSV file with what Calc made of it; returns the problems.
fn compare(name: &str, csv_rows: &[Vec<String>], sheet: &[Vec<Cell>]) -> Vec<String> {
    let mut problems = Vec::new();
    let header = &csv_rows[0];
    let empty = Cell {
        kind: String::new(),
        value: String::new(),
    };
    for (r, row) in csv_rows.iter().enumerate() {
        let Some(cells) = sheet.get(r) else {
            problems.push(format!("{name}: row {} missing in the sheet", r + 1));
            break;
        };
        for (c, field) in row.iter().enumerate() {
            let cell = cells.get(c).unwrap_or(&empty);
            let at = format!("{name} row {} column {}", r + 1, header[c]);
            let expected = if r == 0 { Kind::Text } else { kind_of(&header[c]) };
            if field.is_empty() {
                if !cell.kind.is_empty() {
                    problems.push(format!("{at}: empty in the CSV, {cell:?} in the sheet"));
                }
                continue;
            }
            match expected {
                Kind::Text => {
                    if cell.kind != "string" || cell.value != *field {
                        problems.push(format!("{at}: text {field:?} arrived as {cell:?}"));
                    }
                }
                Kind::Date => {
                    if cell.kind != "date" || cell.value != *field {
                        problems.push(format!("{at}: date {field} arrived as {cell:?}"));
                    }
                }
                Kind::Number => {
                    let want: f64 = field
                        .parse()
                        .unwrap_or_else(|_| panic!("{at}: {field} is not a number"));
                    let ok = cell.kind == "float"
                        && cell
                            .value
                            .parse::<f64>()
                            .is_ok_and(|got| (got - want).abs() <= 1e-12 * want.abs().max(1.0));
                    if !ok {
                        problems.push(format!("{at}: number {field} arrived as {cell:?}"));
                    }
                }
            }
        }
    }
    problems
}

#[test]
#[ignore = "needs LibreOffice Calc (.ci/run installs it and runs these with --ignored)"]
fn every_csv_opens_in_libreoffice_calc_with_its_types() {
    let soffice = soffice().unwrap_or_else(|| {
        panic!(
            "every_csv_opens_in_libreoffice_calc_with_its_types needs LibreOffice Calc and no soffice is on \
             PATH: install it (Debian: apt-get install libreoffice-calc) or set FORCEGEN_SOFFICE=/path/to/soffice"
        )
    });
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    forcegen()
        .args(["run", "--trials", "500", "--quiet", "--wide", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let files = [
        "timeseries.csv",
        "targets.csv",
        "summary.csv",
        "contributors.csv",
        "run_info.csv",
        "timeseries_wide.csv",
    ];
    let converted = work.path().join("fods");
    let started = Instant::now();
    let status = Process::new(&soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            work.path().join("profile").display()
        ))
        .args(["--headless", "--norestore", "--nolockcheck"])
        .arg(format!("--infilter={CSV_FILTER}"))
        .args(["--convert-to", "fods", "--outdir"])
        .arg(&converted)
        .args(files.iter().map(|f| out.join(f)))
        .env("HOME", work.path())
        .output()
        .expect("soffice starts");
    assert!(
        status.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    eprintln!(
        "soffice converted {} files in {:.1} s",
        files.len(),
        started.elapsed().as_secs_f64()
    );

    let mut problems = Vec::new();
    let mut kinds_seen: HashMap<&str, usize> = HashMap::new();
    for file in files {
        let csv_rows = read_csv(&out.join(file));
        let fods = converted.join(file.replace(".csv", ".fods"));
        assert!(fods.is_file(), "soffice did not convert {file}");
        let sheet = read_fods(&fods, csv_rows[0].len());
        problems.extend(compare(file, &csv_rows, &sheet));
        for column in &csv_rows[0] {
            *kinds_seen
                .entry(match kind_of(column) {
                    Kind::Number => "number",
                    Kind::Date => "date",
                    Kind::Text => "text",
                })
                .or_default() += 1;
        }
    }
    assert!(
        kinds_seen.len() == 3,
        "the files have number, date and text columns: {kinds_seen:?}"
    );
    assert!(
        problems.is_empty(),
        "{} cells arrived wrong; the first ones:\n{}",
        problems.len(),
        problems.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}
