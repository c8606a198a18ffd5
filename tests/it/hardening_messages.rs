//! Issue #26, messages: an error quotes at most 200 characters of what it
//! was given; numbers are shown as written or short (not 309 digits, not
//! 18446744073709552000 for 2^64); a field is named by its real path
//! (`funding.outside`); a bad `--set` gives one error, not a second that
//! follows from it; a newline or a bidirectional control in a name reaches
//! the terminal escaped; and the man page holds every command's options and
//! names no other page.

use std::path::Path;

use clap::CommandFactory;

use crate::cli_support::{forcegen, scenarios_dir, stderr_of, write_file};

const HEAD: &str = "name = \"messages\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n\
                    [population]\ninitial = 1000\n";

/// `forcegen ARGS` in `dir`: exit code, stdout and stderr.
fn forcegen_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = forcegen().args(args).current_dir(dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), stdout, stderr_of(&output))
}

/// `forcegen validate` of `text`: exit code and stderr.
fn validate(text: &str) -> (Option<i32>, String) {
    let work = tempfile::tempdir().unwrap();
    write_file(work.path(), "m.toml", text);
    let (code, _, stderr) = forcegen_in(work.path(), &["validate", "m.toml"]);
    (code, stderr)
}

#[test]
fn an_error_quotes_at_most_200_characters_of_a_value() {
    let long = "x".repeat(1_000_000);
    let texts = [
        format!("{HEAD}[[contributors]]\nname = \"A\"\nkind = \"{long}\"\n"),
        format!("{HEAD}[[contributors]]\nname = \"A\"\nfulfilment = \"{long}\"\n"),
        format!("{HEAD}[[targets]]\nname = \"t\"\nmetric = \"{long}\"\nat_least = 1\n"),
        format!("{HEAD}[[contributors]]\nname = \"A\"\n{long} = 1\n"),
    ];
    for text in texts {
        let (code, stderr) = validate(&text);
        assert_eq!(code, Some(2), "{stderr:.300}");
        assert!(stderr.contains(&format!("{}...", "x".repeat(200))), "{stderr:.600}");
        assert!(!stderr.contains(&"x".repeat(201)), "{stderr:.600}");
        assert!(stderr.len() < 3_000, "{} bytes: {stderr:.600}", stderr.len());
    }
    // A --set value, and a cell of an observed file.
    let work = tempfile::tempdir().unwrap();
    let baseline = scenarios_dir().join("haiti-mss-2024-09.toml").display().to_string();
    // (An argument of the command line may hold at most 128 KiB.)
    let set = format!("contributors.Kenya.kind={}", "x".repeat(100_000));
    let (code, _, stderr) = forcegen_in(work.path(), &["validate", &baseline, "--set", &set]);
    assert_eq!(code, Some(2));
    assert!(stderr.len() < 3_000, "{} bytes: {stderr:.600}", stderr.len());
    write_file(
        work.path(),
        "obs.csv",
        &format!("date,metric,value\n2024-10-01,{long},5\n"),
    );
    let (code, _, stderr) = forcegen_in(work.path(), &["backtest", &baseline, "obs.csv", "--trials", "10"]);
    assert_eq!(code, Some(2), "{stderr:.300}");
    assert!(stderr.contains("(1000000 characters)"), "{stderr:.600}");
    assert!(stderr.len() < 3_000, "{} bytes: {stderr:.600}", stderr.len());
}

#[test]
fn numbers_are_shown_as_written_or_short() {
    let cases = [
        ("pledged = 18446744073709551616", "got 18446744073709551616"),
        ("pledged = 1e308", "got 1e308"),
        ("probability = 1e300", "got 1e300"),
        ("fulfilment = \"uniform(0, 1e300)\"", "1e300 is out of range"),
        ("fulfilment = \"beta(1e-300, 1)\"", "got 1e-300, 1"),
        ("fulfilment = \"normal(0.5, -1e-300)\"", "got -1e-300"),
    ];
    for (line, shown) in cases {
        let (code, stderr) = validate(&format!("{HEAD}[[contributors]]\nname = \"A\"\n{line}\n"));
        assert_eq!(code, Some(2), "{line}: {stderr}");
        assert!(stderr.contains(shown), "{line}: no {shown:?} in {stderr}");
        assert!(!stderr.contains("0000000000000000"), "{line}: {stderr}");
        assert!(stderr.len() < 600, "{line}: {stderr}");
    }
}

#[test]
fn an_outside_payer_is_named_by_its_real_path() {
    let text =
        format!("{HEAD}[funding]\ncost_per_person_month = 100\n[[funding.outside]]\nname = \"UNSOH\"\nshare = 1.5\n");
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("field `funding.outside.UNSOH.share`"), "{stderr}");
    assert!(!stderr.contains("outsides"), "{stderr}");
    // The path explain lists is the one --set and [[correlations]] take.
    let work = tempfile::tempdir().unwrap();
    let gsf = scenarios_dir().join("haiti-gsf-2026-04.toml").display().to_string();
    let (code, stdout, stderr) = forcegen_in(work.path(), &["explain", &gsf]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("funding.outside.UNSOH.share"), "{stdout}");
    let (code, _, stderr) = forcegen_in(
        work.path(),
        &[
            "validate",
            &gsf,
            "--set",
            "funding.outside.UNSOH.share=uniform(0.8, 0.9)",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_bad_set_gives_one_error_not_a_second_that_follows() {
    let work = tempfile::tempdir().unwrap();
    let scenario = |name: &str| scenarios_dir().join(name).display().to_string();
    let (transition, gsf) = (scenario("haiti-un-transition.toml"), scenario("haiti-gsf-2026-04.toml"));
    let cases = [
        // Five pledges wait on this event: each said it names no event.
        (&transition, "events.un_takeover.day=abc", "events.un_takeover.day"),
        (
            &transition,
            "events.un_takeover.effect=bogus",
            "events.un_takeover.effect",
        ),
        // The share-of-ceiling target said there was no ceiling.
        (&gsf, "mission.ceiling=-1", "mission.ceiling"),
    ];
    for (file, set, field) in cases {
        let (code, _, stderr) = forcegen_in(work.path(), &["validate", file, "--set", set]);
        assert_eq!(code, Some(2), "{stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("warning:")).collect();
        assert_eq!(errors.len(), 1, "{set}: {stderr}");
        assert!(errors[0].contains(&format!("--set {set}: field `{field}`")), "{stderr}");
    }
    // A pledge waiting on an event that is there but not an unlock is
    // still an error of its own.
    let (code, _, stderr) = forcegen_in(
        work.path(),
        &[
            "validate",
            &transition,
            "--set",
            "events.un_takeover.effect=end_mission",
        ],
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("names no event"), "{stderr}");
}

#[test]
fn newlines_and_bidirectional_controls_in_names_are_escaped_on_the_terminal() {
    let work = tempfile::tempdir().unwrap();
    // A target name that would print a fake line, one that would turn the
    // rest of its line around, and a scenario name with a newline.
    let text = "name = \"two\\nlines\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n\
                [population]\ninitial = 1000\n[[contributors]]\nname = \"A\"\npledged = 10\n\
                [[targets]]\nname = \"t\\nwarning: fake\"\nmetric = \"international\"\nat_least = 50\n\
                [[targets]]\nname = \"u\\u202egnp.exe\"\nmetric = \"international\"\nat_least = 5\n";
    write_file(work.path(), "n.toml", text);
    let (code, stdout, stderr) = forcegen_in(work.path(), &["run", "n.toml", "--trials", "20", "--no-drivers"]);
    assert_eq!(code, Some(0), "{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains('\u{202e}'), "{all}");
    assert!(all.contains("u\\u{202e}gnp.exe"), "{all}");
    assert!(all.contains("t\\u{a}warning: fake"), "{all}");
    assert!(all.contains("two\\u{a}lines"), "{all}");
    assert!(!all.lines().any(|l| l.starts_with("warning: fake")), "{all}");
    // In an error too: a name given twice.
    let twice = "name = \"x\"\n[simulation]\nstart = 2024-01-01\nhorizon_days = 30\n[population]\n\
                 initial = 1000\n[[contributors]]\nname = \"a\\nerror: fake\"\n[[contributors]]\n\
                 name = \"a\\nerror: fake\"\n";
    let (code, stderr) = validate(twice);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("a\\u{a}error: fake"), "{stderr}");
}

#[test]
fn the_man_page_lists_every_commands_options_and_names_no_other_page() {
    let work = tempfile::tempdir().unwrap();
    let (code, page, stderr) = forcegen_in(work.path(), &["man"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!page.contains("(1)"), "the page refers to other pages");
    let cli = forcegen::cmd::Cli::command();
    for command in cli.get_subcommands() {
        let heading = format!(".SS \"forcegen {}\"", command.get_name());
        let at = page.find(&heading).unwrap_or_else(|| panic!("no {heading}"));
        let section = &page[at..];
        let section = &section[..section[1..].find(".SS ").map_or(section.len(), |end| end + 1)];
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            // An option's item (.TP) shows its flag, a positional its name.
            let shown = match arg.get_long() {
                Some(long) => format!(".TP\n\\fB\\-\\-{}\\fR", long.replace('-', "\\-")),
                None => format!("\\fI{}\\fR", arg.get_id().as_str().to_uppercase()),
            };
            let short = arg.get_short().map(|c| format!(".TP\n\\fB\\-{c}\\fR, \\fB\\-\\-"));
            assert!(
                section.contains(&shown) || short.is_some_and(|s| section.contains(&s)),
                "forcegen {}: no {shown} in the man page",
                command.get_name()
            );
        }
    }
}
