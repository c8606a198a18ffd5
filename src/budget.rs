//! The process-wide memory budget: one bound on what a command may hold in
//! memory at once, whatever it reads or computes. A command works out, before
//! it starts, what an input will cost as a product of its sizes (files ×
//! bytes, observed dates × metrics × threads × bytes a table, ...) and
//! refuses what would pass the budget, naming that product, instead of
//! running until the machine runs out of memory.
//!
//! One default, [`DEFAULT_MIB`], and one override, the environment variable
//! [`VARIABLE`] (a whole number of MiB). Any layer may use it (it uses none).
//! The limits it bounds are listed in docs/reliability.md, "Limits".

use std::fmt;

/// The budget when [`VARIABLE`] is not set: 2 GiB.
pub const DEFAULT_MIB: u64 = 2048;
/// The environment variable that sets the budget, in MiB.
pub const VARIABLE: &str = "FORCEGEN_MAX_MEMORY_MIB";
/// The smallest budget [`VARIABLE`] may set: 64 MiB.
pub const MIN_MIB: u64 = 64;
/// The largest budget [`VARIABLE`] may set: 1 TiB.
pub const MAX_MIB: u64 = 1 << 20;

const MIB: u64 = 1 << 20;

/// The budget in bytes: [`VARIABLE`] if set, else [`DEFAULT_MIB`]; a value
/// that is not a whole number of MiB from [`MIN_MIB`] to [`MAX_MIB`] is an
/// error (never silently replaced by the default).
pub fn limit_bytes() -> Result<u64, Exceeded> {
    match std::env::var(VARIABLE) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MIB * MIB),
        Ok(text) => parse_mib(&text).map(|mib| mib * MIB).ok_or(Exceeded::BadVariable(text)),
        Err(std::env::VarError::NotUnicode(text)) => Err(Exceeded::BadVariable(text.to_string_lossy().into_owned())),
    }
}

fn parse_mib(text: &str) -> Option<u64> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|mib| (MIN_MIB..=MAX_MIB).contains(mib))
}

/// What an input would cost: a product of sizes, each with its unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// What is being sized, e.g. "the observed file's per-day tables".
    pub what: String,
    /// The factors, e.g. `[(36_501, "observed dates"), (18, "metrics")]`.
    pub factors: Vec<(u64, String)>,
    /// What the product is multiplied by, in bytes (e.g. a table's size).
    pub bytes_each: u64,
    /// What the user can do about it, if anything ("observe fewer dates").
    pub advice: String,
}

impl Need {
    /// `what`, costing `bytes_each` bytes for each unit of the product of `factors`.
    pub fn new(what: impl Into<String>, factors: &[(u64, &str)], bytes_each: u64) -> Need {
        Need {
            what: what.into(),
            factors: factors.iter().map(|&(n, unit)| (n, unit.to_string())).collect(),
            bytes_each,
            advice: String::new(),
        }
    }

    /// With `advice` at the end of the message.
    pub fn advice(mut self, advice: impl Into<String>) -> Need {
        self.advice = advice.into();
        self
    }

    /// The bytes needed (saturating: a product past 2^64 is "too much" anyway).
    pub fn bytes(&self) -> u64 {
        self.factors
            .iter()
            .fold(self.bytes_each, |product, &(n, _)| product.saturating_mul(n))
    }

    /// "36,501 observed dates × 18 metrics × 2 threads × 4 KiB", or
    /// "100,362,130 bytes × 8" where each unit costs a few bytes.
    pub fn product(&self) -> String {
        let mut parts: Vec<String> = self
            .factors
            .iter()
            .map(|(n, unit)| format!("{} {unit}", thousands(*n)))
            .collect();
        match self.bytes_each {
            1 => {}
            b if b < 1024 => parts.push(b.to_string()),
            b => parts.push(bytes_text(b)),
        }
        parts.join(" × ")
    }
}

/// `need` against the budget: `Ok` when it fits.
pub fn check(need: &Need) -> Result<(), Exceeded> {
    let limit = limit_bytes()?;
    if need.bytes() <= limit {
        return Ok(());
    }
    Err(Exceeded::Over {
        what: need.what.clone(),
        product: need.product(),
        bytes: need.bytes(),
        limit,
        advice: need.advice.clone(),
    })
}

/// Why a command was refused before it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exceeded {
    /// `need` would pass the budget.
    Over {
        what: String,
        product: String,
        bytes: u64,
        limit: u64,
        advice: String,
    },
    /// [`VARIABLE`] is set to something that is not an allowed budget.
    BadVariable(String),
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::Over {
                what,
                product,
                bytes,
                limit,
                advice,
            } => {
                write!(
                    f,
                    "{what} would take about {} of memory ({product}), more than the memory budget of {} (set \
                     {VARIABLE} to a number of MiB to change it; see docs/reliability.md, Limits)",
                    bytes_text(*bytes),
                    bytes_text(*limit)
                )?;
                match advice.is_empty() {
                    true => Ok(()),
                    false => write!(f, "; {advice}"),
                }
            }
            Exceeded::BadVariable(text) => {
                let shown: String = text.chars().take(40).collect();
                write!(
                    f,
                    "{VARIABLE} must be a whole number of MiB from {MIN_MIB} to {MAX_MIB}, got \"{}\"",
                    shown.escape_debug()
                )
            }
        }
    }
}

impl std::error::Error for Exceeded {}

/// 1234567 as "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in short words: "512 bytes", "4 KiB", "1.5 MiB", "2 GiB", "3.2 TiB".
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} bytes"),
        _ if value.fract() == 0.0 || value >= 100.0 => format!("{value:.0} {}", UNITS[unit]),
        _ => format!("{:.1} {}", value, UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_names_its_factors_and_saturates() {
        let need = Need::new("the tables", &[(36_501, "observed dates"), (18, "metrics")], 4096);
        assert_eq!(need.product(), "36,501 observed dates × 18 metrics × 4 KiB");
        assert_eq!(need.bytes(), 36_501 * 18 * 4096);
        assert_eq!(Need::new("x", &[(1000, "bytes")], 8).product(), "1,000 bytes × 8");
        let huge = Need::new("x", &[(u64::MAX, "a"), (2, "b")], 1);
        assert_eq!(huge.bytes(), u64::MAX);
        assert_eq!(huge.product(), "18,446,744,073,709,551,615 a × 2 b");
    }

    #[test]
    fn sizes_in_words() {
        assert_eq!(bytes_text(512), "512 bytes");
        assert_eq!(bytes_text(4096), "4 KiB");
        assert_eq!(bytes_text(3 << 29), "1.5 GiB");
        assert_eq!(bytes_text(2 << 30), "2 GiB");
        assert_eq!(bytes_text(u64::MAX), "16777216 TiB");
    }

    #[test]
    fn the_variable_takes_whole_mib_within_bounds() {
        assert_eq!(parse_mib(" 4096 "), Some(4096));
        assert_eq!(parse_mib("63"), None);
        assert_eq!(parse_mib("2GiB"), None);
        assert_eq!(parse_mib(&(MAX_MIB + 1).to_string()), None);
    }

    #[test]
    fn an_overrun_says_what_how_much_and_how_to_change_it() {
        let error = Exceeded::Over {
            what: "the observed file's per-day tables".to_string(),
            product: "36,501 observed dates × 18 metrics".to_string(),
            bytes: 5 << 30,
            limit: 2 << 30,
            advice: "observe fewer dates".to_string(),
        };
        let text = error.to_string();
        assert!(text.contains("about 5 GiB"), "{text}");
        assert!(text.contains("36,501 observed dates × 18 metrics"), "{text}");
        assert!(text.contains("memory budget of 2 GiB"), "{text}");
        assert!(text.contains(VARIABLE), "{text}");
        assert!(text.ends_with("; observe fewer dates"), "{text}");
    }
}
