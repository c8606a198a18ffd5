//! Text for the terminal. Names come from scenario files and may hold
//! control characters (a planted escape sequence could rewrite the screen):
//! every such character is shown escaped instead.

use std::fmt::Write as _;

use crate::scenario::shown::{escaped, escaped_but};

/// `text` with control characters other than newline and tab escaped
/// (`\u{1b}`), and bidirectional controls too, safe to print: for text
/// of several lines whose names are already escaped ([`safe_line`]).
pub fn safe(text: &str) -> String {
    escaped_but(text, &['\n', '\t'])
}

/// `text` as one line: every control character escaped, newline and tab
/// too, and bidirectional controls: for a name, or a message about one.
pub fn safe_line(text: &str) -> String {
    escaped(text)
}

/// Says on standard error (unless `quiet`) what a commit replaced in its
/// output folder, if anything: a rerun is never silent about it.
pub fn replaced(committed: &crate::output::replaced::Committed, quiet: bool) {
    if let (Some(note), false) = (committed.note(), quiet) {
        eprintln!("note: {}", safe(&note));
    }
}

/// A CSV cell for the terminal: without the spreadsheet guard's apostrophe
/// (see [`crate::output::cell_text`]), and [`safe_line`].
pub fn cell(cell: &str) -> String {
    safe_line(crate::output::uncell(cell))
}

/// `--until-se`'s sentence: on standard output when the error asked for
/// was reached, as a note on standard error when `--max-trials` stopped it.
pub fn print_precision(stop: Option<&crate::analysis::precision::Stop>, what: &str) {
    match stop {
        Some(stop) if stop.reached() => println!("  {}", stop.sentence(what)),
        Some(stop) => eprintln!("note: {}", stop.sentence(what)),
        None => {}
    }
}

/// Rows of cells in left-aligned columns, each line indented by two spaces.
pub fn aligned(table: &[Vec<String>]) -> String {
    let columns = table.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            table
                .iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(text, "  {}", cells.join("  ").trim_end());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(safe("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(safe("line\nnext\ttab"), "line\nnext\ttab");
        assert_eq!(safe("\u{7}\u{9b}"), "\\u{7}\\u{9b}");
        assert_eq!(safe("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(safe_line("a\nb"), "a\\u{a}b");
    }

    #[test]
    fn cells_lose_the_spreadsheet_guard() {
        assert_eq!(cell("'=1+1"), "=1+1");
        assert_eq!(cell("'plain"), "'plain");
    }

    #[test]
    fn columns_line_up() {
        let table = vec![
            vec!["a".to_string(), "bb".to_string()],
            vec!["ccc".to_string(), "d".to_string()],
        ];
        assert_eq!(aligned(&table), "  a    bb\n  ccc  d\n");
    }
}
