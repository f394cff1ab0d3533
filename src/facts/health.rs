//! The health of every replication direction of every play, from facts already read: its status, what is
//! wrong with it, and the known cause explained. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{HostFacts, Observed, ThreadStop};
use crate::model::{MYSQL_PORT, Project, Role};
use crate::replication::ReplicaStatus;
use crate::replication::verdict::{Verdict, judge};

#[derive(Debug, Serialize)]
pub struct Direction {
    pub play: String,
    pub replica: String,
    pub source: String,
    pub healthy: bool,
    /// The one verdict on its health, from this one look.
    pub verdict: Verdict,
    /// What the replica reports; `None` when it replicates from nothing (or from another source).
    pub status: Option<ReplicaStatus>,
    pub problem: Option<String>,
    pub explanation: Option<String>,
    /// Transactions the source holds that the replica has not applied (by GTID); `None` when unknown.
    pub missing: Option<u64>,
    /// For a replica that does not run: seconds since its threads stopped (or since its server started, if
    /// they never ran since).
    pub stopped_for: Option<u64>,
    /// The replica node's place as the play declares it (`writer:`, `read_only_hosts`) and as it is.
    pub replica_role: NodeRole,
}

/// Whether a node takes writes, as declared and as its server says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRole {
    /// `writer` (the play's declared writer), `passive` (read-only by the play), or `writable` (the play
    /// declares no writer and does not list it as passive).
    pub declared: &'static str,
    /// Its server's `read_only`; `None` when it does not run.
    pub read_only: Option<bool>,
    /// Whether `read_only` is as declared.
    pub as_declared: bool,
}

impl NodeRole {
    fn of(play: &crate::model::Play, host: &str, facts: Option<&HostFacts>) -> Self {
        let passive = play.is_read_only(host);
        let declared = match (passive, play.writer()) {
            (true, _) => "passive",
            (false, Some(_)) => "writer",
            (false, None) => "writable",
        };
        let read_only = facts
            .filter(|f| f.running)
            .and_then(|f| f.variables.get("read_only"))
            .map(|v| v.eq_ignore_ascii_case("ON") || v == "1");
        Self {
            declared,
            read_only,
            as_declared: read_only == Some(passive),
        }
    }

    /// How the status line says it: `writer, read_only OFF`, `passive, read_only ON`, and what is not as
    /// declared.
    pub fn describe(&self) -> String {
        let now = match self.read_only {
            Some(true) => "read_only ON",
            Some(false) => "read_only OFF",
            None => "server down",
        };
        if self.as_declared || self.read_only.is_none() {
            format!("{}, {now}", self.declared)
        } else {
            format!("{}, but {now}: NOT as declared", self.declared)
        }
    }
}

/// `observed`: each node's GTID positions and uptime, where `status` read them.
pub fn directions(
    project: &Project,
    facts: &BTreeMap<String, HostFacts>,
    observed: &BTreeMap<String, Observed>,
) -> Vec<Direction> {
    let mut out = Vec::new();
    for play in project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
    {
        // A replica's status is read on the replica: directions into hosts outside `--limit` are not shown.
        for (replica, source) in play.ring().into_iter().filter(|(r, _)| project.in_limit(r)) {
            let address = project
                .hosts
                .get(source)
                .map(|h| h.address.as_str())
                .unwrap_or(source);
            let status = facts
                .get(replica)
                .and_then(|f| f.replication.as_ref())
                .and_then(|r| r.replica.clone());
            let verdict = match &status {
                None if facts.get(replica).is_some_and(|f| !f.running) => Verdict::NotReplicating {
                    why: "mysqld is not running".into(),
                },
                None => Verdict::NotReplicating {
                    why: "not replicating".into(),
                },
                Some(s) if !s.points_at(address, MYSQL_PORT, &play.vars.replication_user) => {
                    Verdict::NotReplicating {
                        why: format!(
                            "replicates from {}:{} as {}, not from {source}",
                            s.source_host, s.source_port, s.source_user
                        ),
                    }
                }
                Some(s) => judge(s),
            };
            // One look cannot show a running replica applying: catching up is not a fault at a glance.
            let healthy = matches!(verdict, Verdict::Healthy | Verdict::CatchingUp { .. });
            let problem = (!healthy).then(|| verdict.describe());
            let explanation = verdict.explanation().map(str::to_string);
            let missing = observed
                .get(source)
                .zip(observed.get(replica))
                .and_then(|(s, r)| crate::replication::gtid::missing(&s.written, &r.applied));
            let stopped_for = status
                .as_ref()
                .filter(|s| !s.threads_running())
                .and(observed.get(replica))
                .and_then(|o| match o.last_thread_stop? {
                    // Stopped since the server started, or since the threads last exited if later.
                    ThreadStop::Never => Some(o.uptime),
                    ThreadStop::SecondsAgo(t) => Some(t.min(o.uptime)),
                });
            out.push(Direction {
                play: play.name.clone(),
                replica: replica.into(),
                source: source.into(),
                healthy,
                verdict,
                status,
                problem,
                explanation,
                missing,
                stopped_for,
                replica_role: NodeRole::of(play, replica, facts.get(replica)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(host: &str, read_only: &str) -> HostFacts {
        let mut f = HostFacts::running_for_tests(host, Default::default());
        f.variables.insert("read_only".into(), read_only.into());
        f
    }

    #[test]
    fn a_node_s_role_is_read_against_the_declared_writer() {
        let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
        let mut p = crate::load::load(path, &Default::default()).expect("fixture loads");
        let nowhere = crate::model::Span {
            file: crate::model::FileId(0),
            offset: 0,
            len: 0,
        };
        let play = &mut p.plays[0];
        assert_eq!(
            NodeRole::of(play, "db2", Some(&node("db2", "OFF"))).declared,
            "writable"
        );
        play.vars.writer = Some(crate::model::Sourced::new("db1".to_string(), nowhere));
        let writer = NodeRole::of(play, "db1", Some(&node("db1", "OFF")));
        assert_eq!(writer.describe(), "writer, read_only OFF");
        let passive = NodeRole::of(play, "db2", Some(&node("db2", "OFF")));
        assert_eq!(
            passive.describe(),
            "passive, but read_only OFF: NOT as declared"
        );
        assert!(!passive.as_declared);
        let mut down = node("db2", "ON");
        down.running = false;
        assert_eq!(
            NodeRole::of(play, "db2", Some(&down)).describe(),
            "passive, server down"
        );
    }
}
