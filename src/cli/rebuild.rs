//! `mmprov rebuild --host H [--from S]`: a node whose data went wrong (a desync, a replica stopped for good)
//! gets a fresh copy of its source's data and replicates again. Explicit and confirmed, since it replaces
//! every application schema on H: the plan is shown (the seed, how and why; the accounts set again after a
//! copy of files; the connection from the copy's coordinates), then carried out as apply carries out
//! replication steps. A physical seed keeps H's old files aside; a logical one replaces its schemas.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::engine::Engine;
use crate::error::Error;
use crate::load::LoadOptions;
use crate::render;

pub struct RebuildRequest<'a> {
    pub playbook: &'a Path,
    pub options: LoadOptions,
    pub host: &'a str,
    /// The node to copy from: H's source in its play (the default) is the only one accepted.
    pub from: Option<&'a str>,
    pub yes: bool,
    pub lock_timeout: Duration,
    pub quiet: bool,
}

pub fn run(req: &RebuildRequest<'_>, out: &mut dyn Write) -> Result<u8, Error> {
    let project = super::validate::validated(req.playbook, &req.options)?;
    let engine = Engine::new(&project, 10)?;
    let _locks = engine.lock(req.lock_timeout)?;
    let mut planned = engine.plan_rebuild(req.host, req.from)?;
    out.write_all(render::human(&planned.plan).as_bytes())?;
    writeln!(
        out,
        "Rebuilding {} replaces its application data with its source's.",
        req.host
    )?;
    if !req.yes {
        super::apply::confirm(out)?;
    }
    let replication = planned.plan.replication.clone();
    let hosts = planned.plan.replication_hosts(&replication);
    super::apply::execute(hosts, req.quiet, out, |events| {
        engine.apply_replication(&replication, &mut planned, events)
    })?;
    let plan = planned.plan.clone();
    super::apply::end_with_the_truth(&engine, &mut planned, &plan, "rebuild", out)?;
    writeln!(out, "Rebuild complete: {} replicates again.", req.host)?;
    Ok(0)
}
