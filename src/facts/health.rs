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
            });
        }
    }
    out
}
