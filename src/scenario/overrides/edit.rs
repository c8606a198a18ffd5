//! Editing the document for an override, and following where each line
//! of the edited text came from (the file's line, or an override).

use toml_edit::{Item, Table, TableLike, Value};

use super::location::{Location, Step};

/// Sets the value at `location`, keeping the old value's comments and
/// spacing, or inserts the key (and any missing tables).
pub(super) fn set_value(root: &mut Table, location: &Location, value: Value) -> Result<(), String> {
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

pub(super) fn entry_mut(item: &mut Item, index: usize) -> Option<&mut dyn TableLike> {
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
pub(super) enum Origin {
    /// This 1-based line of the file, unchanged.
    File(usize),
    /// Written or changed by override number `.0` (0-based).
    Set(usize),
}

/// The origin of every line of the current text, kept up to date edit by edit.
#[derive(Debug, Clone)]
pub(super) struct LineMap {
    origins: Vec<Origin>,
}

impl LineMap {
    pub(super) fn new(text: &str) -> LineMap {
        LineMap {
            origins: (1..=text.split('\n').count()).map(Origin::File).collect(),
        }
    }

    /// One edit changes one stretch of lines: the lines before and after it
    /// keep their origin; the changed ones get `by`'s, or for a change no
    /// override made, that of the first line changed.
    pub(super) fn edit(&mut self, old: &str, new: &str, by: Option<usize>) {
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

    pub(super) fn origin(&self, line: usize) -> Option<Origin> {
        line.checked_sub(1).and_then(|i| self.origins.get(i)).copied()
    }
}

/// The lines of `text`, without their `\r\n` or `\n`.
pub(super) fn lines_of(text: &str) -> Vec<&str> {
    text.split('\n').map(|l| l.trim_end_matches('\r')).collect()
}

#[cfg(test)]
mod tests {
    use toml_edit::DocumentMut;

    use super::*;

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
            include_str!("../../../scenarios/haiti-mss-2024-09.toml"),
            include_str!("../../../scenarios/haiti-pessimistic.toml"),
            include_str!("../../../scenarios/haiti-optimistic.toml"),
            include_str!("../../../scenarios/haiti-un-transition.toml"),
        ] {
            let document: DocumentMut = text.parse().expect("valid TOML");
            assert_eq!(document.to_string(), text);
        }
    }
}
