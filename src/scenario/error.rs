//! Problems found in a scenario, each pinned to a file, line, column and field.

use std::fmt;

use super::shown::{cut, escaped};

/// One thing wrong with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the offending value (or of its table when it is missing).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Dotted path of the field, such as `contributors.Kenya.probability`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Problems shown in an error message; past them, one line says how many more.
pub const MAX_SHOWN_PROBLEMS: usize = 20;

/// Every problem found in one scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub problems: Vec<Problem>,
    /// A last line for a file that is likely no scenario at all
    /// ([`not_a_scenario_hint`]).
    pub hint: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().take(MAX_SHOWN_PROBLEMS).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            // One line each: a name's newline or bidirectional control is
            // shown escaped, and a long field cut.
            let (file, message) = (escaped(&self.file), escaped(&p.message));
            if p.field.is_empty() {
                write!(f, "{file}:{}:{}: {message}", p.line, p.column)?;
            } else {
                write!(
                    f,
                    "{file}:{}:{}: field `{}`: {message}",
                    p.line,
                    p.column,
                    cut(&p.field)
                )?;
            }
        }
        write_tail(f, self.problems.len(), self.hint.as_deref())
    }
}

impl std::error::Error for ScenarioError {}

/// After the first [`MAX_SHOWN_PROBLEMS`] of `total` problems: "... and N
/// more problems", then the hint, each on its own line.
pub fn write_tail(f: &mut fmt::Formatter<'_>, total: usize, hint: Option<&str>) -> fmt::Result {
    if total > MAX_SHOWN_PROBLEMS {
        let more = total - MAX_SHOWN_PROBLEMS;
        let s = if more == 1 { "" } else { "s" };
        write!(f, "\n... and {more} more problem{s}")?;
    }
    if let Some(hint) = hint {
        write!(f, "\n{hint}")?;
    }
    Ok(())
}

/// "hint: is FILE a TOML scenario? ..." when most of the file's non-blank
/// lines (at least three of them) have a problem, or when it is not valid
/// TOML (`not_toml`) and its name does not end in `.toml` (standard input,
/// which has no name, excepted).
pub fn not_a_scenario_hint(text: &str, file: &str, problems: &[Problem], not_toml: bool) -> Option<String> {
    let non_blank = text.lines().filter(|l| !l.trim().is_empty()).count();
    let mut lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    lines.sort_unstable();
    lines.dedup();
    let most = lines.len() >= 3 && 2 * lines.len() > non_blank;
    let named = !file.to_ascii_lowercase().ends_with(".toml") && file != STDIN_NAME;
    (most || (not_toml && named)).then(|| format!("hint: is {file} a TOML scenario? (see README: Writing a scenario)"))
}

/// The name messages give a scenario read from standard input (`-`).
pub const STDIN_NAME: &str = "<stdin>";

/// A scenario error with one problem, at the start of the file.
pub(crate) fn single(file: &str, message: String) -> ScenarioError {
    ScenarioError {
        file: file.to_string(),
        problems: vec![Problem {
            line: 1,
            column: 1,
            field: String::new(),
            message,
        }],
        hint: None,
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The byte offset at which each line of a text starts, so that many
/// problems in a large file each find their line by a binary search
/// instead of a scan from the start (the same answers as [`line_column`]).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// [`line_column`] of `offset` in `text`, the text this index was made from.
    pub fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        if !text.is_char_boundary(offset) {
            return line_column(text, offset);
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        (line, text[start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
    }

    #[test]
    fn the_line_index_answers_as_line_column_does() {
        let text = "a = 1\nbé = 2\n\n\r\nlast";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(index.line_column(text, offset), line_column(text, offset), "{offset}");
        }
    }
}
