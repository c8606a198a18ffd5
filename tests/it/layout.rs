//! The layout rules of the source tree (issue #19), checked by reading the
//! files, so that they hold without anyone remembering them:
//! - each module uses only the modules after it in [`LAYERS`] (the command
//!   layer on top, the scenario reader at the bottom);
//! - no two files of one module use each other (no import cycle);
//! - no file is over [`MAX_FILE_LINES`] lines and no function over
//!   [`MAX_FN_LINES`] (tests included), so each stays readable in one go.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules, highest first: each may use the ones after it.
const LAYERS: [&str; 10] = [
    "cmd", "analysis", "report", "partial", "output", "engine", "model", "scenario", "readback", "budget",
];
/// "About 600 lines" with a little slack, so that a doc comment does not
/// force a split.
const MAX_FILE_LINES: usize = 650;
const MAX_FN_LINES: usize = 80;

/// Every `.rs` file under `src/`, with its path relative to `src/`.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .expect("src is readable")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, fs::read_to_string(&path).expect("source is text")));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

/// The top-level module a file belongs to (`cmd/run.rs` -> `cmd`,
/// `partial.rs` -> `partial`); `None` for `lib.rs` and `main.rs`.
fn module_of(path: &str) -> Option<&str> {
    let first = path.split('/').next()?;
    let name = first.trim_end_matches(".rs");
    LAYERS.contains(&name).then_some(name)
}

/// The top-level modules a file names as `crate::NAME`.
fn crate_uses(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = text[at + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if LAYERS.contains(&name.as_str()) {
            used.insert(name);
        }
    }
    used
}

#[test]
fn each_module_uses_only_the_modules_below_it() {
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    for (path, text) in sources() {
        let Some(module) = module_of(&path) else { continue };
        for used in crate_uses(&text) {
            if rank(&used) < rank(module) {
                wrong.push(format!("{path} uses crate::{used}, a layer above {module}"));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_two_files_of_a_module_use_each_other() {
    // Edges between sibling files (not their mod.rs): a.rs -> b.rs when a.rs
    // names `super::b` or `crate::...::b::`.
    let files = sources();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &files {
        let Some((dir, file)) = path.rsplit_once('/') else {
            continue;
        };
        if file == "mod.rs" {
            continue;
        }
        let me = file.trim_end_matches(".rs");
        let prefix = format!("{dir}/");
        for (other, _) in &files {
            let Some(sibling) = other.strip_prefix(&prefix) else {
                continue;
            };
            let sibling = sibling.trim_end_matches(".rs").trim_end_matches("/mod");
            if sibling == me || sibling == "mod" || sibling.contains('/') {
                continue;
            }
            let module_path = format!("{}::{sibling}", dir.replace('/', "::"));
            if text.contains(&format!("super::{sibling}::"))
                || text.contains(&format!("super::{sibling};"))
                || text.contains(&format!("super::{sibling}::{{"))
                || text.contains(&format!("crate::{module_path}::"))
            {
                edges
                    .entry(format!("{dir}/{me}"))
                    .or_default()
                    .insert(format!("{dir}/{sibling}"));
            }
        }
    }
    let mut cycles = Vec::new();
    for (from, tos) in &edges {
        for to in tos {
            if edges.get(to).is_some_and(|back| back.contains(from)) && from < to {
                cycles.push(format!("{from} <-> {to}"));
            }
        }
    }
    assert!(cycles.is_empty(), "files that use each other:\n{}", cycles.join("\n"));
}

#[test]
fn files_and_functions_stay_short() {
    let mut long = Vec::new();
    for (path, text) in sources() {
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() > MAX_FILE_LINES {
            long.push(format!("{path}: {} lines (at most {MAX_FILE_LINES})", lines.len()));
        }
        for (start, length, name) in functions(&lines) {
            if length > MAX_FN_LINES {
                long.push(format!(
                    "{path}:{}: fn {name} has {length} lines (at most {MAX_FN_LINES})",
                    start + 1
                ));
            }
        }
    }
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}

/// Each function with a body: its first line (0-based), its length from
/// `fn` to the closing brace at the same indentation, and its name.
fn functions(lines: &[&str]) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            continue;
        };
        let leading_ok = words[..at]
            .iter()
            .all(|w| w.starts_with("pub") || matches!(*w, "const" | "unsafe" | "async" | "extern"));
        if !leading_ok || line.trim_end().ends_with(';') {
            continue;
        }
        let name: String = words
            .get(at + 1)
            .map(|w| w.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
            .unwrap_or_default();
        let closing = " ".repeat(indent) + "}";
        if let Some(end) = lines[i..].iter().position(|l| l.trim_end() == closing) {
            found.push((i, end + 1, name));
        }
    }
    found
}

#[test]
fn the_function_finder_measures_from_fn_to_its_brace() {
    let text = "fn a() {\n    1\n}\n    pub(crate) fn b(\n        x: u8,\n    ) -> u8 {\n        x\n    }\nfn c();\n";
    let lines: Vec<&str> = text.lines().collect();
    let found: Vec<(usize, usize, String)> = functions(&lines);
    assert_eq!(found, [(0, 3, "a".to_string()), (3, 5, "b".to_string())]);
}
