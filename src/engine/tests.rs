//! The engine's decision after the host steps, against scripted hosts: replication decided again runs as
//! shown only when it is the same in kind; otherwise the new steps come back, and nothing runs.

use std::collections::BTreeMap;

use super::{Decided, Engine, Planned};
use crate::fake::FakeHost;
use crate::model::Project;
use crate::plan::{Plan, ReplStep, ReplicationPlan, StartReason};

const DB1: &str = "192.0.2.11";
const DB2: &str = "192.0.2.12";

fn project() -> Project {
    let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
    crate::load::load(path, &Default::default()).expect("fixture loads")
}

/// The fixture's pair (db1, db2) replicating both ways; db2's threads as `db2_running` says.
fn pair(db2_running: bool) -> (FakeHost, FakeHost) {
    let (db1, db2) = (FakeHost::new("db1"), FakeHost::new("db2"));
    for (host, peer, running) in [(&db1, DB2, true), (&db2, DB1, db2_running)] {
        let mut s = host.state();
        s.accounts = vec![peer.to_string()];
        s.replica = Some((peer.to_string(), running));
    }
    (db1, db2)
}

/// What the plan showed: db2 restarts, so its replication is started after it and decided again then.
fn shown(decided_after: Vec<String>) -> Plan {
    Plan {
        hosts: vec![],
        replication: vec![ReplicationPlan {
            play: "orders pair".into(),
            steps: vec![ReplStep::Start {
                replica: "db2".into(),
                source: "db1".into(),
                reason: StartReason::Stopped,
            }],
            warnings: vec![],
            decided_after,
            broken: vec![],
        }],
        gtid_moves: vec![],
        interleavings: Vec::new(),
        switchovers: Vec::new(),
        rejoins: Vec::new(),
    }
}

fn planned(plan: Plan, hosts: &[&FakeHost]) -> Planned {
    Planned {
        plan,
        facts: BTreeMap::new(),
        links: hosts
            .iter()
            .map(|h| (h.name().to_string(), h.link()))
            .collect(),
    }
}

#[test]
fn replication_decided_again_the_same_in_kind_runs_as_shown() {
    let project = project();
    let (db1, db2) = pair(false);
    let mut planned = planned(shown(vec!["db2".into()]), &[&db1, &db2]);
    let decided = Engine::reading(&project, 2)
        .decide_replication(&mut planned)
        .expect("decides");
    let Decided::AsShown(plans) = decided else {
        panic!("expected the shown steps: {decided:?}");
    };
    assert_eq!(plans, planned.plan.replication);
    assert!(
        !db2.state().commands.is_empty(),
        "db2 was read again after its restart"
    );
}

#[test]
fn replication_decided_again_otherwise_comes_back_to_be_confirmed() {
    let project = project();
    let (db1, db2) = pair(false);
    // While db2 restarted, the account it replicates with went from db1.
    db1.state().accounts.clear();
    let mut planned = planned(shown(vec!["db2".into()]), &[&db1, &db2]);
    let decided = Engine::reading(&project, 2)
        .decide_replication(&mut planned)
        .expect("decides");
    let Decided::Changed(plans) = decided else {
        panic!("expected new steps: {decided:?}");
    };
    assert!(
        plans[0]
            .steps
            .iter()
            .any(|s| matches!(s, ReplStep::Account { source, .. } if source == "db1")),
        "{plans:?}"
    );
    assert!(
        db1.state()
            .statements
            .iter()
            .all(|s| !s.contains("CREATE USER") && !s.contains("GRANT")),
        "nothing of the new steps ran"
    );
}

#[test]
fn replication_that_waits_on_no_restart_is_not_read_again() {
    let project = project();
    let (db1, db2) = pair(false);
    let mut planned = planned(shown(vec![]), &[&db1, &db2]);
    let decided = Engine::reading(&project, 2)
        .decide_replication(&mut planned)
        .expect("decides");
    assert!(matches!(decided, Decided::AsShown(_)));
    assert!(db1.state().commands.is_empty() && db2.state().commands.is_empty());
}
