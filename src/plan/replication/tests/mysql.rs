//! The planner's MySQL decisions, from facts read off scripted MySQL 8.4 hosts (`fake`): the server names
//! itself, its replica status is read in its own columns (`SHOW REPLICA STATUS`, after the likely MariaDB
//! statement is refused), and the plan that follows mirrors MariaDB's: a fresh pair is crossed by auto
//! position, a converged pair needs nothing, a direction broken by anything but replaced binary logs is
//! left broken, and one stopped by replaced binary logs (1236, or MySQL 8's 13114) is repaired by GTID.

use std::collections::BTreeMap;

use super::super::{Position, ReplStep, ReplicationPlan, plan_replication};
use crate::facts::HostFacts;
use crate::fake::{FakeHost, ReplicaFailure};
use crate::model::Project;

const DB1: &str = "192.0.2.11";
const DB2: &str = "192.0.2.12";
const DB1_UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const DB2_UUID: &str = "4f22fb58-82db-22f2-af44-d91bba530673";

/// The fixture's pair, on MySQL and replicating by GTID.
fn project() -> Project {
    let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
    let mut p = crate::load::load(path, &Default::default()).expect("fixture loads");
    p.plays[0].vars.gtid = true;
    p
}

/// db1 and db2 as fresh MySQL 8.4 servers.
fn fresh_pair() -> (FakeHost, FakeHost) {
    (FakeHost::mysql("db1"), FakeHost::mysql("db2"))
}

/// db1 and db2 replicating from each other by auto position, each with the other's account, both holding
/// `shop` and every transaction either wrote.
fn converged_pair() -> (FakeHost, FakeHost) {
    let (db1, db2) = fresh_pair();
    for (host, peer) in [(&db1, DB2), (&db2, DB1)] {
        let mut s = host.state();
        s.accounts = vec![peer.to_string()];
        s.replica = Some((peer.to_string(), true));
        s.schemas.insert("shop".into(), 3);
        s.gtid_written = format!("{DB1_UUID}:1-10,{DB2_UUID}:1-7");
    }
    (db1, db2)
}

/// What mmprov reads off each host, as a run would.
fn read(project: &Project, hosts: &[&FakeHost]) -> BTreeMap<String, HostFacts> {
    let wanted = crate::facts::wanted(project);
    hosts
        .iter()
        .map(|h| {
            let facts = crate::facts::read(&mut h.link(), &wanted[h.name()]).expect("reads");
            (h.name().to_string(), facts)
        })
        .collect()
}

fn plan(db1: &FakeHost, db2: &FakeHost) -> ReplicationPlan {
    let p = project();
    let facts = read(&p, &[db1, db2]);
    plan_replication(&p, &p.plays[0], &facts, None, &Default::default()).expect("plans")
}

fn kinds(plan: &ReplicationPlan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| format!("{s:?}").split(' ').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_facts_name_mysql_and_read_its_replica_status_in_its_own_columns() {
    let (db1, db2) = converged_pair();
    let p = project();
    let facts = read(&p, &[&db1, &db2]);
    let db1_facts = &facts["db1"];
    assert_eq!(
        db1_facts.server.map(|v| v.to_string()),
        Some("MySQL 8.4.3".into())
    );
    let replica = db1_facts
        .replication
        .as_ref()
        .and_then(|r| r.replica.as_ref())
        .expect("db1 replicates");
    assert_eq!(
        (replica.source_host.as_str(), replica.io_running.as_str()),
        (DB2, "Yes")
    );
    assert!(replica.uses_gtid(), "Auto_Position = 1");
    assert!(
        db1.state()
            .statements
            .iter()
            .any(|s| s == "SHOW REPLICA STATUS"),
        "asked again in MySQL 8.4's words"
    );
}

#[test]
fn a_fresh_mysql_pair_with_data_on_the_first_node_is_seeded_and_crossed_by_auto_position() {
    let (db1, db2) = fresh_pair();
    db1.state().schemas.insert("shop".into(), 3);
    let plan = plan(&db1, &db2);
    assert_eq!(
        kinds(&plan),
        ["Account", "Account", "Seed", "Connect", "Connect"]
    );
    let connects: Vec<(&str, &Position, bool)> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            ReplStep::Connect {
                replica,
                position,
                gtid,
                ..
            } => Some((replica.as_str(), position, *gtid)),
            _ => None,
        })
        .collect();
    assert_eq!(
        connects,
        [
            ("db1", &Position::SourceNow, true),
            ("db2", &Position::Seed, true)
        ],
        "both directions by auto position"
    );
}

#[test]
fn a_converged_mysql_pair_needs_nothing() {
    let (db1, db2) = converged_pair();
    let plan = plan(&db1, &db2);
    assert_eq!(plan.steps, vec![]);
    assert!(plan.broken.is_empty(), "{:?}", plan.broken);
}

#[test]
fn a_mysql_direction_broken_on_a_hard_error_is_left_broken_with_its_fix() {
    let (db1, db2) = converged_pair();
    db2.state().replica_fails = Some(ReplicaFailure {
        sql: true,
        errno: 1062,
        message: "Duplicate entry '7' for key 'orders.PRIMARY'".into(),
        after: 0,
    });
    let plan = plan(&db1, &db2);
    assert!(plan.steps.is_empty(), "{:?}", plan.steps);
    assert_eq!(plan.broken.len(), 1, "{:?}", plan.broken);
    assert_eq!(
        (plan.broken[0].replica.as_str(), plan.broken[0].errno),
        ("db2", 1062)
    );
    assert!(
        plan.broken[0]
            .fix
            .contains("mmprov skip PLAYBOOK --host db2"),
        "{}",
        plan.broken[0].fix
    );
}

#[test]
fn a_mysql_replica_stopped_by_replaced_binary_logs_is_repaired_by_gtid() {
    for errno in [1236, 13114] {
        let (db1, db2) = converged_pair();
        let error = "Got fatal error 1236 from source when reading data from binary log: \
                     'could not find next log'";
        db1.state().replica_fails = Some(ReplicaFailure {
            sql: false,
            errno,
            message: error.into(),
            after: 0,
        });
        let plan = plan(&db1, &db2);
        assert_eq!(
            plan.steps,
            vec![ReplStep::Repair {
                replica: "db1".into(),
                source: "db2".into(),
                errno,
                error: error.into(),
            }],
            "error {errno}"
        );
        assert!(plan.broken.is_empty(), "error {errno}: {:?}", plan.broken);
    }
}

/// An apply cut off while it seeded db2 left db1 already replicating from db2. Seeding db2 again empties its
/// binary logs and GTID history (MySQL) under db1's replica, which would then stop on 13114: db1 starts
/// again after the seed, by GTID, and asks db2 for what it lacks (seen live when mysqld was killed midway).
#[test]
fn a_seed_done_again_over_a_node_that_is_already_a_source_starts_its_replica_again() {
    let (db1, db2) = fresh_pair();
    db1.state().schemas.insert("shop".into(), 3);
    db2.state().schemas.insert("shop".into(), 1);
    db1.state().accounts = vec![DB2.to_string()];
    db2.state().accounts = vec![DB1.to_string()];
    db1.state().replica = Some((DB2.to_string(), true));
    let p = project();
    let mut facts = read(&p, &[&db1, &db2]);
    if let Some(f) = facts.get_mut("db2") {
        f.seed_incomplete = true;
    }
    let plan = plan_replication(&p, &p.plays[0], &facts, None, &Default::default()).expect("plans");
    assert_eq!(
        kinds(&plan),
        ["Seed", "Connect", "Start"],
        "{:?}",
        plan.steps
    );
    assert!(
        plan.steps.iter().any(|s| matches!(s,
            ReplStep::Start { replica, source, reason: crate::plan::StartReason::SourceRebuilt }
                if replica == "db1" && source == "db2")),
        "{:?}",
        plan.steps
    );

    // MariaDB keeps a dump's target's binary logs: its replicas read on.
    let (db1, db2) = (FakeHost::new("db1"), FakeHost::new("db2"));
    db1.state().schemas.insert("shop".into(), 3);
    db2.state().schemas.insert("shop".into(), 1);
    db1.state().accounts = vec![DB2.to_string()];
    db2.state().accounts = vec![DB1.to_string()];
    db1.state().replica = Some((DB2.to_string(), true));
    let mut facts = read(&p, &[&db1, &db2]);
    if let Some(f) = facts.get_mut("db2") {
        f.seed_incomplete = true;
    }
    let plan = plan_replication(&p, &p.plays[0], &facts, None, &Default::default()).expect("plans");
    assert_eq!(kinds(&plan), ["Seed", "Connect"], "{:?}", plan.steps);
}
