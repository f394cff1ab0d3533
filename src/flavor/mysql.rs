//! MySQL's GTID semantics, the part of its dialect that is behaviour rather than words: every transaction
//! gets a GTID, a replica finds its place by the set it holds (auto position), so nothing is set on the
//! replica beforehand; `gtid_mode` is moved to ON stage by stage. Everything else a MySQL server is called
//! (the MASTER/SOURCE wording of 5.7, 8.0.22, 8.0.23, 8.0.26, 8.4, 9.x) comes from its row of the table.

use super::{Flavor, ServerVersion, Setting};

pub struct MySql(pub ServerVersion);

impl Flavor for MySql {
    fn version(&self) -> &ServerVersion {
        &self.0
    }
    /// With `relay_log_recovery` a crashed replica fetches its relay log again rather than trust it; where
    /// replica positions live in files by default (5.7), they are moved to tables, which commit with the
    /// transaction.
    fn gtid_settings(&self, _server_id: Option<u32>, _strict: bool) -> Vec<Setting> {
        let mut settings = vec![
            Setting::new("gtid_mode", "ON"),
            Setting::new("enforce_gtid_consistency", "ON"),
            Setting::new("relay_log_recovery", "ON"),
        ];
        if self.capabilities().replica_positions_in_files {
            settings.push(Setting::new("master_info_repository", "TABLE"));
            settings.push(Setting::new("relay_log_info_repository", "TABLE"));
        }
        settings
    }
    fn initialize_datadir(&self, datadir: &str) -> String {
        let d = crate::shell::quote(datadir);
        format!(
            "{} && mysqld --initialize-insecure --user=mysql --datadir={d}",
            super::create_datadir(&d)
        )
    }
}
