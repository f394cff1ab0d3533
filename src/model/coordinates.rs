//! A place in a source's binary log: what a dump, a backup or a clone records of the source when the copy
//! was made, and where a replica is pointed to start. Plain data, so the layers that read it (a dump's
//! stream, the clone plugin's status) and the ones that use it share one type without importing each other.

/// A binary log file and a position in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coordinates {
    pub file: String,
    pub pos: u64,
}

/// The port replication connects to.
pub const MYSQL_PORT: u16 = 3306;
