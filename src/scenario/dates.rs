//! The one date grammar of forcegen, for every date field of a scenario
//! (quoted or not), every date given to `--set`, every date flag
//! (`--report-date`, ...) and the dates of observed files: ISO `YYYY-MM-DD`,
//! a four-digit year and a two-digit month and day. Anything else is refused
//! with an example of the right form, and, where the text can be read only
//! one way (`2026-4-30`, `30/04/2026`), the date it most likely means.

use chrono::NaiveDate;

/// The form every date takes, for messages.
pub const FORM: &str = "YYYY-MM-DD";

/// A date in the right form, for messages that have no better one.
pub const EXAMPLE: &str = "2024-09-30";

/// Reads `text` (blanks around it ignored) as a `YYYY-MM-DD` date. The
/// error says what is wrong and shows the right form.
pub fn parse(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let shaped = matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2);
    if shaped && text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        let number = |s: &str| s.parse::<u32>().unwrap_or(0);
        let (year, month, day) = (number(parts[0]), number(parts[1]), number(parts[2]));
        return NaiveDate::from_ymd_opt(year as i32, month, day)
            .filter(|_| year >= 1)
            .ok_or_else(|| format!("`{text}` is not a day of the calendar; {}", form_help(None)));
    }
    Err(format!("`{}` is not a date; {}", shown(text), form_help(guess(text))))
}

/// The tail of every date error: the form, an example, and (when known)
/// the date the text most likely means.
pub fn form_help(meant: Option<NaiveDate>) -> String {
    match meant {
        Some(date) => format!(
            "write dates as {FORM} (a four-digit year, then a two-digit month and day), e.g. {}",
            date.format("%Y-%m-%d")
        ),
        None => format!("write dates as {FORM} (a four-digit year, then a two-digit month and day), e.g. {EXAMPLE}"),
    }
}

/// True for text that is meant as a date, right or wrong: digits in three
/// groups separated by `-`, `/` or `.` (a leading sign allowed), so that a
/// day field's `"2026-4-30"` gets a date's message, not a distribution's.
pub fn looks_like_date(text: &str) -> bool {
    let text = text.trim();
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    let groups: Vec<&str> = text.split(['-', '/', '.']).collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| !g.is_empty() && g.len() <= 4 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// The date `text` can only mean, when it is one written another way: the
/// year first with one-digit parts (`2026-4-30`), or the year last with the
/// day or the month over 12 (`30/04/2026`, `04/30/2026`).
fn guess(text: &str) -> Option<NaiveDate> {
    if !looks_like_date(text) || text.starts_with(['-', '+']) {
        return None;
    }
    let groups: Vec<&str> = text.split(['-', '/', '.']).collect();
    let numbers: Vec<u32> = groups.iter().map(|g| g.parse().unwrap_or(0)).collect();
    let date = |y: u32, m: u32, d: u32| NaiveDate::from_ymd_opt(y as i32, m, d);
    match (groups[0].len(), groups[2].len()) {
        (4, len) if len <= 2 => date(numbers[0], numbers[1], numbers[2]),
        (len, 4) if len <= 2 => match (numbers[0], numbers[1]) {
            (a, b) if a > 12 && b <= 12 => date(numbers[2], b, a),
            (a, b) if b > 12 && a <= 12 => date(numbers[2], a, b),
            _ => None,
        },
        _ => None,
    }
}

/// At most 40 characters of `text`, for a message.
fn shown(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    if cut.len() < text.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a test date")
    }

    #[test]
    fn only_iso_dates_are_dates() {
        assert_eq!(parse("2026-04-30"), Ok(date("2026-04-30")));
        assert_eq!(parse(" 2026-10-02 "), Ok(date("2026-10-02")));
        for bad in [
            "2026-4-30",
            "30/04/2026",
            "-2024-01-01",
            "+2024-01-01",
            "2024-02-30",
            "0000-01-01",
            "x",
            "",
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(
                error.contains("YYYY-MM-DD") && error.contains("e.g. "),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn a_date_that_can_only_mean_one_day_is_suggested() {
        assert!(parse("2026-4-30").unwrap_err().ends_with("e.g. 2026-04-30"));
        assert!(parse("30/04/2026").unwrap_err().ends_with("e.g. 2026-04-30"));
        assert!(parse("04/30/2026").unwrap_err().ends_with("e.g. 2026-04-30"));
        // 02/10/2026 is 2 October or 10 February: no guess, the plain example.
        assert!(parse("02/10/2026").unwrap_err().ends_with(&format!("e.g. {EXAMPLE}")));
        assert!(parse("-2024-01-01").unwrap_err().ends_with(&format!("e.g. {EXAMPLE}")));
    }

    #[test]
    fn date_like_text_is_recognised() {
        for text in ["2026-4-30", "30/04/2026", "30.04.2026", "-2024-01-01", "2026-04-30"] {
            assert!(looks_like_date(text), "{text}");
        }
        for text in ["uniform(0, 10)", "10 to 20", "12", "1-2", "2026-04-30T00:00"] {
            assert!(!looks_like_date(text), "{text}");
        }
    }
}
