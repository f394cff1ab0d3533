//! Server families and their dialects: what a setting is called, and which SQL a server understands for
//! replication. Pure string logic, so every difference is a plain unit test over the whole matrix.
//!
//! 1. [`ServerVersion`]: a family plus version numbers, parsed from a playbook hint (`mariadb-10.11`) or from
//!    the server's own `VERSION()` / `@@version_comment`. The family is decided first, then numbers compared.
//! 2. [`Dialect`] (`dialect.rs`): the table, one row per family and version range, of the words a server
//!    understands (`CHANGE MASTER` / `CHANGE REPLICATION SOURCE`, `log_slave_updates` /
//!    `log_replica_updates`, status columns) and what it can do ([`Capabilities`]). Code outside `flavor/`
//!    asks a capability; it never matches on the family.
//! 3. [`Flavor`]: the statement builders, written once over the row's words, chosen once by
//!    [`ServerVersion::flavor`]. One implementation per family ([`MariaDb`], [`MySql`]) for what truly
//!    differs in behaviour: GTID positions and a fresh data directory.

pub mod clone;
mod dialect;
mod mariadb;
mod mysql;
mod physical;
mod version;

pub use dialect::{
    BinlogExpiry, Capabilities, DIALECTS, Dialect, LIKELY_REPLICA_STATUS, MYSQL_CONFIG_FILE,
    PackageNames, Positioning, StatusColumns, Variables, Words, dialect_of,
};
pub use mariadb::MariaDb;
pub use mysql::MySql;
pub use physical::{PhysicalTool, parse_binlog_info};
pub use version::{Family, ServerVersion, VersionError};

use crate::model::ReplicationTls;
use crate::sqltext::{Statement, literal};

/// A `[mysqld]` setting as the server spells it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
}

impl Setting {
    fn new(name: &str, value: impl ToString) -> Self {
        Self {
            name: name.to_string(),
            value: value.to_string(),
        }
    }
}

/// Where a replica reads from. The password is only ever placed in a [`Statement`]'s secret text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub log_file: Option<String>,
    pub log_pos: Option<u64>,
    /// Connect over TLS with these files; `None` leaves the connection's TLS settings as they are.
    pub tls: Option<ReplicationTls>,
    /// Position by GTID (the replica's own GTID position, set beforehand) instead of `log_file`/`log_pos`.
    pub gtid: bool,
}

impl SourceSpec {
    /// A source with no file and position yet (those are decided when the replica is pointed at it).
    pub fn unpositioned(
        host: &str,
        port: u16,
        user: &str,
        tls: Option<ReplicationTls>,
        gtid: bool,
    ) -> Self {
        Self {
            host: host.to_string(),
            port,
            user: user.to_string(),
            log_file: None,
            log_pos: None,
            tls,
            gtid,
        }
    }
}

/// How soon a replica tries again to reach a source it lost, in seconds: a restarted source is found in
/// seconds, not in the servers' default minute.
pub const CONNECT_RETRY: u32 = 2;

/// How long a replica waits on a silent source before it reconnects, in seconds. The source sends a
/// heartbeat every [`HEARTBEAT_PERIOD`] when it has nothing to send, so only a source that is gone (a host
/// that rebooted keeps no connection) is silent that long.
pub const REPLICA_NET_TIMEOUT: u32 = 10;

/// How often an idle source tells its replicas it is still there, in seconds.
pub const HEARTBEAT_PERIOD: u32 = 2;

/// What differs between server families, as config names, values and statements. Words and capabilities
/// come from the version's row of the dialect table ([`Dialect`]), so every statement builder here is
/// written once; the two implementations ([`MariaDb`], [`MySql`]) hold only what differs in behaviour: how
/// GTID positions are kept and set, and how a fresh data directory is made.
pub trait Flavor {
    fn version(&self) -> &ServerVersion;

    /// The version's row of the dialect table.
    fn dialect(&self) -> &'static Dialect {
        self.version().dialect()
    }

    /// What the server can do.
    fn capabilities(&self) -> &'static Capabilities {
        &self.dialect().capabilities
    }

    /// The `[mysqld]` settings of crash-safe, GTID-positioned replication; `server_id` names the node's own
    /// GTID domain where the server has domains, so two writers never interleave one domain's sequence.
    fn gtid_settings(&self, server_id: Option<u32>, strict: bool) -> Vec<Setting>;

    /// Where the server has GTID domains, the node's own (`server_id`), also when the play keeps file and
    /// position: mmprov carries a replica's position between nodes through GTIDs (a ring that grows or
    /// shrinks), which is exact only when no two writers share a domain.
    fn gtid_domain(&self, _server_id: Option<u32>) -> Option<Setting> {
        None
    }

    /// The statement that reads the GTID position matching a source's binlog coordinates (`pos` column),
    /// where the server positions replicas by it; `None` where the source computes it itself (MySQL).
    fn gtid_position_at(&self, _file: &str, _pos: u64) -> Option<String> {
        None
    }

    /// The statement that sets where a replica's GTID positioning starts; `None` where the server needs none.
    fn set_replica_gtid_position(&self, _position: &str) -> Option<String> {
        None
    }

    /// The shell command that makes `datadir` a fresh server's data directory (its system tables, owned by
    /// the server's user; root logs in through the socket as the local root user). It is run only on a
    /// directory that holds none.
    fn initialize_datadir(&self, datadir: &str) -> String;

    /// How long binary logs are kept: `expire_logs_days` on old servers, `binlog_expire_logs_seconds` where
    /// that is the name.
    fn binlog_expiry(&self, days: u32) -> Setting {
        match self.dialect().variables.binlog_expiry {
            BinlogExpiry::Days(name) => Setting::new(name, days),
            BinlogExpiry::Seconds(name) => Setting::new(name, seconds(days)),
        }
    }

    /// The switch that makes a replica write what it applies to its own binary log (needed for rings).
    fn log_replica_updates(&self) -> &'static str {
        self.dialect().variables.log_replica_updates
    }

    /// The switch that keeps replication threads stopped at server start until mmprov (or the DBA) starts them.
    fn skip_replica_start(&self) -> &'static str {
        self.dialect().variables.skip_replica_start
    }

    /// The (risky, opt-in) list of replication errors a replica skips.
    fn skip_errors(&self) -> &'static str {
        self.dialect().variables.skip_errors
    }

    /// The switches of a passive node (`on`) or an active one: `read_only`, and `super_read_only` where the
    /// server has it (so that accounts with SUPER cannot write either).
    fn read_only(&self, on: bool) -> Vec<Setting> {
        let value = if on { "ON" } else { "OFF" };
        let mut settings = vec![Setting::new("read_only", value)];
        if self.capabilities().super_read_only {
            settings.push(Setting::new("super_read_only", value));
        }
        settings
    }

    /// Whether `SET GLOBAL` changes this variable on a running server; otherwise a new value needs a restart.
    /// Unknown variables are treated as needing one: a needless restart is safer than a setting never loaded.
    fn is_dynamic(&self, variable: &str) -> bool {
        DYNAMIC.contains(&variable)
    }

    /// Point this server's replication at a source, with the password as a secret.
    fn change_source(&self, source: &SourceSpec, password: &str) -> Statement {
        let words = &self.dialect().words;
        let mut extra = vec![positioning_option(words, source.gtid)];
        extra.extend(words.public_key.map(str::to_string));
        change_statement(words, source, password, &extra)
    }

    /// Change only the account a replica uses, keeping its source and position.
    fn change_credentials(&self, user: &str, password: &str) -> Statement {
        let Words {
            change_source: head,
            option: prefix,
            ..
        } = &self.dialect().words;
        let build = |password: &str| {
            format!(
                "{head} {prefix}_USER = {}, {prefix}_PASSWORD = {password}",
                literal(user)
            )
        };
        Statement::secret(build("(sensitive)"), build(&literal(password)))
    }

    /// Change only the TLS settings of a replica's connection (`None`: plain), keeping source and position.
    fn change_tls(&self, tls: Option<&ReplicationTls>) -> String {
        let words = &self.dialect().words;
        format!(
            "{} {}",
            words.change_source,
            tls_options(words.option, tls).join(", ")
        )
    }

    /// The variable that bounds how long a replica waits on a silent source, at [`REPLICA_NET_TIMEOUT`].
    fn replica_net_timeout(&self) -> Setting {
        Setting::new(self.dialect().variables.net_timeout, REPLICA_NET_TIMEOUT)
    }

    /// Switch a replica's positioning (GTID or file/position), keeping its source and what it applied; the
    /// connect retry and heartbeat are set with it.
    fn change_positioning(&self, gtid: bool) -> String {
        let words = &self.dialect().words;
        let prefix = words.option;
        format!(
            "{} {}, {prefix}_CONNECT_RETRY = {CONNECT_RETRY}, {prefix}_HEARTBEAT_PERIOD = {HEARTBEAT_PERIOD}",
            words.change_source,
            positioning_option(words, gtid)
        )
    }

    /// The statement that reads what this server has written (`written`) and, as a replica, applied
    /// (`applied`), as GTID positions or sets.
    fn gtid_positions(&self) -> &'static str {
        self.dialect().variables.gtid_positions
    }

    /// The query that waits (at most `seconds`) until this replica has applied its source's binary log up
    /// to `file`:`pos`; it answers `waited`: 0 or more when it has, -1 on timeout, NULL when it cannot.
    fn wait_for_source_position(&self, file: &str, pos: u64, seconds: u64) -> String {
        format!(
            "SELECT {}({}, {pos}, {seconds}) AS waited",
            self.dialect().words.position_wait,
            literal(file)
        )
    }

    /// The query that waits (at most `seconds`) until this server has executed `gtids` (a position or set
    /// as another server of its family writes it); it answers `waited`: 0 once it has, anything else when
    /// it has not (timed out, or cannot wait).
    fn wait_for_gtids(&self, gtids: &str, seconds: u64) -> String {
        format!(
            "SELECT {}({}, {seconds}) AS waited",
            self.dialect().words.gtid_wait,
            literal(gtids)
        )
    }

    fn start_replica(&self) -> &'static str {
        self.dialect().words.start_replica
    }

    fn stop_replica(&self) -> &'static str {
        self.dialect().words.stop_replica
    }

    /// Stops only the replica's IO thread: it stops fetching, and what it fetched is still applied.
    fn stop_io_thread(&self) -> String {
        format!("{} IO_THREAD", self.stop_replica())
    }

    /// Starts only the replica's IO thread again.
    fn start_io_thread(&self) -> String {
        format!("{} IO_THREAD", self.start_replica())
    }

    /// The statement that shows the replica's threads, errors and positions (one row per channel).
    fn replica_status(&self) -> &'static str {
        self.dialect().words.replica_status
    }

    /// The statement that shows this server's current binary log file and position.
    fn binlog_status(&self) -> &'static str {
        self.dialect().words.binlog_status
    }

    /// The dump option that writes the source's binlog coordinates into the dump as a comment.
    fn dump_coordinates_option(&self) -> &'static str {
        self.dialect().words.dump_coordinates
    }

    /// The variable that skips the next N events of the replica's SQL thread.
    fn skip_counter(&self) -> &'static str {
        self.dialect().variables.skip_counter
    }

    /// The query naming (`gtid`) the transactions a stopped replica failed to apply, where skipping one means
    /// committing an empty transaction under its GTID: a MySQL replica positioned by GTID asks its source again
    /// for every transaction it has not executed, so the skip counter would only see it sent again. `None`
    /// where the skip counter skips it (MariaDB keeps its position by its own GTIDs of what it applied).
    fn failed_transactions_query(&self) -> Option<&'static str> {
        self.dialect().words.failed_transactions
    }

    /// Stop the replica, commit an empty transaction under each of `gtids` in place of the one the source
    /// sent, and start it again.
    fn skip_transactions(&self, gtids: &[String]) -> String {
        let mut sql = format!("{};\n", self.stop_replica());
        for gtid in gtids {
            sql.push_str(&format!(
                "SET GTID_NEXT = {};\nBEGIN;\nCOMMIT;\n",
                literal(gtid)
            ));
        }
        sql.push_str(&format!(
            "SET GTID_NEXT = 'AUTOMATIC';\n{};\n",
            self.start_replica()
        ));
        sql
    }

    /// The statement that empties the server's binary logs and GTID history, run on a seed's target before
    /// a dump that sets `GTID_PURGED` (MySQL), which must not overlap what the target executed; `None` where
    /// a dump sets no GTID history of the server's own (MariaDB keeps the replica's position apart).
    fn reset_binary_logs(&self) -> Option<&'static str> {
        self.dialect().words.reset_binary_logs
    }

    /// The fresh server's first clean-up, given the hosts its anonymous accounts are for: those accounts
    /// and the test database go, unlogged (a peer's own are never touched).
    fn harden(&self, anonymous_hosts: &[String]) -> String {
        let mut sql = String::from("SET SESSION sql_log_bin = 0;\n");
        if !anonymous_hosts.is_empty() {
            let accounts: Vec<String> = anonymous_hosts
                .iter()
                .map(|h| format!("''@{}", crate::sqltext::literal(h)))
                .collect();
            sql.push_str(&format!("DROP USER {};\n", accounts.join(", ")));
        }
        sql.push_str(
            "DROP DATABASE IF EXISTS test;\n\
             DELETE FROM mysql.db WHERE Db = 'test' OR Db = 'test\\\\_%';\n\
             FLUSH PRIVILEGES;\n",
        );
        sql
    }

    /// The replication account on a source, for the replica connecting from `from_host`: created if missing,
    /// its password set, its only privilege REPLICATION SLAVE; kept out of the binary log so it never replicates.
    /// With `tls`, the account can only connect over TLS (`REQUIRE SSL`); without, it is not required.
    fn replication_user(
        &self,
        user: &str,
        from_host: &str,
        password: &str,
        tls: bool,
    ) -> Statement {
        let account = format!("{}@{}", literal(user), literal(from_host));
        let require = if tls { "SSL" } else { "NONE" };
        let text = |password: &str| {
            format!(
                "SET SESSION sql_log_bin = 0;\nCREATE USER IF NOT EXISTS {account} IDENTIFIED BY {p};\n\
                 ALTER USER {account} IDENTIFIED BY {p} REQUIRE {require};\nGRANT REPLICATION SLAVE ON *.* TO {account};\n",
                p = password
            )
        };
        let text = |password: &str| self.through_super_read_only(&text(password));
        Statement::secret(text("(sensitive)"), text(&literal(password)))
    }

    /// `statements` (mmprov's own accounts, kept out of the binary log) run on a node that may be held or
    /// passive: where the server has `super_read_only`, it is lifted for them and put back as it was, while
    /// `read_only` keeps every application account out throughout.
    fn through_super_read_only(&self, statements: &str) -> String {
        let (lift, restore) = self.super_read_only_lifted();
        format!("{lift}{statements}{restore}")
    }

    /// What goes before and after mmprov's own writes (accounts, a seed's restore) so that `super_read_only`
    /// is lifted for them and put back as it was; nothing where the server has no such switch.
    fn super_read_only_lifted(&self) -> (&'static str, &'static str) {
        if self.dialect().capabilities.super_read_only {
            (
                "SET @mmprov_super_read_only = @@GLOBAL.super_read_only;\nSET GLOBAL super_read_only = OFF;\n",
                "SET GLOBAL super_read_only = @mmprov_super_read_only;\n",
            )
        } else {
            ("", "")
        }
    }
}

/// Variables that all supported servers change at run time.
const DYNAMIC: &[&str] = &[
    "server_id",
    "auto_increment_increment",
    "auto_increment_offset",
    "binlog_format",
    "expire_logs_days",
    "binlog_expire_logs_seconds",
    "max_binlog_size",
    "sync_binlog",
    "innodb_flush_log_at_trx_commit",
    "innodb_buffer_pool_size",
    "max_connections",
    "max_allowed_packet",
    "character_set_server",
    "collation_server",
    "sql_mode",
    "read_only",
    "super_read_only",
    "event_scheduler",
    "slow_query_log",
    "long_query_time",
    "gtid_domain_id",
    "gtid_strict_mode",
    "slave_net_timeout",
    "replica_net_timeout",
];

/// The shell command that creates a data directory (`quoted` for the shell), owned by the server's user.
fn create_datadir(quoted: &str) -> String {
    format!("install -d -o mysql -g mysql -m 0750 {quoted}")
}

fn seconds(days: u32) -> u64 {
    u64::from(days) * 86_400
}

/// `MASTER_USE_GTID = slave_pos` or `SOURCE_AUTO_POSITION = 0`: how the replica positions itself.
fn positioning_option(words: &Words, gtid: bool) -> String {
    let p = &words.positioning;
    let value = if gtid { p.by_gtid } else { p.by_file };
    format!("{} = {value}", p.option)
}

/// The TLS options of a CHANGE statement: all of them, so a change from one set of files to another (or to
/// plain) leaves nothing of the old one behind.
fn tls_options(prefix: &str, tls: Option<&ReplicationTls>) -> Vec<String> {
    match tls {
        None => vec![format!("{prefix}_SSL = 0")],
        Some(t) => vec![
            format!("{prefix}_SSL = 1"),
            format!("{prefix}_SSL_CA = {}", literal(&t.ca)),
            format!("{prefix}_SSL_CERT = {}", literal(&t.cert)),
            format!("{prefix}_SSL_KEY = {}", literal(&t.key)),
            format!(
                "{prefix}_SSL_VERIFY_SERVER_CERT = {}",
                u8::from(t.verify_server_cert)
            ),
        ],
    }
}

/// `KEY='value', ...` options of a CHANGE statement, with the password kept apart for redaction.
fn change_statement(
    words: &Words,
    source: &SourceSpec,
    password: &str,
    extra: &[String],
) -> Statement {
    let (head, prefix) = (words.change_source, words.option);
    let build = |password: &str| {
        let mut parts = vec![
            format!("{prefix}_HOST = {}", literal(&source.host)),
            format!("{prefix}_PORT = {}", source.port),
            format!("{prefix}_USER = {}", literal(&source.user)),
            format!("{prefix}_PASSWORD = {password}"),
        ];
        if let (false, Some(file), Some(pos)) = (source.gtid, &source.log_file, source.log_pos) {
            parts.push(format!("{prefix}_LOG_FILE = {}", literal(file)));
            parts.push(format!("{prefix}_LOG_POS = {pos}"));
        }
        parts.push(format!("{prefix}_CONNECT_RETRY = {CONNECT_RETRY}"));
        parts.push(format!("{prefix}_HEARTBEAT_PERIOD = {HEARTBEAT_PERIOD}"));
        if source.tls.is_some() {
            parts.extend(tls_options(prefix, source.tls.as_ref()));
        }
        parts.extend(extra.iter().cloned());
        format!("{head} {}", parts.join(", "))
    };
    Statement::secret(build("(sensitive)"), build(&literal(password)))
}

#[cfg(test)]
mod tests;
