//! `mmprov skip --host H --count N`: the classic recovery of a stopped replica, as an explicit, confirmed,
//! logged act: show the error, stop the replica, skip N events with the skip counter, start it again, and
//! record what was skipped on the host (`/var/log/mysql/mmprov-skips.log`). Skipping discards the skipped
//! changes on this node: the nodes may then differ, which is why mmprov never does it on its own.

use std::io::Write;

use super::args::Input;
use crate::engine::{Engine, SKIP_LOG};
use crate::error::Error;
use crate::replication::explain;

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct SkipArgs {
    #[command(flatten)]
    pub input: Input,
    /// The replica to recover.
    #[arg(long)]
    pub host: String,
    /// How many events to skip.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(req: &SkipArgs, out: &mut dyn Write) -> Result<(), Error> {
    let project = crate::load::load(&req.input.playbook, &req.input.options())?;
    let engine = Engine::reading(&project, 1);
    let stopped = engine.stopped_replica(&req.host)?;
    writeln!(
        out,
        "{}: replication from {} stopped with error {}: {}",
        req.host, stopped.status.source_host, stopped.errno, stopped.error
    )?;
    if let Some(why) = explain(stopped.errno) {
        writeln!(out, "  {why}")?;
    }
    writeln!(
        out,
        "Skipping {} event(s) discards those changes on {} only: the nodes may then hold different data.",
        req.count, req.host
    )?;
    if !req.yes {
        super::apply::confirm(out)?;
    }
    engine.skip(stopped, req.count)?;
    writeln!(
        out,
        "{}: skipped {} event(s) and restarted replication; recorded in {SKIP_LOG}",
        req.host, req.count
    )?;
    Ok(())
}
