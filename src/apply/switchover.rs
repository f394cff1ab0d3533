//! Carrying out a planned switchover (see `plan::switchover`), strictly in the plan's order: each step runs
//! only once the one before it has passed its gate, so the new writer never opens before the old one is
//! closed and has nothing left the new one lacks.
//!
//! 1. `before_switchover`: failing, nothing has changed, and nothing does.
//! 2. Close the old writer (`read_only`, `super_read_only` where the server has it).
//! 3. Its client sessions inside a transaction: waited out within the drain timeout, then ended (KILL), since
//!    a read-only server refuses their commit anyway.
//! 4. The gate: the old writer's GTIDs (what it wrote) that the new writer lacks are waited for with the
//!    dialect's wait function, within the gate timeout, then read again: only that read passes the gate.
//!    A gate that fails puts the old writer back open, and the error says so.
//! 5. Open the new writer.
//! 6. `after_switchover`; then both read again: the new one must say `read_only` OFF, the old one ON.

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::Duration;

use super::{ApplyError, Event, emit};
use crate::flavor::ServerVersion;
use crate::link::{HostLink, Links};
use crate::plan::{SwitchStep, Switchover};
use crate::replication::gtid;
use crate::sql::{SqlError, SqlExecutor};

/// The client sessions inside a transaction: those whose commit a closed writer refuses.
pub(super) const TRANSACTION_SESSIONS: &str = "SELECT p.ID AS id, p.USER AS user, p.HOST AS host, \
    p.TIME AS time FROM information_schema.PROCESSLIST p \
    JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID \
    WHERE p.ID <> CONNECTION_ID() \
    AND p.COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker') \
    AND p.USER NOT IN ('system user', 'event_scheduler')";

/// How long each step may wait.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For the old writer's open transactions to end by themselves.
    pub drain: Duration,
    /// For the new writer to execute what the old one wrote.
    pub gate: Duration,
}

pub(super) struct Switcher<'a> {
    pub links: &'a mut Links,
    pub versions: &'a BTreeMap<String, ServerVersion>,
    pub timeouts: Timeouts,
    pub events: &'a Sender<Event>,
}

impl Switcher<'_> {
    fn say(&self, host: &str, message: String) {
        emit(
            self.events,
            Event::Step {
                host: host.to_string(),
                message,
            },
        );
    }

    fn link(&mut self, host: &str) -> Result<&mut HostLink, ApplyError> {
        super::link(self.links, host)
    }

    /// Every step of `s` in order; a failing gate puts the old writer back before the error returns.
    pub fn run(&mut self, s: &Switchover) -> Result<(), ApplyError> {
        let mut closed = false;
        for step in &s.steps {
            let result = self.step(s, step);
            if let SwitchStep::Close { .. } = step {
                // Even a close that failed half way may have set read_only: put back, it is reopened.
                closed = true;
            }
            match result {
                Ok(()) => {}
                Err(e) if closed && !matches!(step, SwitchStep::AfterHook { .. }) => {
                    return Err(self.put_back(s, e));
                }
                Err(e) => return Err(e),
            }
            if let SwitchStep::Open { .. } = step {
                closed = false;
            }
        }
        // Read again once the hook has moved the application: what the servers say after it.
        self.read_again(s)
    }

    fn step(&mut self, s: &Switchover, step: &SwitchStep) -> Result<(), ApplyError> {
        match step {
            SwitchStep::BeforeHook { command } => self.hook(s, "before_switchover", command),
            SwitchStep::AfterHook { command } => self.hook(s, "after_switchover", command),
            SwitchStep::Close { host, settings } | SwitchStep::Open { host, settings } => {
                for (name, value) in settings {
                    let sql = format!("SET GLOBAL {name} = {value}");
                    self.say(host, sql.clone());
                    self.link(host)?.sql().execute("moving the writer", &sql)?;
                }
                Ok(())
            }
            SwitchStep::Drain { host } => self.drain(host),
            SwitchStep::CatchUp { host, from } => self.catch_up(s, host, from),
        }
    }

    fn hook(&mut self, s: &Switchover, name: &str, command: &str) -> Result<(), ApplyError> {
        self.say(&s.play, format!("hook {name}: {command}"));
        let env = hook_env(s);
        super::hook::run_hook(command, &env, Duration::from_secs(s.hook_timeout)).map_err(
            |detail| ApplyError::Hook {
                hook: name.to_string(),
                play: s.play.clone(),
                detail,
                state: if name.starts_with("before") {
                    format!("Nothing changed: {} is still the writer", s.old_writer)
                } else {
                    format!("The writer has moved: {} takes writes", s.new_writer)
                },
            },
        )
    }

    /// The old writer's sessions inside a transaction: waited out, then ended.
    fn drain(&mut self, host: &str) -> Result<(), ApplyError> {
        self.say(
            host,
            format!(
                "waiting (at most {} s) for the transactions open here to end",
                self.timeouts.drain.as_secs()
            ),
        );
        let timeout = self.timeouts.drain;
        let t = self.link(host)?;
        let left = super::interleave::wait_out(t, host, TRANSACTION_SESSIONS, timeout)?;
        for (id, said) in &left {
            self.say(
                host,
                format!("ending session {said}: its commit would be refused"),
            );
            let t = self.link(host)?;
            match t.sql().execute("ending a session", &format!("KILL {id}")) {
                // Ended by itself between the look and the KILL (unknown thread).
                Err(SqlError::Server { code: 1094, .. }) | Ok(()) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Wait until `new` has executed every transaction `old` wrote, then check it by reading again.
    fn catch_up(&mut self, s: &Switchover, new: &str, old: &str) -> Result<(), ApplyError> {
        let wanted = self.positions(old)?.0;
        let lacking = self.lacking(new, &wanted)?;
        if !lacking.is_empty() {
            let flavor = super::flavor_of(self.versions, new)?;
            let gtids = lacking.join(",");
            let seconds = self.timeouts.gate.as_secs().max(1);
            self.say(
                new,
                format!("waiting (at most {seconds} s) until it has executed {old}'s {gtids}"),
            );
            let what = "waiting for the old writer's transactions";
            let rows = self
                .link(new)?
                .sql()
                .query(what, &flavor.wait_for_gtids(&gtids, seconds))?;
            let waited = rows
                .first()
                .map(|r| r.nullable(&["waited"]))
                .transpose()
                .map_err(|e| SqlError::unreadable(new, what, e))?
                .flatten();
            log::info!("{new}: the GTID wait answered {waited:?}");
        }
        let still = self.lacking(new, &wanted)?;
        if still.is_empty() {
            self.say(
                new,
                format!("holds every transaction {old} wrote ({wanted})"),
            );
            return Ok(());
        }
        Err(ApplyError::SwitchoverGate {
            play: s.play.clone(),
            old: old.to_string(),
            new: new.to_string(),
            detail: format!(
                "within {} s it did not execute {old}'s {}",
                self.timeouts.gate.as_secs(),
                still.join(",")
            ),
            restored: String::new(),
        })
    }

    /// What a server has written and applied, as its dialect's GTID query answers.
    fn positions(&mut self, host: &str) -> Result<(String, String), ApplyError> {
        let flavor = super::flavor_of(self.versions, host)?;
        Ok(crate::facts::gtid_positions(
            self.link(host)?,
            flavor.as_ref(),
        )?)
    }

    /// The entries of `wanted` (one per MariaDB domain or MySQL server) that `host` does not hold yet.
    fn lacking(&mut self, host: &str, wanted: &str) -> Result<Vec<String>, ApplyError> {
        let (written, applied) = self.positions(host)?;
        Ok(wanted
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .filter(|e| gtid::covers(&[&applied, &written], e) != Some(true))
            .map(String::from)
            .collect())
    }

    /// After the new writer opened: read both again; the new one must take writes and the old one not.
    fn read_again(&mut self, s: &Switchover) -> Result<(), ApplyError> {
        for (host, wanted) in [(&s.new_writer, "OFF"), (&s.old_writer, "ON")] {
            let what = "reading read_only again";
            let rows = self.link(host)?.sql().query(
                what,
                "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only')",
            )?;
            let value = rows
                .first()
                .map(|r| r.text(&["Value"]).map(str::to_string))
                .transpose()
                .map_err(|e| SqlError::unreadable(host, what, e))?
                .unwrap_or_default();
            let on = value.eq_ignore_ascii_case("ON") || value == "1";
            if on != (wanted == "ON") {
                return Err(SqlError::Unreadable {
                    host: host.to_string(),
                    what: what.into(),
                    detail: format!("read_only is {value} after the switchover, not {wanted}"),
                }
                .into());
            }
            self.say(host, format!("read again: read_only = {wanted}"));
        }
        Ok(())
    }

    /// Open the old writer again after a failure; the error says whether that worked.
    fn put_back(&mut self, s: &Switchover, error: ApplyError) -> ApplyError {
        let old = s.old_writer.clone();
        let reopened = self.reopen(s);
        let restored = match &reopened {
            Ok(()) => format!("{old} was put back: it takes writes again (read_only = OFF)"),
            Err(e) => format!(
                "{old} could NOT be put back and stays read-only ({e}): no node takes writes; run \
                 SET GLOBAL read_only = OFF on {old}, or apply again"
            ),
        };
        self.say(&old, restored.clone());
        match error {
            ApplyError::SwitchoverGate {
                play,
                old,
                new,
                detail,
                ..
            } => ApplyError::SwitchoverGate {
                play,
                old,
                new,
                detail,
                restored,
            },
            other => ApplyError::SwitchoverGate {
                play: s.play.clone(),
                old,
                new: s.new_writer.clone(),
                detail: other.to_string(),
                restored,
            },
        }
    }

    fn reopen(&mut self, s: &Switchover) -> Result<(), ApplyError> {
        let flavor = super::flavor_of(self.versions, &s.old_writer)?;
        // `super_read_only` goes OFF first: the server refuses read_only OFF while it is ON.
        for setting in flavor.read_only(false).iter().rev() {
            let sql = format!("SET GLOBAL {} = {}", setting.name, setting.value);
            self.say(&s.old_writer, sql.clone());
            self.link(&s.old_writer)?
                .sql()
                .execute("putting the old writer back", &sql)?;
        }
        Ok(())
    }
}

/// What a hook of `s` is told: the writers, their addresses, the play. Never a secret.
pub fn hook_env(s: &Switchover) -> Vec<(String, String)> {
    [
        ("MMPROV_PLAY", &s.play),
        ("MMPROV_OLD_WRITER", &s.old_writer),
        ("MMPROV_NEW_WRITER", &s.new_writer),
        ("MMPROV_OLD_WRITER_ADDRESS", &s.old_address),
        ("MMPROV_NEW_WRITER_ADDRESS", &s.new_address),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect()
}

#[cfg(test)]
mod tests;
