//! The layout rules of the source tree (issues #19 and #25), checked by
//! reading the files, so that they hold without anyone remembering them.
//! Each crate (the library, the binary, the test and bench targets) is read
//! from its root file through its `mod` declarations, as the compiler does,
//! and every path a file names counts, however it is written: `use` trees
//! with groups (`use crate::{a, b::{c}}`), paths inline (`crate::a::f()`,
//! `super::super::b`), in `mod.rs` files and in `mod tests` alike; comments
//! and strings do not count.
//! - Layers: a file of the library's top-level module names only its own
//!   module and those after it in [`LAYERS`] (the command layer on top, the
//!   scenario reader at the bottom); every top-level module is in the list.
//! - No import cycles, of any length, between the parts of one module (its
//!   files, and its folders each taken whole), in `src/` and `tests/`. The
//!   module's root file (`mod.rs`, `a.rs` beside `a/`, `lib.rs`, `main.rs`)
//!   is not a part: it declares the parts and may use them, and they may use
//!   what it defines itself; a name it only re-exports counts as the part
//!   the name comes from. Code under `#[cfg(test)]` makes no cycle (the
//!   layers hold for it). A cycle that needs a design change is listed in
//!   [`KNOWN_CYCLES`] until it is gone.
//! - Size: no file under `src/`, `tests/` or `benches/` is over
//!   [`MAX_FILE_LINES`] lines, nor a function (tests included) over
//!   [`MAX_FN_LINES`] from `fn` to its closing brace.
//! - Every `.rs` file there belongs to a crate (else no rule would reach it).

mod crates;
mod facts;
mod lexer;
mod rules;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crates::Crate;

/// The top-level modules, highest first: each may use the ones after it.
const LAYERS: [&str; 9] = [
    "cmd", "analysis", "report", "partial", "output", "engine", "model", "scenario", "readback",
];
/// "About 600 lines" with a little slack, so that a doc comment does not
/// force a split.
const MAX_FILE_LINES: usize = 650;
const MAX_FN_LINES: usize = 80;
/// The folders whose `.rs` files are checked.
const CHECKED: [&str; 3] = ["src", "tests", "benches"];

/// Every `.rs` file under the checked folders: path relative to the
/// package (with `/`) -> text. Links are not followed.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let (path, Ok(kind)) = (entry.path(), entry.file_type()) else {
                continue;
            };
            if kind.is_dir() {
                walk(&path, root, out);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).expect("under the package");
                let relative = relative.to_string_lossy().replace('\\', "/");
                out.insert(relative, fs::read_to_string(&path).expect("source is text"));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = BTreeMap::new();
    for dir in CHECKED {
        walk(&root.join(dir), root, &mut out);
    }
    out
}

/// The root file of each crate of the package: the library, the binary,
/// and each `[[test]]` and `[[bench]]` of Cargo.toml (`path`, else the
/// default place for its `name`).
fn crate_roots(files: &BTreeMap<String, String>) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let text = fs::read_to_string(manifest).expect("Cargo.toml is readable");
    let manifest: toml::Table = text.parse().expect("Cargo.toml is TOML");
    let mut roots: Vec<String> = ["src/lib.rs", "src/main.rs"].into_iter().map(String::from).collect();
    for (kind, dir) in [("test", "tests"), ("bench", "benches")] {
        let targets = manifest.get(kind).and_then(|t| t.as_array()).into_iter().flatten();
        for target in targets {
            let path = target.get("path").and_then(|p| p.as_str()).map(String::from);
            let name = target.get("name").and_then(|n| n.as_str()).unwrap_or_default();
            roots.push(path.unwrap_or_else(|| format!("{dir}/{name}.rs")));
        }
    }
    roots.retain(|root| files.contains_key(root));
    roots
}

/// Each crate of the package, read from `files`.
fn crates(files: &BTreeMap<String, String>) -> Vec<(String, Crate)> {
    crate_roots(files)
        .into_iter()
        .map(|root| (root.clone(), Crate::read(files, &root)))
        .collect()
}

#[test]
fn each_module_uses_only_the_modules_below_it() {
    let library = Crate::read(&sources(), "src/lib.rs");
    let wrong = rules::layering(&library, &LAYERS);
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

/// Import cycles known and left for a design change: crate root, module,
/// and the parts in the cycle. The test fails on any other cycle, and on a
/// listed one that is gone (then remove it here).
const KNOWN_CYCLES: [(&str, &str, &[&str]); 0] = [];

/// A cycle as `KNOWN_CYCLES` lists it: `root, in module: parts`.
fn cycle_key(root: &str, module: &str, parts: &[&str]) -> String {
    format!("{root}, in {module}: {}", parts.join(", "))
}

#[test]
fn no_parts_of_a_module_use_each_other_in_a_cycle() {
    let mut found = Vec::new();
    let mut known: BTreeSet<String> = KNOWN_CYCLES.iter().map(|(r, m, p)| cycle_key(r, m, p)).collect();
    for (root, krate) in crates(&sources()) {
        for cycle in rules::cycles(&krate) {
            let parts: Vec<&str> = cycle.parts.iter().map(String::as_str).collect();
            if !known.remove(&cycle_key(&root, &cycle.module.join("::"), &parts)) {
                found.push(format!("{root}, {}", cycle.message));
            }
        }
    }
    found.extend(
        known
            .iter()
            .map(|key| format!("{key}: no longer a cycle, remove it from KNOWN_CYCLES")),
    );
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn files_and_functions_stay_short() {
    let long: Vec<String> = sources()
        .iter()
        .flat_map(|(path, text)| rules::sizes(path, text, MAX_FILE_LINES, MAX_FN_LINES))
        .collect();
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}

#[test]
fn every_source_file_belongs_to_a_crate() {
    let files = sources();
    let mut reached = BTreeSet::new();
    let mut problems = Vec::new();
    for (_, krate) in crates(&files) {
        reached.extend(krate.files.iter().map(|(file, _, _)| file.clone()));
        problems.extend(krate.missing.iter().map(|m| format!("{m}: its file is not found")));
    }
    problems.extend(
        files
            .keys()
            .filter(|f| !reached.contains(*f))
            .map(|f| format!("{f}: in no crate")),
    );
    assert!(
        problems.is_empty(),
        "files outside the module tree:\n{}",
        problems.join("\n")
    );
}
