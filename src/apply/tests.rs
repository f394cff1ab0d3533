//! Host steps against scripted hosts (`crate::fake`): writing, backing up, restarting, waiting, verifying and
//! rolling back, and how one host's failure leaves the others. The lab tests prove the same on real servers.

use std::sync::mpsc;
use std::time::Duration;

use super::{ApplyError, ApplyOptions, Event, apply_hosts};
use crate::fake::{FakeHost, LOG, RESTART};
use crate::link::Links;
use crate::plan::{HostPlan, Plan, RestartReason, Step};

const CNF: &str = "/etc/mysql/mariadb.conf.d/60-mmprov.cnf";
const OLD: &str = "[mysqld]\nmax_binlog_size = 100M\n";
const NEW: &str = "[mysqld]\nmax_binlog_size = 100M\nlog-bin = /var/log/mysql/mysql-bin.log\n";
const FATAL: &str = "[mysqld]\nlog-bin = /var/log/mysql/mysql-bin.log\nno_such_option = 1\n";

fn write(before: Option<&str>, after: &str) -> Step {
    Step::WriteConfig {
        path: CNF.into(),
        before: before.map(str::to_string),
        after: after.into(),
    }
}

fn restart() -> Step {
    Step::Restart {
        command: RESTART.into(),
        reasons: vec![RestartReason::Unverifiable {
            variable: "log_bin".into(),
        }],
    }
}

fn host_plan(host: &str, steps: Vec<Step>) -> HostPlan {
    HostPlan {
        host: host.into(),
        server: "MariaDB 10.11.0".into(),
        fingerprint: String::new(),
        steps,
        warnings: vec![],
        log_error: Some(LOG.into()),
        socket: None,
        rolling: None,
    }
}

/// A host whose server runs with `config` in mmprov's file (none: no file).
fn host(name: &str, config: Option<&str>) -> FakeHost {
    let host = FakeHost::new(name).fatal_option("no_such_option");
    match config {
        Some(text) => host.with_file(CNF, text),
        None => host,
    }
}

/// Apply `plan` to `hosts`: the result and every event sent.
fn apply(plan: &Plan, hosts: &[&FakeHost]) -> (Result<(), ApplyError>, Vec<Event>) {
    let mut links: Links = hosts
        .iter()
        .map(|h| (h.name().to_string(), h.link()))
        .collect();
    let options = ApplyOptions {
        forks: 4,
        serve_timeout: Duration::from_millis(300),
        gate_timeout: Duration::from_millis(500),
    };
    let versions = hosts
        .iter()
        .map(|h| {
            (
                h.name().to_string(),
                crate::flavor::ServerVersion::DEBIAN_DEFAULT,
            )
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    let result = apply_hosts(plan, &mut links, &options, &versions, &tx);
    drop(tx);
    (result, rx.into_iter().collect())
}

/// Apply `steps` to one host.
fn apply_one(host: &FakeHost, steps: Vec<Step>) -> (Result<(), ApplyError>, Vec<Event>) {
    apply(&plan(vec![host_plan(host.name(), steps)]), &[host])
}

fn plan(hosts: Vec<HostPlan>) -> Plan {
    Plan {
        hosts,
        replication: vec![],
        gtid_moves: vec![],
        interleavings: Vec::new(),
        switchovers: Vec::new(),
        rejoins: Vec::new(),
    }
}

fn failures(result: Result<(), ApplyError>) -> Vec<ApplyError> {
    match result {
        Err(ApplyError::Hosts { failed }) => failed,
        other => panic!("expected host failures, got {other:?}"),
    }
}

#[test]
fn a_changed_config_is_backed_up_written_restarted_into_and_verified() {
    let h1 = host("h1", Some(OLD));
    let (result, events) = apply_one(&h1, vec![write(Some(OLD), NEW), restart()]);
    result.expect("applies");
    let s = h1.state();
    assert_eq!(s.files.get(CNF).map(String::as_str), Some(NEW));
    let backups: Vec<&String> = s
        .files
        .keys()
        .filter(|p| p.contains(".mmprov-backup-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(s.files.get(backups[0]).map(String::as_str), Some(OLD));
    assert_eq!(s.restarts, 1);
    assert_eq!(s.variables.get("log_bin").map(String::as_str), Some("ON"));
    assert!(events.contains(&Event::Done {
        host: "h1".into(),
        steps: 2
    }));
}

#[test]
fn a_server_that_does_not_come_back_gets_its_previous_config_and_is_started_with_it() {
    let h1 = host("h1", Some(OLD));
    let (result, _) = apply_one(&h1, vec![write(Some(OLD), FATAL), restart()]);
    let failed = failures(result);
    let Some(ApplyError::RolledBack { host, server_said }) = failed.first() else {
        panic!("expected a rollback: {failed:?}");
    };
    assert_eq!(host, "h1");
    assert!(
        server_said.contains("unknown variable 'no_such_option'"),
        "{server_said}"
    );
    let s = h1.state();
    assert_eq!(
        s.files.get(CNF).map(String::as_str),
        Some(OLD),
        "the old file is back"
    );
    assert!(s.running, "and the server runs with it");
    assert_eq!(
        s.restarts, 2,
        "the failed start, then the start with the old file"
    );
}

#[test]
fn a_new_file_that_stops_the_server_is_removed_and_the_server_started_without_it() {
    let h1 = host("h1", None);
    let (result, _) = apply_one(&h1, vec![write(None, FATAL), restart()]);
    assert!(matches!(
        failures(result).first(),
        Some(ApplyError::RolledBack { .. })
    ));
    let s = h1.state();
    assert!(!s.files.contains_key(CNF), "the new file is gone");
    assert!(s.running);
}

#[test]
fn when_the_previous_config_does_not_start_either_the_error_says_both() {
    let h1 = host("h1", Some(OLD));
    h1.state().files.insert(
        "/etc/mysql/conf.d/local.cnf".into(),
        "[mysqld]\nno_such_option = 2\n".into(),
    );
    let (result, _) = apply_one(&h1, vec![write(Some(OLD), NEW), restart()]);
    let failed = failures(result);
    assert!(
        matches!(failed.first(), Some(ApplyError::RollbackFailed { host, .. }) if host == "h1"),
        "{failed:?}"
    );
    assert!(!h1.state().running);
}

#[test]
fn a_setting_another_file_overrides_fails_the_check_after_the_restart() {
    let h1 = host("h1", Some(OLD));
    h1.state().overrides.insert("log_bin".into(), "OFF".into());
    let (result, _) = apply_one(&h1, vec![write(Some(OLD), NEW), restart()]);
    let failed = failures(result);
    let Some(ApplyError::NotLoaded { settings, .. }) = failed.first() else {
        panic!("expected the loaded settings to be checked: {failed:?}");
    };
    assert!(settings.contains("log_bin=OFF (file: ON)"), "{settings}");
}

#[test]
fn a_dynamic_setting_is_set_live_without_a_restart() {
    let h1 = host("h1", Some(OLD));
    let step = Step::SetGlobal {
        variable: "max_binlog_size".into(),
        value: "1048576".into(),
        live: "104857600".into(),
    };
    let (result, _) = apply_one(&h1, vec![step]);
    result.expect("applies");
    let s = h1.state();
    assert_eq!(
        s.statements,
        vec!["SET GLOBAL max_binlog_size = 1048576".to_string()]
    );
    assert_eq!(s.restarts, 0);
}

#[test]
fn a_restart_of_a_server_that_is_down_for_another_reason_fails_with_its_own_words() {
    let h1 = host("h1", None);
    h1.state().files.insert(
        "/etc/mysql/conf.d/local.cnf".into(),
        "[mysqld]\nno_such_option = 2\n".into(),
    );
    let (result, _) = apply_one(&h1, vec![restart()]);
    let failed = failures(result);
    let Some(ApplyError::StartFailed { server_said, .. }) = failed.first() else {
        panic!("expected a start failure: {failed:?}");
    };
    assert!(server_said.contains("no_such_option"), "{server_said}");
    assert!(
        h1.state().files.contains_key("/etc/mysql/conf.d/local.cnf"),
        "nothing of the host's own is touched"
    );
}

#[test]
fn one_failing_host_leaves_the_others_finishing_and_hosts_without_steps_untouched() {
    let (h1, h2, h3) = (
        host("h1", Some(OLD)),
        host("h2", Some(OLD)),
        host("h3", Some(OLD)),
    );
    let plan = plan(vec![
        host_plan("h1", vec![write(Some(OLD), FATAL), restart()]),
        host_plan("h2", vec![write(Some(OLD), NEW), restart()]),
        host_plan("h3", vec![]),
    ]);
    let (result, events) = apply(&plan, &[&h1, &h2, &h3]);
    assert_eq!(failures(result).len(), 1);
    assert_eq!(h2.state().files.get(CNF).map(String::as_str), Some(NEW));
    assert!(events.contains(&Event::Done {
        host: "h2".into(),
        steps: 2
    }));
    assert!(
        h3.state().commands.is_empty(),
        "h3 had nothing to do: {:?}",
        h3.state().commands
    );
}

#[test]
fn a_host_without_a_connection_fails_by_name_and_nothing_runs() {
    let h1 = host("h1", Some(OLD));
    let (result, _) = apply(&plan(vec![host_plan("h2", vec![restart()])]), &[&h1]);
    assert!(
        matches!(failures(result).first(), Some(ApplyError::NoConnection { host }) if host == "h2")
    );
    assert!(h1.state().commands.is_empty());
}

/// h1 and h2 of a live pair, each replicating from the other, both restarting one after the other: h1 in
/// batch 0, h2 in batch 1, each gate on what ran before.
fn rolling_pair() -> (FakeHost, FakeHost, Plan) {
    let (h1, h2) = (host("h1", Some(OLD)), host("h2", Some(OLD)));
    h1.state().replica = Some(("h2".into(), true));
    h2.state().replica = Some(("h1".into(), true));
    let rolled = |name: &str, peer: &str, batch: usize| {
        let mut plan = host_plan(name, vec![write(Some(OLD), NEW), restart()]);
        plan.rolling = Some(crate::plan::Rolling {
            play: "pair".into(),
            batch,
            batches: 2,
            serial: 1,
            gate: crate::plan::Gate {
                replicates_from: Some(peer.into()),
                starts_replica: false,
                feeds: vec![peer.into()],
            },
        });
        plan
    };
    let plan = plan(vec![rolled("h1", "h2", 0), rolled("h2", "h1", 1)]);
    (h1, h2, plan)
}

#[test]
fn a_live_pair_restarts_one_node_at_a_time_each_after_the_previous_gate_passed() {
    let (h1, h2, plan) = rolling_pair();
    let (result, events) = apply(&plan, &[&h1, &h2]);
    result.expect("rolls");
    assert_eq!((h1.state().restarts, h2.state().restarts), (1, 1));
    let order: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Step { host, message }
                if message.starts_with("restarting") || message == "gate passed" =>
            {
                Some(format!("{host}: {message}"))
            }
            _ => None,
        })
        .map(|m| m.split(" (").next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        order,
        [
            "h1: restarting mysqld",
            "h1: gate passed",
            "h2: restarting mysqld",
            "h2: gate passed"
        ]
    );
}

#[test]
fn a_gate_that_does_not_pass_stops_the_rollout_and_leaves_the_next_node_untouched() {
    let (h1, h2, plan) = rolling_pair();
    // h1 comes back, but its replica does not run: the gate waits, then fails.
    h1.state().replica = Some(("h2".into(), false));
    let (result, _) = apply(&plan, &[&h1, &h2]);
    let failed = failures(result);
    assert!(
        matches!(&failed[0], ApplyError::GateFailed { host, detail, .. }
            if host == "h1" && detail.contains("IO thread No")),
        "{failed:?}"
    );
    assert!(
        matches!(&failed[1], ApplyError::RolloutStopped { play, at, untouched }
            if play == "pair" && at == "h1" && untouched == "h2"),
        "{failed:?}"
    );
    assert_eq!(h1.state().restarts, 1, "h1 restarted into its new config");
    let h2 = h2.state();
    assert_eq!(h2.restarts, 0, "h2 is not restarted");
    assert_eq!(
        h2.files.get(CNF).map(String::as_str),
        Some(OLD),
        "nor written"
    );
}
