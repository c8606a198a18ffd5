//! The pledge records `forcegen calibrate` reads (docs/calibration.md):
//! one row per pledge, read within its limits, every row checked, and every
//! bad row reported with its line, column and what is allowed.

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;

use crate::output::schema::{RECORDS_COLUMNS, RECORDS_OPTIONAL};
use crate::readback::read_regular_file;
use crate::scenario::MAX_COUNT;

/// Largest records file read (64 MiB).
pub const MAX_RECORDS_BYTES: u64 = 64 << 20;
/// Most rows a records file may have.
pub const MAX_RECORDS: usize = 100_000;
/// Problems after which reading stops (a file that is no records file at all).
const MAX_PROBLEMS: usize = 1000;
/// Problems listed in one error message; the rest are counted.
const SHOWN_PROBLEMS: usize = 20;

/// One pledge.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line in the file.
    pub line: u64,
    /// Every cell of the row, by the file's header (for `--by`).
    pub cells: Vec<String>,
    pub pledge_date: NaiveDate,
    /// Empty: not known.
    pub pledged: Option<f64>,
    pub first_arrival: Arrival,
    /// Empty: not known (only allowed when the pledge arrived).
    pub peak_deployed: Option<f64>,
    pub as_of: NaiveDate,
}

/// `first_arrival_date`: a date, `unknown` (arrived by `as_of_date` on a
/// date the records do not give), or empty (not arrived by `as_of_date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    On(NaiveDate),
    Undated,
    NotYet,
}

/// The word for an arrival whose date is not known.
pub const UNKNOWN: &str = "unknown";

impl Record {
    /// True when people arrived (by `as_of`).
    pub fn arrived(&self) -> bool {
        self.first_arrival != Arrival::NotYet
    }

    /// Not arrived, and `peak_deployed` 0: never honoured (as the records
    /// say by `as_of`).
    pub fn never(&self) -> bool {
        !self.arrived() && self.peak_deployed == Some(0.0)
    }

    /// Not arrived by `as_of`, and not said to be never honoured: still
    /// open (right-censored).
    pub fn open(&self) -> bool {
        !self.arrived() && self.peak_deployed.is_none()
    }

    /// The date people first arrived, when known.
    pub fn arrival_date(&self) -> Option<NaiveDate> {
        match self.first_arrival {
            Arrival::On(date) => Some(date),
            _ => None,
        }
    }

    /// Days from the pledge to the first arrival, if any.
    pub fn delay_days(&self) -> Option<f64> {
        self.arrival_date().map(|d| (d - self.pledge_date).num_days() as f64)
    }

    /// Days from the pledge to `as_of`: how long it was watched.
    pub fn watched_days(&self) -> f64 {
        (self.as_of - self.pledge_date).num_days() as f64
    }

    /// `peak_deployed / pledged`, limited to 1, for an arrived pledge whose
    /// peak and size are known.
    pub fn fulfilment(&self) -> Option<f64> {
        let (peak, pledged) = (self.peak_deployed?, self.pledged?);
        (self.arrived() && peak > 0.0).then(|| (peak / pledged).min(1.0))
    }
}

/// The records of one file, with its header: the rows fitted, and those an
/// `exclude` reason keeps out of the fit (read and checked all the same).
#[derive(Debug, Clone, PartialEq)]
pub struct Records {
    pub header: Vec<String>,
    pub rows: Vec<Record>,
    pub excluded: Vec<Excluded>,
}

/// A row kept out of the fit by its `exclude` cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    pub line: u64,
    pub reason: String,
}

/// The values of `confidence` (or empty).
pub const CONFIDENCE: [&str; 2] = ["confirmed", "reported"];
/// Longest part of a bad cell quoted in a message.
const QUOTED: usize = 200;

impl Records {
    /// The position of column `name` in the header.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// One thing wrong with a records file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// 1-based line (0: the file as a whole).
    pub line: u64,
    /// The column's name, or empty.
    pub column: String,
    pub message: String,
}

/// Every problem found in a records file (or with `--by`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RecordsError {
    pub file: String,
    pub problems: Vec<RecordProblem>,
}

impl RecordsError {
    pub fn whole(file: &str, message: String) -> RecordsError {
        RecordsError {
            file: file.to_string(),
            problems: vec![RecordProblem {
                line: 0,
                column: String::new(),
                message,
            }],
        }
    }
}

impl fmt::Display for RecordsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().take(SHOWN_PROBLEMS).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match (p.line, p.column.as_str()) {
                (0, _) => write!(f, "{}: {}", self.file, p.message)?,
                (_, "") => write!(f, "{}:{}: {}", self.file, p.line, p.message)?,
                (_, column) => write!(f, "{}:{}: column `{column}`: {}", self.file, p.line, p.message)?,
            }
        }
        if self.problems.len() > SHOWN_PROBLEMS {
            let more = self.problems.len() - SHOWN_PROBLEMS;
            write!(f, "\n{}: ... and {more} more problems", self.file)?;
        }
        Ok(())
    }
}

/// Reads and checks a records file; returns it with its bytes (for the fingerprint).
pub fn read_records(path: &Path) -> Result<(Records, Vec<u8>), RecordsError> {
    let file = path.display().to_string();
    let bytes = read_regular_file(path, MAX_RECORDS_BYTES)
        .map_err(|e| RecordsError::whole(&file, format!("cannot read the records file: {e}")))?;
    let records = parse_records(&bytes, &file)?;
    Ok((records, bytes))
}

/// Parses a records file's bytes (`file` names it in messages). Blank
/// lines and lines starting with `#` are skipped.
pub fn parse_records(bytes: &[u8], file: &str) -> Result<Records, RecordsError> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(e) => return Err(RecordsError::whole(file, format!("cannot read the header: {e}"))),
    };
    let mut problems = check_header(&header);
    if !problems.is_empty() {
        return Err(RecordsError {
            file: file.to_string(),
            problems,
        });
    }
    let lines = LineStarts::new(bytes);
    let mut rows = Vec::new();
    let mut excluded = Vec::new();
    for result in reader.records() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let row = match result {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line(p.byte()));
                problems.push(problem(line, "", format!("not valid CSV: {e}")));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| lines.line(p.byte()));
        if rows.len() + excluded.len() >= MAX_RECORDS {
            problems.push(problem(line, "", format!("more than {MAX_RECORDS} records; the limit")));
            break;
        }
        match record(&header, &row, line) {
            Ok(Row::Fitted(r)) => rows.push(r),
            Ok(Row::Excluded(e)) => excluded.push(e),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if rows.is_empty() && problems.is_empty() {
        problems.push(problem(
            0,
            "",
            "has no records to fit (one row per pledge after the header, without an `exclude` reason)".to_string(),
        ));
    }
    if problems.is_empty() {
        Ok(Records { header, rows, excluded })
    } else {
        Err(RecordsError {
            file: file.to_string(),
            problems,
        })
    }
}

/// Where each line of the file starts: the csv reader's own line count
/// skips comment lines, and a record's position is where the reader began
/// (before the comment and blank lines it skipped), so a record's line is
/// found from its byte offset instead.
struct LineStarts<'b> {
    bytes: &'b [u8],
    starts: Vec<usize>,
}

impl LineStarts<'_> {
    fn new(bytes: &[u8]) -> LineStarts<'_> {
        let breaks = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n');
        let starts = std::iter::once(0).chain(breaks.map(|(i, _)| i + 1)).collect();
        LineStarts { bytes, starts }
    }

    /// The 1-based line of the first row at or after byte `offset` that is
    /// not blank or a comment.
    fn line(&self, offset: u64) -> u64 {
        let mut at = self.starts.partition_point(|start| *start as u64 <= offset).max(1);
        while at < self.starts.len() {
            let rest = &self.bytes[self.starts[at - 1]..self.starts[at]];
            let skipped = rest.first() == Some(&b'#') || rest.iter().all(|b| b.is_ascii_whitespace());
            if !skipped {
                break;
            }
            at += 1;
        }
        at as u64
    }
}

fn problem(line: u64, column: &str, message: String) -> RecordProblem {
    RecordProblem {
        line,
        column: column.to_string(),
        message,
    }
}

/// Every required column once, and nothing else but `source`.
fn check_header(header: &[String]) -> Vec<RecordProblem> {
    let allowed = format!(
        "{} and optionally {}",
        RECORDS_COLUMNS.join(", "),
        RECORDS_OPTIONAL.join(", ")
    );
    let mut problems = Vec::new();
    for (i, name) in header.iter().enumerate() {
        if !RECORDS_COLUMNS.contains(&name.as_str()) && !RECORDS_OPTIONAL.contains(&name.as_str()) {
            let message = format!("unknown column `{name}` in the header (the columns are {allowed})");
            problems.push(problem(1, "", message));
        } else if header[..i].contains(name) {
            problems.push(problem(1, "", format!("column `{name}` appears twice in the header")));
        }
    }
    for name in RECORDS_COLUMNS {
        if !header.iter().any(|h| h == name) {
            let message = format!("the header has no column `{name}` (the columns are {allowed})");
            problems.push(problem(1, "", message));
        }
    }
    problems
}

/// A row read: fitted, or kept out by its `exclude` reason.
enum Row {
    Fitted(Record),
    Excluded(Excluded),
}

/// One row, checked; its problems otherwise. An excluded row is checked as
/// every other, except that its `pledge_date` may be empty.
fn record(header: &[String], row: &csv::StringRecord, line: u64) -> Result<Row, Vec<RecordProblem>> {
    let mut problems = Vec::new();
    if row.len() != header.len() {
        let message = format!("has {} cells; the header has {} columns", row.len(), header.len());
        return Err(vec![problem(line, "", message)]);
    }
    let cells: Vec<String> = row.iter().map(|c| c.trim().to_string()).collect();
    let cell = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .map_or("", |at| cells[at].as_str())
    };
    for name in ["mission", "contributor", "region"] {
        if cell(name).is_empty() {
            problems.push(problem(line, name, "must not be empty".to_string()));
        }
    }
    let confidence = cell("confidence");
    if !confidence.is_empty() && !CONFIDENCE.contains(&confidence) {
        let message = format!(
            "must be {} or empty, got \"{}\"",
            CONFIDENCE.join(" or "),
            quoted(confidence)
        );
        problems.push(problem(line, "confidence", message));
    }
    let exclude = cell("exclude").to_string();
    let mut date = |name: &str, required: bool| match read_date(cell(name), required) {
        Ok(d) => d,
        Err(message) => {
            problems.push(problem(line, name, message));
            None
        }
    };
    let pledge_date = date("pledge_date", exclude.is_empty());
    let first_arrival = match cell("first_arrival_date") {
        UNKNOWN => Some(Arrival::Undated),
        _ => date("first_arrival_date", false).map(Arrival::On),
    }
    .unwrap_or(Arrival::NotYet);
    let peak_date = date("peak_date", false);
    let as_of = date("as_of_date", true);
    let pledged = read_optional(cell("pledged"), 1.0).map_err(|m| problems.push(problem(line, "pledged", m)));
    let peak = read_optional(cell("peak_deployed"), 0.0).map_err(|m| problems.push(problem(line, "peak_deployed", m)));
    let (Some(as_of), Ok(pledged), Ok(peak_deployed)) = (as_of, pledged, peak) else {
        return Err(problems);
    };
    let excluded = !exclude.is_empty();
    // An excluded row without a pledge date: the earliest date stands in,
    // so that no check of the order of dates can fail on it.
    let Some(pledge_date) = pledge_date.or(excluded.then_some(NaiveDate::MIN)) else {
        return Err(problems);
    };
    let r = Record {
        line,
        cells: cells.clone(),
        pledge_date,
        pledged,
        first_arrival,
        peak_deployed,
        as_of,
    };
    problems.extend(consistency(&r, peak_date));
    match (problems.is_empty(), excluded) {
        (false, _) => Err(problems),
        (true, true) => Ok(Row::Excluded(Excluded { line, reason: exclude })),
        (true, false) => Ok(Row::Fitted(r)),
    }
}

/// At most [`QUOTED`] characters of `text`, marked when cut.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// The dates in order and the peak agreeing with the arrival.
fn consistency(r: &Record, peak_date: Option<NaiveDate>) -> Vec<RecordProblem> {
    let mut problems = Vec::new();
    let mut bad = |column: &str, message: String| problems.push(problem(r.line, column, message));
    if r.as_of < r.pledge_date {
        bad(
            "as_of_date",
            format!("{} is before pledge_date {}", r.as_of, r.pledge_date),
        );
    }
    if let Some(arrival) = r.arrival_date() {
        if arrival < r.pledge_date {
            bad(
                "first_arrival_date",
                format!("{arrival} is before pledge_date {}", r.pledge_date),
            );
        }
        if arrival > r.as_of {
            let message = format!(
                "{arrival} is after as_of_date {} (leave it empty if not arrived by then)",
                r.as_of
            );
            bad("first_arrival_date", message);
        }
    }
    if r.arrived() && r.peak_deployed == Some(0.0) {
        bad(
            "peak_deployed",
            "is 0 but first_arrival_date says people arrived".to_string(),
        );
    }
    if !r.arrived() && r.peak_deployed.is_some_and(|p| p > 0.0) {
        let message = "is above 0 but first_arrival_date is empty (not arrived by as_of_date); give the date, or \
                       `unknown` if it is not known";
        bad("peak_deployed", message.to_string());
    }
    if let Some(peak) = peak_date {
        match r.first_arrival {
            Arrival::On(arrival) if peak < arrival => {
                bad("peak_date", format!("{peak} is before first_arrival_date {arrival}"))
            }
            Arrival::NotYet => bad("peak_date", "is given but first_arrival_date is empty".to_string()),
            _ => {}
        }
        if peak > r.as_of {
            bad("peak_date", format!("{peak} is after as_of_date {}", r.as_of));
        }
    }
    problems
}

/// An ISO date; empty is `None` unless `required`.
fn read_date(text: &str, required: bool) -> Result<Option<NaiveDate>, String> {
    if text.is_empty() {
        return if required {
            Err("must be a date such as 2024-06-25".to_string())
        } else {
            Ok(None)
        };
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("\"{text}\" is not a date; write it as 2024-06-25"))
}

/// Empty (not known) or a whole number of people from `min` to [`MAX_COUNT`].
fn read_optional(text: &str, min: f64) -> Result<Option<f64>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let what = format!("must be a whole number of people from {min} to {MAX_COUNT}, or empty if not known");
    match text.parse::<f64>() {
        Ok(v) if v.fract() == 0.0 && (min..=MAX_COUNT).contains(&v) => Ok(Some(v)),
        Ok(v) => Err(format!("{what}, got {v}")),
        Err(_) => Err(format!("{what}, got \"{text}\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const HEADER: &str =
        "mission,contributor,region,kind,pledge_date,pledged,first_arrival_date,peak_deployed,peak_date,as_of_date\n";

    fn parse(rows: &str) -> Result<Records, RecordsError> {
        parse_records(format!("{HEADER}{rows}").as_bytes(), "r.csv")
    }

    #[test]
    fn reads_arrived_censored_and_unknown_peaks() {
        let r = parse(
            "M,A,africa,police,2024-01-01,100,2024-03-01,80,2024-04-01,2025-01-01\n\
             # a comment\n\
             M,B,africa,police,2024-01-01,100,,0,,2025-01-01\n\
             M,C,americas,military,2024-01-01,50,2024-01-01,,,2025-01-01\n\
             M,D,americas,,2024-01-01,,unknown,3,,2025-01-01\n",
        )
        .unwrap();
        assert_eq!(r.rows.len(), 4);
        assert!(r.rows[3].arrived() && r.rows[3].delay_days().is_none() && r.rows[3].fulfilment().is_none());
        assert_eq!(r.rows[0].delay_days(), Some(60.0));
        assert_eq!(r.rows[0].fulfilment(), Some(0.8));
        assert_eq!(r.rows[1].line, 4);
        assert!(!r.rows[1].arrived() && r.rows[1].never() && !r.rows[1].open());
        assert_eq!(r.rows[1].watched_days(), 366.0);
        assert_eq!(r.rows[2].fulfilment(), None);
        assert_eq!(r.rows[2].delay_days(), Some(0.0));
    }

    #[test]
    fn each_bad_cell_is_named_with_its_line() {
        let e = parse(
            "M,A,africa,police,2024-13-01,100,,0,,2025-01-01\n\
             M,A,africa,police,2024-01-01,-5,,0,,2025-01-01\n\
             M,A,africa,police,2024-01-01,10,2023-01-01,3,,2025-01-01\n\
             M,A,africa,police,2024-01-01,10,,3,,2025-01-01\n\
             M,A,,police,2024-01-01,10,,0,,2023-01-01\n\
             M,A,africa\n",
        )
        .unwrap_err();
        let got: Vec<(u64, &str)> = e.problems.iter().map(|p| (p.line, p.column.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "pledge_date"),
                (3, "pledged"),
                (4, "first_arrival_date"),
                (5, "peak_deployed"),
                (6, "region"),
                (6, "as_of_date"),
                (7, ""),
            ]
        );
        let text = e.to_string();
        assert!(
            text.starts_with("r.csv:2: column `pledge_date`: \"2024-13-01\" is not a date"),
            "{text}"
        );
    }

    #[test]
    fn the_header_is_checked() {
        let e = parse_records(b"mission,contributor,regoin\n", "r.csv").unwrap_err();
        assert!(e.to_string().contains("unknown column `regoin`"), "{e}");
        assert!(e.to_string().contains("no column `region`"), "{e}");
        let e = parse_records(HEADER.as_bytes(), "r.csv").unwrap_err();
        assert!(e.to_string().contains("has no records"), "{e}");
        let with_source = format!(
            "{}{}",
            HEADER.trim_end(),
            ",source\nM,A,x,police,2024-01-01,1,,0,,2024-01-02,UN\n"
        );
        assert_eq!(parse_records(with_source.as_bytes(), "r.csv").unwrap().rows.len(), 1);
    }

    #[test]
    fn excluded_rows_are_checked_but_kept_apart() {
        let head = format!("{},id,confidence,exclude,notes\n", HEADER.trim_end());
        let text = format!(
            "{head}M,A,x,police,2024-01-01,1,,0,,2024-01-02,1,confirmed,,\n\
             M,B,x,police,,5,2024-03-01,5,,2024-04-01,2,reported,no pledge date,\"a, b\"\n"
        );
        let r = parse_records(text.as_bytes(), "r.csv").unwrap();
        assert_eq!(r.rows.len(), 1);
        assert_eq!(
            r.excluded,
            vec![Excluded {
                line: 3,
                reason: "no pledge date".to_string()
            }]
        );
        // Still checked: a bad date in an excluded row is an error; an
        // empty pledge_date is one only when the row is fitted.
        let bad = format!("{head}M,B,x,police,,5,2024-13-01,5,,2024-04-01,2,,aggregate,\n");
        let e = parse_records(bad.as_bytes(), "r.csv").unwrap_err();
        assert_eq!(e.problems[0].column, "first_arrival_date", "{e}");
        let bad = format!("{head}M,B,x,police,,5,,,,2024-04-01,2,,,\n");
        let e = parse_records(bad.as_bytes(), "r.csv").unwrap_err();
        assert_eq!(e.problems[0].column, "pledge_date", "{e}");
        let long = "y".repeat(5000);
        let bad = format!("{head}M,B,x,police,2024-01-01,5,,,,2024-04-01,2,{long},,\n");
        let e = parse_records(bad.as_bytes(), "r.csv").unwrap_err().to_string();
        assert!(
            e.contains("must be confirmed or reported or empty") && e.len() < 400,
            "{e}"
        );
        // Only excluded rows: nothing to fit.
        let only = format!("{head}M,B,x,police,,5,,,,2024-04-01,2,,aggregate,\n");
        let e = parse_records(only.as_bytes(), "r.csv").unwrap_err();
        assert!(e.to_string().contains("has no records to fit"), "{e}");
    }
}
