//! The sources a shipped scenario cites are in the repository (issue #30
//! point 6): every file a scenario in `scenarios/` names exists in a clone,
//! and each citation key it uses (`FACTS:`, `F26:`, `RC:`) has its page in
//! `docs/sources/`. `../shared/` is not part of the repository, so no
//! scenario may point there.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli_support::{scenario_files, scenarios_dir};

/// The repository's root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The citation keys of the shipped scenarios and the page each stands for.
const KEYS: [(&str, &str); 3] = [
    ("FACTS:", "docs/sources/FACTS.md"),
    ("F26:", "docs/sources/FACTS-2026.md"),
    ("RC:", "docs/sources/REFERENCE-CLASSES.md"),
];

/// Every word of `text` that names a file: ends in `.md`, `.toml` or
/// `.csv` once trailing punctuation is dropped.
fn named_files(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || "()[]{},;\"'`".contains(c))
        .map(|word| word.trim_end_matches(['.', ':', '!', '?']))
        .filter(|word| [".md", ".toml", ".csv"].iter().any(|ext| word.ends_with(ext)))
        .map(str::to_string)
        .collect()
}

/// Where a named file is, if it is in the repository: a path with a folder
/// from the repository's root (or the scenario's folder, for `../`); a bare
/// page name in `docs/sources/`; a bare scenario beside the scenario; a bare
/// CSV name is one of forcegen's own output files or in `data/`; a path under
/// `output/` is what a command quoted in the comments writes.
fn resolve(name: &str) -> Option<PathBuf> {
    let output_files = forcegen::output::schema::RUN_FILES
        .iter()
        .chain(&forcegen::output::schema::RUN_EXTRA_FILES);
    let candidates: Vec<PathBuf> = if name.starts_with("output/") {
        // A file a command quoted in the scenario writes, not a source.
        return Some(PathBuf::from(name));
    } else if name.contains('/') {
        vec![repo().join(name), scenarios_dir().join(name)]
    } else if name.ends_with(".md") {
        vec![repo().join("docs/sources").join(name)]
    } else if name.ends_with(".toml") {
        vec![scenarios_dir().join(name)]
    } else if output_files.clone().any(|f| *f == name) {
        return Some(PathBuf::from(name));
    } else {
        vec![repo().join("data").join(name)]
    };
    candidates.into_iter().find(|p| p.is_file())
}

#[test]
fn every_file_a_shipped_scenario_cites_is_in_the_repository() {
    let mut missing = Vec::new();
    for scenario in scenario_files() {
        let text = fs::read_to_string(&scenario).unwrap();
        let file = scenario.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !text.contains("shared/"),
            "{file} points outside the repository (shared/)"
        );
        let names = named_files(&text);
        for name in &names {
            if resolve(name).is_none() {
                missing.push(format!("{file}: {name}"));
            }
        }
        for (key, page) in KEYS {
            if text.contains(key) {
                assert!(repo().join(page).is_file(), "{file} cites {key} but {page} is missing");
            }
        }
    }
    assert!(
        missing.is_empty(),
        "cited but not in the repository:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_gsf_scenario_names_its_pages_and_they_hold_its_facts() {
    let text = fs::read_to_string(scenarios_dir().join("haiti-gsf-2026-04.toml")).unwrap();
    for page in ["docs/sources/FACTS-2026.md", "docs/sources/REFERENCE-CLASSES.md"] {
        assert!(text.contains(page), "the GSF scenario does not name {page}");
    }
    let facts = fs::read_to_string(repo().join("docs/sources/FACTS-2026.md")).unwrap();
    // A few of the numbers the scenario cites, and the correction as it stands.
    for fact in [
        "5,500 uniformed",
        "113M in all",
        "13,196",
        "CORRECTION",
        "78 in all",
        "Africa Check",
    ] {
        assert!(facts.contains(fact), "docs/sources/FACTS-2026.md lacks `{fact}`");
    }
    let classes = fs::read_to_string(repo().join("docs/sources/REFERENCE-CLASSES.md")).unwrap();
    assert!(classes.contains("92.5% of the ceiling"), "{classes}");
}

#[test]
fn files_are_found_in_scenario_text() {
    assert_eq!(
        named_files("cites docs/sources/FACTS.md, and (FACTS.md). See contributors.csv: x"),
        ["docs/sources/FACTS.md", "FACTS.md", "contributors.csv"]
    );
    assert!(resolve("haiti-mss-2024-09.toml").is_some());
    assert!(resolve("../data/priors-2024-09.toml").is_some());
    assert!(resolve("shared/FACTS.md").is_none());
    assert!(resolve("NOWHERE.md").is_none());
}
