//! MySQL 5.7, 8.0 and 8.4+. 8.0 renamed replication step by step: REPLICA statements from 8.0.22, SOURCE_*
//! options from 8.0.23, REPLICA option names and `--source-data` from 8.0.26; 8.4 removed the old forms and
//! `expire_logs_days`. Accounts use caching_sha2_password from 8.0, so replicas ask for the source's key.

use super::{
    CONNECT_RETRY, Flavor, HEARTBEAT_PERIOD, REPLICA_NET_TIMEOUT, ServerVersion, Setting,
    SourceSpec, change_statement, credentials_statement, seconds, tls_statement,
};
use crate::model::ReplicationTls;
use crate::sqltext::Statement;

/// MySQL has `super_read_only` (from 5.7.8): with it, accounts with SUPER cannot write on a passive node
/// either. Only replication threads apply changes there.
fn read_only_and_super(on: bool) -> Vec<Setting> {
    let value = if on { "ON" } else { "OFF" };
    vec![
        Setting::new("read_only", value),
        Setting::new("super_read_only", value),
    ]
}

/// GTID on MySQL: every transaction gets one, the replica finds its place by what it has (auto position),
/// and with `relay_log_recovery` a crashed replica fetches its relay log again rather than trust it.
fn mysql_gtid_settings() -> Vec<Setting> {
    vec![
        Setting::new("gtid_mode", "ON"),
        Setting::new("enforce_gtid_consistency", "ON"),
        Setting::new("relay_log_recovery", "ON"),
    ]
}

/// The CHANGE statement's head and option prefix: SOURCE from 8.0.23, MASTER before.
fn change_words(version: &ServerVersion) -> (&'static str, &'static str) {
    if version.at_least(8, 0, 23) {
        ("CHANGE REPLICATION SOURCE TO", "SOURCE")
    } else {
        ("CHANGE MASTER TO", "MASTER")
    }
}

fn mysql_change_positioning(version: &ServerVersion, gtid: bool) -> String {
    let (head, prefix) = change_words(version);
    format!(
        "{head} {prefix}_AUTO_POSITION = {}, {prefix}_CONNECT_RETRY = {CONNECT_RETRY}, \
         {prefix}_HEARTBEAT_PERIOD = {HEARTBEAT_PERIOD}",
        u8::from(gtid)
    )
}

fn auto_position(version: &ServerVersion, gtid: bool) -> &'static str {
    match (change_words(version).1, gtid) {
        ("SOURCE", true) => "SOURCE_AUTO_POSITION = 1",
        ("SOURCE", false) => "SOURCE_AUTO_POSITION = 0",
        (_, true) => "MASTER_AUTO_POSITION = 1",
        (_, false) => "MASTER_AUTO_POSITION = 0",
    }
}

/// A MySQL server's executed set holds what it wrote and what it applied alike.
const MYSQL_GTID_POSITIONS: &str =
    "SELECT @@GLOBAL.gtid_executed AS written, @@GLOBAL.gtid_executed AS applied";

pub struct MySql57(pub ServerVersion);
pub struct MySql80(pub ServerVersion);
pub struct MySql84(pub ServerVersion);

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
    fn read_only(&self, on: bool) -> Vec<Setting> {
        read_only_and_super(on)
    }
    fn change_source(&self, source: &SourceSpec, password: &str) -> Statement {
        change_statement(
            "CHANGE MASTER TO",
            "MASTER",
            source,
            password,
            &[auto_position(&self.0, source.gtid)],
        )
    }
    fn gtid_positions(&self) -> &'static str {
        MYSQL_GTID_POSITIONS
    }
    fn gtid_settings(&self, _server_id: Option<u32>, _strict: bool) -> Vec<Setting> {
        // 5.7 keeps replica positions in files unless told otherwise: tables commit with the transaction.
        let mut settings = mysql_gtid_settings();
        settings.push(Setting::new("master_info_repository", "TABLE"));
        settings.push(Setting::new("relay_log_info_repository", "TABLE"));
        settings
    }
    fn replica_net_timeout(&self) -> Setting {
        Setting::new("slave_net_timeout", REPLICA_NET_TIMEOUT)
    }
    fn change_positioning(&self, gtid: bool) -> String {
        mysql_change_positioning(&self.0, gtid)
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
    fn reset_binary_logs(&self) -> Option<&'static str> {
        Some("RESET MASTER")
    }
    fn skip_counter(&self) -> &'static str {
        "sql_slave_skip_counter"
    }
}

impl Flavor for MySql80 {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    fn binlog_expiry(&self, days: u32) -> Setting {
        Setting::new("binlog_expire_logs_seconds", seconds(days))
    }
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
    fn read_only(&self, on: bool) -> Vec<Setting> {
        read_only_and_super(on)
    }
    fn change_source(&self, source: &SourceSpec, password: &str) -> Statement {
        let (head, prefix) = change_words(&self.0);
        let public_key = format!("GET_{prefix}_PUBLIC_KEY = 1");
        change_statement(
            head,
            prefix,
            source,
            password,
            &[auto_position(&self.0, source.gtid), &public_key],
        )
    }
    fn gtid_positions(&self) -> &'static str {
        MYSQL_GTID_POSITIONS
    }
    fn gtid_settings(&self, _server_id: Option<u32>, _strict: bool) -> Vec<Setting> {
        mysql_gtid_settings()
    }
    fn replica_net_timeout(&self) -> Setting {
        let name = if self.0.at_least(8, 0, 26) {
            "replica_net_timeout"
        } else {
            "slave_net_timeout"
        };
        Setting::new(name, REPLICA_NET_TIMEOUT)
    }
    fn change_positioning(&self, gtid: bool) -> String {
        mysql_change_positioning(&self.0, gtid)
    }
    fn change_credentials(&self, user: &str, password: &str) -> Statement {
        if self.0.at_least(8, 0, 23) {
            credentials_statement("CHANGE REPLICATION SOURCE TO", "SOURCE", user, password)
        } else {
            credentials_statement("CHANGE MASTER TO", "MASTER", user, password)
        }
    }
    fn change_tls(&self, tls: Option<&ReplicationTls>) -> String {
        if self.0.at_least(8, 0, 23) {
            tls_statement("CHANGE REPLICATION SOURCE TO", "SOURCE", tls)
        } else {
            tls_statement("CHANGE MASTER TO", "MASTER", tls)
        }
    }
    fn start_replica(&self) -> &'static str {
        if self.0.at_least(8, 0, 22) {
            "START REPLICA"
        } else {
            "START SLAVE"
        }
    }
    fn stop_replica(&self) -> &'static str {
        if self.0.at_least(8, 0, 22) {
            "STOP REPLICA"
        } else {
            "STOP SLAVE"
        }
    }
    fn replica_status(&self) -> &'static str {
        if self.0.at_least(8, 0, 22) {
            "SHOW REPLICA STATUS"
        } else {
            "SHOW SLAVE STATUS"
        }
    }
    fn binlog_status(&self) -> &'static str {
        "SHOW MASTER STATUS"
    }
    fn dump_coordinates_option(&self) -> &'static str {
        if self.0.at_least(8, 0, 26) {
            "--source-data=2"
        } else {
            "--master-data=2"
        }
    }
    fn reset_binary_logs(&self) -> Option<&'static str> {
        Some("RESET MASTER")
    }
    fn skip_counter(&self) -> &'static str {
        if self.0.at_least(8, 0, 26) {
            "sql_replica_skip_counter"
        } else {
            "sql_slave_skip_counter"
        }
    }
}

impl Flavor for MySql84 {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    fn binlog_expiry(&self, days: u32) -> Setting {
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
    fn read_only(&self, on: bool) -> Vec<Setting> {
        read_only_and_super(on)
    }
    fn change_source(&self, source: &SourceSpec, password: &str) -> Statement {
        change_statement(
            "CHANGE REPLICATION SOURCE TO",
            "SOURCE",
            source,
            password,
            &[
                auto_position(&self.0, source.gtid),
                "GET_SOURCE_PUBLIC_KEY = 1",
            ],
        )
    }
    fn gtid_positions(&self) -> &'static str {
        MYSQL_GTID_POSITIONS
    }
    fn gtid_settings(&self, _server_id: Option<u32>, _strict: bool) -> Vec<Setting> {
        mysql_gtid_settings()
    }
    fn replica_net_timeout(&self) -> Setting {
        Setting::new("replica_net_timeout", REPLICA_NET_TIMEOUT)
    }
    fn change_positioning(&self, gtid: bool) -> String {
        mysql_change_positioning(&self.0, gtid)
    }
    fn change_credentials(&self, user: &str, password: &str) -> Statement {
        credentials_statement("CHANGE REPLICATION SOURCE TO", "SOURCE", user, password)
    }
    fn change_tls(&self, tls: Option<&ReplicationTls>) -> String {
        tls_statement("CHANGE REPLICATION SOURCE TO", "SOURCE", tls)
    }
    fn start_replica(&self) -> &'static str {
        "START REPLICA"
    }
    fn stop_replica(&self) -> &'static str {
        "STOP REPLICA"
    }
    fn replica_status(&self) -> &'static str {
        "SHOW REPLICA STATUS"
    }
    fn binlog_status(&self) -> &'static str {
        "SHOW BINARY LOG STATUS"
    }
    fn dump_coordinates_option(&self) -> &'static str {
        "--source-data=2"
    }
    fn reset_binary_logs(&self) -> Option<&'static str> {
        Some("RESET BINARY LOGS AND GTIDS")
    }
    fn skip_counter(&self) -> &'static str {
        "sql_replica_skip_counter"
    }
}
