//! VALUE in `--set PATH=VALUE`: read as TOML or as a bare string, shown,
//! and split into several for a sweep.

use toml_edit::Value;

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
}
