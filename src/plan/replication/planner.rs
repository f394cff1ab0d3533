//! The planner of one replication play: what it is planned from (project, play, facts, the password's
//! fingerprint, the hosts restarting, the play's TLS), and the decision for one direction (replica <-
//! source): the account on the source, then a replica already on its source (`on_source.rs`), on another
//! node (moved by GTID), or on none (left to be seeded and connected, `seeds.rs`). Accounts are decided in
//! `accounts.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    BrokenDirection, ConnectReason, MYSQL_PORT, PhysicalSeed, PositioningReason, Refusal, ReplStep,
};
use crate::facts::{HostFacts, ReplicationFacts};
use crate::model::{Play, Project, ReplicationTls};
use crate::replication::ReplicaStatus;
use crate::replication::password::PasswordCheck;

/// What one replication play is planned from.
pub(super) struct Planner<'a> {
    pub(super) project: &'a Project,
    pub(super) play: &'a Play,
    pub(super) facts: &'a BTreeMap<String, HostFacts>,
    pub(super) password: Option<&'a PasswordCheck>,
    pub(super) restarting: &'a BTreeSet<String>,
    pub(super) tls: Option<&'a ReplicationTls>,
}

/// A replica on no source, or on another, with why.
pub(super) type Unconnected<'a> = (&'a str, &'a str, ConnectReason);

/// The steps one direction (replica <- source) needs; `facts::Direction` is the direction itself.
pub(super) struct DirectionSteps<'a> {
    pub(super) account: Option<ReplStep>,
    /// For a replica already on its source: new credentials, TLS, or a start.
    pub(super) on_source: Vec<ReplStep>,
    pub(super) unconnected: Option<Unconnected<'a>>,
    /// A replica on its source stopped on an error mmprov cannot repair safely: left as it is.
    pub(super) broken: Option<BrokenDirection>,
    /// For a replica on another node that can be positioned by GTID: taken to its source, its position kept
    /// (then back to file and position where the play keeps those).
    pub(super) moved: Vec<ReplStep>,
}

impl<'a> Planner<'a> {
    pub(super) fn refuse(&self, message: String, help: Option<String>) -> Refusal {
        Refusal {
            play: self.play.name.clone(),
            message,
            help,
        }
    }

    pub(super) fn address(&self, host: &str) -> String {
        self.project
            .hosts
            .get(host)
            .map(|x| x.address.clone())
            .unwrap_or_else(|| host.to_string())
    }

    /// A clone (MySQL's plugin) names the hosts it connects between: the source's address, and the
    /// target's, for its account on the source.
    pub(super) fn addressed(
        &self,
        seed: Option<PhysicalSeed>,
        from: &str,
        to: &str,
    ) -> Option<PhysicalSeed> {
        seed.map(|mut seed| {
            if seed.tool == crate::flavor::PhysicalTool::Clone {
                seed.source_address = self.address(from);
                seed.target_address = self.address(to);
            }
            seed
        })
    }

    /// A source as a replica reports it: the inventory's name for that address when there is one.
    pub(super) fn name_of(&self, address: &str, port: u16, user: &str) -> String {
        let named = self
            .project
            .hosts
            .iter()
            .find(|(_, h)| h.address == address)
            .map(|(name, _)| name.clone());
        match named {
            Some(name) if port == MYSQL_PORT => name,
            _ => format!("{address}:{port} as {user}"),
        }
    }

    pub(super) fn repl(&self, host: &str) -> Option<&'a ReplicationFacts> {
        self.facts.get(host).and_then(|f| f.replication.as_ref())
    }

    pub(super) fn user(&self) -> &'a str {
        &self.play.vars.replication_user
    }

    /// Every host of the play must hold the TLS files the play names, before anything is planned.
    pub(super) fn check_tls_files(&self) -> Result<(), Refusal> {
        let Some(tls) = self.tls else {
            return Ok(());
        };
        for host in self.play.hosts.iter().filter(|h| self.project.in_limit(h)) {
            let missing: Vec<String> = tls
                .files()
                .iter()
                .filter(|(_, path)| {
                    self.facts
                        .get(host)
                        .is_some_and(|f| f.missing_files.iter().any(|m| m == path))
                })
                .map(|(name, path)| format!("{name} {path}"))
                .collect();
            if !missing.is_empty() {
                return Err(self.refuse(
                    format!(
                        "{host} lacks the replication_tls files: {} (missing or unreadable)",
                        missing.join(", ")
                    ),
                    Some(format!(
                        "put the CA, certificate and key on {host} (readable by mysqld) at the paths the play names"
                    )),
                ));
            }
        }
        Ok(())
    }

    /// The ring's directions whose both ends the run may contact (`--limit`); the others are said.
    pub(super) fn directions(&self, warnings: &mut Vec<String>) -> Vec<(&'a str, &'a str)> {
        let in_limit = |h: &str| self.project.in_limit(h);
        let (ring, outside): (Vec<_>, Vec<_>) = self
            .play
            .ring()
            .into_iter()
            .partition(|(replica, source)| in_limit(replica) && in_limit(source));
        for (replica, source) in outside {
            if in_limit(replica) || in_limit(source) {
                let out = if in_limit(replica) { source } else { replica };
                warnings.push(format!(
                    "{replica} replicating from {source} is not planned: {out} is outside --limit"
                ));
            }
        }
        ring
    }

    /// The replica's status as it will be when the replication steps run. A restart does not change it: a
    /// replica that runs before its server's restart runs after it (the rolling gate waits for it, and
    /// starts it where the server keeps replicas stopped at start).
    pub(super) fn status_then(&self, replica: &str) -> Option<ReplicaStatus> {
        self.repl(replica)?.replica.clone()
    }

    pub(super) fn direction(
        &self,
        replica: &'a str,
        source: &'a str,
        warnings: &mut Vec<String>,
    ) -> DirectionSteps<'a> {
        let status = self.status_then(replica);
        let account = self.account(replica, source, status.as_ref());
        let mut on_source = Vec::new();
        let mut moved = Vec::new();
        let mut broken = None;
        let unconnected = match status {
            Some(s) if s.source_host == self.address(source) && s.source_port == MYSQL_PORT => {
                match self.on_source(replica, source, &s, account.is_some()) {
                    Ok(steps) => on_source = steps,
                    Err(left) => broken = Some(left),
                }
                None
            }
            Some(s)
                if s.last_sql_errno == 0
                    && (s.uses_gtid() || self.positions_by_domain(replica)) =>
            {
                let from = self.name_of(&s.source_host, s.source_port, &s.source_user);
                if !self.play.hosts.contains(&from) {
                    warnings.push(format!(
                        "{replica} replicates from {from}, which is not a node of the play: once {replica} moves \
                         to {source}, writes made on {from} reach no node of the play. {from} itself is left as \
                         it is (its replication, and its account on its source)"
                    ));
                }
                moved.push(ReplStep::Move {
                    replica: replica.into(),
                    from,
                    source: source.into(),
                    source_address: self.address(source),
                    port: MYSQL_PORT,
                    user: self.user().into(),
                    tls: self.tls.cloned(),
                });
                if !self.play.vars.gtid {
                    moved.push(self.back_to_file_position(replica, source));
                }
                None
            }
            Some(s) => {
                let from = format!("{}:{} as {}", s.source_host, s.source_port, s.source_user);
                Some((replica, source, ConnectReason::ReplicatesElsewhere { from }))
            }
            None if self.facts.get(replica).is_none_or(|f| !f.running) => {
                Some((replica, source, ConnectReason::Unread))
            }
            None => Some((replica, source, ConnectReason::NotReplicating)),
        };
        DirectionSteps {
            account,
            on_source,
            unconnected,
            broken,
            moved,
        }
    }

    /// A server with GTID domains (MariaDB): it keeps the GTID position of what it applied whatever way it
    /// replicates, so a replica on file and position can be taken elsewhere by GTID.
    pub(super) fn positions_by_domain(&self, host: &str) -> bool {
        self.facts
            .get(host)
            .and_then(|f| f.server)
            .is_some_and(|v| v.dialect().capabilities.gtid_domains)
    }

    /// After a move by GTID in a play that keeps file and position: back to file and position, at the
    /// point it has applied.
    pub(super) fn back_to_file_position(&self, replica: &str, source: &str) -> ReplStep {
        ReplStep::Positioning {
            replica: replica.into(),
            source: source.into(),
            gtid: false,
            reasons: vec![PositioningReason::GtidOff],
        }
    }

    /// The hosts whose mysqld is down (their replication could not be read: said) or restarts: the plan is
    /// decided again once they run.
    pub(super) fn decided_after(&self, warnings: &mut Vec<String>) -> Vec<String> {
        let mut hosts = Vec::new();
        for host in self.play.hosts.iter().filter(|h| self.project.in_limit(h)) {
            if self.facts.get(host).is_none_or(|f| !f.running) {
                warnings.push(format!(
                    "{host}'s mysqld is not running, so its replication cannot be read now: apply reads it again \
                     after the restart and decides these steps from what it finds"
                ));
                hosts.push(host.clone());
            } else if self.restarting.contains(host) {
                hosts.push(host.clone());
            }
        }
        hosts
    }
}
