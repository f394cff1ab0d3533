//! MariaDB 10.x and 11.x: MASTER/SLAVE statements throughout, `binlog_expire_logs_seconds` from 10.6.1.

use super::{
    Flavor, ServerVersion, Setting, SourceSpec, change_statement, credentials_statement, seconds,
    tls_statement,
};
use crate::model::ReplicationTls;
use crate::sql::Statement;

pub struct MariaDb(pub ServerVersion);

impl Flavor for MariaDb {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    fn binlog_expiry(&self, days: u32) -> Setting {
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
    fn change_source(&self, source: &SourceSpec, password: &str) -> Statement {
        // Positions come from the dump or SHOW MASTER STATUS; GTID positioning stays off unless asked for.
        change_statement(
            "CHANGE MASTER TO",
            "MASTER",
            source,
            password,
            &["MASTER_USE_GTID = no"],
        )
    }
    fn change_credentials(&self, user: &str, password: &str) -> Statement {
        credentials_statement("CHANGE MASTER TO", "MASTER", user, password)
    }
    fn change_tls(&self, tls: Option<&ReplicationTls>) -> String {
        tls_statement("CHANGE MASTER TO", "MASTER", tls)
    }
    fn start_replica(&self) -> &'static str {
        "START SLAVE"
    }
    fn stop_replica(&self) -> &'static str {
        "STOP SLAVE"
    }
    fn replica_status(&self) -> &'static str {
        "SHOW SLAVE STATUS"
    }
    fn binlog_status(&self) -> &'static str {
        "SHOW MASTER STATUS"
    }
    fn dump_coordinates_option(&self) -> &'static str {
        "--master-data=2"
    }
    fn skip_counter(&self) -> &'static str {
        "sql_slave_skip_counter"
    }
}
