//! Reading the documents for `docs_commands`: fenced blocks, the HTML-comment
//! markers before them, shell words, and the commands the test can run.

/// A marker: an HTML comment on the lines directly before a fenced block.
#[derive(Debug, Clone, PartialEq)]
pub enum Marker {
    /// `<!-- output -->`: the block is the output of the nearest ```sh block above.
    OutputAbove,
    /// `<!-- output: COMMAND -->`: the block is the output of COMMAND.
    OutputOf(String),
    /// `<!-- rows: COMMAND; file PATH -->` (or `<!-- rows: file PATH -->`).
    Rows { command: Option<String>, file: String },
    /// `<!-- file: NAME -->`: the block's text is the file NAME.
    File(String),
    /// `<!-- before: COMMAND -->`: run COMMAND first (its output is not compared).
    Before(String),
    /// `<!-- not checked: REASON -->`.
    NotChecked(String),
    /// `<!-- synopsis -->`: each line `forcegen COMMAND ...` names a command
    /// and flags that its `--help` lists.
    Synopsis,
}

/// One fenced block of a document.
#[derive(Debug)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    pub lang: String,
    pub body: Vec<String>,
    pub markers: Vec<Marker>,
    /// Whether a heading comes between the previous block and this one.
    pub after_heading: bool,
}

/// One thing a quoted command does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// `forcegen ARGS` (or `cargo run --release -- ARGS`).
    Forcegen(Vec<String>),
    /// `cat PATH`, in a transcript.
    Cat(String),
}

/// Parses a marker comment; `Ok(None)` for a line that is not one (also
/// another HTML comment); `Err` for a marker written wrong.
fn marker(line: &str) -> Result<Option<Marker>, String> {
    let Some(inner) = line.trim().strip_prefix("<!--").and_then(|l| l.strip_suffix("-->")) else {
        return Ok(None);
    };
    let inner = inner.trim();
    let (key, value) = match inner.split_once(':') {
        Some((k, v)) => (k.trim(), v.trim()),
        None => (inner, ""),
    };
    let need = |what: &str| {
        if value.is_empty() {
            Err(format!("`<!-- {key}: ... -->` needs {what}"))
        } else {
            Ok(value.to_string())
        }
    };
    Ok(Some(match key {
        "output" if value.is_empty() => Marker::OutputAbove,
        "synopsis" if value.is_empty() => Marker::Synopsis,
        "output" => Marker::OutputOf(value.to_string()),
        "file" => Marker::File(need("a file name")?),
        "before" => Marker::Before(need("a command")?),
        "not checked" => Marker::NotChecked(need("a reason")?),
        "rows" => {
            let (command, file) = match value.rsplit_once("; file ") {
                Some((c, f)) => (Some(c.trim().to_string()), f.trim()),
                None => (None, value.strip_prefix("file ").unwrap_or("").trim()),
            };
            if file.is_empty() {
                return Err("write `<!-- rows: COMMAND; file PATH -->` or `<!-- rows: file PATH -->`".into());
            }
            Marker::Rows {
                command,
                file: file.to_string(),
            }
        }
        _ => return Ok(None),
    }))
}

/// The info string (language) of a line that opens a fenced block: three or
/// more backticks, then no backtick (as CommonMark has it).
fn fence(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    let rest = trimmed.trim_start_matches('`');
    (trimmed.len() - rest.len() >= 3 && !rest.contains('`')).then_some(rest)
}

/// Every fenced block of `text`, with its markers. A marker must be followed
/// by a fenced block, with only blank lines or other markers between; any
/// other HTML comment there is an error (a misspelt marker would check nothing).
pub fn blocks(text: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut pending: Vec<(usize, Marker)> = Vec::new();
    // An HTML comment that is no marker, kept until prose or a fence follows.
    let mut unknown: Option<String> = None;
    let mut heading = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(lang) = fence(line) {
            let start = i;
            i += 1;
            while i < lines.len() && lines[i].trim() != "```" {
                i += 1;
            }
            if i == lines.len() {
                return Err(format!("line {}: this ``` block is never closed", start + 1));
            }
            if let Some(e) = unknown.take() {
                return Err(e);
            }
            let body = lines[start + 1..i].iter().map(|l| l.to_string()).collect();
            let markers = pending.drain(..).map(|(_, m)| m).collect();
            let lang = lang.trim().to_string();
            blocks.push(Block {
                line: start + 1,
                lang,
                body,
                markers,
                after_heading: heading,
            });
            heading = false;
        } else if line.trim_start().starts_with("<!--") && line.trim_end().ends_with("-->") {
            match marker(line).map_err(|e| format!("line {}: {e}", i + 1))? {
                Some(m) => pending.push((i + 1, m)),
                None => {
                    unknown = Some(format!(
                        "line {}: `{}` is not a marker this test knows",
                        i + 1,
                        line.trim()
                    ))
                }
            }
        } else if !line.trim().is_empty() {
            unknown = None;
            heading |= line.starts_with('#');
            if let Some((at, _)) = pending.first() {
                return Err(format!("line {at}: a marker must come directly before a ``` block"));
            }
        }
        i += 1;
    }
    match pending.first() {
        Some((at, _)) => Err(format!("line {at}: a marker must come directly before a ``` block")),
        None => Ok(blocks),
    }
}

/// Splits a shell line into words as `sh` would for these examples: single
/// and double quotes, backslash escapes, and a `#` comment at a word's start.
pub fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '#' if word.is_none() => break,
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(format!("unclosed ' in `{line}`")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => w.extend(chars.next()),
                        Some(c) => w.push(c),
                        None => return Err(format!("unclosed \" in `{line}`")),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// The step a command line is, if the test can run it (`cat` only when
/// `allow_cat`). `Err` for a line that uses forcegen in another way.
pub fn step(line: &str, allow_cat: bool) -> Result<Option<Step>, String> {
    let words = shell_words(line)?;
    let strs: Vec<&str> = words.iter().map(String::as_str).collect();
    match strs.as_slice() {
        ["forcegen", ..] => Ok(Some(Step::Forcegen(words[1..].to_vec()))),
        ["cargo", "run", "--release", "--", ..] => Ok(Some(Step::Forcegen(words[4..].to_vec()))),
        ["cat", path] if allow_cat => Ok(Some(Step::Cat(path.to_string()))),
        _ if strs.iter().any(|w| *w == "forcegen" || w.ends_with("/forcegen")) => Err(format!(
            "`{line}` runs forcegen in a way this test cannot: write it as `forcegen ARGS`, \
             or mark the block `<!-- not checked: REASON -->`"
        )),
        _ => Ok(None),
    }
}

/// Joins lines ending in `\` with the next, keeping each command's first
/// line number (0-based, into `lines`).
pub fn logical_lines(lines: &[String]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut continued = false;
    for (i, line) in lines.iter().enumerate() {
        let (text, cont) = match line.trim_end().strip_suffix('\\') {
            Some(t) => (t.trim_end().to_string(), true),
            None => (line.to_string(), false),
        };
        match out.last_mut() {
            Some((_, last)) if continued => {
                last.push(' ');
                last.push_str(text.trim_start());
            }
            _ => out.push((i, text)),
        }
        continued = cont;
    }
    out
}

/// Whether `expected` matches `actual`, where a line `...` in `expected`
/// stands for any number of lines (also none).
pub fn matches(expected: &[String], actual: &[String]) -> bool {
    // reach[j]: expected[..i] matches actual[..j].
    let mut reach = vec![false; actual.len() + 1];
    reach[0] = true;
    for e in expected {
        let mut next = vec![false; actual.len() + 1];
        if e.trim() == "..." {
            let mut any = false;
            for j in 0..=actual.len() {
                any |= reach[j];
                next[j] = any;
            }
        } else {
            for j in 0..actual.len() {
                next[j + 1] = reach[j] && actual[j] == *e;
            }
        }
        reach = next;
    }
    reach[actual.len()]
}

#[test]
fn shell_words_and_elisions() {
    let words = shell_words(r#"forcegen run --set 'a=beta(8, 2)' --set "b=\"x\"" c\ d   # comment"#).unwrap();
    assert_eq!(
        words,
        ["forcegen", "run", "--set", "a=beta(8, 2)", "--set", "b=\"x\"", "c d"]
    );
    let lines = |s: &str| s.split('|').map(String::from).collect::<Vec<_>>();
    assert!(matches(&lines("a|...|d"), &lines("a|b|c|d")));
    assert!(matches(&lines("a|...|b|..."), &lines("a|b")));
    assert!(!matches(&lines("a|...|c"), &lines("a|b|c|d")));
    assert!(!matches(&lines("a|b"), &lines("a|b|c")));
    assert_eq!(
        flags("forcegen run [--set PATH=V]... [--shard K/N --partial FILE]"),
        ["--set", "--shard", "--partial"]
    );
    let joined = logical_lines(&lines("forcegen run \\|  --out x|forcegen merge"));
    assert_eq!(
        joined,
        [
            (0, "forcegen run --out x".to_string()),
            (2, "forcegen merge".to_string())
        ]
    );
}

#[test]
fn markers_belong_to_the_next_block() {
    let doc = "<!-- rows: forcegen run; file out/a.csv -->\n\n```text\nx\n```\n# H\n<!-- output -->\n```text\n```\n";
    let found = blocks(doc).unwrap();
    let file = "out/a.csv".to_string();
    assert_eq!(
        found[0].markers,
        [Marker::Rows {
            command: Some("forcegen run".into()),
            file
        }]
    );
    assert_eq!((found[0].after_heading, found[1].after_heading), (false, true));
    assert_eq!(found[1].markers, [Marker::OutputAbove]);
    assert!(
        blocks("<!-- output -->\nprose\n```text\n```\n")
            .unwrap_err()
            .contains("directly before")
    );
    assert!(
        blocks("<!-- outptu -->\n```text\n```\n")
            .unwrap_err()
            .contains("not a marker")
    );
    assert!(blocks("<!-- a comment -->\nprose\n```text\n```\n").is_ok());
    assert!(blocks("<!-- not checked: -->\n```text\n```\n").is_err());
}

/// The flags (`--name`) a synopsis line names.
pub fn flags(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(pos) = rest.find("--") {
        rest = &rest[pos + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        if end > 0 {
            found.push(format!("--{}", &rest[..end]));
        }
        rest = &rest[end..];
    }
    found
}
