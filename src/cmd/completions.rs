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
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Failure::Internal(format!("cannot render the man page: {e}")))?;
    to_stdout(&page)
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
