//! The keys of shocks (`[[events]]` with effect `pause_arrivals`,
//! `raise_withdrawal`, `cancel_pledges` or `freeze_funds`) and of what an
//! arrival waits for (a contributor's `requires`, `max_wait_days`), and
//! the names they give, resolved once every contributor and capability is
//! known (docs/MODEL.md §2.14).

use std::ops::Range;

use toml::de::DeValue;

use crate::scenario::reader::{Dates, Names, Reader, Tbl};
use crate::scenario::{Contributor, Effect, Event, Requirement, ValueKind};

/// The keys only shocks take.
const SHOCK_KEYS: [&str; 4] = ["duration_days", "contributors", "withdrawal_factor", "share"];

/// A shock's drawn inputs, as read.
pub(crate) struct ShockInputs {
    pub(crate) duration: Option<crate::scenario::Input>,
    pub(crate) size: Option<crate::scenario::Input>,
}

impl Reader<'_> {
    /// A shock's keys (and a problem for each one another effect was given);
    /// the `contributors` list is kept to be resolved later.
    pub(crate) fn shock(&mut self, t: &Tbl, effect: Option<Effect>, index: usize) -> ShockInputs {
        let Some(effect) = effect.filter(|e| e.is_shock()) else {
            for key in SHOCK_KEYS {
                if let Some(v) = t.get(key) {
                    let message = "only applies to a shock (pause_arrivals, raise_withdrawal, cancel_pledges, \
                                   freeze_funds)";
                    self.problem(v.span(), &t.field(key), message.to_string());
                }
            }
            return ShockInputs {
                duration: None,
                size: None,
            };
        };
        let lasts = effect != Effect::CancelPledges;
        let duration = match t.get("duration_days") {
            Some(v) if !lasts => {
                let message = "cancel_pledges acts on its day; it has no duration".to_string();
                self.problem(v.span(), &t.field("duration_days"), message);
                None
            }
            Some(_) => self.uncertain(t, "duration_days", &t.field("duration_days"), ValueKind::Day, Dates::No),
            None => None,
        };
        let size_key = match effect {
            Effect::RaiseWithdrawal => Some(("withdrawal_factor", ValueKind::Factor)),
            Effect::CancelPledges | Effect::FreezeFunds => Some(("share", ValueKind::Fraction)),
            _ => None,
        };
        for key in ["withdrawal_factor", "share"] {
            if size_key.is_none_or(|(k, _)| k != key)
                && let Some(v) = t.get(key)
            {
                let message = format!("does not apply to effect = \"{}\"", effect.name());
                self.problem(v.span(), &t.field(key), message);
            }
        }
        let size = size_key.and_then(|(key, kind)| {
            if t.get(key).is_none() {
                let what = if key == "share" {
                    "a share from 0 to 1"
                } else {
                    "a factor of 1 or more"
                };
                self.missing(t, key, what);
                return None;
            }
            self.uncertain(t, key, &t.field(key), kind, Dates::No)
        });
        if let Some(names) = self.name_list(t, "contributors") {
            if effect == Effect::FreezeFunds {
                let message = "freeze_funds acts on the fund; it names no contributors".to_string();
                self.problem(
                    t.get("contributors").map(|v| v.span()).unwrap_or(t.span.clone()),
                    &t.field("contributors"),
                    message,
                );
            } else {
                self.shock_names.push(Names {
                    owner: index,
                    field: t.field("contributors"),
                    names,
                });
            }
        }
        ShockInputs { duration, size }
    }

    /// A list of strings, each with its span; `None` (and a problem) when
    /// the key holds anything else.
    pub(crate) fn name_list(&mut self, t: &Tbl, key: &str) -> Option<Vec<(String, Range<usize>)>> {
        let value = t.get(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!(
                "must be a list of names, e.g. [\"A\", \"B\"]; found {}",
                value.get_ref().type_str()
            );
            self.problem(value.span(), &t.field(key), message);
            return None;
        };
        let mut names = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => names.push((s.to_string(), item.span())),
                other => {
                    let message = format!("must be a name in quotes; found {}", other.type_str());
                    self.problem(item.span(), &t.field(key), message);
                }
            }
        }
        Some(names)
    }

    /// The contributors each shock names, by index; a name no contributor
    /// has is a problem naming those there are.
    pub(crate) fn resolve_shocks(&mut self, events: &mut [Event], contributors: &[Contributor]) {
        for list in std::mem::take(&mut self.shock_names) {
            let mut found = Vec::new();
            for (name, span) in list.names {
                match contributors.iter().position(|c| c.name == name) {
                    Some(c) if !found.contains(&c) => found.push(c),
                    Some(_) => {}
                    None => {
                        let message = format!("names no contributor: \"{name}\" ({})", known(contributors));
                        self.problem(span, &list.field, message);
                    }
                }
            }
            if let Some(event) = events.get_mut(list.owner) {
                event.contributors = Some(found);
            }
        }
    }

    /// Each contributor's `requires`, resolved: `"EVENT"`, `"capability:NAME
    /// >= K"`, `"arrived:CONTRIBUTOR"`, `"cover_months >= M"`.
    /// `cover_months` needs a `[funding]` (`funded`).
    pub(crate) fn resolve_requires(
        &mut self,
        contributors: &mut [Contributor],
        events: &[Event],
        capabilities: &[String],
        funded: bool,
    ) {
        for list in std::mem::take(&mut self.requires) {
            let mut found = Vec::new();
            for (text, span) in list.names {
                match requirement(&text, events, capabilities, contributors) {
                    Ok(Requirement::CoverMonths(_)) if !funded => {
                        let message =
                            format!("\"{text}\": cover_months needs a [funding] section (the fund it measures)");
                        self.problem(span, &list.field, message);
                    }
                    Ok(r) => found.push(r),
                    Err(message) => self.problem(span, &list.field, format!("\"{text}\": {message}")),
                }
            }
            if let Some(c) = contributors.get_mut(list.owner) {
                c.requires = found;
            }
        }
    }
}

/// The contributors there are, for a message.
fn known(contributors: &[Contributor]) -> String {
    if contributors.is_empty() {
        return "there are no contributors".to_string();
    }
    let names: Vec<&str> = contributors.iter().map(|c| c.name.as_str()).collect();
    format!("contributors: {}", names.join(", "))
}

/// One `requires` entry, read.
fn requirement(
    text: &str,
    events: &[Event],
    capabilities: &[String],
    contributors: &[Contributor],
) -> Result<Requirement, String> {
    const FORMS: &str = "\"EVENT\", \"capability:NAME >= K\", \"arrived:CONTRIBUTOR\" or \"cover_months >= M\"";
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("capability:") {
        let (name, at_least) = at_least(rest).ok_or(format!("must be one of {FORMS}"))?;
        let kind = capabilities
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| format!("no contributor brings the capability \"{name}\""))?;
        if at_least.fract() != 0.0 || !(0.0..=1e12).contains(&at_least) {
            return Err("K must be a whole number from 0 to 10^12".to_string());
        }
        return Ok(Requirement::Capability {
            kind,
            at_least: at_least as u64,
        });
    }
    if let Some(name) = text.strip_prefix("arrived:") {
        let name = name.trim();
        return contributors
            .iter()
            .position(|c| c.name == name)
            .map(Requirement::Arrived)
            .ok_or_else(|| format!("names no contributor \"{name}\" ({})", known(contributors)));
    }
    if let Some(rest) = text.strip_prefix("cover_months") {
        let months = rest
            .trim()
            .strip_prefix(">=")
            .and_then(|m| m.trim().parse::<f64>().ok());
        return match months {
            Some(m) if (0.0..=120.0).contains(&m) => Ok(Requirement::CoverMonths(m)),
            _ => Err("must be \"cover_months >= M\" with M from 0 to 120".to_string()),
        };
    }
    events
        .iter()
        .position(|e| e.name == text)
        .map(Requirement::Event)
        .ok_or_else(|| format!("names no event; a requirement is one of {FORMS}"))
}

/// `NAME >= K` split into the name and K.
fn at_least(text: &str) -> Option<(&str, f64)> {
    let (name, k) = text.split_once(">=")?;
    Some((name.trim(), k.trim().parse().ok()?))
}
