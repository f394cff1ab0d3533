//! Seeds: logical or physical, their tools, their targets, and data left by an interrupted one.

use super::*;

#[test]
fn steps_are_the_same_in_kind_whatever_a_seed_weighs_but_not_with_another_target() {
    let seed = |to: &str, bytes: u64| ReplStep::Seed {
        from: "db1".into(),
        to: to.into(),
        schemas: vec!["shop".into()],
        tables: 3,
        bytes,
        overwrite: false,
        interrupted: false,
        physical: None,
        method_why: Default::default(),
    };
    let plan = |steps: Vec<ReplStep>| ReplicationPlan {
        play: "p".into(),
        steps,
        warnings: vec![],
        decided_after: vec![],
        broken: vec![],
    };
    let shown = plan(vec![seed("db2", 49152)]);
    assert!(shown.same_steps(&plan(vec![seed("db2", 65536)])));
    assert!(!shown.same_steps(&plan(vec![seed("db3", 49152)])));
    assert!(!shown.same_steps(&plan(vec![])));
    let start = ReplStep::Start {
        replica: "db2".into(),
        source: "db1".into(),
        reason: StartReason::Stopped,
    };
    assert!(!shown.same_steps(&plan(vec![seed("db2", 49152), start.clone()])));
    let restarted = ReplStep::Start {
        replica: "db2".into(),
        source: "db1".into(),
        reason: StartReason::Retrying { errno: 2003 },
    };
    assert!(
        start.same_kind(&restarted),
        "why a replica is started does not make another step"
    );
}

#[test]
fn data_left_by_an_interrupted_seed_is_seeded_again() {
    let p = project();
    let db1 = facts(
        "db1",
        ReplicationFacts {
            schemas: shop(),
            ..Default::default()
        },
    );
    let mut db2 = facts(
        "db2",
        ReplicationFacts {
            schemas: shop(),
            ..Default::default()
        },
    );
    db2.seed_incomplete = true;
    let all = [("db1".to_string(), db1), ("db2".to_string(), db2)]
        .into_iter()
        .collect();
    let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default())
        .expect("an interrupted seed is redone, not refused");
    assert!(plan.steps.iter().any(|s| matches!(
        s,
        ReplStep::Seed {
            overwrite: true,
            interrupted: true,
            physical: None,
            ..
        }
    )));
}

#[test]
fn a_target_holding_data_is_refused() {
    let db2 = ReplicationFacts {
        schemas: vec![SchemaSize {
            name: "crm".into(),
            tables: 1,
            bytes: 1,
        }],
        ..Default::default()
    };
    let refusal = plan(
        ReplicationFacts {
            schemas: shop(),
            ..Default::default()
        },
        db2,
    )
    .expect_err("refused");
    assert!(
        refusal.message.starts_with("db2 holds application data"),
        "{}",
        refusal.message
    );
}

/// db1 and db2 with these replication facts, the backup tool on `tools`.
fn with_tools(
    db1: ReplicationFacts,
    db2: ReplicationFacts,
    tools: &[&str],
) -> BTreeMap<String, HostFacts> {
    let mut all: BTreeMap<String, HostFacts> = [
        ("db1".to_string(), facts("db1", db1)),
        ("db2".to_string(), facts("db2", db2)),
    ]
    .into_iter()
    .collect();
    for host in tools {
        if let Some(f) = all.get_mut(*host) {
            f.os.physical_tool = Some(crate::flavor::PhysicalTool::MariaDbBackup);
        }
    }
    all
}

/// The seed step of the plan of `p`'s play over `all`.
fn the_seed(p: &Project, all: &BTreeMap<String, HostFacts>) -> Result<ReplStep, Refusal> {
    let plan = plan_replication(p, &p.plays[0], all, None, &Default::default())?;
    Ok(plan
        .steps
        .into_iter()
        .find(|s| matches!(s, ReplStep::Seed { .. }))
        .expect("a seed"))
}

/// The seed db1 -> db2 planned with `seed_method`, the tool on `tools` hosts, db1 holding `bytes`.
fn seed_with(
    method: crate::model::SeedMethod,
    tools: &[&str],
    bytes: u64,
) -> Result<ReplStep, Refusal> {
    let mut p = project();
    p.plays[0].vars.seed_method = method;
    let db1 = ReplicationFacts {
        schemas: vec![SchemaSize {
            name: "shop".into(),
            tables: 3,
            bytes,
        }],
        ..Default::default()
    };
    let all = with_tools(db1, Default::default(), tools);
    the_seed(&p, &all)
}

/// The seed db1 -> db2 of a MySQL pair at these releases, XtraBackup on `tools` hosts, `seed_method`
/// physical.
fn mysql_seed(db1: &str, db2: &str, tools: &[&str]) -> Result<ReplStep, Refusal> {
    let mut p = project();
    p.plays[0].vars.seed_method = crate::model::SeedMethod::Physical;
    let data = ReplicationFacts {
        schemas: shop(),
        ..Default::default()
    };
    let mut all = with_tools(data, Default::default(), &[]);
    for (host, release) in [("db1", db1), ("db2", db2)] {
        if let Some(f) = all.get_mut(host) {
            f.server = Some(ServerVersion::parse_hint(release).expect("a release"));
            if tools.contains(&host) {
                f.os.physical_tool = Some(crate::flavor::PhysicalTool::XtraBackup);
            }
        }
    }
    the_seed(&p, &all)
}

#[test]
fn mysql_copies_with_xtrabackup_where_both_have_it_else_with_the_clone_plugin_where_it_can() {
    use crate::flavor::PhysicalTool;
    let tool = |step: ReplStep| match step {
        ReplStep::Seed {
            physical: Some(p), ..
        } => (p.tool, p.source_address, p.target_address),
        other => panic!("not a physical seed: {other:?}"),
    };
    let both = ["db1", "db2"];
    let (t, from, _) = tool(mysql_seed("mysql-8.0.36", "mysql-8.0.36", &both).expect("plans"));
    assert_eq!((t, from.as_str()), (PhysicalTool::XtraBackup, ""));
    let (t, from, to) = tool(mysql_seed("mysql-8.0.36", "mysql-8.0.36", &["db1"]).expect("plans"));
    assert_eq!(
        (t, from.as_str(), to.as_str()),
        (PhysicalTool::Clone, "192.0.2.11", "192.0.2.12"),
        "the clone names both ends"
    );
    let (t, ..) = tool(mysql_seed("mysql-8.4.2", "mysql-8.4.0", &[]).expect("plans"));
    assert_eq!(
        t,
        PhysicalTool::Clone,
        "8.0.37 and later clone across releases"
    );
    for (db1, db2) in [
        ("mysql-8.0.36", "mysql-8.0.35"),
        ("mysql-8.0.16", "mysql-8.0.16"),
        ("mysql-5.7.44", "mysql-5.7.44"),
    ] {
        let refused = mysql_seed(db1, db2, &[]).expect_err("no way to copy the files");
        assert!(
            refused.message.contains("clone plugin needs MySQL 8.0.17"),
            "{db1} {db2}: {}",
            refused.message
        );
    }
}

#[test]
fn a_seed_copies_files_when_asked_or_when_large_and_both_hosts_can() {
    use crate::model::{PHYSICAL_SEED_ABOVE, SeedMethod};
    let both = ["db1", "db2"];
    let physical = |s: &ReplStep| match s {
        ReplStep::Seed {
            physical,
            method_why,
            ..
        } => (physical.clone(), method_why.clone()),
        _ => unreachable!(),
    };
    let (copy, why) = physical(&seed_with(SeedMethod::Physical, &both, 10).expect("asked"));
    let copy = copy.expect("a physical seed");
    assert_eq!(copy.tool, crate::flavor::PhysicalTool::MariaDbBackup);
    assert_eq!(copy.target_datadir, "/var/lib/mysql");
    assert_eq!(copy.source_socket, "/run/mysqld/mysqld.sock");
    assert_eq!(why, MethodWhy::Asked);

    let refused = seed_with(SeedMethod::Physical, &["db1"], 10).expect_err("db2 lacks the tool");
    assert!(
        refused.message.contains("db2 has no mariadb-backup"),
        "{}",
        refused.message
    );

    let (copy, why) =
        physical(&seed_with(SeedMethod::Auto, &both, PHYSICAL_SEED_ABOVE).expect("plans"));
    assert!(copy.is_some());
    assert_eq!(
        why,
        MethodWhy::Large {
            bytes: PHYSICAL_SEED_ABOVE
        }
    );
    let (copy, why) =
        physical(&seed_with(SeedMethod::Auto, &both, PHYSICAL_SEED_ABOVE - 1).expect("plans"));
    assert!(copy.is_none());
    assert_eq!(
        why,
        MethodWhy::Small {
            bytes: PHYSICAL_SEED_ABOVE - 1
        }
    );
    let (copy, why) =
        physical(&seed_with(SeedMethod::Auto, &["db2"], PHYSICAL_SEED_ABOVE).expect("plans"));
    assert!(copy.is_none());
    assert!(
        matches!(&why, MethodWhy::CannotCopyFiles { detail } if detail.contains("db1 has no")),
        "{why:?}"
    );
    let (copy, why) =
        physical(&seed_with(SeedMethod::Logical, &both, PHYSICAL_SEED_ABOVE).expect("plans"));
    assert!(copy.is_none());
    assert_eq!(why, MethodWhy::Asked);
}

#[test]
fn a_node_seeded_with_a_copy_of_files_gets_its_replicas_accounts_set_again() {
    let mut p = project();
    p.plays[0].vars.seed_method = crate::model::SeedMethod::Physical;
    let db1_address = p.hosts["db1"].address.clone();
    let db1 = ReplicationFacts {
        schemas: shop(),
        ..Default::default()
    };
    // db2 already has db1's account (an earlier run made it): the copy will not.
    let db2 = ReplicationFacts {
        account_hosts: vec![db1_address.clone()],
        ..Default::default()
    };
    let all = with_tools(db1, db2, &["db1", "db2"]);
    let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
    assert!(
        plan.steps.iter().any(|s| matches!(s, ReplStep::Account { source, replica_address, reason: AccountReason::Copied, .. }
            if source == "db2" && *replica_address == db1_address)),
        "{:?}",
        plan.steps
    );
    let seed_at = plan
        .steps
        .iter()
        .position(|s| matches!(s, ReplStep::Seed { .. }));
    let copied_at = plan.steps.iter().position(|s| {
        matches!(
            s,
            ReplStep::Account {
                reason: AccountReason::Copied,
                ..
            }
        )
    });
    assert!(
        copied_at < seed_at,
        "made before the seed, set again by apply after it"
    );
}

/// Decided again after a restart, fewer of the shown steps is what was confirmed (a replica that was
/// retrying reconnected by itself); a step not shown, or shown in another order, is not.
#[test]
fn fewer_of_the_shown_steps_are_covered_by_what_was_confirmed_but_no_other_step() {
    let start = |replica: &str, source: &str| ReplStep::Start {
        replica: replica.into(),
        source: source.into(),
        reason: StartReason::Retrying { errno: 2003 },
    };
    let plan = |steps: Vec<ReplStep>| ReplicationPlan {
        play: "p".into(),
        steps,
        warnings: vec![],
        decided_after: vec![],
        broken: vec![],
    };
    let shown = plan(vec![start("db1", "db2"), start("db2", "db1")]);
    assert!(shown.shows_every_step_of(&plan(vec![start("db1", "db2")])));
    assert!(shown.shows_every_step_of(&plan(vec![start("db2", "db1")])));
    assert!(shown.shows_every_step_of(&plan(vec![])));
    assert!(!shown.shows_every_step_of(&plan(vec![start("db3", "db1")])));
    assert!(!shown.shows_every_step_of(&plan(vec![start("db2", "db1"), start("db1", "db2")])));
    let mut other_play = plan(vec![start("db1", "db2")]);
    other_play.play = "q".into();
    assert!(!shown.shows_every_step_of(&other_play));
}
