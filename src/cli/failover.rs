//! `mmprov failover PLAYBOOK --to HOST`: opening a survivor when the writer cannot be reached, as an explicit,
//! confirmed act (like `skip` and `rebuild`): show what HOST holds and what will happen, ask, fail over, then
//! print the exact next step. The engine does the work; this parses, confirms and prints.

use std::io::Write;

use super::args::{Input, seconds};
use crate::engine::{Engine, REJOIN_MARKER};
use crate::error::Error;

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct FailoverArgs {
    #[command(flatten)]
    pub input: Input,
    /// The node that takes over as the writer.
    #[arg(long)]
    pub to: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Seconds HOST may take to apply what it has received.
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub gate_timeout: u64,
}

pub fn run(args: &FailoverArgs, out: &mut dyn Write) -> Result<(), Error> {
    let project = crate::load::load(&args.input.playbook, &args.input.options())?;
    let engine = Engine::reading(&project, 1);
    let candidate = engine.failover_candidate(&args.to)?;
    let (host, old) = (candidate.host.clone(), candidate.old_writer.clone());
    let s = &candidate.status;
    writeln!(
        out,
        "{old}'s server does not answer. {host} replicates from it (IO thread: {}, SQL thread: {}).",
        s.io_running, s.sql_running
    )?;
    writeln!(
        out,
        "Failover to {host}: wait until it has applied everything it received, stop its replica from {old}, \
         record {old} as to rejoin ({REJOIN_MARKER} on {host}), open {host} for writes, run after_failover."
    )?;
    writeln!(
        out,
        "Whatever {old} committed that {host} never received stays on {old} only; it is named when {old} comes back."
    )?;
    if !args.yes {
        super::apply::confirm(out)?;
    }
    let done = engine.failover(candidate, seconds(args.gate_timeout))?;
    writeln!(
        out,
        "{host} takes writes (read_only = OFF), holding {}; {old} is recorded as to rejoin.",
        done.position
    )?;
    writeln!(out, "Next:")?;
    writeln!(
        out,
        "  1. set `writer: {host}` in play \"{}\" of {}, so no apply opens {old} again;",
        done.play,
        args.input.playbook.display()
    )?;
    writeln!(
        out,
        "  2. when {old} is back, run `mmprov plan {}`: it compares {old}'s transactions with {host}'s and \
         either rejoins {old} as a replica, or names the transactions only {old} has and refuses (then \
         --accept-errant once you have dealt with them, or a fresh server in {old}'s place).",
        args.input.playbook.display(),
    )?;
    Ok(())
}
