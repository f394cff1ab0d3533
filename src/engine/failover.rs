//! `mmprov failover --to HOST`: opening a survivor when the writer is gone, as an explicit act in two halves:
//! what HOST is like (read first, so the CLI can show it and ask), then the failover itself. Only HOST is
//! contacted, besides one attempt to reach the old writer's server (a writer that answers is moved by a
//! planned switchover, never failed over).
//!
//! 1. HOST must replicate from the old writer (the play's declared writer, else HOST's source in the ring).
//! 2. Wait (bounded) until HOST has applied everything it received: its executed GTIDs hold what its IO
//!    thread retrieved (or, without GTIDs, it executed up to where it read). A replica stopped on an error is
//!    refused: what it received is not all applied, and never will be.
//! 3. Stop HOST's replica, so nothing the old writer holds reaches HOST unseen when it comes back.
//! 4. Write the rejoin marker on HOST (the old writer's name, HOST's position), then open HOST.
//! 5. The play's `after_failover` hook, told the writers and their addresses.

use std::time::{Duration, Instant};

use crate::error::FailoverError;
use crate::facts;
use crate::flavor::Flavor;
use crate::link::HostLink;
use crate::model::REJOIN_MARKER;
use crate::model::{Play, Role};
use crate::replication::{ReplicaStatus, gtid};
use crate::shell::quote;
use crate::sql::{SqlError, SqlExecutor};
use crate::transport::Transport;

/// The node that takes over, as read before anything changes.
pub struct Candidate<'p> {
    pub host: String,
    pub old_writer: String,
    pub status: ReplicaStatus,
    play: &'p Play,
    link: HostLink,
    flavor: Box<dyn Flavor + Send + Sync>,
}

/// What a failover did.
pub struct FailedOver {
    pub host: String,
    pub old_writer: String,
    pub play: String,
    /// What HOST holds as it opened (its written and applied GTIDs).
    pub position: String,
}

fn refused(host: &str, reason: String, help: Option<String>) -> FailoverError {
    FailoverError::Refused {
        host: host.to_string(),
        reason,
        help,
    }
}

impl<'p> super::Engine<'p> {
    /// Read `host`: its play, the old writer, its replica. Refused when it is no replica of that writer, or
    /// when the old writer's server answers (a switchover then).
    pub fn failover_candidate(&self, host: &str) -> Result<Candidate<'p>, FailoverError> {
        let project = self.project;
        let play = project
            .plays
            .iter()
            .find(|p| p.has_role(Role::Replication) && p.hosts.iter().any(|h| h == host))
            .ok_or_else(|| refused(host, "it is in no replication play".into(), None))?;
        let old = match play.writer() {
            Some(w) if w != host => w.to_string(),
            _ => play
                .ring()
                .into_iter()
                .find(|(replica, _)| *replica == host)
                .map(|(_, source)| source.to_string())
                .ok_or_else(|| {
                    refused(host, "it replicates from no node of its play".into(), None)
                })?,
        };
        if self.answers(&old) {
            return Err(refused(
                host,
                format!("the old writer {old}'s server answers"),
                Some(format!(
                    "a writer that answers is moved by a planned switchover: set `writer: {host}` and run apply"
                )),
            ));
        }
        let entry = project
            .hosts
            .get(host)
            .ok_or_else(|| refused(host, "it is not in the inventory".into(), None))?;
        let (link, read) = facts::read_one(project, entry)?;
        let (Some(server), true) = (read.server, read.running) else {
            return Err(refused(host, "its own server does not run".into(), None));
        };
        let flavor = server.flavor();
        let status = read
            .replication
            .and_then(|r| r.replica)
            .ok_or_else(|| refused(host, format!("it does not replicate from {old}"), None))?;
        if let Some((errno, error)) = status
            .error()
            .filter(|(n, _)| !crate::replication::verdict::retryable(*n))
        {
            return Err(refused(
                host,
                format!(
                    "its replica stopped on error {errno}: {error}; what it received is not all applied"
                ),
                Some("fail over to another node, or repair this one first (mmprov status)".into()),
            ));
        }
        Ok(Candidate {
            host: host.to_string(),
            old_writer: old,
            status,
            play,
            link,
            flavor,
        })
    }

    /// Whether `host`'s server answers SQL now.
    fn answers(&self, host: &str) -> bool {
        let Some(entry) = self.project.hosts.get(host) else {
            return false;
        };
        facts::read_one(self.project, entry).is_ok_and(|(_, f)| f.running)
    }

    /// Drain, stop, mark, open, hook: see the module's outline.
    pub fn failover(
        &self,
        mut c: Candidate<'_>,
        timeout: Duration,
    ) -> Result<FailedOver, FailoverError> {
        let position = drained(&mut c, timeout)?;
        let stop = c.flavor.stop_replica();
        c.link.sql().execute("stopping the replica", stop)?;
        let marker = quote(REJOIN_MARKER);
        let record = format!("{}\n{position}\n", c.old_writer);
        c.link.check(
            &format!("mkdir -p \"$(dirname {marker})\" && cat > {marker}"),
            record.as_bytes(),
        )?;
        for setting in c.flavor.read_only(false).iter().rev() {
            let sql = format!("SET GLOBAL {} = {}", setting.name, setting.value);
            c.link.sql().execute("opening the new writer", &sql)?;
        }
        let done = FailedOver {
            host: c.host.clone(),
            old_writer: c.old_writer.clone(),
            play: c.play.name.clone(),
            position,
        };
        if let Some(command) = &c.play.vars.hooks.after_failover {
            let address = |h: &str| {
                self.project
                    .hosts
                    .get(h)
                    .map_or_else(|| h.to_string(), |h| h.address.clone())
            };
            let env = [
                ("MMPROV_PLAY", done.play.clone()),
                ("MMPROV_OLD_WRITER", done.old_writer.clone()),
                ("MMPROV_NEW_WRITER", done.host.clone()),
                ("MMPROV_OLD_WRITER_ADDRESS", address(&done.old_writer)),
                ("MMPROV_NEW_WRITER_ADDRESS", address(&done.host)),
            ]
            .map(|(k, v)| (k.to_string(), v));
            let limit = Duration::from_secs(c.play.vars.hooks.timeout);
            crate::apply::run_hook(command, &env, limit).map_err(|detail| FailoverError::Hook {
                host: done.host.clone(),
                detail,
            })?;
        }
        Ok(done)
    }
}

/// Wait until the candidate has applied everything it received; what it holds then.
fn drained(c: &mut Candidate<'_>, timeout: Duration) -> Result<String, FailoverError> {
    let deadline = Instant::now() + timeout;
    loop {
        let what = "reading the replica status";
        let rows = c.link.sql().query(what, c.flavor.replica_status())?;
        let status = ReplicaStatus::from_rows(&rows)
            .map_err(|e| SqlError::unreadable(&c.host, what, e))?
            .ok_or_else(|| refused(&c.host, "it stopped replicating".into(), None))?;
        let (written, applied) = facts::gtid_positions(&mut c.link, c.flavor.as_ref())?;
        let received = status.gtid_received.trim().to_string();
        let done = if received.is_empty() {
            status.exec_log_file == status.source_log_file && status.exec_pos == status.read_pos
        } else {
            gtid::covers(&[&written, &applied], &received) == Some(true)
        };
        let held = format!("{written} / {applied}");
        if done {
            return Ok(held);
        }
        if Instant::now() > deadline {
            return Err(FailoverError::NotDrained {
                host: c.host.clone(),
                seconds: timeout.as_secs(),
                held,
                received,
            });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Where the old writer's binary logs hold a rejoin's errant transactions: from the file its first one is
/// in (the newest file whose opening GTID list does not hold it yet) to the file written now. `None` when
/// the logs cannot be read; the refusal then names the transactions without it.
pub(super) fn errant_span(
    r: &crate::plan::Rejoin,
    links: &mut crate::link::Links,
    facts: &std::collections::BTreeMap<String, crate::facts::HostFacts>,
) -> Option<String> {
    let first = crate::plan::first_errant(r)?;
    let server = facts.get(&r.old_writer)?.server?;
    let list_event = server.dialect().words.gtid_list_event;
    let link = links.get_mut(&r.old_writer)?;
    let rows = link
        .sql()
        .query("listing binary logs", "SHOW BINARY LOGS")
        .ok()?;
    let files: Vec<String> = rows
        .iter()
        .filter_map(|row| row.text(&["Log_name"]).ok().map(str::to_string))
        .collect();
    let mut start = files.first()?.clone();
    for file in &files {
        let events = link
            .sql()
            .query(
                "reading a binary log's opening GTID list",
                &format!(
                    "SHOW BINLOG EVENTS IN {} LIMIT 4",
                    crate::sqltext::literal(file)
                ),
            )
            .ok()?;
        let before = events.iter().find_map(|e| {
            (e.text(&["Event_type"]).ok()? == list_event).then(|| {
                e.nullable(&["Info"])
                    .ok()
                    .flatten()
                    .unwrap_or("")
                    .trim_matches(|c| c == '[' || c == ']')
                    .to_string()
            })
        })?;
        if gtid::covers(&[&before], &first) == Some(true) {
            break;
        }
        start = file.clone();
    }
    let last = files.last()?;
    Some(if &start == last {
        format!("binary log {last} of {}", r.old_writer)
    } else {
        format!("binary logs {start} to {last} of {}", r.old_writer)
    })
}
