//! Carrying out a MySQL group's move to `gtid_mode = ON`, stage by stage (see `plan::gtid_move`): each
//! stage on every server it names, one at a time, before the next stage; the drain waits (bounded) until no
//! anonymous transaction runs anywhere and every replica has applied its source's log up to that point.

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use super::emit;
use super::{ApplyError, Event};
use crate::flavor::{Flavor, ServerVersion};
use crate::link::{HostLink, Links};
use crate::plan::{GtidMove, GtidStage};
use crate::sql::{SqlError, SqlExecutor};

/// How long the drain may take, per wait.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);

pub(super) struct Mover<'a> {
    pub links: &'a mut Links,
    pub versions: &'a BTreeMap<String, ServerVersion>,
    pub events: &'a Sender<Event>,
}

impl Mover<'_> {
    fn flavor(&self, host: &str) -> Result<Box<dyn Flavor + Send + Sync>, ApplyError> {
        super::flavor_of(self.versions, host)
    }

    fn link(&mut self, host: &str) -> Result<&mut HostLink, ApplyError> {
        super::link(self.links, host)
    }

    fn say(&self, host: &str, message: String) {
        emit(
            self.events,
            Event::Step {
                host: host.to_string(),
                message,
            },
        );
    }

    pub fn run(&mut self, gtid_move: &GtidMove) -> Result<(), ApplyError> {
        for stage in &gtid_move.stages {
            match stage {
                GtidStage::Set {
                    variable,
                    value,
                    hosts,
                } => {
                    for host in hosts {
                        let sql = format!("SET GLOBAL {variable} = {value}");
                        self.say(host, sql.clone());
                        self.link(host)?.sql().execute("moving to GTID", &sql)?;
                    }
                }
                GtidStage::DrainAnonymous { hosts, directions } => {
                    for host in hosts {
                        self.no_anonymous_transaction(host)?;
                    }
                    for (replica, source) in directions {
                        self.applied_up_to_now(replica, source)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Wait until the server runs no anonymous transaction.
    fn no_anonymous_transaction(&mut self, host: &str) -> Result<(), ApplyError> {
        self.say(host, "waiting until no anonymous transaction runs".into());
        let what = "counting anonymous transactions";
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        loop {
            let rows = self.link(host)?.sql().query(
                what,
                "SHOW GLOBAL STATUS WHERE Variable_name = 'Ongoing_anonymous_transaction_count'",
            )?;
            let row = rows.first().ok_or_else(|| SqlError::Unreadable {
                host: host.to_string(),
                what: what.into(),
                detail: "no row".into(),
            })?;
            let count: u64 = row
                .number(&["Value"])
                .map_err(|e| SqlError::unreadable(host, what, e))?;
            if count == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ApplyError::GtidMove {
                    host: host.to_string(),
                    detail: format!(
                        "{count} anonymous transaction(s) still running after {} s",
                        DRAIN_TIMEOUT.as_secs()
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Wait until `replica` has applied `source`'s binary log up to where it is now.
    fn applied_up_to_now(&mut self, replica: &str, source: &str) -> Result<(), ApplyError> {
        let source_flavor = self.flavor(source)?;
        let what = "reading the binary log position";
        let rows = self
            .link(source)?
            .sql()
            .query(what, source_flavor.binlog_status())?;
        let row = rows.first().ok_or_else(|| ApplyError::GtidMove {
            host: source.to_string(),
            detail: "it writes no binary log".into(),
        })?;
        let unreadable = |e| SqlError::unreadable(source, what, e);
        let file = row.text(&["File"]).map_err(unreadable)?.to_string();
        let pos: u64 = row.number(&["Position"]).map_err(unreadable)?;
        self.say(
            replica,
            format!("waiting until it has applied {source}'s log up to {file}:{pos}"),
        );
        let query =
            self.flavor(replica)?
                .wait_for_source_position(&file, pos, DRAIN_TIMEOUT.as_secs());
        let what = "waiting for the replica";
        let rows = self.link(replica)?.sql().query(what, &query)?;
        let waited = rows
            .first()
            .map(|r| r.nullable(&["waited"]))
            .transpose()
            .map_err(|e| SqlError::unreadable(replica, what, e))?
            .flatten();
        match waited.map(str::trim) {
            Some(n) if !n.starts_with('-') => Ok(()),
            other => Err(ApplyError::GtidMove {
                host: replica.to_string(),
                detail: match other {
                    Some(_) => format!("it did not reach {source}'s {file}:{pos} in time"),
                    None => format!("it does not replicate from {source}, so it cannot catch up"),
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;
    use crate::fake::FakeHost;

    #[test]
    fn every_server_passes_each_stage_before_any_passes_the_next_and_the_drain_waits_in_between() {
        let (m1, m2) = (FakeHost::new("m1"), FakeHost::new("m2"));
        m1.state().replica = Some(("192.0.2.12".into(), true));
        m2.state().replica = Some(("192.0.2.11".into(), true));
        let mut links: Links =
            [("m1".to_string(), m1.link()), ("m2".to_string(), m2.link())].into();
        let mysql = ServerVersion::parse_hint("mysql-8.0.36").expect("hint");
        let versions = [("m1".to_string(), mysql), ("m2".to_string(), mysql)].into();
        let (tx, rx) = mpsc::channel();
        let both = vec!["m1".to_string(), "m2".to_string()];
        let gtid_move = GtidMove {
            play: "p".into(),
            stages: vec![
                GtidStage::Set {
                    variable: "gtid_mode".into(),
                    value: "ON_PERMISSIVE".into(),
                    hosts: both.clone(),
                },
                GtidStage::DrainAnonymous {
                    hosts: both.clone(),
                    directions: vec![("m2".into(), "m1".into()), ("m1".into(), "m2".into())],
                },
                GtidStage::Set {
                    variable: "gtid_mode".into(),
                    value: "ON".into(),
                    hosts: both,
                },
            ],
        };
        Mover {
            links: &mut links,
            versions: &versions,
            events: &tx,
        }
        .run(&gtid_move)
        .expect("moves");
        drop(tx);
        let said: Vec<String> = rx
            .into_iter()
            .filter_map(|e| match e {
                Event::Step { host, message } => Some(format!("{host}: {message}")),
                _ => None,
            })
            .collect();
        assert_eq!(
            said,
            [
                "m1: SET GLOBAL gtid_mode = ON_PERMISSIVE",
                "m2: SET GLOBAL gtid_mode = ON_PERMISSIVE",
                "m1: waiting until no anonymous transaction runs",
                "m2: waiting until no anonymous transaction runs",
                "m2: waiting until it has applied m1's log up to mysql-bin.000003:1234",
                "m1: waiting until it has applied m2's log up to mysql-bin.000003:1234",
                "m1: SET GLOBAL gtid_mode = ON",
                "m2: SET GLOBAL gtid_mode = ON",
            ]
        );
        assert_eq!(
            m2.state().statements.last().map(String::as_str),
            Some("SET GLOBAL gtid_mode = ON")
        );
        assert!(
            m2.state()
                .statements
                .iter()
                .any(|s| s == "SELECT SOURCE_POS_WAIT('mysql-bin.000003', 1234, 300) AS waited"),
            "{:?}",
            m2.state().statements
        );

        // A replica that does not run cannot catch up: the move stops before `ON`, on no server.
        m2.state().replica = None;
        let (tx, _rx) = mpsc::channel();
        let stopped = Mover {
            links: &mut links,
            versions: &versions,
            events: &tx,
        }
        .run(&gtid_move)
        .expect_err("m2 cannot catch up");
        assert!(
            matches!(&stopped, ApplyError::GtidMove { host, .. } if host == "m2"),
            "{stopped:?}"
        );
        let sets_on = |h: &FakeHost| {
            h.state()
                .statements
                .iter()
                .filter(|s| s.as_str() == "SET GLOBAL gtid_mode = ON")
                .count()
        };
        assert_eq!((sets_on(&m1), sets_on(&m2)), (1, 1), "ON was not set again");
    }
}
