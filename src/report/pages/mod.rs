//! The pages of the analysis commands: `sensitivity.html`, `sweep.html`,
//! `solve.html`, `compare.html` and `backtest.html`, each a self-contained page in the
//! look of `report.html` (its style, palette and chart frame), built only
//! from the command's CSV files, so that the page can always be rebuilt
//! from them byte for byte.
//!
//! Every value a chart uses is checked (finite numbers, shares from 0 to 1,
//! known columns), so that an edited file gives an error naming the file,
//! line and column rather than a panic or a chart plotters cannot finish.
//!
//! [`draw`] holds what the charts share; each page has its own file.
//! The rules: docs/MODEL.md §5.11 to §5.14; what each page shows:
//! docs/analysis-guide.md, "The pages of the analysis commands".

pub mod backtest;
pub mod compare;
pub mod draw;
pub mod sensitivity;
pub mod sobol;
pub mod solve;
pub mod sweep;

use std::fmt::Write;

use super::ReportError;
use super::data::Table;
use super::escape;
use crate::output::uncell;

/// The CSV files a page is built from: name and bytes.
pub type Files<'a> = [(&'a str, Vec<u8>)];

/// CSV file `name` of `files`, parsed (at most the rows a run may write).
pub fn table(files: &Files, name: &str) -> Result<Table, ReportError> {
    let (_, bytes) = files.iter().find(|(n, _)| *n == name).ok_or_else(|| ReportError::Csv {
        file: name.to_string(),
        message: "missing".to_string(),
    })?;
    Table::parse(name, bytes)
}

/// The one row of an info file (`*_info.csv`): column name and value.
#[derive(Debug, Clone, Default)]
pub struct Info(pub Vec<(String, String)>);

impl Info {
    pub fn read(files: &Files, name: &str) -> Result<Info, ReportError> {
        let info = table(files, name)?;
        let row = info.rows.first().ok_or_else(|| ReportError::Csv {
            file: name.to_string(),
            message: "no data row".to_string(),
        })?;
        Ok(Info(info.header.iter().cloned().zip(row.iter().cloned()).collect()))
    }

    /// A value without the spreadsheet guard, or "" if the column is missing.
    pub fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map_or("", |(_, v)| uncell(v))
    }

    /// "N trials, seed S".
    pub fn trials_and_seed(&self) -> String {
        format!("{} trials, seed {}", self.get("trials"), self.get("seed"))
    }
}

/// The index of column `name` of `file`, or an error naming both.
pub fn column(table: &Table, file: &str, name: &str) -> Result<usize, ReportError> {
    table
        .header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| ReportError::Csv {
            file: file.to_string(),
            message: format!("no column \"{name}\""),
        })
}

/// An error in row `row` (a line of the file), column `name`.
pub fn bad_cell(table: &Table, file: &str, row: usize, name: &str, message: &str) -> ReportError {
    let line = table.lines.get(row).map_or_else(String::new, |l| format!("line {l}, "));
    ReportError::Csv {
        file: file.to_string(),
        message: format!("{line}column \"{name}\": {message}"),
    }
}

/// The cell of row `row`, column `col` ("" if the row is short).
pub fn cell(table: &Table, row: usize, col: usize) -> &str {
    table.rows.get(row).and_then(|r| r.get(col)).map_or("", String::as_str)
}

/// The number in row `row`, column `name`: finite, or empty (`None`) where
/// `optional`; anything else is an error.
pub fn number(table: &Table, file: &str, row: usize, name: &str, optional: bool) -> Result<Option<f64>, ReportError> {
    let col = column(table, file, name)?;
    let text = cell(table, row, col);
    if text.is_empty() && optional {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value.abs() < 1e15 => Ok(Some(value)),
        _ => {
            let shown: String = text.chars().take(40).collect();
            Err(bad_cell(
                table,
                file,
                row,
                name,
                &format!("\"{}\" is not a finite number", shown.escape_debug()),
            ))
        }
    }
}

/// A number that must be there.
pub fn required(table: &Table, file: &str, row: usize, name: &str) -> Result<f64, ReportError> {
    Ok(number(table, file, row, name, false)?.unwrap_or(0.0))
}

/// A share from 0 to 1 (or empty where `optional`).
pub fn share(table: &Table, file: &str, row: usize, name: &str, optional: bool) -> Result<Option<f64>, ReportError> {
    let value = number(table, file, row, name, optional)?;
    if value.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
        return Err(bad_cell(table, file, row, name, "is not a share from 0 to 1"));
    }
    Ok(value)
}

/// The text after "what-if: --set ..." in titles: the overrides, if any.
pub fn what_if(overrides: &str) -> String {
    if overrides.is_empty() {
        String::new()
    } else {
        format!(" (what-if: --set {overrides})")
    }
}

/// A share as a percentage with one decimal: `84.7%`.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// A figure: the chart's heading, the SVG, and its caption.
pub fn figure(html: &mut String, heading: &str, svg: &str, caption: &str) {
    let _ = write!(
        html,
        "<h2>{}</h2>\n<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(heading),
        svg.trim(),
        escape(caption)
    );
}

/// A whole page: `title` (the page's `<h1>`), the line under it, the
/// findings (one sentence each) and the body (figures and tables).
pub fn page(kind: &str, title: &str, meta: &str, findings: &[String], body: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}: forcegen {kind}</title>\n<style>{style}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p class=\"meta\">{meta}</p>\n",
        title = escape(title),
        kind = escape(kind),
        style = super::html::STYLE,
        meta = escape(meta),
    );
    html.push_str("<h2>Findings</h2>\n<ul id=\"findings\">\n");
    for sentence in findings {
        let _ = writeln!(html, "<li>{}</li>", escape(sentence));
    }
    html.push_str("</ul>\n");
    html.push_str(body);
    html.push_str("</body>\n</html>\n");
    html
}

/// A table of `rows` under `header` (cells as in the CSV file; shares and
/// dates shown for people, as in `report.html`).
pub fn table_html(html: &mut String, id: &str, caption: &str, header: &[&str], rows: Vec<Vec<String>>) {
    let table = Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
        lines: Vec::new(),
    };
    super::html::table(html, id, caption, &table);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_with_file_line_and_column() {
        let files = [("a.csv", b"x,y\n1,\nnan,0.5\n2,1.5\n".to_vec())];
        let t = table(&files, "a.csv").unwrap();
        assert_eq!(required(&t, "a.csv", 0, "x").unwrap(), 1.0);
        assert_eq!(number(&t, "a.csv", 0, "y", true).unwrap(), None);
        assert!(number(&t, "a.csv", 0, "y", false).is_err());
        let e = required(&t, "a.csv", 1, "x").unwrap_err().to_string();
        assert!(
            e.contains("a.csv") && e.contains("line 3") && e.contains("\"x\""),
            "{e}"
        );
        assert!(share(&t, "a.csv", 2, "y", false).is_err());
        assert!(column(&t, "a.csv", "z").is_err());
        assert!(table(&files, "b.csv").is_err());
    }
}
