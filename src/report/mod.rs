//! The one-page report (`report.html`) and its charts (`chart_*.svg`),
//! built only from the CSV files of a run, so that `forcegen run` and
//! `forcegen report OUTDIR` write the same bytes.
//!
//! [`data`] parses the five CSV files and [`extras`] the others (benchmarks,
//! distribution, drivers, assumptions: each may be missing in a folder of an
//! older forcegen); [`charts`] draws four charts with plotters' SVG backend
//! and [`distribution`] the fifth; [`html`] puts charts and tables on one
//! page; [`money_and_layers`] adds findings and inline charts for model
//! v2's money, police layers and capabilities when a run has them;
//! [`workbook`] puts the CSV files and native charts in `results.xlsx`
//! (`--xlsx`).
//!
//! The rules: docs/MODEL.md §5.8.

pub mod answers;
pub mod charts;
pub mod data;
pub mod distribution;
pub mod extras;
pub mod frame;
pub mod html;
pub mod json;
pub mod money_and_layers;
pub mod pages;
pub mod workbook;

use std::path::{Path, PathBuf};

pub use data::RunData;

/// The report file and the charts, in the order they are written.
pub const FILES: [&str; 6] = crate::output::schema::REPORT_FILES;

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{file}: {message}")]
    Csv { file: String, message: String },
    #[error("cannot draw {chart}: {message}")]
    Draw { chart: String, message: String },
    #[error("cannot write {}: {message}", crate::output::schema::WORKBOOK)]
    Workbook { message: String },
    /// The files to read would take more memory than the budget.
    #[error("{0}")]
    Budget(#[from] crate::budget::Exceeded),
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
    let extras = extras::Extras::parse(csv_files)?;
    let mut charts = charts::draw_all(&data, &extras)?;
    charts.push(distribution::draw(&data, &extras)?);
    let sections = money_and_layers::charts(&data, &extras)?;
    let page = html::page(&data, &extras, &charts, &sections);
    let mut files = vec![(FILES[0], page.into_bytes())];
    for (name, chart) in FILES[1..].iter().zip(charts) {
        files.push((*name, chart.into_bytes()));
    }
    Ok(files)
}

/// Memory that parsing a run's CSV files takes for each byte of them
/// (tables of text cells and the series made of them): about 8, measured
/// on a `timeseries.csv` of a million rows.
pub const BYTES_PER_CSV_BYTE: u64 = 8;

/// Reads the CSV files of a finished run from `dir`: the five, which must
/// be there, and those of [`crate::output::schema::RUN_EXTRA_FILES`] that
/// are (an older forcegen did not write them), then those of `more` that
/// are there (`timeseries_wide.csv` for the workbook); regular files of at
/// most [`data::MAX_CSV_BYTES`] each, and all of them together within the
/// memory budget ([`BYTES_PER_CSV_BYTE`] for each byte), checked before
/// any is read.
pub fn read_csv_files(dir: &Path, more: &[&'static str]) -> Result<Vec<(&'static str, Vec<u8>)>, ReportError> {
    let present = |name: &'static str| std::fs::symlink_metadata(dir.join(name)).is_ok().then_some(name);
    let mut names: Vec<&'static str> = crate::output::FILES.to_vec();
    names.extend(
        (crate::output::schema::RUN_EXTRA_FILES.iter())
            .chain(crate::output::schema::CONDITIONED_FILES.iter())
            .filter_map(|&n| present(n)),
    );
    names.extend(more.iter().filter_map(|&n| present(n)));
    // A file that cannot be sized is refused when it is read.
    let total = names
        .iter()
        .filter_map(|name| std::fs::metadata(dir.join(name)).ok())
        .map(|meta| if meta.is_file() { meta.len() } else { 0 })
        .fold(0u64, u64::saturating_add);
    let need = crate::budget::Need::new(
        format!("reading the {} CSV files of {}", names.len(), dir.display()),
        &[(total, "bytes")],
        BYTES_PER_CSV_BYTE,
    );
    crate::budget::check(&need)?;
    names
        .into_iter()
        .map(|name| {
            let path = dir.join(name);
            crate::readback::read_regular_file(&path, data::MAX_CSV_BYTES)
                .map(|bytes| (name, bytes))
                .map_err(|source| ReportError::Read { path, source })
        })
        .collect()
}
