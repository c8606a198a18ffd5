//! The shipped pledge records (issue #28, point 1): every row sourced, the
//! excluded rows flagged with a known reason, one censoring rule for every
//! mission, and the two cuts (`data/pledges-2024-09.csv`,
//! `data/pledges-2026-04.csv`) exactly what `data/pledges.csv` says was
//! known on their dates. The rules are those of docs/calibration.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The reasons an `exclude` cell may give (docs/calibration.md).
const REASONS: [&str; 6] = [
    "aggregate",
    "re-hatted",
    "inherited",
    "withdrawal",
    "no pledge date",
    "arrival before pledge",
];
/// The labels of the `source` cell.
const LABELS: [&str; 5] = ["pledge", "arrival", "peak", "never", "omission"];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name)
}

/// The header and rows (as maps from column to cell) of a data file, its
/// `#` lines skipped.
fn read(name: &str) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(data(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            header.iter().cloned().zip(r.iter().map(str::to_string)).collect()
        })
        .collect();
    (header, rows)
}

/// The `source` cell as label to keys.
fn sources(cell: &str) -> BTreeMap<String, Vec<String>> {
    cell.split("; ")
        .filter(|p| !p.is_empty())
        .map(|part| {
            let mut words = part.split(' ');
            let label = words.next().unwrap_or_default().to_string();
            (label, words.map(str::to_string).collect())
        })
        .collect()
}

#[test]
fn every_row_is_sourced_and_every_exclusion_has_a_known_reason() {
    let (_, rows) = read("pledges.csv");
    assert_eq!(rows.len(), 82, "the 82 records of the compilation");
    let missions: BTreeSet<&str> = rows.iter().map(|r| r["mission"].as_str()).collect();
    assert_eq!(missions.len(), 13, "{missions:?}");
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "ids are unique");
    let (header, keys) = read("pledge-sources.csv");
    assert_eq!(header, ["key", "address", "quote"]);
    let known: BTreeSet<&str> = keys.iter().map(|k| k["key"].as_str()).collect();
    assert_eq!(known.len(), keys.len(), "keys are unique");
    for k in &keys {
        assert!(!k["address"].is_empty() && !k["quote"].is_empty(), "{k:?}");
    }
    let mut used = BTreeSet::new();
    for r in &rows {
        let id = &r["id"];
        for (label, list) in sources(&r["source"]) {
            assert!(LABELS.contains(&label.as_str()), "row {id}: label {label}");
            for key in list {
                assert!(
                    known.contains(key.as_str()),
                    "row {id}: {key} is not in pledge-sources.csv"
                );
                used.insert(key);
            }
        }
        assert!(
            ["confirmed", "reported"].contains(&r["confidence"].as_str()),
            "row {id}"
        );
        let reason = r["exclude"].as_str();
        assert!(reason.is_empty() || REASONS.contains(&reason), "row {id}: {reason}");
        if r["pledge_date"].is_empty() {
            assert!(!reason.is_empty(), "row {id}: a row without pledge_date is excluded");
        }
        if !reason.is_empty() {
            continue;
        }
        // A fitted row has the pledge's source, and one for its arrival (the
        // arrival's own, or the peak's that shows people there).
        let s = sources(&r["source"]);
        assert!(s.contains_key("pledge"), "row {id}: the pledge's source");
        let arrived = !r["first_arrival_date"].is_empty();
        let shown = s.contains_key("arrival") || s.contains_key("peak");
        assert!(!arrived || shown, "row {id}: the arrival's source");
    }
    assert!(used.len() > 100, "{} keys cited", used.len());
    // The flagged rows of the compilation (aggregates, re-hatted or
    // inherited troops, the withdrawal) are all excluded.
    for id in [
        "39", "40", "44", "49", "50a", "51", "53a", "8", "9", "20", "23", "24", "25", "26", "27", "43",
    ] {
        let row = rows.iter().find(|r| r["id"] == id).expect("the row");
        assert!(!row["exclude"].is_empty(), "row {id} is flagged in the compilation");
    }
}

/// The censoring rule (docs/calibration.md): a pledge not arrived is never
/// honoured (`peak_deployed` 0) only where a source says it failed (a
/// `never` key); otherwise it is open at its `as_of_date` (`peak_deployed`
/// empty), a 0 that rests on omission from a list included.
fn check_censoring(name: &str) {
    let (_, rows) = read(name);
    for r in &rows {
        let id = &r["id"];
        let s = sources(&r["source"]);
        let arrived = !r["first_arrival_date"].is_empty();
        let peak = r["peak_deployed"].as_str();
        let never = !arrived && peak == "0";
        assert_eq!(
            never,
            s.contains_key("never"),
            "{name} row {id}: never honoured only with a `never` source"
        );
        if !arrived {
            assert!(
                never || peak.is_empty(),
                "{name} row {id}: not arrived is never honoured or open"
            );
            assert!(r["peak_date"].is_empty(), "{name} row {id}");
        }
        if s.contains_key("omission") {
            assert!(
                !arrived && peak.is_empty(),
                "{name} row {id}: an omission leaves the pledge open"
            );
        }
    }
}

#[test]
fn one_censoring_rule_holds_for_every_row_of_every_file() {
    for name in ["pledges.csv", "pledges-2024-09.csv", "pledges-2026-04.csv"] {
        check_censoring(name);
    }
}

/// `data/pledges.csv` cut at `date` (docs/calibration.md): a row pledged
/// after it is out (one without a pledge date, when its as_of_date is
/// after it); a row whose as_of_date is after it keeps only what came by
/// then: an arrival after it (or on an unknown date) and a peak after it
/// are removed with their sources, a `never` or `omission` verdict too, and
/// as_of_date becomes `date`.
fn cut(rows: &[BTreeMap<String, String>], date: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    for r in rows {
        let pledged = r["pledge_date"].as_str();
        let after = |d: &str| d > date;
        if after(pledged) || (pledged.is_empty() && after(&r["as_of_date"])) {
            continue;
        }
        if !after(&r["as_of_date"]) {
            out.push(r.clone());
            continue;
        }
        let mut r = r.clone();
        let mut s = sources(&r["source"]);
        let arrival = r["first_arrival_date"].clone();
        let keep_arrival = !arrival.is_empty() && arrival != "unknown" && !after(&arrival);
        let keep_peak = keep_arrival && !r["peak_date"].is_empty() && !after(&r["peak_date"]);
        if !keep_arrival {
            r.insert("first_arrival_date".into(), String::new());
            s.remove("arrival");
        }
        if !keep_peak {
            r.insert("peak_deployed".into(), String::new());
            r.insert("peak_date".into(), String::new());
            s.remove("peak");
        }
        s.remove("never");
        s.remove("omission");
        let order = |label: &str| LABELS.iter().position(|l| *l == label);
        let mut parts: Vec<(&String, &Vec<String>)> = s.iter().collect();
        parts.sort_by_key(|(label, _)| order(label));
        let source: Vec<String> = parts.iter().map(|(l, k)| format!("{l} {}", k.join(" "))).collect();
        r.insert("source".into(), source.join("; "));
        r.insert("as_of_date".into(), date.to_string());
        let note = format!(
            "Row {} of data/pledges.csv cut at {date}: what it says of later days is left out.",
            r["id"]
        );
        r.insert("notes".into(), note);
        out.push(r);
    }
    out
}

#[test]
fn the_cuts_are_what_was_known_on_their_dates() {
    let (header, rows) = read("pledges.csv");
    for (name, date) in [
        ("pledges-2024-09.csv", "2024-09-30"),
        ("pledges-2026-04.csv", "2026-04-30"),
    ] {
        let (cut_header, cut_rows) = read(name);
        assert_eq!(cut_header, header, "{name}");
        let expected = cut(&rows, date);
        assert_eq!(cut_rows.len(), expected.len(), "{name}");
        for (got, want) in cut_rows.iter().zip(&expected) {
            assert_eq!(got, want, "{name} row {}", want["id"]);
        }
        for r in &cut_rows {
            assert!(r["as_of_date"].as_str() <= date, "{name} row {}", r["id"]);
            for column in ["pledge_date", "first_arrival_date", "peak_date"] {
                let d = r[column].as_str();
                assert!(d == "unknown" || d <= date, "{name} row {}: {column} {d}", r["id"]);
            }
        }
    }
    // On 30 Sep 2024 the Bahamas, Guatemala and El Salvador had not arrived.
    let (_, sep) = read("pledges-2024-09.csv");
    for who in ["Bahamas", "Guatemala", "El Salvador"] {
        let r = sep
            .iter()
            .find(|r| r["mission"] == "MSS Haiti" && r["contributor"] == who)
            .unwrap();
        assert!(
            r["first_arrival_date"].is_empty() && r["peak_deployed"].is_empty(),
            "{who}"
        );
    }
}

#[test]
fn the_reader_accepts_each_shipped_file() {
    for name in ["pledges.csv", "pledges-2024-09.csv", "pledges-2026-04.csv"] {
        let (records, _) = forcegen::analysis::calibrate::read_records(&data(name)).unwrap_or_else(|e| panic!("{e}"));
        let (_, rows) = read(name);
        let excluded = rows.iter().filter(|r| !r["exclude"].is_empty()).count();
        assert_eq!(records.excluded.len(), excluded, "{name}");
        assert_eq!(records.rows.len() + excluded, rows.len(), "{name}");
    }
}
