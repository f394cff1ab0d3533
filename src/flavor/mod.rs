//! Server families and their dialects: what a setting is called, and which SQL a server understands for
//! replication. Pure string logic, so every difference is a plain unit test over the whole matrix.
//!
//! 1. [`ServerVersion`]: a family plus version numbers, parsed from a playbook hint (`mariadb-10.11`) or from
//!    the server's own `VERSION()` / `@@version_comment`. The family is decided first, then numbers compared.
//! 2. [`Flavor`]: one implementation per family ([`MariaDb`]; [`MySql57`], [`MySql80`], [`MySql84`]), chosen
//!    once by [`ServerVersion::flavor`]. Config names (`log_slave_updates` / `log_replica_updates`), statements
//!    (`CHANGE MASTER` / `CHANGE REPLICATION SOURCE`), status commands and dump options all come from here.

pub mod clone;
mod mariadb;
mod mysql;
mod physical;
mod version;

pub use mariadb::MariaDb;
pub use mysql::{MySql57, MySql80, MySql84};
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

/// What differs between server families, as config names, values and statements.
pub trait Flavor {
    fn version(&self) -> &ServerVersion;

    /// How long binary logs are kept: `expire_logs_days` on old servers, `binlog_expire_logs_seconds` where
    /// that is the name.
    fn binlog_expiry(&self, days: u32) -> Setting;

    /// The switch that makes a replica write what it applies to its own binary log (needed for rings).
    fn log_replica_updates(&self) -> &'static str;

    /// The switch that keeps replication threads stopped at server start until mmprov (or the DBA) starts them.
    fn skip_replica_start(&self) -> &'static str;

    /// The (risky, opt-in) list of replication errors a replica skips.
    fn skip_errors(&self) -> &'static str;

    /// The switches of a passive node (`on`) or an active one: `read_only`, and `super_read_only` where the
    /// server has it (so that accounts with SUPER cannot write either).
    fn read_only(&self, on: bool) -> Vec<Setting> {
        vec![Setting::new("read_only", if on { "ON" } else { "OFF" })]
    }

    /// Whether `SET GLOBAL` changes this variable on a running server; otherwise a new value needs a restart.
    /// Unknown variables are treated as needing one: a needless restart is safer than a setting never loaded.
    fn is_dynamic(&self, variable: &str) -> bool {
        DYNAMIC.contains(&variable)
    }

    /// Point this server's replication at a source, with the password as a secret.
    fn change_source(&self, source: &SourceSpec, password: &str) -> Statement;

    /// Change only the account a replica uses, keeping its source and position.
    fn change_credentials(&self, user: &str, password: &str) -> Statement;

    /// Change only the TLS settings of a replica's connection (`None`: plain), keeping source and position.
    fn change_tls(&self, tls: Option<&ReplicationTls>) -> String;

    /// The `[mysqld]` settings of crash-safe, GTID-positioned replication; `server_id` names the node's own
    /// GTID domain where the server has domains, so two writers never interleave one domain's sequence.
    fn gtid_settings(&self, server_id: Option<u32>, strict: bool) -> Vec<Setting>;

    /// Where the server has GTID domains, the node's own (`server_id`), also when the play keeps file and
    /// position: mmprov carries a replica's position between nodes through GTIDs (a ring that grows or
    /// shrinks), which is exact only when no two writers share a domain.
    fn gtid_domain(&self, _server_id: Option<u32>) -> Option<Setting> {
        None
    }

    /// The variable that bounds how long a replica waits on a silent source, at [`REPLICA_NET_TIMEOUT`].
    fn replica_net_timeout(&self) -> Setting;

    /// Switch a replica's positioning (GTID or file/position), keeping its source and what it applied; the
    /// connect retry and heartbeat are set with it.
    fn change_positioning(&self, gtid: bool) -> String;

    /// The statement that reads the GTID position matching a source's binlog coordinates (`pos` column),
    /// where the server positions replicas by it; `None` where the source computes it itself (MySQL).
    fn gtid_position_at(&self, _file: &str, _pos: u64) -> Option<String> {
        None
    }

    /// The statement that sets where a replica's GTID positioning starts; `None` where the server needs none.
    fn set_replica_gtid_position(&self, _position: &str) -> Option<String> {
        None
    }

    /// The statement that reads what this server has written (`written`) and, as a replica, applied
    /// (`applied`), as GTID positions or sets.
    fn gtid_positions(&self) -> &'static str;

    /// The query that waits (at most `seconds`) until this replica has applied its source's binary log up
    /// to `file`:`pos`; it answers `waited`: 0 or more when it has, -1 on timeout, NULL when it cannot.
    fn wait_for_source_position(&self, file: &str, pos: u64, seconds: u64) -> String {
        let function =
            if self.version().family == Family::MySql && self.version().at_least(8, 0, 26) {
                "SOURCE_POS_WAIT"
            } else {
                "MASTER_POS_WAIT"
            };
        format!(
            "SELECT {function}({}, {pos}, {seconds}) AS waited",
            literal(file)
        )
    }

    fn start_replica(&self) -> &'static str;

    fn stop_replica(&self) -> &'static str;

    /// The statement that shows the replica's threads, errors and positions (one row per channel).
    fn replica_status(&self) -> &'static str;

    /// The statement that shows this server's current binary log file and position.
    fn binlog_status(&self) -> &'static str;

    /// The dump option that writes the source's binlog coordinates into the dump as a comment.
    fn dump_coordinates_option(&self) -> &'static str;

    /// The variable that skips the next N events of the replica's SQL thread.
    fn skip_counter(&self) -> &'static str;

    /// The statement that empties the server's binary logs and GTID history, run on a seed's target before
    /// a dump that sets `GTID_PURGED` (MySQL), which must not overlap what the target executed; `None` where
    /// a dump sets no GTID history of the server's own (MariaDB keeps the replica's position apart).
    fn reset_binary_logs(&self) -> Option<&'static str> {
        None
    }

    /// The shell command that makes `datadir` a fresh server's data directory (its system tables, owned by
    /// the server's user; root logs in through the socket as the local root user). It is run only on a
    /// directory that holds none.
    fn initialize_datadir(&self, datadir: &str) -> String {
        let d = crate::shell::quote(datadir);
        let create = format!("install -d -o mysql -g mysql -m 0750 {d}");
        match self.version().family {
            Family::MariaDb => format!(
                "{create} && if command -v mariadb-install-db >/dev/null 2>&1; then i=mariadb-install-db; \
                 else i=mysql_install_db; fi && \"$i\" --user=mysql --datadir={d}"
            ),
            Family::MySql => {
                format!("{create} && mysqld --initialize-insecure --user=mysql --datadir={d}")
            }
        }
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
        Statement::secret(text("(sensitive)"), text(&literal(password)))
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

fn seconds(days: u32) -> u64 {
    u64::from(days) * 86_400
}

/// A CHANGE statement that sets only user and password: position and source stay as they are.
fn credentials_statement(head: &str, prefix: &str, user: &str, password: &str) -> Statement {
    let build = |password: &str| {
        format!(
            "{head} {prefix}_USER = {}, {prefix}_PASSWORD = {password}",
            literal(user)
        )
    };
    Statement::secret(build("(sensitive)"), build(&literal(password)))
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

/// A CHANGE statement that sets only the TLS options: position and source stay as they are.
fn tls_statement(head: &str, prefix: &str, tls: Option<&ReplicationTls>) -> String {
    format!("{head} {}", tls_options(prefix, tls).join(", "))
}

/// `KEY='value', ...` options of a CHANGE statement, with the password kept apart for redaction.
fn change_statement(
    head: &str,
    prefix: &str,
    source: &SourceSpec,
    password: &str,
    extra: &[&str],
) -> Statement {
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
        parts.extend(extra.iter().map(|e| e.to_string()));
        format!("{head} {}", parts.join(", "))
    };
    Statement::secret(build("(sensitive)"), build(&literal(password)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flavor(s: &str) -> Box<dyn Flavor> {
        ServerVersion::parse_hint(s).expect("valid hint").flavor()
    }

    #[test]
    fn binlog_expiry_follows_the_server() {
        assert_eq!(
            flavor("mariadb-10.5").binlog_expiry(10),
            Setting::new("expire_logs_days", 10)
        );
        assert_eq!(
            flavor("mariadb-10.11").binlog_expiry(10),
            Setting::new("binlog_expire_logs_seconds", 864000)
        );
        assert_eq!(
            flavor("mysql-5.7").binlog_expiry(7),
            Setting::new("expire_logs_days", 7)
        );
        assert_eq!(
            flavor("mysql-8.0.36").binlog_expiry(1),
            Setting::new("binlog_expire_logs_seconds", 86400)
        );
        assert_eq!(
            flavor("mysql-8.4").binlog_expiry(1),
            Setting::new("binlog_expire_logs_seconds", 86400)
        );
    }

    #[test]
    fn replica_wording_changes_at_mysql_8_0_26() {
        assert_eq!(
            flavor("mysql-8.0.25").log_replica_updates(),
            "log_slave_updates"
        );
        assert_eq!(
            flavor("mysql-8.0.26").log_replica_updates(),
            "log_replica_updates"
        );
        assert_eq!(flavor("mysql-8.0.26").skip_errors(), "replica_skip_errors");
        assert_eq!(
            flavor("mysql-8.4.2").skip_replica_start(),
            "skip_replica_start"
        );
        assert_eq!(
            flavor("mariadb-11.4").skip_replica_start(),
            "skip-slave-start"
        );
        assert_eq!(flavor("mysql-5.7.44").skip_errors(), "slave_skip_errors");
    }

    fn source() -> SourceSpec {
        SourceSpec {
            host: "10.0.0.1".into(),
            port: 3306,
            user: "repl".into(),
            log_file: Some("mysql-bin.000002".into()),
            log_pos: Some(345),
            tls: None,
            gtid: false,
        }
    }

    fn tls() -> ReplicationTls {
        ReplicationTls {
            ca: "/etc/mysql/tls/ca.pem".into(),
            cert: "/etc/mysql/tls/cert.pem".into(),
            key: "/etc/mysql/tls/key.pem".into(),
            verify_server_cert: true,
        }
    }

    #[test]
    fn tls_options_follow_the_dialect_and_leave_nothing_of_an_old_setting() {
        let with_tls = SourceSpec {
            tls: Some(tls()),
            ..source()
        };
        let maria = flavor("mariadb-10.11").change_source(&with_tls, "pw");
        assert!(
            maria.shown().contains(
                "MASTER_SSL = 1, MASTER_SSL_CA = '/etc/mysql/tls/ca.pem', MASTER_SSL_CERT = '/etc/mysql/tls/cert.pem', \
                 MASTER_SSL_KEY = '/etc/mysql/tls/key.pem', MASTER_SSL_VERIFY_SERVER_CERT = 1"
            ),
            "{}",
            maria.shown()
        );
        assert!(
            flavor("mysql-8.4")
                .change_source(&with_tls, "pw")
                .shown()
                .contains("SOURCE_SSL = 1, SOURCE_SSL_CA = '/etc/mysql/tls/ca.pem'")
        );
        assert_eq!(
            flavor("mysql-8.0.36").change_tls(None),
            "CHANGE REPLICATION SOURCE TO SOURCE_SSL = 0"
        );
        assert!(
            !flavor("mariadb-10.11")
                .change_source(&source(), "pw")
                .shown()
                .contains("SSL"),
            "a playbook without TLS leaves the connection's TLS as it is"
        );
        let account = flavor("mariadb-10.11").replication_user("repl", "10.0.0.2", "pw", true);
        assert!(
            account.shown().contains("REQUIRE SSL"),
            "{}",
            account.shown()
        );
    }

    #[test]
    fn change_source_follows_the_server_and_hides_the_password() {
        let maria = flavor("mariadb-10.11").change_source(&source(), "pa'ss");
        assert_eq!(
            maria.shown(),
            "CHANGE MASTER TO MASTER_HOST = '10.0.0.1', MASTER_PORT = 3306, MASTER_USER = 'repl', \
             MASTER_PASSWORD = (sensitive), MASTER_LOG_FILE = 'mysql-bin.000002', MASTER_LOG_POS = 345, \
             MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2, MASTER_USE_GTID = no"
        );
        let by_gtid = SourceSpec {
            gtid: true,
            ..source()
        };
        assert_eq!(
            flavor("mariadb-10.11")
                .change_source(&by_gtid, "pw")
                .shown(),
            "CHANGE MASTER TO MASTER_HOST = '10.0.0.1', MASTER_PORT = 3306, MASTER_USER = 'repl', \
             MASTER_PASSWORD = (sensitive), MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2, \
             MASTER_USE_GTID = slave_pos",
            "by GTID, the replica's own position decides where it starts: no file or position"
        );
        assert!(
            flavor("mysql-8.0.36")
                .change_source(&by_gtid, "pw")
                .shown()
                .contains("SOURCE_CONNECT_RETRY = 2, SOURCE_HEARTBEAT_PERIOD = 2, SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1")
        );
        assert!(
            flavor("mysql-5.7")
                .change_source(&by_gtid, "pw")
                .shown()
                .ends_with("MASTER_AUTO_POSITION = 1")
        );
        assert!(maria.expose().contains("MASTER_PASSWORD = 'pa''ss'"));
        assert!(!maria.shown().contains("pa'ss"));
        let old = flavor("mysql-8.0.22").change_source(&source(), "x");
        assert!(
            old.shown().starts_with("CHANGE MASTER TO MASTER_HOST"),
            "{}",
            old.shown()
        );
        assert!(
            old.shown()
                .ends_with("MASTER_AUTO_POSITION = 0, GET_MASTER_PUBLIC_KEY = 1")
        );
        let new = flavor("mysql-8.0.23").change_source(&source(), "x");
        assert!(
            new.shown()
                .starts_with("CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.1'"),
            "{}",
            new.shown()
        );
        assert!(
            new.shown()
                .contains("SOURCE_LOG_POS = 345, SOURCE_CONNECT_RETRY = 2")
        );
        assert!(
            flavor("mysql-8.4")
                .change_source(&source(), "x")
                .shown()
                .starts_with("CHANGE REPLICATION SOURCE")
        );
        assert!(
            flavor("mysql-5.7")
                .change_source(&source(), "x")
                .shown()
                .starts_with("CHANGE MASTER TO")
        );
    }

    #[test]
    fn gtid_settings_and_switches_across_the_matrix() {
        let names = |s: Vec<Setting>| {
            s.into_iter()
                .map(|s| format!("{}={}", s.name, s.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(flavor("mariadb-10.11").gtid_settings(Some(7), false)),
            ["gtid_domain_id=7", "gtid_strict_mode=OFF"],
            "each node writes in its own GTID domain"
        );
        assert_eq!(
            names(flavor("mysql-5.7").gtid_settings(Some(7), true)),
            [
                "gtid_mode=ON",
                "enforce_gtid_consistency=ON",
                "relay_log_recovery=ON",
                "master_info_repository=TABLE",
                "relay_log_info_repository=TABLE"
            ]
        );
        assert_eq!(
            names(flavor("mysql-8.4").gtid_settings(Some(7), true)),
            [
                "gtid_mode=ON",
                "enforce_gtid_consistency=ON",
                "relay_log_recovery=ON"
            ],
            "8.0 and later keep replica positions in tables only"
        );
        let timeouts: Vec<String> = [
            "mariadb-10.6",
            "mysql-5.7",
            "mysql-8.0.25",
            "mysql-8.0.26",
            "mysql-8.4",
        ]
        .iter()
        .map(|v| flavor(v).replica_net_timeout().name)
        .collect();
        assert_eq!(
            timeouts,
            [
                "slave_net_timeout",
                "slave_net_timeout",
                "slave_net_timeout",
                "replica_net_timeout",
                "replica_net_timeout"
            ]
        );
        assert_eq!(
            flavor("mariadb-10.11").change_positioning(true),
            "CHANGE MASTER TO MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2"
        );
        assert_eq!(
            flavor("mysql-8.0.22").change_positioning(true),
            "CHANGE MASTER TO MASTER_AUTO_POSITION = 1, MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2"
        );
        assert_eq!(
            flavor("mysql-8.4").change_positioning(false),
            "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 0, SOURCE_CONNECT_RETRY = 2, SOURCE_HEARTBEAT_PERIOD = 2"
        );
        let maria = flavor("mariadb-10.11");
        assert_eq!(
            maria.gtid_position_at("mysql-bin.000002", 345).as_deref(),
            Some("SELECT BINLOG_GTID_POS('mysql-bin.000002', 345) AS pos")
        );
        assert_eq!(
            maria.set_replica_gtid_position("0-1-5,2-2-9").as_deref(),
            Some("SET GLOBAL gtid_slave_pos = '0-1-5,2-2-9'")
        );
        assert_eq!(
            flavor("mysql-8.0.36").gtid_position_at("b.1", 4),
            None,
            "MySQL replicas find their place by the GTIDs they hold"
        );
    }

    #[test]
    fn statements_and_options_across_the_matrix() {
        let table = [
            (
                "mariadb-10.11",
                "START SLAVE",
                "SHOW SLAVE STATUS",
                "SHOW MASTER STATUS",
                "--master-data=2",
                "sql_slave_skip_counter",
            ),
            (
                "mysql-5.7",
                "START SLAVE",
                "SHOW SLAVE STATUS",
                "SHOW MASTER STATUS",
                "--master-data=2",
                "sql_slave_skip_counter",
            ),
            (
                "mysql-8.0.21",
                "START SLAVE",
                "SHOW SLAVE STATUS",
                "SHOW MASTER STATUS",
                "--master-data=2",
                "sql_slave_skip_counter",
            ),
            (
                "mysql-8.0.22",
                "START REPLICA",
                "SHOW REPLICA STATUS",
                "SHOW MASTER STATUS",
                "--master-data=2",
                "sql_slave_skip_counter",
            ),
            (
                "mysql-8.0.26",
                "START REPLICA",
                "SHOW REPLICA STATUS",
                "SHOW MASTER STATUS",
                "--source-data=2",
                "sql_replica_skip_counter",
            ),
            (
                "mysql-8.4.3",
                "START REPLICA",
                "SHOW REPLICA STATUS",
                "SHOW BINARY LOG STATUS",
                "--source-data=2",
                "sql_replica_skip_counter",
            ),
        ];
        for (server, start, status, binlog, dump, skip) in table {
            let f = flavor(server);
            assert_eq!(
                (
                    f.start_replica(),
                    f.replica_status(),
                    f.binlog_status(),
                    f.dump_coordinates_option(),
                    f.skip_counter()
                ),
                (start, status, binlog, dump, skip),
                "{server}"
            );
            assert_eq!(f.stop_replica(), start.replace("START", "STOP"), "{server}");
        }
    }

    #[test]
    fn the_replication_user_is_least_privilege_unlogged_and_redacted() {
        let s = flavor("mariadb-10.11").replication_user("repl", "10.0.0.2", "it's", false);
        assert!(s.shown().starts_with("SET SESSION sql_log_bin = 0;"));
        assert!(
            s.shown()
                .contains("CREATE USER IF NOT EXISTS 'repl'@'10.0.0.2' IDENTIFIED BY (sensitive);")
        );
        assert!(
            s.shown()
                .contains("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.2';")
        );
        assert!(!s.shown().contains("it's") && s.expose().contains("IDENTIFIED BY 'it''s'"));
    }
}
