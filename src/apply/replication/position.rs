//! Where a replica reads from and how it keeps its place: switching between GTID and file/position at
//! the point it has applied, moving it to another source by GTID with its position kept, and the polls
//! that wait until a replica has reached a position or runs.

use std::time::{Duration, Instant};

use super::{Change, Run, flavor_of, transport};
use crate::apply::ApplyError;
use crate::flavor::{Flavor, SourceSpec};
use crate::link::HostLink;
use crate::replication::{Coordinates, ReplicaStatus, Verdict, explain, judge};
use crate::sql::{SqlError, SqlExecutor, first_row};
use crate::transport::Transport;

impl Run<'_, '_> {
    /// Switch how the replica positions itself at the point it has applied: its threads stopped, its GTID
    /// position (where the server keeps one) set from the source's coordinates of that point, then the
    /// switch, and started again.
    pub(super) fn positioning(
        &mut self,
        replica: &str,
        source: &str,
        gtid: bool,
    ) -> Result<(), ApplyError> {
        let how = if gtid {
            "by GTID"
        } else {
            "by file and position"
        };
        self.say(replica, format!("replicating from {source} {how}"));
        let flavor = flavor_of(self.ctx, replica)?;
        if gtid {
            let t = transport(self.links, replica)?;
            t.sql()
                .execute("stopping replication", flavor.stop_replica())?;
            let applied = applied_point(t, flavor.as_ref(), replica)?;
            self.set_gtid_position(replica, source, &applied)?;
        } else {
            // A replica this run just pointed at its source by GTID has a file and position in that source's
            // binary log only once it has connected: wait for those, the point it goes on from.
            let t = transport(self.links, replica)?;
            wait_running(
                t,
                flavor.as_ref(),
                replica,
                source,
                self.ctx.healthy_timeout,
            )?;
            wait_positioned(
                t,
                flavor.as_ref(),
                replica,
                source,
                self.ctx.healthy_timeout,
            )?;
        }
        self.restart_replica(
            replica,
            source,
            Some(Change::Plain(
                "switching the replica's positioning",
                flavor.change_positioning(gtid),
            )),
        )
    }

    /// Set the replica's GTID position to what `at` (coordinates in the source's binary log) holds, where
    /// the server positions replicas by a GTID position of their own (MariaDB). Its threads are stopped.
    /// The position set, where there is one.
    pub(super) fn set_gtid_position(
        &mut self,
        replica: &str,
        source: &str,
        at: &Coordinates,
    ) -> Result<Option<String>, ApplyError> {
        let source_flavor = flavor_of(self.ctx, source)?;
        let Some(query) = source_flavor.gtid_position_at(&at.file, at.pos) else {
            return Ok(None);
        };
        let what = "reading the GTID position of the replica's coordinates";
        let t = transport(self.links, source)?;
        let rows = t.sql().query(what, &query)?;
        let position = match rows.first().map(|r| r.nullable(&["pos"])) {
            Some(Ok(Some(p))) => p.to_string(),
            Some(Err(e)) => return Err(SqlError::unreadable(source, what, e).into()),
            _ => {
                return Err(ApplyError::NotReplicating {
                    replica: replica.into(),
                    from: source.into(),
                    detail: format!(
                        "{source} has no binary log at {}:{} (purged?), so the GTID position there is unknown",
                        at.file, at.pos
                    ),
                });
            }
        };
        let flavor = flavor_of(self.ctx, replica)?;
        let t = transport(self.links, replica)?;
        t.sql()
            .execute("stopping replication", flavor.stop_replica())?;
        if let Some(set) = flavor.set_replica_gtid_position(&position) {
            self.say(
                replica,
                format!(
                    "GTID position '{position}' (from {source} at {}:{})",
                    at.file, at.pos
                ),
            );
            transport(self.links, replica)?
                .sql()
                .execute("setting the replica's GTID position", &set)?;
        }
        Ok(Some(position))
    }

    /// Take a replica positioned by GTID to another source, its position kept: stopped, its position read,
    /// then pointed at `source` once `source` holds every transaction of that position.
    pub(super) fn move_source(
        &mut self,
        replica: &str,
        source: &str,
        spec: SourceSpec,
    ) -> Result<(), ApplyError> {
        let flavor = flavor_of(self.ctx, replica)?;
        // While it still replicates: the new source catches up with it first, so it stops only briefly.
        let running = self.applied_position(replica)?;
        self.wait_until_held(source, replica, &running)?;
        let t = transport(self.links, replica)?;
        t.sql()
            .execute("stopping replication", flavor.stop_replica())?;
        let position = self.applied_position(replica)?;
        let kept = if position.is_empty() {
            "(nothing replicated yet)".to_string()
        } else {
            format!("'{position}'")
        };
        self.say(
            replica,
            format!("moving to {source}, GTID position {kept} kept"),
        );
        if let Err(e) = self.wait_until_held(source, replica, &position) {
            // Not moved: it goes on from where it was, as it was; a start that fails too is said with it.
            let restarted = transport(self.links, replica)?
                .sql()
                .execute("starting replication", flavor.start_replica());
            return Err(match restarted {
                Ok(()) => e,
                Err(start) => ApplyError::Hosts {
                    failed: vec![e, start.into()],
                },
            });
        }
        let statement = flavor.change_source(&spec, self.password);
        self.restart_replica(
            replica,
            source,
            Some(Change::Secret(
                "pointing the replica at its source",
                statement,
            )),
        )
    }

    /// The GTID position of what the replica has applied.
    pub(super) fn applied_position(&mut self, replica: &str) -> Result<String, ApplyError> {
        let flavor = flavor_of(self.ctx, replica)?;
        let t = transport(self.links, replica)?;
        let what = "reading the replica's GTID position";
        let rows = t.sql().query(what, flavor.gtid_positions())?;
        Ok(first_row(&rows, replica, what)?
            .text(&["applied"])
            .map_err(|e| SqlError::unreadable(replica, what, e))?
            .to_string())
    }

    /// Wait (bounded) until `source` holds every transaction of `position`, so `replica` can go on from it.
    pub(super) fn wait_until_held(
        &mut self,
        source: &str,
        replica: &str,
        position: &str,
    ) -> Result<(), ApplyError> {
        let flavor = flavor_of(self.ctx, source)?;
        let t = transport(self.links, source)?;
        let what = "reading the source's GTID positions";
        let deadline = Instant::now() + self.ctx.catch_up_timeout;
        loop {
            let rows = t.sql().query(what, flavor.gtid_positions())?;
            let row = first_row(&rows, source, what)?;
            let unreadable = |e| SqlError::unreadable(source, what, e);
            let written = row.text(&["written"]).map_err(unreadable)?;
            let applied = row.text(&["applied"]).map_err(unreadable)?;
            let held = crate::replication::gtid::covers(&[written, applied], position)
                .ok_or_else(|| SqlError::Unreadable {
                    host: source.into(),
                    what: what.into(),
                    detail: format!("positions '{written}' and '{applied}', or '{position}', are not GTID positions"),
                })?;
            if held {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ApplyError::NotReplicating {
                    replica: replica.into(),
                    from: source.into(),
                    detail: format!(
                        "{source} does not yet hold every transaction of {replica}'s GTID position '{position}' \
                         (it has '{written}'): is {source} replicating?"
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The source coordinates of the last event a (stopped) replica applied.
pub(super) fn applied_point(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
) -> Result<Coordinates, ApplyError> {
    let what = "reading where the replica stopped";
    let rows = t.sql().query(what, flavor.replica_status())?;
    let status = ReplicaStatus::from_rows(&rows)
        .map_err(|e| SqlError::unreadable(replica, what, e))?
        .ok_or_else(|| ApplyError::NotReplicating {
            replica: replica.to_string(),
            from: "its source".into(),
            detail: "no replication configured any more".into(),
        })?;
    Ok(Coordinates {
        file: status.exec_log_file,
        pos: status.exec_pos,
    })
}

pub(super) fn binlog_position(
    t: &mut HostLink,
    flavor: &dyn Flavor,
) -> Result<Option<Coordinates>, ApplyError> {
    let rows = t
        .sql()
        .query("reading the binary log position", flavor.binlog_status())?;
    let unreadable = |e| SqlError::unreadable(t.host(), "reading the binary log position", e);
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(Coordinates {
        file: row.text(&["File"]).map_err(unreadable)?.to_string(),
        pos: row.number(&["Position"]).map_err(unreadable)?,
    }))
}

/// What one look at a replica's status decided.
pub(super) enum Look {
    Done,
    /// Not yet: why, said if the wait runs out.
    Waiting(String),
    /// Waiting longer would not help: why.
    Failed(String),
}

/// Poll the replica's status until `look` is done with it, fails, or `timeout` passes.
pub(super) fn poll_replica(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
    source: &str,
    timeout: Duration,
    look: impl Fn(Option<&ReplicaStatus>) -> Look,
) -> Result<(), ApplyError> {
    let deadline = Instant::now() + timeout;
    let what = "reading the replica status";
    let failed = |detail| ApplyError::NotReplicating {
        replica: replica.into(),
        from: source.into(),
        detail,
    };
    loop {
        let rows = t.sql().query(what, flavor.replica_status())?;
        let status =
            ReplicaStatus::from_rows(&rows).map_err(|e| SqlError::unreadable(replica, what, e))?;
        match look(status.as_ref()) {
            Look::Done => return Ok(()),
            Look::Failed(detail) => return Err(failed(detail)),
            Look::Waiting(detail) if Instant::now() > deadline => return Err(failed(detail)),
            Look::Waiting(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Poll the replica until it has read and applied a file and position of its source's binary log.
pub(super) fn wait_positioned(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
    source: &str,
    timeout: Duration,
) -> Result<(), ApplyError> {
    poll_replica(t, flavor, replica, source, timeout, |status| match status {
        Some(s) if !s.source_log_file.is_empty() && !s.exec_log_file.is_empty() => Look::Done,
        _ => Look::Waiting("it reports no file and position of its source's binary log yet".into()),
    })
}

/// Poll the replica until both threads run without error (its verdict healthy or catching up); a broken
/// one fails at once, with its explanation.
pub(super) fn wait_running(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
    source: &str,
    timeout: Duration,
) -> Result<(), ApplyError> {
    poll_replica(t, flavor, replica, source, timeout, |status| {
        let Some(s) = status else {
            return Look::Waiting("no replication configured".into());
        };
        match judge(s) {
            Verdict::Healthy | Verdict::CatchingUp { .. } => Look::Done,
            Verdict::Broken { errno, error } => {
                let why = explain(errno).map(|w| format!(" {w}")).unwrap_or_default();
                Look::Failed(format!("error {errno}: {error}.{why}"))
            }
            other => Look::Waiting(other.describe()),
        }
    })
}
