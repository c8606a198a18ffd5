//! The typed getters of the scenario reader: each reads one key of a
//! table, and a value of the wrong type or out of range becomes a problem
//! with its line, column, field and what is allowed (the reader goes on, so
//! that every problem is reported at once).

use std::collections::HashSet;
use std::ops::Range;

use chrono::NaiveDate;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::dates;
use super::error::{LineIndex, Problem};
use super::limits::{MAX_COUNT, MAX_HORIZON_DAYS, MAX_NAME_CHARS};
use super::priors::{PriorUse, Priors, parse_reference, reference};
use super::shown::{cut, number, quoted};
use super::{Dist, FORMS_HELP, Input, MAX_AMOUNT, ValueKind};

pub(crate) type Value<'a> = Spanned<DeValue<'a>>;

/// A table with its span and dotted path, for messages.
pub(crate) struct Tbl<'b, 'a> {
    pub(crate) table: &'b DeTable<'a>,
    pub(crate) span: Range<usize>,
    pub(crate) path: String,
}

impl<'b, 'a> Tbl<'b, 'a> {
    pub(crate) fn get(&self, key: &str) -> Option<&'b Value<'a>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    pub(crate) fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

/// Names written in a list, each with its span, waiting to be resolved.
pub(crate) struct Names {
    pub(crate) owner: usize,
    pub(crate) field: String,
    pub(crate) names: Vec<(String, Range<usize>)>,
}

pub(crate) struct Reader<'t> {
    pub(crate) text: &'t str,
    pub(crate) problems: Vec<Problem>,
    /// Number of report days, once `[simulation]` is read (for [`MAX_CSV_ROWS`]).
    pub(crate) report_days: Option<u64>,
    /// `simulation.horizon_days`, once read.
    pub(crate) horizon: Option<u32>,
    /// Arrivals per trial so far (for [`MAX_ARRIVALS`]).
    pub(crate) arrivals: u64,
    pub(crate) arrivals_reported: bool,
    /// The most host police a trial can have so far (for [`MAX_HEAD_COUNT`](super::limits::MAX_HEAD_COUNT)).
    pub(crate) host_most: u64,
    /// The most people all contributors together can have so far.
    pub(crate) international_most: u64,
    pub(crate) head_counts_reported: bool,
    /// Per capability (by index): the most all contributors together can
    /// bring so far, and whether passing [`MAX_HEAD_COUNT`](super::limits::MAX_HEAD_COUNT) was reported.
    pub(crate) capability_most: Vec<(u64, bool)>,
    /// Events named but left out for a problem already reported (a bad
    /// `day` or `effect`): a pledge waiting on one raises no second error.
    pub(crate) broken_events: Vec<String>,
    /// A `ceiling` was given but refused (already reported): a target on
    /// a share of the ceiling raises no second error.
    pub(crate) ceiling_refused: bool,
    /// Where each line starts, made at the first problem.
    pub(crate) lines: Option<LineIndex>,
    /// The scenario's `priors` file: `None` without one, `Some(Err(()))`
    /// when it could not be read (already reported).
    pub(crate) priors: Option<Result<Priors, ()>>,
    /// The values taken from it.
    pub(crate) prior_uses: Vec<PriorUse>,
    /// `simulation.start`, once read (an age-aware prior counts from it).
    pub(crate) start: Option<NaiveDate>,
    /// The contributors each shock names, resolved once all are read.
    pub(crate) shock_names: Vec<Names>,
    /// Each contributor's `requires`, resolved once all are read.
    pub(crate) requires: Vec<Names>,
    /// Contributors read so far.
    pub(crate) contributors_read: usize,
}

impl Reader<'_> {
    pub(crate) fn problem(&mut self, span: Range<usize>, field: &str, message: String) {
        let text = self.text;
        let (line, column) = self
            .lines
            .get_or_insert_with(|| LineIndex::new(text))
            .line_column(text, span.start);
        self.problems.push(Problem {
            line,
            column,
            field: field.to_string(),
            message,
        });
    }

    /// Reports keys of `t` that are not in `allowed`, suggesting the closest.
    pub(crate) fn check_keys(&mut self, t: &Tbl, allowed: &[&str]) {
        for (key, _) in t.table.iter() {
            let name = key.get_ref().as_ref();
            if allowed.contains(&name) {
                continue;
            }
            let suggestion = allowed
                .iter()
                .map(|a| (strsim::jaro_winkler(a, name), *a))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, a)| format!("; did you mean `{a}`?"))
                .unwrap_or_default();
            let message = format!(
                "unknown key `{}`{suggestion} (allowed here: {})",
                cut(name),
                allowed.join(", ")
            );
            self.problem(key.span(), &t.field(&cut(name)), message);
        }
    }

    /// Counts `more` arrivals per trial for the entry `t`, and reports the
    pub(crate) fn missing(&mut self, t: &Tbl, key: &str, what: &str) {
        self.problem(t.span.clone(), &t.field(key), format!("is required: {what}"));
    }

    pub(crate) fn sub_table<'b, 'a>(&mut self, parent: &Tbl<'b, 'a>, key: &str) -> Option<Tbl<'b, 'a>> {
        let value = parent.get(key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some(Tbl {
                table,
                span: value.span(),
                path: parent.field(key),
            }),
            other => {
                let message = format!("must be a table ([{}]), found {}", parent.field(key), other.type_str());
                self.problem(value.span(), &parent.field(key), message);
                None
            }
        }
    }

    /// The tables of an array of tables (`[[key]]`); each gets a path from `label`.
    pub(crate) fn table_array<'b, 'a>(&mut self, parent: &Tbl<'b, 'a>, key: &str) -> Vec<Tbl<'b, 'a>> {
        let Some(value) = parent.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!(
                "must be an array of tables ([[{}]]), found {}",
                parent.field(key),
                value.get_ref().type_str()
            );
            self.problem(value.span(), &parent.field(key), message);
            return Vec::new();
        };
        let mut tables = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(table) => tables.push(Tbl {
                    table,
                    span: item.span(),
                    path: format!("{}.{}", parent.field(key), i + 1),
                }),
                other => {
                    let message = format!("each entry must be a table, found {}", other.type_str());
                    self.problem(item.span(), &parent.field(key), message);
                }
            }
        }
        tables
    }

    pub(crate) fn string(&mut self, t: &Tbl, key: &str) -> Option<String> {
        let value = t.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.problem(
                    value.span(),
                    &t.field(key),
                    format!("must be a string, found {}", other.type_str()),
                );
                None
            }
        }
    }

    /// A plain number (integer or float); `None` if absent or wrong.
    pub(crate) fn number(&mut self, t: &Tbl, key: &str) -> Option<f64> {
        let value = t.get(key)?;
        match to_number(value.get_ref()) {
            Some(v) if v.is_finite() => Some(v),
            Some(_) => {
                self.problem(value.span(), &t.field(key), "must be a finite number".to_string());
                None
            }
            None => {
                let hint = if value.get_ref().is_str() {
                    " (this field takes a plain number, not a distribution)"
                } else {
                    ""
                };
                let message = format!("must be a number, found {}{hint}", value.get_ref().type_str());
                self.problem(value.span(), &t.field(key), message);
                None
            }
        }
    }

    /// A plain number within `[min, max]`, rounded when `whole`.
    pub(crate) fn bounded(&mut self, t: &Tbl, key: &str, min: f64, max: f64, whole: bool, what: &str) -> Option<f64> {
        let v = self.number(t, key)?;
        let v = if whole { v.round() } else { v };
        if v < min || v > max {
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            // As written in the file (18446744073709551616, 1e308), not as a
            // float prints it.
            let written = self
                .text
                .get(span.clone())
                .map_or_else(|| fmt_num(v), |text| cut(text.trim()));
            self.problem(span, &t.field(key), format!("{what}, got {written}"));
            return None;
        }
        Some(v)
    }

    pub(crate) fn probability(&mut self, t: &Tbl, key: &str) -> f64 {
        if let Some(value) = t.get(key)
            && let DeValue::String(text) = value.get_ref()
            && let Some(name) = reference(text)
        {
            // A Beta posterior's mean: within [0, 1].
            return self
                .prior(value.span(), &t.field(key), name, None)
                .map_or(1.0, |d| d.mean());
        }
        self.bounded(t, key, 0.0, 1.0, false, "must be a probability between 0 and 1")
            .unwrap_or(1.0)
    }

    pub(crate) fn count(&mut self, t: &Tbl, key: &str) -> u64 {
        let what = format!("must be a whole number of people between 0 and {}", fmt_num(MAX_COUNT));
        self.bounded(t, key, 0.0, MAX_COUNT, true, &what).unwrap_or(0.0) as u64
    }

    /// A day number or a date (days from `simulation.start`), as a plain value.
    pub(crate) fn plain_day(&mut self, t: &Tbl, key: &str, dates: Dates) -> Option<u32> {
        let value = t.get(key)?;
        if is_date(value) {
            let date = self.date_field(t, key)?;
            // Day 0 stands in when the start is invalid (see `uncertain`).
            return Some(dates.day_of(date).unwrap_or(0));
        }
        let what = format!(
            "must be a day number >= 0 (or a date, {}), at most {MAX_HORIZON_DAYS}",
            dates::FORM
        );
        self.bounded(t, key, 0.0, f64::from(MAX_HORIZON_DAYS), true, &what)
            .map(|v| v as u32)
    }

    /// The date in `key`: a TOML date (`2024-09-30`) or the same as text
    /// (`"2024-09-30"`), in the one grammar of [`dates`]; anything else is a
    /// problem whose message shows the right form.
    pub(crate) fn date_field(&mut self, t: &Tbl, key: &str) -> Option<NaiveDate> {
        let value = t.get(key)?;
        let field = t.field(key);
        let read = match value.get_ref() {
            DeValue::Datetime(dt) => return self.date_value(value, &field, dt),
            DeValue::String(text) => dates::parse(text).map_err(|e| format!("must be a date: {e}")),
            other => Err(format!(
                "must be a date ({}, quotes optional), found {}; {}",
                dates::FORM,
                other.type_str(),
                dates::form_help(None)
            )),
        };
        read.map_err(|message| self.problem(value.span(), &field, message)).ok()
    }

    pub(crate) fn date_value(&mut self, value: &Value, field: &str, dt: &toml::value::Datetime) -> Option<NaiveDate> {
        let date = match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day)),
            _ => None,
        };
        if date.is_none() {
            self.problem(
                value.span(),
                field,
                format!("must be a date without a time, found {dt}; {}", dates::form_help(None)),
            );
        }
        date
    }

    /// An uncertain value: a number, a distribution string, or (for days) a date.
    pub(crate) fn uncertain(&mut self, t: &Tbl, key: &str, path: &str, kind: ValueKind, dates: Dates) -> Option<Input> {
        let value = t.get(key)?;
        let field = t.field(key);
        let dist = match value.get_ref() {
            DeValue::String(s) if kind == ValueKind::Day && dates.allowed() && dates::looks_like_date(s) => {
                let date = self.date_field(t, key)?;
                Dist::Constant(f64::from(dates.day_of(date).unwrap_or(0)))
            }
            DeValue::String(s) if kind == ValueKind::Day && dates::looks_like_date(s) => {
                let message =
                    format!("is a number of days (a duration, e.g. 30 or \"30 to 90\"), not a date; found `{s}`");
                self.problem(value.span(), &field, message);
                return None;
            }
            DeValue::String(s) if reference(s).is_some() => {
                self.prior(value.span(), &field, reference(s).unwrap_or_default(), Some(kind))?
            }
            DeValue::String(s) => match Dist::parse(s) {
                Ok(d) => d,
                Err(message) => {
                    self.problem(value.span(), &field, message);
                    return None;
                }
            },
            DeValue::Datetime(dt) if kind == ValueKind::Day && dates.allowed() => {
                let date = self.date_value(value, &field, dt)?;
                // With no valid start (already reported) the scenario is not
                // built: day 0 only stands in, so that nothing else complains.
                Dist::Constant(f64::from(dates.day_of(date).unwrap_or(0)))
            }
            other => match to_number(other) {
                Some(v) if v.is_finite() => Dist::Constant(v),
                _ => {
                    let dates = if kind == ValueKind::Day && dates.allowed() {
                        ", a date"
                    } else {
                        ""
                    };
                    let message = format!("must be {FORMS_HELP}{dates}; found {}", other.type_str());
                    self.problem(value.span(), &field, message);
                    return None;
                }
            },
        };
        if let Dist::Constant(v) = dist
            && let Some(rule) = constant_rule(kind, v)
        {
            self.problem(value.span(), &field, format!("{rule}, got {}", fmt_num(v)));
            return None;
        }
        Some(Input {
            path: path.to_string(),
            dist,
            kind,
        })
    }

    /// The distribution `prior(NAME)` gives the field `field` (of `kind`;
    /// `None` for a plain probability), recorded for `explain`; a problem
    /// if there is no priors file or no such prior.
    pub(crate) fn prior(
        &mut self,
        span: Range<usize>,
        field: &str,
        name: &str,
        kind: Option<ValueKind>,
    ) -> Option<Dist> {
        let found = match (&self.priors, self.start) {
            (None, _) => Err(
                "needs a priors file: add priors = \"FILE\" (written by forcegen calibrate) at the top of \
                         the scenario"
                    .to_string(),
            ),
            // The file could not be read, or the start is not valid: already reported.
            (Some(Err(())), _) | (_, None) => return None,
            (Some(Ok(priors)), Some(start)) => parse_reference(name).and_then(|reference| {
                let (dist, text) = priors.lookup(reference, kind, start)?;
                let group = reference.name.rsplit_once('.').map_or("", |(g, _)| g);
                Ok((dist, text, priors.file.clone(), priors.records(group)))
            }),
        };
        match found {
            Ok((dist, text, file, records)) => {
                let value = match (kind, name.contains(',')) {
                    (None, false) => format!("{:.4} (the mean of {text})", dist.mean()),
                    (None, true) => format!("{:.4} = {text}", dist.mean()),
                    (Some(_), _) => text,
                };
                self.prior_uses.push(PriorUse {
                    field: field.to_string(),
                    prior: name.to_string(),
                    file,
                    value,
                    records,
                });
                Some(dist)
            }
            Err(message) => {
                self.problem(span, field, format!("\"prior({name})\": {message}"));
                None
            }
        }
    }

    pub(crate) fn uncertain_or(&mut self, t: &Tbl, key: &str, kind: ValueKind, default: f64, dates: Dates) -> Input {
        let path = t.field(key);
        self.uncertain(t, key, &path, kind, dates)
            .unwrap_or_else(|| Input::constant(path, default, kind))
    }

    /// its unique name, which then names it in every message
    /// (`contributors.Kenya.pledged`), and its keys.
    pub(crate) fn named_entry(
        &mut self,
        t: &mut Tbl,
        seen: &mut HashSet<String>,
        what: &str,
        allowed: &[&str],
    ) -> Option<String> {
        let name = self.unique_name(t, seen, what);
        if let Some(name) = &name {
            // `contributors.3` becomes `contributors.Kenya`: the list's own
            // key (`funding.outside`, not the word for an entry), then the name.
            let list = t.path.rsplit_once('.').map_or(t.path.as_str(), |(list, _)| list);
            t.path = format!("{list}.{name}");
        }
        self.check_keys(t, allowed);
        name
    }

    /// A name (`key` of `t`): a string of at most [`MAX_NAME_CHARS`]
    /// characters. A longer one is reported, and kept, so that what refers
    /// to it raises no second error.
    pub(crate) fn name(&mut self, t: &Tbl, key: &str) -> Option<String> {
        let name = self.string(t, key)?;
        let length = name.chars().count();
        if length > MAX_NAME_CHARS {
            let span = t.get(key).map(|v| v.span()).unwrap_or(t.span.clone());
            let message = format!(
                "is {} characters long; a name may have at most {MAX_NAME_CHARS} (it is written on every row of \
                 the CSV files that name it)",
                fmt_thousands(length as u64)
            );
            self.problem(span, &t.field(key), message);
        }
        Some(name)
    }

    /// Reads `name`, checks it is unique among `seen`, and reports otherwise.
    pub(crate) fn unique_name(&mut self, t: &Tbl, seen: &mut HashSet<String>, what: &str) -> Option<String> {
        let Some(name) = self.name(t, "name") else {
            if t.get("name").is_none() {
                self.missing(t, "name", &format!("a unique name for this {what}"));
            }
            return None;
        };
        let span = t.get("name").map(|v| v.span()).unwrap_or(t.span.clone());
        if name.trim().is_empty() {
            self.problem(span, &t.field("name"), "must not be empty".to_string());
            return None;
        }
        if !seen.insert(name.clone()) {
            self.problem(
                span,
                &t.field("name"),
                format!(
                    "another {what} is already named {}; names must be unique",
                    quoted(&name)
                ),
            );
            return None;
        }
        Some(name)
    }
}

/// The rule a constant of this kind breaks, if any.
pub(crate) fn constant_rule(kind: ValueKind, v: f64) -> Option<String> {
    match kind {
        ValueKind::Count if !(0.0..=MAX_COUNT).contains(&v) => Some(format!(
            "must be a number of people between 0 and {}",
            fmt_num(MAX_COUNT)
        )),
        ValueKind::PositiveCount if !(1.0..=1e11).contains(&v) => {
            Some("must be a population of at least 1".to_string())
        }
        ValueKind::Day if !(0.0..=f64::from(MAX_HORIZON_DAYS)).contains(&v) => {
            Some(format!("must be a number of days between 0 and {MAX_HORIZON_DAYS}"))
        }
        ValueKind::Fraction if !(0.0..=1.0).contains(&v) => Some("must be a fraction between 0 and 1".to_string()),
        ValueKind::Amount if !(0.0..=MAX_AMOUNT).contains(&v) => {
            Some("must be an amount of USD from 0 to 10^15".to_string())
        }
        ValueKind::SignedDay if v.abs() > f64::from(MAX_HORIZON_DAYS) => Some(format!(
            "must be a number of days between -{MAX_HORIZON_DAYS} and {MAX_HORIZON_DAYS}"
        )),
        ValueKind::Growth if !(-0.99..=10.0).contains(&v) => {
            Some("must be a yearly growth rate between -0.99 and 10".to_string())
        }
        ValueKind::Factor if !(1.0..=super::MAX_FACTOR).contains(&v) => {
            Some("must be a factor from 1 to 10^6".to_string())
        }
        _ => None,
    }
}

pub(crate) fn to_number(value: &DeValue) -> Option<f64> {
    match value {
        // Beyond 64 bits TOML has no integer, but it is still a (too large) number.
        DeValue::Integer(i) => i128::from_str_radix(&i.as_str().replace('_', ""), i.radix())
            .ok()
            .map(|v| v as f64),
        DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
        _ => None,
    }
}

/// True for a value that is a date, right or wrong: a TOML date, or text
/// that looks like one ([`dates::looks_like_date`]).
pub(crate) fn is_date(value: &Value) -> bool {
    match value.get_ref() {
        DeValue::Datetime(_) => true,
        DeValue::String(text) => dates::looks_like_date(text),
        _ => false,
    }
}

/// How a date in a day field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dates {
    /// As days from this `simulation.start`.
    From(NaiveDate),
    /// Allowed, but `simulation.start` is missing or invalid (already
    /// reported, so the scenario is not built): a date is not an error too.
    Unknown,
    /// Not allowed: a duration or a value that is not a day.
    No,
}

impl Dates {
    pub(crate) fn allowed(self) -> bool {
        self != Dates::No
    }

    /// Days from the start to `date`, when the start is known.
    pub(crate) fn day_of(self, date: NaiveDate) -> Option<u32> {
        match self {
            Dates::From(start) => Some(days_from(start, date)),
            Dates::Unknown | Dates::No => None,
        }
    }
}

pub(crate) fn days_from(start: NaiveDate, date: NaiveDate) -> u32 {
    (date - start).num_days().clamp(0, i64::from(u32::MAX)) as u32
}

/// A whole number with thousands separators, for messages: 1,048,575.
pub(crate) fn fmt_thousands(n: u64) -> String {
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

/// A number as a person would write it: no trailing `.0`, and short
/// (see [`number`]).
pub(crate) fn fmt_num(v: f64) -> String {
    number(v)
}
