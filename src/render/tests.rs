//! Snapshots of what an operator reads.

use super::replication::replication_step;
use super::*;
use crate::plan::{Position, ReplStep, ReplicationPlan, RestartReason};

fn fresh_and_converged() -> Plan {
    Plan {
        hosts: vec![
            HostPlan {
                host: "h1".into(),
                server: "MariaDB 10.11.19".into(),
                fingerprint: "00".into(),
                steps: vec![
                    Step::WriteConfig {
                        path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf".into(),
                        before: None,
                        after: "[mysqld]\nserver-id = 1\nlog-bin = /var/log/mysql/mysql-bin.log\n"
                            .into(),
                    },
                    Step::Restart {
                        command: "service mariadb restart".into(),
                        reasons: vec![
                            RestartReason::StaticChanged {
                                variable: "log_bin".into(),
                                live: "OFF".into(),
                                wanted: "ON".into(),
                            },
                            RestartReason::Unverifiable {
                                variable: "skip_slave_start".into(),
                            },
                        ],
                    },
                ],
                warnings: vec![
                    "slave_skip_errors = 1062: the replica will skip these errors".into(),
                ],
                log_error: None,
                socket: None,
                rolling: Some(crate::plan::Rolling {
                    play: "pair".into(),
                    batch: 0,
                    batches: 1,
                    serial: 1,
                    gate: crate::plan::Gate {
                        replicates_from: Some("h2".into()),
                        starts_replica: false,
                        feeds: vec!["h2".into()],
                    },
                }),
            },
            HostPlan {
                host: "h2".into(),
                server: "MariaDB 10.11.19".into(),
                fingerprint: "01".into(),
                steps: vec![
                    Step::WriteConfig {
                        path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf".into(),
                        before: Some("[mysqld]\nserver-id = 2\nmax_binlog_size = 1G\n".into()),
                        after: "[mysqld]\nserver-id = 2\nmax_binlog_size = 100M\n".into(),
                    },
                    Step::SetGlobal {
                        variable: "max_binlog_size".into(),
                        value: "104857600".into(),
                        live: "1073741824".into(),
                    },
                ],
                warnings: vec![],
                log_error: None,
                socket: None,
                rolling: None,
            },
            HostPlan {
                host: "h3".into(),
                server: "MySQL 8.4.3".into(),
                fingerprint: "02".into(),
                steps: vec![],
                warnings: vec![],
                log_error: None,
                socket: None,
                rolling: None,
            },
        ],
        replication: vec![ReplicationPlan {
            play: "pair".into(),
            steps: vec![
                ReplStep::Account {
                    source: "h1".into(),
                    replica: "h2".into(),
                    replica_address: "10.0.0.2".into(),
                    user: "repl".into(),
                    tls: true,
                    reason: crate::plan::AccountReason::Missing,
                },
                ReplStep::Seed {
                    from: "h1".into(),
                    to: "h2".into(),
                    schemas: vec!["shop".into(), "crm".into()],
                    tables: 7,
                    bytes: 3 * 1024 * 1024 + 512 * 1024,
                    overwrite: false,
                    interrupted: false,
                    physical: None,
                    method_why: Default::default(),
                },
                ReplStep::Connect {
                    replica: "h2".into(),
                    source: "h1".into(),
                    source_address: "10.0.0.1".into(),
                    port: 3306,
                    user: "repl".into(),
                    position: Position::Seed,
                    tls: Some(crate::model::ReplicationTls {
                        ca: "/etc/mysql/tls/ca.pem".into(),
                        cert: "/etc/mysql/tls/cert.pem".into(),
                        key: "/etc/mysql/tls/key.pem".into(),
                        verify_server_cert: true,
                    }),
                    gtid: true,
                    reason: crate::plan::ConnectReason::NotReplicating,
                },
                ReplStep::Start {
                    replica: "h1".into(),
                    source: "h2".into(),
                    reason: crate::plan::StartReason::Retrying { errno: 2003 },
                },
            ],
            warnings: vec!["h1 stopped replicating from h2: error 1062".into()],
            decided_after: vec!["h2".into()],
            broken: vec![],
        }],
        gtid_moves: vec![crate::plan::GtidMove {
            play: "mysql pair".into(),
            stages: vec![
                crate::plan::GtidStage::Set {
                    variable: "gtid_mode".into(),
                    value: "ON_PERMISSIVE".into(),
                    hosts: vec!["m1".into(), "m2".into()],
                },
                crate::plan::GtidStage::DrainAnonymous {
                    hosts: vec!["m1".into(), "m2".into()],
                    directions: vec![("m2".into(), "m1".into()), ("m1".into(), "m2".into())],
                },
                crate::plan::GtidStage::Set {
                    variable: "gtid_mode".into(),
                    value: "ON".into(),
                    hosts: vec!["m1".into(), "m2".into()],
                },
            ],
        }],
        interleavings: Vec::new(),
        switchovers: Vec::new(),
        rejoins: Vec::new(),
    }
}

/// A live pair growing into a ring of three: its ids made room for, h3 held, then the ring re-wired.
fn growing_ring() -> Plan {
    use crate::plan::{HeldNode, IncrementChange, Interleave, Interleaving};
    let class = |increment, offset| Interleave { increment, offset };
    Plan {
        switchovers: Vec::new(),
        rejoins: Vec::new(),
        hosts: Vec::new(),
        replication: vec![ReplicationPlan {
            play: "ring".into(),
            steps: vec![
                ReplStep::Connect {
                    replica: "h3".into(),
                    source: "h2".into(),
                    source_address: "10.0.0.2".into(),
                    port: 3306,
                    user: "repl".into(),
                    position: Position::Seed,
                    tls: None,
                    gtid: true,
                    reason: Default::default(),
                },
                ReplStep::Move {
                    replica: "h1".into(),
                    from: "h2".into(),
                    source: "h3".into(),
                    source_address: "10.0.0.3".into(),
                    port: 3306,
                    user: "repl".into(),
                    tls: None,
                },
            ],
            warnings: Vec::new(),
            decided_after: Vec::new(),
            broken: vec![],
        }],
        gtid_moves: Vec::new(),
        interleavings: vec![Interleaving {
            play: "ring".into(),
            changes: vec![
                IncrementChange {
                    host: "h1".into(),
                    from: class(2, 1),
                    to: class(4, 1),
                },
                IncrementChange {
                    host: "h2".into(),
                    from: class(2, 2),
                    to: class(4, 2),
                },
            ],
            held: vec![HeldNode {
                host: "h3".into(),
                drain: vec!["h1".into()],
                marked: false,
                running: true,
                config_path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf".into(),
                open_config: "[mysqld]\nread_only = OFF\n".into(),
            }],
        }],
    }
}

#[test]
fn a_growing_ring_shows_its_ids_its_held_node_and_its_moves() {
    let plan = growing_ring();
    insta::assert_snapshot!(human(&plan));
    let s = plan.summary();
    assert_eq!(
        (s.add, s.change),
        (1, 5),
        "a connect; two changes, a hold and an open, a move"
    );
}

#[test]
fn human_plan_reads_like_terraform() {
    insta::assert_snapshot!(human(&fresh_and_converged()));
}

#[test]
fn an_empty_plan_says_no_changes() {
    let mut plan = fresh_and_converged();
    for h in &mut plan.hosts {
        h.steps.clear();
        h.warnings.clear();
    }
    plan.replication[0].steps.clear();
    plan.gtid_moves.clear();
    let text = human(&plan);
    assert!(
        text.ends_with("No changes. The hosts match the playbook.\n"),
        "{text}"
    );
}

#[test]
fn json_plan_carries_steps_and_summary() {
    let value: serde_json::Value =
        serde_json::from_str(&json(&fresh_and_converged()).expect("serializes"))
            .expect("valid JSON");
    assert_eq!(value["summary"]["add"], 3);
    assert_eq!(value["summary"]["change"], 5, "a GTID move is one change");
    assert_eq!(value["summary"]["restarts"], 1);
    assert_eq!(value["hosts"][0]["steps"][1]["kind"], "restart");
    assert_eq!(
        value["hosts"][0]["steps"][1]["reasons"][0]["reason"],
        "static_changed"
    );
}

/// A pair whose h2 stopped on an error no step repairs, and whose h1 stopped because h2's binary logs were
/// replaced (repaired by GTID).
fn broken_pair() -> Plan {
    let mut plan = fresh_and_converged();
    let replication = &mut plan.replication[0];
    replication.steps = vec![ReplStep::Repair {
        replica: "h1".into(),
        source: "h2".into(),
        errno: 1236,
        error: "could not find next log".into(),
    }];
    replication.broken = vec![crate::plan::BrokenDirection {
        replica: "h2".into(),
        source: "h1".into(),
        errno: 1396,
        error: "Operation CREATE USER failed for 'dup'@'%'".into(),
        fix: "Fix: `mmprov skip --host h2`.".into(),
    }];
    plan
}

#[test]
fn a_broken_direction_is_shown_with_its_fix_and_the_plan_never_says_no_changes() {
    let mut plan = broken_pair();
    let text = human(&plan);
    assert!(
        text.contains(
            "! h2 <- h1: BROKEN, left as it is: error 1396: Operation CREATE USER failed"
        ),
        "{text}"
    );
    assert!(text.contains("Fix: `mmprov skip --host h2`."), "{text}");
    assert!(
        text.contains("~ h1: replicate from h2 again by GTID") && text.contains("error 1236"),
        "{text}"
    );
    assert!(text.contains("1 direction left broken."), "{text}");

    for h in &mut plan.hosts {
        h.steps.clear();
    }
    plan.replication[0].steps.clear();
    plan.gtid_moves.clear();
    plan.interleavings.clear();
    let text = human(&plan);
    assert!(!plan.has_changes() && plan.differs());
    assert!(!text.contains("No changes"), "{text}");
    assert!(
        text.ends_with("Nothing to change that would help: 1 replication direction broken, left as it is (see above).\n"),
        "{text}"
    );
}

/// Every section the human plan shows has its counterpart in the JSON plan, and each play's steps are the
/// same in number: the JSON is the whole plan.
#[test]
fn the_json_plan_carries_every_section_of_the_human_plan() {
    let sections = [
        ("rolling restart (play", "rolling"),
        ("gtid (play", "gtid_moves"),
        ("auto_increment (play", "interleavings"),
        ("open for writes (play", "interleavings"),
        ("replication (play", "replication"),
        ("BROKEN, left as it is", "broken"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for plan in [fresh_and_converged(), growing_ring(), broken_pair()] {
        let text = human(&plan);
        let value: serde_json::Value =
            serde_json::from_str(&json(&plan).expect("serializes")).expect("valid JSON");
        assert_eq!(value["format_version"], super::JSON_FORMAT_VERSION);
        for (header, key) in sections {
            if text.contains(header) {
                seen.insert(header);
                let carried = value[key].as_array().map_or(0, Vec::len);
                assert!(
                    carried > 0,
                    "the human plan shows `{header}`, the JSON has no `{key}`"
                );
            }
        }
        for host in &plan.hosts {
            assert!(text.contains(&format!("{} (", host.host)));
            let carried = value["hosts"].as_array().expect("hosts").iter();
            assert_eq!(
                carried.filter(|h| h["host"] == host.host.as_str()).count(),
                1,
                "host {} in the JSON",
                host.host
            );
        }
        for (i, replication) in plan.replication.iter().enumerate() {
            let shown = super::replication(std::slice::from_ref(replication))
                .lines()
                .filter(|l| {
                    ["  + ", "  ~ ", "  - ", "  -/+ "]
                        .iter()
                        .any(|p| l.starts_with(p))
                })
                .count();
            let carried = value["replication"][i]["steps"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(
                shown, carried,
                "play {}: steps shown and carried",
                replication.play
            );
        }
        let last = text.lines().last().expect("a summary line");
        assert_eq!(value["summary_line"], last);
    }
    assert_eq!(
        seen.len(),
        sections.len(),
        "the plans exercise every section: {seen:?}"
    );
}

/// A clone shows everything it does on both hosts, the account and the restart included, and no password.
#[test]
fn a_seed_by_the_clone_plugin_says_what_it_does_on_both_hosts() {
    let seed = ReplStep::Seed {
        from: "m1".into(),
        to: "m2".into(),
        schemas: vec!["shop".into()],
        tables: 3,
        bytes: 3 << 30,
        overwrite: false,
        interrupted: false,
        physical: Some(crate::plan::PhysicalSeed {
            tool: crate::flavor::PhysicalTool::Clone,
            source_socket: "/run/mysqld/mysqld.sock".into(),
            target_datadir: "/var/lib/mysql".into(),
            source_address: "10.0.0.1".into(),
            target_address: "10.0.0.2".into(),
        }),
        method_why: Default::default(),
    };
    let (line, _) = replication_step(&seed);
    for said in [
        "by MySQL's clone plugin",
        "'mmprov_clone'@'10.0.0.2' on m1",
        "password (sensitive)",
        "dropped after",
        "CLONE INSTANCE on m2",
        "restarts",
    ] {
        assert!(line.contains(said), "{said}: {line}");
    }
    assert!(!line.contains("streamed"), "{line}");
}

/// A pair whose writer moves from h2 to h1, with both hooks.
fn moving_writer() -> Plan {
    use crate::plan::{SwitchStep, Switchover};
    let mut plan = fresh_and_converged();
    for h in &mut plan.hosts {
        h.steps.clear();
        h.warnings.clear();
    }
    plan.replication.clear();
    plan.gtid_moves.clear();
    plan.switchovers = vec![Switchover {
        play: "pair".into(),
        old_writer: "h2".into(),
        new_writer: "h1".into(),
        old_address: "10.0.0.2".into(),
        new_address: "10.0.0.1".into(),
        new_writer_lag: Some(0),
        steps: vec![
            SwitchStep::BeforeHook {
                command: "vip check".into(),
            },
            SwitchStep::Close {
                host: "h2".into(),
                settings: vec![("read_only".into(), "ON".into())],
            },
            SwitchStep::Drain { host: "h2".into() },
            SwitchStep::CatchUp {
                host: "h1".into(),
                from: "h2".into(),
            },
            SwitchStep::Open {
                host: "h1".into(),
                settings: vec![("read_only".into(), "OFF".into())],
            },
            SwitchStep::AfterHook {
                command: "vip move".into(),
            },
        ],
        hook_timeout: 60,
    }];
    plan
}

#[test]
fn a_switchover_shows_every_step_in_order_with_its_gate_or_reason() {
    let text = human(&moving_writer());
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in:\n{text}"))
    };
    assert!(
        at("the writer moves from h2 (10.0.0.2) to h1 (10.0.0.1)")
            < at("1. hook before_switchover")
    );
    assert!(at("1. hook before_switchover") < at("2. close h2: SET GLOBAL read_only = ON"));
    assert!(at("2. close h2") < at("3. h2: its client transactions"));
    assert!(at("3. h2") < at("4. h1: wait until it has executed every transaction h2 wrote"));
    assert!(at("4. h1") < at("5. open h1: SET GLOBAL read_only = OFF"));
    assert!(at("5. open h1") < at("6. hook after_switchover on the controller: vip move"));
    assert!(text.contains("gate: read again before h1 opens; if it fails, h2 is put back open"));
    assert!(text.contains("nothing has changed (h2 stays the writer)"));
    assert!(text.contains("Plan: 0 to add, 1 to change"), "{text}");
}

#[test]
fn json_plan_carries_the_whole_switchover() {
    let value: serde_json::Value =
        serde_json::from_str(&json(&moving_writer()).expect("serializes")).expect("valid JSON");
    assert_eq!(value["format_version"], 3);
    let s = &value["switchovers"][0];
    assert_eq!(s["old_writer"], "h2");
    assert_eq!(s["new_writer"], "h1");
    let kinds: Vec<&str> = s["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|st| st["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "before_hook",
            "close",
            "drain",
            "catch_up",
            "open",
            "after_hook"
        ]
    );
    assert_eq!(s["steps"][1]["settings"][0][0], "read_only");
    assert_eq!(value["changes"], true);
}
