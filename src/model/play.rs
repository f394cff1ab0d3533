//! A play: hosts forming one replication topology, the roles applied to them and the play's settings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Sourced, Span};

/// What a play does to its hosts. Unknown names are rejected at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Server configuration (my.cnf) and the service that runs it.
    Server,
    /// Replication user, seeding and the cross CHANGE MASTER.
    Replication,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Server, Role::Replication];

    pub fn name(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Replication => "replication",
        }
    }
}

/// Where a secret is read from. Secrets are never written inline in a playbook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SecretRef {
    /// The name of an environment variable holding the secret.
    Env(String),
    /// A file whose content (trailing newline removed) is the secret.
    File(PathBuf),
    /// An inventory variable (as `mysql_replication_password` in a team's group_vars, vaulted or not): it
    /// must have the same value on every host of the play.
    Var(String),
}

/// Replication over TLS: files on every host of the play (the same paths on each). Each server presents its
/// certificate to its replica; each replica presents the same certificate as its client certificate and,
/// with `verify_server_cert`, checks the source's against the CA and the address it connects to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicationTls {
    pub ca: String,
    pub cert: String,
    pub key: String,
    #[serde(default = "verify_by_default")]
    pub verify_server_cert: bool,
}

fn verify_by_default() -> bool {
    true
}

impl ReplicationTls {
    /// The files each host must hold, by the name the playbook gives them.
    pub fn files(&self) -> [(&'static str, &str); 3] {
        [("ca", &self.ca), ("cert", &self.cert), ("key", &self.key)]
    }
}

/// How a replica's data is copied from its seed source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedMethod {
    /// A consistent dump of the application schemas, restored through the client.
    Logical,
    /// A copy of the whole instance's files (mariadb-backup, XtraBackup), swapped in as the datadir.
    Physical,
    /// Physical when the seed source holds at least [`PHYSICAL_SEED_ABOVE`] bytes of tables and both hosts
    /// have the tool; logical otherwise.
    #[default]
    Auto,
}

/// The size of tables above which `seed_method: auto` copies files rather than dumping rows.
pub const PHYSICAL_SEED_ABOVE: u64 = 1 << 30;

/// How a host with no server installed gets one: installed as the play says, or refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Install {
    /// A host without a server is refused.
    Never,
    /// From the package sources the host already has (its distribution's, or what its admin set up).
    #[default]
    Distribution,
    /// From a vendor repository, added to the host's package sources first.
    Repository(PackageRepository),
}

/// A vendor package repository, as the play names it. Every field is checked at load (a name, a URL and
/// plain words), so nothing from it reaches a sources file unchecked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRepository {
    /// Names the files mmprov writes: `mmprov-<name>.sources` (apt), `mmprov-<name>.repo` (dnf).
    pub name: String,
    /// The repository's base URL (apt `URIs`, dnf `baseurl`).
    pub url: String,
    /// apt only: the suite; `None`: the host's release codename. A flat repository's is `./`.
    pub suite: Option<String>,
    /// apt only: the components (`main`); none for a flat repository.
    pub components: Vec<String>,
    /// The repository's signing key, an ASCII-armored OpenPGP public key read from the controller at load.
    pub key: Option<String>,
}

/// The play's settings, with the classic master-master recipe as defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayVars {
    /// The config file mmprov owns on each host.
    /// The config file mmprov owns; `None`: the one the server's family and the host's layout call for
    /// (read after the distribution's own files).
    pub config_path: Option<String>,
    /// What server the hosts run, for offline rendering (`mariadb-10.11`, `mysql-8.0.36`); facts win when known.
    pub server_version: Option<Sourced<String>>,
    pub binlog_expire_days: u32,
    pub max_binlog_size: String,
    /// The binary log's path; `None`: where the installed server keeps it (moving it away from a server's
    /// logs leaves their transactions unservable to its replicas, so it is never done by default).
    pub log_bin: Option<String>,
    pub relay_log: String,
    /// The server's data directory, socket and error log; `None`: where the installed server has them (its
    /// own variables, its package's layout). Setting one moves it: an explicit choice the plan checks.
    pub datadir: Option<String>,
    pub socket: Option<String>,
    pub bind_address: String,
    pub log_error: Option<String>,
    /// Defaults to the number of hosts in the play.
    pub auto_increment_increment: Option<Sourced<u32>>,
    pub replication_user: String,
    pub replication_password: Option<Sourced<SecretRef>>,
    /// Replication errors the replica skips. An explicit, risky opt-in: empty unless the playbook sets it.
    pub skip_errors: Option<Sourced<Vec<u32>>>,
    /// Extra `[mysqld]` options for every host of the play, kept as written.
    pub mysqld: BTreeMap<String, String>,
    /// The node whose data is the truth when the others must be seeded; the play's first host by default.
    pub seed_from: Option<Sourced<String>>,
    /// Allow seeding over a node that already holds application data (its data is replaced).
    pub seed_overwrite: bool,
    /// How seeds copy the data.
    pub seed_method: SeedMethod,
    /// Allow moving a server that holds application data into another `datadir` (stopped, copied, verified,
    /// started; the old directory kept aside).
    pub datadir_move: bool,
    /// Passive nodes: `read_only` (and `super_read_only` where the server has it) is ON there, OFF elsewhere.
    pub read_only_hosts: Option<Sourced<Vec<String>>>,
    /// Replication connections over TLS, and replication accounts that require it.
    pub replication_tls: Option<ReplicationTls>,
    /// Replicas position themselves by GTID (crash-safe, and they start with the server); `false` keeps
    /// binary log file and position, and replicas that wait for mmprov or the DBA to start them.
    pub gtid: bool,
    /// MariaDB's `gtid_strict_mode`: a replica stops on an out-of-order GTID instead of applying it.
    pub gtid_strict_mode: bool,
    /// How a host without a server gets one.
    pub install: Install,
}

/// Where a Debian package puts the server's files, for a server whose own are not known (not installed yet,
/// or not running).
pub const DEFAULT_DATADIR: &str = "/var/lib/mysql";
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";
pub const DEFAULT_LOG_ERROR: &str = "/var/log/mysql/error.log";
pub const DEFAULT_LOG_BIN: &str = "/var/log/mysql/mysql-bin.log";

impl PlayVars {
    /// The data directory the playbook names, or the Debian package's.
    pub fn datadir_or_default(&self) -> &str {
        self.datadir.as_deref().unwrap_or(DEFAULT_DATADIR)
    }

    /// The socket the playbook names, or the Debian package's.
    pub fn socket_or_default(&self) -> &str {
        self.socket.as_deref().unwrap_or(DEFAULT_SOCKET)
    }

    /// The binary log the playbook names, or mmprov's usual place for it.
    pub fn log_bin_or_default(&self) -> &str {
        self.log_bin.as_deref().unwrap_or(DEFAULT_LOG_BIN)
    }
}

impl Default for PlayVars {
    fn default() -> Self {
        Self {
            config_path: None,
            server_version: None,
            binlog_expire_days: 10,
            max_binlog_size: "100M".into(),
            log_bin: None,
            relay_log: "/var/log/mysql/relay-bin".into(),
            datadir: None,
            socket: None,
            bind_address: "0.0.0.0".into(),
            log_error: None,
            auto_increment_increment: None,
            replication_user: "repl".into(),
            replication_password: None,
            skip_errors: None,
            mysqld: BTreeMap::new(),
            seed_from: None,
            seed_overwrite: false,
            seed_method: SeedMethod::Auto,
            datadir_move: false,
            read_only_hosts: None,
            replication_tls: None,
            gtid: true,
            gtid_strict_mode: false,
            install: Install::Distribution,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Play {
    pub name: String,
    /// The host pattern as written (Ansible syntax), and where.
    pub pattern: Sourced<String>,
    /// Hosts the pattern selects, in inventory order.
    pub hosts: Vec<String>,
    pub roles: Vec<Role>,
    pub vars: PlayVars,
    /// A my.cnf template overriding the built-in one, resolved against the playbook's folder.
    pub template: Option<Sourced<PathBuf>>,
    /// How many nodes of a live group restart at once; one when the playbook does not say.
    pub serial: Option<Sourced<Serial>>,
    pub declared_at: Span,
}

/// Ansible's `serial`: a number of nodes, or a share of the play's nodes (rounded down, at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Serial {
    Count(u32),
    Percent(u32),
}

impl Serial {
    /// How many of `nodes` restart at once: always at least one.
    pub fn batch_size(self, nodes: usize) -> usize {
        let n = match self {
            Serial::Count(n) => n as usize,
            Serial::Percent(p) => nodes * p as usize / 100,
        };
        n.max(1)
    }
}

impl Play {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the host is a passive (read-only) node of this play.
    pub fn is_read_only(&self, host: &str) -> bool {
        self.vars
            .read_only_hosts
            .as_ref()
            .is_some_and(|r| r.value.iter().any(|h| h == host))
    }

    /// The node the others are seeded from.
    pub fn seed_source(&self) -> Option<&str> {
        match &self.vars.seed_from {
            Some(s) => Some(s.value.as_str()),
            None => self.hosts.first().map(String::as_str),
        }
    }

    /// The replication ring in host order: each host with the host it replicates from (its predecessor).
    /// Two hosts make the classic pair: each replicates from the other.
    pub fn ring(&self) -> Vec<(&str, &str)> {
        let n = self.hosts.len();
        if n < 2 {
            return Vec::new();
        }
        (0..n)
            .map(|i| (self.hosts[i].as_str(), self.hosts[(i + n - 1) % n].as_str()))
            .collect()
    }

    /// The auto_increment_increment the play's hosts use: as set, or one step per host.
    pub fn auto_increment_increment(&self) -> u32 {
        match &self.vars.auto_increment_increment {
            Some(s) => s.value,
            None => u32::try_from(self.hosts.len()).unwrap_or(u32::MAX).max(1),
        }
    }
}
