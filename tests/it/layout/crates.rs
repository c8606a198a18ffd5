//! A crate's module tree, followed from its root file through its `mod`
//! declarations as the compiler does (`a.rs`, `a/mod.rs`, `#[path]` and
//! inline modules alike), and each path a file names resolved to the
//! module it lands in, through re-exports.

use std::collections::{BTreeMap, BTreeSet};

use super::facts::{Facts, PathUse, facts};

/// A module's path from the crate root (`["model", "strength"]`).
pub type ModPath = Vec<String>;

/// How deep re-exports are followed (a chain longer than this is taken to
/// end at the last module reached).
const MAX_REEXPORT_HOPS: usize = 16;

/// One module of a crate.
#[derive(Debug)]
pub struct Module {
    /// The file its body is in.
    pub file: String,
    /// Whether it is compiled only for tests (`#[cfg(test)]` on it or on a
    /// module around it).
    pub test_only: bool,
}

/// A path named somewhere in a crate, with where it is named.
#[derive(Debug)]
pub struct Named<'a> {
    pub file: &'a str,
    /// The module it is named in (an inline module included).
    pub from: ModPath,
    pub path: &'a PathUse,
    /// Whether the code it is named in is compiled only for tests.
    pub test_only: bool,
}

/// A crate read from a set of files (path -> text).
#[derive(Debug, Default)]
pub struct Crate {
    pub modules: BTreeMap<ModPath, Module>,
    /// Each file of the crate and what it holds, in the order reached.
    pub files: Vec<(String, ModPath, Facts)>,
    /// Declared modules whose file is not in the set (`file: name`).
    pub missing: Vec<String>,
    /// For each module, the names its `use` items bind: name -> path.
    bindings: BTreeMap<ModPath, BTreeMap<String, Vec<String>>>,
}

/// The folder part of a path (`a/b.rs` -> `a`, `b.rs` -> ``).
fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// `a/./b/../c` -> `a/c`, for `#[path]` values.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// A module file still to read.
struct ToRead {
    file: String,
    module: ModPath,
    child_dir: String,
    test_only: bool,
}

impl Crate {
    /// Reads the crate whose root file is `root`, from `files`.
    pub fn read(files: &BTreeMap<String, String>, root: &str) -> Crate {
        let mut krate = Crate::default();
        let first = ToRead {
            file: root.to_string(),
            module: ModPath::new(),
            child_dir: dir_of(root).to_string(),
            test_only: false,
        };
        let mut queue = vec![first];
        let mut seen = BTreeSet::new();
        while let Some(next) = queue.pop() {
            let Some(text) = files.get(&next.file).filter(|_| seen.insert(next.file.clone())) else {
                continue;
            };
            let found = facts(text);
            let module = Module {
                file: next.file.clone(),
                test_only: next.test_only,
            };
            krate.modules.insert(next.module.clone(), module);
            queue.extend(krate.declare(files, &next, &found));
            krate.files.push((next.file, next.module, found));
        }
        krate.bind();
        krate
    }

    /// Records the inline modules a file declares, and returns the files
    /// of the others to read.
    fn declare(&mut self, files: &BTreeMap<String, String>, at: &ToRead, found: &Facts) -> Vec<ToRead> {
        let mut to_read = Vec::new();
        for decl in &found.mods {
            let mut scope_dir = at.child_dir.clone();
            let mut module = at.module.clone();
            for inner in &decl.scope {
                scope_dir = join(&scope_dir, inner);
                module.push(inner.clone());
            }
            module.push(decl.name.clone());
            let test_only = at.test_only || decl.test_only;
            if decl.inline {
                let file = at.file.clone();
                self.modules.insert(module, Module { file, test_only });
                continue;
            }
            match child_file(files, &at.file, &scope_dir, &decl.name, decl.path.as_deref()) {
                Some((file, child_dir)) => to_read.push(ToRead {
                    file,
                    module,
                    child_dir,
                    test_only,
                }),
                None => self.missing.push(format!("{}: mod {}", at.file, decl.name)),
            }
        }
        to_read
    }

    /// Records the names each module's `use` items bind.
    fn bind(&mut self) {
        for (_, module, found) in &self.files {
            for used in &found.uses {
                let Some(name) = &used.binds else { continue };
                let mut from = module.clone();
                from.extend(used.scope.iter().cloned());
                self.bindings
                    .entry(from)
                    .or_default()
                    .insert(name.clone(), used.segments.clone());
            }
        }
    }

    /// Every path named in the crate, with the file and module it is in.
    pub fn named(&self) -> Vec<Named<'_>> {
        let mut out = Vec::new();
        for (file, module, found) in &self.files {
            for path in &found.uses {
                let mut from = module.clone();
                from.extend(path.scope.iter().cloned());
                let test_only = path.test_only || self.modules.get(module).is_some_and(|m| m.test_only);
                out.push(Named {
                    file,
                    from,
                    path,
                    test_only,
                });
            }
        }
        out
    }

    /// The module a path named in `from` lands in: the deepest module it
    /// names, or, for an item a module only re-exports, the module the item
    /// comes from. `None` for a path outside the crate.
    pub fn resolve(&self, from: &[String], segments: &[String]) -> Option<ModPath> {
        self.resolve_hops(from, segments, 0)
    }

    fn resolve_hops(&self, from: &[String], segments: &[String], hops: usize) -> Option<ModPath> {
        let (mut module, rest) = self.start(from, segments)?;
        let mut rest = rest.iter();
        let mut item = None;
        for segment in rest.by_ref() {
            let mut deeper = module.clone();
            deeper.push(segment.clone());
            if !self.modules.contains_key(&deeper) {
                item = Some(segment);
                break;
            }
            module = deeper;
        }
        let reexported = item.and_then(|name| self.bindings.get(&module)?.get(name));
        match reexported {
            Some(path) if hops < MAX_REEXPORT_HOPS => {
                Some(self.resolve_hops(&module, path, hops + 1).unwrap_or(module))
            }
            _ => Some(module),
        }
    }

    /// Where a path starts (`crate`, `self`, `super`s, or a child module of
    /// `from`) and the segments after that start.
    fn start<'s>(&self, from: &[String], segments: &'s [String]) -> Option<(ModPath, &'s [String])> {
        let first = segments.first()?;
        match first.as_str() {
            "crate" | "$crate" => Some((ModPath::new(), &segments[1..])),
            "self" => Some((from.to_vec(), &segments[1..])),
            "super" => {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                let up = from.len().checked_sub(supers)?;
                Some((from[..up].to_vec(), &segments[supers..]))
            }
            _ => {
                let mut child = from.to_vec();
                child.push(first.clone());
                self.modules.contains_key(&child).then_some((child, &segments[1..]))
            }
        }
    }
}

/// The file of a `mod NAME;` declared in `file`, and the folder its own
/// children are looked for in: `#[path]` (relative to `file`'s folder),
/// else `DIR/NAME.rs` or `DIR/NAME/mod.rs`.
fn child_file(
    files: &BTreeMap<String, String>,
    file: &str,
    dir: &str,
    name: &str,
    path: Option<&str>,
) -> Option<(String, String)> {
    if let Some(path) = path {
        let child = normalise(&join(dir_of(file), path));
        let child_dir = dir_of(&child).to_string();
        return files.contains_key(&child).then_some((child, child_dir));
    }
    let own_dir = join(dir, name);
    let flat = join(dir, &format!("{name}.rs"));
    let nested = join(&own_dir, "mod.rs");
    [flat, nested]
        .into_iter()
        .find(|f| files.contains_key(f))
        .map(|f| (f, own_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krate(files: &[(&str, &str)]) -> Crate {
        let files = files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        Crate::read(&files, "src/lib.rs")
    }

    fn path(text: &str) -> ModPath {
        text.split("::").filter(|s| !s.is_empty()).map(String::from).collect()
    }

    #[test]
    fn every_kind_of_module_file_is_followed() {
        let found = krate(&[
            (
                "src/lib.rs",
                "mod a;\nmod b;\n#[path = \"other/c.rs\"]\nmod c;\nmod gone;",
            ),
            ("src/a/mod.rs", "mod x;\n#[cfg(test)]\nmod tests { mod inner {} }"),
            ("src/a/x.rs", ""),
            ("src/b.rs", "#[cfg(test)]\nmod y;"),
            ("src/b/y.rs", ""),
            ("src/other/c.rs", "mod z;"),
            ("src/other/z.rs", ""),
            ("src/stray.rs", ""),
        ]);
        let modules: Vec<(String, &str)> = found
            .modules
            .iter()
            .map(|(p, m)| (p.join("::"), m.file.as_str()))
            .collect();
        let expected = [
            ("", "src/lib.rs"),
            ("a", "src/a/mod.rs"),
            ("a::tests", "src/a/mod.rs"),
            ("a::tests::inner", "src/a/mod.rs"),
            ("a::x", "src/a/x.rs"),
            ("b", "src/b.rs"),
            ("b::y", "src/b/y.rs"),
            ("c", "src/other/c.rs"),
            ("c::z", "src/other/z.rs"),
        ];
        assert_eq!(modules, expected.map(|(p, f)| (p.to_string(), f)));
        assert_eq!(found.missing, ["src/lib.rs: mod gone"]);
        let test_only: Vec<String> = found
            .modules
            .iter()
            .filter(|(_, m)| m.test_only)
            .map(|(p, _)| p.join("::"))
            .collect();
        assert_eq!(test_only, ["a::tests", "a::tests::inner", "b::y"]);
    }

    #[test]
    fn paths_resolve_from_the_module_they_are_named_in() {
        let found = krate(&[
            ("src/lib.rs", "mod a;\nmod b;"),
            (
                "src/a/mod.rs",
                "mod x;\nmod y;\npub use x::Thing;\npub use self::y::Other as Renamed;\nuse crate::b::Far;",
            ),
            ("src/a/x.rs", "pub struct Thing;\nmod tests {}"),
            ("src/a/y.rs", "pub use super::x::Thing as Other;"),
            ("src/b.rs", "pub struct Far;"),
        ]);
        let at = |from: &str, named: &str| found.resolve(&path(from), &path(named)).map(|p| p.join("::"));
        assert_eq!(at("a::x", "super::y"), Some("a::y".into()));
        assert_eq!(at("a::x::tests", "super::super::y::f"), Some("a::y".into()));
        assert_eq!(at("a", "x::Thing"), Some("a::x".into()));
        // Re-exports are followed to where the item comes from, however many.
        assert_eq!(at("b", "crate::a::Thing"), Some("a::x".into()));
        assert_eq!(at("b", "crate::a::Renamed"), Some("a::x".into()));
        assert_eq!(at("a::y", "super::Far"), Some("b".into()));
        // An item the module defines itself lands on the module.
        assert_eq!(at("a::y", "super::Defined"), Some("a".into()));
        assert_eq!(at("a", "std::fmt"), None);
        assert_eq!(at("", "super::x"), None);
    }
}
