//! The one verdict on a replica's health, used by the plan, the rolling gates, apply, rebuild and status
//! alike. Pure: the polling loop that feeds it lives with the links (`apply::watch`).
//!
//! 1. [`judge`] reads one look at a replica's status: broken (an error retrying will not clear), retrying a
//!    source it cannot reach, stopped with no error (by an operator, or a server started without its
//!    replicas), catching up, or healthy.
//! 2. One look at `Slave_SQL_Running: Yes` is not enough after a start: a replica restarted into its old
//!    error says Yes for a moment. [`Evidence`] holds what the source had written and where the replica stood
//!    when the watch began; [`Evidence::judge`] calls a running replica healthy only once it has applied
//!    past where it stood, or holds everything its source had written.

use serde::Serialize;

use super::{ReplicaStatus, ThreadState, explain, gtid};

/// A replica's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Both threads run without error, and it has shown that it applies what its source writes.
    Healthy,
    /// Both threads run without error, but it has not yet applied what its source holds.
    CatchingUp { seconds_behind: Option<u64> },
    /// Its IO thread keeps trying to reach a source it cannot reach (yet): `errno` 0 while it is still
    /// connecting for the first time.
    Retrying { errno: u32, error: String },
    /// Its threads are stopped with no error: nothing starts them again but a START.
    Stopped {
        io_running: ThreadState,
        sql_running: ThreadState,
    },
    /// Stopped on an error that retrying will not clear.
    Broken { errno: u32, error: String },
    /// It does not replicate from this source: from nothing, from elsewhere, or its server does not run.
    NotReplicating { why: String },
}

/// What a replica stopped without an error means, and the fix.
const STOPPED_WITHOUT_ERROR: &str = "stopped without an error: nothing starts it again (a server started \
     with skip-slave-start, or a STOP nobody undid) while the other node keeps taking writes, so the nodes \
     drift apart. `mmprov apply` starts it (planned as a start); so does START SLAVE on the replica.";

/// Errors of a replica's IO thread that it retries by itself: its source cannot be reached (yet).
pub fn retryable(errno: u32) -> bool {
    matches!(errno, 2003 | 2005 | 2013)
}

/// The verdict of one look at a replica pointed at its source.
pub fn judge(s: &ReplicaStatus) -> Verdict {
    match s.error() {
        Some((errno, text)) if retryable(errno) => Verdict::Retrying {
            errno,
            error: text.to_string(),
        },
        Some((errno, text)) => Verdict::Broken {
            errno,
            error: text.to_string(),
        },
        None if s.io_running == ThreadState::Connecting && s.sql_running.is_running() => {
            Verdict::Retrying {
                errno: 0,
                error: String::new(),
            }
        }
        None if !s.io_running.is_running() || !s.sql_running.is_running() => Verdict::Stopped {
            io_running: s.io_running.clone(),
            sql_running: s.sql_running.clone(),
        },
        None if s.caught_up() => Verdict::Healthy,
        None => Verdict::CatchingUp {
            seconds_behind: s.seconds_behind,
        },
    }
}

impl Verdict {
    pub fn is_healthy(&self) -> bool {
        matches!(self, Verdict::Healthy)
    }

    /// Whether waiting longer cannot change it: healthy, or broken.
    pub fn is_settled(&self) -> bool {
        matches!(self, Verdict::Healthy | Verdict::Broken { .. })
    }

    /// The verdict in a few words.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Healthy => "healthy".into(),
            Verdict::CatchingUp {
                seconds_behind: Some(s),
            } => format!("catching up ({s} s behind)"),
            Verdict::CatchingUp { .. } => "catching up".into(),
            Verdict::Retrying { errno: 0, .. } => "connecting to its source".into(),
            Verdict::Retrying { errno, error } => {
                format!("retrying its source: error {errno}: {error}")
            }
            Verdict::Stopped {
                io_running,
                sql_running,
            } => format!("stopped: IO thread {io_running}, SQL thread {sql_running}"),
            Verdict::Broken { errno, error } => format!("broken: error {errno}: {error}"),
            Verdict::NotReplicating { why } => why.clone(),
        }
    }

    /// The known cause in plain words, with what to do, where there is one.
    pub fn explanation(&self) -> Option<&'static str> {
        match self {
            Verdict::Broken { errno, .. } | Verdict::Retrying { errno, .. } => explain(*errno),
            Verdict::Stopped {
                io_running,
                sql_running,
            } if *io_running == ThreadState::No && *sql_running == ThreadState::No => {
                Some(STOPPED_WITHOUT_ERROR)
            }
            _ => None,
        }
    }
}

/// Where a replica and its source stood when a watch began: what a running replica must show it has
/// applied before it is called healthy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// What the source had written (its GTID position or set); empty when it keeps no GTIDs or was not read.
    pub source_written: String,
    /// The source's binary log file and position; `None` when not read.
    pub source_binlog: Option<(String, u64)>,
    /// Where the replica's SQL thread stood in its source's binary log.
    pub replica_exec: Option<(String, u64)>,
}

/// Where a replica stands now, beyond its status: what it holds by GTID (applied as a replica, and written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub applied: String,
    pub written: String,
}

impl Evidence {
    /// The verdict of a look at a replica whose watch began at this evidence: a running replica is healthy
    /// once it holds what its source had written then, or has applied past where it stood then.
    pub fn judge(&self, s: &ReplicaStatus, held: &Held) -> Verdict {
        match judge(s) {
            Verdict::Healthy | Verdict::CatchingUp { .. } if self.shows_applying(s, held) => {
                Verdict::Healthy
            }
            Verdict::Healthy => Verdict::CatchingUp {
                seconds_behind: s.seconds_behind,
            },
            other => other,
        }
    }

    fn shows_applying(&self, s: &ReplicaStatus, held: &Held) -> bool {
        if self.source_written.is_empty() && self.source_binlog.is_none() {
            // The source was not read (outside the run): the replica's own word is all there is, that it
            // has applied everything it received.
            return s.caught_up();
        }
        self.holds_what_the_source_wrote(s, held) || self.applied_past_start(s)
    }

    fn holds_what_the_source_wrote(&self, s: &ReplicaStatus, held: &Held) -> bool {
        if !self.source_written.is_empty() {
            let have = [held.applied.as_str(), held.written.as_str()];
            return gtid::covers(&have, &self.source_written) == Some(true);
        }
        // No GTIDs to compare: the source's binary log position, when the replica reads the same log.
        match &self.source_binlog {
            Some((file, pos)) => {
                binlog_at_least((&s.exec_log_file, s.exec_pos), (file, *pos)) == Some(true)
            }
            None => false,
        }
    }

    fn applied_past_start(&self, s: &ReplicaStatus) -> bool {
        self.replica_exec.as_ref().is_some_and(|(file, pos)| {
            binlog_at_least((&s.exec_log_file, s.exec_pos), (file, *pos + 1)) == Some(true)
        })
    }
}

/// Whether binary log coordinates `a` are at or past `b`; `None` when they are not of one log (another
/// base name, or a file name without a number).
fn binlog_at_least(a: (&str, u64), b: (&str, u64)) -> Option<bool> {
    let (base_a, n_a) = split_binlog(a.0)?;
    let (base_b, n_b) = split_binlog(b.0)?;
    (base_a == base_b).then_some((n_a, a.1) >= (n_b, b.1))
}

/// `mysql-bin.000012` as (`mysql-bin`, 12).
fn split_binlog(file: &str) -> Option<(&str, u64)> {
    let (base, number) = file.rsplit_once('.')?;
    Some((base, number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MariaDB replica of 10.0.0.1 with both threads running, caught up at mysql-bin.000003:500.
    fn running() -> ReplicaStatus {
        ReplicaStatus {
            source_host: "10.0.0.1".into(),
            source_port: 3306,
            source_user: "repl".into(),
            io_running: "Yes".into(),
            sql_running: "Yes".into(),
            seconds_behind: Some(0),
            last_io_errno: 0,
            last_io_error: String::new(),
            last_sql_errno: 0,
            last_sql_error: String::new(),
            source_log_file: "mysql-bin.000003".into(),
            read_pos: 500,
            exec_log_file: "mysql-bin.000003".into(),
            exec_pos: 500,
            positioning: "Slave_Pos".into(),
            connect_retry: 2,
            gtid_received: "1-1-10".into(),
            tls: Default::default(),
        }
    }

    #[test]
    fn one_look_tells_each_verdict() {
        assert_eq!(judge(&running()), Verdict::Healthy);

        let behind = ReplicaStatus {
            seconds_behind: Some(7),
            exec_pos: 300,
            ..running()
        };
        assert_eq!(
            judge(&behind),
            Verdict::CatchingUp {
                seconds_behind: Some(7)
            }
        );

        let unreachable = ReplicaStatus {
            io_running: "Connecting".into(),
            last_io_errno: 2003,
            last_io_error: "Can't connect".into(),
            ..running()
        };
        assert!(matches!(
            judge(&unreachable),
            Verdict::Retrying { errno: 2003, .. }
        ));
        let connecting = ReplicaStatus {
            io_running: "Connecting".into(),
            ..running()
        };
        assert!(matches!(
            judge(&connecting),
            Verdict::Retrying { errno: 0, .. }
        ));

        let stopped = ReplicaStatus {
            io_running: "No".into(),
            sql_running: "No".into(),
            ..running()
        };
        assert!(matches!(judge(&stopped), Verdict::Stopped { .. }));
        assert!(
            judge(&stopped)
                .explanation()
                .is_some_and(|e| e.starts_with("stopped without an error"))
        );

        let duplicate = ReplicaStatus {
            sql_running: "No".into(),
            last_sql_errno: 1396,
            last_sql_error: "Operation CREATE USER failed".into(),
            ..running()
        };
        let verdict = judge(&duplicate);
        assert_eq!(
            verdict,
            Verdict::Broken {
                errno: 1396,
                error: "Operation CREATE USER failed".into()
            }
        );
        assert!(verdict.is_settled() && !verdict.is_healthy());

        let purged = ReplicaStatus {
            io_running: "No".into(),
            last_io_errno: 1236,
            last_io_error: "could not find next log".into(),
            ..running()
        };
        let verdict = judge(&purged);
        assert!(matches!(verdict, Verdict::Broken { errno: 1236, .. }));
        assert!(verdict.explanation().is_some());
    }

    #[test]
    fn a_running_replica_is_healthy_only_with_evidence_that_it_applies() {
        // Restarted into its old error: threads say Yes, SQL thread at the IO thread's position, but the
        // source has written a transaction the replica does not hold.
        let evidence = Evidence {
            source_written: "1-1-11".into(),
            source_binlog: Some(("mysql-bin.000003".into(), 800)),
            replica_exec: Some(("mysql-bin.000003".into(), 500)),
        };
        let held = Held {
            applied: "1-1-10".into(),
            written: "2-2-4".into(),
        };
        let look = evidence.judge(&running(), &held);
        assert!(matches!(look, Verdict::CatchingUp { .. }), "{look:?}");

        // It applied the transaction: it holds what the source had written.
        let held_now = Held {
            applied: "1-1-11".into(),
            ..held.clone()
        };
        let applied = ReplicaStatus {
            exec_pos: 800,
            read_pos: 800,
            ..running()
        };
        assert_eq!(evidence.judge(&applied, &held_now), Verdict::Healthy);

        // Or applied past where it stood, though the source has moved on further meanwhile.
        let moving = ReplicaStatus {
            exec_pos: 650,
            read_pos: 900,
            seconds_behind: Some(1),
            ..running()
        };
        assert_eq!(evidence.judge(&moving, &held), Verdict::Healthy);

        // An error always wins over the evidence.
        let failed = ReplicaStatus {
            sql_running: "No".into(),
            last_sql_errno: 1396,
            last_sql_error: "Operation CREATE USER failed".into(),
            ..running()
        };
        assert!(matches!(
            evidence.judge(&failed, &held_now),
            Verdict::Broken { errno: 1396, .. }
        ));
    }

    #[test]
    fn without_gtids_the_source_binlog_position_is_the_evidence() {
        let evidence = Evidence {
            source_written: String::new(),
            source_binlog: Some(("binlog.000007".into(), 157)),
            replica_exec: Some(("binlog.000007".into(), 157)),
        };
        let at = ReplicaStatus {
            exec_log_file: "binlog.000007".into(),
            exec_pos: 157,
            source_log_file: "binlog.000007".into(),
            read_pos: 157,
            ..running()
        };
        assert_eq!(evidence.judge(&at, &Held::default()), Verdict::Healthy);

        // Another log (the source's binary logs replaced): not comparable, so no evidence.
        let other_log = Evidence {
            source_binlog: Some(("mysql-bin.000001".into(), 157)),
            replica_exec: None,
            ..evidence
        };
        assert!(matches!(
            other_log.judge(&at, &Held::default()),
            Verdict::CatchingUp { .. }
        ));
        assert_eq!(
            binlog_at_least(("a.000002", 4), ("a.000001", 900)),
            Some(true)
        );
        assert_eq!(binlog_at_least(("a.000002", 4), ("b.000001", 9)), None);
    }
}
