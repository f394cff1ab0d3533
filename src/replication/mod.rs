//! Replication knowledge that is pure: reading a replica's status (either column spelling), explaining the
//! errors that desynchronize a pair, and finding the binlog coordinates a dump records.

mod coordinates;
mod status;

pub use coordinates::{Coordinates, CoordinatesSniffer};
pub use status::{ReplicaStatus, explain};

/// Schemas that belong to the server or to mmprov, never application data.
pub const SYSTEM_SCHEMAS: &[&str] = &[
    "mysql",
    "information_schema",
    "performance_schema",
    "sys",
    "mmprov",
];
