//! What forcegen writes, and how (docs/MODEL.md §5).
//!
//! - [`schema`] names every file and fixed column.
//! - [`render`] turns a run's aggregates into the five CSV files;
//!   [`stats`] holds the statistics they print, [`wide`] the `--wide` pivot.
//! - [`folder`] is the one output-folder guard every command writes
//!   through: checked and locked before any work, all files replaced at
//!   once or none, owned only by the scenario that wrote them.
//!
//! To add an output format: render its bytes from the aggregates here (or
//! from the CSV bytes, as `report` does), name its file in [`schema`] and
//! in the owning command's [`folder::FileSet`], and hand it to
//! [`folder::OutputFolder::commit`] with the others.

pub mod extras;
pub mod folder;
pub mod replaced;
pub mod schema;
pub mod stats;
pub mod wide;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::engine::Aggregates;
use crate::model::{GENERATOR_NAME, Model};
use crate::scenario::Scenario;
use stats::{DATE_PERCENTS, date_percentiles, mean_of, share_se, share_within_horizon, shares_by_day};

/// The CSV files a run writes, in the order they are written.
pub const FILES: [&str; 5] = schema::RUN_FILES;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create the output folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path} exists and is not a folder")]
    NotADir { path: PathBuf },
    #[error("{path} is a folder; give a file name")]
    IsADir { path: PathBuf },
    #[error("{path} is a symbolic link; give the file it points to, or a new name (a link is never followed)")]
    IsALink { path: PathBuf },
    #[error(
        "another forcegen command is writing to the output folder {path}; wait for it to finish, or choose another --out folder"
    )]
    Busy { path: PathBuf },
    #[error("cannot write to the output folder {path}: {source}")]
    NotWritable { path: PathBuf, source: std::io::Error },
    #[error(
        "the output folder {path} holds the results of another scenario ({}); this run's scenario is {}. Add \
         --force to replace those results, or choose another --out folder",
        crate::scenario::shown::quoted(name),
        crate::scenario::shown::quoted(ours)
    )]
    OtherScenario { path: PathBuf, name: String, ours: String },
    #[error(
        "the output folder {path} holds {files}, which this run would replace, but {detail}, so they may not be \
         forcegen results; add --force to replace them, or choose another --out folder"
    )]
    NotOurs {
        path: PathBuf,
        files: String,
        detail: String,
    },
}

impl OutputError {
    /// True for a refusal to replace files that `--force` would allow: bad
    /// usage rather than a failure to write.
    pub fn needs_force(&self) -> bool {
        matches!(self, OutputError::OtherScenario { .. } | OutputError::NotOurs { .. })
    }

    /// True for a refusal of what the user asked for (a folder that needs
    /// `--force`, a file name that is a folder or a link): exit code 2.
    pub fn is_bad_input(&self) -> bool {
        self.needs_force() || matches!(self, OutputError::IsADir { .. } | OutputError::IsALink { .. })
    }
}

/// SHA-256 of the scenario text, in hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of a file's bytes, in hex.
pub fn sha256_bytes_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every output file's name and bytes, ready to write.
pub fn render(scenario: &Scenario, model: &Model, aggregates: &Aggregates) -> Vec<(&'static str, Vec<u8>)> {
    render_with(scenario, model, aggregates, &stats::PERCENTS)
}

/// [`render`] with `timeseries.csv`'s percentile columns at `percents`
/// (`run --percentiles`; [`stats::PERCENTS`] by default).
pub fn render_with(
    scenario: &Scenario,
    model: &Model,
    aggregates: &Aggregates,
    percents: &[u32],
) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (FILES[0], timeseries(scenario, model, aggregates, percents)),
        (FILES[1], targets(scenario, model, aggregates)),
        (FILES[2], summary(scenario, model, aggregates)),
        (FILES[3], contributors(scenario, model, aggregates)),
        (FILES[4], run_info(scenario, aggregates, &[])),
    ]
}

/// Most bytes of an info file (`run_info.csv`, ...) read to learn who
/// wrote a folder: one header and one row, the longest cell a `--set` list.
pub const MAX_INFO_BYTES: u64 = 16 << 20;

/// Who wrote the five result files already in a folder, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// None of the five files is there.
    Empty,
    /// A forcegen run of the scenario with this name and SHA-256.
    Run { name: String, sha256: String },
    /// Some of the five files, but no readable forcegen `run_info.csv`: what
    /// is wrong with it ("is missing", ...).
    Unknown { files: Vec<&'static str>, detail: String },
}

/// Reads who wrote the result files in `dir` (from its `run_info.csv`).
pub fn owner(dir: &Path) -> Owner {
    owner_of(dir, &schema::RUN_OWNED, schema::RUN_INFO)
}

/// Reads who wrote the result files `files` in `dir`, from the one of them
/// named `info` (a `run_info.csv` or the like: a header with `scenario`,
/// `scenario_sha256` and `forcegen_version`, and one row).
pub fn owner_of(dir: &Path, files: &[&'static str], info: &str) -> Owner {
    let present: Vec<&'static str> = files
        .iter()
        .copied()
        .filter(|f| fs::symlink_metadata(dir.join(f)).is_ok())
        .collect();
    if present.is_empty() {
        return Owner::Empty;
    }
    let unknown = |detail: String| Owner::Unknown {
        files: present.clone(),
        detail,
    };
    let info = dir.join(info);
    if fs::symlink_metadata(&info).is_err() {
        return unknown("is missing".to_string());
    }
    let bytes = match crate::readback::read_regular_file(&info, MAX_INFO_BYTES) {
        Ok(bytes) => bytes,
        Err(e) => return unknown(format!("cannot be read: {e}")),
    };
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => return unknown(format!("cannot be read: {e}")),
    };
    let rows: Vec<csv::StringRecord> = match reader.records().collect() {
        Ok(rows) => rows,
        Err(e) => return unknown(format!("cannot be read: {e}")),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(name_at), Some(sha_at), Some(_)) = (
        column("scenario"),
        column("scenario_sha256"),
        column("forcegen_version"),
    ) else {
        return unknown("does not have forcegen's header".to_string());
    };
    let [row] = rows.as_slice() else {
        return unknown(format!("has {} data rows instead of 1", rows.len()));
    };
    let sha256 = row.get(sha_at).unwrap_or_default();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return unknown("has no SHA-256 in its scenario_sha256 column".to_string());
    }
    let name = row.get(name_at).unwrap_or_default();
    // Undo the spreadsheet guard of `cell_text`, for the message.
    let name = uncell(name);
    Owner::Run {
        name: name.to_string(),
        sha256: sha256.to_ascii_lowercase(),
    }
}

/// Who a command's results belong to: the scenario's name (a folder belongs
/// to it, so an edited scenario, or one run with `--set`, reruns into its
/// own folder) and the SHA-256 of its text (recorded in the info file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub sha256: String,
}

/// Refuses, unless `force`, to replace the result files `files` in `dir`
/// (described by the info file `info`, see [`owner_of`]) that are not
/// results of the scenario `ours`: one with the same name (or the same
/// text). A rerun with another seed, trials or `--set` is fine. Other files
/// in the folder are never touched.
pub fn check_owner_of(
    dir: &Path,
    files: &[&'static str],
    info: &str,
    ours: &Identity,
    force: bool,
) -> Result<(), OutputError> {
    if force {
        return Ok(());
    }
    match owner_of(dir, files, info) {
        Owner::Empty => Ok(()),
        Owner::Run { name, sha256 } if name == ours.name || sha256 == ours.sha256 => Ok(()),
        Owner::Run { name, .. } => Err(OutputError::OtherScenario {
            path: dir.to_path_buf(),
            name,
            ours: ours.name.clone(),
        }),
        Owner::Unknown { files, detail } => Err(OutputError::NotOurs {
            path: dir.to_path_buf(),
            files: files.join(", "),
            detail: format!("its {info} {detail}"),
        }),
    }
}

/// Text from the scenario, made safe for spreadsheets: a cell that starts
/// with `=`, `+`, `-`, `@`, tab or carriage return would be read as a formula,
/// so it gets a leading apostrophe.
pub fn cell_text(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// One info row (`run_info.csv` and the analysis commands' `*_info.csv`):
/// [`schema::INFO_COLUMNS`], then `extra` columns.
pub fn info_row(name: &str, sha256: &str, seed: u64, trials: u64, extra: &[(&str, String)]) -> Vec<u8> {
    let mut header = schema::INFO_COLUMNS.to_vec();
    header.extend(extra.iter().map(|(h, _)| *h));
    let mut row = vec![
        cell_text(name),
        sha256.to_string(),
        seed.to_string(),
        trials.to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        GENERATOR_NAME.to_string(),
    ];
    row.extend(extra.iter().map(|(_, v)| cell_text(v)));
    csv_bytes(&header, [row])
}

/// A cell as [`cell_text`] wrote it, without the spreadsheet guard: the
/// text the scenario had.
pub fn uncell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if cell_text(rest) == cell => rest,
        _ => cell,
    }
}

/// A plain decimal number with at most `decimals` places, no trailing zeros.
pub fn number(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".to_string() } else { text }
}

/// CSV bytes (LF line ends, quoting where needed) from a header and rows.
pub fn csv_bytes(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    writer.into_inner().unwrap_or_default()
}

fn date(scenario: &Scenario, day: u32) -> String {
    scenario.date_of(day).format("%Y-%m-%d").to_string()
}

fn optional_date(scenario: &Scenario, day: Option<u32>) -> String {
    day.map(|d| date(scenario, d)).unwrap_or_default()
}

fn timeseries(scenario: &Scenario, model: &Model, aggregates: &Aggregates, percents: &[u32]) -> Vec<u8> {
    let header = schema::timeseries_columns(percents);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let names: Vec<String> = model.metrics.iter().map(|m| cell_text(&m.name(scenario))).collect();
    let mut rows = Vec::new();
    for (r, &day) in model.report_days.iter().enumerate() {
        let mut ratio = 0;
        for (m, metric) in model.metrics.iter().enumerate() {
            let histogram = &aggregates.metrics[m];
            let sums = metric.has_sums().then(|| {
                ratio += 1;
                aggregates.ratio_sums[ratio - 1][r]
            });
            let large = aggregates.large_sums[m].get(r).copied().unwrap_or((0, 0));
            let stats = stats::metric_stats_at(*metric, histogram, (sums, large), r, aggregates.trials, percents);
            let decimals = stats::decimals(*metric);
            let mut row = vec![date(scenario, day), day.to_string(), names[m].clone()];
            row.push(number(stats.mean, 4));
            row.push(number(stats.sd, 4));
            row.extend(stats.percentiles.iter().map(|p| number(*p, decimals)));
            rows.push(row);
        }
    }
    csv_bytes(&header, rows)
}

fn targets(scenario: &Scenario, model: &Model, aggregates: &Aggregates) -> Vec<u8> {
    let header = schema::TARGETS_COLUMNS;
    let mut rows = Vec::new();
    for (t, target) in scenario.targets.iter().enumerate() {
        let shares = shares_by_day(&aggregates.first_reached[t], &model.report_days, aggregates.trials);
        for (&day, p) in model.report_days.iter().zip(shares) {
            rows.push(vec![
                cell_text(&target.name),
                date(scenario, day),
                day.to_string(),
                number(p, 6),
                number(share_se(p, aggregates.trials), 6),
            ]);
        }
    }
    csv_bytes(&header, rows)
}

fn summary(scenario: &Scenario, model: &Model, aggregates: &Aggregates) -> Vec<u8> {
    let header = schema::SUMMARY_COLUMNS;
    let rows = scenario.targets.iter().enumerate().map(|(t, target)| {
        let slots = &aggregates.first_reached[t];
        let p = share_within_horizon(slots, aggregates.trials);
        let dates = date_percentiles(slots, &model.report_days, aggregates.trials, &DATE_PERCENTS);
        let mut row = vec![
            cell_text(&target.name),
            cell_text(&target.metric.name(scenario)),
            // A share of the ceiling: the number it means of a ceiling that
            // never changes; empty when an event may change the ceiling.
            scenario.threshold(target).map(|v| number(v, 6)).unwrap_or_default(),
            number(p, 6),
            number(share_se(p, aggregates.trials), 6),
        ];
        row.extend(dates.iter().map(|d| optional_date(scenario, *d)));
        row
    });
    csv_bytes(&header, rows)
}

fn contributors(scenario: &Scenario, model: &Model, aggregates: &Aggregates) -> Vec<u8> {
    let header = schema::CONTRIBUTORS_COLUMNS;
    let rows = scenario.contributors.iter().enumerate().map(|(c, contributor)| {
        let dates = date_percentiles(
            &aggregates.last_wave[c],
            &model.report_days,
            aggregates.trials,
            &DATE_PERCENTS,
        );
        let mut row = vec![
            cell_text(&contributor.name),
            contributor.pledged.to_string(),
            number(mean_of(aggregates.delivered[c], aggregates.trials), 4),
            // Nothing pledged, nothing to deliver in full: empty, not 1.
            if contributor.pledged == 0 {
                String::new()
            } else {
                number(mean_of(aggregates.full_delivery[c], aggregates.trials), 6)
            },
        ];
        row.extend(dates.iter().map(|d| optional_date(scenario, *d)));
        row
    });
    csv_bytes(&header, rows)
}

/// `run_info.csv`, with `extra` columns after its own (`run --until-se`'s).
pub fn run_info(scenario: &Scenario, aggregates: &Aggregates, extra: &[(&str, String)]) -> Vec<u8> {
    let simulation = &scenario.simulation;
    let mut columns = vec![
        ("start", simulation.start.format("%Y-%m-%d").to_string()),
        ("horizon_days", simulation.horizon_days.to_string()),
        ("step", simulation.step.as_str().to_string()),
        ("overrides", scenario.overrides.join("; ")),
    ];
    columns.extend(extra.iter().cloned());
    info_row(
        &scenario.name,
        &scenario.fingerprint(),
        simulation.seed,
        aggregates.trials,
        &columns,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_names_are_neutralised() {
        assert_eq!(cell_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell_text("+1"), "'+1");
        assert_eq!(cell_text("Kenya"), "Kenya");
        let header = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string()
        };
        let info = info_row(
            "x",
            "y",
            1,
            2,
            &[
                ("start", String::new()),
                ("horizon_days", String::new()),
                ("step", String::new()),
                ("overrides", String::new()),
            ],
        );
        assert_eq!(
            header(&info),
            schema::RUN_INFO_COLUMNS.join(","),
            "run_info.csv is an info row"
        );
        for text in ["=HYPERLINK(\"x\")", "+1", "Kenya", "'quoted"] {
            assert_eq!(uncell(&cell_text(text)), text);
        }
    }

    #[test]
    fn numbers_are_plain() {
        assert_eq!(number(412.5, 4), "412.5");
        assert_eq!(number(3.0, 4), "3");
        assert_eq!(number(-0.00001, 4), "0");
        assert_eq!(number(1234567.0, 0), "1234567");
    }
}
