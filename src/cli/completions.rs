//! `mmprov completions SHELL`: a shell completion script for the whole command line, printed.

use std::io::Write;

use crate::error::Error;

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `command`: the whole command line's definition, handed down by `cli` (which owns it).
pub fn run(
    args: &CompletionsArgs,
    command: &mut clap::Command,
    out: &mut dyn Write,
) -> Result<(), Error> {
    clap_complete::generate(args.shell, command, "mmprov", out);
    Ok(())
}
