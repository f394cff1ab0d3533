//! One replica's view of its source, read from `SHOW SLAVE STATUS` / `SHOW REPLICA STATUS` by column name.

use serde::{Deserialize, Serialize};

use crate::sql::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaStatus {
    pub source_host: String,
    pub source_port: u16,
    pub source_user: String,
    pub io_running: String,
    pub sql_running: String,
    pub seconds_behind: Option<u64>,
    pub last_io_errno: u32,
    pub last_io_error: String,
    pub last_sql_errno: u32,
    pub last_sql_error: String,
    pub source_log_file: String,
    pub read_pos: u64,
    pub exec_pos: u64,
    /// The connection's TLS settings as the replica reports them (`Master_SSL_Allowed` = Yes: TLS is used).
    #[serde(default)]
    pub tls: ReplicaTls,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaTls {
    pub enabled: bool,
    pub ca: String,
    pub cert: String,
    pub key: String,
    pub verify_server_cert: bool,
}

impl ReplicaTls {
    /// Whether the connection uses exactly the TLS the playbook asks for (`None`: plain).
    pub fn matches(&self, wanted: Option<&crate::model::ReplicationTls>) -> bool {
        match wanted {
            None => !self.enabled,
            Some(w) => {
                self.enabled
                    && self.ca == w.ca
                    && self.cert == w.cert
                    && self.key == w.key
                    && self.verify_server_cert == w.verify_server_cert
            }
        }
    }
}

impl ReplicaStatus {
    pub fn from_row(row: &Row) -> Self {
        let text = |names: &[&str]| row.get(names).unwrap_or("").to_string();
        let number = |names: &[&str]| row.get(names).and_then(|v| v.parse::<u64>().ok());
        Self {
            source_host: text(&["Master_Host", "Source_Host"]),
            source_port: number(&["Master_Port", "Source_Port"])
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0),
            source_user: text(&["Master_User", "Source_User"]),
            io_running: text(&["Slave_IO_Running", "Replica_IO_Running"]),
            sql_running: text(&["Slave_SQL_Running", "Replica_SQL_Running"]),
            seconds_behind: number(&["Seconds_Behind_Master", "Seconds_Behind_Source"]),
            last_io_errno: number(&["Last_IO_Errno"])
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            last_io_error: text(&["Last_IO_Error"]),
            last_sql_errno: number(&["Last_SQL_Errno"])
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            last_sql_error: text(&["Last_SQL_Error"]),
            source_log_file: text(&["Master_Log_File", "Source_Log_File"]),
            read_pos: number(&["Read_Master_Log_Pos", "Read_Source_Log_Pos"]).unwrap_or(0),
            exec_pos: number(&["Exec_Master_Log_Pos", "Exec_Source_Log_Pos"]).unwrap_or(0),
            tls: ReplicaTls {
                enabled: text(&["Master_SSL_Allowed", "Source_SSL_Allowed"]) == "Yes",
                ca: text(&["Master_SSL_CA_File", "Source_SSL_CA_File"]),
                cert: text(&["Master_SSL_Cert", "Source_SSL_Cert"]),
                key: text(&["Master_SSL_Key", "Source_SSL_Key"]),
                verify_server_cert: text(&[
                    "Master_SSL_Verify_Server_Cert",
                    "Source_SSL_Verify_Server_Cert",
                ]) == "Yes",
            },
        }
    }

    /// Both threads run and neither reports an error.
    pub fn healthy(&self) -> bool {
        self.io_running == "Yes"
            && self.sql_running == "Yes"
            && self.last_io_errno == 0
            && self.last_sql_errno == 0
    }

    /// Points at this source with this account (what CHANGE MASTER would set).
    pub fn points_at(&self, host: &str, port: u16, user: &str) -> bool {
        self.source_host == host && self.source_port == port && self.source_user == user
    }

    /// The error that stops this direction, if any: (errno, text).
    pub fn error(&self) -> Option<(u32, &str)> {
        if self.last_sql_errno != 0 {
            Some((self.last_sql_errno, &self.last_sql_error))
        } else if self.last_io_errno != 0 {
            Some((self.last_io_errno, &self.last_io_error))
        } else {
            None
        }
    }
}

/// The known causes of a broken direction, in plain words, with what to do.
pub fn explain(errno: u32) -> Option<&'static str> {
    Some(match errno {
        1062 => {
            "duplicate key: a row was written on both nodes, or written here by hand, so the nodes already \
                 differ. Find the row, decide which node is right, fix it by hand, then `mmprov skip` the event; \
                 skipping blindly (slave_skip_errors) hides the drift instead of fixing it."
        }
        1064 => {
            "syntax error: the source logged a statement this server cannot parse (version mismatch, or \
                 statement-based logging of non-portable SQL). Check the statement in the relay log; use ROW \
                 binlog_format and matching server versions."
        }
        1236 => {
            "the source purged the binary log this replica still needed: the nodes were apart longer than \
                 the binlog expiry. The replica cannot catch up from logs: re-seed it (seed_overwrite: true) and \
                 keep binlogs longer than the longest partition you expect."
        }
        1045 => {
            "the replication account was refused: its password or host does not match. Run `mmprov apply` \
                 to set the account again from the playbook's secret."
        }
        2003 | 2005 | 2013 => {
            "the replica cannot reach its source: check the network, the source's \
                 bind-address and its firewall."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse_batch;

    #[test]
    fn reads_either_spelling_of_the_columns() {
        let mariadb = parse_batch(
            "Master_Host\tMaster_Port\tMaster_User\tSlave_IO_Running\tSlave_SQL_Running\tSeconds_Behind_Master\t\
             Last_IO_Errno\tLast_IO_Error\tLast_SQL_Errno\tLast_SQL_Error\n\
             10.0.0.1\t3306\trepl\tYes\tNo\tNULL\t0\t\t1062\tDuplicate entry '1' for key 'PRIMARY'\n",
        );
        let s = ReplicaStatus::from_row(&mariadb[0]);
        assert!(s.points_at("10.0.0.1", 3306, "repl"));
        assert!(!s.healthy());
        assert_eq!(
            s.error(),
            Some((1062, "Duplicate entry '1' for key 'PRIMARY'"))
        );
        assert!(explain(1062).is_some_and(|t| t.starts_with("duplicate key")));

        let mysql = parse_batch(
            "Source_Host\tSource_Port\tSource_User\tReplica_IO_Running\tReplica_SQL_Running\tSeconds_Behind_Source\t\
             Last_IO_Errno\tLast_SQL_Errno\n10.0.0.2\t3306\trepl\tYes\tYes\t0\t0\t0\n",
        );
        let s = ReplicaStatus::from_row(&mysql[0]);
        assert!(s.healthy() && s.points_at("10.0.0.2", 3306, "repl"));
        assert_eq!(s.seconds_behind, Some(0));
    }
}
