//! How what a user gave is shown back in messages: a cell or a value cut
//! to [`MAX_QUOTED_CHARS`] characters, control and bidirectional characters
//! escaped (so a name cannot start a new line or turn the rest of a line
//! around on a terminal), and numbers as written or in short form (never
//! the 309 digits of 1e308). Every layer that quotes input uses these.

use std::fmt::Write as _;

/// Most characters of a value or cell quoted in a message; past them, the
/// quote ends in "..." and says how long the whole is.
pub const MAX_QUOTED_CHARS: usize = 200;

/// True for the characters that reorder the text around them on a
/// terminal or in an editor (Unicode's bidirectional controls): the
/// embeddings and overrides U+202A to U+202E, the isolates U+2066 to
/// U+2069, and the marks U+200E, U+200F and U+061C.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character (newline and tab included) and
/// every bidirectional control escaped as `\u{a}`: one line, shown as it
/// is stored.
pub fn escaped(text: &str) -> String {
    escaped_but(text, &[])
}

/// [`escaped`], leaving the characters of `keep` (say `'\n'`) as they are.
pub fn escaped_but(text: &str, keep: &[char]) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if (c.is_control() || is_bidi_control(c)) && !keep.contains(&c) {
            let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    shown
}

/// `text` cut to [`MAX_QUOTED_CHARS`] characters and [`escaped`]; a cut
/// one ends in "... (N characters)".
pub fn cut(text: &str) -> String {
    let (head, tail) = split(text);
    format!("{}{tail}", escaped(head))
}

/// [`cut`] in double quotes (a quote inside shown as `\"`): `"abc"`, or
/// `"abc..." (1000000 characters)`.
pub fn quoted(text: &str) -> String {
    let (head, tail) = split(text);
    let head = escaped(head).replace('"', "\\\"");
    match tail.strip_prefix("...") {
        Some(count) => format!("\"{head}...\"{count}"),
        None => format!("\"{head}\""),
    }
}

/// The first [`MAX_QUOTED_CHARS`] characters of `text`, and "" or
/// "... (N characters)" for the rest.
fn split(text: &str) -> (&str, String) {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => (&text[..end], format!("... ({} characters)", text.chars().count())),
        None => (text, String::new()),
    }
}

/// A number for a message, short: a whole number below 10^15 in digits
/// (`100000000`), others of moderate size as Rust writes them (`0.25`),
/// and the very large or very small in scientific form with six
/// significant digits (`1e308`, `1.84467e19`, `1e-300`).
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let size = v.abs();
    if v.fract() == 0.0 && size < 1e15 {
        format!("{}", v as i64)
    } else if (1e-4..1e15).contains(&size) {
        format!("{v}")
    } else {
        // Six significant digits, without trailing zeros: 1.84467e19, 1e308.
        let text = format!("{v:.5e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if mantissa.contains('.') => {
                format!("{}e{exponent}", mantissa.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_on_one_line_and_in_order() {
        assert_eq!(escaped("a\nb\tc\r\u{1b}[2J"), "a\\u{a}b\\u{9}c\\u{d}\\u{1b}[2J");
        assert_eq!(escaped("x\u{202e}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        assert_eq!(escaped_but("a\nb\u{202e}", &['\n']), "a\nb\\u{202e}");
        assert_eq!(escaped("Côte d'Ivoire"), "Côte d'Ivoire");
    }

    #[test]
    fn long_values_are_cut_to_200_characters() {
        let long = "x".repeat(1_000_000);
        let shown = quoted(&long);
        assert!(
            shown.starts_with(&format!("\"{}...\"", "x".repeat(200))),
            "{}",
            &shown[..210]
        );
        assert!(shown.ends_with("(1000000 characters)"), "{shown}");
        assert!(shown.chars().count() < 240);
        assert_eq!(quoted("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(100_000_000.0), "100000000");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1e308), "1e308");
        assert_eq!(number(18_446_744_073_709_551_616.0), "1.84467e19");
        assert_eq!(number(1.644_651_121_054_046_4e-193), "1.64465e-193");
        assert_eq!(number(1e-300), "1e-300");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(f64::NAN), "NaN");
    }
}
