//! Rings that grow and shrink: newcomers seeded, replicas moved by GTID, positions carried through GTID.

use super::*;

#[test]
fn a_pair_growing_into_a_ring_seeds_the_newcomer_and_moves_a_replica_onto_it_by_gtid() {
    let plan = growing_pair(true);
    assert_eq!(
        kinds(&plan),
        ["Account", "Account", "Seed", "Connect", "Move"]
    );
    assert!(plan.steps.iter().any(|s| matches!(s,
        ReplStep::Connect { replica, source, position: Position::Seed, gtid: true, .. }
            if replica == "db3" && source == "db2")));
    assert!(plan.steps.iter().any(|s| matches!(s,
        ReplStep::Move { replica, from, source, .. }
            if replica == "db1" && from == "db2" && source == "db3")));
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn a_ring_shrinking_closes_around_the_node_that_left_and_says_what_that_node_keeps() {
    let p = ring_project(&["db1", "db2"], true);
    let all = [
        (
            "db1".to_string(),
            member("db1", "192.0.2.13", &["192.0.2.12", "192.0.2.13"], true),
        ),
        (
            "db2".to_string(),
            member("db2", "192.0.2.11", &["192.0.2.11"], true),
        ),
    ]
    .into();
    let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
    assert_eq!(kinds(&plan), ["Move"]);
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("writes made on db3 reach no node")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_file_position_ring_carries_positions_through_gtid_and_goes_back_to_file_and_position() {
    let plan = growing_pair(false);
    assert_eq!(
        kinds(&plan),
        [
            "Account",
            "Account",
            "Seed",
            "Connect",
            "Positioning",
            "Move",
            "Positioning"
        ]
    );
    assert!(plan.steps.iter().any(|s| matches!(s,
        ReplStep::Connect { replica, position: Position::Seed, gtid: true, .. } if replica == "db3")));
    assert!(
        plan.steps
            .iter()
            .all(|s| !matches!(s, ReplStep::Positioning { gtid: true, .. }))
    );
}

#[test]
fn a_replica_elsewhere_stopped_on_an_error_is_connected_again_not_moved() {
    let p = ring_project(&["db1", "db2"], true);
    let mut db1 = member("db1", "192.0.2.13", &["192.0.2.12"], true);
    if let Some(r) = db1.replication.as_mut().and_then(|r| r.replica.as_mut()) {
        r.last_sql_errno = 1062;
    }
    let all = [
        ("db1".to_string(), db1),
        (
            "db2".to_string(),
            member("db2", "192.0.2.11", &["192.0.2.11"], true),
        ),
    ]
    .into();
    let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
    assert!(
        plan.steps
            .iter()
            .all(|s| !matches!(s, ReplStep::Move { .. })),
        "{:?}",
        plan.steps
    );
}
