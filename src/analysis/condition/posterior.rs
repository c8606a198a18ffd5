//! `posterior.csv`: each uncertain input's distribution before and after
//! conditioning (mean, p5, p50, p95), sorted by how far its mean moved in
//! units of its sd before, `|mean_after - mean_before| / sd_before`.

use crate::engine::condition::{Evidence, InputSummary};
use crate::output::{cell_text, csv_bytes, number, schema};

/// One input's move.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub input: String,
    pub before: Option<InputSummary>,
    pub after: Option<InputSummary>,
    /// `|mean_after - mean_before| / sd_before` (0 for an input that did
    /// not vary, or with no trial kept).
    pub shift: f64,
}

/// Every input's move, the largest first (ties in the input table's order).
pub fn posterior_rows(paths: &[String], evidence: &Evidence) -> Vec<Shift> {
    let mut rows: Vec<Shift> = paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let (before, after) = evidence.summaries(i);
            let shift = match (before, after) {
                (Some(b), Some(a)) if b.sd > 0.0 => (a.mean - b.mean).abs() / b.sd,
                _ => 0.0,
            };
            Shift {
                input: path.clone(),
                before,
                after,
                shift,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.shift.total_cmp(&a.shift));
    rows
}

/// A value with six significant digits (a plain decimal number).
pub fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return number(if value.is_finite() { value } else { 0.0 }, 0);
    }
    let digits = value.abs().log10().floor() as i32 + 1;
    number(value, (6 - digits).clamp(0, 15) as usize)
}

/// The bytes of `posterior.csv`.
pub fn render_posterior(rows: &[Shift]) -> Vec<u8> {
    let cell = |s: Option<InputSummary>, f: fn(&InputSummary) -> f64| s.map(|s| significant(f(&s))).unwrap_or_default();
    let lines = rows.iter().map(|row| {
        let mut line = vec![cell_text(&row.input)];
        let stats: [fn(&InputSummary) -> f64; 4] = [|s| s.mean, |s| s.p5, |s| s.p50, |s| s.p95];
        for stat in stats {
            line.push(cell(row.before, stat));
            line.push(cell(row.after, stat));
        }
        line
    });
    csv_bytes(&schema::POSTERIOR_COLUMNS, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.15), "0.15");
        assert_eq!(significant(0.0212345678), "0.0212346");
        assert_eq!(significant(11_870_123.4), "11870123");
        assert_eq!(significant(45.0), "45");
        assert_eq!(significant(-2.71234567), "-2.71235");
        assert_eq!(significant(0.0), "0");
    }

    #[test]
    fn rows_sort_by_the_shift_in_sds() {
        let summary = |mean: f64, sd: f64| {
            Some(InputSummary {
                mean,
                sd,
                p5: mean,
                p50: mean,
                p95: mean,
            })
        };
        let mut rows = vec![
            Shift {
                input: "a".into(),
                before: summary(1.0, 1.0),
                after: summary(1.5, 1.0),
                shift: 0.5,
            },
            Shift {
                input: "b".into(),
                before: summary(0.15, 0.36),
                after: summary(0.0, 0.0),
                shift: 0.15 / 0.36,
            },
        ];
        rows.sort_by(|a, b| b.shift.total_cmp(&a.shift));
        let text = String::from_utf8(render_posterior(&rows)).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], schema::POSTERIOR_COLUMNS.join(","));
        assert_eq!(lines[1], "a,1,1.5,1,1.5,1,1.5,1,1.5");
        assert_eq!(lines[2], "b,0.15,0,0.15,0,0.15,0,0.15,0");
    }
}
