//! A pair as it is found: fresh, converged, limited to one node, or restarting.

use super::*;

#[test]
fn a_fresh_pair_with_data_on_the_first_node_is_seeded_and_crossed() {
    let plan = plan(
        ReplicationFacts {
            schemas: shop(),
            ..Default::default()
        },
        Default::default(),
    )
    .expect("plans");
    let kinds: Vec<String> = plan
        .steps
        .iter()
        .map(|s| format!("{s:?}").split(' ').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, ["Account", "Account", "Seed", "Connect", "Connect"]);
    assert!(plan.steps.iter().any(|s| s.same_kind(&ReplStep::Seed {
        from: "db1".into(),
        to: "db2".into(),
        schemas: vec!["shop".into()],
        tables: 3,
        bytes: 49152,
        overwrite: false,
        interrupted: false,
        physical: None,
        method_why: Default::default(),
    })));
    assert!(plan.steps.iter().any(|s| matches!(s, ReplStep::Connect { replica, position: Position::Seed, .. } if replica == "db2")));
    assert!(plan.steps.iter().any(|s| matches!(s, ReplStep::Connect { replica, position: Position::SourceNow, .. } if replica == "db1")));
}

#[test]
fn a_converged_pair_needs_nothing() {
    let db1 = ReplicationFacts {
        schemas: shop(),
        account_hosts: vec!["192.0.2.12".into()],
        replica: replicating_from("192.0.2.12", "repl"),
        ..Default::default()
    };
    let db2 = ReplicationFacts {
        schemas: shop(),
        account_hosts: vec!["192.0.2.11".into()],
        replica: replicating_from("192.0.2.11", "repl"),
        ..Default::default()
    };
    let converged = plan(db1, db2).expect("plans");
    assert_eq!(converged.steps, vec![]);
    assert!(
        converged.decided_after.is_empty(),
        "nothing waits on a restart"
    );
}

#[test]
fn a_replica_whose_server_restarts_needs_no_step_and_is_decided_again_after_it() {
    let p = project();
    let restarting = ["db2".to_string()].into();
    let plan = plan_replication(&p, &p.plays[0], &converged_pair_facts(), None, &restarting)
        .expect("plans");
    assert_eq!(
        plan.steps,
        vec![],
        "db2 resumes by itself (GTID), and the rolling gate waits until it does"
    );
    assert_eq!(plan.decided_after, vec!["db2".to_string()]);
}

#[test]
fn a_limit_to_one_node_of_a_pair_plans_no_direction_and_says_why() {
    let mut p = project();
    p.limit = Some(["db1".to_string()].into());
    let only_db1 = [(
        "db1".to_string(),
        facts(
            "db1",
            ReplicationFacts {
                schemas: shop(),
                ..Default::default()
            },
        ),
    )]
    .into_iter()
    .collect();
    let plan =
        plan_replication(&p, &p.plays[0], &only_db1, None, &Default::default()).expect("plans");
    assert_eq!(plan.steps, vec![]);
    assert_eq!(
        plan.warnings,
        vec![
            "db1 replicating from db2 is not planned: db2 is outside --limit",
            "db2 replicating from db1 is not planned: db2 is outside --limit",
        ]
    );
}
