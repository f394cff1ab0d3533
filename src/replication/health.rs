//! The health of every replication direction of every play, from facts already read: its status, what is
//! wrong with it, and the known cause explained. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{ReplicaStatus, explain};
use crate::facts::HostFacts;
use crate::model::{Project, Role};
use crate::plan::MYSQL_PORT;

#[derive(Debug, Serialize)]
pub struct Direction {
    pub play: String,
    pub replica: String,
    pub source: String,
    pub healthy: bool,
    /// What the replica reports; `None` when it replicates from nothing (or from another source).
    pub status: Option<ReplicaStatus>,
    pub problem: Option<String>,
    pub explanation: Option<String>,
}

pub fn directions(project: &Project, facts: &BTreeMap<String, HostFacts>) -> Vec<Direction> {
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
            let (problem, explanation) = match &status {
                None if facts.get(replica).is_some_and(|f| !f.running) => {
                    (Some("mysqld is not running".to_string()), None)
                }
                None => (Some("not replicating".to_string()), None),
                Some(s) if !s.points_at(address, MYSQL_PORT, &play.vars.replication_user) => (
                    Some(format!(
                        "replicates from {}:{} as {}, not from {source}",
                        s.source_host, s.source_port, s.source_user
                    )),
                    None,
                ),
                Some(s) => match s.error() {
                    Some((errno, text)) => (
                        Some(format!("error {errno}: {text}")),
                        explain(errno).map(str::to_string),
                    ),
                    None if !s.healthy() => (
                        Some(format!(
                            "IO thread {}, SQL thread {}",
                            s.io_running, s.sql_running
                        )),
                        None,
                    ),
                    None => (None, None),
                },
            };
            out.push(Direction {
                play: play.name.clone(),
                replica: replica.into(),
                source: source.into(),
                healthy: problem.is_none(),
                status,
                problem,
                explanation,
            });
        }
    }
    out
}
