//! What `status` reads beyond the plan's facts, over the links already open: each node's GTID positions and
//! uptime, and for a replica that does not run, how long ago its threads stopped. Kept out of [`HostFacts`]
//! (`super::HostFacts`): these move with every write, and a saved plan's fingerprint must not.

use serde::Serialize;

use crate::flavor::ServerVersion;
use crate::link::HostLink;
use crate::shell::quote;
use crate::sql::{SqlError, SqlExecutor};
use crate::transport::Transport;

/// One node as `status` sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// What it has written to its binary log (MariaDB `gtid_binlog_pos`, MySQL `gtid_executed`).
    pub written: String,
    /// What it has applied as a replica (MariaDB `gtid_slave_pos`, MySQL `gtid_executed`).
    pub applied: String,
    /// Seconds since its server started.
    pub uptime: u64,
    /// What the error log says of the replica threads' last stop; `None` when the log cannot be read (then
    /// how long the replica has been stopped is not known, and not guessed).
    pub last_thread_stop: Option<ThreadStop>,
}

/// The last stop of a replica thread the error log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ThreadStop {
    /// The log holds no such line: the threads have not run since the log began (or the server started).
    Never,
    SecondsAgo(u64),
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
    let uptime = crate::sql::first_row(&rows, &host, what)?
        .number(&["Value"])
        .map_err(|e| SqlError::unreadable(&host, what, e))?;
    let last_thread_stop = if stopped {
        last_thread_stop(t, log_error)
    } else {
        None
    };
    Ok(Observed {
        written,
        applied,
        uptime,
        last_thread_stop,
    })
}

/// The last "replica thread exiting/killed" line of the error log, as seconds ago by the host's clock.
/// `None` when the log cannot be read or its answer is not understood: never "no stop".
fn last_thread_stop(t: &mut HostLink, log_error: &str) -> Option<ThreadStop> {
    if log_error.is_empty() {
        return None;
    }
    let command = format!(
        "[ -r {0} ] || exit 3; \
         line=$(grep -aE '(Slave|Replica) (I/O|IO|SQL) thread (exiting|killed)' -- {0} | tail -n 1); \
         if [ -z \"$line\" ]; then echo never; exit 0; fi; \
         stamp=$(printf '%s' \"$line\" | cut -c1-19); \
         echo $(( $(date +%s) - $(date -d \"$stamp\" +%s) ))",
        quote(log_error)
    );
    let out = t.exec(&command).ok().filter(|o| o.success())?;
    match out.stdout_text().trim() {
        "never" => Some(ThreadStop::Never),
        seconds => seconds.parse().ok().map(ThreadStop::SecondsAgo),
    }
}
