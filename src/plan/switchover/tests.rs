//! The switchover planner over scripted facts: the fixture pair (db1, db2), db2 the writer now.

use std::collections::BTreeMap;

use super::*;
use crate::facts::ReplicationFacts;
use crate::flavor::ServerVersion;
use crate::model::{Sourced, Span};
use crate::replication::ReplicaStatus;

fn nowhere() -> Span {
    Span {
        file: crate::model::FileId(0),
        offset: 0,
        len: 0,
    }
}

/// The fixture pair, declaring `writer`.
fn project(writer: &str) -> Project {
    let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
    let mut p = crate::load::load(path, &Default::default()).expect("fixture loads");
    p.plays[0].vars.writer = Some(Sourced::new(writer.to_string(), nowhere()));
    p
}

fn desired(host: &str, version: ServerVersion) -> Desired {
    Desired {
        host: host.into(),
        config_path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf".into(),
        config: String::new(),
        flavor: version.flavor(),
        restart_command: "service mariadb restart".into(),
        warnings: Vec::new(),
        gtid_moved_online: false,
        interleave_change: None,
        held: None,
        play: "orders pair".into(),
        datadir_move: false,
        install: crate::model::Install::Distribution,
    }
}

fn status(source: &str, behind: Option<u64>) -> ReplicaStatus {
    ReplicaStatus {
        source_host: source.into(),
        source_port: 3306,
        source_user: "repl".into(),
        io_running: "Yes".into(),
        sql_running: "Yes".into(),
        seconds_behind: behind,
        last_io_errno: 0,
        last_io_error: String::new(),
        last_sql_errno: 0,
        last_sql_error: String::new(),
        source_log_file: "mysql-bin.000001".into(),
        read_pos: 900,
        exec_log_file: "mysql-bin.000001".into(),
        exec_pos: if behind == Some(0) { 900 } else { 400 },
        positioning: "Slave_Pos".into(),
        connect_retry: 10,
        gtid_received: String::new(),
        tls: Default::default(),
    }
}

/// A running node, `read_only` as given, replicating from its peer with this status.
fn node(host: &str, read_only: &str, replica: Option<ReplicaStatus>) -> HostFacts {
    let mut f = HostFacts::running_for_tests(
        host,
        ReplicationFacts {
            replica,
            ..Default::default()
        },
    );
    f.variables.insert("read_only".into(), read_only.into());
    f
}

/// db2 writes now; db1 is passive and replicates from db2 with this status.
fn db2_writes(db1_replica: Option<ReplicaStatus>) -> BTreeMap<String, HostFacts> {
    [
        ("db1".to_string(), node("db1", "ON", db1_replica)),
        (
            "db2".to_string(),
            node("db2", "OFF", Some(status("192.0.2.11", Some(0)))),
        ),
    ]
    .into()
}

fn both(version: ServerVersion) -> Vec<Desired> {
    vec![desired("db1", version), desired("db2", version)]
}

fn kinds(s: &Switchover) -> Vec<&'static str> {
    s.steps
        .iter()
        .map(|st| match st {
            SwitchStep::BeforeHook { .. } => "before",
            SwitchStep::Close { .. } => "close",
            SwitchStep::Drain { .. } => "drain",
            SwitchStep::CatchUp { .. } => "catch_up",
            SwitchStep::Open { .. } => "open",
            SwitchStep::AfterHook { .. } => "after",
        })
        .collect()
}

#[test]
fn a_new_writer_is_reached_by_closing_draining_catching_up_then_opening() {
    let p = project("db1");
    let facts = db2_writes(Some(status("192.0.2.12", Some(0))));
    let s = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    )
    .expect("planned")
    .expect("a switchover");
    assert_eq!(
        (s.old_writer.as_str(), s.new_writer.as_str()),
        ("db2", "db1")
    );
    assert_eq!(
        (s.old_address.as_str(), s.new_address.as_str()),
        ("192.0.2.12", "192.0.2.11")
    );
    assert_eq!(kinds(&s), ["close", "drain", "catch_up", "open"]);
    assert_eq!(
        s.steps[0],
        SwitchStep::Close {
            host: "db2".into(),
            settings: vec![("read_only".into(), "ON".into())],
        },
        "MariaDB has no super_read_only"
    );
}

#[test]
fn on_mysql_super_read_only_closes_first_to_last_and_opens_first() {
    let p = project("db1");
    let facts = db2_writes(Some(status("192.0.2.12", Some(0))));
    let mysql =
        ServerVersion::from_server("8.4.3", "MySQL Community Server - GPL").expect("a version");
    let s = plan_switchover(&p, &p.plays[0], &facts, &both(mysql))
        .expect("planned")
        .expect("a switchover");
    let on = |s: &str| (s.to_string(), "ON".to_string());
    let off = |s: &str| (s.to_string(), "OFF".to_string());
    assert!(
        matches!(&s.steps[0], SwitchStep::Close { settings, .. } if *settings == [on("read_only"), on("super_read_only")])
    );
    assert!(
        matches!(&s.steps[3], SwitchStep::Open { settings, .. } if *settings == [off("super_read_only"), off("read_only")])
    );
}

#[test]
fn hooks_run_first_and_last() {
    let mut p = project("db1");
    p.plays[0].vars.hooks.before_switchover = Some("vip check".into());
    p.plays[0].vars.hooks.after_switchover = Some("vip move".into());
    let facts = db2_writes(Some(status("192.0.2.12", Some(0))));
    let s = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    )
    .expect("planned")
    .expect("a switchover");
    assert_eq!(
        kinds(&s),
        ["before", "close", "drain", "catch_up", "open", "after"]
    );
}

#[test]
fn nothing_moves_when_the_declared_writer_already_writes_or_nobody_does() {
    let p = project("db2");
    let facts = db2_writes(Some(status("192.0.2.12", Some(0))));
    let none = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    );
    assert_eq!(none.expect("planned"), None);

    let p = project("db1");
    let mut facts = db2_writes(Some(status("192.0.2.12", Some(0))));
    if let Some(f) = facts.get_mut("db2") {
        f.variables.insert("read_only".into(), "ON".into());
    }
    let none = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    );
    assert_eq!(
        none.expect("planned"),
        None,
        "all passive: opening db1 is enough"
    );
}

#[test]
fn a_new_writer_with_a_broken_replica_is_refused() {
    let p = project("db1");
    let mut broken = status("192.0.2.12", Some(0));
    broken.sql_running = "No".into();
    broken.last_sql_errno = 1062;
    broken.last_sql_error = "Duplicate entry '7' for key 'PRIMARY'".into();
    let facts = db2_writes(Some(broken));
    let refused = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    )
    .expect_err("refused");
    assert!(
        refused.message.contains("broken: error 1062"),
        "{refused:?}"
    );
}

#[test]
fn a_new_writer_lagging_past_max_switchover_lag_is_refused() {
    let p = project("db1");
    let facts = db2_writes(Some(status("192.0.2.12", Some(42))));
    let refused = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    )
    .expect_err("refused");
    assert!(refused.message.contains("42 s behind"), "{refused:?}");
    assert!(
        refused.message.contains("max_switchover_lag (10 s)"),
        "{refused:?}"
    );

    let facts = db2_writes(Some(status("192.0.2.12", Some(3))));
    let s = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    );
    assert_eq!(s.expect("planned").map(|s| s.new_writer_lag), Some(Some(3)));
}

#[test]
fn an_old_writer_whose_server_is_down_is_a_failover() {
    let p = project("db1");
    let mut facts = db2_writes(Some(status("192.0.2.12", Some(0))));
    if let Some(f) = facts.get_mut("db2") {
        f.running = false;
        f.variables.clear();
    }
    let refused = plan_switchover(
        &p,
        &p.plays[0],
        &facts,
        &both(ServerVersion::DEBIAN_DEFAULT),
    )
    .expect_err("refused");
    assert!(
        refused
            .help
            .as_deref()
            .is_some_and(|h| h.contains("mmprov failover PLAYBOOK --to db1")),
        "{refused:?}"
    );
}

#[test]
fn the_host_steps_leave_the_moved_nodes_read_only_switches_to_the_switchover() {
    let p = project("db1");
    let facts = db2_writes(Some(status("192.0.2.12", Some(0))));
    let s = plan_switchovers(&p, &facts, &both(ServerVersion::DEBIAN_DEFAULT)).expect("planned");
    let set = |variable: &str, value: &str| Step::SetGlobal {
        variable: variable.into(),
        value: value.into(),
        live: "x".into(),
    };
    let mut hosts = vec![HostPlan {
        host: "db1".into(),
        server: "MariaDB 10.11".into(),
        fingerprint: String::new(),
        steps: vec![set("read_only", "OFF"), set("max_binlog_size", "1")],
        warnings: Vec::new(),
        log_error: None,
        socket: None,
        rolling: None,
    }];
    leave_read_only_to(&s, &mut hosts);
    assert_eq!(hosts[0].steps, [set("max_binlog_size", "1")]);
}
