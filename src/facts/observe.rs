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

/// Where a server's words go: its error log file, or the journal of its systemd unit (a server under systemd
/// without a file of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerLog {
    File(String),
    Journal { unit: String },
    Unknown,
}

/// Read a node's positions and uptime; with `stopped`, also when its replica threads last stopped.
pub fn observe(
    t: &mut HostLink,
    server: ServerVersion,
    log: &ServerLog,
    stopped: bool,
) -> Result<Observed, SqlError> {
    let host = t.host().to_string();
    let (written, applied) = super::gtid_positions(t, server.flavor().as_ref())?;
    let what = "reading the server's uptime";
    let rows = t
        .sql()
        .query(what, "SHOW GLOBAL STATUS WHERE Variable_name = 'Uptime'")?;
    let uptime = crate::sql::first_row(&rows, &host, what)?
        .number(&["Value"])
        .map_err(|e| SqlError::unreadable(&host, what, e))?;
    let last_thread_stop = if stopped {
        last_thread_stop(t, log, uptime)
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

/// The replica threads' words when they stop.
const THREAD_STOPS: &str = "(Slave|Replica) (I/O|IO|SQL) thread (exiting|killed)";

/// The last "replica thread exiting/killed" line of the server's log, as seconds ago by the host's clock:
/// from its error log file, or from its unit's journal since the server started (`uptime` seconds ago).
/// `None` when the log cannot be read or its answer is not understood: never "no stop".
fn last_thread_stop(t: &mut HostLink, log: &ServerLog, uptime: u64) -> Option<ThreadStop> {
    let command = match log {
        ServerLog::File(file) => format!(
            "[ -r {0} ] || exit 3; \
             line=$(grep -aE '{THREAD_STOPS}' -- {0} | tail -n 1); \
             if [ -z \"$line\" ]; then echo never; exit 0; fi; \
             stamp=$(printf '%s' \"$line\" | cut -c1-19); \
             echo $(( $(date +%s) - $(date -d \"$stamp\" +%s) ))",
            quote(file)
        ),
        // The journal's own clock (`short-unix`: seconds since the epoch) dates each line.
        ServerLog::Journal { unit } => format!(
            "out=$(journalctl -q -u {0} --no-pager -o short-unix --since=-{1}s) || exit 3; \
             line=$(printf '%s\\n' \"$out\" | grep -aE '{THREAD_STOPS}' | tail -n 1); \
             if [ -z \"$line\" ]; then echo never; exit 0; fi; \
             echo $(( $(date +%s) - ${{line%%.*}} ))",
            quote(unit),
            uptime + 1
        ),
        ServerLog::Unknown => return None,
    };
    let out = t.exec(&command).ok().filter(|o| o.success())?;
    match out.stdout_text().trim() {
        "never" => Some(ThreadStop::Never),
        seconds => seconds.parse().ok().map(ThreadStop::SecondsAgo),
    }
}
