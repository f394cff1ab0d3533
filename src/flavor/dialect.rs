//! The dialect table: one row per server family and version range, holding the words a server of that range
//! understands and what it can do. Dialects are data: a statement builder is written once and takes its
//! words from the row, and code outside `flavor/` asks a capability instead of matching on the family.
//!
//! 1. [`Dialect`]: a family, the first version the row covers (`since`), its [`Words`] (statements and
//!    option names), its [`Variables`] (config and variable names), the [`StatusColumns`] of its replica
//!    status, its [`Capabilities`], and what its [`PackageNames`] are.
//! 2. [`DIALECTS`]: every row, oldest first within a family. A row covers its `since` up to the next row of
//!    its family; the first row of a family also covers anything older.
//! 3. [`dialect_of`]: the row of a version, the last of its family whose `since` it has reached.
//!
//! Adding a server release is a row here (built from the previous one with `..PREVIOUS`), plus code only
//! for what truly differs in behaviour (`mariadb.rs`, `mysql.rs`: GTID semantics).

use super::{Family, PhysicalTool, ServerVersion};

/// One row of the table: what a range of server versions calls things and can do.
#[derive(Debug, PartialEq, Eq)]
pub struct Dialect {
    pub family: Family,
    /// The first version this row covers.
    pub since: (u32, u32, u32),
    pub words: Words,
    pub variables: Variables,
    pub columns: StatusColumns,
    pub capabilities: Capabilities,
    pub packages: PackageNames,
}

/// Statement words and the options of a CHANGE statement.
#[derive(Debug, PartialEq, Eq)]
pub struct Words {
    /// The head of the statement that points a replica at its source.
    pub change_source: &'static str,
    /// The prefix of that statement's options (`MASTER_HOST`, `SOURCE_HOST`).
    pub option: &'static str,
    pub start_replica: &'static str,
    pub stop_replica: &'static str,
    /// Shows the replica's threads, errors and positions (one row per channel).
    pub replica_status: &'static str,
    /// Shows this server's current binary log file and position.
    pub binlog_status: &'static str,
    /// Empties binary logs and GTID history before a restore that sets `GTID_PURGED`; `None` where a dump
    /// sets no GTID history of the server's own (MariaDB keeps the replica's position apart).
    pub reset_binary_logs: Option<&'static str>,
    /// How a replica is told to position itself by GTID, or by file and position.
    pub positioning: Positioning,
    /// The option that lets a replica fetch the source's RSA key for `caching_sha2_password`; `None` where
    /// the server has no such account plugin by default.
    pub public_key: Option<&'static str>,
    /// The function that waits for a replica to reach a source position.
    pub position_wait: &'static str,
    /// The dump option that writes the source's binlog coordinates into the dump as a comment.
    pub dump_coordinates: &'static str,
    /// Names (`gtid`) the transactions a stopped replica failed to apply, where skipping one means
    /// committing an empty transaction under its GTID (MySQL: a replica positioned by GTID asks its source
    /// again for every transaction it has not executed); `None` where the skip counter skips events.
    pub failed_transactions: Option<&'static str>,
}

/// The CHANGE option that chooses GTID or file/position positioning, and its two values.
#[derive(Debug, PartialEq, Eq)]
pub struct Positioning {
    pub option: &'static str,
    pub by_gtid: &'static str,
    pub by_file: &'static str,
}

/// Config options and variables, as the server spells them.
#[derive(Debug, PartialEq, Eq)]
pub struct Variables {
    /// How long binary logs are kept.
    pub binlog_expiry: BinlogExpiry,
    /// Makes a replica write what it applies to its own binary log (needed for rings).
    pub log_replica_updates: &'static str,
    /// Keeps replication threads stopped at server start.
    pub skip_replica_start: &'static str,
    /// The (risky, opt-in) list of replication errors a replica skips.
    pub skip_errors: &'static str,
    /// Skips the next N events of the replica's SQL thread.
    pub skip_counter: &'static str,
    /// Bounds how long a replica waits on a silent source.
    pub net_timeout: &'static str,
    /// The query answering what the server wrote (`written`) and, as a replica, applied (`applied`).
    pub gtid_positions: &'static str,
}

/// The binary log expiry variable and the unit it counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinlogExpiry {
    Days(&'static str),
    Seconds(&'static str),
}

/// The columns of the replica status, as the server names them.
#[derive(Debug, PartialEq, Eq)]
pub struct StatusColumns {
    pub source_host: &'static str,
    pub source_port: &'static str,
    pub source_user: &'static str,
    pub io_running: &'static str,
    pub sql_running: &'static str,
    pub seconds_behind: &'static str,
    pub source_log_file: &'static str,
    pub read_pos: &'static str,
    pub exec_log_file: &'static str,
    pub exec_pos: &'static str,
    /// Whether (and how) it positions by GTID: `Using_Gtid` (MariaDB) or `Auto_Position` (MySQL).
    pub positioning: &'static str,
    /// The GTIDs received from the source: `Gtid_IO_Pos` (MariaDB) or `Retrieved_Gtid_Set` (MySQL).
    pub gtid_received: &'static str,
    pub ssl_allowed: &'static str,
    pub ssl_ca: &'static str,
    pub ssl_cert: &'static str,
    pub ssl_key: &'static str,
    pub ssl_verify: &'static str,
}

/// What a server of the row can do, as the planner and apply ask it.
#[derive(Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// GTID domains (`gtid_domain_id`): each writer its own sequence, and a replica keeps the GTID position
    /// of what it applied whatever way it replicates (MariaDB).
    pub gtid_domains: bool,
    /// `gtid_mode` and `enforce_gtid_consistency`, moved to ON stage by stage on a running server (MySQL).
    pub gtid_mode: bool,
    /// Replica positions are kept in files unless `master_info_repository`/`relay_log_info_repository`
    /// say TABLE (MySQL 5.7).
    pub replica_positions_in_files: bool,
    /// `super_read_only`: accounts with SUPER cannot write on a passive node either.
    pub super_read_only: bool,
    /// MySQL's clone plugin copies a whole instance between servers of the same release.
    pub clone_plugin: bool,
    /// The clone plugin also copies between different releases of one series.
    pub clone_across_releases: bool,
    /// Why a family without a streaming backup tool cannot fall back on the clone plugin; `None` where the
    /// family has no clone plugin at all.
    pub clone_requirement: Option<&'static str>,
    /// The tool that streams a consistent copy of the running server's files.
    pub physical_tool: PhysicalTool,
    /// Replication connects over TLS when neither side asks for it (the server makes its own certificate).
    pub replication_tls_by_default: bool,
    /// The authentication plugin new accounts get.
    pub default_auth_plugin: &'static str,
    /// Where mmprov's config file goes on the family's Debian layout, when the host shows none yet.
    pub config_path: &'static str,
}

/// What the family's server packages and the service they install are called, by package manager.
#[derive(Debug, PartialEq, Eq)]
pub struct PackageNames {
    /// Debian's, and the vendor's apt repository's (the same names).
    pub apt: &'static [&'static str],
    pub apt_service: &'static str,
    /// The distribution's dnf packages.
    pub dnf: &'static [&'static str],
    /// The vendor's own dnf repository's.
    pub dnf_vendor: &'static [&'static str],
    pub dnf_service: &'static str,
}

/// The config file mmprov writes on a MySQL host: named to sort after the distribution's own `mysqld.cnf`.
pub const MYSQL_CONFIG_FILE: &str = "zz-mmprov.cnf";

const MASTER_WORDS: Words = Words {
    change_source: "CHANGE MASTER TO",
    option: "MASTER",
    start_replica: "START SLAVE",
    stop_replica: "STOP SLAVE",
    replica_status: "SHOW SLAVE STATUS",
    binlog_status: "SHOW MASTER STATUS",
    reset_binary_logs: None,
    positioning: Positioning {
        option: "MASTER_USE_GTID",
        by_gtid: "slave_pos",
        by_file: "no",
    },
    public_key: None,
    position_wait: "MASTER_POS_WAIT",
    dump_coordinates: "--master-data=2",
    failed_transactions: None,
};

const SLAVE_VARIABLES: Variables = Variables {
    binlog_expiry: BinlogExpiry::Days("expire_logs_days"),
    log_replica_updates: "log_slave_updates",
    skip_replica_start: "skip-slave-start",
    skip_errors: "slave_skip_errors",
    skip_counter: "sql_slave_skip_counter",
    net_timeout: "slave_net_timeout",
    gtid_positions: "SELECT @@gtid_binlog_pos AS written, @@gtid_slave_pos AS applied",
};

const MARIADB_COLUMNS: StatusColumns = StatusColumns {
    source_host: "Master_Host",
    source_port: "Master_Port",
    source_user: "Master_User",
    io_running: "Slave_IO_Running",
    sql_running: "Slave_SQL_Running",
    seconds_behind: "Seconds_Behind_Master",
    source_log_file: "Master_Log_File",
    read_pos: "Read_Master_Log_Pos",
    exec_log_file: "Relay_Master_Log_File",
    exec_pos: "Exec_Master_Log_Pos",
    positioning: "Using_Gtid",
    gtid_received: "Gtid_IO_Pos",
    ssl_allowed: "Master_SSL_Allowed",
    ssl_ca: "Master_SSL_CA_File",
    ssl_cert: "Master_SSL_Cert",
    ssl_key: "Master_SSL_Key",
    ssl_verify: "Master_SSL_Verify_Server_Cert",
};

/// MariaDB before 10.6.1: binary log expiry in days.
pub const MARIADB_10_0: Dialect = Dialect {
    family: Family::MariaDb,
    since: (0, 0, 0),
    words: MASTER_WORDS,
    variables: SLAVE_VARIABLES,
    columns: MARIADB_COLUMNS,
    capabilities: Capabilities {
        gtid_domains: true,
        gtid_mode: false,
        replica_positions_in_files: false,
        super_read_only: false,
        clone_plugin: false,
        clone_across_releases: false,
        clone_requirement: None,
        physical_tool: PhysicalTool::MariaDbBackup,
        replication_tls_by_default: false,
        default_auth_plugin: "mysql_native_password",
        config_path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf",
    },
    packages: PackageNames {
        apt: &["mariadb-server", "mariadb-client"],
        apt_service: "mariadb",
        dnf: &["mariadb-server", "mariadb"],
        dnf_vendor: &["MariaDB-server", "MariaDB-client"],
        dnf_service: "mariadb",
    },
};

/// MariaDB 10.6.1 to 11.3: binary log expiry in seconds.
pub const MARIADB_10_6: Dialect = Dialect {
    since: (10, 6, 1),
    variables: Variables {
        binlog_expiry: BinlogExpiry::Seconds("binlog_expire_logs_seconds"),
        ..SLAVE_VARIABLES
    },
    ..MARIADB_10_0
};

/// MariaDB 11.4 and later: the server makes its own certificate, and connections (replication among them)
/// use TLS by default.
pub const MARIADB_11_4: Dialect = Dialect {
    since: (11, 4, 0),
    capabilities: Capabilities {
        replication_tls_by_default: true,
        ..MARIADB_10_6.capabilities
    },
    ..MARIADB_10_6
};

const MYSQL_SLAVE_COLUMNS: StatusColumns = StatusColumns {
    positioning: "Auto_Position",
    gtid_received: "Retrieved_Gtid_Set",
    ..MARIADB_COLUMNS
};

/// What MySQL before 8.0 understands: MASTER/SLAVE words, auto position, `RESET MASTER`.
const MYSQL_MASTER_WORDS: Words = Words {
    reset_binary_logs: Some("RESET MASTER"),
    failed_transactions: Some(
        "SELECT LAST_SEEN_TRANSACTION AS gtid FROM performance_schema.replication_applier_status_by_worker \
         WHERE LAST_ERROR_NUMBER <> 0 AND LAST_SEEN_TRANSACTION <> '' ORDER BY WORKER_ID",
    ),
    positioning: Positioning {
        option: "MASTER_AUTO_POSITION",
        by_gtid: "1",
        by_file: "0",
    },
    ..MASTER_WORDS
};

/// MySQL 5.7 (and older): replica positions in files unless told otherwise, expiry in days.
pub const MYSQL_5_7: Dialect = Dialect {
    family: Family::MySql,
    since: (0, 0, 0),
    words: MYSQL_MASTER_WORDS,
    variables: Variables {
        gtid_positions: "SELECT @@GLOBAL.gtid_executed AS written, @@GLOBAL.gtid_executed AS applied",
        ..SLAVE_VARIABLES
    },
    columns: MYSQL_SLAVE_COLUMNS,
    capabilities: Capabilities {
        gtid_domains: false,
        gtid_mode: true,
        replica_positions_in_files: true,
        super_read_only: true,
        clone_plugin: false,
        clone_across_releases: false,
        clone_requirement: Some(
            "the clone plugin needs MySQL 8.0.17 or later on both, at the same release",
        ),
        physical_tool: PhysicalTool::XtraBackup,
        replication_tls_by_default: false,
        default_auth_plugin: "mysql_native_password",
        config_path: "/etc/mysql/mysql.conf.d/zz-mmprov.cnf",
    },
    packages: PackageNames {
        apt: &["mysql-server", "mysql-client"],
        apt_service: "mysql",
        dnf: &["mysql-server", "mysql"],
        dnf_vendor: &["mysql-community-server", "mysql-community-client"],
        dnf_service: "mysqld",
    },
};

/// MySQL 8.0.0 to 8.0.16: expiry in seconds, replica positions in tables, `caching_sha2_password` (the
/// replica asks for the source's key).
pub const MYSQL_8_0: Dialect = Dialect {
    since: (8, 0, 0),
    words: Words {
        public_key: Some("GET_MASTER_PUBLIC_KEY = 1"),
        // 8.0 renamed the column to what it holds while the worker applies (and keeps after it failed).
        failed_transactions: Some(
            "SELECT APPLYING_TRANSACTION AS gtid FROM performance_schema.replication_applier_status_by_worker \
             WHERE LAST_ERROR_NUMBER <> 0 AND APPLYING_TRANSACTION <> '' ORDER BY WORKER_ID",
        ),
        ..MYSQL_MASTER_WORDS
    },
    variables: Variables {
        binlog_expiry: BinlogExpiry::Seconds("binlog_expire_logs_seconds"),
        ..MYSQL_5_7.variables
    },
    capabilities: Capabilities {
        replica_positions_in_files: false,
        replication_tls_by_default: true,
        default_auth_plugin: "caching_sha2_password",
        ..MYSQL_5_7.capabilities
    },
    ..MYSQL_5_7
};

/// MySQL 8.0.17 to 8.0.21: the clone plugin, between servers of the same release.
pub const MYSQL_8_0_17: Dialect = Dialect {
    since: (8, 0, 17),
    capabilities: Capabilities {
        clone_plugin: true,
        ..MYSQL_8_0.capabilities
    },
    ..MYSQL_8_0
};

/// MySQL 8.0.22: `START REPLICA`, `SHOW REPLICA STATUS` and its Source_/Replica_ columns; CHANGE keeps its
/// MASTER words.
pub const MYSQL_8_0_22: Dialect = Dialect {
    since: (8, 0, 22),
    words: Words {
        start_replica: "START REPLICA",
        stop_replica: "STOP REPLICA",
        replica_status: "SHOW REPLICA STATUS",
        ..MYSQL_8_0_17.words
    },
    columns: StatusColumns {
        source_host: "Source_Host",
        source_port: "Source_Port",
        source_user: "Source_User",
        io_running: "Replica_IO_Running",
        sql_running: "Replica_SQL_Running",
        seconds_behind: "Seconds_Behind_Source",
        source_log_file: "Source_Log_File",
        read_pos: "Read_Source_Log_Pos",
        exec_log_file: "Relay_Source_Log_File",
        exec_pos: "Exec_Source_Log_Pos",
        ssl_allowed: "Source_SSL_Allowed",
        ssl_ca: "Source_SSL_CA_File",
        ssl_cert: "Source_SSL_Cert",
        ssl_key: "Source_SSL_Key",
        ssl_verify: "Source_SSL_Verify_Server_Cert",
        ..MYSQL_SLAVE_COLUMNS
    },
    ..MYSQL_8_0_17
};

/// MySQL 8.0.23 to 8.0.25: `CHANGE REPLICATION SOURCE TO` and SOURCE_ options.
pub const MYSQL_8_0_23: Dialect = Dialect {
    since: (8, 0, 23),
    words: Words {
        change_source: "CHANGE REPLICATION SOURCE TO",
        option: "SOURCE",
        positioning: Positioning {
            option: "SOURCE_AUTO_POSITION",
            ..MYSQL_MASTER_WORDS.positioning
        },
        public_key: Some("GET_SOURCE_PUBLIC_KEY = 1"),
        ..MYSQL_8_0_22.words
    },
    ..MYSQL_8_0_22
};

/// MySQL 8.0.26 to 8.0.36: replica variable names, `--source-data`, `SOURCE_POS_WAIT`.
pub const MYSQL_8_0_26: Dialect = Dialect {
    since: (8, 0, 26),
    words: Words {
        position_wait: "SOURCE_POS_WAIT",
        dump_coordinates: "--source-data=2",
        ..MYSQL_8_0_23.words
    },
    variables: Variables {
        log_replica_updates: "log_replica_updates",
        skip_replica_start: "skip_replica_start",
        skip_errors: "replica_skip_errors",
        skip_counter: "sql_replica_skip_counter",
        net_timeout: "replica_net_timeout",
        ..MYSQL_8_0_23.variables
    },
    ..MYSQL_8_0_23
};

/// MySQL 8.0.37 to 8.3: the clone plugin also copies between releases of one series.
pub const MYSQL_8_0_37: Dialect = Dialect {
    since: (8, 0, 37),
    capabilities: Capabilities {
        clone_across_releases: true,
        ..MYSQL_8_0_26.capabilities
    },
    ..MYSQL_8_0_26
};

/// MySQL 8.4 (LTS): the MASTER statements are gone: `SHOW BINARY LOG STATUS`, `RESET BINARY LOGS AND GTIDS`.
pub const MYSQL_8_4: Dialect = Dialect {
    since: (8, 4, 0),
    words: Words {
        binlog_status: "SHOW BINARY LOG STATUS",
        reset_binary_logs: Some("RESET BINARY LOGS AND GTIDS"),
        ..MYSQL_8_0_37.words
    },
    ..MYSQL_8_0_37
};

/// MySQL 9.x: as 8.4 in everything mmprov says.
pub const MYSQL_9: Dialect = Dialect {
    since: (9, 0, 0),
    ..MYSQL_8_4
};

/// Every row, oldest first within each family.
pub static DIALECTS: &[&Dialect] = &[
    &MARIADB_10_0,
    &MARIADB_10_6,
    &MARIADB_11_4,
    &MYSQL_5_7,
    &MYSQL_8_0,
    &MYSQL_8_0_17,
    &MYSQL_8_0_22,
    &MYSQL_8_0_23,
    &MYSQL_8_0_26,
    &MYSQL_8_0_37,
    &MYSQL_8_4,
    &MYSQL_9,
];

/// The replica status statement most servers answer (every MariaDB, MySQL before 8.0.22): asked before
/// the server has named its dialect.
pub const LIKELY_REPLICA_STATUS: &str = MASTER_WORDS.replica_status;

/// The row of `version`: the last row of its family whose `since` it has reached.
pub fn dialect_of(version: &ServerVersion) -> &'static Dialect {
    let at = (version.major, version.minor, version.patch);
    // Every family's first row starts at 0.0.0 (a test holds the table to that), so a row is always found.
    DIALECTS
        .iter()
        .rfind(|d| d.family == version.family && d.since <= at)
        .copied()
        .unwrap_or(DIALECTS[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(hint: &str) -> &'static Dialect {
        dialect_of(&ServerVersion::parse_hint(hint).expect("valid hint"))
    }

    #[test]
    fn rows_are_ordered_and_each_family_starts_from_nothing() {
        for family in [Family::MariaDb, Family::MySql] {
            let since: Vec<_> = DIALECTS
                .iter()
                .filter(|d| d.family == family)
                .map(|d| d.since)
                .collect();
            assert_eq!(since.first(), Some(&(0, 0, 0)), "{family:?}");
            assert!(
                since.windows(2).all(|w| w[0] < w[1]),
                "{family:?}: {since:?}"
            );
        }
    }

    #[test]
    fn every_row_is_the_row_of_its_own_first_version() {
        for d in DIALECTS {
            let (major, minor, patch) = d.since;
            let version = ServerVersion {
                family: d.family,
                major,
                minor,
                patch,
            };
            assert!(std::ptr::eq(dialect_of(&version), *d), "{:?}", d.since);
        }
    }

    #[test]
    fn mariadb_10_0_keeps_logs_in_days() {
        let d = row("mariadb-10.5");
        assert_eq!(d, &MARIADB_10_0);
        assert_eq!(
            d.variables.binlog_expiry,
            BinlogExpiry::Days("expire_logs_days")
        );
        assert_eq!(d.words.change_source, "CHANGE MASTER TO");
        assert_eq!(d.words.reset_binary_logs, None);
        assert!(d.capabilities.gtid_domains && !d.capabilities.gtid_mode);
    }

    #[test]
    fn mariadb_10_6_1_counts_seconds_and_10_11_is_that_row() {
        assert_eq!(row("mariadb-10.6.0"), &MARIADB_10_0);
        let d = row("mariadb-10.11");
        assert_eq!(d, &MARIADB_10_6);
        assert_eq!(
            d.variables.binlog_expiry,
            BinlogExpiry::Seconds("binlog_expire_logs_seconds")
        );
        assert_eq!(d.words.start_replica, "START SLAVE");
        assert_eq!(d.columns.io_running, "Slave_IO_Running");
        assert!(!d.capabilities.replication_tls_by_default);
        assert_eq!(row("mariadb-11.3"), &MARIADB_10_6);
    }

    #[test]
    fn mariadb_11_8_keeps_master_words_and_replicates_over_tls() {
        let d = row("mariadb-11.8");
        assert_eq!(d, &MARIADB_11_4);
        assert_eq!(
            (
                d.words.change_source,
                d.words.option,
                d.words.replica_status
            ),
            ("CHANGE MASTER TO", "MASTER", "SHOW SLAVE STATUS")
        );
        assert_eq!(d.words.positioning.option, "MASTER_USE_GTID");
        assert!(d.capabilities.replication_tls_by_default);
        assert!(!d.capabilities.super_read_only && !d.capabilities.clone_plugin);
    }

    #[test]
    fn mysql_5_7_speaks_master_and_keeps_positions_in_files() {
        let d = row("mysql-5.7.44");
        assert_eq!(d, &MYSQL_5_7);
        assert_eq!(d.words.reset_binary_logs, Some("RESET MASTER"));
        assert_eq!(d.words.public_key, None);
        assert_eq!(
            d.variables.binlog_expiry,
            BinlogExpiry::Days("expire_logs_days")
        );
        assert_eq!(d.columns.positioning, "Auto_Position");
        assert!(d.capabilities.replica_positions_in_files && d.capabilities.super_read_only);
        assert_eq!(d.capabilities.physical_tool, PhysicalTool::XtraBackup);
    }

    #[test]
    fn mysql_8_0_asks_for_the_source_key_and_clones_from_8_0_17() {
        let d = row("mysql-8.0.16");
        assert_eq!(d, &MYSQL_8_0);
        assert_eq!(d.words.public_key, Some("GET_MASTER_PUBLIC_KEY = 1"));
        assert_eq!(d.capabilities.default_auth_plugin, "caching_sha2_password");
        assert!(!d.capabilities.clone_plugin && !d.capabilities.replica_positions_in_files);
        let d = row("mysql-8.0.17");
        assert_eq!(d, &MYSQL_8_0_17);
        assert!(d.capabilities.clone_plugin && !d.capabilities.clone_across_releases);
    }

    #[test]
    fn mysql_8_0_22_gets_replica_statements_where_8_0_21_got_slave() {
        let old = row("mysql-8.0.21");
        assert_eq!(old, &MYSQL_8_0_17);
        assert_eq!(
            (old.words.start_replica, old.words.replica_status),
            ("START SLAVE", "SHOW SLAVE STATUS")
        );
        assert_eq!(old.columns.io_running, "Slave_IO_Running");
        let new = row("mysql-8.0.22");
        assert_eq!(new, &MYSQL_8_0_22);
        assert_eq!(
            (
                new.words.start_replica,
                new.words.stop_replica,
                new.words.replica_status
            ),
            ("START REPLICA", "STOP REPLICA", "SHOW REPLICA STATUS")
        );
        assert_eq!(
            (new.columns.io_running, new.columns.source_host),
            ("Replica_IO_Running", "Source_Host")
        );
        assert_eq!(
            new.words.change_source, "CHANGE MASTER TO",
            "SOURCE options came in 8.0.23"
        );
    }

    #[test]
    fn mysql_8_0_23_gets_source_options() {
        let d = row("mysql-8.0.23");
        assert_eq!(d, &MYSQL_8_0_23);
        assert_eq!(
            (
                d.words.change_source,
                d.words.option,
                d.words.positioning.option
            ),
            (
                "CHANGE REPLICATION SOURCE TO",
                "SOURCE",
                "SOURCE_AUTO_POSITION"
            )
        );
        assert_eq!(d.words.public_key, Some("GET_SOURCE_PUBLIC_KEY = 1"));
        assert_eq!(d.variables.log_replica_updates, "log_slave_updates");
    }

    #[test]
    fn mysql_8_0_26_renames_the_replica_variables() {
        assert_eq!(row("mysql-8.0.25"), &MYSQL_8_0_23);
        let d = row("mysql-8.0.36");
        assert_eq!(d, &MYSQL_8_0_26);
        assert_eq!(
            (
                d.variables.log_replica_updates,
                d.variables.skip_counter,
                d.variables.net_timeout,
                d.words.dump_coordinates,
                d.words.position_wait
            ),
            (
                "log_replica_updates",
                "sql_replica_skip_counter",
                "replica_net_timeout",
                "--source-data=2",
                "SOURCE_POS_WAIT"
            )
        );
        assert_eq!(d.words.binlog_status, "SHOW MASTER STATUS");
        assert!(!d.capabilities.clone_across_releases);
        assert!(row("mysql-8.0.37").capabilities.clone_across_releases);
    }

    #[test]
    fn mysql_8_4_gets_reset_binary_logs_and_gtids() {
        let d = row("mysql-8.4.3");
        assert_eq!(d, &MYSQL_8_4);
        assert_eq!(
            d.words.reset_binary_logs,
            Some("RESET BINARY LOGS AND GTIDS")
        );
        assert_eq!(d.words.binlog_status, "SHOW BINARY LOG STATUS");
        assert_eq!(
            row("mysql-8.0.40").words.reset_binary_logs,
            Some("RESET MASTER")
        );
    }

    /// A skip on MySQL names the failed transaction by the column its release has; MariaDB skips by counter.
    #[test]
    fn a_skip_finds_the_failed_transaction_where_the_release_names_it() {
        let query = |v: &str| row(v).words.failed_transactions.unwrap_or_default();
        assert!(query("mysql-9.7.4").contains("APPLYING_TRANSACTION"));
        assert!(query("mysql-8.0.0").contains("APPLYING_TRANSACTION"));
        assert!(query("mysql-5.7.44").contains("LAST_SEEN_TRANSACTION"));
        assert_eq!(row("mariadb-11.8.9").words.failed_transactions, None);
        assert_eq!(row("mariadb-10.11.6").words.failed_transactions, None);
    }

    #[test]
    fn mysql_9_is_a_row_of_its_own_that_speaks_as_8_4() {
        let d = row("mysql-9.7.4");
        assert_eq!(d, &MYSQL_9);
        assert_eq!(d.since, (9, 0, 0));
        assert_eq!(d.words, MYSQL_8_4.words);
        assert_eq!(d.columns.gtid_received, "Retrieved_Gtid_Set");
        assert!(d.capabilities.gtid_mode && d.capabilities.clone_plugin);
    }

    #[test]
    fn the_likely_status_is_what_mariadb_answers() {
        assert_eq!(
            LIKELY_REPLICA_STATUS,
            row("mariadb-10.11").words.replica_status
        );
    }

    #[test]
    fn the_mysql_config_path_names_the_file_the_probe_looks_for() {
        assert!(
            MYSQL_5_7
                .capabilities
                .config_path
                .ends_with(MYSQL_CONFIG_FILE)
        );
    }
}
