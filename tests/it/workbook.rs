//! `--xlsx`: `results.xlsx`, the CSV files of a run in one workbook with
//! native charts. Read back two ways: unzipped here (one sheet per CSV file
//! in their order, each with its header, frozen; two line charts), and, in
//! a test ignored by a plain `cargo test` and run by `.ci/run` with
//! `-- --ignored`, opened in LibreOffice Calc (headless), where every cell
//! must arrive with the CSV's value and type and both charts must be there.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Command as Process;

use crate::cli_support::{EXTRA_FILES, FILES, cell, forcegen, read_csv};
use crate::spreadsheet::{Cell, TABLE, soffice, table_cells};
use forcegen::output::schema;

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const DRAW: &str = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
const CHART: &str = "urn:oasis:names:tc:opendocument:xmlns:chart:1.0";

/// The CSV files of a `run --wide --xlsx`, in the order they are written
/// (the order of the workbook's sheets).
fn csv_files() -> Vec<&'static str> {
    FILES
        .iter()
        .chain(&EXTRA_FILES)
        .chain([&schema::WIDE])
        .copied()
        .collect()
}

/// A `run --wide --xlsx` of the baseline into `out`.
fn run_with_workbook(out: &Path) {
    forcegen()
        .args(["run", "--trials", "300", "--quiet", "--wide", "--xlsx", "--out"])
        .arg(out)
        .assert()
        .code(0);
}

/// One member of a ZIP file, as text.
fn member(zip: &mut zip::ZipArchive<fs::File>, name: &str) -> String {
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("results.xlsx has no {name}: {e}"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The sheets of the workbook: name and the member holding it, in order.
fn sheets(zip: &mut zip::ZipArchive<fs::File>) -> Vec<(String, String)> {
    let rels = member(zip, "xl/_rels/workbook.xml.rels");
    let rels = roxmltree::Document::parse(&rels).unwrap();
    let target: HashMap<&str, &str> = rels
        .descendants()
        .filter(|n| n.has_tag_name("Relationship"))
        .map(|n| (n.attribute("Id").unwrap(), n.attribute("Target").unwrap()))
        .collect();
    let book = member(zip, "xl/workbook.xml");
    let book = roxmltree::Document::parse(&book).unwrap();
    book.descendants()
        .filter(|n| n.has_tag_name((MAIN, "sheet")))
        .map(|n| {
            let id = n.attribute((REL, "id")).unwrap();
            let path = target[id].trim_start_matches('/').trim_start_matches("xl/");
            (n.attribute("name").unwrap().to_string(), format!("xl/{path}"))
        })
        .collect()
}

/// The first row of a sheet, as text (shared strings looked up).
fn first_row(sheet: &str, strings: &[String]) -> Vec<String> {
    let doc = roxmltree::Document::parse(sheet).unwrap();
    let row = doc
        .descendants()
        .find(|n| n.has_tag_name((MAIN, "row")) && n.attribute("r") == Some("1"))
        .expect("a first row");
    row.children()
        .filter(|n| n.has_tag_name((MAIN, "c")))
        .map(|c| {
            let value = c
                .descendants()
                .find(|n| n.has_tag_name((MAIN, "v")))
                .and_then(|v| v.text());
            assert_eq!(c.attribute("t"), Some("s"), "header cells are shared strings");
            strings[value.unwrap().parse::<usize>().unwrap()].clone()
        })
        .collect()
}

/// The first sheet holds each target with the level it means and its
/// chance by the horizon (typed as in summary.csv), and the strength on the
/// report date (the horizon here) as timeseries.csv has it.
fn answers_sheet_holds_the_answer(out: &std::path::Path, xml: &str, strings: &[String]) {
    let (header, rows) = read_csv(&out.join(schema::SUMMARY));
    for row in &rows {
        let name = cell(&header, row, "target");
        assert!(
            strings.iter().any(|s| s == name),
            "no target {name} on the answers sheet"
        );
        let p = cell(&header, row, "p_reached_by_horizon");
        assert!(
            xml.contains(&format!("<v>{p}</v>")),
            "no p_reached_by_horizon {p} of {name}"
        );
    }
    for what in [
        "report date",
        "horizon",
        "international personnel",
        "police per 100,000 inhabitants",
    ] {
        assert!(strings.iter().any(|s| s == what), "no `{what}` on the answers sheet");
    }
    let (header, rows) = read_csv(&out.join(schema::TIMESERIES));
    let last = rows
        .iter()
        .rfind(|r| cell(&header, r, "metric") == "international")
        .expect("international rows");
    let median = cell(&header, last, "p50");
    assert!(xml.contains(&format!("<v>{median}</v>")), "no median strength {median}");
}

/// The shared strings of a workbook, from its `xl/sharedStrings.xml`.
fn shared_strings(xml: &str) -> Vec<String> {
    let strings = roxmltree::Document::parse(xml).unwrap();
    strings
        .descendants()
        .filter(|n| n.has_tag_name((MAIN, "si")))
        .map(|si| {
            si.descendants()
                .filter(|n| n.is_text())
                .filter_map(|t| t.text())
                .collect()
        })
        .collect()
}

#[test]
fn the_workbook_has_one_sheet_per_csv_with_its_header_and_two_charts() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    run_with_workbook(&out);
    let path = out.join(schema::WORKBOOK);
    let mut zip = zip::ZipArchive::new(fs::File::open(&path).unwrap()).unwrap();
    let strings = shared_strings(&member(&mut zip, "xl/sharedStrings.xml"));
    let sheets = sheets(&mut zip);
    let files = csv_files();
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    let mut expected: Vec<&str> = vec!["answers"];
    expected.extend(files.iter().map(|f| f.trim_end_matches(".csv")));
    expected.push("charts");
    assert_eq!(
        names, expected,
        "the answers, then one sheet per CSV file, in their order, then the charts"
    );
    answers_sheet_holds_the_answer(&out, &member(&mut zip, &sheets[0].1), &strings);
    for (file, (name, member_name)) in files.iter().zip(&sheets[1..]) {
        let xml = member(&mut zip, member_name);
        let (header, _) = read_csv(&out.join(file));
        assert_eq!(first_row(&xml, &strings), header, "the header of sheet {name}");
        assert!(
            xml.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#),
            "sheet {name} has a frozen header row"
        );
    }
    let (_, targets) = read_csv(&out.join(schema::SUMMARY));
    for (chart, series) in [("xl/charts/chart1.xml", 5), ("xl/charts/chart2.xml", targets.len())] {
        let xml = member(&mut zip, chart);
        assert!(xml.contains("<c:lineChart>"), "{chart} is a line chart");
        assert_eq!(xml.matches("<c:ser>").count(), series, "{chart}'s series");
    }

    assert_rebuilt_the_same(work.path(), &out);
}

/// `report --xlsx` rebuilds the workbook of the run in `out` with the same
/// bytes from its CSV files, and `merge --xlsx` of two shards writes the
/// same bytes as a single run; a run without --xlsx removes the workbook
/// of an earlier run.
fn assert_rebuilt_the_same(work: &Path, out: &Path) {
    let path = out.join(schema::WORKBOOK);
    // `report --xlsx` rebuilds the same bytes from the CSV files; a run
    // without --xlsx removes the workbook of an earlier run.
    let bytes = fs::read(&path).unwrap();
    forcegen()
        .arg("report")
        .arg("--xlsx")
        .arg("--quiet")
        .arg(out)
        .assert()
        .code(0);
    assert!(
        fs::read(&path).unwrap() == bytes,
        "report --xlsx writes what run --xlsx wrote"
    );
    // `merge --xlsx` of two shards: the same bytes as the single run
    // (without --wide, which merge does not write).
    for shard in ["1/2", "2/2"] {
        let part = work.join(format!("part-{}", &shard[..1]));
        forcegen()
            .args(["run", "--trials", "300", "--quiet", "--shard", shard, "--partial"])
            .arg(part)
            .assert()
            .code(0);
    }
    let merged = work.join("merged");
    forcegen()
        .args(["merge", "--quiet", "--xlsx", "--out"])
        .arg(&merged)
        .args(["part-1", "part-2"].map(|p| work.join(p)))
        .assert()
        .code(0);
    forcegen()
        .args(["run", "--trials", "300", "--quiet", "--xlsx", "--out"])
        .arg(out)
        .assert()
        .code(0);
    assert!(
        fs::read(merged.join(schema::WORKBOOK)).unwrap() == fs::read(&path).unwrap(),
        "merge --xlsx writes what run --xlsx wrote"
    );
    forcegen()
        .args(["run", "--trials", "300", "--quiet", "--out"])
        .arg(out)
        .assert()
        .code(0);
    assert!(!path.exists(), "a run without --xlsx leaves no earlier workbook behind");
}

/// Whether a column holds dates and whether it holds probabilities
/// (docs/output-reference.md, results.xlsx).
fn column_rules(column: &str) -> (bool, bool) {
    let date = column == "date" || column == "start" || column.starts_with("date_") || column.contains("_date_");
    (date, column.starts_with("p_") || column == "share")
}

/// What a CSV field must be in the sheet: problems, if any.
fn check_cell(at: &str, column: &str, field: &str, cell: &Cell) -> Option<String> {
    let text_columns = forcegen::report::workbook::TEXT_COLUMNS;
    let (date, percent) = column_rules(column);
    let number = field
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && !text_columns.contains(&column));
    let long_whole = field.len() > 15 && field.bytes().all(|b| b.is_ascii_digit());
    let ok = if field.is_empty() {
        cell.kind.is_empty()
    } else if date {
        cell.kind == "date" && cell.value == field
    } else if let (Some(want), false) = (number, long_whole) {
        let kind = if percent { "percentage" } else { "float" };
        cell.kind == kind
            && cell
                .value
                .parse::<f64>()
                .is_ok_and(|got| (got - want).abs() <= 1e-12 * want.abs().max(1.0))
    } else {
        cell.kind == "string" && cell.value == field
    };
    (!ok).then(|| format!("{at}: {field:?} arrived as {cell:?}"))
}

/// Compares one CSV file with its sheet; returns the problems.
fn compare(file: &str, sheet: &[Vec<Cell>]) -> Vec<String> {
    let (header, rows) = read_csv(Path::new(file));
    let name = Path::new(file).file_name().unwrap().to_string_lossy().into_owned();
    let mut problems = Vec::new();
    // Calc writes the empty rows below the data too.
    let used = sheet.len()
        - sheet
            .iter()
            .rev()
            .take_while(|r| r.iter().all(|c| c.kind.is_empty()))
            .count();
    if used != rows.len() + 1 {
        problems.push(format!(
            "{name}: {} rows in the sheet, {} in the file",
            used,
            rows.len() + 1
        ));
    }
    let empty = Cell {
        kind: String::new(),
        value: String::new(),
    };
    let header_cells = sheet.first().map(Vec::as_slice).unwrap_or_default();
    for (c, column) in header.iter().enumerate() {
        let cell = header_cells.get(c).unwrap_or(&empty);
        if cell.kind != "string" || cell.value != *column {
            problems.push(format!("{name} header column {}: {column} arrived as {cell:?}", c + 1));
        }
    }
    for (r, row) in rows.iter().enumerate() {
        let cells = sheet.get(r + 1).map(Vec::as_slice).unwrap_or_default();
        for (c, field) in row.iter().enumerate() {
            let at = format!("{name} row {} column {}", r + 2, header[c]);
            problems.extend(check_cell(&at, &header[c], field, cells.get(c).unwrap_or(&empty)));
        }
    }
    problems
}

/// The charts of the sheet `table`: for each, its class and its series'
/// value ranges.
fn charts_of(table: roxmltree::Node) -> Vec<(String, Vec<String>)> {
    table
        .descendants()
        .filter(|n| n.has_tag_name((DRAW, "object")))
        .filter_map(|object| object.descendants().find(|n| n.has_tag_name((CHART, "chart"))))
        .map(|chart| {
            let class = chart.attribute((CHART, "class")).unwrap_or("").to_string();
            let series = chart
                .descendants()
                .filter(|n| n.has_tag_name((CHART, "series")))
                .map(|s| {
                    s.attribute((CHART, "values-cell-range-address"))
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            (class, series)
        })
        .collect()
}

/// `results.xlsx` converted by LibreOffice to flat XML (.fods), in `dir`.
fn convert_to_fods(soffice: &Path, workbook: &Path, dir: &Path) -> String {
    let status = Process::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.join("profile").display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "fods",
            "--outdir",
        ])
        .arg(dir.join("fods"))
        .arg(workbook)
        .env("HOME", dir)
        .output()
        .expect("soffice starts");
    assert!(
        status.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let fods = dir.join("fods").join("results.fods");
    fs::read_to_string(&fods).unwrap_or_else(|e| panic!("soffice did not convert results.xlsx ({e})"))
}

#[test]
#[ignore = "needs LibreOffice Calc (.ci/run installs it and runs these with --ignored)"]
fn the_workbook_opens_in_libreoffice_calc_with_its_types_and_charts() {
    let soffice = soffice().unwrap_or_else(|| {
        panic!(
            "the_workbook_opens_in_libreoffice_calc_with_its_types_and_charts needs LibreOffice Calc and no \
             soffice is on PATH: install it (Debian: apt-get install libreoffice-calc) or set \
             FORCEGEN_SOFFICE=/path/to/soffice"
        )
    });
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    run_with_workbook(&out);
    let text = convert_to_fods(&soffice, &out.join(schema::WORKBOOK), work.path());
    let doc = roxmltree::Document::parse(&text).unwrap();
    let tables: HashMap<&str, roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name((TABLE, "table")))
        .map(|n| (n.attribute((TABLE, "name")).unwrap_or(""), n))
        .collect();
    let mut problems = Vec::new();
    for file in csv_files() {
        let path = out.join(file);
        let Some(table) = tables.get(file.trim_end_matches(".csv")) else {
            problems.push(format!("no sheet for {file}"));
            continue;
        };
        let columns = read_csv(&path).0.len();
        problems.extend(compare(&path.to_string_lossy(), &table_cells(*table, columns)));
    }
    assert!(
        problems.is_empty(),
        "{} cells arrived wrong; the first ones:\n{}",
        problems.len(),
        problems.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    check_charts_sheet(&out, tables.get("charts").copied().expect("a charts sheet"));
}

/// The charts sheet: the fan's data equal to `international` in
/// timeseries.csv, a line chart of it (5 series) and a line chart of the
/// targets (one series per target, from the targets sheet).
fn check_charts_sheet(out: &Path, table: roxmltree::Node) {
    let (header, rows) = read_csv(&out.join(schema::TIMESERIES));
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let fan: Vec<&Vec<String>> = rows.iter().filter(|r| r[at("metric")] == "international").collect();
    let mut cells = table_cells(table, 6);
    cells.retain(|row| row.iter().any(|c| !c.kind.is_empty()));
    assert_eq!(
        cells.len(),
        fan.len() + 1,
        "the fan's data: a header and one row per date"
    );
    for (row, cells) in fan.iter().zip(&cells[1..]) {
        assert_eq!(
            (cells[0].kind.as_str(), cells[0].value.as_str()),
            ("date", row[at("date")].as_str())
        );
        for (c, p) in ["p5", "p25", "p50", "p75", "p95"].iter().enumerate() {
            let cell = &cells[c + 1];
            assert_eq!(cell.kind, "float", "the fan's {p} on {}", row[at("date")]);
            assert_eq!(cell.value.parse::<f64>().ok(), row[at(p)].parse::<f64>().ok());
        }
    }
    let charts = charts_of(table);
    let (_, targets) = read_csv(&out.join(schema::SUMMARY));
    assert_eq!(charts.len(), 2, "two charts on the charts sheet: {charts:?}");
    let (fan_class, fan_series) = &charts[0];
    assert_eq!(fan_class, "chart:line");
    assert_eq!(fan_series.len(), 5, "the fan's p5 to p95: {fan_series:?}");
    assert!(fan_series.iter().all(|s| s.starts_with("charts.")), "{fan_series:?}");
    let (target_class, target_series) = &charts[1];
    assert_eq!(target_class, "chart:line");
    assert_eq!(
        target_series.len(),
        targets.len(),
        "one series per target: {target_series:?}"
    );
    assert!(
        target_series.iter().all(|s| s.starts_with("targets.D")),
        "{target_series:?}"
    );
}
