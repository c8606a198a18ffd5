//! Where a `--set PATH=VALUE` goes: PATH walked through the document's
//! tables and lists of tables (entries by name or number), with messages
//! that say what exists where nothing fits.

use crate::scenario::shown::{cut, quoted};
use toml_edit::{Item, TableLike, Value};

use crate::scenario::sections::{
    AREA_KEYS, BENCHMARK_KEYS, CONTRIBUTION_KEYS, CONTRIBUTOR_KEYS, CORRELATION_KEYS, EVENT_KEYS, INTAKE_KEYS,
    OUTSIDE_KEYS, TARGET_KEYS,
};

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

const TABLE_LISTS: [TableList; 9] = [
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
    TableList {
        path: "funding.contributions",
        what: "contribution",
        example: "amount",
        keys: &CONTRIBUTION_KEYS,
    },
    TableList {
        path: "funding.outside",
        what: "outside payer",
        example: "share",
        keys: &OUTSIDE_KEYS,
    },
    TableList {
        path: "benchmarks",
        what: "benchmark",
        example: "value",
        keys: &BENCHMARK_KEYS,
    },
    TableList {
        path: "areas",
        what: "area",
        example: "population_share",
        keys: &AREA_KEYS,
    },
];

fn table_list(path: &str) -> Option<&'static TableList> {
    TABLE_LISTS.iter().find(|list| list.path == path)
}

/// Most entry names listed in a "no such entry" message.
const MAX_LISTED: usize = 20;

/// Where an override goes in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The tables to walk through from the top, creating missing ones.
    pub(super) steps: Vec<Step>,
    /// The key set in the last table.
    pub(super) key: String,
    /// The field's dotted path as the scenario reader names it
    /// (`contributors.Kenya.probability`), for matching its problems.
    pub path: String,
    /// Byte length of PATH in `PATH=VALUE`: the value starts after it and `=`.
    pub path_len: usize,
    /// The outermost table the override creates, if any (its path).
    pub(super) created: Option<String>,
}

/// One table on the way to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
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
            return Err((path, format!("the path `{}` has an empty part", cut(path_part(spec)))));
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
pub(super) fn path_part(spec: &str) -> &str {
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
pub(super) fn entries_of(item: &Item) -> Option<Vec<&dyn TableLike>> {
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
    let value = if value.is_empty() {
        "VALUE".to_string()
    } else {
        cut(value)
    };
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
            "no {what} number {}: [[{field}]] has {} entries, numbered from 1",
            cut(wanted),
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
        "no {what} named {}{suggestion} ({what}s in the scenario: {})",
        quoted(wanted),
        listed.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::located;
    use super::*;

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
}
