//! The one-page report (`report.html`) and its charts (`chart_*.svg`),
//! built only from the CSV files of a run, so that `forcegen run` and
//! `forcegen report OUTDIR` write the same bytes.
//!
//! [`data`] parses the five CSV files; [`charts`] draws the four charts with
//! plotters' SVG backend; [`html`] puts charts and tables on one page.
//!
//! The rules: docs/MODEL.md §5.8.

pub mod charts;
pub mod data;
pub mod html;
pub mod pages;

use std::path::{Path, PathBuf};

pub use data::RunData;

/// The report file and the charts, in the order they are written.
pub const FILES: [&str; 5] = crate::output::schema::REPORT_FILES;

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{file}: {message}")]
    Csv { file: String, message: String },
    #[error("cannot draw {chart}: {message}")]
    Draw { chart: String, message: String },
}

/// Text made safe for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The report files, built from the CSV files of a run (name and bytes, as
/// `output::render` returns them).
pub fn render(csv_files: &[(&str, Vec<u8>)]) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    let data = RunData::parse(csv_files)?;
    let charts = charts::draw_all(&data)?;
    let page = html::page(&data, &charts);
    let mut files = vec![(FILES[0], page.into_bytes())];
    for (name, chart) in FILES[1..].iter().zip(charts) {
        files.push((*name, chart.into_bytes()));
    }
    Ok(files)
}

/// Reads the five CSV files of a finished run from `dir`: regular files of
/// at most [`data::MAX_CSV_BYTES`] each.
pub fn read_csv_files(dir: &Path) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    crate::output::FILES
        .iter()
        .map(|name| {
            let path = dir.join(name);
            crate::readback::read_regular_file(&path, data::MAX_CSV_BYTES)
                .map(|bytes| (*name, bytes))
                .map_err(|source| ReportError::Read { path, source })
        })
        .collect()
}
