//! The desired state, resolved: hosts, plays and their variables, each value remembering where it was written.
//!
//! This layer owns plain data only. It never reads files (that is `load`) and never contacts a host (that is
//! `transport` and later layers). Everything here is deterministic: maps are `BTreeMap`, host lists are sorted.
//!
//! 1. [`Source`] / [`Span`]: which file and which bytes a value came from, so diagnostics can point at them.
//! 2. [`Host`]: one machine: how to reach it, and its per-host replication identity (server_id, offset).
//! 3. [`Play`]: a group of hosts that form one replication topology, the roles to apply and the play's vars.
//! 4. [`Project`]: everything loaded for one run.
//! 5. [`PlayHosts`]: what each play acts on, as resolved (hosts, identities, routes), for users to see.
//! 6. The markers: the files mmprov leaves on a host while work is in progress (`markers.rs`).
//! 7. [`Coordinates`] and [`MYSQL_PORT`]: where in a source's binary log, and the port replication uses.

mod coordinates;
mod host;
mod markers;
mod play;
mod play_hosts;
mod source;

pub use coordinates::{Coordinates, MYSQL_PORT};
pub use host::{Become, Connection, Host, JumpHost, ServiceKind, ServiceSpec, SshOptions};
pub use markers::{DATADIR_MARKER, INSTALL_MARKER, REJOIN_MARKER, SEED_MARKER, WRITES_HELD_MARKER};
pub use play::{
    DEFAULT_DATADIR, DEFAULT_HOOK_TIMEOUT, DEFAULT_LOG_BIN, DEFAULT_LOG_ERROR,
    DEFAULT_MAX_SWITCHOVER_LAG, DEFAULT_SOCKET, Hooks, Install, PHYSICAL_SEED_ABOVE,
    PackageRepository, Play, PlayVars, ReplicationTls, Role, SecretRef, SeedMethod, Serial,
};
pub use play_hosts::{PlayHost, PlayHosts, Route};
pub use source::{FileId, Source, Sourced, Span};

use std::collections::{BTreeMap, BTreeSet};

/// Everything one run works from: the hosts of the inventory, the plays of the playbook, and the files they came from.
#[derive(Debug, Clone)]
pub struct Project {
    pub sources: Vec<Source>,
    pub hosts: BTreeMap<String, Host>,
    pub groups: BTreeMap<String, Vec<String>>,
    pub plays: Vec<Play>,
    /// The hosts this run may contact (`--limit`); `None`: every host. Plays keep all their hosts, so the
    /// rendered config (auto_increment_increment, offsets) is the same with or without a limit.
    pub limit: Option<BTreeSet<String>>,
    /// Secrets the playbook takes from inventory variables (`{ var: NAME }`), opened from the vault where
    /// encrypted, by play.
    pub inventory_secrets: BTreeMap<String, secrecy::SecretString>,
}

impl Project {
    pub fn source(&self, id: FileId) -> &Source {
        &self.sources[id.0]
    }

    /// Whether this run may contact (read or change) the host.
    pub fn in_limit(&self, host: &str) -> bool {
        self.limit.as_ref().is_none_or(|l| l.contains(host))
    }

    /// The plays a host takes part in, in playbook order.
    pub fn plays_of<'a>(&'a self, host: &'a str) -> impl Iterator<Item = &'a Play> + 'a {
        self.plays
            .iter()
            .filter(move |p| p.hosts.iter().any(|h| h == host))
    }
}

impl Project {
    /// The host's auto_increment_offset in a play: as set for the host, or its place in the play's sorted list.
    pub fn auto_increment_offset(&self, play: &Play, host: &str) -> u32 {
        let explicit = self
            .hosts
            .get(host)
            .and_then(|h| h.auto_increment_offset.as_ref());
        match explicit {
            Some(s) => s.value,
            None => {
                let place = play.hosts.iter().position(|h| h == host).unwrap_or(0);
                u32::try_from(place + 1).unwrap_or(u32::MAX)
            }
        }
    }
}
