//! What the layout checks need from one source file, read from its tokens:
//! the modules it declares, every path it names (`use` trees flattened,
//! nested groups included, and paths written inline such as
//! `crate::a::f()`), and the extent of each function.

use super::lexer::{Kind, Token, tokens};

/// A `mod NAME;` or `mod NAME { ... }` in a file.
#[derive(Debug, PartialEq, Eq)]
pub struct ModDecl {
    /// The inline modules it sits in, outermost first (empty at top level).
    pub scope: Vec<String>,
    pub name: String,
    /// Whether the module's body is written here (`mod NAME { ... }`).
    pub inline: bool,
    /// The file named by a `#[path = "..."]` attribute on it.
    pub path: Option<String>,
    /// Whether it is compiled only for tests (`#[cfg(test)]`, on it or
    /// around it).
    pub test_only: bool,
}

/// One path a file names, as written.
#[derive(Debug, PartialEq, Eq)]
pub struct PathUse {
    /// The inline modules it sits in, outermost first.
    pub scope: Vec<String>,
    /// The segments, `crate`, `self` and `super` included (`::` first for
    /// a path from the extern prelude).
    pub segments: Vec<String>,
    /// The name a `use` binds (`None` for a glob and for inline paths).
    pub binds: Option<String>,
    /// Whether the path ends in `::*`.
    pub glob: bool,
    /// Whether it is in code compiled only for tests.
    pub test_only: bool,
    pub line: usize,
}

/// A function with a body: its name and its first and last lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub first: usize,
    pub last: usize,
}

impl Function {
    /// Its length in lines, from `fn` to the closing brace.
    pub fn lines(&self) -> usize {
        self.last + 1 - self.first
    }
}

/// Everything the checks read from one file.
#[derive(Debug, Default)]
pub struct Facts {
    pub mods: Vec<ModDecl>,
    pub uses: Vec<PathUse>,
    pub functions: Vec<Function>,
}

/// Reads a file's facts.
pub fn facts(source: &str) -> Facts {
    let toks = tokens(source);
    let mut reader = Reader {
        toks: &toks,
        at: 0,
        scopes: Vec::new(),
        depth: 0,
        pending_path: None,
        test_until: None,
        facts: Facts::default(),
    };
    reader.run();
    reader.facts
}

struct Reader<'a> {
    toks: &'a [Token],
    at: usize,
    /// The open inline modules: name and the brace depth inside them.
    scopes: Vec<(String, usize)>,
    depth: usize,
    pending_path: Option<String>,
    /// The last token of the latest `#[cfg(test)]` item.
    test_until: Option<usize>,
    facts: Facts,
}

impl Reader<'_> {
    fn tok(&self, at: usize) -> Option<&Token> {
        self.toks.get(at)
    }

    fn is(&self, at: usize, text: &str) -> bool {
        self.tok(at).is_some_and(|t| t.is(text))
    }

    /// Whether the current token is in an item compiled only for tests.
    fn in_test(&self) -> bool {
        self.test_until.is_some_and(|end| self.at <= end)
    }

    fn scope(&self) -> Vec<String> {
        self.scopes.iter().map(|(name, _)| name.clone()).collect()
    }

    fn run(&mut self) {
        while let Some(tok) = self.tok(self.at) {
            let after_colons = self.at > 0 && self.is(self.at - 1, "::");
            match tok.text.as_str() {
                _ if tok.kind != Kind::Word && tok.kind != Kind::Punct => self.at += 1,
                "{" => self.open(),
                "}" => self.close(),
                ";" => {
                    self.pending_path = None;
                    self.at += 1;
                }
                "#" => self.attribute(),
                "mod" if self.tok(self.at + 1).is_some_and(Token::is_word) => self.module(),
                "use" => self.use_item(),
                "fn" if self.tok(self.at + 1).is_some_and(Token::is_word) => self.function(),
                "crate" | "$crate" | "self" | "super" if !after_colons && self.is(self.at + 1, "::") => {
                    self.inline_path()
                }
                _ => self.at += 1,
            }
        }
    }

    fn open(&mut self) {
        self.depth += 1;
        self.pending_path = None;
        self.at += 1;
    }

    fn close(&mut self) {
        if self.scopes.last().is_some_and(|(_, depth)| *depth == self.depth) {
            self.scopes.pop();
        }
        self.depth = self.depth.saturating_sub(1);
        self.pending_path = None;
        self.at += 1;
    }

    /// `#[path = "..."]` is kept for the next `mod`; `#[cfg(test)]` marks
    /// the item after it as test-only; other attributes are read as
    /// ordinary tokens.
    fn attribute(&mut self) {
        let shape = [(1, "["), (2, "path"), (3, "="), (5, "]")];
        let is_path = shape.iter().all(|(k, text)| self.is(self.at + k, text))
            && self.tok(self.at + 4).is_some_and(|t| t.kind == Kind::Str);
        let is_test = ["[", "cfg", "(", "test", ")", "]"]
            .iter()
            .enumerate()
            .all(|(k, text)| self.is(self.at + 1 + k, text));
        if is_path {
            self.pending_path = self.tok(self.at + 4).map(|t| t.text.clone());
            self.at += 6;
        } else if is_test {
            let (end, _) = self.item_end(self.at + 7);
            self.test_until = Some(self.test_until.map_or(end, |until| until.max(end)));
            self.at += 7;
        } else {
            self.at += 1;
        }
    }

    fn module(&mut self) {
        let name = self.toks[self.at + 1].text.clone();
        let inline = self.is(self.at + 2, "{");
        let path = self.pending_path.take();
        let test_only = self.in_test();
        self.facts.mods.push(ModDecl {
            test_only,
            scope: self.scope(),
            name: name.clone(),
            inline,
            path,
        });
        self.at += 2;
        if inline {
            self.depth += 1;
            self.scopes.push((name, self.depth));
            self.at += 1;
        }
    }

    fn inline_path(&mut self) {
        let (line, test_only) = (self.toks[self.at].line, self.in_test());
        let mut segments = vec![self.toks[self.at].text.clone()];
        self.at += 1;
        while self.is(self.at, "::") && self.tok(self.at + 1).is_some_and(Token::is_word) {
            segments.push(self.toks[self.at + 1].text.clone());
            self.at += 2;
        }
        let scope = self.scope();
        self.facts.uses.push(PathUse {
            scope,
            segments,
            binds: None,
            glob: false,
            test_only,
            line,
        });
    }

    /// A `use` item: its tree flattened into one path per leaf.
    fn use_item(&mut self) {
        let test_only = self.in_test();
        self.at += 1;
        let mut prefix = Vec::new();
        if self.is(self.at, "::") {
            prefix.push("::".to_string());
            self.at += 1;
        }
        let mut found = Vec::new();
        self.use_tree(prefix, &mut found);
        let scope = self.scope();
        for (segments, binds, glob, line) in found {
            self.facts.uses.push(PathUse {
                scope: scope.clone(),
                segments,
                binds,
                glob,
                test_only,
                line,
            });
        }
        while self.tok(self.at).is_some_and(|t| !t.is(";") && !t.is("}")) {
            self.at += 1;
        }
        if self.is(self.at, ";") {
            self.at += 1;
        }
    }

    /// One use tree (`a::b`, `a::{..}`, `a::*`, `a as b`) after `prefix`.
    fn use_tree(&mut self, mut prefix: Vec<String>, found: &mut Vec<(Vec<String>, Option<String>, bool, usize)>) {
        while let Some(tok) = self.tok(self.at).cloned() {
            if tok.is("{") {
                self.at += 1;
                while self.tok(self.at).is_some_and(|t| !t.is("}") && !t.is(";")) {
                    let before = self.at;
                    self.use_tree(prefix.clone(), found);
                    if self.is(self.at, ",") || self.at == before {
                        self.at += 1;
                    }
                }
                if self.is(self.at, "}") {
                    self.at += 1;
                }
                return;
            }
            if tok.is("*") {
                self.at += 1;
                found.push((prefix, None, true, tok.line));
                return;
            }
            if !tok.is_word() {
                return;
            }
            self.at += 1;
            if self.is(self.at, "::") {
                prefix.push(tok.text);
                self.at += 1;
                continue;
            }
            let (segments, mut binds) = if tok.text == "self" {
                let binds = prefix.last().cloned();
                (prefix, binds)
            } else {
                prefix.push(tok.text.clone());
                (prefix, Some(tok.text))
            };
            if self.is(self.at, "as") {
                binds = self.tok(self.at + 1).map(|t| t.text.clone()).filter(|name| name != "_");
                self.at += 2;
            }
            found.push((segments, binds, false, tok.line));
            return;
        }
    }

    /// `fn NAME ... { ... }`: measured to its closing brace; a declaration
    /// without a body (`fn f();`) is skipped. The body is then read as usual.
    fn function(&mut self) {
        let name = self.toks[self.at + 1].text.clone();
        let first = self.toks[self.at].line;
        let (end, has_body) = self.item_end(self.at + 2);
        self.at += 2;
        if let (true, Some(last)) = (has_body, self.tok(end)) {
            let last = last.line;
            self.facts.functions.push(Function { name, first, last });
        }
    }

    /// Where the item from token `from` ends: its closing brace, or the `;`
    /// of an item without a body (whether it has a body is the second value).
    /// Brackets and parentheses (attributes, parameters) are skipped whole.
    fn item_end(&self, from: usize) -> (usize, bool) {
        let mut k = from;
        let mut nesting = 0usize;
        while let Some(tok) = self.tok(k) {
            if tok.is("(") || tok.is("[") {
                nesting += 1;
            } else if tok.is(")") || tok.is("]") {
                nesting = nesting.saturating_sub(1);
            } else if nesting == 0 && (tok.is("{") || tok.is(";")) {
                break;
            }
            k += 1;
        }
        if !self.is(k, "{") {
            return (k, false);
        }
        let mut depth = 0usize;
        for (at, tok) in self.toks.iter().enumerate().skip(k) {
            if tok.is("{") {
                depth += 1;
            } else if tok.is("}") {
                depth -= 1;
                if depth == 0 {
                    return (at, true);
                }
            }
        }
        (self.toks.len(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: &str) -> Vec<String> {
        facts(source)
            .uses
            .iter()
            .map(|u| u.segments.join("::") + if u.glob { "::*" } else { "" })
            .collect()
    }

    #[test]
    fn use_trees_are_flattened_with_nested_groups() {
        let source = "pub(crate) use crate::{cmd, model::{self, a::B as C, d::*}};\nuse ::std::fmt;";
        assert_eq!(
            paths(source),
            [
                "crate::cmd",
                "crate::model",
                "crate::model::a::B",
                "crate::model::d::*",
                "::::std::fmt"
            ]
        );
        let binds: Vec<Option<String>> = facts(source).uses.into_iter().map(|u| u.binds).collect();
        let names = [Some("cmd"), Some("model"), Some("C"), None, Some("fmt")];
        assert_eq!(binds, names.map(|n| n.map(String::from)));
    }

    #[test]
    fn inline_paths_are_read_but_not_in_comments_or_strings() {
        let source = "fn f() { crate::a::g(); super::super::b::C::new(); self::c::h::<u8>(); }\n\
                      pub(crate) fn g() {} // crate::cmd\nconst S: &str = \"crate::cmd\";\npub(in crate::d) fn h() {}";
        assert_eq!(
            paths(source),
            ["crate::a::g", "super::super::b::C::new", "self::c::h", "crate::d"]
        );
    }

    #[test]
    fn modules_are_read_with_their_scope_and_path() {
        let source = "mod a;\n#[cfg(test)]\n#[path = \"x/y.rs\"]\nmod b;\nmod tests {\n    mod inner { use super::a; }\n    use crate::c;\n}\nuse d;";
        let found = facts(source);
        let mods: Vec<(Vec<String>, &str, bool, Option<&str>)> = found
            .mods
            .iter()
            .map(|m| (m.scope.clone(), m.name.as_str(), m.inline, m.path.as_deref()))
            .collect();
        let tests = vec!["tests".to_string()];
        assert_eq!(
            mods,
            [
                (vec![], "a", false, None),
                (vec![], "b", false, Some("x/y.rs")),
                (vec![], "tests", true, None),
                (tests.clone(), "inner", true, None)
            ]
        );
        let scopes: Vec<Vec<String>> = found.uses.iter().map(|u| u.scope.clone()).collect();
        assert_eq!(scopes, [vec!["tests".to_string(), "inner".to_string()], tests, vec![]]);
    }

    #[test]
    fn code_under_cfg_test_is_marked() {
        let source = "#[cfg(test)]\nmod testing;\nuse crate::a;\n#[cfg(test)]\n#[allow(unused)]\nfn helper(x: [u8; 1]) {\n    crate::b::f();\n}\n\
                      fn shipped() { crate::c::g(); }\n#[cfg(test)]\nmod tests {\n    use crate::d;\n    mod inner { use crate::e; }\n}\nuse crate::f;";
        let found = facts(source);
        let uses: Vec<(String, bool)> = found
            .uses
            .iter()
            .map(|u| (u.segments.join("::"), u.test_only))
            .collect();
        let expected = [
            ("crate::a", false),
            ("crate::b::f", true),
            ("crate::c::g", false),
            ("crate::d", true),
            ("crate::e", true),
            ("crate::f", false),
        ];
        assert_eq!(uses, expected.map(|(p, t)| (p.to_string(), t)));
        let mods: Vec<(&str, bool)> = found.mods.iter().map(|m| (m.name.as_str(), m.test_only)).collect();
        assert_eq!(mods, [("testing", true), ("tests", true), ("inner", true)]);
    }

    #[test]
    fn functions_are_measured_from_fn_to_their_brace() {
        let source = "fn a() {\n    1\n}\n    pub(crate) fn b(\n        x: [u8; 2],\n    ) -> u8 {\n        x[0]\n    }\n\
                      fn c();\nfn d() -> u8 { 1 }\nfn e(f: fn(u8) -> u8) -> impl Fn() {\n    || { \"}\"; }\n}";
        let found: Vec<(String, usize, usize)> = facts(source)
            .functions
            .into_iter()
            .map(|f| (f.name.clone(), f.first, f.lines()))
            .collect();
        let expected = [("a", 1, 3), ("b", 4, 5), ("d", 10, 1), ("e", 11, 3)];
        assert_eq!(found, expected.map(|(n, f, l)| (n.to_string(), f, l)));
    }
}
