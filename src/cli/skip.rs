//! `mmprov skip --host H --count N`: the classic recovery of a stopped replica, as an explicit, confirmed,
//! logged act: show the error, stop the replica, skip N events with the skip counter, start it again, and
//! record what was skipped on the host (`/var/log/mysql/mmprov-skips.log`). Skipping discards the skipped
//! changes on this node: the nodes may then differ, which is why mmprov never does it on its own.

use std::io::Write;
use std::path::Path;

use crate::error::Error;

use crate::load::LoadOptions;
use crate::replication::{ReplicaStatus, explain};
use crate::sql::{SqlError, SqlExecutor};
use crate::transport::{Transport, quote};

pub const SKIP_LOG: &str = "/var/log/mysql/mmprov-skips.log";

pub struct SkipRequest<'a> {
    pub playbook: &'a Path,
    pub options: LoadOptions,
    pub host: &'a str,
    pub count: u32,
    pub yes: bool,
}

pub fn run(req: &SkipRequest<'_>, out: &mut dyn Write) -> Result<(), Error> {
    let project = crate::load::load(req.playbook, &req.options)?;
    let host = project
        .hosts
        .get(req.host)
        .ok_or_else(|| Error::NotConfigured {
            host: req.host.to_string(),
            known: project.hosts.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
    let mut t = crate::facts::link_to(&project, host).map_err(|e| Error::Unreachable {
        total: 1,
        failed: vec![e],
    })?;
    let mut sql = t.sql();
    let sql_err = |e| Error::Apply(crate::apply::ApplyError::Sql(e));
    let version =
        crate::facts::ask_server_version(req.host, &mut sql).map_err(|e| Error::Unreachable {
            total: 1,
            failed: vec![e],
        })?;
    let flavor = version.flavor();
    let rows = sql
        .query("reading the replica status", flavor.replica_status())
        .map_err(sql_err)?;
    let status = ReplicaStatus::from_rows(&rows)
        .map_err(|e| {
            sql_err(SqlError::unreadable(
                req.host,
                "reading the replica status",
                e,
            ))
        })?
        .ok_or_else(|| Error::SkipRefused {
            host: req.host.to_string(),
            reason: "it is not a replica".into(),
        })?;
    let Some((errno, text)) = status.error().map(|(n, t)| (n, t.to_string())) else {
        return Err(Error::SkipRefused {
            host: req.host.to_string(),
            reason: "its replication reports no error".into(),
        });
    };
    writeln!(
        out,
        "{}: replication from {} stopped with error {errno}: {text}",
        req.host, status.source_host
    )?;
    if let Some(why) = explain(errno) {
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
    let statement = format!(
        "{}; SET GLOBAL {} = {}; {}",
        flavor.stop_replica(),
        flavor.skip_counter(),
        req.count,
        flavor.start_replica()
    );
    sql.execute("skipping replication events", &statement)
        .map_err(sql_err)?;
    // The record travels on stdin: the server's error text is never interpreted by a shell.
    let record = format!(
        "mmprov skip: {} event(s) from {} at {}:{}, error {errno}: {}",
        req.count,
        status.source_host,
        status.source_log_file,
        status.exec_pos,
        text.replace(['\n', '\r'], " ")
    );
    let append = format!(
        "printf '%s %s\\n' \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" \"$(cat)\" >> {}",
        quote(SKIP_LOG)
    );
    t.check(&append, record.as_bytes())?;
    writeln!(
        out,
        "{}: skipped {} event(s) and restarted replication; recorded in {SKIP_LOG}",
        req.host, req.count
    )?;
    Ok(())
}
