//! MariaDB 10.x and 11.x: MASTER/SLAVE statements throughout, `binlog_expire_logs_seconds` from 10.6.1.

use super::{
    CONNECT_RETRY, Flavor, HEARTBEAT_PERIOD, REPLICA_NET_TIMEOUT, ServerVersion, Setting,
    SourceSpec, change_statement, credentials_statement, seconds, tls_statement,
};
use crate::model::ReplicationTls;
use crate::sqltext::Statement;

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
        // With GTID, the replica starts from its gtid_slave_pos (set beforehand from the source's
        // coordinates); without, from the file and position given here.
        let positioning = if source.gtid {
            "MASTER_USE_GTID = slave_pos"
        } else {
            "MASTER_USE_GTID = no"
        };
        change_statement(
            "CHANGE MASTER TO",
            "MASTER",
            source,
            password,
            &[positioning],
        )
    }
    fn gtid_positions(&self) -> &'static str {
        "SELECT @@gtid_binlog_pos AS written, @@gtid_slave_pos AS applied"
    }
    fn gtid_domain(&self, server_id: Option<u32>) -> Option<Setting> {
        server_id.map(|id| Setting::new("gtid_domain_id", id))
    }
    fn gtid_settings(&self, server_id: Option<u32>, strict: bool) -> Vec<Setting> {
        let mut settings: Vec<Setting> = self.gtid_domain(server_id).into_iter().collect();
        settings.push(Setting::new(
            "gtid_strict_mode",
            if strict { "ON" } else { "OFF" },
        ));
        settings
    }
    fn replica_net_timeout(&self) -> Setting {
        Setting::new("slave_net_timeout", REPLICA_NET_TIMEOUT)
    }
    fn change_positioning(&self, gtid: bool) -> String {
        // slave_pos, not current_pos: the position is what this replica applied, kept in mysql.gtid_slave_pos
        // in the same transaction as each change, whatever the node wrote itself.
        let using = if gtid { "slave_pos" } else { "no" };
        format!(
            "CHANGE MASTER TO MASTER_USE_GTID = {using}, MASTER_CONNECT_RETRY = {CONNECT_RETRY}, \
             MASTER_HEARTBEAT_PERIOD = {HEARTBEAT_PERIOD}"
        )
    }
    fn gtid_position_at(&self, file: &str, pos: u64) -> Option<String> {
        Some(format!(
            "SELECT BINLOG_GTID_POS({}, {pos}) AS pos",
            crate::sqltext::literal(file)
        ))
    }
    fn set_replica_gtid_position(&self, position: &str) -> Option<String> {
        Some(format!(
            "SET GLOBAL gtid_slave_pos = {}",
            crate::sqltext::literal(position)
        ))
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
