//! No friction (issue #18, point 4) end to end: `validate` and `run` print
//! the warnings `explain` gives about clamped inputs and unreachable
//! targets.

use crate::cli_support::{baseline, forcegen, stderr_of, write_file};
use forcegen::scenario::MAX_SHOWN_PROBLEMS;

/// A small scenario whose fulfilment is clamped in about 31% of draws and
/// whose target (11 of 10 pledged) can never be reached.
const WARNED: &str = "name = \"warned\"\n[simulation]\nstart = 2025-01-01\nhorizon_days = 90\ntrials = 200\n\
                      [population]\ninitial = 1000\n[[contributors]]\nname = \"A\"\npledged = 10\n\
                      first_arrival_days = 30\nfulfilment = \"normal(0.95, 0.1)\"\n[[targets]]\n\
                      name = \"eleven\\u001b[31m\"\nmetric = \"international\"\nat_least = 11\n";

fn stderr_lines(args: &[&std::ffi::OsStr]) -> Vec<String> {
    let output = forcegen().args(args).output().expect("run forcegen");
    assert!(output.status.success(), "{}", stderr_of(&output));
    stderr_of(&output).lines().map(str::to_string).collect()
}

/// The field named by each "warning: FIELD: ..." line.
fn fields(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let rest = line
                .strip_prefix("warning: ")
                .unwrap_or_else(|| panic!("not a warning: {line}"));
            rest.split(": ").next().unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn validate_and_run_print_explains_warnings_and_run_quiet_does_not() {
    let work = tempfile::tempdir().unwrap();
    let scenario = write_file(work.path(), "warned.toml", WARNED);
    let out = work.path().join("out");
    let validate = stderr_lines(&["validate".as_ref(), scenario.as_os_str()]);
    assert_eq!(
        fields(&validate),
        ["contributors.A.fulfilment", "targets.eleven\\u{1b}[31m.at_least"],
        "{validate:?}"
    );
    assert!(
        validate[0].contains("of draws of normal(0.95, 0.1) fall outside 0 to 1"),
        "{validate:?}"
    );
    assert!(validate[1].contains("11 cannot be reached"), "{validate:?}");
    assert!(
        !validate.concat().contains('\u{1b}'),
        "names pass through terminal::safe"
    );
    let explain = forcegen().arg("explain").arg(&scenario).output().unwrap();
    let explained = String::from_utf8_lossy(&explain.stdout).replace("\n      ", " ");
    for line in &validate {
        let text = line.strip_prefix("warning: ").unwrap_or_default();
        assert!(explained.contains(text), "explain does not say {text:?}:\n{explained}");
    }
    let run = ["run".as_ref(), scenario.as_os_str(), "--out".as_ref(), out.as_os_str()];
    assert_eq!(fields(&stderr_lines(&run)), fields(&validate));
    let quiet = stderr_lines(&[&run[..], &["-q".as_ref(), "--force".as_ref()]].concat());
    assert_eq!(quiet, Vec::<String>::new());
}

#[test]
fn the_baselines_out_of_reach_targets_are_warned_about_by_validate() {
    let lines = stderr_lines(&["validate".as_ref(), baseline().as_os_str()]);
    let fields = fields(&lines);
    assert_eq!(fields.len(), 4, "{lines:?}");
    assert!(
        fields
            .iter()
            .all(|f| f.starts_with("targets.") && f.ends_with(".at_least"))
    );
    assert!(lines.iter().all(|l| l.contains("is out of reach")), "{lines:?}");
}

/// The exit code and stderr lines of `forcegen ARGS`.
fn refused(args: &[&std::ffi::OsStr]) -> (Option<i32>, Vec<String>) {
    let output = forcegen().args(args).output().expect("run forcegen");
    let lines = stderr_of(&output).lines().map(str::to_string).collect();
    (output.status.code(), lines)
}

#[test]
fn a_file_that_is_no_scenario_gets_20_problems_a_count_and_a_hint() {
    let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&readme).unwrap();
    let total = forcegen::scenario::parse_str(&text, "README.md")
        .expect_err("no scenario")
        .problems
        .len();
    assert!(total > 100, "{total}");
    let hint = format!(
        "hint: is {} a TOML scenario? (see README: Writing a scenario)",
        readme.display()
    );
    for sets in [&[][..], &["--set".as_ref(), "name=\"x\"".as_ref()][..]] {
        let (code, lines) = refused(&[&["validate".as_ref(), readme.as_os_str()][..], sets].concat());
        assert_eq!(code, Some(2));
        assert_eq!(lines.len(), MAX_SHOWN_PROBLEMS + 2, "{lines:#?}");
        assert!(
            lines[0].starts_with(&format!("error: {}:", readme.display())),
            "{}",
            lines[0]
        );
        let prefix = format!("{}:", readme.display());
        assert!(
            lines[1..MAX_SHOWN_PROBLEMS].iter().all(|l| l.starts_with(&prefix)),
            "{lines:#?}"
        );
        let more = total - MAX_SHOWN_PROBLEMS;
        assert_eq!(lines[MAX_SHOWN_PROBLEMS], format!("... and {more} more problems"));
        assert_eq!(lines[MAX_SHOWN_PROBLEMS + 1], hint);
    }
}

#[test]
fn the_hint_is_for_non_toml_names_or_mostly_failing_files_only() {
    let work = tempfile::tempdir().unwrap();
    // Not TOML, and not named .toml: one problem and the hint.
    let notes = write_file(work.path(), "notes.txt", "Kenya pledged 1000\n");
    let (code, lines) = refused(&["validate".as_ref(), notes.as_os_str()]);
    assert_eq!(code, Some(2));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].starts_with("hint: is ") && lines[1].contains("notes.txt a TOML scenario?"));
    // A scenario with one mistake: that problem only.
    let text = WARNED.replace("pledged = 10", "pledged = -10");
    let one = write_file(work.path(), "one.toml", &text);
    let (code, lines) = refused(&["validate".as_ref(), one.as_os_str()]);
    assert_eq!(code, Some(2));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("contributors.A.pledged"), "{lines:?}");
    // Most lines wrong, even in a .toml file: the hint.
    let prose = write_file(work.path(), "prose.toml", "a b\nc d\ne f\n\nname = \"x\"\n");
    let (_, lines) = refused(&["validate".as_ref(), prose.as_os_str()]);
    assert!(lines.last().is_some_and(|l| l.starts_with("hint: ")), "{lines:?}");
}

#[test]
fn a_dash_reads_the_scenario_from_standard_input() {
    let work = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(baseline()).unwrap();
    let output = forcegen()
        .args(["validate", "-"])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("<stdin>: ok: "));
    // run - writes to output/stdin/ by default, the same files as the file gives.
    let output = forcegen()
        .current_dir(work.path())
        .args(["run", "-", "--trials", "300", "-q"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let from_file = work.path().join("from-file");
    crate::cli_support::run_ok(&baseline(), &from_file, &["--trials", "300"]);
    for file in ["timeseries.csv", "targets.csv", "contributors.csv"] {
        let a = std::fs::read(work.path().join("output/stdin").join(file)).unwrap();
        assert_eq!(a, std::fs::read(from_file.join(file)).unwrap(), "{file}");
    }
    // Problems are named <stdin>; past MAX_SCENARIO_BYTES, refused with exit code 2.
    let bad = WARNED.replace("pledged = 10", "pledged = -10");
    let output = forcegen().args(["validate", "-"]).write_stdin(bad).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).starts_with("error: <stdin>:"),
        "{}",
        stderr_of(&output)
    );
    let big = "#".repeat(forcegen::scenario::MAX_SCENARIO_BYTES as usize + 1);
    let output = forcegen().args(["validate", "-"]).write_stdin(big).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("too large"), "{}", stderr_of(&output));
}

#[test]
fn completions_for_every_shell_name_forcegen() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = forcegen().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", stderr_of(&output));
        let script = String::from_utf8(output.stdout).expect("UTF-8");
        assert!(script.contains("forcegen"), "{shell}: {script}");
        assert!(
            script.contains("validate") && script.contains("--trials"),
            "{shell}: {script}"
        );
    }
    forcegen().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn the_man_page_is_roff_and_names_every_subcommand() {
    let output = forcegen().arg("man").output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let page = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        page.starts_with(".TH") || page.starts_with(".ie"),
        "{}",
        &page[..page.len().min(200)]
    );
    use clap::CommandFactory;
    let command = forcegen::cmd::Cli::command();
    let names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
    assert!(names.len() >= 11, "{names:?}");
    // One page: a section per command (its options are checked in
    // hardening_messages), and no reference to a page that does not exist.
    for name in names {
        let entry = format!(".SS \"forcegen {name}\"");
        assert!(page.contains(&entry), "the man page does not list {entry}");
    }
    assert!(!page.contains("forcegen\\-"), "the man page refers to other pages");
}
