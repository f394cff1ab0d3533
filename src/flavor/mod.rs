//! Server families and their dialects: what a setting is called on a given server, and which server a version
//! string names. Pure string logic, so every difference is a plain unit test.
//!
//! 1. [`ServerVersion`]: a family plus version numbers, parsed from a playbook hint (`mariadb-10.11`) or from
//!    the server's own `VERSION()` / `@@version_comment`. The family is decided first, then numbers compared.
//! 2. [`Flavor`]: one implementation per family ([`MariaDb`], [`MySql57`], [`MySql80`], [`MySql84`]), chosen
//!    once by [`ServerVersion::flavor`].

mod version;

pub use version::{Family, ServerVersion, VersionError};

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

/// What differs between server families, as config names and values.
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

    /// Whether `SET GLOBAL` changes this variable on a running server; otherwise a new value needs a restart.
    /// Unknown variables are treated as needing one: a needless restart is safer than a setting never loaded.
    fn is_dynamic(&self, variable: &str) -> bool {
        DYNAMIC.contains(&variable)
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
    "event_scheduler",
    "slow_query_log",
    "long_query_time",
];

fn seconds(days: u32) -> u64 {
    u64::from(days) * 86_400
}

pub struct MariaDb(pub ServerVersion);
pub struct MySql57(pub ServerVersion);
pub struct MySql80(pub ServerVersion);
pub struct MySql84(pub ServerVersion);

impl Flavor for MariaDb {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    fn binlog_expiry(&self, days: u32) -> Setting {
        // binlog_expire_logs_seconds exists from MariaDB 10.6.1.
        if self.0.at_least(10, 6, 1) {
            Setting::new("binlog_expire_logs_seconds", seconds(days))
        } else {
            Setting::new("expire_logs_days", days)
        }
    }
    fn log_replica_updates(&self) -> &'static str {
        "log_slave_updates"
    }
    fn skip_replica_start(&self) -> &'static str {
        "skip-slave-start"
    }
    fn skip_errors(&self) -> &'static str {
        "slave_skip_errors"
    }
}

impl Flavor for MySql57 {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    fn binlog_expiry(&self, days: u32) -> Setting {
        Setting::new("expire_logs_days", days)
    }
    fn log_replica_updates(&self) -> &'static str {
        "log_slave_updates"
    }
    fn skip_replica_start(&self) -> &'static str {
        "skip-slave-start"
    }
    fn skip_errors(&self) -> &'static str {
        "slave_skip_errors"
    }
}

impl Flavor for MySql80 {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    fn binlog_expiry(&self, days: u32) -> Setting {
        Setting::new("binlog_expire_logs_seconds", seconds(days))
    }
    // The REPLICA spellings of these options arrived in 8.0.26.
    fn log_replica_updates(&self) -> &'static str {
        if self.0.at_least(8, 0, 26) {
            "log_replica_updates"
        } else {
            "log_slave_updates"
        }
    }
    fn skip_replica_start(&self) -> &'static str {
        if self.0.at_least(8, 0, 26) {
            "skip_replica_start"
        } else {
            "skip-slave-start"
        }
    }
    fn skip_errors(&self) -> &'static str {
        if self.0.at_least(8, 0, 26) {
            "replica_skip_errors"
        } else {
            "slave_skip_errors"
        }
    }
}

impl Flavor for MySql84 {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    fn binlog_expiry(&self, days: u32) -> Setting {
        // expire_logs_days was removed in 8.4.
        Setting::new("binlog_expire_logs_seconds", seconds(days))
    }
    fn log_replica_updates(&self) -> &'static str {
        "log_replica_updates"
    }
    fn skip_replica_start(&self) -> &'static str {
        "skip_replica_start"
    }
    fn skip_errors(&self) -> &'static str {
        "replica_skip_errors"
    }
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
}
