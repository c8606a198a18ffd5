//! Priors in a scenario: a top-level `priors = "FILE"` names a file written
//! by `forcegen calibrate` (relative to the scenario's folder), and an input
//! may then be `"prior(GROUP.FIELD)"`:
//!
//! - `prior(GROUP.honour)`: the Beta posterior of the honour probability;
//!   in `probability` (a plain probability) its mean;
//! - `prior(GROUP.fulfilment)`: the fulfilment beta (a share);
//! - `prior(GROUP.delay)`: the delay in days (a lognormal).
//!
//! An age-aware prior names the day of the pledge, for one already made and
//! not arrived at the scenario's start (`a` days old):
//! `prior(GROUP.honour, pledged = 2024-02-26)` is the probability it is
//! honoured given that nobody came in `a` days, `p S(a) / (1 - p + p S(a))`
//! (`p` the honour's mean, `S` the survival of the group's delay), and
//! `prior(GROUP.delay, pledged = 2024-02-26)` the rest of the delay given
//! that it is longer than `a`, counted from the start.
//!
//! The file is read like every other: a regular file (a symbolic link is
//! refused), at most [`MAX_PRIORS_BYTES`]. A scenario without `priors` reads
//! no file and is unchanged. docs/calibration.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use toml::de::{DeTable, DeValue};

use super::dist::lognormal_survival;
use super::error::line_column;
use super::{Dist, ValueKind, range_params};
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
    /// The records the prior's group was fitted to (its `records`), if given.
    pub records: Option<u64>,
}

/// A priors file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Priors {
    /// Its path, as found from the scenario's folder.
    pub file: String,
    /// The SHA-256 of its bytes (in the scenario's fingerprint).
    pub sha256: String,
    /// Group, then field, to the distribution and its text.
    groups: BTreeMap<String, BTreeMap<String, (Dist, String)>>,
    /// Group to its `records`, where the file gives it.
    records: BTreeMap<String, u64>,
}

/// A `prior(...)` reference: `GROUP.FIELD` and, for an age-aware prior,
/// the day of the pledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorRef<'t> {
    pub name: &'t str,
    pub pledged: Option<NaiveDate>,
}

/// What may follow the name in `prior(GROUP.FIELD, ...)`.
const PLEDGED_HELP: &str = "after GROUP.FIELD only `pledged = YYYY-MM-DD` (the day of the pledge) may follow";

/// Reads the inside of `prior(...)`: `GROUP.FIELD` or
/// `GROUP.FIELD, pledged = YYYY-MM-DD`.
pub fn parse_reference(inner: &str) -> Result<PriorRef<'_>, String> {
    let Some((name, rest)) = inner.split_once(',') else {
        return Ok(PriorRef {
            name: inner.trim(),
            pledged: None,
        });
    };
    let Some((key, value)) = rest.split_once('=') else {
        return Err(format!("{PLEDGED_HELP}, got \"{}\"", cut(rest.trim())));
    };
    if key.trim() != "pledged" {
        return Err(format!("{PLEDGED_HELP}, got `{}`", cut(key.trim())));
    }
    let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        format!(
            "pledged = \"{}\" is not a date; write it as 2024-02-26",
            cut(value.trim())
        )
    })?;
    Ok(PriorRef {
        name: name.trim(),
        pledged: Some(date),
    })
}

/// At most 60 characters of a bad value, for a message.
fn cut(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
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
        let mut records = BTreeMap::new();
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
                if name == "records"
                    && let DeValue::Integer(n) = value.get_ref()
                    && let Ok(n) = n.as_str().parse::<u64>()
                {
                    records.insert(group.clone(), n);
                }
                if !PRIOR_FIELDS.contains(&name.as_str()) {
                    continue; // records, censored: notes for people
                }
                let DeValue::String(text) = value.get_ref() else {
                    return Err(format!(
                        "{}: `{group}.{name}` must be a distribution string",
                        at(value.span().start)
                    ));
                };
                let dist = Dist::parse(text)
                    .and_then(|d| suits(&name, &d, text).map(|()| d))
                    .map_err(|e| format!("{}: `{group}.{name}`: {e}", at(value.span().start)))?;
                fields.insert(name, (dist, text.to_string()));
            }
            groups.insert(group, fields);
        }
        Ok(Priors {
            file: file.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            groups,
            records,
        })
    }

    /// The distribution `reference` names, checked against the field it is
    /// used in (`kind`; `None` for a plain probability), made age-aware when
    /// it gives `pledged` (`start`: the scenario's start); with its text for
    /// `explain`. The error says what the file holds.
    pub fn lookup(
        &self,
        reference: PriorRef,
        kind: Option<ValueKind>,
        start: NaiveDate,
    ) -> Result<(Dist, String), String> {
        let name = reference.name;
        let Some((group, field)) = name.rsplit_once('.') else {
            return Err(format!(
                "\"prior({name})\" must name GROUP.FIELD, a FIELD being one of {}",
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
        let (dist, text) = fields.get(field).ok_or_else(|| self.missing(group, field, fields))?;
        match reference.pledged {
            None => Ok((dist.clone(), text.clone())),
            Some(pledged) => self.aged(group, field, fields, (dist, text), kind, (pledged, start)),
        }
    }

    /// The records of `group`, where the file gives them.
    pub fn records(&self, group: &str) -> Option<u64> {
        self.records.get(group).copied()
    }

    fn missing(&self, group: &str, field: &str, fields: &BTreeMap<String, (Dist, String)>) -> String {
        let known: Vec<&str> = fields.keys().map(String::as_str).collect();
        let known = if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        };
        format!(
            "the group \"{group}\" of the priors file {} has no `{field}` (it has: {known}; a prior that could not be \
             fitted is left out)",
            self.file
        )
    }

    /// The age-aware prior of `field` for a pledge made on `pledged` and not
    /// arrived at `start`.
    fn aged(
        &self,
        group: &str,
        field: &str,
        fields: &BTreeMap<String, (Dist, String)>,
        (dist, text): (&Dist, &str),
        kind: Option<ValueKind>,
        (pledged, start): (NaiveDate, NaiveDate),
    ) -> Result<(Dist, String), String> {
        let age = (start - pledged).num_days();
        if age < 0 {
            return Err(format!(
                "pledged = {pledged} is after the scenario's start {start}: an age-aware prior is for a pledge made \
                 by the start"
            ));
        }
        if field == "fulfilment" || kind == Some(ValueKind::Fraction) {
            return Err(format!(
                "`pledged =` makes an age-aware honour probability (in `probability`) or delay; the `{field}` of a \
                 share does not depend on the pledge's age: write prior({group}.{field})"
            ));
        }
        let (mu, sigma) = match fields.get("delay").map(|(d, _)| d) {
            Some(Dist::LogNormal { mu, sigma }) => (*mu, *sigma),
            Some(Dist::Range { p5, p95 }) => range_params(*p5, *p95),
            _ => {
                return Err(format!(
                    "an age-aware prior needs the group's delay as a lognormal or \"A to B\"; the group \"{group}\" \
                     of the priors file {} has none",
                    self.file
                ));
            }
        };
        let a = age as f64;
        let survival = lognormal_survival(mu, sigma, a);
        if survival < 1e-300 {
            return Err(format!(
                "the pledge is {age} days old at the start and the group's delay gives it no chance of arriving \
                 later (survival below 1e-300)"
            ));
        }
        if field == "delay" {
            let what = format!("{text} given more than {age} days, less those {age} days (pledged {pledged})");
            let remaining = match age {
                0 => Dist::LogNormal { mu, sigma },
                _ => Dist::Remaining { mu, sigma, after: a },
            };
            return Ok((remaining, what));
        }
        let p = dist.mean();
        let honoured = p * survival / (1.0 - p + p * survival);
        let what = format!(
            "p S(a) / (1 - p + p S(a)) with p = {p:.4} (the mean of {text}), a = {age} days (pledged {pledged}), \
             S(a) = {survival:.4}"
        );
        Ok((Dist::Constant(honoured), what))
    }
}

/// Whether the distribution `text` can fill the prior field `field`: an
/// honour or a fulfilment lies within 0 to 1, a delay at 0 or above.
fn suits(field: &str, dist: &Dist, text: &str) -> Result<(), String> {
    let (low, high) = support(dist);
    let (ok, allowed) = match field {
        "delay" => (
            low >= 0.0,
            "a number of days at 0 or above (lognormal, \"A to B\", gamma, exponential, or a \
                                 number, uniform, triangular or pert from 0 up)",
        ),
        _ => (
            low >= 0.0 && high <= 1.0,
            "a probability or share within 0 to 1 (beta, or a number, uniform, \
                                           triangular or pert within 0 to 1)",
        ),
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "\"{}\" can fall outside what a `{field}` prior allows: {allowed}",
        cut(text.trim())
    ))
}

/// The lowest and highest values `dist` can take.
fn support(dist: &Dist) -> (f64, f64) {
    match *dist {
        Dist::Constant(v) => (v, v),
        Dist::Uniform { low, high } => (low, high),
        Dist::Triangular { min, max, .. } | Dist::Pert { min, max, .. } => (min, max),
        Dist::Beta { .. } => (0.0, 1.0),
        Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
        Dist::LogNormal { .. }
        | Dist::Gamma { .. }
        | Dist::Exponential { .. }
        | Dist::Range { .. }
        | Dist::Remaining { .. } => (0.0, f64::INFINITY),
    }
}

/// The warnings of the priors a scenario uses: one per field whose prior
/// was fitted to a single record (a prior from one record says almost
/// nothing, whatever its interval).
pub fn warnings(uses: &[PriorUse]) -> Vec<(String, String)> {
    uses.iter()
        .filter(|u| u.records == Some(1))
        .map(|u| {
            let message = format!(
                "prior({}) of {} was fitted to one record: it says little more than the flat prior; prefer a larger \
                 group (e.g. \"all\")",
                u.prior, u.file
            );
            (u.field.clone(), message)
        })
        .collect()
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

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn plain(name: &str) -> PriorRef<'_> {
        PriorRef { name, pledged: None }
    }

    const START: &str = "2024-09-30";

    #[test]
    fn names_resolve_and_errors_say_what_exists() {
        let p = Priors::parse(FILE, "p.toml").unwrap();
        let start = date(START);
        assert_eq!(reference(" prior(all.honour) "), Some("all.honour"));
        assert_eq!(reference("beta(1, 2)"), None);
        assert_eq!(p.lookup(plain("all.honour"), None, start).unwrap().1, "beta(2, 3)");
        assert_eq!(p.records("all"), Some(3));
        assert_eq!(p.records("a/b"), None);
        let fraction = Some(ValueKind::Fraction);
        assert_eq!(
            p.lookup(plain("a/b.fulfilment"), fraction, start).unwrap().1,
            "beta(4, 1)"
        );
        let e = p.lookup(plain("africa.honour"), None, start).unwrap_err();
        assert!(
            e.contains("no group \"africa\"") && e.contains("its groups: a/b, all"),
            "{e}"
        );
        let e = p.lookup(plain("all.fulfilment"), fraction, start).unwrap_err();
        assert!(e.contains("has no `fulfilment` (it has: delay, honour"), "{e}");
        let e = p.lookup(plain("all.delay"), None, start).unwrap_err();
        assert!(e.contains("does not suit this field; it takes honour"), "{e}");
        let e = p.lookup(plain("all.speed"), None, start).unwrap_err();
        assert!(e.contains("unknown prior field `speed`"), "{e}");
        assert!(p.lookup(plain("all"), None, start).is_err());
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

    #[test]
    fn a_prior_must_suit_the_field_it_fills() {
        for (text, bad) in [
            ("honour = \"uniform(5, 7)\"", true),
            ("honour = \"normal(-3, 1)\"", true),
            ("honour = \"1.5\"", true),
            ("fulfilment = \"lognormal(0, 1)\"", true),
            ("delay = \"normal(100, 10)\"", true),
            ("delay = \"uniform(-5, 10)\"", true),
            ("honour = \"uniform(0.2, 0.9)\"", false),
            ("fulfilment = \"pert(0, 0.5, 1)\"", false),
            ("delay = \"gamma(2, 30)\"", false),
            ("delay = \"lognormal(5, 1)\"", false),
        ] {
            let got = Priors::parse(&format!("[all]\n{text}\n"), "p.toml");
            assert_eq!(got.is_err(), bad, "{text}: {got:?}");
            if let Err(e) = got {
                assert!(
                    e.starts_with("p.toml:2:") && e.contains("can fall outside what a"),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn age_aware_references_are_read() {
        let r = parse_reference("all.honour, pledged = 2024-02-26").unwrap();
        assert_eq!((r.name, r.pledged), ("all.honour", Some(date("2024-02-26"))));
        assert_eq!(parse_reference(" all.delay ").unwrap().pledged, None);
        assert!(
            parse_reference("all.delay, age = 3")
                .unwrap_err()
                .contains("only `pledged = YYYY-MM-DD`")
        );
        assert!(
            parse_reference("all.delay, pledged = 2024-02-30")
                .unwrap_err()
                .contains("is not a date")
        );
        assert!(parse_reference("all.delay, 5").is_err());
    }

    #[test]
    fn an_age_aware_honour_is_the_closed_form_conditional() {
        // p = 0.6 (beta(3, 2)); delay lognormal(5, 1); a = 214 days.
        let p = Priors::parse("[g]\nhonour = \"beta(3, 2)\"\ndelay = \"lognormal(5, 1)\"\n", "p.toml").unwrap();
        let aged = PriorRef {
            name: "g.honour",
            pledged: Some(date("2024-02-29")),
        };
        let (dist, text) = p.lookup(aged, None, date(START)).unwrap();
        let a: f64 = 214.0;
        let s = 0.5 * statrs::function::erf::erfc((a.ln() - 5.0) / 1.0 / std::f64::consts::SQRT_2);
        let expected = 0.6 * s / (1.0 - 0.6 + 0.6 * s);
        assert!((dist.mean() - expected).abs() < 1e-12, "{dist:?} vs {expected}");
        assert!(text.contains("a = 214 days"), "{text}");
        // Pledged on the start day: the plain mean. After it: refused.
        let today = PriorRef {
            name: "g.honour",
            pledged: Some(date(START)),
        };
        assert!((p.lookup(today, None, date(START)).unwrap().0.mean() - 0.6).abs() < 1e-12);
        let later = PriorRef {
            name: "g.honour",
            pledged: Some(date("2024-10-01")),
        };
        assert!(
            p.lookup(later, None, date(START))
                .unwrap_err()
                .contains("is after the scenario's start")
        );
        let share = PriorRef {
            name: "g.honour",
            pledged: Some(date("2024-01-01")),
        };
        let e = p.lookup(share, Some(ValueKind::Fraction), date(START)).unwrap_err();
        assert!(e.contains("does not depend on the pledge's age"), "{e}");
    }

    #[test]
    fn an_age_aware_delay_is_the_rest_of_the_delay() {
        let p = Priors::parse(
            "[g]\ndelay = \"lognormal(5, 1)\"\n[h]\nhonour = \"beta(1, 1)\"\n",
            "p.toml",
        )
        .unwrap();
        let aged = PriorRef {
            name: "g.delay",
            pledged: Some(date("2024-02-29")),
        };
        let (dist, _) = p.lookup(aged, Some(ValueKind::Day), date(START)).unwrap();
        assert_eq!(
            dist,
            Dist::Remaining {
                mu: 5.0,
                sigma: 1.0,
                after: 214.0
            }
        );
        let no_delay = PriorRef {
            name: "h.honour",
            pledged: Some(date("2024-02-29")),
        };
        assert!(
            p.lookup(no_delay, None, date(START))
                .unwrap_err()
                .contains("needs the group's delay")
        );
    }

    #[test]
    fn a_prior_from_one_record_is_warned_of() {
        let used = |records| PriorUse {
            field: "contributors.K.probability".into(),
            prior: "asia.honour".into(),
            file: "p.toml".into(),
            value: "0.33".into(),
            records,
        };
        let w = warnings(&[used(Some(1)), used(Some(2)), used(None)]);
        assert_eq!(w.len(), 1);
        assert!(w[0].1.contains("fitted to one record"), "{w:?}");
    }
}
