//! Skipping events on a stopped replica, the classic recovery, as an explicit act in two halves: what the
//! replica reports (read first, so the CLI can show it and ask), then the skip itself and its record on the
//! host (`/var/log/mysql/mmprov-skips.log`). Skipping discards those changes on this node, which is why it
//! never happens without someone asking for it.
//!
//! Where the replica names the transaction it failed on by GTID (MySQL), that transaction and the ones its
//! origin numbered after it are committed empty in its place; elsewhere the skip counter skips events.

use crate::error::SkipError;
use crate::facts;
use crate::flavor::Flavor;
use crate::link::HostLink;
use crate::replication::ReplicaStatus;
use crate::replication::gtid::Gtid;
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
        let failed = failed_transactions(&mut stopped)?;
        let f = &stopped.flavor;
        let (statement, skipped) = match failed.first() {
            Some(first) => {
                let gtids: Vec<String> = first
                    .and_following(count)
                    .iter()
                    .map(Gtid::to_string)
                    .collect();
                let named = format!(" (committed empty: {})", gtids.join(", "));
                (f.skip_transactions(&gtids), named)
            }
            None => (
                format!(
                    "{}; SET GLOBAL {} = {count}; {}",
                    f.stop_replica(),
                    f.skip_counter(),
                    f.start_replica()
                ),
                String::new(),
            ),
        };
        stopped
            .link
            .sql()
            .execute("skipping replication events", &statement)?;
        // The record travels on stdin: the server's error text is never interpreted by a shell.
        let s = &stopped.status;
        let record = format!(
            "mmprov skip: {count} event(s) from {} at {}:{}{skipped}, error {}: {}",
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

/// The transactions the stopped replica failed on, by GTID, where its server names them; none where the skip
/// counter is how events are skipped. A name that is not a GTID is an error, never skipped past.
fn failed_transactions(stopped: &mut Stopped) -> Result<Vec<Gtid>, SkipError> {
    let Some(query) = stopped.flavor.failed_transactions_query() else {
        return Ok(Vec::new());
    };
    let what = "reading the transactions the replica failed on";
    let rows = stopped.link.sql().query(what, query)?;
    rows.iter()
        .map(|row| {
            let text = row.get(&["gtid"]).unwrap_or_default();
            Gtid::parse(text).ok_or_else(|| {
                SkipError::from(SqlError::unreadable(
                    &stopped.host,
                    what,
                    crate::sqltext::ValueError {
                        column: "gtid".into(),
                        detail: format!("`{text}` is not a GTID"),
                    },
                ))
            })
        })
        .collect()
}
