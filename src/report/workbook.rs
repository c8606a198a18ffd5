//! `results.xlsx` (`run --xlsx`, `merge --xlsx`, `report --xlsx`): the CSV
//! files of a run in one workbook for spreadsheet users, built only from
//! the CSV bytes (like the report), so that `run` and `report` write the
//! same bytes.
//!
//! One sheet per CSV file, in the order the files are written, named after
//! the file (`timeseries.csv` on the sheet `timeseries`); typed cells
//! (numbers as numbers, dates as dates shown `yyyy-mm-dd`, probabilities
//! with a percent format, names as text), a bold frozen header row and
//! column widths from the contents. A last sheet, `charts`, holds two
//! native charts: the fan of `international` (p5, p25, p50, p75, p95 by
//! date, its data beside it) and the target curves (each target's
//! `p_reached` by date, straight from the `targets` sheet).
//!
//! The rules: docs/output-reference.md, results.xlsx.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Chart, ChartAxis, ChartAxisDateUnitType, ChartLegendPosition, ChartLine, ChartLineDashType, ChartType,
    DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError,
};

use super::ReportError;
use super::data::{RunData, Table};
use crate::output::{schema, uncell};

/// Most rows of a sheet (Excel and LibreOffice), the header included.
pub const MAX_ROWS: usize = 1_048_576;
/// Most columns of a sheet.
pub const MAX_COLUMNS: usize = 16_384;
/// Most characters of a cell.
pub const MAX_CELL_CHARS: usize = 32_767;
/// Most characters of a sheet name.
pub const MAX_SHEET_NAME: usize = 31;
/// The name of the sheet with the charts (the last one).
pub const CHARTS_SHEET: &str = "charts";
/// The name of the first sheet: the answer on the report date.
pub const ANSWERS_SHEET: &str = "answers";
/// The metric of the fan chart.
pub const FAN_METRIC: &str = "international";
/// The number format of date cells.
pub const DATE_FORMAT: &str = "yyyy-mm-dd";
/// The number format of probability cells.
pub const PERCENT_FORMAT: &str = "0.00%";
/// Rows read to size a column (the widest of them sets its width).
const WIDTH_ROWS: usize = 2_000;

/// What a column's cells are written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Names and labels: always text.
    Text,
    /// ISO dates (`YYYY-MM-DD`): dates; an empty cell stays empty.
    Date,
    /// A probability (`p_reached`, `p_full_delivery`, `share`, ...): a
    /// number with [`PERCENT_FORMAT`].
    Percent,
    /// Numbers; a cell that is not a number (an assumption's
    /// `normal(0.014, 0.002)`) is written as text.
    Number,
}

/// Columns of the run's files that hold names and labels.
pub const TEXT_COLUMNS: [&str; 15] = [
    "target",
    "metric",
    "contributor",
    "scenario",
    "scenario_sha256",
    "forcegen_version",
    "generator",
    "step",
    "overrides",
    "kind",
    "name",
    "unit",
    "source",
    "outcome",
    "input",
];

/// What the cells of the column named `column` are written as.
pub fn column_kind(column: &str) -> Kind {
    if TEXT_COLUMNS.contains(&column) {
        Kind::Text
    } else if column == "date" || column == "start" || column.starts_with("date_") || column.contains("_date_") {
        Kind::Date
    } else if column.starts_with("p_") || column == "share" {
        Kind::Percent
    } else {
        Kind::Number
    }
}

/// The workbook's bytes, and notes on what it leaves out (a file too large
/// for a sheet, a long cell cut short, a chart without data).
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub notes: Vec<String>,
}

/// The cell formats of the workbook.
struct Formats {
    header: Format,
    date: Format,
    percent: Format,
}

/// Builds `results.xlsx` from the CSV files of a run (name and bytes, in
/// the order they are written; the five of [`schema::RUN_FILES`] must be
/// among them).
pub fn render(csv_files: &[(&str, Vec<u8>)]) -> Result<Rendered, ReportError> {
    let data = RunData::parse(csv_files)?;
    let mut notes = Vec::new();
    let mut workbook = Workbook::new();
    let formats = Formats {
        header: Format::new().set_bold(),
        date: Format::new().set_num_format(DATE_FORMAT),
        percent: Format::new().set_num_format(PERCENT_FORMAT),
    };
    let names = sheet_names(
        [ANSWERS_SHEET]
            .into_iter()
            .chain(csv_files.iter().map(|(name, _)| *name)),
    );
    let extras = super::extras::Extras::parse(csv_files)?;
    let sheet = workbook.add_worksheet();
    sheet.set_name(&names[0]).map_err(xlsx_error)?;
    let answers = super::answers::answers(&data, &extras);
    answers_sheet(sheet, &data, &answers, &formats).map_err(xlsx_error)?;
    let mut targets_sheet = None;
    for ((file, bytes), sheet_name) in csv_files.iter().zip(&names[1..]) {
        let table = Table::parse(file, bytes)?;
        if let Some(why) = too_large(&table) {
            notes.push(format!("{file} {why}: left out of {}", schema::WORKBOOK));
            continue;
        }
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name).map_err(xlsx_error)?;
        write_table(sheet, &table, &formats, &mut notes, file).map_err(xlsx_error)?;
        if *file == schema::TARGETS {
            targets_sheet = Some((sheet_name.as_str(), table));
        }
    }
    let charts_name = names.last().map_or(CHARTS_SHEET, String::as_str);
    let sheet = workbook.add_worksheet();
    sheet.set_name(charts_name).map_err(xlsx_error)?;
    charts_sheet(sheet, charts_name, &data, targets_sheet, &formats, &mut notes).map_err(xlsx_error)?;
    // A fixed creation time (that of the ZIP entries), so that the same
    // CSV files always give the same bytes.
    let created = ExcelDateTime::from_ymd(1980, 1, 1).map_err(xlsx_error)?;
    let properties = DocProperties::new()
        .set_title(uncell(data.info("scenario")))
        .set_comment("forcegen results: the answer, one sheet per CSV file, and charts")
        .set_creation_datetime(&created);
    workbook.set_properties(&properties);
    let bytes = workbook.save_to_buffer().map_err(xlsx_error)?;
    Ok(Rendered { bytes, notes })
}

/// The first sheet: the run, then each target with the level it means and
/// its chance by the report date and the horizon, then the strength, police
/// ratios, capabilities and money on the report date (median and the band
/// of 90% of trials), typed; a capped months of cover is the text "10 years
/// or more", never the cap.
fn answers_sheet(
    sheet: &mut Worksheet,
    data: &RunData,
    answers: &super::answers::Answers,
    formats: &Formats,
) -> Result<(), XlsxError> {
    use super::answers::{Unit, meaning};
    let date = |d: NaiveDate| excel_date(&d.format("%Y-%m-%d").to_string());
    sheet.write_string_with_format(0, 0, super::html::title(data), &formats.header)?;
    for (r, (what, when)) in [("report date", answers.date), ("horizon", answers.horizon)]
        .into_iter()
        .enumerate()
    {
        sheet.write_string(r as u32 + 1, 0, what)?;
        if let Some(d) = date(when) {
            sheet.write_datetime_with_format(r as u32 + 1, 1, &d, &formats.date)?;
        }
    }
    sheet.write_string(3, 0, "trials")?;
    sheet.write_number(3, 1, answers.trials as f64)?;
    let header = [
        "target",
        "means",
        "p_reached_by_report_date",
        "p_reached_by_horizon",
        "p_reached_by_horizon_se",
        "date_p50",
    ];
    let mut row = 5;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *h, &formats.header)?;
    }
    for t in &answers.targets {
        row += 1;
        sheet.write_string(row, 0, &t.name)?;
        sheet.write_string(row, 1, meaning(t))?;
        for (c, p) in [
            (2, t.by_date.or(t.by_horizon.filter(|_| !answers.date_before_horizon()))),
            (3, t.by_horizon),
            (4, t.se),
        ] {
            if let Some(p) = p {
                sheet.write_number_with_format(row, c, p, &formats.percent)?;
            }
        }
        if let Some(d) = t.dates[1].and_then(date) {
            sheet.write_datetime_with_format(row, 5, &d, &formats.date)?;
        }
    }
    row += 2;
    let on = format!("on {}", answers.date.format("%Y-%m-%d"));
    let [low, .., high] = data.bands.0;
    let (low, high) = (format!("p{low}"), format!("p{high}"));
    for (c, h) in [on.as_str(), "metric", &low, "p50", &high].iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *h, &formats.header)?;
    }
    for f in &answers.figures {
        row += 1;
        sheet.write_string(row, 0, &f.what)?;
        sheet.write_string(row, 1, &f.metric)?;
        for (c, v) in [(2, f.low), (3, f.median), (4, f.high)] {
            if f.unit == Unit::Months && v >= crate::model::MAX_MONTHS_OF_COVER {
                sheet.write_string(row, c, "10 years or more")?;
            } else {
                sheet.write_number(row, c, v)?;
            }
        }
    }
    sheet.set_column_width(0, 48)?;
    sheet.set_column_width(1, 40)?;
    sheet.set_column_range_width(2, 5, 16)?;
    Ok(())
}

fn xlsx_error(e: XlsxError) -> ReportError {
    ReportError::Workbook { message: e.to_string() }
}

/// Why a table does not fit in a sheet, if it does not.
fn too_large(table: &Table) -> Option<String> {
    if table.header.len() > MAX_COLUMNS {
        return Some(format!(
            "has {} columns and a sheet holds at most {MAX_COLUMNS} (timeseries.csv holds the same values in rows)",
            table.header.len()
        ));
    }
    if table.rows.len() + 1 > MAX_ROWS {
        return Some(format!(
            "has {} rows and a sheet holds at most {MAX_ROWS}, the header included",
            table.rows.len()
        ));
    }
    None
}

/// The sheet names of the files `files` (the file name without `.csv`,
/// without the characters a sheet name may not hold, at most
/// [`MAX_SHEET_NAME`] characters, unique whatever the case), then that of
/// the charts sheet.
pub fn sheet_names<'a>(files: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for base in files.map(|f| f.strip_suffix(".csv").unwrap_or(f)).chain([CHARTS_SHEET]) {
        let clean: String = base
            .chars()
            .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
            .collect();
        let clean = clean.trim_matches('\'');
        let clean = if clean.is_empty() { "sheet" } else { clean };
        let taken = |name: &str| names.iter().any(|n| n.to_lowercase() == name.to_lowercase());
        let mut name: String = clean.chars().take(MAX_SHEET_NAME).collect();
        let mut n = 2;
        while taken(&name) {
            let suffix = format!("~{n}");
            name = clean.chars().take(MAX_SHEET_NAME - suffix.len()).collect::<String>() + &suffix;
            n += 1;
        }
        names.push(name);
    }
    names
}

/// Writes a table: the header (bold, frozen), the typed cells, the widths.
fn write_table(
    sheet: &mut Worksheet,
    table: &Table,
    formats: &Formats,
    notes: &mut Vec<String>,
    file: &str,
) -> Result<(), XlsxError> {
    let kinds: Vec<Kind> = table.header.iter().map(|h| column_kind(h)).collect();
    for (c, name) in table.header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &formats.header)?;
    }
    let mut cut = 0;
    for (r, row) in table.rows.iter().enumerate() {
        for (c, (text, kind)) in row.iter().zip(&kinds).enumerate() {
            cut += usize::from(write_cell(sheet, (r as u32 + 1, c as u16), text, *kind, formats)?);
        }
    }
    if cut > 0 {
        notes.push(format!(
            "{file}: {cut} cells longer than {MAX_CELL_CHARS} characters, the most a cell holds, were cut short"
        ));
    }
    sheet.set_freeze_panes(1, 0)?;
    for (c, kind) in kinds.iter().enumerate() {
        let widest = table
            .rows
            .iter()
            .take(WIDTH_ROWS)
            .map(|row| match kind {
                Kind::Date => 10,
                _ => row.get(c).map_or(0, |t| t.chars().count()),
            })
            .chain([table.header[c].chars().count()])
            .max()
            .unwrap_or(0);
        sheet.set_column_width(c as u16, (widest + 2).clamp(8, 60) as f64)?;
    }
    Ok(())
}

/// Writes one cell as its column's kind says; true if the text was cut to
/// [`MAX_CELL_CHARS`].
fn write_cell(
    sheet: &mut Worksheet,
    (row, col): (u32, u16),
    text: &str,
    kind: Kind,
    formats: &Formats,
) -> Result<bool, XlsxError> {
    if text.is_empty() {
        return Ok(false);
    }
    match kind {
        Kind::Date => {
            if let Some(date) = excel_date(text) {
                sheet.write_datetime_with_format(row, col, &date, &formats.date)?;
                return Ok(false);
            }
        }
        Kind::Percent | Kind::Number => {
            if let Some(value) = number(text) {
                match kind {
                    Kind::Percent => sheet.write_number_with_format(row, col, value, &formats.percent)?,
                    _ => sheet.write_number(row, col, value)?,
                };
                return Ok(false);
            }
        }
        Kind::Text => {}
    }
    // The CSV's spreadsheet guard (a leading apostrophe) is not needed: a
    // text cell is never read as a formula.
    let text = uncell(text);
    let cut = text.chars().count() > MAX_CELL_CHARS;
    let text: String = text.chars().take(MAX_CELL_CHARS).collect();
    sheet.write_string(row, col, text)?;
    Ok(cut)
}

/// A finite number, unless it is a whole number of more than 15 digits (a
/// seed), which a spreadsheet would round: that stays text.
pub fn number(text: &str) -> Option<f64> {
    let digits = text.trim_start_matches('-');
    if digits.len() > 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// An ISO date a spreadsheet can hold (from 1900 on).
fn excel_date(text: &str) -> Option<ExcelDateTime> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let year = u16::try_from(date.year()).ok()?;
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8).ok()
}

/// The charts sheet: the fan's data in columns A to F and the two charts
/// beside it.
fn charts_sheet(
    sheet: &mut Worksheet,
    name: &str,
    data: &RunData,
    targets: Option<(&str, Table)>,
    formats: &Formats,
    notes: &mut Vec<String>,
) -> Result<(), XlsxError> {
    match data.series(FAN_METRIC) {
        Some(series) if !series.days.is_empty() => {
            sheet.write_string_with_format(0, 0, "date", &formats.header)?;
            for (c, p) in data.bands.0.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16 + 1, format!("{FAN_METRIC}_p{p}"), &formats.header)?;
            }
            for (r, (&day, values)) in series.days.iter().zip(&series.percentiles).enumerate() {
                let row = r as u32 + 1;
                match excel_date(&data.date_of(day).format("%Y-%m-%d").to_string()) {
                    Some(date) => sheet.write_datetime_with_format(row, 0, &date, &formats.date)?,
                    None => sheet.write_number(row, 0, f64::from(day))?,
                };
                for (c, value) in values.iter().enumerate() {
                    sheet.write_number(row, c as u16 + 1, *value)?;
                }
            }
            sheet.set_column_width(0, 12)?;
            sheet.set_column_range_width(1, 5, 16)?;
            sheet.set_freeze_panes(1, 0)?;
            let chart = fan_chart(name, series.days.len() as u32, data);
            sheet.insert_chart(0, 7, &chart)?;
        }
        _ => {
            let note = format!("no {FAN_METRIC} personnel in this run: no fan chart");
            sheet.write_string(0, 0, &note)?;
            notes.push(note);
        }
    }
    match targets.and_then(|(sheet_name, table)| target_chart(sheet_name, &table, data.horizon_days)) {
        Some(chart) => {
            sheet.insert_chart(22, 7, &chart)?;
        }
        None => notes.push(format!("no rows in {}: no target chart", schema::TARGETS)),
    }
    Ok(())
}

/// The fan: p5 to p95 (the bands of `timeseries.csv`) of [`FAN_METRIC`] by
/// date, from `rows` rows of the charts sheet `sheet`.
fn fan_chart(sheet: &str, rows: u32, data: &RunData) -> Chart {
    let horizon_days = data.horizon_days;
    let mut chart = Chart::new(ChartType::Line);
    let [low, .., high] = data.bands.0;
    chart
        .title()
        .set_name(&format!("International personnel by date (p{low} to p{high})"));
    // p5, p25, p50, p75, p95: the median bold, the outer band dashed.
    let styles = [
        (0.75, ChartLineDashType::Dash),
        (1.25, ChartLineDashType::Solid),
        (2.5, ChartLineDashType::Solid),
        (1.25, ChartLineDashType::Solid),
        (0.75, ChartLineDashType::Dash),
    ];
    for (c, (width, dash)) in styles.into_iter().enumerate() {
        let col = c as u16 + 1;
        chart
            .add_series()
            .set_name((sheet, 0, col))
            .set_categories((sheet, 1, 0, rows, 0))
            .set_values((sheet, 1, col, rows, col))
            .set_format(
                ChartLine::new()
                    .set_color(0x1F4E79)
                    .set_width(width)
                    .set_dash_type(dash),
            );
    }
    date_axis(chart.x_axis(), horizon_days);
    chart.y_axis().set_name("people");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(760).set_height(420);
    chart
}

/// The target curves: each target's `p_reached` by date, from the rows of
/// the `targets` sheet `sheet` (one series per run of rows of a target).
fn target_chart(sheet: &str, table: &Table, horizon_days: u32) -> Option<Chart> {
    let column = |name: &str| table.header.iter().position(|h| h == name);
    let (target, date, p) = (column("target")?, column("date")?, column("p_reached")?);
    if table.rows.is_empty() {
        return None;
    }
    let mut chart = Chart::new(ChartType::Line);
    chart
        .title()
        .set_name("Share of trials that reached each target by date");
    let mut start = 0;
    for r in 1..=table.rows.len() {
        if r < table.rows.len() && table.rows[r][target] == table.rows[start][target] {
            continue;
        }
        // Sheet rows: the header is row 0.
        let (first, last) = (start as u32 + 1, r as u32);
        chart
            .add_series()
            .set_name((sheet, first, target as u16))
            .set_categories((sheet, first, date as u16, last, date as u16))
            .set_values((sheet, first, p as u16, last, p as u16))
            .set_format(ChartLine::new().set_width(2));
        start = r;
    }
    date_axis(chart.x_axis(), horizon_days);
    chart.y_axis().set_min(0).set_max(1).set_num_format("0%");
    chart.legend().set_position(ChartLegendPosition::Bottom);
    chart.set_width(760).set_height(420);
    Some(chart)
}

/// A date axis labelled every few months: about eight labels over the horizon.
fn date_axis(axis: &mut ChartAxis, horizon_days: u32) {
    let months = (horizon_days / 30).div_ceil(8).max(1);
    axis.set_date_axis(true)
        .set_num_format("yyyy-mm")
        .set_major_unit(months)
        .set_major_unit_date_type(ChartAxisDateUnitType::Months);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_have_kinds() {
        assert_eq!(column_kind("date"), Kind::Date);
        assert_eq!(column_kind("last_wave_date_p50"), Kind::Date);
        assert_eq!(column_kind("date_p95"), Kind::Date);
        assert_eq!(column_kind("p_reached"), Kind::Percent);
        assert_eq!(column_kind("p_reached_by_horizon_se"), Kind::Percent);
        assert_eq!(column_kind("share"), Kind::Percent);
        assert_eq!(column_kind("p50"), Kind::Number);
        assert_eq!(column_kind("target"), Kind::Text);
    }

    #[test]
    fn long_whole_numbers_stay_text() {
        assert_eq!(number("20240930"), Some(20240930.0));
        assert_eq!(number("-0.5"), Some(-0.5));
        assert_eq!(number("18446744073709551615"), None);
        assert_eq!(number("inf"), None);
        assert_eq!(number("normal(1, 2)"), None);
    }

    #[test]
    fn sheet_names_are_short_clean_and_unique() {
        let long = "a_very_long_file_name_of_more_than_thirty_one_characters.csv";
        let names = sheet_names([long, long, "x/y.csv", "Charts.csv", "'q'.csv"].into_iter());
        assert_eq!(names[0], "a_very_long_file_name_of_more_t");
        assert_eq!(names[1], "a_very_long_file_name_of_more~2");
        assert_eq!(names[2], "x_y");
        assert_eq!(names[3], "Charts");
        assert_eq!(names[4], "q");
        assert_eq!(names[5], "charts~2");
        assert!(names.iter().all(|n| n.chars().count() <= MAX_SHEET_NAME));
    }
}
