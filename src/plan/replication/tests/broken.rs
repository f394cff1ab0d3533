//! Replicas stopped on errors: repaired by GTID, switched, or left broken with their fix.

use super::*;

#[test]
fn a_file_position_replica_is_switched_to_gtid_with_the_short_retry_and_back_when_the_play_says() {
    let p = project();
    let mut all = converged_pair_facts();
    if let Some(r) = all
        .get_mut("db2")
        .and_then(|f| f.replication.as_mut())
        .and_then(|r| r.replica.as_mut())
    {
        r.positioning = "No".into();
        r.connect_retry = 60;
    }
    let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
    assert_eq!(
        plan.steps,
        vec![ReplStep::Positioning {
            replica: "db2".into(),
            source: "db1".into(),
            gtid: true,
            reasons: vec![
                PositioningReason::NotGtid,
                PositioningReason::SlowRetry { seconds: 60 }
            ],
        }],
        "only db2 moves; db1 already positions by GTID"
    );
    let mut file_position = p.clone();
    file_position.plays[0].vars.gtid = false;
    let plan = plan_replication(
        &file_position,
        &file_position.plays[0],
        &converged_pair_facts(),
        None,
        &Default::default(),
    )
    .expect("plans");
    assert_eq!(
        plan.steps.len(),
        2,
        "both replicas go back: {:?}",
        plan.steps
    );
    assert!(
        plan.warnings.iter().any(|w| w.contains("gtid: false")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn a_replica_stopped_on_a_hard_error_is_not_switched() {
    let p = project();
    let mut all = converged_pair_facts();
    if let Some(r) = all
        .get_mut("db2")
        .and_then(|f| f.replication.as_mut())
        .and_then(|r| r.replica.as_mut())
    {
        r.positioning = "No".into();
        r.sql_running = "No".into();
        r.last_sql_errno = 1062;
        r.last_sql_error = "Duplicate entry".into();
    }
    let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
    assert!(plan.steps.is_empty(), "{:?}", plan.steps);
    let broken = &plan.broken;
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!((broken[0].replica.as_str(), broken[0].errno), ("db2", 1062));
    assert!(
        broken[0].fix.contains("mmprov skip PLAYBOOK --host db2"),
        "{}",
        broken[0].fix
    );
}

/// The reproduction of a replica restarted into its own error: db2 stopped on 1396, and the password
/// changed. The accounts are set again, but db2 is left as it is (not restarted into the same error).
#[test]
fn a_broken_replica_is_never_restarted_by_a_change_of_credentials() {
    let p = project();
    let mut all = converged_pair_facts();
    if let Some(r) = all
        .get_mut("db2")
        .and_then(|f| f.replication.as_mut())
        .and_then(|r| r.replica.as_mut())
    {
        r.sql_running = "No".into();
        r.last_sql_errno = 1396;
        r.last_sql_error = "Operation CREATE USER failed for 'dup'@'%'".into();
    }
    let old = stored_native("the old one");
    for (host, peer) in [("db1", "192.0.2.12"), ("db2", "192.0.2.11")] {
        if let Some(r) = all.get_mut(host).and_then(|f| f.replication.as_mut()) {
            r.account_passwords.insert(peer.into(), old.clone());
        }
    }
    let changed = password_check("another one");
    let plan = plan_replication(&p, &p.plays[0], &all, Some(&changed), &Default::default())
        .expect("plans");
    assert!(
        !plan.steps.iter().any(|s| matches!(s,
            ReplStep::Credentials { replica, .. } | ReplStep::Start { replica, .. } if replica == "db2")),
        "db2 is not restarted: {:?}",
        plan.steps
    );
    assert!(
        plan.steps
            .iter()
            .any(|s| matches!(s, ReplStep::Credentials { replica, .. } if replica == "db1")),
        "db1 gets the new password: {:?}",
        plan.steps
    );
    assert_eq!(plan.broken.len(), 1);
    assert_eq!(plan.broken[0].errno, 1396);
}

/// A replica positioned by GTID whose source's binary logs were replaced (1236) is repaired by GTID; one
/// on file and position cannot be, and is left broken with `mmprov rebuild` as its fix.
#[test]
fn a_replica_stopped_by_replaced_binary_logs_is_repaired_by_gtid_only() {
    let p = project();
    let broken_by_1236 = |positioning: &str| {
        let mut all = converged_pair_facts();
        if let Some(r) = all
            .get_mut("db1")
            .and_then(|f| f.replication.as_mut())
            .and_then(|r| r.replica.as_mut())
        {
            r.positioning = positioning.into();
            r.io_running = "No".into();
            r.last_io_errno = 1236;
            r.last_io_error = "could not find next log".into();
        }
        plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans")
    };
    let by_gtid = broken_by_1236("Slave_Pos");
    assert!(
        broken_by_1236("1").steps.len() == 1,
        "MySQL's auto position is GTID too"
    );
    assert_eq!(
        by_gtid.steps,
        vec![ReplStep::Repair {
            replica: "db1".into(),
            source: "db2".into(),
            errno: 1236,
            error: "could not find next log".into(),
        }]
    );
    assert!(by_gtid.broken.is_empty());

    let by_file = broken_by_1236("No");
    assert!(by_file.steps.is_empty(), "{:?}", by_file.steps);
    assert!(
        by_file.broken[0]
            .fix
            .contains("mmprov rebuild PLAYBOOK --host db1")
    );
}
