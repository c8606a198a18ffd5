//! The layout rules, each a function from a crate (or a file) to the list
//! of what breaks it, so that each can be tried on synthetic source text.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::crates::{Crate, ModPath};
use super::facts::facts;

fn shown(path: &[String]) -> String {
    if path.is_empty() {
        "the crate root".into()
    } else {
        path.join("::")
    }
}

/// Layering: a file of a top-level module names only its own module and
/// the ones after it in `layers`, however the path is written
/// (`crate::a::f()`, `use crate::{a, b}`, `super::a`); and every top-level
/// module has a place in `layers`.
pub fn layering(krate: &Crate, layers: &[&str]) -> Vec<String> {
    let rank = |name: &str| layers.iter().position(|l| *l == name);
    let mut wrong = Vec::new();
    for (module, found) in &krate.modules {
        if module.len() == 1 && rank(&module[0]).is_none() {
            wrong.push(format!("{}: module {} has no place in LAYERS", found.file, module[0]));
        }
    }
    for named in krate.named() {
        let (Some(own), Some(target)) = (named.from.first(), krate.resolve(&named.from, &named.path.segments)) else {
            continue;
        };
        let Some(used) = target.first() else { continue };
        if let (Some(me), Some(them)) = (rank(own), rank(used))
            && them < me
        {
            wrong.push(format!(
                "{}:{}: {} names {}, in {used}, a layer above {own}",
                named.file,
                named.path.line,
                shown(&named.from),
                named.path.segments.join("::")
            ));
        }
    }
    wrong
}

/// The uses between the parts of each module: for a module, an edge from
/// one child to another (a child being a file or a folder with all that is
/// under it), with the first place that makes it. Code compiled only for
/// tests is left out.
pub fn edges(krate: &Crate) -> BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, String>>> {
    let mut edges: BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for named in krate.named().into_iter().filter(|named| !named.test_only) {
        let Some(target) = krate.resolve(&named.from, &named.path.segments) else {
            continue;
        };
        let common = named.from.iter().zip(&target).take_while(|(a, b)| a == b).count();
        let (Some(from), Some(to)) = (named.from.get(common), target.get(common)) else {
            continue;
        };
        let place = format!("{}:{}", named.file, named.path.line);
        let parent = named.from[..common].to_vec();
        let tos = edges.entry(parent).or_default().entry(from.clone()).or_default();
        tos.entry(to.clone()).or_insert(place);
    }
    edges
}

/// An import cycle: the module, its parts that are in it, and a message
/// naming one cycle through them, with the place of each step.
#[derive(Debug)]
pub struct Cycle {
    pub module: ModPath,
    pub parts: BTreeSet<String>,
    pub message: String,
}

/// No cycles: within each module, the uses between its parts form no cycle
/// of any length. The module's root file (`mod.rs`, `a.rs` for `a/`, or the
/// crate root) is not one of its parts: it declares them and may use them,
/// and they may use what it defines itself; a name it only re-exports
/// counts as a use of the part the name comes from. Code compiled only for
/// tests does not count: nothing shipped depends on it, and a test may take
/// any sibling as a fixture.
pub fn cycles(krate: &Crate) -> Vec<Cycle> {
    let mut found = Vec::new();
    for (module, graph) in edges(krate) {
        for parts in strong_components(&graph) {
            let module = module.clone();
            let cycle = a_cycle(&graph, &parts);
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} -> {}: {}", w[0], w[1], graph[&w[0]][&w[1]]))
                .collect();
            let mut message = format!("in {}: {} ({})", shown(&module), cycle.join(" -> "), steps.join("; "));
            if parts.len() + 1 > cycle.len() {
                let all: Vec<&str> = parts.iter().map(String::as_str).collect();
                message.push_str(&format!("; {} are all in cycles with each other", all.join(", ")));
            }
            found.push(Cycle { module, parts, message });
        }
    }
    found
}

/// The strongly connected parts of a graph with more than one node
/// (Tarjan's algorithm; the graphs are a module's children, so small).
fn strong_components(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<BTreeSet<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        out: Vec<BTreeSet<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            let at = self.index.len();
            self.index.insert(node, at);
            self.low.insert(node, at);
            self.stack.push(node);
            let graph = self.graph;
            for next in graph.get(node).into_iter().flat_map(|tos| tos.keys()) {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    self.low.insert(node, self.low[node].min(self.low[next.as_str()]));
                } else if self.stack.contains(&next.as_str()) {
                    self.low.insert(node, self.low[node].min(self.index[next.as_str()]));
                }
            }
            if self.low[node] == at {
                let split = self.stack.iter().position(|n| *n == node).unwrap_or(0);
                let part: BTreeSet<String> = self.stack.drain(split..).map(String::from).collect();
                if part.len() > 1 {
                    self.out.push(part);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.out
}

/// A shortest cycle through the first node of a strongly connected part,
/// that node repeated at the end.
fn a_cycle(graph: &BTreeMap<String, BTreeMap<String, String>>, part: &BTreeSet<String>) -> Vec<String> {
    let Some(start) = part.first() else { return Vec::new() };
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([start.as_str()]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flat_map(|tos| tos.keys()) {
            if next == start {
                let mut cycle = vec![start.clone(), node.to_string()];
                while let Some(back) = came_from.get(cycle[cycle.len() - 1].as_str()) {
                    cycle.push(back.to_string());
                }
                cycle.pop();
                cycle.reverse();
                cycle.insert(0, start.clone());
                return cycle;
            }
            if part.contains(next) && !came_from.contains_key(next.as_str()) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    Vec::new()
}

/// Size: a file has at most `max_file` lines and a function at most
/// `max_fn` from `fn` to its closing brace.
pub fn sizes(path: &str, text: &str, max_file: usize, max_fn: usize) -> Vec<String> {
    let mut long = Vec::new();
    let lines = text.lines().count();
    if lines > max_file {
        long.push(format!("{path}: {lines} lines (at most {max_file})"));
    }
    for function in facts(text).functions {
        if function.lines() > max_fn {
            let (first, length, name) = (function.first, function.lines(), function.name);
            long.push(format!(
                "{path}:{first}: fn {name} has {length} lines (at most {max_fn})"
            ));
        }
    }
    long
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYERS: [&str; 4] = ["cmd", "engine", "model", "scenario"];

    /// A crate of the four layers, with `extra` files added or replacing.
    fn krate(extra: &[(&str, &str)]) -> Crate {
        let files: BTreeMap<String, String> = [
            (
                "src/lib.rs",
                "pub mod cmd;\npub mod engine;\npub mod model;\npub mod scenario;",
            ),
            ("src/cmd/mod.rs", ""),
            ("src/engine/mod.rs", ""),
            ("src/model.rs", ""),
            ("src/scenario.rs", ""),
        ]
        .iter()
        .chain(extra)
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
        Crate::read(&files, "src/lib.rs")
    }

    fn layering_of(extra: &[(&str, &str)]) -> Vec<String> {
        layering(&krate(extra), &LAYERS)
    }

    #[test]
    fn a_grouped_import_of_a_higher_layer_is_flagged() {
        let wrong = layering_of(&[(
            "src/engine/mod.rs",
            "use crate::{cmd, model};\nuse crate::{scenario::{self, X}};",
        )]);
        assert_eq!(
            wrong,
            ["src/engine/mod.rs:1: engine names crate::cmd, in cmd, a layer above engine"]
        );
    }

    #[test]
    fn every_way_of_naming_a_higher_layer_is_flagged() {
        let engine =
            "mod deep;\nfn f() { crate::cmd::run(); }\nuse crate::model::{a, b::{c, d}};\nuse super::cmd::{x};";
        let deep = "mod tests {\n    use super::super::super::cmd::*;\n}";
        let wrong = layering_of(&[("src/engine/mod.rs", engine), ("src/engine/deep.rs", deep)]);
        assert_eq!(
            wrong,
            [
                "src/engine/mod.rs:2: engine names crate::cmd::run, in cmd, a layer above engine",
                "src/engine/mod.rs:4: engine names super::cmd::x, in cmd, a layer above engine",
                "src/engine/deep.rs:2: engine::deep::tests names super::super::super::cmd, in cmd, a layer above engine",
            ]
        );
    }

    #[test]
    fn a_higher_layer_in_a_comment_or_string_is_not_a_use() {
        let engine = "//! See [`crate::cmd`].\nconst S: &str = \"crate::cmd::run\";\npub(crate) fn f() {}";
        assert!(layering_of(&[("src/engine/mod.rs", engine)]).is_empty());
    }

    #[test]
    fn a_top_level_module_without_a_layer_is_flagged() {
        let lib = "pub mod cmd;\npub mod engine;\npub mod model;\npub mod scenario;\nmod stray;";
        let wrong = layering_of(&[("src/lib.rs", lib), ("src/stray.rs", "")]);
        assert_eq!(wrong, ["src/stray.rs: module stray has no place in LAYERS"]);
    }

    fn messages(files: &[(&str, &str)]) -> Vec<String> {
        cycles(&krate(files)).into_iter().map(|cycle| cycle.message).collect()
    }

    fn cycles_in_model(files: &[(&str, &str)]) -> Vec<String> {
        let mut all = vec![("src/model.rs", "mod a;\nmod b;\nmod c;\nmod d;")];
        all.extend_from_slice(files);
        messages(&all)
    }

    #[test]
    fn a_cycle_of_three_files_is_flagged() {
        let wrong = cycles_in_model(&[
            ("src/model/a.rs", "use super::b::B;"),
            ("src/model/b.rs", "fn f() { super::c::g() }"),
            ("src/model/c.rs", "use crate::model::{a::{self}, d};"),
            ("src/model/d.rs", ""),
        ]);
        let expected = "in model: a -> b -> c -> a \
                        (a -> b: src/model/a.rs:1; b -> c: src/model/b.rs:1; c -> a: src/model/c.rs:1)";
        assert_eq!(wrong, [expected]);
    }

    #[test]
    fn a_cycle_names_every_part_caught_in_it() {
        let wrong = cycles_in_model(&[
            ("src/model/a.rs", "use super::{b, c};"),
            ("src/model/b.rs", "use super::a;"),
            ("src/model/c.rs", "use super::d;"),
            ("src/model/d.rs", "use super::a;"),
        ]);
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(wrong[0].starts_with("in model: a -> b -> a "), "{wrong:?}");
        assert!(
            wrong[0].ends_with("; a, b, c, d are all in cycles with each other"),
            "{wrong:?}"
        );
    }

    #[test]
    fn uses_without_a_cycle_pass() {
        let wrong = cycles_in_model(&[
            ("src/model/a.rs", "use super::{b, c};"),
            ("src/model/b.rs", "use super::c::C;\nuse super::d::D;"),
            ("src/model/c.rs", "use super::d::D;"),
            ("src/model/d.rs", "mod tests { use super::*; }"),
        ]);
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn uses_in_test_code_make_no_cycle() {
        let wrong = cycles_in_model(&[
            ("src/model/a.rs", "use super::b::B;"),
            (
                "src/model/b.rs",
                "#[cfg(test)]\nmod tests {\n    use super::super::a;\n}\n#[cfg(test)]\nmod helpers;",
            ),
            ("src/model/b/helpers.rs", "use crate::model::a;"),
            ("src/model/c.rs", "#[cfg(test)]\nfn fixture() { super::a::f(); }"),
            ("src/model/d.rs", ""),
        ]);
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn the_root_file_and_its_parts_may_use_each_other() {
        let root = "mod a;\nmod b;\nmod c;\nmod d;\npub struct Shared;\nfn f() { a::g(); b::g(); }";
        let wrong = cycles_in_model(&[
            ("src/model.rs", root),
            ("src/model/a.rs", "use super::Shared;"),
            ("src/model/b.rs", "use super::{Shared, a};"),
            ("src/model/c.rs", ""),
            ("src/model/d.rs", ""),
        ]);
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn a_name_the_root_re_exports_counts_as_its_part() {
        let root = "mod a;\nmod b;\nmod c;\nmod d;\npub use b::Thing;";
        let wrong = cycles_in_model(&[
            ("src/model.rs", root),
            ("src/model/a.rs", "use super::Thing;"),
            ("src/model/b.rs", "fn f() { crate::model::a::g() }"),
            ("src/model/c.rs", ""),
            ("src/model/d.rs", ""),
        ]);
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(wrong[0].starts_with("in model: a -> b -> a "), "{wrong:?}");
    }

    #[test]
    fn a_folder_counts_as_one_part_with_its_mod_rs_and_files() {
        let files = [
            ("src/engine/mod.rs", "mod plan;\nmod parts;"),
            ("src/engine/plan.rs", "use super::parts::Part;"),
            ("src/engine/parts/mod.rs", "mod deep;\npub struct Part;"),
            (
                "src/engine/parts/deep.rs",
                "mod tests {\n    use super::super::super::plan::helper;\n}",
            ),
        ];
        let wrong = messages(&files);
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(
            wrong[0].contains("parts -> plan: src/engine/parts/deep.rs:2"),
            "{wrong:?}"
        );
        let files = [
            ("src/engine/mod.rs", "mod parts;"),
            ("src/engine/parts/mod.rs", "mod x;\nmod y;"),
            ("src/engine/parts/x.rs", "use super::y;"),
            ("src/engine/parts/y.rs", "use crate::engine::parts::x;"),
        ];
        let wrong = messages(&files);
        assert_eq!(wrong.len(), 1, "{wrong:?}");
        assert!(wrong[0].starts_with("in engine::parts: x -> y -> x "), "{wrong:?}");
    }

    #[test]
    fn long_files_and_functions_are_flagged_and_short_ones_pass() {
        let body = "    let x = 1;\n".repeat(4);
        let text = format!("fn short() -> u8 {{ 1 }}\nfn long() {{\n{body}}}\nfn fits() {{\n    1\n}}\n");
        assert_eq!(sizes("f.rs", &text, 20, 5), ["f.rs:2: fn long has 6 lines (at most 5)"]);
        assert_eq!(sizes("f.rs", &text, 9, 6), ["f.rs: 10 lines (at most 9)"]);
    }
}
