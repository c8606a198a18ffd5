//! A small Rust tokenizer for the layout checks: words, `::` and single
//! punctuation marks with their line numbers, with comments dropped and
//! string, character and number literals each reduced to one token, so
//! that a `crate::cmd` in a doc comment or a string is not taken for a use.

/// What a token is: the checks only need to tell these apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A word: a keyword, a name, `$crate`, or a number.
    Word,
    /// `::` or one punctuation character.
    Punct,
    /// A string literal (its text is the contents, escapes left as written).
    Str,
    /// A character literal or a lifetime.
    Other,
}

/// One token and the 1-based line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub text: String,
    pub line: usize,
}

impl Token {
    /// Whether this is the word or punctuation `text`.
    pub fn is(&self, text: &str) -> bool {
        self.kind != Kind::Str && self.text == text
    }

    /// Whether this is a word that can name a path segment.
    pub fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }
}

/// The tokens of a Rust source text.
pub fn tokens(source: &str) -> Vec<Token> {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        at: 0,
        line: 1,
        out: Vec::new(),
    };
    lexer.run();
    lexer.out
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: usize,
    out: Vec<Token>,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// Moves past one character, counting lines.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn push(&mut self, kind: Kind, text: String, line: usize) {
        self.out.push(Token { kind, text, line });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            let line = self.line;
            match (c, self.peek(1)) {
                (c, _) if c.is_whitespace() => {
                    self.bump();
                }
                ('/', Some('/')) => self.line_comment(),
                ('/', Some('*')) => self.block_comment(),
                ('"', _) => {
                    let text = self.quoted();
                    self.push(Kind::Str, text, line);
                }
                ('\'', _) => self.quote_mark(line),
                ('$', Some(n)) if is_word_start(n) => {
                    self.bump();
                    let word = format!("${}", self.word());
                    self.push(Kind::Word, word, line);
                }
                (c, _) if is_word_start(c) || c.is_ascii_digit() => self.word_or_prefixed(line),
                (':', Some(':')) => {
                    self.at += 2;
                    self.push(Kind::Punct, "::".into(), line);
                }
                (c, _) => {
                    self.bump();
                    self.push(Kind::Punct, c.to_string(), line);
                }
            }
        }
    }

    fn line_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    /// A block comment, nested ones included.
    fn block_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.bump() {
            if c == '/' && self.peek(0) == Some('*') {
                self.bump();
                depth += 1;
            } else if c == '*' && self.peek(0) == Some('/') {
                self.bump();
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
        }
    }

    /// A `"..."` string with backslash escapes; returns its contents.
    fn quoted(&mut self) -> String {
        self.bump();
        let mut text = String::new();
        while let Some(c) = self.bump() {
            match c {
                '"' => break,
                '\\' => {
                    text.push(c);
                    if let Some(next) = self.bump() {
                        text.push(next);
                    }
                }
                _ => text.push(c),
            }
        }
        text
    }

    /// `r"..."` or `r#"..."#` (the `r`, `br` or `cr` already read).
    fn raw_string(&mut self) -> String {
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            self.bump();
            hashes += 1;
        }
        self.bump();
        let mut text = String::new();
        while let Some(c) = self.bump() {
            if c == '"' && (0..hashes).all(|k| self.peek(k) == Some('#')) {
                self.at += hashes;
                break;
            }
            text.push(c);
        }
        text
    }

    /// A character literal (`'a'`, `'\n'`) or a lifetime (`'a`).
    fn quote_mark(&mut self, line: usize) {
        self.bump();
        if self.peek(0) == Some('\\') {
            self.bump();
            self.bump();
            while self.peek(0).is_some_and(|c| c != '\'' && c != '\n') {
                self.bump();
            }
            self.bump();
            self.push(Kind::Other, "'char'".into(), line);
        } else if self.peek(1) == Some('\'') {
            self.at += 2;
            self.push(Kind::Other, "'char'".into(), line);
        } else {
            let name = self.word();
            self.push(Kind::Other, format!("'{name}"), line);
        }
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek(0).filter(|c| c.is_alphanumeric() || *c == '_') {
            word.push(c);
            self.at += 1;
        }
        word
    }

    /// A word, or a literal that starts like one: `b"..."`, `r#"..."#`,
    /// `b'x'`, and the raw identifier `r#name`.
    fn word_or_prefixed(&mut self, line: usize) {
        let word = self.word();
        let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
        match (self.peek(0), self.peek(1)) {
            (Some('"'), _) if raw_prefix => {
                let text = self.raw_string();
                self.push(Kind::Str, text, line);
            }
            (Some('#'), Some('"' | '#')) if raw_prefix => {
                let text = self.raw_string();
                self.push(Kind::Str, text, line);
            }
            (Some('#'), Some(c)) if word == "r" && is_word_start(c) => {
                self.bump();
                let name = self.word();
                self.push(Kind::Word, name, line);
            }
            (Some('"'), _) if matches!(word.as_str(), "b" | "c") => {
                let text = self.quoted();
                self.push(Kind::Str, text, line);
            }
            (Some('\''), _) if word == "b" => self.quote_mark(line),
            _ => self.push(Kind::Word, word, line),
        }
    }
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<String> {
        tokens(source).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn comments_go_and_paths_stay() {
        let source = "// crate::cmd\n/* a /* nested */ crate::cmd */ use crate::model::{a, b};";
        assert_eq!(
            texts(source),
            ["use", "crate", "::", "model", "::", "{", "a", ",", "b", "}", ";"]
        );
    }

    #[test]
    fn literals_are_one_token_each() {
        let source = r####"f("crate::cmd \" {", r#"crate::cmd "}"#, b"x", 'a', '\'', '{', b'}', 'life)"####;
        let found = tokens(source);
        let kinds: Vec<Kind> = found.iter().map(|t| t.kind).collect();
        use Kind::{Other, Punct, Str, Word};
        assert_eq!(
            kinds,
            [
                Word, Punct, Str, Punct, Str, Punct, Str, Punct, Other, Punct, Other, Punct, Other, Punct, Other,
                Punct, Other, Punct
            ]
        );
        assert_eq!(found[2].text, r#"crate::cmd \" {"#);
        assert_eq!(found[4].text, r#"crate::cmd "}"#);
    }

    #[test]
    fn lines_are_counted_through_comments_and_strings() {
        let source = "a\n/* \n */ b \"\n\" c\n$crate r#type";
        let lines: Vec<(String, usize)> = tokens(source).into_iter().map(|t| (t.text, t.line)).collect();
        let expected = [("a", 1), ("b", 3), ("\n", 3), ("c", 4), ("$crate", 5), ("type", 5)];
        assert_eq!(lines, expected.map(|(t, l)| (t.to_string(), l)));
    }
}
