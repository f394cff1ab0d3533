//! `mmprov failover PLAYBOOK --to HOST`: opening a survivor when the writer cannot be reached, as an explicit,
//! confirmed act (like `skip` and `rebuild`): show what HOST holds and what will happen, ask, fail over, then
//! print the exact next step. The engine does the work; this parses, confirms and prints.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::engine::{Engine, REJOIN_MARKER};
use crate::error::Error;

use crate::load::LoadOptions;

pub struct FailoverRequest<'a> {
    pub playbook: &'a Path,
    pub options: LoadOptions,
    pub to: &'a str,
    pub yes: bool,
    /// How long HOST may take to apply what it has received.
    pub timeout: Duration,
}

pub fn run(req: &FailoverRequest<'_>, out: &mut dyn Write) -> Result<(), Error> {
    let project = crate::load::load(req.playbook, &req.options)?;
    let engine = Engine::reading(&project, 1);
    let candidate = engine.failover_candidate(req.to)?;
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
    if !req.yes {
        super::apply::confirm(out)?;
    }
    let done = engine.failover(candidate, req.timeout)?;
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
        req.playbook.display()
    )?;
    writeln!(
        out,
        "  2. when {old} is back, run `mmprov plan {}`: it compares {old}'s transactions with {host}'s and \
         either rejoins {old} as a replica, or names the transactions only {old} has and refuses (then \
         --accept-errant once you have dealt with them, or a fresh server in {old}'s place).",
        req.playbook.display(),
    )?;
    Ok(())
}
