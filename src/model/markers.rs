//! The files mmprov leaves on a host to remember work in progress: `apply` writes and removes them, `facts`
//! reads whether they are there. Both read the names from here, the layer below them both.

/// Written into a data directory mmprov copied, once the copy is verified: its first line is where the
/// data came from.
pub const DATADIR_MARKER: &str = ".mmprov-datadir";

/// Left on a node from the start of mmprov's install of its server until the fresh server's first clean-up
/// (anonymous accounts and the test database removed): its presence means that clean-up is still owed.
pub const INSTALL_MARKER: &str = "/var/lib/mmprov/install-unfinished";

/// Left on a node from the start of a seed into it until it replicates: its presence means the node's data is
/// a copy made by mmprov that never got connected, which a re-run may seed again.
pub const SEED_MARKER: &str = "/var/lib/mmprov/seed-incomplete";

/// Left on a node that joins a group whose `auto_increment` values change, from before the change until the
/// sessions that kept its peers' old values have ended: its presence means the node is held read-only.
pub const WRITES_HELD_MARKER: &str = "/var/lib/mmprov/writes-held";

/// Left on the node `mmprov failover` opened: its first line names the old writer, which must not simply
/// reconnect when it comes back (its transactions are compared first).
pub const REJOIN_MARKER: &str = "/var/lib/mmprov/rejoin";
