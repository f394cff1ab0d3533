//! Skipping events on a stopped replica, the classic recovery, as an explicit act in two halves: what the
//! replica reports (read first, so the CLI can show it and ask), then the skip itself and its record on the
//! host (`/var/log/mysql/mmprov-skips.log`). Skipping discards those changes on this node, which is why it
//! never happens without someone asking for it.

use crate::error::SkipError;
use crate::facts;
use crate::flavor::Flavor;
use crate::link::HostLink;
use crate::replication::ReplicaStatus;
use crate::shell::quote;
use crate::sql::{SqlError, SqlExecutor};
use crate::transport::Transport;

pub const SKIP_LOG: &str = "/var/log/mysql/mmprov-skips.log";

/// A replica stopped on an error, as it reported itself, with the link to it.
pub struct Stopped {
    pub host: String,
    pub status: ReplicaStatus,
    pub errno: u32,
    pub error: String,
    link: HostLink,
    flavor: Box<dyn Flavor + Send + Sync>,
}

impl super::Engine<'_> {
    /// Read `host`'s replica; refused when it is not a replica or reports no error.
    pub fn stopped_replica(&self, host: &str) -> Result<Stopped, SkipError> {
        let entry = self
            .project
            .hosts
            .get(host)
            .ok_or_else(|| SkipError::UnknownHost {
                host: host.to_string(),
                known: self
                    .project
                    .hosts
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let mut link = facts::link_to(self.project, entry)?;
        let flavor = facts::ask_server_version(host, &mut link.sql())?.flavor();
        let what = "reading the replica status";
        let rows = link.sql().query(what, flavor.replica_status())?;
        let nothing = |reason| SkipError::NothingToSkip {
            host: host.to_string(),
            reason,
        };
        let status = ReplicaStatus::from_rows(&rows)
            .map_err(|e| SqlError::unreadable(host, what, e))?
            .ok_or_else(|| nothing("it is not a replica"))?;
        let (errno, error) = status
            .error()
            .map(|(n, t)| (n, t.to_string()))
            .ok_or_else(|| nothing("its replication reports no error"))?;
        Ok(Stopped {
            host: host.to_string(),
            status,
            errno,
            error,
            link,
            flavor,
        })
    }

    /// Stop the replica, skip `count` events, start it, and record what was skipped on the host.
    pub fn skip(&self, mut stopped: Stopped, count: u32) -> Result<(), SkipError> {
        let f = &stopped.flavor;
        let statement = format!(
            "{}; SET GLOBAL {} = {count}; {}",
            f.stop_replica(),
            f.skip_counter(),
            f.start_replica()
        );
        stopped
            .link
            .sql()
            .execute("skipping replication events", &statement)?;
        // The record travels on stdin: the server's error text is never interpreted by a shell.
        let s = &stopped.status;
        let record = format!(
            "mmprov skip: {count} event(s) from {} at {}:{}, error {}: {}",
            s.source_host,
            s.source_log_file,
            s.exec_pos,
            stopped.errno,
            stopped.error.replace(['\n', '\r'], " ")
        );
        let append = format!(
            "printf '%s %s\\n' \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" \"$(cat)\" >> {}",
            quote(SKIP_LOG)
        );
        stopped.link.check(&append, record.as_bytes())?;
        Ok(())
    }
}
