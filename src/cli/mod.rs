//! The command line: the global flags and the list of subcommands; each subcommand's file owns its arguments
//! (a clap struct) and its run, as cargo's `commands/*.rs` do; shared arguments are in `args.rs`. This is the
//! one place that prints errors and picks the exit code. Subcommands write to the writer they are given, so tests drive them without a terminal.
//!
//! Exit codes: 0 success; 1 any error (bad input, unreachable host, failed command); 2 reserved for
//! `plan --detailed-exitcode` ("there are changes").

mod apply;
mod args;
mod completions;
mod failover;
mod inventory;
mod man;
mod ping;
mod plan;
mod rebuild;
mod render;
mod shell;
mod skip;
mod status;
mod validate;
mod verbosity;
mod verify;

pub use verbosity::Verbosity;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::error::Error;

#[derive(Debug, Parser)]
#[command(
    name = "mmprov",
    version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("MMPROV_GIT_SHA"), ")"),
    about = "Provision and verify MySQL/MariaDB master-master replication"
)]
pub struct Cli {
    /// When to use colors in diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,

    /// Say more on stderr: -v connections, facts and timings per host; -vv every remote command and SQL round
    /// trip, with durations and exit codes.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Say only the result: summary lines, warnings and failures.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a playbook and its inventory without contacting any host.
    Validate(validate::ValidateArgs),
    /// Show the inventory as mmprov reads it: as ansible-inventory does (--list, --graph, --host), or what
    /// each play of a playbook acts on (PLAYBOOK --plays). Contacts nothing.
    Inventory(inventory::InventoryArgs),
    /// Print the my.cnf mmprov would write on a host.
    Render(render::RenderArgs),
    /// Connect to every host of the playbook and report whether SSH and mysqld answer. Changes nothing.
    Ping(ping::PingArgs),
    /// Read every host (read-only) and print what apply would change.
    Plan(plan::PlanArgs),
    /// Plan and carry out the changes (or carry out a plan saved with `plan --out`, if the hosts are unchanged).
    Apply(apply::ApplyArgs),
    /// Show every replication direction: threads, lag, position, last error explained. Exit 1 if any is broken.
    Status(status::StatusArgs),
    /// Skip N events on a replica stopped by an error (explicit, confirmed, logged on the host).
    Skip(skip::SkipArgs),
    /// Replace a node's data with a fresh seed from its source and connect it again (explicit, confirmed).
    Rebuild(rebuild::RebuildArgs),
    /// Open HOST for writes when the writer cannot be reached (explicit, confirmed): once HOST has applied
    /// everything it received, its replica from the old writer is stopped, HOST opened, and the old writer
    /// recorded as to rejoin (its transactions are compared when it comes back).
    Failover(failover::FailoverArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff).
    Man,
    /// Prove replication works: a probe row written on each node must arrive on every other one.
    Verify(verify::VerifyArgs),
}

/// Parse arguments, run the command, print any error; the binary's whole life.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own message; a closed terminal cannot be told more, and the exit code says it.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    // On a terminal, diagnostics wrap to its width; in logs and pipes lines stay whole, so server error lines
    // quoted in a diagnostic can be searched for as they are.
    let terminal = std::io::stderr().is_terminal();
    // A hook set earlier in this process (tests) formats the same way.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .wrap_lines(terminal)
                .build(),
        )
    }));
    let verbosity = Verbosity {
        quiet: cli.quiet,
        verbose: cli.verbose,
        color: match cli.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        },
    };
    verbosity.install();
    let mut stdout = std::io::stdout().lock();
    match execute(&cli.command, verbosity, &mut stdout) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The error below is what matters; what did not flush is lost with the terminal.
            let _ = stdout.flush();
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(1)
        }
    }
}

/// Run one command; the exit code on success (0, or 2 for `plan --detailed-exitcode` with changes). Each
/// subcommand's file owns its arguments and its run; this only hands each its own.
pub fn execute(command: &Command, verbosity: Verbosity, out: &mut dyn Write) -> Result<u8, Error> {
    let shell = |out| shell::Shell::new(out, verbosity.quiet, verbosity.color);
    let done = |()| 0;
    match command {
        Command::Validate(args) => validate::run(args, out).map(done),
        Command::Inventory(args) => inventory::run(args, out).map(done),
        Command::Render(args) => render::run(args, out).map(done),
        Command::Ping(args) => ping::run(args, &mut shell(out)).map(done),
        Command::Plan(args) => plan::run(args, verbosity, out),
        Command::Apply(args) => apply::run(args, verbosity, out),
        Command::Status(args) => status::run(args, &mut shell(out)).map(done),
        Command::Completions(args) => {
            completions::run(args, &mut <Cli as CommandFactory>::command(), out).map(done)
        }
        Command::Man => man::run(<Cli as CommandFactory>::command(), out).map(done),
        Command::Rebuild(args) => rebuild::run(args, verbosity, out),
        Command::Skip(args) => skip::run(args, out).map(done),
        Command::Failover(args) => failover::run(args, out).map(done),
        Command::Verify(args) => verify::run(args, &mut shell(out)).map(done),
    }
}
