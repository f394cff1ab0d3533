//! The steps a replication plan is made of, each with its reason (an enum, described in one place): an
//! account on a source, a seed, a connect (with the position it starts from), a start, new credentials, TLS,
//! a positioning switch, a move to another source, a repair by GTID. What apply carries out, and what the
//! engine compares when replication is decided again after restarts (`same_kind`).

use serde::{Deserialize, Serialize};

use super::{MethodWhy, PhysicalSeed};
use crate::model::ReplicationTls;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// The coordinates recorded in the dump this replica was seeded from.
    Seed,
    /// The source's binlog position when the replica is connected.
    SourceNow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReplStep {
    Account {
        source: String,
        replica: String,
        replica_address: String,
        user: String,
        /// The account may only connect over TLS.
        #[serde(default)]
        tls: bool,
        #[serde(default)]
        reason: AccountReason,
    },
    Seed {
        from: String,
        to: String,
        schemas: Vec<String>,
        tables: u64,
        bytes: u64,
        overwrite: bool,
        /// Redoes a seed of this node that was interrupted.
        #[serde(default)]
        interrupted: bool,
        /// A copy of the whole instance's files; `None`: a dump of `schemas`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        physical: Option<PhysicalSeed>,
        #[serde(default)]
        method_why: MethodWhy,
    },
    Connect {
        replica: String,
        source: String,
        source_address: String,
        port: u16,
        user: String,
        position: Position,
        #[serde(default)]
        tls: Option<ReplicationTls>,
        /// Positioned by GTID: the source's coordinates are turned into the replica's GTID position.
        #[serde(default)]
        gtid: bool,
        #[serde(default)]
        reason: ConnectReason,
    },
    /// A replica positioned by GTID taken from the node it replicates from now to its source in the play,
    /// once that source holds everything it has applied: its position is kept, so nothing is applied twice
    /// or skipped (the ring re-wired when a node joins or leaves).
    Move {
        replica: String,
        /// Where it replicates from now (`host:port as user`, or a node's name).
        from: String,
        source: String,
        source_address: String,
        port: u16,
        user: String,
        #[serde(default)]
        tls: Option<ReplicationTls>,
    },
    /// Right source: switch how it positions itself (GTID or file/position) at the point it has applied,
    /// with the short connect retry; nothing is applied twice or skipped.
    Positioning {
        replica: String,
        source: String,
        gtid: bool,
        reasons: Vec<PositioningReason>,
    },
    Start {
        replica: String,
        source: String,
        #[serde(default)]
        reason: StartReason,
    },
    /// Right source, stopped because the source's binary logs no longer hold where it was reading (1236):
    /// connected again by GTID, which asks the source for exactly what it lacks. The source refuses again
    /// if it cannot serve that, so nothing is skipped.
    Repair {
        replica: String,
        source: String,
        errno: u32,
        error: String,
    },
    /// Right source, wrong or refused account: change only user and password (the position is kept).
    Credentials {
        replica: String,
        source: String,
        user: String,
    },
    /// Right source and account, other TLS settings: change only those (the position is kept).
    Tls {
        replica: String,
        source: String,
        tls: Option<ReplicationTls>,
    },
}

/// Why a replica is pointed at its source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum ConnectReason {
    /// It replicates from nothing.
    #[default]
    NotReplicating,
    /// Its mysqld is down: its replication could not be read, and is decided again once it runs.
    Unread,
    /// It replicates from another source (`host:port as user`).
    ReplicatesElsewhere { from: String },
    /// `mmprov rebuild`: its data is replaced by a seed from its source, from whose coordinates it goes on.
    Rebuilt,
}

impl ConnectReason {
    pub fn describe(&self) -> String {
        match self {
            ConnectReason::NotReplicating => "it replicates from nothing yet".into(),
            ConnectReason::Unread => {
                "its mysqld is down, so its replication could not be read".into()
            }
            ConnectReason::ReplicatesElsewhere { from } => {
                format!("it replicates from {from} instead")
            }
            ConnectReason::Rebuilt => {
                "it is rebuilt: its data is the seed's, and it goes on from the seed's coordinates"
                    .into()
            }
        }
    }
}

/// Why a replica pointing at the right source is (re)started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum StartReason {
    /// Its threads are stopped, with no error.
    #[default]
    Stopped,
    /// It keeps retrying a source it could not reach (that error number); a fresh start connects now.
    Retrying { errno: u32 },
    /// Its source was rebuilt: the binary log it was reading was replaced.
    SourceRebuilt,
}

impl StartReason {
    pub fn describe(self) -> String {
        match self {
            StartReason::Stopped => "its replica threads are stopped".into(),
            StartReason::Retrying { errno } => format!(
                "it keeps retrying its source (error {errno}); started again, it connects at once"
            ),
            StartReason::SourceRebuilt => "its source is rebuilt, and the binary log it reads may be \
                 replaced with it; started again, it asks the rebuilt node for what it lacks by GTID"
                .into(),
        }
    }
}

/// Why a replica's positioning is switched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum PositioningReason {
    /// It keeps a binary log file and position, which a crash can replay, and the play wants GTID.
    NotGtid,
    /// It positions by GTID and the play sets `gtid: false`.
    GtidOff,
    /// It waits this many seconds between attempts to reach a lost source.
    SlowRetry { seconds: u64 },
}

impl PositioningReason {
    pub fn describe(&self) -> String {
        match self {
            PositioningReason::NotGtid => {
                "it keeps a binary log file and position, which a crash can replay or skip; \
                 by GTID, committed with each transaction, it resumes by itself"
                    .into()
            }
            PositioningReason::GtidOff => "the play sets `gtid: false`".into(),
            PositioningReason::SlowRetry { seconds } => format!(
                "it waits {seconds} s between attempts to reach a lost source; {} s finds a restarted source at once",
                crate::flavor::CONNECT_RETRY
            ),
        }
    }
}

/// Why the replication account is (re)set on a source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountReason {
    /// There is no such account yet.
    #[default]
    Missing,
    /// The replica's connections are refused (1045).
    Refused,
    /// Its stored password is not the playbook's (`replication_password` was changed).
    PasswordChanged,
    /// It does not (or no longer should) require TLS.
    TlsChanged,
    /// The node is seeded with a copy of its seed source's files, whose accounts replace its own.
    Copied,
}

impl AccountReason {
    pub fn describe(self) -> &'static str {
        match self {
            AccountReason::Missing => "new",
            AccountReason::Refused => "its replica is refused (1045): password set again",
            AccountReason::PasswordChanged => {
                "replication_password changed: password set to the new one"
            }
            AccountReason::TlsChanged => "TLS requirement changed",
            AccountReason::Copied => {
                "the node is seeded with a copy of its seed source's files, whose accounts replace its own: set again after the copy"
            }
        }
    }
}

impl ReplStep {
    /// What the step does, in a few words (for timings in `-v`).
    pub fn kind(&self) -> &'static str {
        match self {
            ReplStep::Account { .. } => "replication account",
            ReplStep::Seed { .. } => "seed",
            ReplStep::Connect { .. } => "connect",
            ReplStep::Start { .. } => "start",
            ReplStep::Credentials { .. } => "new credentials",
            ReplStep::Tls { .. } => "TLS switch",
            ReplStep::Positioning { .. } => "positioning switch",
            ReplStep::Move { .. } => "move",
            ReplStep::Repair { .. } => "repair",
        }
    }

    /// Whether two steps do the same thing to the same hosts. Why a step is planned, and a seed's table
    /// count and size (what the source held when it was read, which its writes move), do not make another
    /// step.
    pub fn same_kind(&self, other: &ReplStep) -> bool {
        self.action() == other.action()
    }

    /// The step without what only describes it.
    fn action(&self) -> ReplStep {
        let mut action = self.clone();
        match &mut action {
            ReplStep::Seed {
                tables,
                bytes,
                method_why,
                ..
            } => {
                *tables = 0;
                *bytes = 0;
                *method_why = MethodWhy::default();
            }
            ReplStep::Connect { reason, .. } => *reason = ConnectReason::default(),
            ReplStep::Start { reason, .. } => *reason = StartReason::default(),
            ReplStep::Positioning { reasons, .. } => reasons.clear(),
            ReplStep::Repair { error, .. } => error.clear(),
            ReplStep::Account { .. }
            | ReplStep::Credentials { .. }
            | ReplStep::Tls { .. }
            | ReplStep::Move { .. } => {}
        }
        action
    }
}
