//! The values `solve` may try for one input: `--range LO..HI` cut into
//! steps of the resolution, numbers or dates.

use chrono::NaiveDate;

use crate::output::number;
use crate::scenario::dates;

/// Most steps a range may have (a bisection of it takes about 20 values).
pub const MAX_STEPS: u64 = 1_000_000;
/// Steps of the default resolution over a range: about this many.
pub const DEFAULT_STEPS: f64 = 1000.0;
/// Most decimals a number is written with.
const MAX_DECIMALS: usize = 12;

/// The values of a range: `LO + k * step` for `k` from 0, and `HI` last.
#[derive(Debug, Clone, PartialEq)]
pub enum Grid {
    Numbers {
        lo: f64,
        hi: f64,
        step: f64,
        /// Decimals that write every value exactly (those of LO, HI, step).
        decimals: usize,
    },
    /// Dates, `step` whole days apart.
    Dates { lo: NaiveDate, hi: NaiveDate, step: u32 },
}

impl Grid {
    /// Reads `LO..HI` (two numbers, or two dates YYYY-MM-DD) and the
    /// resolution (a step of the same kind: days for dates), or picks one:
    /// the round number (1, 2 or 5 times a power of ten) next above a
    /// thousandth of the range, at least a day for dates (see
    /// [`Grid::whole`] for fields of whole numbers).
    pub fn parse(range: &str, resolution: Option<&str>) -> Result<Grid, String> {
        let (lo, hi) = range.trim().split_once("..").ok_or_else(|| {
            format!("--range {range}: write LO..HI, two numbers or two dates (0..100e6, 2026-05-01..2026-09-30)")
        })?;
        let (lo, hi) = (lo.trim(), hi.trim());
        // Dates take the one date grammar (scenario::dates): YYYY-MM-DD.
        if dates::looks_like_date(lo) || dates::looks_like_date(hi) {
            let date = |text: &str| dates::parse(text).map_err(|e| format!("--range {range}: {e}"));
            return Grid::dates(range, date(lo)?, date(hi)?, resolution);
        }
        let read = |text: &str| -> Result<f64, String> {
            let value = text
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= 1e15);
            value.ok_or_else(|| {
                format!("--range {range}: \"{text}\" is not a number (or both ends dates, YYYY-MM-DD) up to 10^15")
            })
        };
        let (lo_value, hi_value) = (read(lo)?, read(hi)?);
        if lo_value >= hi_value {
            return Err(format!("--range {range}: LO must be below HI"));
        }
        let step = match resolution {
            Some(text) => read_step(text)?,
            None => nice(((hi_value - lo_value) / DEFAULT_STEPS).max(f64::MIN_POSITIVE)),
        };
        let decimals = [lo_value, hi_value, step].into_iter().map(decimals).max().unwrap_or(0);
        let grid = Grid::Numbers {
            lo: lo_value,
            hi: hi_value,
            step,
            decimals,
        };
        grid.check_steps(range)
    }

    fn dates(range: &str, lo: NaiveDate, hi: NaiveDate, resolution: Option<&str>) -> Result<Grid, String> {
        if lo >= hi {
            return Err(format!("--range {range}: LO must be before HI"));
        }
        let days = (hi - lo).num_days() as f64;
        let step = match resolution {
            Some(text) => {
                let step = read_step(text)?;
                if step.fract() != 0.0 {
                    return Err(format!("--resolution {text}: a range of dates moves in whole days"));
                }
                step
            }
            None => nice(days / DEFAULT_STEPS).max(1.0),
        };
        let step = step.min(f64::from(u32::MAX)) as u32;
        Grid::Dates { lo, hi, step }.check_steps(range)
    }

    /// The grid for a field of whole numbers (people, days): its step
    /// rounded to a whole number, at least 1.
    pub fn whole(self) -> Grid {
        match self {
            Grid::Numbers { lo, hi, step, .. } => {
                let step = step.round().max(1.0);
                let decimals = [lo, hi, step].into_iter().map(decimals).max().unwrap_or(0);
                Grid::Numbers { lo, hi, step, decimals }
            }
            dates => dates,
        }
    }

    /// The grid, unless it has more than [`MAX_STEPS`] steps.
    fn check_steps(self, range: &str) -> Result<Grid, String> {
        let steps = self.len() as u64 - 1;
        if steps > MAX_STEPS {
            return Err(format!(
                "--range {range}: {steps} steps of the resolution, more than {MAX_STEPS}; give a larger --resolution"
            ));
        }
        Ok(self)
    }

    /// The number of values, both ends included.
    pub fn len(&self) -> usize {
        let steps = match self {
            Grid::Numbers { lo, hi, step, .. } => (hi - lo) / step,
            Grid::Dates { lo, hi, step } => (*hi - *lo).num_days() as f64 / f64::from((*step).max(1)),
        };
        // The whole steps, then HI itself unless it is on the grid.
        let whole = (steps + 1e-9).floor();
        let on_grid = steps - whole <= 1e-9;
        let count = if on_grid { whole + 1.0 } else { whole + 2.0 };
        count.min(MAX_STEPS as f64 + 2.0) as usize
    }

    /// True for a grid without values (never: a grid has both ends).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `k` as text, for `--set` and the CSV files: a plain number, or
    /// a date YYYY-MM-DD.
    pub fn text(&self, k: usize) -> String {
        let last = self.len() - 1;
        match self {
            Grid::Numbers { lo, hi, step, decimals } => {
                number(if k >= last { *hi } else { lo + k as f64 * step }, *decimals)
            }
            Grid::Dates { lo, hi, step } => {
                let date = if k >= last {
                    *hi
                } else {
                    *lo + chrono::Days::new(k as u64 * u64::from(*step))
                };
                date.format("%Y-%m-%d").to_string()
            }
        }
    }

    /// Value `k` on a chart's axis: the number, or days after LO.
    pub fn x(&self, k: usize) -> f64 {
        let text = self.text(k);
        match self {
            Grid::Numbers { .. } => text.parse().unwrap_or(f64::NAN),
            Grid::Dates { lo, .. } => text
                .parse::<NaiveDate>()
                .map_or(f64::NAN, |d| (d - *lo).num_days() as f64),
        }
    }

    /// The resolution as written in the info file (days for dates).
    pub fn step_text(&self) -> String {
        match self {
            Grid::Numbers { step, decimals, .. } => number(*step, *decimals),
            Grid::Dates { step, .. } => format!("{step} days"),
        }
    }
}

/// `--resolution`: a number above 0.
fn read_step(text: &str) -> Result<f64, String> {
    text.trim()
        .replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= 1e15)
        .ok_or_else(|| format!("--resolution {text}: must be a number above 0"))
}

/// The round number (1, 2 or 5 times a power of ten) nearest above `x`.
pub fn nice(x: f64) -> f64 {
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|v| *v >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// The fewest decimals (at most 12) that write `x` to within a billionth.
fn decimals(x: f64) -> usize {
    (0..=MAX_DECIMALS)
        .find(|&d| {
            let scale = 10f64.powi(d as i32);
            ((x * scale).round() / scale - x).abs() <= 1e-9 * x.abs().max(1e-300)
        })
        .unwrap_or(MAX_DECIMALS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_numbers_get_round_steps() {
        let grid = Grid::parse("0..300e6", None).unwrap();
        assert_eq!(grid.len(), 601);
        assert_eq!(grid.text(1), "500000");
        assert_eq!(grid.text(600), "300000000");
        let grid = Grid::parse("0..1", None).unwrap();
        assert_eq!(
            (grid.len(), grid.text(3), grid.text(1000)),
            (1001, "0.003".to_string(), "1".to_string())
        );
        // Whole steps for whole numbers; HI kept when off the grid.
        let grid = Grid::parse("10..25", Some("4")).unwrap();
        assert_eq!(Grid::parse("0..50", None).unwrap().whole().len(), 51);
        assert_eq!(Grid::parse("0..5000", None).unwrap().whole().text(1), "5");
        let values: Vec<String> = (0..grid.len()).map(|k| grid.text(k)).collect();
        assert_eq!(values, ["10", "14", "18", "22", "25"]);
        assert_eq!(Grid::parse("0..50", None).unwrap().len(), 1001);
        assert_eq!(Grid::parse("0.1..0.3", Some("0.1")).unwrap().text(1), "0.2");
    }

    #[test]
    fn ranges_of_dates_move_in_whole_days() {
        let grid = Grid::parse("2026-05-01..2026-05-31", None).unwrap();
        assert_eq!(grid.len(), 31);
        assert_eq!(grid.text(30), "2026-05-31");
        assert_eq!(grid.x(30), 30.0);
        let grid = Grid::parse("2026-05-01..2026-05-31", Some("7")).unwrap();
        let values: Vec<String> = (0..grid.len()).map(|k| grid.text(k)).collect();
        assert_eq!(values.last().map(String::as_str), Some("2026-05-31"));
        assert_eq!(values[1], "2026-05-08");
        assert!(Grid::parse("2026-05-01..2026-05-31", Some("0.5")).is_err());
    }

    #[test]
    fn bad_ranges_are_refused() {
        for (range, resolution) in [
            ("5", None),
            ("3..1", None),
            ("a..b", None),
            ("0..1", Some("0")),
            ("0..1e9", Some("1")),
            ("2026-05-01..2026-04-01", None),
        ] {
            assert!(Grid::parse(range, resolution).is_err(), "{range} {resolution:?}");
        }
        // Dates in the one grammar only, refused with the right form.
        for range in [
            "2026-5-1..2026-05-31",
            "2026-05-01..31/05/2026",
            "-2026-05-01..2026-05-31",
        ] {
            let error = Grid::parse(range, None).expect_err(range);
            assert!(error.contains("write dates as YYYY-MM-DD"), "{range}: {error}");
        }
    }

    #[test]
    fn round_numbers() {
        assert_eq!(nice(0.0013), 0.002);
        assert_eq!(nice(300_000.0), 500_000.0);
        assert_eq!(nice(1000.0), 1000.0);
        assert_eq!(nice(7.0), 10.0);
        assert_eq!(decimals(0.125), 3);
        assert_eq!(decimals(3e8), 0);
    }
}
