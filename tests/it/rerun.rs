//! A rerun says what it replaced (issue #30 point 4): results of a run (or
//! an analysis) already in the output folder are replaced with a sentence
//! on standard error naming the folder and the earlier run (its scenario,
//! trials, seed and what-if), and every file removed because this run did
//! not write it (`results.xlsx` without `--xlsx`); a first run says nothing.

use std::path::Path;

use crate::cli_support::{baseline, forcegen, stderr_of};

/// `forcegen ARGS --out OUT` (not quiet); its standard error.
fn stderr(args: &[&str], out: &Path) -> String {
    let output = forcegen()
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run forcegen");
    assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
    stderr_of(&output)
}

fn notes(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("note: replaced")).collect()
}

#[test]
fn a_rerun_names_what_it_replaced_and_removed() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let scenario = baseline();
    let scenario = scenario.to_str().unwrap();
    let first = stderr(&["run", scenario, "--trials", "300", "--no-drivers", "--xlsx"], &out);
    assert!(notes(&first).is_empty(), "a first run replaces nothing: {first}");
    let set = "contributors.Kenya.probability=1";
    let second = stderr(&["run", scenario, "--trials", "200", "--seed", "9", "--set", set], &out);
    let note = format!(
        "note: replaced the earlier results in {} (\"Haiti MSS, baseline as of 30 Sep 2024\": 300 trials, seed \
         20240930): ",
        out.display()
    );
    assert!(second.contains(&note), "no `{note}` in:\n{second}");
    assert!(
        second.contains("removed results.xlsx (not asked for this time: --xlsx writes it)"),
        "{second}"
    );
    // The what-if run is named when the next run replaces it.
    let third = stderr(&["run", scenario, "--trials", "200", "--no-drivers"], &out);
    assert!(
        third.contains(&format!("200 trials, seed 9; what-if --set {set}): ")),
        "{third}"
    );
    assert!(third.contains("removed drivers.csv"), "{third}");
    // -q is quiet about it.
    let output = forcegen()
        .args(["run", scenario, "--trials", "200", "-q", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(stderr_of(&output).is_empty(), "{}", stderr_of(&output));
}

#[test]
fn an_analysis_rerun_names_what_it_replaced() {
    let work = tempfile::tempdir().unwrap();
    let scenario = baseline();
    let scenario = scenario.to_str().unwrap();
    for args in [
        vec![
            "sweep",
            scenario,
            "--trials",
            "100",
            "--set",
            "contributors.Kenya.probability=0.5,1",
        ],
        vec![
            "compare",
            scenario,
            "--trials",
            "100",
            "--set",
            "contributors.Kenya.probability=1",
        ],
        vec!["sensitivity", scenario, "--trials", "200"],
    ] {
        let out = work.path().join(args[0]);
        assert!(notes(&stderr(&args, &out)).is_empty(), "{args:?}");
        let again = stderr(&args, &out);
        assert_eq!(notes(&again).len(), 1, "{args:?}: {again}");
        assert!(notes(&again)[0].contains(" trials, seed 20240930"), "{again}");
    }
}
