//! Carrying out a play's interleaving stage (see `plan::interleave`): before the host steps, each joining
//! node held read-only (its marker first, so an interrupted run still knows), then each member's
//! `auto_increment` values changed live; after replication, each held node opened once the sessions its
//! members had before have ended.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use super::emit;
use super::{ApplyError, Event};
use crate::flavor::ServerVersion;
use crate::link::{HostLink, Links};
use crate::model::WRITES_HELD_MARKER;
use crate::plan::{HeldNode, Interleaving};
use crate::shell::quote;
use crate::sql::{SqlError, SqlExecutor};
use crate::transport::Transport;

/// The sessions that may generate ids: neither replication's own threads nor the server's, nor the
/// connection asking.
pub(super) const CLIENT_SESSIONS: &str = "SELECT ID AS id, USER AS user, HOST AS host, TIME AS time \
    FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
    AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker') \
    AND USER NOT IN ('system user', 'event_scheduler')";

fn say(events: &Sender<Event>, host: &str, message: String) {
    emit(
        events,
        Event::Step {
            host: host.to_string(),
            message,
        },
    );
}

/// Before the host steps: hold each joining node, then change each member's values.
pub fn hold_and_change(
    stages: &[Interleaving],
    links: &mut Links,
    versions: &BTreeMap<String, ServerVersion>,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    for stage in stages {
        for held in stage.held.iter().filter(|h| !h.marked) {
            hold(held, super::link(links, &held.host)?, versions, events)?;
        }
        for change in &stage.changes {
            let t = super::link(links, &change.host)?;
            for (variable, value) in [
                ("auto_increment_increment", change.to.increment),
                ("auto_increment_offset", change.to.offset),
            ] {
                let sql = format!("SET GLOBAL {variable} = {value}");
                say(events, &change.host, sql.clone());
                t.sql().execute(&format!("setting {variable}"), &sql)?;
            }
        }
    }
    Ok(())
}

/// The marker, then read-only on the running server; its config (written by the host steps) keeps it so
/// across a restart.
fn hold(
    held: &HeldNode,
    t: &mut HostLink,
    versions: &BTreeMap<String, ServerVersion>,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    say(
        events,
        &held.host,
        format!(
            "held read-only until the sessions on {} from before the change end",
            held.drain.join(" and ")
        ),
    );
    let marker = quote(WRITES_HELD_MARKER);
    t.check(
        &format!("mkdir -p \"$(dirname {marker})\" && touch {marker}"),
        &[],
    )?;
    if held.running {
        let flavor = super::flavor_of(versions, &held.host)?;
        for setting in flavor.read_only(true) {
            let sql = format!("SET GLOBAL {} = {}", setting.name, setting.value);
            t.sql().execute("holding the node read-only", &sql)?;
        }
    }
    Ok(())
}

/// After replication: each held node opened once every client session open now on its members has ended
/// (those include every session that kept the old values), within `timeout`.
pub fn open(
    stages: &[Interleaving],
    links: &mut Links,
    versions: &BTreeMap<String, ServerVersion>,
    timeout: Duration,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    for held in stages.iter().flat_map(|s| &s.held) {
        for member in &held.drain {
            say(
                events,
                &held.host,
                format!("waiting for the sessions open on {member} to end"),
            );
            drain(super::link(links, member)?, member, &held.host, timeout)?;
        }
        let t = super::link(links, &held.host)?;
        say(
            events,
            &held.host,
            format!("open for writes: writing {}", held.config_path),
        );
        super::write_config(t, &held.config_path, true, &held.open_config)?;
        let flavor = super::flavor_of(versions, &held.host)?;
        for setting in flavor.read_only(false).iter().rev() {
            let sql = format!("SET GLOBAL {} = {}", setting.name, setting.value);
            say(events, &held.host, sql.clone());
            t.sql().execute("opening the node for writes", &sql)?;
        }
        t.check(&format!("rm -f {}", quote(WRITES_HELD_MARKER)), &[])?;
    }
    Ok(())
}

/// The client sessions `query` lists (columns `id`, `user`, `host`, `time`): each one's id, and how it
/// reads in a message.
pub(super) fn sessions(
    t: &mut HostLink,
    member: &str,
    query: &str,
) -> Result<BTreeMap<u64, String>, ApplyError> {
    let what = "listing the client sessions";
    let rows = t.sql().query(what, query)?;
    let mut out = BTreeMap::new();
    for row in rows {
        let unreadable = |e| SqlError::unreadable(member, what, e);
        let id: u64 = row.number(&["id"]).map_err(unreadable)?;
        let user = row.nullable(&["user"]).map_err(unreadable)?.unwrap_or("");
        let host = row.nullable(&["host"]).map_err(unreadable)?.unwrap_or("");
        let time = row.nullable(&["time"]).map_err(unreadable)?.unwrap_or("?");
        out.insert(id, format!("{id} ({user}@{host}, {time} s)"));
    }
    Ok(out)
}

/// Wait until none of the client sessions open on `member` now is left.
fn drain(t: &mut HostLink, member: &str, held: &str, timeout: Duration) -> Result<(), ApplyError> {
    let left = wait_out(t, member, CLIENT_SESSIONS, timeout)?;
    if left.is_empty() {
        return Ok(());
    }
    Err(ApplyError::WritesHeld {
        host: held.to_string(),
        member: member.to_string(),
        sessions: left.values().cloned().collect::<Vec<String>>().join(", "),
    })
}

/// Wait (at most `timeout`) until none of the sessions `query` lists on `member` now is left; those still
/// there at the deadline, by id.
pub(super) fn wait_out(
    t: &mut HostLink,
    member: &str,
    query: &str,
    timeout: Duration,
) -> Result<BTreeMap<u64, String>, ApplyError> {
    let before: BTreeSet<u64> = sessions(t, member, query)?.into_keys().collect();
    if before.is_empty() {
        return Ok(BTreeMap::new());
    }
    let deadline = Instant::now() + timeout;
    loop {
        let left: BTreeMap<u64, String> = sessions(t, member, query)?
            .into_iter()
            .filter(|(id, _)| before.contains(id))
            .collect();
        if left.is_empty() || Instant::now() > deadline {
            return Ok(left);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
