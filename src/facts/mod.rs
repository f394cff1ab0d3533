//! Facts: what each host is like now, read without changing anything.
//!
//! One [`HostLink`](crate::link::HostLink) per host, hosts in parallel (bounded by `forks`); the links are
//! handed back so an apply in the same run reuses the links it planned with. Per host:
//!
//! 1. One shell probe: service manager (systemd only when it is running), service name, the installed
//!    server binary's version, and the current content of the config file mmprov owns.
//! 2. One client session (one round trip) for every query: `SELECT VERSION(), @@version_comment` (whether
//!    mysqld serves, and which server it is: the family is read from the server, the binary's version is the
//!    fallback when it is down), `SHOW GLOBAL VARIABLES` for the variables the plan compares, and for
//!    replication plays the application schemas, the replication account and the replica status.
//!
//! 3. From facts already read, the health of every replication direction (`health.rs`): the layer that
//!    reads replica status judges it, through `replication::verdict`.
//!
//! A host that cannot be reached fails the whole gathering: nothing is planned, so nothing is changed anywhere.

mod health;
mod observe;
mod probe;

pub use health::{Direction, directions};
pub use observe::{Observed, ServerLog, ThreadStop, observe};

pub use probe::{
    BINARY_VERSION, MYSQL_CONFIG_FILE, OPTION_FILES, SERVICE_CLIENT_CONFIG, binary_version,
    option_files,
};

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use miette::Diagnostic;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::flavor::ServerVersion;
use crate::link::{HostLink, Links, SqlChoice};
use crate::model::{Project, Role, ServiceKind};
use crate::mycnf::WATCHED_VARIABLES;
use crate::packages::PackageManagerKind;
use crate::replication::{ReplicaStatus, SYSTEM_SCHEMAS, password};
use crate::sql::{SqlError, SqlExecutor};
use crate::sqltext::{Row, literal};
use crate::transport::{self, Transport, TransportError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    pub host: String,
    /// The server answering now, else the installed binary's version, else unknown.
    pub server: Option<ServerVersion>,
    pub running: bool,
    pub service: ServiceKind,
    pub service_name: String,
    /// The config file mmprov owns on this host: the playbook's, or the one the host's layout calls for
    /// (empty when the host has no folder for it yet: a server to be installed).
    pub config_path: String,
    /// The option files the server reads, in order, and what each sets.
    #[serde(default)]
    pub option_files: OptionFiles,
    /// The config file's content; `None` when there is no such file.
    pub config: Option<String>,
    /// Global variables by lower-case name, as the server reports them (empty when mysqld is down).
    pub variables: BTreeMap<String, String>,
    /// For hosts of a replication play whose server runs.
    pub replication: Option<ReplicationFacts>,
    /// An earlier seed into this node was interrupted: its data is a partial copy.
    #[serde(default)]
    pub seed_incomplete: bool,
    /// An earlier run left this node held read-only until sessions predating an `auto_increment` change on
    /// its peers end (`WRITES_HELD_MARKER`).
    #[serde(default)]
    pub writes_held: bool,
    /// `mmprov failover` opened this node in place of this old writer, which has not rejoined yet
    /// (`REJOIN_MARKER`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejoin: Option<String>,
    /// Files the playbook names on this host (TLS certificates) that are missing or unreadable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_files: Vec<String>,
    /// The playbook's data directory as the host has it, and the socket its service script looks at.
    #[serde(default)]
    pub layout: Layout,
    /// How packages are installed on the host, and which release it runs.
    #[serde(default)]
    pub os: OsFacts,
}

/// The option files a server reads (`/etc/my.cnf`, `/etc/mysql/my.cnf` and what they include), in the order
/// it reads them: a later file's value wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionFiles {
    pub read: Vec<OptionSource>,
    /// The server's paths (`socket`, `datadir`) as the distribution's files set them, the last one read
    /// winning: the package's layout, where no server answers and mmprov's file names none.
    #[serde(default)]
    pub paths: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptionSource {
    /// A file, with the options it sets for the server (`[mysqld]`, `[server]`, `[mariadb]`, ...), as
    /// lower-case names with `_` for `-`.
    File { path: String, sets: Vec<String> },
    /// A folder included here (`!includedir`): its `.cnf` files follow, in name order.
    Folder { path: String },
}

/// What installing a server on the host needs to know.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsFacts {
    /// The package manager mmprov knows that the host has (apt-get, dnf); `None`: neither.
    pub package_manager: Option<PackageManagerKind>,
    /// `VERSION_CODENAME` of /etc/os-release: an apt repository's suite when it names none.
    pub codename: Option<String>,
    /// mmprov installed the server and the fresh server's first clean-up is still owed.
    pub install_unfinished: bool,
    /// The tool that copies the instance's files for a physical seed, when the host has it (and its
    /// stream unpacker).
    #[serde(default)]
    pub physical_tool: Option<crate::flavor::PhysicalTool>,
}

/// Where the playbook puts the server's files, as the host has them now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The playbook's `datadir` on the host.
    pub datadir_target: DatadirState,
    /// The socket the Debian service script's admin client uses (`/etc/mysql/debian.cnf`, `[client]`);
    /// `None` when the host has no such file (or it cannot be read).
    pub service_socket: Option<ServiceSocket>,
}

/// What is at the playbook's `datadir` path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatadirState {
    #[default]
    Missing,
    Empty,
    /// A copy mmprov made by moving the data directory from `from` (its marker file says so).
    Moved {
        from: String,
    },
    /// Files mmprov did not put there.
    Foreign,
}

/// The socket a client without a socket option uses, as one client config file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceSocket {
    /// No `socket` line: the client's compiled-in default.
    Default,
    At(String),
}

/// What the server has written and applied, as its dialect's GTID query answers (both are variables that
/// always hold a set, empty or not): no row, or a NULL, is an error, never an empty position.
pub fn gtid_positions(
    t: &mut HostLink,
    flavor: &dyn crate::flavor::Flavor,
) -> Result<(String, String), SqlError> {
    let host = t.host().to_string();
    let what = "reading GTID positions";
    let rows = t.sql().query(what, flavor.gtid_positions())?;
    let row = crate::sql::first_row(&rows, &host, what)?;
    let read = |c: &str| {
        row.text(&[c])
            .map(|v| v.trim().to_string())
            .map_err(|e| SqlError::unreadable(&host, what, e))
    };
    Ok((read("written")?, read("applied")?))
}

/// What replication needs to know of a running server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationFacts {
    /// Application schemas (system schemas and mmprov's own left out).
    pub schemas: Vec<SchemaSize>,
    /// Hosts the replication account exists for.
    pub account_hosts: Vec<String>,
    /// Of those, the ones whose account may only connect over TLS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls_account_hosts: Vec<String>,
    /// Of those, the ones whose stored password can be compared: what is kept of it, by host
    /// (`replication::password`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub account_passwords: BTreeMap<String, password::StoredPassword>,
    /// The replica's current source, threads and errors; `None` when it replicates from nothing.
    pub replica: Option<ReplicaStatus>,
    /// What the server has written (MariaDB `gtid_binlog_pos`, MySQL `gtid_executed`) and applied as a
    /// replica, as read. Left out of the fingerprint: they move with every write.
    #[serde(skip)]
    pub gtid_written: String,
    #[serde(skip)]
    pub gtid_applied: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaSize {
    pub name: String,
    pub tables: u64,
    pub bytes: u64,
}

impl ReplicationFacts {
    /// Whether any application schema has a table: data that seeding would replace.
    pub fn holds_data(&self) -> bool {
        self.schemas.iter().any(|s| s.tables > 0)
    }
}

#[cfg(test)]
impl HostFacts {
    /// A running Debian MariaDB with these replication facts and no config of mmprov's, for unit tests.
    pub fn running_for_tests(host: &str, replication: ReplicationFacts) -> Self {
        HostFacts {
            host: host.into(),
            server: Some(ServerVersion::DEBIAN_DEFAULT),
            running: true,
            service: ServiceKind::Service,
            service_name: "mariadb".into(),
            config_path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf".into(),
            option_files: Default::default(),
            config: None,
            variables: BTreeMap::new(),
            replication: Some(replication),
            seed_incomplete: false,
            writes_held: false,
            rejoin: None,
            missing_files: Vec::new(),
            layout: Default::default(),
            os: Default::default(),
        }
    }
}

impl HostFacts {
    /// Whether a server is installed: one answers, or its binary was found.
    pub fn server_installed(&self) -> bool {
        self.running || self.server.is_some()
    }

    /// A digest of everything the plan was computed from: a saved plan is stale when it changes. Facts
    /// that cannot be serialized have no digest (an error), never the digest of nothing.
    pub fn fingerprint(&self) -> Result<String, serde_json::Error> {
        let json = serde_json::to_vec(self)?;
        let digest = Sha256::digest(&json);
        Ok(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
    }
}

#[derive(Debug, Error, Diagnostic)]
pub enum FactsError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Transport(#[from] TransportError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Sql(#[from] SqlError),

    #[error("{host}: the probe's answer could not be read: {detail}")]
    #[diagnostic(code(mmprov::facts))]
    Probe { host: String, detail: String },

    /// A running server whose version cannot be read: its dialect (statement and option names) is never
    /// guessed.
    #[error("{host}: the server's version cannot be read")]
    #[diagnostic(
        code(mmprov::server_version),
        help(
            "mmprov knows MariaDB and MySQL 5.7, 8.0 and 8.4 by `SELECT VERSION(), @@version_comment`"
        )
    )]
    Version {
        host: String,
        #[source]
        source: crate::flavor::VersionError,
    },

    #[error("{host}: the SQL backend is not set right")]
    #[diagnostic(code(mmprov::sql_backend))]
    Backend { host: String, detail: String },
}

/// Facts of every host, and the open link to each.
pub struct Gathered {
    pub facts: BTreeMap<String, HostFacts>,
    pub links: Links,
}

/// What to read on one host: the config file its server play owns and the variables to compare.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// The playbook's config file; `None`: the probe finds the one the host's layout calls for.
    pub config_path: Option<String>,
    pub variables: Vec<String>,
    /// The replication account's name, for hosts of a replication play.
    pub replication_user: Option<String>,
    /// Files the host must hold (TLS certificates), checked for reading.
    pub files: Vec<String>,
    /// The server's socket, as the playbook names it (else the Debian package's): where SQL is sent.
    pub socket: String,
    /// The playbook names the socket: no other is looked for when nothing answers on it.
    pub socket_named: bool,
    /// The data directory whose state on the host is read: the playbook's; `None`: the one the config will
    /// name when the playbook names none (mmprov's file's, else the package's: see `plan::paths`).
    pub datadir: Option<String>,
}

/// For each host of any play within the run's limit, what its facts must include.
pub fn wanted(project: &Project) -> BTreeMap<String, Wanted> {
    let mut out: BTreeMap<String, Wanted> = BTreeMap::new();
    for play in &project.plays {
        for host in play.hosts.iter().filter(|h| project.in_limit(h)) {
            let entry = out.entry(host.clone()).or_insert_with(|| Wanted {
                config_path: play.vars.config_path.clone(),
                variables: WATCHED_VARIABLES.iter().map(|v| v.to_string()).collect(),
                replication_user: None,
                files: Vec::new(),
                socket: play.vars.socket_or_default().to_string(),
                socket_named: play.vars.socket.is_some(),
                datadir: play.vars.datadir.clone(),
            });
            if play.has_role(Role::Server) {
                entry.config_path = play.vars.config_path.clone();
                entry.socket = play.vars.socket_or_default().to_string();
                entry.socket_named = play.vars.socket.is_some();
                entry.datadir = play.vars.datadir.clone();
                let host_options = project
                    .hosts
                    .get(host)
                    .into_iter()
                    .flat_map(|h| h.mysqld.keys());
                let mut variables: BTreeSet<String> = entry.variables.iter().cloned().collect();
                variables.extend(
                    play.vars
                        .mysqld
                        .keys()
                        .chain(host_options)
                        .map(|k| k.to_ascii_lowercase().replace('-', "_")),
                );
                entry.variables = variables.into_iter().collect();
            }
            if play.has_role(Role::Replication) {
                entry.replication_user = Some(play.vars.replication_user.clone());
                if let Some(tls) = &play.vars.replication_tls {
                    entry
                        .files
                        .extend(tls.files().iter().map(|(_, f)| f.to_string()));
                }
            }
        }
    }
    out
}

/// Connect to every host that needs facts and read them, `forks` hosts at a time. Fails if any host fails,
/// naming every one that did.
pub fn gather(project: &Project, forks: usize) -> Result<Gathered, Vec<FactsError>> {
    let wanted = wanted(project);
    let choice = sql_choice().map_err(|e| vec![e])?;
    let jobs: Vec<(String, Wanted)> = wanted.into_iter().collect();
    let results = crate::fanout::fan_out(jobs, forks, |(name, wanted)| {
        let host = project.hosts.get(&name).ok_or_else(|| FactsError::Probe {
            host: name.clone(),
            detail: "not in the inventory".into(),
        })?;
        let mut t = link(host, &wanted.socket, choice)?;
        let started = std::time::Instant::now();
        let facts = read(&mut t, &wanted)?;
        log::info!("{name}: facts read in {} ms", started.elapsed().as_millis());
        Ok::<_, FactsError>((name, facts, t))
    });
    let mut gathered = Gathered {
        facts: BTreeMap::new(),
        links: BTreeMap::new(),
    };
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok((name, facts, t)) => {
                gathered.facts.insert(name.clone(), facts);
                gathered.links.insert(name, t);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(gathered)
    } else {
        Err(errors)
    }
}

/// The SQL backend the environment asks for; an unknown one is an error.
fn sql_choice() -> Result<SqlChoice, FactsError> {
    SqlChoice::from_env().map_err(|detail| FactsError::Backend {
        host: "every host".into(),
        detail,
    })
}

/// Connect to one host of the project on its own (outside a gathering), SQL going to its play's socket, or
/// where its server listens when nothing answers there and the play names none.
pub fn link_to(project: &Project, host: &crate::model::Host) -> Result<HostLink, FactsError> {
    let (socket, named) = match wanted(project).remove(&host.name) {
        Some(w) => (w.socket, w.socket_named),
        None => (crate::model::DEFAULT_SOCKET.to_string(), false),
    };
    let mut t = link(host, &socket, sql_choice()?)?;
    // As a gathering does: a server that keeps its own socket (MariaDB 11.8's /run/mariadbd) is found there.
    if !named
        && !t.socket_answers()
        && let Some(found) = probe::find_socket(&mut t)?.filter(|s| *s != socket)
    {
        t.use_socket(&found);
    }
    Ok(t)
}

/// Connect to one host of the project on its own and read its facts; SQL then goes wherever its server
/// listens (found as a gathering finds it).
pub fn read_one(
    project: &Project,
    host: &crate::model::Host,
) -> Result<(HostLink, HostFacts), FactsError> {
    let wanted = wanted(project)
        .remove(&host.name)
        .ok_or_else(|| FactsError::Probe {
            host: host.name.clone(),
            detail: "not a host the playbook acts on (or outside --limit)".into(),
        })?;
    let mut t = link(host, &wanted.socket, sql_choice()?)?;
    let facts = read(&mut t, &wanted)?;
    Ok((t, facts))
}

/// Connect to a host: its transport, and SQL to the server on `socket`.
fn link(
    host: &crate::model::Host,
    socket: &str,
    choice: SqlChoice,
) -> Result<HostLink, TransportError> {
    let transport = transport::connect(host)?;
    Ok(HostLink::new(
        transport,
        &host.user,
        socket,
        host.ssh.command_timeout,
        choice,
    ))
}

/// Read one host's facts over its open link.
pub fn read(t: &mut HostLink, wanted: &Wanted) -> Result<HostFacts, FactsError> {
    let host = t.host().to_string();
    // Nothing on the package's usual socket, and the playbook names none: the server may keep its own
    // (MariaDB 11.8's /run/mariadbd), which its option files or its usual places tell. Found before any
    // statement, so the protocol carries them all (the host's client would answer too, at a process per
    // statement).
    if !wanted.socket_named
        && !t.socket_answers()
        && let Some(found) = probe::find_socket(t)?.filter(|s| *s != wanted.socket)
    {
        log::info!(
            "{host}: no server on {}; SQL goes to {found}, where one listens",
            wanted.socket
        );
        t.use_socket(&found);
    }
    // The server first: when it answers, it names itself, and the probe need not start the server binary
    // just to ask its version (the slowest part of the probe).
    let read = read_server(t, wanted)?;
    let probe = probe::run(t, wanted, read.is_none())?;
    let config = match probe.config_base64 {
        None => None,
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|e| FactsError::Probe {
                    host: host.clone(),
                    detail: format!("config file content: {e}"),
                })?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
    };
    let (running, server, variables, replication) = match read {
        Some(r) => (true, r.server, r.variables, r.replication),
        None => (false, None, BTreeMap::new(), None),
    };
    Ok(HostFacts {
        host,
        server: server.or(probe.binary_version),
        running,
        service: probe.service,
        service_name: probe.service_name,
        config_path: probe.config_path.clone(),
        option_files: probe.option_files.clone(),
        config,
        variables,
        replication,
        seed_incomplete: probe.seed_incomplete,
        writes_held: probe.writes_held,
        rejoin: probe.rejoin,
        missing_files: probe.missing_files,
        layout: probe.layout,
        os: OsFacts {
            package_manager: probe.package_manager,
            codename: probe.os_codename,
            install_unfinished: probe.install_unfinished,
            physical_tool: probe.physical_tool,
        },
    })
}

/// What a running server tells: its version, the variables asked for, and its replication.
struct ServerFacts {
    server: Option<ServerVersion>,
    variables: BTreeMap<String, String>,
    replication: Option<ReplicationFacts>,
}

const VERSION_SQL: &str = "SELECT VERSION() AS version, @@version_comment AS comment";

/// The replica status statement asked in the first round trip: the one every MariaDB and MySQL before 8.4
/// answers. Its answer is used only when the server names that dialect; otherwise the right one is asked.
const LIKELY_STATUS: &str = crate::flavor::LIKELY_REPLICA_STATUS;

/// Every query in one round trip; `None` when no server answers. The replica status statement depends on the
/// dialect, which the server names in the same answer: the likely one is asked along, and used only when it
/// is the server's (a host client costs a process per round trip); otherwise it is asked again.
fn read_server(t: &mut HostLink, wanted: &Wanted) -> Result<Option<ServerFacts>, FactsError> {
    let variables_sql = variables_query(&wanted.variables);
    let schemas_sql = schemas_query();
    let account_sql = wanted.replication_user.as_deref().map(account_query);
    let mut queries = vec![
        ("reading the server version", VERSION_SQL),
        ("reading global variables", variables_sql.as_str()),
    ];
    if let Some(account_sql) = &account_sql {
        queries.push(("listing application schemas", schemas_sql.as_str()));
        queries.push(("listing the replication account", account_sql.as_str()));
        queries.push(("reading the replica status", LIKELY_STATUS));
    }
    let mut status_read = account_sql.is_some();
    let sets = match t.sql().query_many(&queries) {
        Ok(sets) => sets,
        Err(e) if e.is_not_serving() => return Ok(None),
        Err(SqlError::Server { .. }) if status_read => {
            // The likely statement was refused (MySQL 8.4): everything else again, the status below.
            status_read = false;
            t.sql().query_many(&queries[..queries.len() - 1])?
        }
        Err(e) => return Err(e.into()),
    };
    let host = t.host().to_string();
    let mut sets = sets.into_iter();
    let mut answer = move |what: &str| {
        sets.next().ok_or_else(|| SqlError::Unreadable {
            host: host.clone(),
            what: what.to_string(),
            detail: "no answer".into(),
        })
    };
    let server = server_version(t.host(), &answer("reading the server version")?)?;
    let variables = parse_variables(&answer("reading global variables")?);
    let replication = if account_sql.is_some() {
        let schemas_rows = answer("listing application schemas")?;
        let schemas = parse_schemas(&schemas_rows)
            .map_err(|e| SqlError::unreadable(t.host(), "listing application schemas", e))?;
        let accounts = parse_accounts(&answer("listing the replication account")?)
            .map_err(|e| SqlError::unreadable(t.host(), "listing the replication account", e))?;
        let statement = server.flavor().replica_status();
        let status_rows = if status_read && statement == LIKELY_STATUS {
            answer("reading the replica status")?
        } else {
            t.sql().query("reading the replica status", statement)?
        };
        let (gtid_written, gtid_applied) = gtid_positions(t, server.flavor().as_ref())?;
        Some(ReplicationFacts {
            schemas,
            account_hosts: accounts.hosts,
            tls_account_hosts: accounts.tls,
            account_passwords: accounts.passwords,
            replica: ReplicaStatus::from_rows(&status_rows)
                .map_err(|e| SqlError::unreadable(t.host(), "reading the replica status", e))?,
            gtid_written,
            gtid_applied,
        })
    } else {
        None
    };
    Ok(Some(ServerFacts {
        server: Some(server),
        variables,
        replication,
    }))
}

/// Which server answered `SELECT VERSION(), @@version_comment`: a value that cannot be read stops here.
pub fn server_version(host: &str, rows: &[Row]) -> Result<ServerVersion, FactsError> {
    let what = "reading the server version";
    let row = rows.first().ok_or_else(|| SqlError::Unreadable {
        host: host.to_string(),
        what: what.to_string(),
        detail: "no row".into(),
    })?;
    let unreadable = |e| SqlError::unreadable(host, what, e);
    let version = row.text(&["version"]).map_err(unreadable)?;
    let comment = row.nullable(&["comment"]).map_err(unreadable)?;
    ServerVersion::from_server(version, comment.unwrap_or_default()).map_err(|source| {
        FactsError::Version {
            host: host.to_string(),
            source,
        }
    })
}

/// The version of the server `sql` reaches.
pub fn ask_server_version(
    host: &str,
    sql: &mut dyn SqlExecutor,
) -> Result<ServerVersion, FactsError> {
    let rows = sql.query("reading the server version", VERSION_SQL)?;
    server_version(host, &rows)
}

/// Application schemas (system schemas and mmprov's own left out), with their tables and size.
pub fn application_schemas(
    host: &str,
    sql: &mut dyn SqlExecutor,
) -> Result<Vec<SchemaSize>, SqlError> {
    let what = "listing application schemas";
    let rows = sql.query(what, &schemas_query())?;
    parse_schemas(&rows).map_err(|e| SqlError::unreadable(host, what, e))
}

fn schemas_query() -> String {
    let system: Vec<String> = SYSTEM_SCHEMAS.iter().map(|s| literal(s)).collect();
    format!(
        "SELECT s.schema_name AS name, COUNT(t.table_name) AS tables, \
         COALESCE(SUM(t.data_length + t.index_length), 0) AS bytes \
         FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t \
         ON t.table_schema = s.schema_name WHERE s.schema_name NOT IN ({}) \
         GROUP BY s.schema_name ORDER BY s.schema_name",
        system.join(", ")
    )
}

/// Every count must read: a table count taken as 0 would say "this node holds no data", which is what
/// keeps a node from being seeded over.
fn parse_schemas(rows: &[Row]) -> Result<Vec<SchemaSize>, crate::sqltext::ValueError> {
    rows.iter()
        .map(|r| {
            Ok(SchemaSize {
                name: r.text(&["name"])?.to_string(),
                tables: r.number(&["tables"])?,
                bytes: r.number(&["bytes"])?,
            })
        })
        .collect()
}

fn account_query(user: &str) -> String {
    format!(
        "SELECT Host AS host, ssl_type AS tls, plugin, HEX(authentication_string) AS auth FROM mysql.user \
         WHERE User = {} ORDER BY Host",
        literal(user)
    )
}

/// The replication account as found: the hosts it exists for, those that require TLS, and the fingerprints
/// of the passwords that can be compared. The stored hash itself goes no further than this function.
struct Accounts {
    hosts: Vec<String>,
    tls: Vec<String>,
    passwords: BTreeMap<String, password::StoredPassword>,
}

fn parse_accounts(rows: &[Row]) -> Result<Accounts, crate::sqltext::ValueError> {
    let host_of = |r: &Row| r.get(&["host"]).map(str::to_string);
    let mut passwords = BTreeMap::new();
    for row in rows {
        if let (Some(host), Some(stored)) = (host_of(row), stored_password(row)?) {
            passwords.insert(host, stored);
        }
    }
    Ok(Accounts {
        hosts: rows.iter().filter_map(host_of).collect(),
        tls: rows
            .iter()
            .filter(|r| r.get(&["tls"]).is_some_and(|t| !t.is_empty()))
            .filter_map(host_of)
            .collect(),
        passwords,
    })
}

/// What is kept of an account's stored password; `None` under a plugin whose hashes cannot be compared. The
/// hash is read as hex (a salted one holds any byte, which a client's batch output would escape): text that
/// is not hex is an error, never an account taken as not comparable.
fn stored_password(
    row: &Row,
) -> Result<Option<password::StoredPassword>, crate::sqltext::ValueError> {
    let (Some(plugin), Some(auth)) = (row.get(&["plugin"]), row.get(&["auth"])) else {
        return Ok(None);
    };
    let hash = hex::decode(auth).map_err(|e| crate::sqltext::ValueError {
        column: "auth".into(),
        detail: format!("`{auth}` is not hex: {e}"),
    })?;
    Ok(password::StoredPassword::read(plugin, &hash))
}

fn variables_query(names: &[String]) -> String {
    let list: Vec<String> = names.iter().map(|n| literal(n)).collect();
    format!(
        "SHOW GLOBAL VARIABLES WHERE Variable_name IN ({})",
        list.join(", ")
    )
}

fn parse_variables(rows: &[Row]) -> BTreeMap<String, String> {
    rows.iter()
        .filter_map(|r| {
            Some((
                r.at(0)?.to_ascii_lowercase(),
                r.at(1).unwrap_or("").to_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn account(plugin: &str, auth: &str) -> Row {
        let columns = Arc::new(vec![
            "host".into(),
            "tls".into(),
            "plugin".into(),
            "auth".into(),
        ]);
        let values = [Some("10.0.0.2"), Some(""), Some(plugin), Some(auth)];
        Row::new(
            columns,
            values.iter().map(|v| v.map(str::to_string)).collect(),
        )
    }

    /// A stored hash is read as hex; text that is not hex is an error, never an account left uncompared.
    #[test]
    fn an_accounts_hash_that_is_not_hex_is_an_error() {
        let native = hex::encode("*B69027D44F6E5EDC07F1AEAD1477967B16F28227");
        let read = parse_accounts(&[account("mysql_native_password", &native)]).expect("reads");
        assert_eq!(read.hosts, ["10.0.0.2"]);
        assert!(read.passwords.contains_key("10.0.0.2"));
        let other = parse_accounts(&[account("ed25519", "414243")]).expect("reads");
        assert!(other.passwords.is_empty(), "another plugin is not compared");
        let unreadable = parse_accounts(&[account("mysql_native_password", "*B690")]);
        assert!(unreadable.is_err_and(|e| e.column == "auth"));
    }
}
