//! What `status` reads beyond the plan's facts, over the links already open: each node's GTID positions and
//! uptime, and for a replica that does not run, how long ago its threads stopped. Kept out of [`HostFacts`]
//! (`super::HostFacts`): these move with every write, and a saved plan's fingerprint must not.

use serde::Serialize;

use crate::flavor::ServerVersion;
use crate::link::HostLink;
use crate::sql::{SqlError, SqlExecutor};
use crate::transport::{Transport, quote};

/// One node as `status` sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// What it has written to its binary log (MariaDB `gtid_binlog_pos`, MySQL `gtid_executed`).
    pub written: String,
    /// What it has applied as a replica (MariaDB `gtid_slave_pos`, MySQL `gtid_executed`).
    pub applied: String,
    /// Seconds since its server started.
    pub uptime: u64,
    /// Seconds since the error log last said a replica thread stopped; `None` when it never did (or the log
    /// cannot be read).
    pub since_thread_stop: Option<u64>,
}

/// Read a node's positions and uptime; with `stopped`, also when its replica threads last stopped.
pub fn observe(
    t: &mut HostLink,
    server: ServerVersion,
    log_error: &str,
    stopped: bool,
) -> Result<Observed, SqlError> {
    let host = t.host().to_string();
    let what = "reading GTID positions";
    let rows = t.sql().query(what, server.flavor().gtid_positions())?;
    let row = rows.first().ok_or_else(|| SqlError::Unreadable {
        host: host.clone(),
        what: what.into(),
        detail: "no row".into(),
    })?;
    let unreadable = |e| SqlError::unreadable(&host, what, e);
    let written = row.text(&["written"]).map_err(unreadable)?.to_string();
    let applied = row.text(&["applied"]).map_err(unreadable)?.to_string();
    let what = "reading the server's uptime";
    let rows = t
        .sql()
        .query(what, "SHOW GLOBAL STATUS WHERE Variable_name = 'Uptime'")?;
    let uptime = rows
        .first()
        .ok_or_else(|| SqlError::Unreadable {
            host: host.clone(),
            what: what.into(),
            detail: "no row".into(),
        })?
        .number(&["Value"])
        .map_err(|e| SqlError::unreadable(&host, what, e))?;
    let since_thread_stop = if stopped {
        since_thread_stop(t, log_error)
    } else {
        None
    };
    Ok(Observed {
        written,
        applied,
        uptime,
        since_thread_stop,
    })
}

/// Seconds since the last "replica thread exiting/killed" line of the error log, by the host's clock. The
/// log is the server's own record; a log that cannot be read says nothing (never "just now").
fn since_thread_stop(t: &mut HostLink, log_error: &str) -> Option<u64> {
    if log_error.is_empty() {
        return None;
    }
    let command = format!(
        "line=$(grep -aE '(Slave|Replica) (I/O|IO|SQL) thread (exiting|killed)' -- {} 2>/dev/null | tail -n 1); \
         stamp=$(printf '%s' \"$line\" | cut -c1-19); \
         [ -n \"$stamp\" ] && echo $(( $(date +%s) - $(date -d \"$stamp\" +%s) ))",
        quote(log_error)
    );
    let out = t.exec(&command).ok()?;
    out.success()
        .then(|| out.stdout_text().trim().parse().ok())
        .flatten()
}
