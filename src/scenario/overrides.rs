//! `--set PATH=VALUE`: changes to a scenario given on the command line.
//!
//! An override edits the scenario's TOML *text* with `toml_edit`, which keeps
//! every other line and comment as it was: the key at PATH gets VALUE, or is
//! inserted where the file does not have it. The edited text is then read by
//! [`parse_str`] like any file, so an overridden value is checked exactly as
//! the same value written in the file would be. Problems an override causes
//! are reported against that `--set`; the others keep the file's line numbers.
//!
//! PATH is the dotted path the error messages use: `simulation.horizon_days`,
//! `contributors.Kenya.probability` (entries of `[[contributors]]`,
//! `[[events]]` and `[[targets]]` by their `name`), `host_police.intakes.2.size`
//! (intakes by 1-based number). A name may contain dots, spaces, commas or
//! `=`: the longest name of an existing entry that fits is taken. VALUE is a
//! TOML value (`0.5`, `2025-01-01`, `true`, `"text"`) or, when it is not one,
//! a bare string (`beta(8, 2)`, `day`).

use std::fmt;

use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

use super::parse::{CONTRIBUTOR_KEYS, CORRELATION_KEYS, EVENT_KEYS, INTAKE_KEYS, TARGET_KEYS};
use super::{Problem, Scenario, ScenarioError, parse_str};

/// A list of tables a path can go through.
struct TableList {
    /// Its path (`contributors`).
    path: &'static str,
    /// What one entry is called (`contributor`).
    what: &'static str,
    /// The key a message suggests setting.
    example: &'static str,
    /// Every key an entry may have.
    keys: &'static [&'static str],
}

const TABLE_LISTS: [TableList; 5] = [
    TableList {
        path: "contributors",
        what: "contributor",
        example: "pledged",
        keys: &CONTRIBUTOR_KEYS,
    },
    TableList {
        path: "events",
        what: "event",
        example: "probability",
        keys: &EVENT_KEYS,
    },
    TableList {
        path: "targets",
        what: "target",
        example: "at_least",
        keys: &TARGET_KEYS,
    },
    TableList {
        path: "host_police.intakes",
        what: "intake",
        example: "size",
        keys: &INTAKE_KEYS,
    },
    TableList {
        path: "correlations",
        what: "correlation",
        example: "rank_correlation",
        keys: &CORRELATION_KEYS,
    },
];

fn table_list(path: &str) -> Option<&'static TableList> {
    TABLE_LISTS.iter().find(|list| list.path == path)
}

/// Most entry names listed in a "no such entry" message.
const MAX_LISTED: usize = 20;

/// One problem of a scenario read with overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetProblem {
    /// The `PATH=VALUE` of the override that caused it; `None` when it comes
    /// from the file (then `problem.line` and `column` are the file's).
    pub set: Option<String>,
    pub problem: Problem,
}

/// Every problem of a scenario read with overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    pub file: String,
    pub problems: Vec<SetProblem>,
}

impl From<ScenarioError> for OverrideError {
    fn from(error: ScenarioError) -> OverrideError {
        OverrideError {
            file: error.file,
            problems: error
                .problems
                .into_iter()
                .map(|problem| SetProblem { set: None, problem })
                .collect(),
        }
    }
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let problem = &p.problem;
            match &p.set {
                Some(set) => write!(f, "--set {set}: ")?,
                None => write!(f, "{}:{}:{}: ", self.file, problem.line, problem.column)?,
            }
            if !problem.field.is_empty() {
                write!(f, "field `{}`: ", problem.field)?;
            }
            write!(f, "{}", problem.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for OverrideError {}

/// Where an override goes in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The tables to walk through from the top, creating missing ones.
    steps: Vec<Step>,
    /// The key set in the last table.
    key: String,
    /// The field's dotted path as the scenario reader names it
    /// (`contributors.Kenya.probability`), for matching its problems.
    pub path: String,
    /// Byte length of PATH in `PATH=VALUE`: the value starts after it and `=`.
    pub path_len: usize,
    /// The outermost table the override creates, if any (its path).
    created: Option<String>,
}

/// One table on the way to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// The table under this key.
    Table(String),
    /// Entry number `.1` (0-based) of the list of tables under this key.
    Entry(String, usize),
}

/// Finds where `spec` (`PATH=VALUE`) goes in the document `root`. On failure,
/// the field reached and what is wrong.
pub fn locate(root: &dyn TableLike, spec: &str) -> Result<Location, (String, String)> {
    let mut current = Some(root);
    let mut rest = spec;
    let mut path = String::new();
    let mut steps = Vec::new();
    let mut created = None;
    loop {
        let Some(at) = rest.find(['.', '=']) else {
            let message = "expected PATH=VALUE, for example contributors.Kenya.probability=0.9".to_string();
            return Err((path, message));
        };
        let head = &rest[..at];
        let field = join(&path, head);
        if head.trim().is_empty() {
            return Err((path, format!("the path `{}` has an empty part", path_part(spec))));
        }
        if rest[at..].starts_with('=') {
            // `KEY = VALUE` with spaces is fine: keys have none.
            let key = head.trim_end();
            let field = join(&path, key);
            if let Some(item) = current.and_then(|t| t.get(key)) {
                check_settable(item, &field)?;
            }
            return Ok(Location {
                steps,
                key: key.to_string(),
                path: field,
                path_len: spec.len() - rest.len() + at,
                created,
            });
        }
        let after = &rest[at + 1..];
        match current.and_then(|t| t.get(head)) {
            None => {
                if let Some(list) = table_list(&field) {
                    let message = format!(
                        "the scenario has no [[{}]] entries, so there is nothing to set here",
                        list.path
                    );
                    return Err((field, message));
                }
                created.get_or_insert_with(|| field.clone());
                current = None;
                steps.push(Step::Table(head.to_string()));
                path = field;
                rest = after;
            }
            Some(item) => {
                if let Some(entries) = entries_of(item) {
                    let (index, label, used) = select_entry(&entries, after, &field)?;
                    steps.push(Step::Entry(head.to_string(), index));
                    path = format!("{field}.{label}");
                    current = Some(entries[index]);
                    rest = &after[used + 1..];
                } else if let Some(table) = item.as_table_like() {
                    steps.push(Step::Table(head.to_string()));
                    current = Some(table);
                    path = field;
                    rest = after;
                } else {
                    let message = format!("is a single value ({}), not a table with keys", type_name(item));
                    return Err((field, message));
                }
            }
        }
    }
}

/// The part of `spec` before the first `=` (for messages).
fn path_part(spec: &str) -> &str {
    spec.split_once('=').map_or(spec, |(path, _)| path)
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(v) => v.type_name(),
        Item::Table(_) => "table",
        Item::ArrayOfTables(_) => "array of tables",
    }
}

/// An override sets one value: not a whole table or list of tables.
fn check_settable(item: &Item, field: &str) -> Result<(), (String, String)> {
    if entries_of(item).is_some() {
        let message = format!("is a list of tables; set one key of one entry, such as {field}.NAME.KEY=VALUE");
        return Err((field.to_string(), message));
    }
    if let Some(table) = item.as_table_like() {
        let keys: Vec<&str> = table.iter().map(|(k, _)| k).collect();
        let message = format!(
            "is a table; set one of its keys ({field}.KEY=VALUE){}",
            if keys.is_empty() {
                String::new()
            } else {
                format!(": {}", keys.join(", "))
            }
        );
        return Err((field.to_string(), message));
    }
    Ok(())
}

/// The entries of a list of tables (`[[key]]` or an array of inline tables).
fn entries_of(item: &Item) -> Option<Vec<&dyn TableLike>> {
    match item {
        Item::ArrayOfTables(list) => Some(list.iter().map(|t| t as &dyn TableLike).collect()),
        Item::Value(Value::Array(list)) if list.iter().any(Value::is_inline_table) => Some(
            list.iter()
                .filter_map(Value::as_inline_table)
                .map(|t| t as &dyn TableLike)
                .collect(),
        ),
        _ => None,
    }
}

/// Picks the entry that `rest` starts with: the longest `name` followed by
/// `.`, else a 1-based number. Returns its index, its label in paths (the
/// name, or the number for an unnamed entry) and the bytes of `rest` used.
fn select_entry(
    entries: &[&dyn TableLike],
    rest: &str,
    field: &str,
) -> Result<(usize, String, usize), (String, String)> {
    let names: Vec<Option<&str>> = entries.iter().map(|t| t.get("name").and_then(Item::as_str)).collect();
    // A path that ends at an entry (`contributors.Benin=5`): it has no field.
    let whole = path_part(rest).trim_end();
    let whole_entry = names.iter().position(|n| *n == Some(whole)).or_else(|| {
        whole
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=entries.len()).contains(n) && whole.bytes().all(|b| b.is_ascii_digit()))
            .map(|n| n - 1)
    });
    if let Some(i) = whole_entry {
        let label = names[i].map_or_else(|| (i + 1).to_string(), str::to_string);
        return Err(whole_entry_message(field, &label, rest));
    }
    let fits = |name: &str| rest.len() > name.len() && rest.starts_with(name) && rest[name.len()..].starts_with('.');
    let mut best: Option<(usize, &str)> = None;
    for (i, name) in names.iter().enumerate() {
        if let Some(name) = name.filter(|n| fits(n))
            && best.is_none_or(|(_, b)| name.len() > b.len())
        {
            best = Some((i, name));
        }
    }
    if let Some((i, name)) = best {
        return Ok((i, name.to_string(), name.len()));
    }
    if let Some((number, _)) = rest.split_once('.')
        && let Ok(n) = number.parse::<usize>()
        && (1..=entries.len()).contains(&n)
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        let label = names[n - 1].map_or_else(|| n.to_string(), str::to_string);
        return Ok((n - 1, label, number.len()));
    }
    Err((field.to_string(), no_entry_message(&names, rest, field)))
}

/// "contributors.Benin is a whole contributor; set one of its fields": the
/// field reached and the message.
fn whole_entry_message(field: &str, label: &str, rest: &str) -> (String, String) {
    let entry = format!("{field}.{label}");
    let value = rest.split_once('=').map_or("VALUE", |(_, v)| v.trim());
    let value = if value.is_empty() { "VALUE" } else { value };
    let message = match table_list(field) {
        Some(list) => format!(
            "is a whole {what}, not one value; name one of its fields, e.g. {entry}.{example}={value} (fields: {keys})",
            what = list.what,
            example = list.example,
            keys = list.keys.join(", ")
        ),
        None => format!("is a whole entry, not one value; name one of its keys, e.g. {entry}.KEY={value}"),
    };
    (entry, message)
}

/// "no contributor named ..., did you mean ...?" with the names there are.
fn no_entry_message(names: &[Option<&str>], rest: &str, field: &str) -> String {
    let what = table_list(field).map_or("entry", |list| list.what);
    if names.is_empty() {
        return format!("[[{field}]] has no entries");
    }
    // The name meant: up to the key, which is the last part before the `=`.
    let wanted = path_part(rest);
    let wanted = wanted.rsplit_once('.').map_or(wanted, |(name, _)| name);
    let named: Vec<&str> = names.iter().flatten().copied().collect();
    if named.is_empty() {
        return format!(
            "no {what} number {wanted}: [[{field}]] has {} entries, numbered from 1",
            names.len()
        );
    }
    let suggestion = named
        .iter()
        .map(|n| (strsim::jaro_winkler(&n.to_lowercase(), &wanted.to_lowercase()), *n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| format!("; did you mean \"{n}\"?"))
        .unwrap_or_default();
    let mut listed: Vec<String> = named.iter().take(MAX_LISTED).map(|n| format!("\"{n}\"")).collect();
    if named.len() > MAX_LISTED {
        listed.push(format!("and {} more", named.len() - MAX_LISTED));
    }
    format!(
        "no {what} named \"{wanted}\"{suggestion} ({what}s in the scenario: {})",
        listed.join(", ")
    )
}

/// VALUE as a TOML value, or a string when it does not read as one. A
/// whole number too large for TOML's 64-bit integers is still a number (a
/// float), so that the field says it is too large rather than not a number.
pub fn value_of(text: &str) -> Value {
    let text = text.trim();
    if let Ok(value) = text.parse::<Value>() {
        return value;
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(number) = text.parse::<f64>()
    {
        return Value::from(number);
    }
    Value::from(text)
}

/// VALUE as a person reads it: a string's text without quotes, anything else as written.
pub fn display_value(text: &str) -> String {
    match value_of(text) {
        Value::String(s) => s.value().clone(),
        _ => text.trim().to_string(),
    }
}

/// True when VALUE is a TOML number (so safe and useful as a number in a CSV cell).
pub fn is_number(text: &str) -> bool {
    matches!(value_of(text), Value::Integer(_) | Value::Float(_))
}

/// Sets the value at `location`, keeping the old value's comments and
/// spacing, or inserts the key (and any missing tables).
fn set_value(root: &mut Table, location: &Location, value: Value) -> Result<(), String> {
    let mut table: &mut dyn TableLike = root;
    for step in &location.steps {
        let current = table;
        table = match step {
            Step::Table(key) => {
                if !current.contains_key(key) {
                    current.insert(key, Item::Table(Table::new()));
                }
                current.get_mut(key).and_then(Item::as_table_like_mut)
            }
            Step::Entry(key, index) => current.get_mut(key).and_then(|item| entry_mut(item, *index)),
        }
        .ok_or_else(|| format!("internal error: cannot reach `{}`", location.path))?;
    }
    match table.get_mut(&location.key) {
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
        }
        _ => {
            table.insert(&location.key, Item::Value(value));
        }
    }
    Ok(())
}

fn entry_mut(item: &mut Item, index: usize) -> Option<&mut dyn TableLike> {
    match item {
        Item::ArrayOfTables(list) => list.get_mut(index).map(|t| t as &mut dyn TableLike),
        Item::Value(Value::Array(list)) => list
            .iter_mut()
            .filter_map(Value::as_inline_table_mut)
            .nth(index)
            .map(|t| t as &mut dyn TableLike),
        _ => None,
    }
}

/// Where each line of the edited text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// This 1-based line of the file, unchanged.
    File(usize),
    /// Written or changed by override number `.0` (0-based).
    Set(usize),
}

/// The origin of every line of the current text, kept up to date edit by edit.
#[derive(Debug, Clone)]
struct LineMap {
    origins: Vec<Origin>,
}

impl LineMap {
    fn new(text: &str) -> LineMap {
        LineMap {
            origins: (1..=text.split('\n').count()).map(Origin::File).collect(),
        }
    }

    /// One edit changes one stretch of lines: the lines before and after it
    /// keep their origin; the changed ones get `by`'s, or for a change no
    /// override made, that of the first line changed.
    fn edit(&mut self, old: &str, new: &str, by: Option<usize>) {
        // `toml_edit` writes `\n` line endings: a `\r\n` line it rewrote is unchanged.
        let (old, new) = (lines_of(old), lines_of(new));
        let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
        let room = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(room)
            .take_while(|(a, b)| a == b)
            .count();
        let changed = match by {
            Some(k) => Origin::Set(k),
            None => self
                .origins
                .get(prefix)
                .or(self.origins.last())
                .copied()
                .unwrap_or(Origin::File(1)),
        };
        let tail = self.origins.split_off(self.origins.len() - suffix);
        self.origins.truncate(prefix);
        self.origins
            .extend(std::iter::repeat_n(changed, new.len() - prefix - suffix));
        self.origins.extend(tail);
    }

    fn origin(&self, line: usize) -> Option<Origin> {
        line.checked_sub(1).and_then(|i| self.origins.get(i)).copied()
    }
}

/// The lines of `text`, without their `\r\n` or `\n`.
fn lines_of(text: &str) -> Vec<&str> {
    text.split('\n').map(|l| l.trim_end_matches('\r')).collect()
}

/// An override that was applied: its number (0-based), text and location.
struct Applied {
    number: usize,
    spec: String,
    location: Location,
}

impl Applied {
    /// True for a field this override set, inside it, or inside a table it created.
    fn covers(&self, field: &str) -> bool {
        let within = |path: &str| field == path || field.strip_prefix(path).is_some_and(|r| r.starts_with('.'));
        within(&self.location.path) || self.location.created.as_deref().is_some_and(within)
    }

    /// For a problem elsewhere in the file whose message names, in
    /// backquotes, the field this override set (a correlation of an input
    /// that `--set` made a constant), or a field of the entry it renamed:
    /// the note that says so.
    fn note_for(&self, message: &str) -> Option<String> {
        let path = &self.location.path;
        if message.contains(&format!("`{path}`")) {
            return Some(format!("(the value comes from --set {})", self.spec));
        }
        let entry = path.strip_suffix(".name").filter(|_| self.location.key == "name")?;
        message
            .contains(&format!("`{entry}."))
            .then(|| format!("(the name comes from --set {})", self.spec))
    }
}

/// Reads the scenario `text` (from `file`) with the overrides `sets`
/// (`PATH=VALUE` each, applied in order), checked as if written in the file.
pub fn apply(text: &str, file: &str, sets: &[String]) -> Result<Scenario, OverrideError> {
    if sets.is_empty() {
        return Ok(parse_str(text, file)?);
    }
    let mut document = edit_document(text, file)?;
    let mut lines = LineMap::new(text);
    let mut current = document.to_string();
    lines.edit(text, &current, None);
    let mut applied = Vec::new();
    let mut problems = Vec::new();
    for (k, spec) in sets.iter().enumerate() {
        let spec = spec.trim();
        let located = locate(document.as_table(), spec).and_then(|location| {
            let value = value_of(&spec[location.path_len + 1..]);
            set_value(document.as_table_mut(), &location, value)
                .map(|()| location)
                .map_err(|message| (String::new(), message))
        });
        match located {
            Ok(location) => {
                let edited = document.to_string();
                lines.edit(&current, &edited, Some(k));
                current = edited;
                applied.push(Applied {
                    number: k,
                    spec: spec.to_string(),
                    location,
                });
            }
            Err((field, message)) => problems.push((k, set_problem(spec, field, message))),
        }
    }
    // Read the text even when an override could not be placed, so that
    // every problem is reported at once.
    match parse_str(&current, file) {
        Ok(mut scenario) if problems.is_empty() => {
            scenario.overrides = sets.iter().map(|s| s.trim().to_string()).collect();
            return Ok(scenario);
        }
        Ok(_) => {}
        Err(error) => problems.extend(attribute(error, &lines, &applied)),
    }
    // Overrides first, in the order given; then the file's problems by line.
    problems.sort_by_key(|(k, p)| (*k, p.problem.line, p.problem.column));
    Err(OverrideError {
        file: file.to_string(),
        problems: problems.into_iter().map(|(_, p)| p).collect(),
    })
}

/// The text as an editable document; where it is not valid TOML, the
/// reader's messages for the file as it is.
fn edit_document(text: &str, file: &str) -> Result<DocumentMut, OverrideError> {
    match text.parse::<DocumentMut>() {
        Ok(document) => Ok(document),
        Err(e) => Err(match parse_str(text, file) {
            Err(error) => error.into(),
            Ok(_) => OverrideError {
                file: file.to_string(),
                problems: vec![SetProblem {
                    set: None,
                    problem: Problem {
                        line: 1,
                        column: 1,
                        field: String::new(),
                        message: format!("the file cannot be edited for --set: {}", e.message()),
                    },
                }],
            },
        }),
    }
}

fn set_problem(spec: &str, field: String, message: String) -> SetProblem {
    SetProblem {
        set: Some(spec.to_string()),
        problem: Problem {
            line: 0,
            column: 0,
            field,
            message,
        },
    }
}

/// Reports each problem of the edited text against the override that
/// caused it (by the line it is on, or its field), or at its line in the
/// file; each with the override's number (`usize::MAX` for the file).
fn attribute(error: ScenarioError, lines: &LineMap, applied: &[Applied]) -> Vec<(usize, SetProblem)> {
    error
        .problems
        .into_iter()
        .map(|mut problem| {
            let origin = lines.origin(problem.line);
            let by = match origin {
                Some(Origin::Set(k)) => applied.iter().find(|a| a.number == k),
                _ => applied.iter().rev().find(|a| a.covers(&problem.field)),
            };
            match by {
                Some(a) => (a.number, set_problem(&a.spec, problem.field, problem.message)),
                None => {
                    if let Some(Origin::File(line)) = origin {
                        problem.line = line;
                    }
                    // A line of the file that is wrong only because of an override says which.
                    if let Some(note) = applied.iter().rev().find_map(|a| a.note_for(&problem.message)) {
                        problem.message = format!("{} {note}", problem.message);
                    }
                    (usize::MAX, SetProblem { set: None, problem })
                }
            }
        })
        .collect()
}

/// Splits `spec` (`PATH=VALUES`) against the scenario `text`: PATH as
/// written, the field's path as the reader names it, and VALUES.
pub fn split_set(text: &str, file: &str, spec: &str) -> Result<(String, String, String), OverrideError> {
    let spec = spec.trim();
    let document = edit_document(text, file)?;
    let location = locate(document.as_table(), spec).map_err(|(field, message)| OverrideError {
        file: file.to_string(),
        problems: vec![set_problem(spec, field, message)],
    })?;
    Ok((
        spec[..location.path_len].to_string(),
        location.path,
        spec[location.path_len + 1..].to_string(),
    ))
}

/// Splits `V1,V2,...` at the commas outside parentheses, brackets, braces
/// and quotes (so `beta(8, 2)` and `"a, b"` stay whole); each part trimmed.
pub fn split_values(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    parts.push(part.trim().to_string());
                    part.clear();
                    continue;
                }
                _ => {}
            },
        }
        part.push(c);
    }
    parts.push(part.trim().to_string());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"name = "Base" # the name

[simulation]
start = 2024-01-01
horizon_days = 60   # two months
trials = 10

[population]
initial = 1000

[[contributors]]
name = "Kenya"
pledged = 100
probability = 0.9 # a comment that must stay

[[contributors]]
name = "Kenya.North"
pledged = 50

[[targets]]
name = "MSS at 2,500"
metric = "international"
at_least = 2500

[[events]]
name = "vote"
day = 30
effect = "unlock"
"#;

    fn sets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn located(spec: &str) -> Result<Location, (String, String)> {
        let document: DocumentMut = BASE.parse().expect("valid TOML");
        locate(document.as_table(), spec)
    }

    fn failure(text: &str, list: &[&str]) -> OverrideError {
        apply(text, "t.toml", &sets(list)).expect_err("should fail")
    }

    #[test]
    fn paths_resolve_to_the_readers_field_names() {
        assert_eq!(
            located("simulation.horizon_days=5").map(|l| l.path),
            Ok("simulation.horizon_days".into())
        );
        assert_eq!(located("name=x").map(|l| (l.path, l.path_len)), Ok(("name".into(), 4)));
        assert_eq!(
            located("simulation.step = day").map(|l| l.path),
            Ok("simulation.step".into())
        );
        let l = located("contributors.Kenya.probability=0.5").expect("found");
        assert_eq!(l.steps, vec![Step::Entry("contributors".into(), 0)]);
        assert_eq!(l.path, "contributors.Kenya.probability");
    }

    #[test]
    fn the_longest_name_that_fits_wins() {
        let l = located("contributors.Kenya.North.pledged=7").expect("found");
        assert_eq!(l.steps, vec![Step::Entry("contributors".into(), 1)]);
        assert_eq!(l.path, "contributors.Kenya.North.pledged");
        let l = located("targets.MSS at 2,500.at_least=10").expect("found");
        assert_eq!(l.path, "targets.MSS at 2,500.at_least");
        assert_eq!(l.path_len, "targets.MSS at 2,500.at_least".len());
    }

    #[test]
    fn entries_may_be_named_by_number() {
        let l = located("contributors.2.pledged=7").expect("found");
        assert_eq!(l.steps, vec![Step::Entry("contributors".into(), 1)]);
        assert_eq!(l.path, "contributors.Kenya.North.pledged");
        assert!(located("contributors.3.pledged=7").is_err());
    }

    #[test]
    fn unknown_entries_say_what_exists() {
        let (field, message) = located("contributors.Kenia.probability=0.5").expect_err("no Kenia");
        assert_eq!(field, "contributors");
        assert!(message.contains("no contributor named \"Kenia\""), "{message}");
        assert!(message.contains("did you mean \"Kenya\"?"), "{message}");
        assert!(message.contains("\"Kenya.North\""), "{message}");
        let (field, message) = located("host_police.intakes.1.size=5").expect_err("no host police");
        assert_eq!(field, "host_police.intakes");
        assert!(message.contains("no [[host_police.intakes]]"), "{message}");
    }

    #[test]
    fn a_whole_entry_is_refused_with_its_fields() {
        for (spec, entry) in [
            ("contributors.Kenya=5", "contributors.Kenya"),
            ("contributors.Kenya.North = 5", "contributors.Kenya.North"),
            ("contributors.2=5", "contributors.Kenya.North"),
            ("targets.MSS at 2,500=1", "targets.MSS at 2,500"),
            ("events.vote", "events.vote"),
        ] {
            let (field, message) = located(spec).expect_err("a whole entry");
            assert_eq!(field, entry, "{spec}");
            assert!(message.starts_with("is a whole "), "{spec}: {message}");
            assert!(message.contains(&format!("e.g. {entry}.")), "{spec}: {message}");
        }
        let (_, message) = located("contributors.Kenya=5").expect_err("a whole entry");
        assert!(
            message.contains("e.g. contributors.Kenya.pledged=5 (fields: name, deployed,"),
            "{message}"
        );
        // A name that only starts like an entry is still an unknown one.
        let (_, message) = located("contributors.Keny=5").expect_err("no such entry");
        assert!(message.contains("no contributor named \"Keny\""), "{message}");
    }

    #[test]
    fn problems_elsewhere_caused_by_an_override_name_it() {
        let applied = |spec: &str| Applied {
            number: 0,
            spec: spec.to_string(),
            location: located(spec).expect("found"),
        };
        let constant = "`contributors.Kenya.fulfilment` is a constant here";
        assert_eq!(
            applied("contributors.Kenya.fulfilment=1").note_for(constant).as_deref(),
            Some("(the value comes from --set contributors.Kenya.fulfilment=1)")
        );
        assert_eq!(
            applied("contributors.Kenya.name=Kenia").note_for(constant).as_deref(),
            Some("(the name comes from --set contributors.Kenya.name=Kenia)")
        );
        assert_eq!(applied("contributors.Kenya.pledged=1").note_for(constant), None);
        assert_eq!(
            applied("contributors.Kenya.North.fulfilment=1").note_for(constant),
            None
        );
    }

    #[test]
    fn tables_values_and_malformed_paths_are_refused() {
        assert!(located("simulation=5").expect_err("a table").1.contains("horizon_days"));
        assert!(
            located("contributors=5")
                .expect_err("a list")
                .1
                .contains("list of tables")
        );
        assert!(
            located("simulation.start.day=5")
                .expect_err("a value")
                .1
                .contains("single value")
        );
        assert!(
            located("simulation.horizon_days")
                .expect_err("no =")
                .1
                .contains("PATH=VALUE")
        );
        assert!(located("simulation..x=1").expect_err("empty").1.contains("empty part"));
    }

    #[test]
    fn malformed_specs_are_errors_not_crashes() {
        for spec in [
            "",
            "=",
            ".",
            "..",
            "a",
            "contributors",
            "contributors.",
            "contributors.1",
            "contributors.1.",
            "contributors.Kenya",
            "contributors.Kenya.",
            "contributors.Kenya.=1",
            "contributors.=1",
            "targets.MSS at 2,500",
            "host_police.intakes",
            "é.ü=1",
            "name.x=1",
            "simulation.start.x=1",
            "simulation.=1",
            " = ",
        ] {
            assert!(apply(BASE, "t.toml", &sets(&[spec])).is_err(), "{spec:?}");
        }
    }

    #[test]
    fn random_specs_never_crash() {
        let parts = [
            "contributors",
            "Kenya",
            "Kenya.North",
            "1",
            "2",
            "0",
            "",
            "=",
            ".",
            "probability",
            "pledged",
            "0.5",
            "beta(8, 2)",
            "\"x\"",
            "é",
            "[",
            "{a = 1}",
            "targets",
            "MSS at 2,500",
            "host_police",
            "intakes",
            "simulation",
            "step",
            "name",
            "events",
            "vote",
            "day",
            " ",
            "1e999",
            "2024-02-30",
            "[[x]]",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        for _ in 0..1000 {
            let mut spec = String::new();
            for _ in 0..1 + next(6) {
                spec.push_str(parts[next(parts.len())]);
                spec.push_str([".", "=", ".", ""][next(4)]);
            }
            // Must return, with or without problems; never panic.
            let _ = apply(BASE, "t.toml", &sets(&[&spec]));
            let _ = split_set(BASE, "t.toml", &spec);
        }
    }

    #[test]
    fn values_are_toml_or_bare_strings() {
        assert_eq!(value_of(" 0.5 ").as_float(), Some(0.5));
        assert_eq!(value_of("7").as_integer(), Some(7));
        assert_eq!(value_of("beta(8, 2)").as_str(), Some("beta(8, 2)"));
        assert_eq!(value_of("\"week\"").as_str(), Some("week"));
        assert_eq!(value_of("day").as_str(), Some("day"));
        assert!(value_of("2025-01-01").is_datetime());
        // Beyond TOML's 64-bit integers: still a number.
        assert_eq!(
            value_of("18446744073709551615").as_float(),
            Some(18_446_744_073_709_551_615.0)
        );
        assert_eq!(value_of("-99999999999999999999").as_float(), Some(-1e20));
        assert_eq!(value_of("1-2").as_str(), Some("1-2"));
        assert_eq!(display_value("\"a, b\""), "a, b");
        assert_eq!(display_value(" 0.50 "), "0.50");
        assert!(is_number("-0.01") && !is_number("beta(8, 2)") && !is_number("2025-01-01"));
    }

    #[test]
    fn splitting_respects_parentheses_and_quotes() {
        assert_eq!(split_values("0.2, 0.5,0.8"), ["0.2", "0.5", "0.8"]);
        assert_eq!(
            split_values("beta(8, 2),uniform(0.1, 0.9)"),
            ["beta(8, 2)", "uniform(0.1, 0.9)"]
        );
        assert_eq!(
            split_values(r#""a, b",'c,d',"e\",f""#),
            [r#""a, b""#, "'c,d'", r#""e\",f""#]
        );
        assert_eq!(split_values("[1, 2],3"), ["[1, 2]", "3"]);
        assert_eq!(split_values("x"), ["x"]);
        assert_eq!(split_values("1,,2"), ["1", "", "2"]);
    }

    #[test]
    fn a_set_replaces_the_value_and_keeps_the_rest() {
        let s = apply(BASE, "t.toml", &sets(&["contributors.Kenya.probability=0.25"])).expect("valid");
        assert_eq!(s.contributors[0].probability, 0.25);
        assert_eq!(s.overrides, ["contributors.Kenya.probability=0.25"]);
        let expected = BASE.replace("probability = 0.9 #", "probability = 0.25 #");
        assert_eq!(s.source, expected);
    }

    #[test]
    fn a_missing_key_or_table_is_inserted() {
        let s = apply(
            BASE,
            "t.toml",
            &sets(&[
                "contributors.Kenya.fulfilment=beta(8, 2)",
                "simulation.step=day",
                "host_police.initial=50",
            ]),
        )
        .expect("valid");
        assert!(s.source.contains("fulfilment = \"beta(8, 2)\""));
        assert_eq!(s.simulation.step, super::super::Step::Day);
        assert!(s.host_police.is_some());
        // Everything of the file is still there, in order.
        let kept: Vec<&str> = BASE.lines().collect();
        let mut edited = s.source.lines();
        assert!(kept.iter().all(|line| edited.any(|e| e == *line)), "{}", s.source);
    }

    #[test]
    fn names_with_dots_and_commas_are_settable() {
        let s = apply(
            BASE,
            "t.toml",
            &sets(&["contributors.Kenya.North.pledged=7", "targets.MSS at 2,500.at_least=10"]),
        )
        .expect("valid");
        assert_eq!((s.contributors[1].pledged, s.targets[0].at_least), (7, 10.0));
    }

    #[test]
    fn bad_values_are_reported_against_the_set() {
        let e = failure(BASE, &["contributors.Kenya.probability=1.5"]);
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].set.as_deref(), Some("contributors.Kenya.probability=1.5"));
        let text = e.to_string();
        assert!(
            text.starts_with("--set contributors.Kenya.probability=1.5: field"),
            "{text}"
        );
        assert!(text.contains("between 0 and 1"), "{text}");
    }

    #[test]
    fn unknown_keys_are_reported_against_the_set() {
        let e = failure(BASE, &["contributors.Kenya.probabilty=0.5"]);
        assert_eq!(e.problems[0].set.as_deref(), Some("contributors.Kenya.probabilty=0.5"));
        assert!(e.to_string().contains("did you mean `probability`"), "{e}");
        let e = failure(BASE, &["simulaton.horizon_days=5"]);
        assert_eq!(e.problems[0].set.as_deref(), Some("simulaton.horizon_days=5"));
        assert!(e.to_string().contains("did you mean `simulation`"), "{e}");
    }

    #[test]
    fn the_files_own_problems_keep_their_lines() {
        // Line 18 of the file is wrong; the inserted keys shift it in the edited text.
        let bad = BASE.replace("pledged = 50", "pledged = -5");
        let e = failure(&bad, &["simulation.step=day"]);
        assert_eq!(e.problems.len(), 1, "{e}");
        assert_eq!((e.problems[0].set.as_ref(), e.problems[0].problem.line), (None, 18));
        let e = failure(&bad, &["population.annual_growth=0.01", "simulation.seed=-1"]);
        let lines: Vec<(Option<&str>, usize)> = e.problems.iter().map(|p| (p.set.as_deref(), p.problem.line)).collect();
        assert_eq!(lines, [(Some("simulation.seed=-1"), 0), (None, 18)]);
        assert!(e.to_string().contains("t.toml:18:"), "{e}");
    }

    #[test]
    fn an_override_can_fix_the_file() {
        let bad = BASE.replace("probability = 0.9", "probability = 9");
        assert!(apply(&bad, "t.toml", &sets(&["contributors.Kenya.probability=0.9"])).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = failure(
            BASE,
            &[
                "contributors.Kenia.probability=0.5",
                "simulation.horizon_days=0",
                "events.vot.day=3",
            ],
        );
        let sets: Vec<&str> = e.problems.iter().filter_map(|p| p.set.as_deref()).collect();
        assert_eq!(
            sets,
            [
                "contributors.Kenia.probability=0.5",
                "simulation.horizon_days=0",
                "events.vot.day=3"
            ]
        );
        assert!(e.to_string().contains("did you mean \"vote\""), "{e}");
    }

    #[test]
    fn later_overrides_win_and_no_sets_reads_the_file_as_it_is() {
        let s = apply(
            BASE,
            "t.toml",
            &sets(&["simulation.horizon_days=5", "simulation.horizon_days=9"]),
        )
        .expect("valid");
        assert_eq!(s.simulation.horizon_days, 9);
        let plain = apply(BASE, "t.toml", &[]).expect("valid");
        assert_eq!((plain.source.as_str(), plain.overrides.len()), (BASE, 0));
    }

    #[test]
    fn split_set_finds_the_path_against_the_file() {
        let (path, field, values) = split_set(BASE, "t.toml", "targets.MSS at 2,500.at_least=1,2").expect("found");
        assert_eq!(
            (path.as_str(), field.as_str(), values.as_str()),
            ("targets.MSS at 2,500.at_least", "targets.MSS at 2,500.at_least", "1,2")
        );
        assert!(split_set(BASE, "t.toml", "contributors.Nope.pledged=1").is_err());
    }

    #[test]
    fn windows_line_endings_are_kept() {
        let crlf = BASE.replace('\n', "\r\n");
        let s = apply(&crlf, "t.toml", &sets(&["simulation.horizon_days=5"])).expect("valid");
        // The edited text has `\n` line endings (as `toml_edit` writes them).
        assert_eq!(s.source, BASE.replace("horizon_days = 60 ", "horizon_days = 5 "));
        let bad = crlf.replace("pledged = 50", "pledged = -5");
        let e = failure(&bad, &["simulation.step=day"]);
        assert_eq!((e.problems[0].set.as_ref(), e.problems[0].problem.line), (None, 18));
    }

    #[test]
    fn line_map_follows_insertions_and_replacements() {
        let mut map = LineMap::new("a\nb\nc\n");
        map.edit("a\nb\nc\n", "a\nB\nc\n", Some(0));
        map.edit("a\nB\nc\n", "a\nB\nx\nc\n", Some(1));
        let origins: Vec<Option<Origin>> = (1..=5).map(|l| map.origin(l)).collect();
        assert_eq!(
            origins,
            [
                Some(Origin::File(1)),
                Some(Origin::Set(0)),
                Some(Origin::Set(1)),
                Some(Origin::File(3)),
                Some(Origin::File(4)),
            ]
        );
    }

    #[test]
    fn the_shipped_scenarios_round_trip_unchanged() {
        for text in [
            include_str!("../../scenarios/haiti-mss-2024-09.toml"),
            include_str!("../../scenarios/haiti-pessimistic.toml"),
            include_str!("../../scenarios/haiti-optimistic.toml"),
            include_str!("../../scenarios/haiti-un-transition.toml"),
        ] {
            let document: DocumentMut = text.parse().expect("valid TOML");
            assert_eq!(document.to_string(), text);
        }
    }
}
