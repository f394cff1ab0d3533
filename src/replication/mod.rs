//! Replication knowledge that is pure: reading a replica's status (either column spelling), the one verdict on
//! a replica's health, explaining the errors that desynchronize a pair, finding the binlog coordinates a dump records, and telling whether an
//! account's stored password is the playbook's.

mod coordinates;
pub mod gtid;
pub mod password;
mod status;
mod thread_state;
pub mod verdict;

pub use coordinates::{Coordinates, CoordinatesSniffer};
pub use status::{ReplicaStatus, explain, lost_source_logs};
pub use thread_state::ThreadState;
pub use verdict::{Verdict, judge};

/// Schemas that belong to the server or to mmprov, never application data.
pub const SYSTEM_SCHEMAS: &[&str] = &[
    "mysql",
    "information_schema",
    "performance_schema",
    "sys",
    "mmprov",
];
