//! MariaDB's GTID semantics, the part of its dialect that is behaviour rather than words: each writer has a
//! GTID domain of its own, a replica keeps the position of what it applied (`gtid_slave_pos`) apart from
//! what it wrote, and that position is set from a source's binlog coordinates before the replica starts.
//! Everything else a MariaDB server is called comes from its row of the dialect table.

use super::{Flavor, ServerVersion, Setting};
use crate::sqltext::literal;

pub struct MariaDb(pub ServerVersion);

impl Flavor for MariaDb {
    fn version(&self) -> &ServerVersion {
        &self.0
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
    fn gtid_position_at(&self, file: &str, pos: u64) -> Option<String> {
        Some(format!(
            "SELECT BINLOG_GTID_POS({}, {pos}) AS pos",
            literal(file)
        ))
    }
    fn set_replica_gtid_position(&self, position: &str) -> Option<String> {
        // slave_pos, not current_pos: the position is what this replica applied, kept in mysql.gtid_slave_pos
        // in the same transaction as each change, whatever the node wrote itself.
        Some(format!("SET GLOBAL gtid_slave_pos = {}", literal(position)))
    }
    fn initialize_datadir(&self, datadir: &str) -> String {
        let d = crate::shell::quote(datadir);
        format!(
            "{} && if command -v mariadb-install-db >/dev/null 2>&1; then i=mariadb-install-db; \
             else i=mysql_install_db; fi && \"$i\" --user=mysql --datadir={d}",
            super::create_datadir(&d)
        )
    }
}
