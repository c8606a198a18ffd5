//! `forcegen completions SHELL` and `forcegen man`: shell completion
//! scripts (clap_complete) and a roff man page (clap_mangen), generated from
//! the same clap definitions as `--help`, written to standard output.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Failure};
use crate::output::OutputError;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish. For bash, e.g.
    /// `forcegen completions bash > ~/.local/share/bash-completion/completions/forcegen`.
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {}

/// `forcegen completions SHELL`: the completion script on stdout.
pub fn completions(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "forcegen", &mut script);
    to_stdout(&script)
}

/// `forcegen man`: the man page (roff) on stdout, e.g.
/// `forcegen man > forcegen.1 && man ./forcegen.1`.
pub fn man(_args: &ManArgs) -> Result<(), Failure> {
    let page = man_page().map_err(|e| Failure::Internal(format!("cannot render the man page: {e}")))?;
    to_stdout(&page)
}

/// The one man page, forcegen(1): what forcegen is, then under COMMANDS
/// every command with its synopsis, description and every option, so that
/// it names no other page (clap_mangen's own page refers to a
/// forcegen-run(1) and others that nobody installs).
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    let top = clap_mangen::Man::new(cli.clone());
    let mut page = Vec::new();
    top.render_title(&mut page)?;
    top.render_name_section(&mut page)?;
    top.render_synopsis_section(&mut page)?;
    top.render_description_section(&mut page)?;
    top.render_options_section(&mut page)?;
    page.extend_from_slice(b".SH COMMANDS\n");
    for command in cli.get_subcommands() {
        let man = clap_mangen::Man::new(command.clone());
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part)?;
        man.render_description_section(&mut part)?;
        man.render_options_section(&mut part)?;
        page.extend_from_slice(subsection(&String::from_utf8_lossy(&part), command.get_name()).as_bytes());
    }
    top.render_extra_section(&mut page)?;
    top.render_version_section(&mut page)?;
    Ok(once_preamble(&String::from_utf8_lossy(&page)).into_bytes())
}

/// `roff` with the preamble that each rendered section repeats kept once,
/// at the top.
fn once_preamble(roff: &str) -> String {
    let preamble = |line: &str| line.starts_with(".ie \\n(.g") || line.starts_with(".el .ds Aq");
    let mut out = String::new();
    for (i, line) in roff.lines().enumerate() {
        if i < 2 || !preamble(line) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A command's sections as one subsection of the page: its SYNOPSIS
/// heading becomes `.SS "forcegen NAME"`, its other headings a bold label
/// (`Options`).
fn subsection(roff: &str, name: &str) -> String {
    let mut out = String::new();
    for line in roff.lines() {
        match line.strip_prefix(".SH ") {
            Some("SYNOPSIS") => out.push_str(&format!(".SS \"forcegen {name}\"\n")),
            Some("DESCRIPTION") => out.push_str(".PP\n"),
            Some(heading) => {
                let label: String = heading
                    .chars()
                    .take(1)
                    .chain(heading.chars().skip(1).flat_map(char::to_lowercase))
                    .collect();
                out.push_str(&format!(".PP\n\\fB{label}\\fR\n"));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn to_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|source| {
        Failure::Output(OutputError::Write {
            path: PathBuf::from("standard output"),
            source,
        })
    })
}
