//! Accounts, passwords and TLS: set again, switched, never weakened.

use super::*;

/// A server that replicates over TLS by default (MySQL 8+, MariaDB 11) is left so by a play that does
/// not set `replication_tls`: the first apply's state is the final one, and TLS is never turned off.
#[test]
fn a_play_without_replication_tls_never_turns_tls_off() {
    let p = project();
    let mut all = converged_pair_facts();
    for (host, peer) in [("db1", "192.0.2.12"), ("db2", "192.0.2.11")] {
        if let Some(r) = all.get_mut(host).and_then(|f| f.replication.as_mut()) {
            r.tls_account_hosts.push(peer.into());
            if let Some(s) = r.replica.as_mut() {
                s.tls.enabled = true;
            }
        }
    }
    let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
    assert!(plan.steps.is_empty(), "{:?}", plan.steps);
}

#[test]
fn another_account_changes_credentials_only_never_the_source() {
    let db1 = ReplicationFacts {
        schemas: shop(),
        account_hosts: vec!["192.0.2.12".into()],
        replica: replicating_from("192.0.2.12", "old"),
        ..Default::default()
    };
    let db2 = ReplicationFacts {
        schemas: shop(),
        account_hosts: vec!["192.0.2.11".into()],
        replica: replicating_from("192.0.2.11", "repl"),
        ..Default::default()
    };
    let steps = plan(db1, db2).expect("plans").steps;
    assert_eq!(
        steps,
        vec![ReplStep::Credentials {
            replica: "db1".into(),
            source: "db2".into(),
            user: "repl".into()
        }]
    );
}

#[test]
fn a_replica_without_the_wanted_tls_is_switched_keeping_its_position() {
    let mut p = project();
    p.plays[0].vars.replication_tls = Some(crate::model::ReplicationTls {
        ca: "/tls/ca.pem".into(),
        cert: "/tls/cert.pem".into(),
        key: "/tls/key.pem".into(),
        verify_server_cert: true,
    });
    let node = |peer: &str| ReplicationFacts {
        schemas: shop(),
        account_hosts: vec![peer.into()],
        tls_account_hosts: vec![peer.into()],
        replica: replicating_from(peer, "repl"),
        ..Default::default()
    };
    let all = [
        ("db1".to_string(), facts("db1", node("192.0.2.12"))),
        ("db2".to_string(), facts("db2", node("192.0.2.11"))),
    ]
    .into_iter()
    .collect();
    let steps = plan_replication(&p, &p.plays[0], &all, None, &Default::default())
        .expect("plans")
        .steps;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert!(
        steps
            .iter()
            .all(|s| matches!(s, ReplStep::Tls { tls: Some(_), .. }))
    );

    let mut db2 = facts("db2", node("192.0.2.11"));
    db2.missing_files = vec!["/tls/key.pem".into()];
    let all = [
        ("db1".to_string(), facts("db1", node("192.0.2.12"))),
        ("db2".to_string(), db2),
    ]
    .into_iter()
    .collect();
    let refusal =
        plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect_err("refused");
    assert_eq!(
        refusal.message,
        "db2 lacks the replication_tls files: key /tls/key.pem (missing or unreadable)"
    );
}

#[test]
fn an_account_set_again_gives_the_replica_using_it_the_password_too() {
    let db1 = ReplicationFacts {
        schemas: shop(),
        account_hosts: vec![],
        replica: replicating_from("192.0.2.12", "repl"),
        ..Default::default()
    };
    let db2 = ReplicationFacts {
        schemas: shop(),
        account_hosts: vec!["192.0.2.11".into()],
        replica: replicating_from("192.0.2.11", "repl"),
        ..Default::default()
    };
    let steps = plan(db1, db2).expect("plans").steps;
    assert_eq!(
        steps,
        vec![
            ReplStep::Account {
                source: "db1".into(),
                replica: "db2".into(),
                replica_address: "192.0.2.12".into(),
                user: "repl".into(),
                tls: false,
                reason: AccountReason::Missing,
            },
            ReplStep::Credentials {
                replica: "db2".into(),
                source: "db1".into(),
                user: "repl".into(),
            },
        ]
    );
}

#[test]
fn a_changed_replication_password_resets_accounts_and_replicas_and_the_same_one_nothing() {
    let node = |peer: &str, password: &str| ReplicationFacts {
        schemas: shop(),
        account_hosts: vec![peer.into()],
        account_passwords: [(peer.to_string(), stored_native(password))].into(),
        replica: replicating_from(peer, "repl"),
        ..Default::default()
    };
    let p = project();
    let all = [
        ("db1".to_string(), facts("db1", node("192.0.2.12", "old"))),
        ("db2".to_string(), facts("db2", node("192.0.2.11", "old"))),
    ]
    .into_iter()
    .collect();
    let same = password_check("old");
    let unchanged =
        plan_replication(&p, &p.plays[0], &all, Some(&same), &Default::default()).expect("plans");
    assert_eq!(unchanged.steps, vec![]);
    let rotated = password_check("new");
    let steps = plan_replication(&p, &p.plays[0], &all, Some(&rotated), &Default::default())
        .expect("plans")
        .steps;
    let accounts = steps
        .iter()
        .filter(|s| {
            matches!(
                s,
                ReplStep::Account {
                    reason: AccountReason::PasswordChanged,
                    ..
                }
            )
        })
        .count();
    let credentials = steps
        .iter()
        .filter(|s| matches!(s, ReplStep::Credentials { .. }))
        .count();
    assert_eq!((accounts, credentials, steps.len()), (2, 2, 4), "{steps:?}");
}
