//! `mmprov rebuild --host H [--from S]`: a node whose data went wrong (a desync, a replica stopped for good)
//! gets a fresh copy of its source's data and replicates again. Explicit and confirmed, since it replaces
//! every application schema on H: the plan is shown (the seed, how and why; the accounts set again after a
//! copy of files; the connection from the copy's coordinates), then carried out as apply carries out
//! replication steps. A physical seed keeps H's old files aside; a logical one replaces its schemas.

use std::io::Write;

use super::args::{Input, seconds};
use super::verbosity::Verbosity;
use crate::engine::Engine;
use crate::error::Error;
use crate::render;

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    pub input: Input,
    /// The node to rebuild.
    #[arg(long)]
    pub host: String,
    /// The node to copy from: the one the host replicates from in its play (the default).
    #[arg(long)]
    pub from: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Seconds to wait for another apply's lock on a host before giving up (0: give up at once).
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub lock_timeout: u64,
}

pub fn run(args: &RebuildArgs, verbosity: Verbosity, out: &mut dyn Write) -> Result<u8, Error> {
    let project = super::validate::validated(&args.input.playbook, &args.input.options())?;
    let engine = Engine::new(&project, 10)?;
    let _locks = engine.lock(seconds(args.lock_timeout))?;
    let mut planned = engine.plan_rebuild(&args.host, args.from.as_deref())?;
    out.write_all(render::human(&planned.plan).as_bytes())?;
    writeln!(
        out,
        "Rebuilding {} replaces its application data with its source's.",
        args.host
    )?;
    if !args.yes {
        super::apply::confirm(out)?;
    }
    let replication = planned.plan.replication.clone();
    let hosts = planned.plan.replication_hosts(&replication);
    super::apply::execute(hosts, verbosity.quiet, out, |events| {
        engine.apply_replication(&replication, &mut planned, events)
    })?;
    let plan = planned.plan.clone();
    super::apply::end_with_the_truth(&engine, &mut planned, &plan, "rebuild", out)?;
    writeln!(out, "Rebuild complete: {} replicates again.", args.host)?;
    Ok(0)
}
