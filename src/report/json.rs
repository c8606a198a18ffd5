//! `--json` (`run`, `merge`, `report`): the run's answer as one JSON
//! document for programs, from the CSV files it is built from: what
//! produced it (`run_info.csv`), the report date, and every row of
//! `summary.csv` and `targets.csv` as an object keyed by the file's columns.
//! Numbers are JSON numbers written as the CSV file writes them, dates and
//! names strings, empty cells `null` (docs/output-reference.md).

use std::fmt::Write as _;

use super::ReportError;
use super::data::Table;
use super::workbook::{Kind, column_kind};
use crate::output::schema;

/// The version of the document's shape, its first key.
pub const FORMAT: &str = "forcegen-answers-1";

/// The JSON document of the run whose files are `files`.
pub fn render(files: &[(&str, Vec<u8>)]) -> Result<String, ReportError> {
    let table = |name: &str| {
        let bytes = files.iter().find(|(n, _)| *n == name).map(|(_, b)| b.as_slice());
        let bytes = bytes.ok_or_else(|| ReportError::Csv {
            file: name.to_string(),
            message: "missing".to_string(),
        })?;
        Table::parse(name, bytes)
    };
    let info = table(schema::RUN_INFO)?;
    let Some(info_row) = info.rows.first() else {
        return Err(ReportError::Csv {
            file: schema::RUN_INFO.to_string(),
            message: "no row".to_string(),
        });
    };
    let answers = super::answers::from_files(files)?;
    let mut out = String::new();
    let _ = writeln!(out, "{{\n  \"format\": {},", string(FORMAT));
    let _ = writeln!(out, "  \"run\": {},", object(&info.header, info_row));
    let report_date = answers.date.format("%Y-%m-%d").to_string();
    let _ = writeln!(out, "  \"report_date\": {},", string(&report_date));
    let horizon = answers.horizon.format("%Y-%m-%d").to_string();
    let _ = writeln!(out, "  \"horizon\": {},", string(&horizon));
    let _ = writeln!(out, "  \"summary\": {},", array(&table(schema::SUMMARY)?));
    let _ = writeln!(out, "  \"targets\": {}\n}}", array(&table(schema::TARGETS)?));
    Ok(out)
}

/// Every row of `table` as an object, one a line.
fn array(table: &Table) -> String {
    if table.rows.is_empty() {
        return "[]".to_string();
    }
    let rows: Vec<String> = table
        .rows
        .iter()
        .map(|row| format!("    {}", object(&table.header, row)))
        .collect();
    format!("[\n{}\n  ]", rows.join(",\n"))
}

/// One row as an object keyed by the columns, in the file's order.
fn object(header: &[String], row: &[String]) -> String {
    let fields: Vec<String> = header
        .iter()
        .zip(row)
        .map(|(column, cell)| format!("{}: {}", string(column), value(column, cell)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// A cell as JSON: `null` when empty, a number in a number's column when
/// it is one as JSON writes numbers, else a string.
fn value(column: &str, cell: &str) -> String {
    if cell.is_empty() {
        return "null".to_string();
    }
    let numeric = matches!(column_kind(column), Kind::Number | Kind::Percent);
    if numeric && serde_json::from_str::<serde_json::Number>(cell).is_ok() {
        return cell.to_string();
    }
    string(cell)
}

/// `text` as a JSON string.
fn string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_numbers_strings_or_null() {
        assert_eq!(value("p_reached", "0.7350"), "0.7350");
        assert_eq!(value("at_least", ""), "null");
        assert_eq!(value("date", "2026-10-02"), "\"2026-10-02\"");
        assert_eq!(value("target", "1000"), "\"1000\"");
        for not_json in ["NaN", "inf", ".5", "+1", "05", "1,000"] {
            assert_eq!(value("mean", not_json), string(not_json), "{not_json}");
        }
        assert_eq!(string("a \"b\"\n"), "\"a \\\"b\\\"\\n\"");
    }
}
