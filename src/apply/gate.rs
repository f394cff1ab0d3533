//! The gate after a rolling restart: what ran before the restart runs again before the next node goes down.
//!
//! The restarted server already serves SQL (the restart waited for it). Then, bounded by the gate timeout:
//! 1. Its replica (if it replicated before) runs both threads without error and has applied what it
//!    received. Where its config keeps replicas stopped at start, the gate starts it (the plan says so).
//! 2. Every node that replicated from it is connected to it again. One still waiting out its connect retry
//!    is told to reconnect now (its IO thread stopped and started; what it applied is kept).
//!
//! A hard replication error fails the gate at once; anything else fails it at the timeout, with what was
//! last seen.

use std::time::{Duration, Instant};

use super::ApplyError;
use super::link;
use crate::flavor::{Flavor, ServerVersion};
use crate::link::Links;
use crate::plan::Gate;
use crate::replication::{ReplicaStatus, Verdict, explain, judge};
use crate::sql::{SqlError, SqlExecutor};

/// How often a peer still retrying its restarted source is told to reconnect.
const NUDGE_EVERY: Duration = Duration::from_secs(3);

pub(super) struct Gating<'a> {
    pub host: &'a str,
    pub gate: &'a Gate,
    pub versions: &'a std::collections::BTreeMap<String, ServerVersion>,
    pub timeout: Duration,
}

impl Gating<'_> {
    fn flavor(&self, host: &str) -> Result<Box<dyn Flavor + Send + Sync>, ApplyError> {
        super::flavor_of(self.versions, host)
    }

    fn failed(&self, detail: String) -> ApplyError {
        ApplyError::GateFailed {
            host: self.host.to_string(),
            gate: self.gate.describe(self.host),
            detail,
        }
    }

    /// Wait until the gate holds; `say` reports what it waits for.
    pub fn pass(&self, links: &mut Links, say: &dyn Fn(String)) -> Result<(), ApplyError> {
        say(format!(
            "gate: waiting until {}",
            self.gate.describe(self.host)
        ));
        if self.gate.starts_replica {
            let flavor = self.flavor(self.host)?;
            link(links, self.host)?
                .sql()
                .execute("starting replication", flavor.start_replica())?;
        }
        let deadline = Instant::now() + self.timeout;
        let mut nudged: Option<Instant> = None;
        loop {
            let waiting = self.waiting_on(links, &mut nudged)?;
            let Some(detail) = waiting else {
                say("gate passed".into());
                return Ok(());
            };
            if Instant::now() > deadline {
                return Err(
                    self.failed(format!("not within {} s: {detail}", self.timeout.as_secs()))
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// What the gate still waits for (`None`: it holds). A hard error is returned as the gate's failure.
    fn waiting_on(
        &self,
        links: &mut Links,
        nudged: &mut Option<Instant>,
    ) -> Result<Option<String>, ApplyError> {
        if let Some(source) = &self.gate.replicates_from {
            let status = self.status(links, self.host)?;
            if let Some(detail) = self.unhealthy(status.as_ref(), self.host, source)? {
                return Ok(Some(detail));
            }
            if let Some(s) = status.filter(|s| !s.caught_up()) {
                return Ok(Some(format!(
                    "{} is catching up with {source} ({} s behind)",
                    self.host,
                    s.seconds_behind.map_or("?".into(), |n| n.to_string())
                )));
            }
        }
        for peer in &self.gate.feeds {
            let status = self.status(links, peer)?;
            if let Some(detail) = self.unhealthy(status.as_ref(), peer, self.host)? {
                if nudged.is_none_or(|at| at.elapsed() >= NUDGE_EVERY) {
                    self.nudge(links, peer)?;
                    *nudged = Some(Instant::now());
                }
                return Ok(Some(detail));
            }
        }
        Ok(None)
    }

    fn status(&self, links: &mut Links, host: &str) -> Result<Option<ReplicaStatus>, ApplyError> {
        let flavor = self.flavor(host)?;
        let what = "reading the replica status";
        let rows = link(links, host)?
            .sql()
            .query(what, flavor.replica_status())?;
        Ok(ReplicaStatus::from_rows(&rows).map_err(|e| SqlError::unreadable(host, what, e))?)
    }

    /// Why `replica` does not replicate from `source` right now (`None`: it does); a hard error fails.
    fn unhealthy(
        &self,
        status: Option<&ReplicaStatus>,
        replica: &str,
        source: &str,
    ) -> Result<Option<String>, ApplyError> {
        let Some(s) = status else {
            return Err(self.failed(format!("{replica} no longer has replication configured")));
        };
        match judge(s) {
            Verdict::Healthy | Verdict::CatchingUp { .. } => Ok(None),
            Verdict::Broken { errno, error } => {
                let why = explain(errno).map(|w| format!(" {w}")).unwrap_or_default();
                Err(self.failed(format!(
                    "{replica} stopped replicating from {source}: error {errno}: {error}.{why}"
                )))
            }
            other => Ok(Some(format!(
                "{replica} replicating from {source}: {}",
                other.describe()
            ))),
        }
    }

    /// Make a replica waiting out its connect retry reconnect now: its IO thread stopped and started.
    fn nudge(&self, links: &mut Links, peer: &str) -> Result<(), ApplyError> {
        let flavor = self.flavor(peer)?;
        let t = link(links, peer)?;
        t.sql()
            .execute("reconnecting the replica", &flavor.stop_io_thread())?;
        t.sql()
            .execute("reconnecting the replica", &flavor.start_io_thread())?;
        Ok(())
    }
}
