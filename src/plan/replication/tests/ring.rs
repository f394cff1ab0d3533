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

/// MySQL without GTIDs has no way to carry a seed's coordinates from the seed source's binary log to
/// another node's: a newcomer seeded from db1 but replicating from db2 would miss what db2 wrote meanwhile,
/// so the plan is refused with the two ways out.
#[test]
fn a_mysql_newcomer_on_file_and_position_is_refused_where_the_seed_cannot_carry_over() {
    let p = ring_project(&["db1", "db2", "db3"], false);
    let mysql = crate::flavor::ServerVersion::parse_hint("mysql-8.4.3").expect("version");
    let on_mysql = |mut f: HostFacts| {
        f.server = Some(mysql);
        f
    };
    let all = [
        ("db1", member("db1", "192.0.2.12", &["192.0.2.12"], false)),
        ("db2", member("db2", "192.0.2.11", &["192.0.2.11"], false)),
        ("db3", facts("db3", Default::default())),
    ]
    .map(|(h, f)| (h.to_string(), on_mysql(f)))
    .into();
    let refused =
        plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect_err("refused");
    assert!(
        refused
            .message
            .contains("db3 would be seeded from db1 but replicate from db2"),
        "{refused:?}"
    );
    assert!(
        refused
            .help
            .as_deref()
            .is_some_and(|h| h.contains("`gtid: true`") && h.contains("`seed_from: db2`")),
        "{refused:?}"
    );
    // MariaDB carries it over through its GTID domains: the same ring grows.
    let plan = growing_pair(false);
    assert!(
        kinds(&plan).iter().any(|k| k == "Seed"),
        "{:?}",
        kinds(&plan)
    );
}
