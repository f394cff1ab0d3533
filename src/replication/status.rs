//! One replica's view of its source, read from `SHOW SLAVE STATUS` / `SHOW REPLICA STATUS` by column name.

use serde::{Deserialize, Serialize};

use super::ThreadState;
use crate::sqltext::{Row, ValueError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaStatus {
    pub source_host: String,
    pub source_port: u16,
    pub source_user: String,
    pub io_running: ThreadState,
    pub sql_running: ThreadState,
    pub seconds_behind: Option<u64>,
    pub last_io_errno: u32,
    pub last_io_error: String,
    pub last_sql_errno: u32,
    pub last_sql_error: String,
    pub source_log_file: String,
    pub read_pos: u64,
    /// The source's binlog file holding the last event the SQL thread applied (`exec_pos` is in it).
    #[serde(default)]
    pub exec_log_file: String,
    pub exec_pos: u64,
    /// How the replica positions itself, as the server says it (`Using_Gtid`: No, Slave_Pos, Current_Pos;
    /// `Auto_Position`: 0, 1).
    #[serde(default)]
    pub positioning: String,
    /// Seconds between its attempts to reach a lost source.
    #[serde(default)]
    pub connect_retry: u64,
    /// The GTIDs it has received (MariaDB's `Gtid_IO_Pos`, MySQL's `Retrieved_Gtid_Set`).
    #[serde(default)]
    pub gtid_received: String,
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
    /// Read a status row; every column must be there and every number must read (only the lag may be NULL,
    /// as it is while the replica is stopped).
    pub fn read(row: &Row) -> Result<Self, ValueError> {
        let text = |names: &[&str]| row.text(names).map(str::to_string);
        Ok(Self {
            source_host: text(&["Master_Host", "Source_Host"])?,
            source_port: row.number(&["Master_Port", "Source_Port"])?,
            source_user: text(&["Master_User", "Source_User"])?,
            io_running: ThreadState::parse(&text(&["Slave_IO_Running", "Replica_IO_Running"])?),
            sql_running: ThreadState::parse(&text(&["Slave_SQL_Running", "Replica_SQL_Running"])?),
            seconds_behind: row
                .nullable_number(&["Seconds_Behind_Master", "Seconds_Behind_Source"])?,
            last_io_errno: row.number(&["Last_IO_Errno"])?,
            last_io_error: text(&["Last_IO_Error"])?,
            last_sql_errno: row.number(&["Last_SQL_Errno"])?,
            last_sql_error: text(&["Last_SQL_Error"])?,
            source_log_file: text(&["Master_Log_File", "Source_Log_File"])?,
            read_pos: row.number(&["Read_Master_Log_Pos", "Read_Source_Log_Pos"])?,
            exec_log_file: text(&["Relay_Master_Log_File", "Relay_Source_Log_File"])?,
            exec_pos: row.number(&["Exec_Master_Log_Pos", "Exec_Source_Log_Pos"])?,
            positioning: text(&["Using_Gtid", "Auto_Position"])?,
            connect_retry: row.number(&["Connect_Retry"])?,
            gtid_received: text(&["Gtid_IO_Pos", "Retrieved_Gtid_Set"])?,
            tls: ReplicaTls {
                enabled: text(&["Master_SSL_Allowed", "Source_SSL_Allowed"])? == "Yes",
                ca: text(&["Master_SSL_CA_File", "Source_SSL_CA_File"])?,
                cert: text(&["Master_SSL_Cert", "Source_SSL_Cert"])?,
                key: text(&["Master_SSL_Key", "Source_SSL_Key"])?,
                verify_server_cert: text(&[
                    "Master_SSL_Verify_Server_Cert",
                    "Source_SSL_Verify_Server_Cert",
                ])? == "Yes",
            },
        })
    }

    /// The replica status a status query answered: `None` when the server has no replica configured.
    pub fn from_rows(rows: &[Row]) -> Result<Option<Self>, ValueError> {
        rows.first().map(Self::read).transpose()
    }

    /// Whether it positions itself by GTID (MariaDB: Slave_Pos or Current_Pos; MySQL: auto position).
    pub fn uses_gtid(&self) -> bool {
        let p = self.positioning.as_str();
        !(p.is_empty() || p.eq_ignore_ascii_case("no") || p == "0")
    }

    /// Both threads stopped, with no error: nothing will start them but a `START`. After a server restart
    /// with `skip-slave-start`, or a `STOP` nobody undid, this is a pair silently drifting apart.
    pub fn stopped_without_error(&self) -> bool {
        self.io_running == ThreadState::No
            && self.sql_running == ThreadState::No
            && self.error().is_none()
    }

    /// Applied everything it received: the SQL thread is at the IO thread's position, or reports no lag.
    pub fn caught_up(&self) -> bool {
        self.seconds_behind == Some(0)
            || (self.exec_log_file == self.source_log_file && self.exec_pos == self.read_pos)
    }

    /// Both threads run and neither reports an error (one look: see `verdict` for a judgement).
    pub fn healthy(&self) -> bool {
        self.threads_running() && self.last_io_errno == 0 && self.last_sql_errno == 0
    }

    /// Both threads run (whatever they last reported).
    pub fn threads_running(&self) -> bool {
        self.io_running.is_running() && self.sql_running.is_running()
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

/// Whether a replica stopped because its source's binary logs no longer hold what it reads next: 1236
/// (MariaDB, MySQL 5.7), or MySQL 8's 13114, which wraps the source's 1236.
pub fn lost_source_logs(errno: u32) -> bool {
    matches!(errno, 1236 | 13114)
}

/// The known causes of a broken direction, in plain words, with what to do.
pub fn explain(errno: u32) -> Option<&'static str> {
    Some(match errno {
        1062 => {
            "duplicate key: a row was written on both nodes, or written here by hand, so the nodes already \
                 differ. Find the row, decide which node is right, fix it by hand, then `mmprov skip` the event; \
                 skipping blindly (slave_skip_errors) hides the drift instead of fixing it."
        }
        1396 => {
            "an account statement failed: the account was created (or dropped) on both nodes, or by hand on \
                 this one with binary logging off, so the nodes' accounts already differ. Make the account \
                 what it should be on this node, then `mmprov skip` the event."
        }
        1032 => {
            "a row to change or delete is missing here: the nodes already differ (a write made on this node \
                 alone, or one lost). Find the row, decide which node is right, fix it by hand, then `mmprov \
                 skip` the event, or rebuild this node from its source."
        }
        1064 => {
            "syntax error: the source logged a statement this server cannot parse (version mismatch, or \
                 statement-based logging of non-portable SQL). Check the statement in the relay log; use ROW \
                 binlog_format and matching server versions."
        }
        errno if lost_source_logs(errno) => {
            "the source's binary logs no longer hold what this replica needs: purged (the nodes were apart \
                 longer than the binlog expiry) or replaced (the source was rebuilt, or its logs reset). A replica \
                 positioned by GTID is connected again by `mmprov apply`, and the source sends what it still \
                 holds; if it refuses again, re-seed this node with `mmprov rebuild`. Keep binlogs longer than \
                 the longest partition you expect."
        }
        1045 => {
            "the replication account was refused: its password or host does not match. Run `mmprov apply` \
                 to set the account again from the playbook's secret."
        }
        errno if super::verdict::retryable(errno) => {
            "the replica cannot reach its source: check the network, the source's \
                 bind-address and its firewall."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqltext::parse_batch;

    /// A status answer with the columns a server sends, spelt the MariaDB (`Master`) or MySQL 8 (`Source`)
    /// way, and the values given.
    fn status(spelling: &str, values: &[&str]) -> Vec<Row> {
        let (s, slave, replica) = match spelling {
            "Master" => ("Master", "Slave", "Master"),
            _ => ("Source", "Replica", "Source"),
        };
        let columns = [
            format!("{s}_Host"),
            format!("{s}_Port"),
            format!("{s}_User"),
            format!("{slave}_IO_Running"),
            format!("{slave}_SQL_Running"),
            format!("Seconds_Behind_{replica}"),
            "Last_IO_Errno".into(),
            "Last_IO_Error".into(),
            "Last_SQL_Errno".into(),
            "Last_SQL_Error".into(),
            format!("{s}_Log_File"),
            format!("Read_{s}_Log_Pos"),
            format!("Exec_{s}_Log_Pos"),
            format!("{s}_SSL_Allowed"),
            format!("{s}_SSL_CA_File"),
            format!("{s}_SSL_Cert"),
            format!("{s}_SSL_Key"),
            format!("{s}_SSL_Verify_Server_Cert"),
            format!("Relay_{s}_Log_File"),
            if s == "Master" {
                "Using_Gtid"
            } else {
                "Auto_Position"
            }
            .into(),
            "Connect_Retry".into(),
            if s == "Master" {
                "Gtid_IO_Pos"
            } else {
                "Retrieved_Gtid_Set"
            }
            .into(),
        ];
        parse_batch(&format!("{}\n{}\n", columns.join("\t"), values.join("\t")))
    }

    const STOPPED_ON_1062: [&str; 22] = [
        "10.0.0.1",
        "3306",
        "repl",
        "Yes",
        "No",
        "NULL",
        "0",
        "",
        "1062",
        "Duplicate entry '1' for key 'PRIMARY'",
        "bin.000002",
        "1200",
        "900",
        "No",
        "",
        "",
        "",
        "No",
        "bin.000002",
        "No",
        "60",
        "",
    ];

    #[test]
    fn reads_either_spelling_of_the_columns() {
        let s = ReplicaStatus::read(&status("Master", &STOPPED_ON_1062)[0]).expect("reads");
        assert!(s.points_at("10.0.0.1", 3306, "repl"));
        assert!(!s.healthy());
        assert_eq!(s.seconds_behind, None);
        assert_eq!(
            s.error(),
            Some((1062, "Duplicate entry '1' for key 'PRIMARY'"))
        );
        assert!(explain(1062).is_some_and(|t| t.starts_with("duplicate key")));

        let running = [
            "10.0.0.2",
            "3306",
            "repl",
            "Yes",
            "Yes",
            "0",
            "0",
            "",
            "0",
            "",
            "bin.000001",
            "4",
            "4",
            "Yes",
            "/ca.pem",
            "",
            "",
            "Yes",
            "bin.000001",
            "1",
            "2",
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
        ];
        let s = ReplicaStatus::read(&status("Source", &running)[0]).expect("reads");
        assert!(s.healthy() && s.points_at("10.0.0.2", 3306, "repl"));
        assert!(s.uses_gtid() && s.caught_up() && s.connect_retry == 2);
        let stopped = ReplicaStatus::read(&status("Master", &STOPPED_ON_1062)[0]).expect("reads");
        assert!(!stopped.uses_gtid() && !stopped.caught_up() && !stopped.stopped_without_error());
        assert_eq!(s.seconds_behind, Some(0));
        assert!(s.tls.enabled && s.tls.verify_server_cert);
    }

    #[test]
    fn an_unreadable_number_or_a_missing_column_is_an_error_not_a_zero() {
        let mut garbled = STOPPED_ON_1062;
        garbled[8] = "10x62";
        let err = ReplicaStatus::read(&status("Master", &garbled)[0]).expect_err("not a number");
        assert!(err.to_string().contains("Last_SQL_Errno"), "{err}");

        let mut null_port = STOPPED_ON_1062;
        null_port[1] = "NULL";
        assert!(ReplicaStatus::read(&status("Master", &null_port)[0]).is_err());

        let partial = parse_batch("Master_Host\tMaster_Port\n10.0.0.1\t3306\n");
        assert!(ReplicaStatus::read(&partial[0]).is_err());
        assert_eq!(ReplicaStatus::from_rows(&[]), Ok(None));
    }
}
