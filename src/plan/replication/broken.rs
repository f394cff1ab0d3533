//! A direction left broken: a replica stopped on an error that a restart would only meet again, with the
//! commands that fix it in plain words (a rebuild where its source lost the logs it needs, else a skip or a
//! rebuild once the cause is fixed by hand).

use serde::{Deserialize, Serialize};

use crate::replication::lost_source_logs;

/// A replica stopped on an error that a restart would only meet again: apply leaves it alone, and the plan
/// names what would fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenDirection {
    pub replica: String,
    pub source: String,
    pub errno: u32,
    pub error: String,
    /// The commands that fix it, in plain words.
    pub fix: String,
}

impl BrokenDirection {
    pub(super) fn new(replica: &str, source: &str, errno: u32, error: &str) -> Self {
        let why = crate::replication::explain(errno)
            .map(|w| format!("{w} "))
            .unwrap_or_default();
        let fix = match errno {
            // The source no longer holds what the replica needs: only a fresh copy brings it back.
            errno if lost_source_logs(errno) => {
                format!("{why}Fix: `mmprov rebuild PLAYBOOK --host {replica}`.")
            }
            _ => format!(
                "{why}Fix: once the cause is fixed by hand, `mmprov skip PLAYBOOK --host {replica}` skips the \
                 failing event; or `mmprov rebuild PLAYBOOK --host {replica}` replaces {replica}'s data with \
                 {source}'s."
            ),
        };
        Self {
            replica: replica.into(),
            source: source.into(),
            errno,
            error: error.into(),
            fix,
        }
    }
}
