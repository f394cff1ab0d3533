//! A replica already on its source, by its verdict: new credentials, TLS as the play asks, a positioning
//! switch, a start of stopped threads, a repair by GTID of a replica whose source replaced its binary logs;
//! or left broken, with its fix, where a restart would only meet its error again.

use super::planner::Planner;
use super::{BrokenDirection, PositioningReason, ReplStep, StartReason};
use crate::replication::{ReplicaStatus, Verdict, judge, lost_source_logs};

impl Planner<'_> {
    /// A replica already on its source, by its verdict: new credentials (another account, or its account set
    /// again), TLS as the play asks, a positioning switch, or a start of stopped threads. A replica stopped by
    /// its source's replaced binary logs (1236) is connected again by GTID where it positions so. One stopped
    /// on any other error (a refused account aside, which the account step repairs) is left as it is: a
    /// restart would only meet the error again.
    pub(super) fn on_source(
        &self,
        replica: &str,
        source: &str,
        s: &ReplicaStatus,
        account_set: bool,
    ) -> Result<Vec<ReplStep>, BrokenDirection> {
        let verdict = judge(s);
        let credentials = s.source_user != self.user() || account_set;
        // Without `replication_tls` the play leaves TLS as the server has it: a server that encrypts its
        // replication by default (MySQL 8+, MariaDB 11) is never told to stop.
        let tls_differs = self.tls.is_some_and(|wanted| !s.tls.matches(Some(wanted)));
        // An error connecting (the SQL thread has none) is what new credentials or TLS settings answer.
        let connect_error = s.last_sql_errno == 0 && s.last_io_errno != 0;
        let repair = match &verdict {
            Verdict::Broken { errno, error } if lost_source_logs(*errno) && s.uses_gtid() => {
                Some(ReplStep::Repair {
                    replica: replica.into(),
                    source: source.into(),
                    errno: *errno,
                    error: error.clone(),
                })
            }
            Verdict::Broken { .. } if connect_error && (credentials || tls_differs) => None,
            Verdict::Broken { errno, error } => {
                return Err(BrokenDirection::new(replica, source, *errno, error));
            }
            _ => None,
        };
        let mut steps = Vec::new();
        if credentials {
            steps.push(ReplStep::Credentials {
                replica: replica.into(),
                source: source.into(),
                user: self.user().into(),
            });
        }
        if tls_differs {
            steps.push(ReplStep::Tls {
                replica: replica.into(),
                source: source.into(),
                tls: self.tls.cloned(),
            });
        }
        if repair.is_some() {
            steps.extend(repair);
            return Ok(steps);
        }
        // A positioning switch restarts the threads too.
        let positioning = self.positioning(replica, source, s);
        let restarted = credentials || tls_differs || positioning.is_some();
        steps.extend(positioning);
        // Threads stopped, or retrying a source that was unreachable (it may be back): restart them. A change
        // of credentials or TLS restarts them anyway.
        let reason = match verdict {
            Verdict::Retrying { errno, .. } if errno != 0 => Some(StartReason::Retrying { errno }),
            Verdict::Stopped { .. } => Some(StartReason::Stopped),
            _ => None,
        };
        if let Some(reason) = reason.filter(|_| !restarted) {
            steps.push(ReplStep::Start {
                replica: replica.into(),
                source: source.into(),
                reason,
            });
        }
        Ok(steps)
    }

    /// A switch of positioning (GTID as the play says) and connect retry, when either differs.
    pub(super) fn positioning(
        &self,
        replica: &str,
        source: &str,
        s: &ReplicaStatus,
    ) -> Option<ReplStep> {
        let gtid = self.play.vars.gtid;
        let mut reasons = Vec::new();
        match (gtid, s.uses_gtid()) {
            (true, false) => reasons.push(PositioningReason::NotGtid),
            (false, true) => reasons.push(PositioningReason::GtidOff),
            _ => {}
        }
        if s.connect_retry != u64::from(crate::flavor::CONNECT_RETRY) {
            reasons.push(PositioningReason::SlowRetry {
                seconds: s.connect_retry,
            });
        }
        (!reasons.is_empty()).then(|| ReplStep::Positioning {
            replica: replica.into(),
            source: source.into(),
            gtid,
            reasons,
        })
    }
}
