//! The order of restarts: a live group is never taken down whole. Pure, like the rest of `plan`.
//!
//! A play is live when one of its nodes (within the run's limit) replicates, or two or more hold application
//! data: then more than one node serves, and the group stays up only if they do not go down together. (A
//! single node holding data is down during its own restart whatever the order.) The restarts of a live
//! play's nodes roll: passive nodes (`read_only_hosts`) first, then the play's host order,
//! `serial` nodes at a time (`--serial`, else the play's `serial:`, else one). Each restart is followed by a
//! gate ([`Gate`]) that must pass before the next batch starts. A play with nothing to protect (a fresh
//! pair) restarts its nodes at once, and the batches of different plays run side by side.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{HostPlan, Step};
use crate::facts::HostFacts;
use crate::model::{Project, Serial};

/// Where a host's restart sits in its play's rolling order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rolling {
    pub play: String,
    /// The batch this restart belongs to, from 0: batch N starts once every gate of batch N-1 passed.
    pub batch: usize,
    /// How many batches the play's restarts take.
    pub batches: usize,
    /// How many nodes restart at once.
    pub serial: usize,
    pub gate: Gate,
}

/// What must hold after a node's restart before its play's next batch restarts. The server serves SQL
/// first, always; then what ran before the restart runs again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// It replicated from this node before: both threads run again, without error, and it has applied what
    /// it received.
    pub replicates_from: Option<String>,
    /// Its config keeps replicas stopped at server start (`gtid: false`): the gate starts it.
    pub starts_replica: bool,
    /// These nodes replicated from it before: their IO thread is connected to it again (one still waiting
    /// out its retry is told to reconnect at once).
    pub feeds: Vec<String>,
}

impl Gate {
    /// The gate as a sentence's end: "h1 serves SQL, ...".
    pub fn describe(&self, host: &str) -> String {
        let mut parts = vec![format!("{host} serves SQL")];
        if let Some(source) = &self.replicates_from {
            let started = if self.starts_replica {
                " (started by mmprov: its config keeps replicas stopped at start)"
            } else {
                ""
            };
            parts.push(format!(
                "{host} replicates from {source} again{started}, both threads running and caught up"
            ));
        }
        for peer in &self.feeds {
            parts.push(format!("{peer} replicates from {host} again"));
        }
        parts.join("; ")
    }
}

/// Give each restart of a live play its place in the rolling order. `starts_replicas`: whether a host's
/// rendered config lets replicas start with the server.
pub fn plan_rollout(
    project: &Project,
    facts: &BTreeMap<String, HostFacts>,
    hosts: &mut [HostPlan],
    serial: Option<Serial>,
    starts_replicas: &BTreeMap<String, bool>,
) {
    let restarting: BTreeSet<String> = hosts
        .iter()
        .filter(|h| h.steps.iter().any(|s| matches!(s, Step::Restart { .. })))
        .map(|h| h.host.clone())
        .collect();
    let mut placed: BTreeMap<String, Rolling> = BTreeMap::new();
    for play in &project.plays {
        let nodes: Vec<&String> = play.hosts.iter().filter(|h| project.in_limit(h)).collect();
        if !is_live(&nodes, facts) {
            continue;
        }
        let mut order: Vec<&String> = nodes
            .iter()
            .copied()
            .filter(|h| restarting.contains(*h) && !placed.contains_key(*h))
            .collect();
        // Passive nodes first: they take no application writes, so their restart costs the least.
        order.sort_by_key(|h| !play.is_read_only(h));
        let size = serial
            .or(play.serial.as_ref().map(|s| s.value))
            .unwrap_or(Serial::Count(1))
            .batch_size(nodes.len());
        let batches = order.len().div_ceil(size);
        for (i, host) in order.into_iter().enumerate() {
            let gate = gate(project, play, host, facts, starts_replicas);
            placed.insert(
                host.clone(),
                Rolling {
                    play: play.name.clone(),
                    batch: i / size,
                    batches,
                    serial: size,
                    gate,
                },
            );
        }
    }
    for host in hosts.iter_mut() {
        host.rolling = placed.remove(&host.host);
    }
}

/// A node replicates, or two or more serve data: the group has something to keep up.
fn is_live(nodes: &[&String], facts: &BTreeMap<String, HostFacts>) -> bool {
    let replication = |h: &&String| facts.get(*h).and_then(|f| f.replication.as_ref());
    let replicates = nodes
        .iter()
        .filter_map(replication)
        .any(|r| r.replica.is_some());
    let serving = nodes
        .iter()
        .filter_map(replication)
        .filter(|r| r.holds_data())
        .count();
    replicates || serving >= 2
}

/// What ran before the restart, and so must run again after it.
fn gate(
    project: &Project,
    play: &crate::model::Play,
    host: &str,
    facts: &BTreeMap<String, HostFacts>,
    starts_replicas: &BTreeMap<String, bool>,
) -> Gate {
    let address = |h: &str| {
        project
            .hosts
            .get(h)
            .map(|x| x.address.clone())
            .unwrap_or_else(|| h.to_string())
    };
    let replicates_healthily_from = |replica: &str, source: &str| {
        facts
            .get(replica)
            .and_then(|f| f.replication.as_ref())
            .and_then(|r| r.replica.as_ref())
            .is_some_and(|s| s.healthy() && s.source_host == address(source))
    };
    let ring = play.ring();
    let replicates_from = ring
        .iter()
        .find(|(replica, source)| *replica == host && replicates_healthily_from(replica, source))
        .map(|(_, source)| source.to_string());
    let feeds = ring
        .iter()
        .filter(|(replica, source)| *source == host && replicates_healthily_from(replica, source))
        .filter(|(replica, _)| project.in_limit(replica))
        .map(|(replica, _)| replica.to_string())
        .collect();
    Gate {
        starts_replica: replicates_from.is_some()
            && !starts_replicas.get(host).copied().unwrap_or(true),
        replicates_from,
        feeds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{ReplicationFacts, SchemaSize};
    use crate::plan::RestartReason;

    fn project(extra: &str) -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let inventory = dir.path().join("inventory.yml");
        std::fs::write(
            &inventory,
            "all:\n  hosts:\n    db1: {ansible_host: 192.0.2.11, server_id: 1}\n    db2: {ansible_host: 192.0.2.12, server_id: 2}\n    \
             db3: {ansible_host: 192.0.2.13, server_id: 3}\n",
        )
        .expect("inventory");
        std::fs::write(dir.path().join("secret"), "pw\n").expect("secret");
        let book = dir.path().join("book.yml");
        std::fs::write(
            &book,
            format!(
                "inventory: inventory.yml\nplays:\n  - name: trio\n    hosts: db1:db2:db3\n{extra}    vars:\n      \
                 replication_password: {{ file: secret }}\n"
            ),
        )
        .expect("playbook");
        crate::load::load(&book, &Default::default()).expect("loads")
    }

    fn host_facts(host: &str, source: Option<&str>, data: bool) -> HostFacts {
        let replica = source.map(|s| crate::replication::ReplicaStatus {
            source_host: s.into(),
            source_port: 3306,
            source_user: "repl".into(),
            io_running: "Yes".into(),
            sql_running: "Yes".into(),
            seconds_behind: Some(0),
            last_io_errno: 0,
            last_io_error: String::new(),
            last_sql_errno: 0,
            last_sql_error: String::new(),
            source_log_file: "b.1".into(),
            read_pos: 4,
            exec_log_file: "b.1".into(),
            exec_pos: 4,
            positioning: "Slave_Pos".into(),
            connect_retry: 2,
            gtid_received: String::new(),
            tls: Default::default(),
        });
        let schemas = if data {
            vec![SchemaSize {
                name: "shop".into(),
                tables: 1,
                bytes: 16384,
            }]
        } else {
            Vec::new()
        };
        HostFacts {
            host: host.into(),
            server: Some(crate::flavor::ServerVersion::DEBIAN_DEFAULT),
            running: true,
            service: crate::model::ServiceKind::Service,
            service_name: "mariadb".into(),
            config_path: String::new(),
            option_files: Default::default(),
            config: None,
            variables: BTreeMap::new(),
            replication: Some(ReplicationFacts {
                schemas,
                replica,
                ..Default::default()
            }),
            seed_incomplete: false,
            writes_held: false,
            rejoin: None,
            missing_files: Vec::new(),
            layout: Default::default(),
            os: Default::default(),
        }
    }

    fn restarting(host: &str) -> HostPlan {
        HostPlan {
            host: host.into(),
            server: "MariaDB".into(),
            fingerprint: String::new(),
            steps: vec![Step::Restart {
                command: "service mariadb restart".into(),
                reasons: vec![RestartReason::NotRunning],
            }],
            warnings: vec![],
            log_error: None,
            socket: None,
            rolling: None,
        }
    }

    /// A ring of three (db1 <- db3, db2 <- db1, db3 <- db2), every node restarting.
    fn ring_facts() -> BTreeMap<String, HostFacts> {
        [
            ("db1", "192.0.2.13"),
            ("db2", "192.0.2.11"),
            ("db3", "192.0.2.12"),
        ]
        .into_iter()
        .map(|(h, s)| (h.to_string(), host_facts(h, Some(s), true)))
        .collect()
    }

    fn rolled(
        project: &Project,
        facts: &BTreeMap<String, HostFacts>,
        serial: Option<Serial>,
    ) -> Vec<HostPlan> {
        let mut hosts = vec![restarting("db1"), restarting("db2"), restarting("db3")];
        plan_rollout(project, facts, &mut hosts, serial, &BTreeMap::new());
        hosts
    }

    #[test]
    fn a_live_ring_restarts_one_node_at_a_time_with_gates_on_what_ran_before() {
        let hosts = rolled(&project(""), &ring_facts(), None);
        let batches: Vec<usize> = hosts
            .iter()
            .map(|h| h.rolling.as_ref().map(|r| r.batch).expect("rolled"))
            .collect();
        assert_eq!(batches, [0, 1, 2]);
        let gate = &hosts[1].rolling.as_ref().expect("rolled").gate;
        assert_eq!(gate.replicates_from.as_deref(), Some("db1"));
        assert_eq!(gate.feeds, ["db3"]);
        assert!(!gate.starts_replica, "GTID replicas start with the server");
        assert_eq!(
            gate.describe("db2"),
            "db2 serves SQL; db2 replicates from db1 again, both threads running and caught up; db3 replicates from db2 again"
        );
    }

    #[test]
    fn passive_nodes_go_first_and_serial_sets_the_batch_size() {
        let p = project("    serial: 2\n");
        let mut passive = p.clone();
        passive.plays[0].vars.read_only_hosts = Some(crate::model::Sourced::new(
            vec!["db3".to_string()],
            p.plays[0].declared_at,
        ));
        let hosts = rolled(&passive, &ring_facts(), None);
        let batch = |h: &str| {
            hosts
                .iter()
                .find(|x| x.host == h)
                .and_then(|x| x.rolling.as_ref())
                .map(|r| r.batch)
        };
        assert_eq!(
            (batch("db3"), batch("db1"), batch("db2")),
            (Some(0), Some(0), Some(1))
        );
        let one = rolled(&passive, &ring_facts(), Some(Serial::Count(1)));
        assert_eq!(
            one.iter()
                .filter_map(|h| h.rolling.as_ref())
                .map(|r| r.batch)
                .max(),
            Some(2),
            "--serial overrides the play"
        );
    }

    #[test]
    fn a_fresh_group_restarts_at_once_and_a_group_serving_data_on_two_nodes_rolls() {
        let fresh: BTreeMap<String, HostFacts> = ["db1", "db2", "db3"]
            .into_iter()
            .map(|h| (h.to_string(), host_facts(h, None, false)))
            .collect();
        let hosts = rolled(&project(""), &fresh, None);
        assert!(
            hosts.iter().all(|h| h.rolling.is_none()),
            "nothing to protect"
        );
        let mut with_data = fresh.clone();
        with_data.insert("db2".into(), host_facts("db2", None, true));
        let hosts = rolled(&project(""), &with_data, None);
        assert!(
            hosts.iter().all(|h| h.rolling.is_none()),
            "one node serving is down during its restart whatever the order: the seed pair restarts at once"
        );
        with_data.insert("db3".into(), host_facts("db3", None, true));
        let hosts = rolled(&project(""), &with_data, None);
        assert!(
            hosts.iter().all(|h| h.rolling.is_some()),
            "db2 and db3 both serve"
        );
        assert_eq!(
            hosts[0].rolling.as_ref().map(|r| r.gate.clone()),
            Some(Gate::default()),
            "nothing replicated before: serving SQL is the gate"
        );
    }

    #[test]
    fn a_config_that_keeps_replicas_stopped_makes_the_gate_start_them() {
        let p = project("");
        let mut hosts = vec![restarting("db2")];
        let keeps_stopped = BTreeMap::from([("db2".to_string(), false)]);
        plan_rollout(&p, &ring_facts(), &mut hosts, None, &keeps_stopped);
        assert!(
            hosts[0]
                .rolling
                .as_ref()
                .is_some_and(|r| r.gate.starts_replica)
        );
    }
}
