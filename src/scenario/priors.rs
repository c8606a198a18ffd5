//! Priors in a scenario: a top-level `priors = "FILE"` names a file written
//! by `forcegen calibrate` (relative to the scenario's folder), and an input
//! may then be `"prior(GROUP.FIELD)"`:
//!
//! - `prior(GROUP.honour)`: the Beta posterior of the honour probability;
//!   in `probability` (a plain probability) its mean;
//! - `prior(GROUP.fulfilment)`: the fulfilment beta (a share);
//! - `prior(GROUP.delay)`: the delay in days, as "A to B".
//!
//! The file is read like every other: a regular file (a symbolic link is
//! refused), at most [`MAX_PRIORS_BYTES`]. A scenario without `priors` reads
//! no file and is unchanged. docs/calibration.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::error::line_column;
use super::{Dist, ValueKind};
use crate::readback::{read_regular_file, size_text};

/// Largest priors file read (1 MiB).
pub const MAX_PRIORS_BYTES: u64 = 1 << 20;
/// The fields of a group in a priors file.
pub const PRIOR_FIELDS: [&str; 3] = ["honour", "fulfilment", "delay"];

/// A value a scenario took from a priors file, for `explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorUse {
    /// The scenario field (`contributors.Benin.probability`).
    pub field: String,
    /// `GROUP.FIELD`.
    pub prior: String,
    /// The priors file, as found from the scenario.
    pub file: String,
    /// What the field became (`beta(3, 5)`, or a probability's mean).
    pub value: String,
}

/// A priors file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Priors {
    /// Its path, as found from the scenario's folder.
    pub file: String,
    /// Group, then field, to the distribution and its text.
    groups: BTreeMap<String, BTreeMap<String, (Dist, String)>>,
}

/// `GROUP.FIELD` of a string `prior(GROUP.FIELD)`, if it is one.
pub fn reference(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("prior(")?.strip_suffix(')')?;
    Some(inner.trim())
}

/// Where `name` (from `priors = "..."`) is, seen from the scenario `file`.
pub fn locate(scenario_file: &str, name: &str) -> PathBuf {
    let folder = Path::new(scenario_file).parent().unwrap_or(Path::new(""));
    folder.join(name)
}

impl Priors {
    /// Reads the priors file at `path`; the error says what is wrong.
    pub fn read(path: &Path) -> Result<Priors, String> {
        let file = path.display().to_string();
        let meta = std::fs::symlink_metadata(path).map_err(|e| format!("cannot read the priors file {file}: {e}"))?;
        if meta.file_type().is_symlink() {
            return Err(format!(
                "the priors file {file} is a symbolic link; name the file it points to (a link is never followed)"
            ));
        }
        let bytes = read_regular_file(path, MAX_PRIORS_BYTES).map_err(|e| {
            format!(
                "cannot read the priors file {file} (at most {}): {e}",
                size_text(MAX_PRIORS_BYTES)
            )
        })?;
        let text = String::from_utf8(bytes).map_err(|_| format!("the priors file {file} is not UTF-8 text"))?;
        Priors::parse(&text, &file)
    }

    /// Parses a priors file's text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Priors, String> {
        let at = |offset: usize| {
            let (line, column) = line_column(text, offset);
            format!("{file}:{line}:{column}")
        };
        let root = DeTable::parse(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            format!(
                "{}: the priors file is not valid TOML: {}",
                at(offset),
                e.message().trim()
            )
        })?;
        let mut groups = BTreeMap::new();
        for (key, value) in root.get_ref().iter() {
            let group = key.get_ref().to_string();
            let DeValue::Table(table) = value.get_ref() else {
                return Err(format!(
                    "{}: `{group}` must be a table ([{group}]) of priors",
                    at(key.span().start)
                ));
            };
            let mut fields = BTreeMap::new();
            for (name, value) in table.iter() {
                let name = name.get_ref().to_string();
                if !PRIOR_FIELDS.contains(&name.as_str()) {
                    continue; // records, censored: notes for people
                }
                let DeValue::String(text) = value.get_ref() else {
                    return Err(format!(
                        "{}: `{group}.{name}` must be a distribution string",
                        at(value.span().start)
                    ));
                };
                let dist =
                    Dist::parse(text).map_err(|e| format!("{}: `{group}.{name}`: {e}", at(value.span().start)))?;
                fields.insert(name, (dist, text.to_string()));
            }
            groups.insert(group, fields);
        }
        Ok(Priors {
            file: file.to_string(),
            groups,
        })
    }

    /// The distribution `GROUP.FIELD` names, checked against the field it is
    /// used in (`kind`; `None` for a plain probability); the error says what
    /// the file holds.
    pub fn lookup(&self, reference: &str, kind: Option<ValueKind>) -> Result<(&Dist, &str), String> {
        let Some((group, field)) = reference.rsplit_once('.') else {
            return Err(format!(
                "\"prior({reference})\" must name GROUP.FIELD, a FIELD being one of {}",
                PRIOR_FIELDS.join(", ")
            ));
        };
        let Some(fields) = self.groups.get(group) else {
            let known: Vec<&str> = self.groups.keys().map(String::as_str).collect();
            return Err(format!(
                "no group \"{group}\" in the priors file {} (its groups: {})",
                self.file,
                known.join(", ")
            ));
        };
        check_kind(field, kind)?;
        fields.get(field).map(|(d, t)| (d, t.as_str())).ok_or_else(|| {
            let known: Vec<&str> = fields.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            format!(
                "the group \"{group}\" of the priors file {} has no `{field}` (it has: {known}; a prior that could \
                 not be fitted is left out)",
                self.file
            )
        })
    }
}

/// Which prior fields suit which inputs: a probability takes `honour`, a
/// share `honour` or `fulfilment`, a number of days `delay`.
fn check_kind(field: &str, kind: Option<ValueKind>) -> Result<(), String> {
    let allowed: &[&str] = match kind {
        None => &["honour"],
        Some(ValueKind::Fraction) => &["honour", "fulfilment"],
        Some(ValueKind::Day) => &["delay"],
        Some(_) => &[],
    };
    if allowed.contains(&field) {
        return Ok(());
    }
    if !PRIOR_FIELDS.contains(&field) {
        return Err(format!(
            "unknown prior field `{field}`; the fields are {}",
            PRIOR_FIELDS.join(", ")
        ));
    }
    if allowed.is_empty() {
        return Err("this field cannot take a prior (priors are for probabilities, shares and days)".to_string());
    }
    Err(format!(
        "a `{field}` prior does not suit this field; it takes {}",
        allowed.join(" or ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "[all]\nrecords = 3\nhonour = \"beta(2, 3)\"\ndelay = \"30 to 300\"\n\n[\"a/b\"]\nfulfilment = \"beta(4, 1)\"\n";

    #[test]
    fn names_resolve_and_errors_say_what_exists() {
        let p = Priors::parse(FILE, "p.toml").unwrap();
        assert_eq!(reference(" prior(all.honour) "), Some("all.honour"));
        assert_eq!(reference("beta(1, 2)"), None);
        assert_eq!(p.lookup("all.honour", None).unwrap().1, "beta(2, 3)");
        assert_eq!(
            p.lookup("a/b.fulfilment", Some(ValueKind::Fraction)).unwrap().1,
            "beta(4, 1)"
        );
        let e = p.lookup("africa.honour", None).unwrap_err();
        assert!(
            e.contains("no group \"africa\"") && e.contains("its groups: a/b, all"),
            "{e}"
        );
        let e = p.lookup("all.fulfilment", Some(ValueKind::Fraction)).unwrap_err();
        assert!(e.contains("has no `fulfilment` (it has: delay, honour"), "{e}");
        let e = p.lookup("all.delay", None).unwrap_err();
        assert!(e.contains("does not suit this field; it takes honour"), "{e}");
        let e = p.lookup("all.speed", None).unwrap_err();
        assert!(e.contains("unknown prior field `speed`"), "{e}");
        assert!(p.lookup("all", None).is_err());
    }

    #[test]
    fn bad_files_are_named_with_their_line() {
        let e = Priors::parse("[all]\nhonour = \"beta(0, 1)\"\n", "p.toml").unwrap_err();
        assert!(
            e.starts_with("p.toml:2:10: `all.honour`: beta(alpha, beta) needs"),
            "{e}"
        );
        let e = Priors::parse("[all\n", "p.toml").unwrap_err();
        assert!(e.starts_with("p.toml:1:"), "{e}");
        assert_eq!(locate("scenarios/x.toml", "p.toml"), Path::new("scenarios/p.toml"));
        assert_eq!(locate("x.toml", "p.toml"), Path::new("p.toml"));
    }
}
