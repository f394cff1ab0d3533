//! A switchover against scripted hosts: its statements in order, the gate, and the old writer put back
//! when the gate fails; on MariaDB and on MySQL.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use super::*;
use crate::fake::FakeHost;
use crate::plan::{SwitchStep, Switchover};

/// `h2` writes now (read_only OFF) and has written `written`; `h1` is passive and replicates from it.
fn pair(mysql: bool, h1_holds: &str, written: &str) -> (FakeHost, FakeHost) {
    let make = |name: &str| {
        if mysql {
            FakeHost::mysql(name)
        } else {
            FakeHost::new(name)
        }
    };
    let (h1, h2) = (make("h1"), make("h2"));
    {
        let mut s = h1.state();
        s.variables.insert("read_only".into(), "ON".into());
        s.replica = Some(("10.0.0.2".into(), true));
        if mysql {
            s.gtid_written = h1_holds.into();
        } else {
            s.gtid_applied = h1_holds.into();
        }
    }
    {
        let mut s = h2.state();
        s.variables.insert("read_only".into(), "OFF".into());
        s.gtid_written = written.into();
    }
    (h1, h2)
}

fn switchover(mysql: bool, before: Option<&str>) -> Switchover {
    let settings = |on: bool| {
        let value = if on { "ON" } else { "OFF" };
        let mut s = vec![("read_only".to_string(), value.to_string())];
        if mysql {
            s.push(("super_read_only".into(), value.into()));
        }
        if !on {
            s.reverse();
        }
        s
    };
    let mut steps = Vec::new();
    if let Some(command) = before {
        steps.push(SwitchStep::BeforeHook {
            command: command.into(),
        });
    }
    steps.extend([
        SwitchStep::Close {
            host: "h2".into(),
            settings: settings(true),
        },
        SwitchStep::Drain { host: "h2".into() },
        SwitchStep::CatchUp {
            host: "h1".into(),
            from: "h2".into(),
        },
        SwitchStep::Open {
            host: "h1".into(),
            settings: settings(false),
        },
    ]);
    Switchover {
        play: "pair".into(),
        old_writer: "h2".into(),
        new_writer: "h1".into(),
        old_address: "10.0.0.2".into(),
        new_address: "10.0.0.1".into(),
        new_writer_lag: Some(0),
        steps,
        hook_timeout: 10,
    }
}

fn run(s: &Switchover, hosts: &[&FakeHost]) -> (Result<(), ApplyError>, Vec<Event>) {
    let mut links: Links = hosts
        .iter()
        .map(|h| (h.name().to_string(), h.link()))
        .collect();
    let versions: BTreeMap<String, ServerVersion> = hosts
        .iter()
        .map(|h| (h.name().to_string(), h.state().server()))
        .collect();
    let (tx, rx) = mpsc::channel();
    let mut switcher = Switcher {
        links: &mut links,
        versions: &versions,
        timeouts: Timeouts {
            drain: Duration::from_millis(100),
            gate: Duration::from_secs(1),
        },
        events: &tx,
    };
    let result = switcher.run(s);
    drop(tx);
    (result, rx.into_iter().collect())
}

/// Every `SET GLOBAL` of the run, as `host: statement`, in the order the events say they ran.
fn sets(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Step { host, message } if message.starts_with("SET GLOBAL") => {
                Some(format!("{host}: {message}"))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_old_writer_closes_before_the_new_one_catches_up_and_opens() {
    let (h1, h2) = pair(false, "0-2-5", "0-2-9");
    let (result, events) = run(&switchover(false, None), &[&h1, &h2]);
    result.expect("moved");
    assert_eq!(
        sets(&events),
        [
            "h2: SET GLOBAL read_only = ON",
            "h1: SET GLOBAL read_only = OFF"
        ]
    );
    let h1_statements = h1.state().statements.clone();
    assert!(
        h1_statements
            .iter()
            .any(|s| s.starts_with("SELECT MASTER_GTID_WAIT('0-2-9', ")),
        "{h1_statements:?}"
    );
    assert_eq!(h1.state().variables["read_only"], "OFF");
    assert_eq!(h2.state().variables["read_only"], "ON");
}

#[test]
fn on_mysql_super_read_only_is_set_and_the_executed_set_is_waited_for() {
    let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    let (h1, h2) = pair(true, &format!("{uuid}:1-5"), &format!("{uuid}:1-9"));
    let (result, events) = run(&switchover(true, None), &[&h1, &h2]);
    result.expect("moved");
    assert_eq!(
        sets(&events),
        [
            "h2: SET GLOBAL read_only = ON",
            "h2: SET GLOBAL super_read_only = ON",
            "h1: SET GLOBAL super_read_only = OFF",
            "h1: SET GLOBAL read_only = OFF",
        ]
    );
    let waited = h1.state().statements.clone();
    assert!(
        waited
            .iter()
            .any(|s| s.starts_with(&format!("SELECT WAIT_FOR_EXECUTED_GTID_SET('{uuid}:1-9', "))),
        "{waited:?}"
    );
}

#[test]
fn a_failing_gate_puts_the_old_writer_back_and_never_opens_the_new_one() {
    let (h1, h2) = pair(false, "0-2-5", "0-2-9");
    if let Some((_, running)) = h1.state().replica.as_mut() {
        *running = false;
    }
    let (result, events) = run(&switchover(false, None), &[&h1, &h2]);
    let error = result.expect_err("the gate fails");
    let said = error.to_string();
    assert!(said.contains("did not move to h1"), "{said}");
    assert!(said.contains("h2 was put back"), "{said}");
    assert_eq!(
        sets(&events),
        [
            "h2: SET GLOBAL read_only = ON",
            "h2: SET GLOBAL read_only = OFF"
        ]
    );
    assert_eq!(h1.state().variables["read_only"], "ON");
    assert_eq!(h2.state().variables["read_only"], "OFF");
}

#[test]
fn a_failing_before_hook_changes_nothing() {
    let (h1, h2) = pair(false, "0-2-9", "0-2-9");
    let (result, events) = run(&switchover(false, Some("exit 1")), &[&h1, &h2]);
    let said = result.expect_err("the hook fails").to_string();
    assert!(said.contains("Nothing changed"), "{said}");
    assert!(sets(&events).is_empty());
    assert_eq!(h2.state().variables["read_only"], "OFF");
}

#[test]
fn a_hook_is_told_the_writers_and_the_play() {
    let s = switchover(false, None);
    let env: BTreeMap<String, String> = hook_env(&s).into_iter().collect();
    assert_eq!(env["MMPROV_OLD_WRITER"], "h2");
    assert_eq!(env["MMPROV_NEW_WRITER_ADDRESS"], "10.0.0.1");
    assert_eq!(env["MMPROV_PLAY"], "pair");
}
