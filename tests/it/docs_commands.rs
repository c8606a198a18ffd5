//! Every command quoted in README.md and docs/*.md is run, and what the docs
//! show it print or write is checked against the real thing (issue #18,
//! point 6). How to quote a command so that it is checked, and how to mark a
//! block that is deliberately not checked, is in docs/development.md
//! ("Commands in the docs"); in short:
//!
//! - every `forcegen ...` or `cargo run --release -- ...` line of a ```sh
//!   block runs, each in a fresh folder holding `scenarios/` and `data/`,
//!   and must succeed;
//! - a ```text block after `<!-- output -->` is the output of the nearest
//!   ```sh block above; after `<!-- output: COMMAND -->`, of COMMAND;
//! - a ```text block whose first line starts with `$ ` is a transcript: each
//!   `$ forcegen ...` (or `$ cat FILE`) is run and followed by its output;
//! - `<!-- rows: COMMAND; file PATH -->`: each line of the block is a line of
//!   the file PATH that COMMAND writes (`<!-- rows: file PATH -->`: a file of
//!   the repository);
//! - `<!-- synopsis -->`: each line `forcegen COMMAND [--flag ...]` names a
//!   command whose `--help` lists every flag of the line;
//! - `<!-- file: NAME -->`: the block is the file NAME that the document's
//!   commands use; `<!-- before: COMMAND -->` runs COMMAND first;
//! - `<!-- not checked: REASON -->` skips a block;
//! - a ```text block right after a ```sh block needs one of these markers.
//!
//! Outputs are compared line by line after normalising only the elapsed time
//! (`in 0.45 s`), the working folder's path and trailing blanks; a line
//! `...` stands for any number of lines, and `warning:` lines on standard
//! error count only when the block shows one. Each distinct command runs
//! once, on a few threads.

mod markdown;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use markdown::{Block, Marker, Step};

/// What runs, in one fresh folder: the steps in order, with the document's
/// files that they name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Job {
    steps: Vec<Step>,
    files: Vec<(String, String)>,
}

/// What a job did: its folder, and for each step the exit code and what it
/// printed (standard output and error in the order written, with the
/// folder's path written `.`).
struct Ran {
    work: PathBuf,
    _dir: tempfile::TempDir,
    outputs: Vec<(Option<i32>, String)>,
}

/// One thing to check against the real program.
enum Check {
    /// Every forcegen step of the job exits with 0.
    Succeeds { at: String, job: Job },
    /// The outputs of the jobs' steps from `skip` on, one after the other.
    Output {
        at: String,
        jobs: Vec<Job>,
        skip: usize,
        expected: Vec<String>,
    },
    /// A transcript: per step from `skip` on, the lines of its command as
    /// shown and the output shown after them.
    Transcript {
        at: String,
        job: Job,
        skip: usize,
        shown: Vec<(Vec<String>, Vec<String>)>,
    },
    /// The job is `forcegen COMMAND --help`: it succeeds and lists `flags`.
    Synopsis { at: String, job: Job, flags: Vec<String> },
    /// Each row is a line of `file` (in the job's folder, or the repository).
    Rows {
        at: String,
        job: Option<Job>,
        file: String,
        rows: Vec<String>,
    },
}

impl Check {
    fn jobs(&self) -> Vec<&Job> {
        match self {
            Check::Succeeds { job, .. } | Check::Transcript { job, .. } | Check::Synopsis { job, .. } => vec![job],
            Check::Output { jobs, .. } => jobs.iter().collect(),
            Check::Rows { job, .. } => job.iter().collect(),
        }
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, by path relative to the repository.
fn documents() -> Vec<(String, String)> {
    let mut names: Vec<String> = fs::read_dir(repo().join("docs"))
        .expect("docs/ is readable")
        .map(|e| e.expect("directory entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    names.sort();
    names.insert(0, "README.md".to_string());
    names
        .into_iter()
        .map(|n| {
            let text = fs::read_to_string(repo().join(&n)).expect("document is readable");
            (n, text)
        })
        .collect()
}

/// The single step a marker's or transcript's command is.
fn one_step(command: &str, allow_cat: bool) -> Result<Step, String> {
    markdown::step(command, allow_cat)?.ok_or_else(|| format!("`{command}` is not a command this test can run"))
}

/// A job of `steps`, with those of the document's files that the steps name.
fn job(steps: Vec<Step>, files: &[(String, String)]) -> Job {
    let names = |name: &str| {
        steps.iter().any(|s| match s {
            Step::Forcegen(args) => args.iter().any(|a| a.contains(name)),
            Step::Cat(path) => path.contains(name),
        })
    };
    let files = files.iter().filter(|(n, _)| names(n)).cloned().collect();
    Job { steps, files }
}

/// The steps of a ```sh block (lines that do not use forcegen are left alone).
fn sh_steps(block: &Block) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (i, line) in markdown::logical_lines(&block.body) {
        let at = block.line + 1 + i;
        if let Some(step) = markdown::step(&line, false).map_err(|e| format!("line {at}: {e}"))? {
            steps.push(step);
        }
    }
    Ok(steps)
}

/// A transcript's steps, and for each the command lines and output shown.
type Shown = Vec<(Vec<String>, Vec<String>)>;
fn transcript(block: &Block) -> Result<(Vec<Step>, Shown), String> {
    let mut steps = Vec::new();
    let mut shown: Shown = Vec::new();
    let mut lines = block.body.iter();
    while let Some(line) = lines.next() {
        if let Some(command) = line.strip_prefix("$ ") {
            let mut command_lines = vec![line.clone()];
            let mut command = command.to_string();
            while command.ends_with('\\') {
                let Some(next) = lines.next() else { break };
                command_lines.push(next.clone());
                command = format!("{} {}", command.trim_end_matches('\\'), next.trim_start());
            }
            steps.push(one_step(&command, true)?);
            shown.push((command_lines, Vec::new()));
        } else if let Some((_, output)) = shown.last_mut() {
            output.push(line.clone());
        }
    }
    Ok((steps, shown))
}

/// A synopsis's checks: one per line `forcegen COMMAND ...`.
fn synopsis(at: &str, lines: &[String]) -> Result<Vec<Check>, String> {
    let mut checks = Vec::new();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let ["forcegen", command, ..] = words.as_slice() else {
            return Err(format!("a synopsis line must start `forcegen COMMAND`: `{line}`"));
        };
        let steps = vec![Step::Forcegen(vec![command.to_string(), "--help".to_string()])];
        let job = Job {
            steps,
            files: Vec::new(),
        };
        let flags = markdown::flags(line);
        checks.push(Check::Synopsis {
            at: at.to_string(),
            job,
            flags,
        });
    }
    Ok(checks)
}

/// The steps of a block's `<!-- before: COMMAND -->` markers.
fn before_steps(block: &Block) -> Result<Vec<Step>, String> {
    let commands = block.markers.iter().filter_map(|m| match m {
        Marker::Before(command) => Some(command),
        _ => None,
    });
    commands.map(|c| one_step(c, false)).collect()
}

/// The checks one block asks for. `last_sh` holds the jobs of the nearest
/// ```sh block above (one per command), and how many `before` steps each
/// starts with.
fn block_checks(
    at: &str,
    block: &Block,
    files: &[(String, String)],
    last_sh: &mut Option<(usize, Vec<Job>)>,
) -> Result<Vec<Check>, String> {
    let mut checks = Vec::new();
    let before = before_steps(block)?;
    let skip = before.len();
    let with_before = |step: Step| job(before.iter().cloned().chain([step]).collect(), files);
    if matches!(block.lang.as_str(), "sh" | "bash" | "shell") {
        let jobs: Vec<Job> = sh_steps(block)?.into_iter().map(with_before).collect();
        checks.extend(jobs.iter().map(|job| Check::Succeeds {
            at: at.to_string(),
            job: job.clone(),
        }));
        *last_sh = (!jobs.is_empty()).then_some((skip, jobs));
        return Ok(checks);
    }
    for m in &block.markers {
        let at = at.to_string();
        let expected = block.body.clone();
        match m {
            Marker::OutputAbove => {
                let (skip, jobs) = last_sh
                    .clone()
                    .ok_or("`<!-- output -->` with no checked ```sh block above")?;
                checks.push(Check::Output {
                    at,
                    jobs,
                    skip,
                    expected,
                });
            }
            Marker::OutputOf(c) => {
                let jobs = vec![with_before(one_step(c, false)?)];
                checks.push(Check::Output {
                    at,
                    jobs,
                    skip,
                    expected,
                });
            }
            Marker::Rows { command, file } => {
                let job = command
                    .as_deref()
                    .map(|c| one_step(c, false))
                    .transpose()?
                    .map(with_before);
                checks.push(Check::Rows {
                    at,
                    job,
                    file: file.clone(),
                    rows: expected,
                });
            }
            Marker::Synopsis => checks.extend(synopsis(&at, &block.body)?),
            _ => {}
        }
    }
    if block.lang == "text" && block.body.first().is_some_and(|l| l.starts_with("$ ")) {
        let (steps, shown) = transcript(block)?;
        let job = job(before.iter().cloned().chain(steps).collect(), files);
        checks.push(Check::Transcript {
            at: at.to_string(),
            job,
            skip,
            shown,
        });
    }
    Ok(checks)
}

/// Every check of one document.
fn doc_checks(doc: &str, text: &str) -> Result<Vec<Check>, String> {
    let blocks = markdown::blocks(text).map_err(|e| format!("{doc}: {e}"))?;
    let files: Vec<(String, String)> = blocks
        .iter()
        .flat_map(|b| {
            b.markers.iter().filter_map(|m| match m {
                Marker::File(name) => Some((name.clone(), b.body.join("\n") + "\n")),
                _ => None,
            })
        })
        .collect();
    let mut last_sh = None;
    let mut checks = Vec::new();
    let mut after_sh = false;
    for block in &blocks {
        let at = format!("{doc}:{}", block.line);
        if block.markers.iter().any(|m| matches!(m, Marker::NotChecked(_))) {
            last_sh = None;
            after_sh = false;
            continue;
        }
        let found = block_checks(&at, block, &files, &mut last_sh).map_err(|e| format!("{at}: {e}"))?;
        // Output shown after a command must say what it is.
        if found.is_empty() && block.lang == "text" && after_sh && !block.after_heading {
            return Err(format!(
                "{at}: a ```text block right after a ```sh block, with no marker: write `<!-- output -->` \
                 before it if it shows that block's output, else `<!-- not checked: REASON -->`"
            ));
        }
        after_sh = found.iter().any(|c| matches!(c, Check::Succeeds { .. }));
        checks.extend(found);
    }
    Ok(checks)
}

/// Runs a job's steps in a fresh folder holding links to `scenarios/` and `data/`.
fn run_job(job: &Job) -> Ran {
    let dir = tempfile::tempdir().expect("temporary folder");
    let work = dir.path().join("work");
    fs::create_dir(&work).expect("working folder");
    for linked in ["scenarios", "data"] {
        std::os::unix::fs::symlink(repo().join(linked), work.join(linked)).expect("link into the working folder");
    }
    for (name, text) in &job.files {
        fs::write(work.join(name), text).expect("write a document's file");
    }
    let mut outputs = Vec::new();
    for (k, step) in job.steps.iter().enumerate() {
        outputs.push(match step {
            Step::Forcegen(args) => {
                let capture = dir.path().join(format!("output-{k}.txt"));
                let file = fs::File::create(&capture).expect("capture file");
                let status = Command::new(env!("CARGO_BIN_EXE_forcegen"))
                    .args(args)
                    .current_dir(&work)
                    .stdin(Stdio::null())
                    .stdout(file.try_clone().expect("capture file"))
                    .stderr(file)
                    .status()
                    .expect("run forcegen");
                let text = fs::read_to_string(&capture).expect("captured output");
                (status.code(), text.replace(&*work.to_string_lossy(), "."))
            }
            Step::Cat(path) => match fs::read_to_string(work.join(path)) {
                Ok(text) => (Some(0), text),
                Err(e) => (Some(1), format!("cat: {path}: {e}\n")),
            },
        });
    }
    Ran {
        work,
        _dir: dir,
        outputs,
    }
}

/// Runs every job once, on a few threads.
fn run_all(jobs: Vec<Job>) -> BTreeMap<Job, Ran> {
    let next = AtomicUsize::new(0);
    let done = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let ran = run_job(job);
                    done.lock().expect("no thread panicked").insert(job.clone(), ran);
                }
            });
        }
    });
    done.into_inner().expect("no thread panicked")
}

/// A line as compared: without trailing blanks, and an elapsed time
/// `in 0.45 s` as `in … s`.
fn normalise(line: &str) -> String {
    let line = line.trim_end();
    let mut out = String::new();
    let mut rest = line;
    while let Some(pos) = rest.find(" in ") {
        out.push_str(&rest[..pos + 4]);
        rest = &rest[pos + 4..];
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits > 0 && rest[..digits].contains('.') && rest[digits..].starts_with(" s") {
            out.push('…');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The real output's lines, leaving out `warning:` lines unless the quoted
/// block shows one.
fn real_lines<'a>(text: &'a str, expected: &[String]) -> Vec<&'a str> {
    let warnings = expected.iter().any(|l| l.starts_with("warning: "));
    text.lines()
        .filter(|l| warnings || !l.starts_with("warning: "))
        .collect()
}

/// `None` when `expected` matches the real lines; else why not.
fn mismatch(expected: &[String], real: &[&str]) -> Option<String> {
    let expected: Vec<String> = expected.iter().map(|l| normalise(l)).collect();
    let real: Vec<String> = real.iter().map(|l| normalise(l)).collect();
    if markdown::matches(&expected, &real) {
        return None;
    }
    Some(match expected.iter().find(|e| e.trim() != "..." && !real.contains(e)) {
        Some(line) => format!("the quoted line `{line}` is not in the real output"),
        None => "every quoted line is in the real output, but not in this order or with other lines between \
                 (a line `...` stands for any lines)"
            .to_string(),
    })
}

/// The command line a step is, for messages.
fn show(step: &Step) -> String {
    match step {
        Step::Forcegen(args) => format!("forcegen {}", args.join(" ")),
        Step::Cat(path) => format!("cat {path}"),
    }
}

/// The problem a check finds, if any, with the real output to paste.
fn evaluate(check: &Check, ran: &BTreeMap<Job, Ran>) -> Option<String> {
    let ran_of = |job: &Job| &ran[job];
    match check {
        Check::Succeeds { at, job } => {
            let r = ran_of(job);
            let (step, (code, text)) = job
                .steps
                .iter()
                .zip(&r.outputs)
                .find(|(_, (code, _))| *code != Some(0))?;
            Some(format!("{at}: `{}` failed (exit code {code:?}):\n{text}", show(step)))
        }
        Check::Output {
            at,
            jobs,
            skip,
            expected,
        } => {
            let text: String = jobs
                .iter()
                .flat_map(|j| &ran_of(j).outputs[*skip..])
                .map(|(_, t)| t.as_str())
                .collect();
            let real = real_lines(&text, expected);
            let why = mismatch(expected, &real)?;
            let commands: Vec<String> = jobs.iter().flat_map(|j| &j.steps[*skip..]).map(show).collect();
            Some(format!(
                "{at}: the quoted output of `{}` differs: {why}. The real output, to paste:\n```text\n{}\n```",
                commands.join("`, `"),
                real.join("\n")
            ))
        }
        Check::Transcript { at, job, skip, shown } => {
            let r = ran_of(job);
            let mut why = None;
            let mut paste = Vec::new();
            for ((command, expected), (_, text)) in shown.iter().zip(&r.outputs[*skip..]) {
                let real = real_lines(text, expected);
                why = why.or_else(|| mismatch(expected, &real).map(|w| format!("after `{}`: {w}", command[0])));
                paste.extend(command.iter().cloned());
                paste.extend(real.iter().map(|l| l.to_string()));
            }
            Some(format!(
                "{at}: the transcript differs, {}. The real transcript, to paste:\n```text\n{}\n```",
                why?,
                paste.join("\n")
            ))
        }
        Check::Synopsis { at, job, flags } => synopsis_problem(at, job, &ran_of(job).outputs[0], flags),
        Check::Rows { at, job, file, rows } => rows_problem(at, job.as_ref().map(|j| (j, ran_of(j))), file, rows),
    }
}

/// A synopsis line's problem: its command's `--help` fails or does not list
/// one of its flags.
fn synopsis_problem(at: &str, job: &Job, (code, help): &(Option<i32>, String), flags: &[String]) -> Option<String> {
    let listed = |flag: &String| {
        help.match_indices(flag.as_str()).any(|(i, _)| {
            let next = help[i + flag.len()..].chars().next();
            !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    let missing: Vec<&String> = flags.iter().filter(|f| !listed(f)).collect();
    (*code != Some(0) || !missing.is_empty()).then(|| {
        format!(
            "{at}: `{}` (exit code {code:?}) does not list {missing:?}:\n{help}",
            show(&job.steps[0])
        )
    })
}

/// Each quoted row must be a line of the file; a missing one is shown with
/// the file's line most like it (the longest common start).
fn rows_problem(at: &str, job: Option<(&Job, &Ran)>, file: &str, rows: &[String]) -> Option<String> {
    let (path, source) = match job {
        Some((job, ran)) => {
            let commands: Vec<String> = job.steps.iter().map(show).collect();
            (ran.work.join(file), format!("written by `{}`", commands.join("`, `")))
        }
        None => (repo().join(file), "of the repository".to_string()),
    };
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => return Some(format!("{at}: cannot read {file} ({source}): {e}")),
    };
    let lines: BTreeSet<&str> = text.lines().collect();
    let missing: Vec<String> = rows
        .iter()
        .map(|r| r.trim_end())
        .filter(|r| !r.is_empty() && *r != "..." && !lines.contains(r))
        .map(|r| {
            let common = |l: &str| l.chars().zip(r.chars()).take_while(|(a, b)| a == b).count();
            let best = text.lines().max_by_key(|l| common(l)).unwrap_or("");
            format!("  quoted: {r}\n  real:   {best}")
        })
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "{at}: {} quoted row(s) are not lines of {file} ({source}); the closest real rows, to paste:\n{}",
            missing.len(),
            missing.join("\n")
        )
    })
}

#[test]
fn every_quoted_command_runs_and_shows_its_real_output() {
    let mut checks = Vec::new();
    let mut problems = Vec::new();
    for (doc, text) in documents() {
        match doc_checks(&doc, &text) {
            Ok(found) => checks.extend(found),
            Err(e) => problems.push(e),
        }
    }
    let jobs: BTreeSet<Job> = checks.iter().flat_map(Check::jobs).cloned().collect();
    let commands = jobs.iter().flat_map(|j| &j.steps).collect::<BTreeSet<_>>().len();
    let ran = run_all(jobs.into_iter().collect());
    problems.extend(checks.iter().filter_map(|c| evaluate(c, &ran)));
    eprintln!(
        "docs_commands: {} checks, {} runs of {commands} distinct commands",
        checks.len(),
        ran.len()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s) with the commands quoted in the docs (conventions: docs/development.md, \
         \"Commands in the docs\"):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    // A parsing slip must not leave the test checking nothing.
    assert!(
        checks.len() >= 30 && commands >= 20,
        "only {} checks of {commands} commands found",
        checks.len()
    );
}
