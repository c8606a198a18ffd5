//! The files of `forcegen calibrate`: `calibration.csv` (every quantity of
//! every group with its 90% interval), `priors.toml` (what a scenario names
//! with `prior(GROUP.FIELD)`) and `calibration_info.csv` (who wrote them).

use std::fmt::Write;

use super::validate::ValidationRow;
use super::{Calibration, GroupFit, QUANTITIES, honour};
use crate::output::schema::{CALIBRATION_COLUMNS, VALIDATION_COLUMNS};
use crate::output::{csv_bytes, info_row};
use crate::scenario::Z95;

/// `calibration.csv`: one row per group and quantity; a quantity that could
/// not be fitted has empty cells.
pub fn calibration_csv(calibration: &Calibration) -> Vec<u8> {
    let rows = calibration.groups.iter().flat_map(|g| {
        let values = g.fit.values();
        QUANTITIES.iter().enumerate().map(move |(q, name)| {
            let used = if name.starts_with("fulfilment") {
                g.shares
            } else {
                g.records
            };
            let (low, high) = g.intervals[q].map_or((String::new(), String::new()), |(l, h)| (num(l), num(h)));
            let shrinkage = g.shrinkage.and_then(|s| match name.split('_').next() {
                Some("honour") => Some(s.honour),
                Some("fulfilment") => s.fulfilment,
                _ => s.delay,
            });
            vec![
                crate::output::cell_text(&g.name),
                name.to_string(),
                values[q].map(num).unwrap_or_default(),
                low,
                high,
                g.records.to_string(),
                g.censored.to_string(),
                g.never.to_string(),
                used.to_string(),
                calibration.resamples.to_string(),
                shrinkage.map(num).unwrap_or_default(),
            ]
        })
    });
    csv_bytes(&CALIBRATION_COLUMNS, rows)
}

/// `validation.csv`: one row per held-out value and score; a score nothing
/// could be computed for has empty cells.
pub fn validation_csv(rows: &[ValidationRow]) -> Vec<u8> {
    let rows = rows.iter().map(|r| {
        vec![
            crate::output::cell_text(&r.held_out),
            r.records.to_string(),
            r.score.to_string(),
            r.fitted.map(num).unwrap_or_default(),
            r.flat.map(num).unwrap_or_default(),
        ]
    });
    csv_bytes(&VALIDATION_COLUMNS, rows)
}

/// `calibration_info.csv`: the records file's name and SHA-256 (in the
/// info columns every command writes), the seed, the resamples, `--by`.
pub fn info(calibration: &Calibration, file: &str, sha256: &str) -> Vec<u8> {
    let by = calibration.by.join(" ");
    let groups = calibration.groups.len().to_string();
    let extra = [("by", by), ("groups", groups)];
    info_row(file, sha256, calibration.seed, calibration.resamples as u64, &extra)
}

/// `priors.toml`: a table per group with `honour`, `fulfilment` and
/// `delay` as distributions a scenario can use, and comments giving each
/// one's 90% interval and counts.
pub fn priors_toml(calibration: &Calibration, file: &str, sha256: &str) -> String {
    let mut text = String::new();
    let by = if calibration.by.is_empty() {
        String::new()
    } else {
        format!(", then by {}", calibration.by.join(" and "))
    };
    let _ = write!(
        text,
        "# Priors fitted by forcegen calibrate {} from {}\n# (SHA-256 {sha256}),\n\
         # {} bootstrap resamples, seed {}; groups: all records (\"all\"){by}.\n",
        env!("CARGO_PKG_VERSION"),
        file.replace('\n', " "),
        calibration.resamples,
        calibration.seed
    );
    text.push_str(
        "#\n# honour: the probability a pledge is honoured at all, a Beta posterior from a\n\
         #   Beta(1, 1) prior (a scenario's `probability` takes its mean).\n\
         # fulfilment: the share of an honoured pledge delivered at its peak (beta,\n\
         #   maximum likelihood).\n\
         # delay: days from pledge to first arrival (lognormal, censored maximum\n\
         #   likelihood); the comment gives its 5th to 95th percentiles.\n\
         # In a scenario: priors = \"priors.toml\", then e.g.\n\
         #   probability = \"prior(all.honour)\"; for a pledge already made and not\n\
         #   arrived, \"prior(all.honour, pledged = 2024-02-26)\". See docs/calibration.md.\n",
    );
    for group in &calibration.groups {
        group_table(&mut text, group);
    }
    text
}

fn group_table(text: &mut String, g: &GroupFit) {
    let values = g.fit.values();
    let interval = |q: usize| {
        g.intervals[q].map_or(
            "no interval: too few resamples could be fitted".to_string(),
            |(l, h)| format!("90% interval {} to {}", short(l), short(h)),
        )
    };
    let _ = writeln!(text, "\n[{}]", toml_string(&g.name));
    let _ = writeln!(
        text,
        "records = {}\ncensored = {}  # still open at as_of_date\nnever_honoured = {}",
        g.records, g.censored, g.never
    );
    if let Some(s) = g.shrinkage {
        let _ = writeln!(
            text,
            "# shrunk toward \"all\" (0: fitted alone, 1: the pooled fit): honour {}, fulfilment {}, delay {}",
            short(s.honour),
            s.fulfilment.map_or("-".to_string(), short),
            s.delay.map_or("-".to_string(), short)
        );
    }
    let (a, b) = g.fit.honour;
    let _ = writeln!(
        text,
        "honour = \"beta({}, {})\"  # mean {}, {} (bootstrap); posterior 90% interval {} to {}",
        num(a),
        num(b),
        short(honour::mean(g.fit.honour)),
        interval(0),
        short(honour::quantile(g.fit.honour, 0.05)),
        short(honour::quantile(g.fit.honour, 0.95)),
    );
    match g.fit.fulfilment {
        Some((a, b)) => {
            let mean = values[3].unwrap_or(0.0);
            let _ = writeln!(
                text,
                "fulfilment = \"beta({}, {})\"  # mean {}, {}; from {} shares",
                num(a),
                num(b),
                short(mean),
                interval(3),
                g.shares
            );
        }
        None => {
            let _ = writeln!(
                text,
                "# fulfilment: not fitted (shares known: {}; three, not all the same, are needed)",
                g.shares
            );
        }
    }
    match g.fit.delay {
        Some((mu, sigma)) => {
            let (p5, p95) = range(mu, sigma);
            let _ = writeln!(
                text,
                "delay = \"lognormal({}, {})\"  # days; 5th to 95th {p5} to {p95}; median {} days, {}",
                num(mu),
                num(sigma),
                short(mu.exp()),
                interval(9)
            );
        }
        None => {
            let _ = writeln!(text, "# delay: not fitted (two different dated arrivals are needed)");
        }
    }
}

/// The delay as whole days "A to B" (A at least 1, B above A).
pub fn range(mu: f64, sigma: f64) -> (u64, u64) {
    let p5 = ((mu - Z95 * sigma).exp().round() as u64).max(1);
    let p95 = ((mu + Z95 * sigma).exp().round() as u64).max(p5 + 1);
    (p5, p95)
}

/// A number with 6 decimals, trailing zeros dropped.
pub fn num(v: f64) -> String {
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A number with 3 significant decimals, for people.
pub fn short(v: f64) -> String {
    let text = match v.abs() {
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.3}"),
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A TOML basic string: quoted, with `\`, `"` and control characters escaped.
pub fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(short(123.456), "123");
        assert_eq!(short(0.12345), "0.123");
        assert_eq!(toml_string("a \"b\"\n"), "\"a \\\"b\\\"\\u000A\"");
        assert_eq!(range(0.0, 0.0), (1, 2));
    }
}
