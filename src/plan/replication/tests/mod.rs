//! The replication planner's tests, by area; the fixture pair (db1 192.0.2.11, db2 192.0.2.12) and the
//! facts they are planned from are built here.

mod broken;
mod credentials;
mod mysql;
mod pair;
mod ring;
mod seeds;

use std::collections::BTreeMap;

use super::*;
use crate::facts::{ReplicationFacts, SchemaSize};
use crate::flavor::ServerVersion;

fn password_check(password: &str) -> PasswordCheck {
    PasswordCheck::new(&secrecy::SecretString::from(password.to_string()))
}

/// What a server under `mysql_native_password` stores for `password`, as facts keep it.
fn stored_native(password: &str) -> crate::replication::password::StoredPassword {
    crate::replication::password::StoredPassword::Native {
        fingerprint: crate::replication::password::native_fingerprint(password),
    }
}

fn project() -> Project {
    let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
    crate::load::load(path, &Default::default()).expect("fixture loads")
}

fn facts(host: &str, replication: ReplicationFacts) -> HostFacts {
    HostFacts::running_for_tests(host, replication)
}

fn shop() -> Vec<SchemaSize> {
    vec![SchemaSize {
        name: "shop".into(),
        tables: 3,
        bytes: 49152,
    }]
}

fn replicating_from(address: &str, user: &str) -> Option<crate::replication::ReplicaStatus> {
    Some(crate::replication::ReplicaStatus {
        source_host: address.into(),
        source_port: 3306,
        source_user: user.into(),
        io_running: "Yes".into(),
        sql_running: "Yes".into(),
        seconds_behind: Some(0),
        last_io_errno: 0,
        last_io_error: String::new(),
        last_sql_errno: 0,
        last_sql_error: String::new(),
        source_log_file: "mysql-bin.000001".into(),
        read_pos: 4,
        exec_log_file: "mysql-bin.000001".into(),
        exec_pos: 4,
        positioning: "Slave_Pos".into(),
        connect_retry: u64::from(crate::flavor::CONNECT_RETRY),
        gtid_received: String::new(),
        tls: Default::default(),
    })
}

fn plan(db1: ReplicationFacts, db2: ReplicationFacts) -> Result<ReplicationPlan, Refusal> {
    let p = project();
    let all = [
        ("db1".to_string(), facts("db1", db1)),
        ("db2".to_string(), facts("db2", db2)),
    ]
    .into_iter()
    .collect();
    plan_replication(&p, &p.plays[0], &all, None, &Default::default())
}

fn converged_pair_facts() -> std::collections::BTreeMap<String, HostFacts> {
    let side = |peer: &str| ReplicationFacts {
        schemas: shop(),
        account_hosts: vec![peer.into()],
        replica: replicating_from(peer, "repl"),
        ..Default::default()
    };
    [
        ("db1".to_string(), facts("db1", side("192.0.2.12"))),
        ("db2".to_string(), facts("db2", side("192.0.2.11"))),
    ]
    .into()
}

/// The fixture pair with db3 (192.0.2.13) added to the inventory, the play's hosts `hosts`.
fn ring_project(hosts: &[&str], gtid: bool) -> Project {
    let mut p = project();
    let mut db3 = p.hosts["db2"].clone();
    db3.address = "192.0.2.13".into();
    p.hosts.insert("db3".into(), db3);
    p.plays[0].hosts = hosts.iter().map(|h| h.to_string()).collect();
    p.plays[0].vars.gtid = gtid;
    p
}

/// A node holding `shop` that replicates by GTID (or file and position) from `peer`, with accounts
/// for `accounts`.
fn member(host: &str, peer: &str, accounts: &[&str], gtid: bool) -> HostFacts {
    let mut replica = replicating_from(peer, "repl");
    if let (Some(r), false) = (replica.as_mut(), gtid) {
        r.positioning = "No".into();
    }
    facts(
        host,
        ReplicationFacts {
            schemas: shop(),
            account_hosts: accounts.iter().map(|a| a.to_string()).collect(),
            replica,
            ..Default::default()
        },
    )
}

/// The plan of a replicating pair db1/db2 (by GTID, or file and position) whose play gains db3, fresh.
fn growing_pair(gtid: bool) -> ReplicationPlan {
    let p = ring_project(&["db1", "db2", "db3"], gtid);
    let all = [
        ("db1", member("db1", "192.0.2.12", &["192.0.2.12"], gtid)),
        ("db2", member("db2", "192.0.2.11", &["192.0.2.11"], gtid)),
        ("db3", facts("db3", Default::default())),
    ]
    .map(|(h, f)| (h.to_string(), f))
    .into();
    plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans")
}

fn kinds(plan: &ReplicationPlan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| format!("{s:?}").split(' ').next().unwrap_or("").to_string())
        .collect()
}
