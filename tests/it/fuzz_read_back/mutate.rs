//! The mutations of `fuzz_read_back`: byte-wise ones of any file, and
//! structural ones of a partial (as JSON) and of a CSV file.

use forcegen::output;

use super::SCENARIO;
use crate::common::Rng;

/// Odd numbers, as text (for JSON numbers and CSV cells).
pub(super) const ODD_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e999",
    "5e-324",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456",
    "100000000",
    "36525",
    "36526",
    "99999999999999999999999999",
];

/// Odd CSV cells that are not numbers.
const ODD_CELLS: &[&str] = &[
    "",
    "x",
    "\"",
    "2024-02-30",
    "9999-12-31",
    "+10000-01-01",
    "-0001-01-01",
    "1970-01-01",
    "contributor:",
    "contributor:K",
    "'contributor:K",
    "international",
    "police_per_100k",
    "t",
    "\u{0}",
    "=1+1",
];

/// One byte-wise mutation of `bytes`; `other` is another file to splice from.
pub(super) fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>, other: &[u8]) {
    let len = bytes.len();
    let at = rng.below(len + 1);
    match rng.below(8) {
        0 if len > 0 => bytes[at.min(len - 1)] ^= 1 << rng.below(8),
        1 if len > 0 => {
            let odd = [
                b'"', b',', b'\n', b'{', b'}', b'[', b']', b'9', b'-', b'.', b'e', 0, 0xff, b'\r',
            ];
            bytes[at.min(len - 1)] = *rng.pick(&odd);
        }
        2 => {
            let insert: Vec<u8> = (0..=rng.below(8)).map(|_| rng.next() as u8).collect();
            bytes.splice(at..at, insert);
        }
        3 => {
            let end = (at + 1 + rng.below(64)).min(len);
            bytes.drain(at.min(end)..end);
        }
        4 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(200)).min(len);
            let copy = bytes[start..end].to_vec();
            bytes.splice(at..at, copy);
        }
        5 if !other.is_empty() => {
            let from = rng.below(other.len());
            bytes.truncate(at);
            bytes.extend_from_slice(&other[from..]);
        }
        6 => bytes.truncate(at),
        _ => {
            // A number (a run of digits) replaced by an odd one.
            let digits: Vec<usize> = (0..len)
                .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
                .collect();
            if !digits.is_empty() {
                let start = *rng.pick(&digits);
                let end = (start..len).find(|&i| !bytes[i].is_ascii_digit()).unwrap_or(len);
                let odd = rng.pick(ODD_NUMBERS).as_bytes().to_vec();
                bytes.splice(start..end, odd);
            }
        }
    }
}

/// A random node of `value` (walking down at random, stopping anywhere).
fn random_node<'a>(rng: &mut Rng, mut value: &'a mut serde_json::Value) -> &'a mut serde_json::Value {
    loop {
        let len = match &*value {
            serde_json::Value::Array(items) => items.len(),
            serde_json::Value::Object(map) => map.len(),
            _ => 0,
        };
        if len == 0 || rng.below(6) == 0 {
            return value;
        }
        let i = rng.below(len);
        value = match value {
            serde_json::Value::Array(items) => &mut items[i],
            serde_json::Value::Object(map) => map.values_mut().nth(i).expect("i < len"),
            _ => unreachable!("only arrays and objects have children"),
        };
    }
}

/// Sets the value at `path` (object keys) if every object on the way is there.
fn set(value: &mut serde_json::Value, path: &[&str], new: serde_json::Value) {
    let mut node = value;
    for key in path {
        match node.get_mut(*key) {
            Some(next) => node = next,
            None => return,
        }
    }
    *node = new;
}

/// One structural mutation of a partial file, as JSON.
pub(super) fn mutate_partial(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return;
    };
    match rng.below(9) {
        7 | 8 => move_or_copy_column(rng, &mut value),
        0 => odd_value(rng, &mut value),
        1 => nudge_count(rng, &mut value),
        2 | 3 => drop_copy_or_swap(rng, &mut value),
        4 => edit_scenario(rng, &mut value),
        5 => {
            // Other shard numbers or totals.
            let numbers = [0u64, 1, 2, 3, 7, 100, 200, 1_000_000, 10_000_000_000, u64::MAX];
            let path: &[&str] = match rng.below(4) {
                0 => &["shard", "index"],
                1 => &["shard", "count"],
                2 => &["total_trials"],
                _ => &["aggregates", "trials"],
            };
            set(&mut value, path, (*rng.pick(&numbers)).into());
        }
        _ => {
            let stems = ["/tmp/x", "../../x", "..", "", "a\u{0}b", "fine"];
            set(&mut value, &["out_stem"], (*rng.pick(&stems)).into());
        }
    }
    if let Ok(text) = serde_json::to_vec(&value) {
        *bytes = text;
    }
}

/// A histogram column moved or copied: it still counts every trial once, so
/// only its bins' place can give it away.
fn move_or_copy_column(rng: &mut Rng, value: &mut serde_json::Value) {
    let Some(metrics) = value.pointer_mut("/aggregates/metrics").and_then(|m| m.as_array_mut()) else {
        return;
    };
    let column = |rng: &mut Rng, metrics: &[serde_json::Value]| {
        let m = rng.below(metrics.len());
        let days = metrics[m]["columns"].as_array().map_or(0, Vec::len);
        (m, rng.below(days))
    };
    if metrics.is_empty() {
        return;
    }
    let (m, d) = column(rng, metrics);
    if rng.below(2) == 0 {
        // Bins shifted by whole pages (of 128 bins), or to anywhere in range.
        let low = metrics[m]["columns"][d]["low"].as_i64().unwrap_or(0);
        let moved = if rng.below(2) == 0 {
            low + 128 * (rng.below(7) as i64 - 3)
        } else {
            128 * rng.below(1 << 15) as i64
        };
        if let Some(slot) = metrics[m].pointer_mut(&format!("/columns/{d}/low")) {
            *slot = moved.into();
        }
    } else {
        let (n, e) = column(rng, metrics);
        let copy = metrics[m]["columns"].get(d).cloned();
        if let (Some(copy), Some(slot)) = (copy, metrics[n].pointer_mut(&format!("/columns/{e}"))) {
            *slot = copy;
        }
    }
}

/// A random node set to an odd value.
fn odd_value(rng: &mut Rng, value: &mut serde_json::Value) {
    let node = random_node(rng, value);
    let odd = [
        serde_json::json!(0),
        serde_json::json!(-1),
        serde_json::json!(u64::MAX),
        serde_json::json!(i64::MIN),
        serde_json::json!(1e308),
        serde_json::json!(0.5),
        serde_json::json!(null),
        serde_json::json!("x"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!([[0, 1]]),
    ];
    *node = rng.pick(&odd).clone();
}

/// A count nudged, as an edit by hand would.
fn nudge_count(rng: &mut Rng, value: &mut serde_json::Value) {
    let node = random_node(rng, value);
    if let Some(n) = node.as_u64() {
        let nudged = match rng.below(5) {
            0 => n.wrapping_add(1),
            1 => n.wrapping_sub(1),
            2 => n.wrapping_add(5000),
            3 => n.wrapping_mul(2),
            _ => u64::MAX - n,
        };
        *node = nudged.into();
    }
}

/// An array item dropped, copied or swapped, or an object key dropped.
fn drop_copy_or_swap(rng: &mut Rng, value: &mut serde_json::Value) {
    let node = random_node(rng, value);
    if let serde_json::Value::Array(items) = node
        && !items.is_empty()
    {
        let i = rng.below(items.len());
        match rng.below(3) {
            0 => {
                items.remove(i);
            }
            1 => {
                let copy = items[i].clone();
                items.insert(i, copy);
            }
            _ => {
                let j = rng.below(items.len());
                items.swap(i, j);
            }
        }
    } else if let serde_json::Value::Object(map) = node
        && !map.is_empty()
    {
        let key = map.keys().nth(rng.below(map.len())).cloned().unwrap_or_default();
        map.remove(&key);
    }
}

/// The scenario text edited, with its fingerprint updated.
fn edit_scenario(rng: &mut Rng, value: &mut serde_json::Value) {
    if let Some(text) = value.get("scenario_source").and_then(|t| t.as_str()) {
        let mut source = text.as_bytes().to_vec();
        mutate_bytes(rng, &mut source, SCENARIO.as_bytes());
        let source = String::from_utf8_lossy(&source).into_owned();
        set(value, &["scenario_sha256"], output::sha256_hex(&source).into());
        set(value, &["scenario_source"], source.into());
    }
}

/// One structural mutation of a CSV file.
pub(super) fn mutate_csv(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let Ok(mut rows) = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect::<Vec<String>>()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    if rows.is_empty() {
        return;
    }
    let r = rng.below(rows.len());
    let width = rows[0].len().max(1);
    let c = rng.below(width);
    match rng.below(10) {
        kind @ 0..=3 => odd_cells(rng, &mut rows, kind, r, c),
        kind => reshape(rng, &mut rows, kind, r, c, width),
    }
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in &rows {
        if writer.write_record(row).is_err() {
            return;
        }
    }
    if let Ok(text) = writer.into_inner() {
        *bytes = text;
    }
}

/// A cell (`kind` 0 to 2) or a whole column (3) of `rows` set to an odd value.
fn odd_cells(rng: &mut Rng, rows: &mut [Vec<String>], kind: usize, r: usize, c: usize) {
    match kind {
        0..=2 => {
            // A cell (of a data row, mostly) replaced by an odd value.
            let r = if rows.len() > 1 {
                1 + rng.below(rows.len() - 1)
            } else {
                r
            };
            let odd = if rng.below(3) == 0 {
                rng.pick(ODD_CELLS).to_string()
            } else {
                rng.pick(ODD_NUMBERS).to_string()
            };
            if let Some(cell) = rows[r].get_mut(c) {
                *cell = odd;
            }
        }
        _ => {
            // A whole column set to one odd value (so a drawn metric gets it).
            let odd = rng.pick(ODD_NUMBERS).to_string();
            for row in rows.iter_mut().skip(1) {
                if let Some(cell) = row.get_mut(c) {
                    *cell = odd.clone();
                }
            }
        }
    }
}

/// Rows or columns dropped, copied or swapped, or names made unique
/// (`kind` 4 to 9).
fn reshape(rng: &mut Rng, rows: &mut Vec<Vec<String>>, kind: usize, r: usize, c: usize, width: usize) {
    match kind {
        4 => {
            rows.remove(r);
        }
        5 => {
            let copy = rows[r].clone();
            let times = if rng.below(4) == 0 { 1 + rng.below(500) } else { 1 };
            for _ in 0..times {
                rows.insert(r, copy.clone());
            }
        }
        6 => {
            let j = rng.below(rows.len());
            rows.swap(r, j);
        }
        7 => {
            for row in rows.iter_mut() {
                if c < row.len() {
                    row.remove(c);
                }
            }
        }
        8 => {
            let d = rng.below(width);
            for row in rows.iter_mut() {
                if c < row.len() && d < row.len() {
                    if rng.below(2) == 0 {
                        row.swap(c, d);
                    } else {
                        let copy = row[c].clone();
                        row.push(copy);
                    }
                }
            }
        }
        _ => {
            // Every row of one metric or target given a name of its own.
            for (i, row) in rows.iter_mut().enumerate().skip(1) {
                if let Some(cell) = row.get_mut(c) {
                    *cell = format!("contributor:n{i}");
                }
            }
        }
    }
}
