//! A scripted host for unit tests of what runs against hosts: a transport and a SQL executor that answer
//! from one shared, inspectable state, so apply, restart and rollback are tested without a lab. The lab
//! stays the proof; this is for the engine's own decisions.
//!
//! The host has files, an error log and a server. The server "starts" from the files under
//! `/etc/mysql`: an option named in [`FakeHost::fatal_option`] makes it refuse to start (it logs an
//! `[ERROR]` line, as mysqld does); otherwise it runs with the `[mysqld]` options it read, which
//! `SHOW GLOBAL VARIABLES` reports. Commands are the ones mmprov sends, recognised by their shape.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::link::HostLink;
use crate::sql::{SqlError, SqlExecutor};
use crate::sqltext::Row;
use crate::transport::{Finished, Transport, TransportError};

/// What the host holds and what was done to it.
#[derive(Debug, Default)]
pub struct HostState {
    pub files: BTreeMap<String, String>,
    pub log: String,
    pub running: bool,
    /// The server's variables while it runs.
    pub variables: BTreeMap<String, String>,
    /// Extra variables the server reports whatever the files say (another file overriding mmprov's).
    pub overrides: BTreeMap<String, String>,
    /// An option that makes the server refuse to start.
    pub fatal_option: Option<String>,
    /// Application schemas and their table counts, as `information_schema` lists them.
    pub schemas: BTreeMap<String, u64>,
    /// The addresses the replication account `repl` exists for.
    pub accounts: Vec<String>,
    /// The source address this server replicates from, and whether its threads run.
    pub replica: Option<(String, bool)>,
    /// What the host's client was fed to restore (a seed), one entry per restore.
    pub restored: Vec<String>,
    /// Who holds the host's apply lock, as its note says.
    pub lock_holder: Option<String>,
    /// Statements holding this text are refused with a syntax error that quotes them, as servers do.
    pub refuse: Option<String>,
    /// `@@gtid_binlog_pos` and `@@gtid_slave_pos` (MariaDB).
    pub gtid_written: String,
    pub gtid_applied: String,
    /// An error the replica reports once it has answered `after` status queries since its last start (a
    /// replica restarted into an error it meets a moment later).
    pub replica_fails: Option<ReplicaFailure>,
    /// Status queries answered since the replica's last start.
    pub status_looks: usize,
    /// What its IO thread reports while running, when not `Yes` (`Connecting`).
    pub io_state: Option<String>,
    pub restarts: usize,
    pub commands: Vec<String>,
    pub statements: Vec<String>,
}

/// An error a fake replica meets: in its SQL thread (else its IO thread), after this many looks.
#[derive(Debug, Clone, Default)]
pub struct ReplicaFailure {
    pub sql: bool,
    pub errno: u32,
    pub message: String,
    pub after: usize,
}

/// A scripted host: clone it to keep a handle on its state after handing it to a link.
#[derive(Clone)]
pub struct FakeHost {
    name: String,
    state: Arc<Mutex<HostState>>,
}

pub const RESTART: &str = "service mariadb restart";
pub const LOG: &str = "/var/log/mysql/error.log";

impl FakeHost {
    /// A host whose server runs with no options of mmprov's.
    pub fn new(name: &str) -> Self {
        let host = Self {
            name: name.to_string(),
            state: Arc::default(),
        };
        host.start();
        host.state().restarts = 0;
        host
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Put `text` at `path` and start the server again from the files, counting no restart.
    pub fn with_file(self, path: &str, text: &str) -> Self {
        self.state().files.insert(path.into(), text.into());
        self.start();
        self.state().restarts = 0;
        self
    }

    pub fn state(&self) -> MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn fatal_option(self, option: &str) -> Self {
        self.state().fatal_option = Some(option.to_string());
        self
    }

    /// The link a run would hold to this host.
    pub fn link(&self) -> HostLink {
        HostLink::with_sql(Box::new(self.clone()), Box::new(FakeSql(self.clone())))
    }

    /// Start the server from the files, as mysqld would; `false` when it refuses.
    fn start(&self) -> bool {
        let mut s = self.state();
        s.restarts += 1;
        let options: BTreeMap<String, String> = s
            .files
            .iter()
            .filter(|(path, _)| {
                path.starts_with("/etc/mysql/") && !path.contains(".mmprov-backup-")
            })
            .flat_map(|(_, text)| crate::mycnf::server_options(text))
            .collect();
        if let Some(fatal) = s.fatal_option.clone().filter(|f| options.contains_key(f)) {
            s.log.push_str(&format!(
                "[ERROR] unknown variable '{fatal}'\n[ERROR] Aborting\n"
            ));
            s.running = false;
            return false;
        }
        let overrides = s.overrides.clone();
        s.variables = options;
        s.variables.extend(overrides);
        s.running = true;
        true
    }

    /// What the host answers to one command: exit status, stdout, stderr.
    fn answer(&self, command: &str, input: &[u8]) -> (i32, String, String) {
        let words: Vec<&str> = command.split_whitespace().collect();
        if command == RESTART {
            return if self.start() {
                (0, String::new(), String::new())
            } else {
                (1, String::new(), "Job for mariadb.service failed".into())
            };
        }
        if let Some(path) = command
            .rsplit_once("mv -f \"$tmp\" ")
            .map(|(_, p)| unquoted(p))
        {
            let text = String::from_utf8_lossy(input).into_owned();
            self.state().files.insert(path, text);
            return (0, String::new(), String::new());
        }
        if words.first() == Some(&"cp") {
            let (from, to) = (unquoted(words[3]), unquoted(words[4]));
            let mut s = self.state();
            let Some(text) = s.files.get(&from).cloned() else {
                return (1, String::new(), format!("cp: cannot stat '{from}'"));
            };
            s.files.insert(to, text);
            return (0, String::new(), String::new());
        }
        if words.first() == Some(&"rm") {
            self.state().files.remove(&unquoted(words[words.len() - 1]));
            return (0, String::new(), String::new());
        }
        if command == crate::sql::CLIENT {
            // A restore: the seed stream on stdin.
            self.state()
                .restored
                .push(String::from_utf8_lossy(input).into_owned());
            return (0, String::new(), String::new());
        }
        if command.contains("exec $d --single-transaction") {
            // A dump, with the coordinates the server writes into it.
            let dump = "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=1234;\n\
                        CREATE DATABASE IF NOT EXISTS `shop`;\n";
            return (0, dump.into(), String::new());
        }
        if let Some(path) = command
            .split("> ")
            .nth(1)
            .filter(|_| command.starts_with("mkdir -p"))
        {
            self.state()
                .files
                .insert(path.trim().to_string(), "seed".into());
            return (0, String::new(), String::new());
        }
        if command.starts_with("cfg=") {
            // The facts probe: a service-managed MariaDB, its data where the playbook says, no config file
            // of mmprov's.
            return (
                0,
                "manager=service\nunit=mariadb\ndatadir=foreign\nconfig=absent\n".into(),
                String::new(),
            );
        }
        if command.contains("stat -c %s") {
            return (0, format!("{}\n", self.state().log.len()), String::new());
        }
        if words.first() == Some(&"tail") {
            let from: usize = words[2].trim_start_matches('+').parse().unwrap_or(1);
            let log = self.state().log.clone();
            let since = log.get(from.saturating_sub(1)..).unwrap_or("");
            let errors: String = since
                .lines()
                .filter(|l| l.contains("[ERROR]"))
                .map(|l| format!("{l}\n"))
                .collect();
            return (0, errors, String::new());
        }
        (
            127,
            String::new(),
            format!("fake host: no script for `{command}`"),
        )
    }
}

impl FakeHost {
    /// The lock script: `busy` and the holder's note, or `locked` and held until stdin closes.
    fn hold_lock(
        &self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> std::io::Result<Finished> {
        let held = self.state().lock_holder.clone();
        if let Some(holder) = held {
            stdout.write_all(format!("busy\n{holder}\n").as_bytes())?;
            return Ok(Finished {
                status: 0,
                stderr: Vec::new(),
            });
        }
        // The script quotes the holder: `printf '%s since %s\n' 'bob@ops2, pid 7' ...`.
        let holder = command
            .split("printf '%s since %s\\n' ")
            .nth(1)
            .and_then(|rest| rest.split('\'').nth(1))
            .unwrap_or_default()
            .to_string();
        self.state().lock_holder = Some(holder);
        stdout.write_all(b"locked\n")?;
        stdout.flush()?;
        std::io::copy(stdin, &mut std::io::sink())?;
        self.state().lock_holder = None;
        Ok(Finished {
            status: 0,
            stderr: Vec::new(),
        })
    }
}

fn unquoted(word: &str) -> String {
    word.trim_matches('\'').to_string()
}

impl Transport for FakeHost {
    fn host(&self) -> &str {
        &self.name
    }

    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> Result<Finished, TransportError> {
        let io = |source| TransportError::Io {
            host: self.name.clone(),
            command: command.into(),
            source,
        };
        self.state().commands.push(command.to_string());
        if command.contains("flock -w") {
            return self.hold_lock(command, stdin, stdout).map_err(io);
        }
        let mut input = Vec::new();
        stdin.read_to_end(&mut input).map_err(io)?;
        let (status, out, err) = self.answer(command, &input);
        stdout.write_all(out.as_bytes()).map_err(io)?;
        Ok(Finished {
            status,
            stderr: err.into_bytes(),
        })
    }
}

/// The fake host's server, as SQL sees it.
struct FakeSql(FakeHost);

impl SqlExecutor for FakeSql {
    fn query(&mut self, what: &str, sql: &str) -> Result<Vec<Row>, SqlError> {
        let host = self.0.name.clone();
        let mut s = self.0.state();
        if !s.running {
            return Err(SqlError::NotServing {
                host,
                message: "Can't connect to local server through socket".into(),
            });
        }
        s.statements.push(sql.to_string());
        let row = |columns: &[&str], values: Vec<Option<String>>| {
            Row::new(
                Arc::new(columns.iter().map(|c| c.to_string()).collect()),
                values,
            )
        };
        if let Some(refused) = s.refuse.clone().filter(|r| sql.contains(r.as_str())) {
            let near: String = sql
                .chars()
                .skip(sql.find(&refused).unwrap_or(0))
                .take(80)
                .collect();
            return Err(SqlError::Server {
                host,
                what: what.to_string(),
                code: 1064,
                message: format!("You have an error in your SQL syntax near '{near}' at line 1"),
            });
        }
        if sql == "SELECT 1 AS up" {
            return Ok(vec![row(&["up"], vec![Some("1".into())])]);
        }
        if sql.starts_with("SELECT VERSION()") {
            let values = vec![
                Some("10.11.6-MariaDB-0+deb12u1".into()),
                Some("Debian 12".into()),
            ];
            return Ok(vec![row(&["version", "comment"], values)]);
        }
        if sql.contains("FROM mysql.user") {
            return Ok(s
                .accounts
                .iter()
                .map(|host| {
                    let values = vec![
                        Some(host.clone()),
                        Some(String::new()),
                        Some("mysql_native_password".into()),
                        Some("*0".into()),
                    ];
                    row(&["host", "tls", "plugin", "auth"], values)
                })
                .collect());
        }
        if sql == "SELECT @@gtid_binlog_pos AS written, @@gtid_slave_pos AS applied" {
            let values = vec![Some(s.gtid_written.clone()), Some(s.gtid_applied.clone())];
            return Ok(vec![row(&["written", "applied"], values)]);
        }
        if sql == "SHOW MASTER STATUS" {
            let values = vec![Some("mysql-bin.000003".into()), Some("1234".into())];
            return Ok(vec![row(&["File", "Position"], values)]);
        }
        if sql.starts_with("SHOW GLOBAL STATUS WHERE Variable_name = ") {
            let name = sql.rsplit('\'').nth(1).unwrap_or_default().to_string();
            let value = if name == "Uptime" { "3600" } else { "0" };
            return Ok(vec![row(
                &["Variable_name", "Value"],
                vec![Some(name), Some(value.into())],
            )]);
        }
        if sql.contains("_POS_WAIT(") {
            let waited = if s.replica.as_ref().is_some_and(|(_, running)| *running) {
                "0"
            } else {
                "NULL"
            };
            return Ok(vec![row(
                &["waited"],
                vec![(waited != "NULL").then(|| waited.into())],
            )]);
        }
        if sql == "SHOW SLAVE STATUS" {
            s.status_looks += 1;
            let failure = s.replica_fails.clone().filter(|f| s.status_looks > f.after);
            let io_state = s.io_state.clone();
            return Ok(s
                .replica
                .iter()
                .map(|(source, running)| {
                    replica_row(source, *running, io_state.as_deref(), failure.as_ref())
                })
                .collect());
        }
        if let Some(list) = sql.strip_prefix("SHOW GLOBAL VARIABLES WHERE Variable_name IN (") {
            let names: Vec<String> = list
                .trim_end_matches(')')
                .split(", ")
                .map(|n| n.trim_matches('\'').to_string())
                .collect();
            return Ok(names
                .iter()
                .filter_map(|n| {
                    let value = s.variables.get(n)?;
                    Some(row(
                        &["Variable_name", "Value"],
                        vec![Some(n.clone()), Some(value.clone())],
                    ))
                })
                .collect());
        }
        if sql.contains("FROM information_schema.SCHEMATA") {
            return Ok(s
                .schemas
                .iter()
                .map(|(name, tables)| {
                    row(
                        &["name", "tables", "bytes"],
                        vec![
                            Some(name.clone()),
                            Some(tables.to_string()),
                            Some((tables * 16384).to_string()),
                        ],
                    )
                })
                .collect());
        }
        if let Some(change) = sql.strip_prefix("CHANGE MASTER TO MASTER_HOST = '") {
            let host_end = change.find('\'').unwrap_or(change.len());
            s.replica = Some((change[..host_end].to_string(), false));
            return Ok(Vec::new());
        }
        if sql == "STOP SLAVE" || sql == "START SLAVE" {
            let running = sql == "START SLAVE";
            if let Some((_, threads)) = s.replica.as_mut() {
                *threads = running;
            }
            s.status_looks = 0;
            return Ok(Vec::new());
        }
        if let Some(set) = sql.strip_prefix("SET GLOBAL ") {
            if let Some((name, value)) = set.split_once(" = ") {
                s.variables.insert(name.to_string(), value.to_string());
            }
            return Ok(Vec::new());
        }
        Err(SqlError::Server {
            host,
            what: what.to_string(),
            code: 1064,
            message: format!("the fake server has no answer for `{sql}`"),
        })
    }
}

/// A `SHOW SLAVE STATUS` row of a replica of `source` as `repl`, its threads running or stopped, its IO
/// thread in `io_state` while running, and the failure it met, if any (that thread then stopped).
fn replica_row(
    source: &str,
    running: bool,
    io_state: Option<&str>,
    failure: Option<&ReplicaFailure>,
) -> Row {
    let state = if running { "Yes" } else { "No" };
    let errno = failure.map(|f| f.errno.to_string()).unwrap_or("0".into());
    let message = failure.map(|f| f.message.as_str()).unwrap_or_default();
    let sql_failed = failure.is_some_and(|f| f.sql);
    let io_failed = failure.is_some_and(|f| !f.sql);
    let io = match io_state {
        Some(io) if running && !io_failed => io,
        _ if io_failed => "No",
        _ => state,
    };
    let (io_errno, io_error) = if io_failed {
        (errno.as_str(), message)
    } else {
        ("0", "")
    };
    let (sql_errno, sql_error) = if sql_failed {
        (errno.as_str(), message)
    } else {
        ("0", "")
    };
    let fields = [
        ("Master_Host", source),
        ("Master_Port", "3306"),
        ("Master_User", "repl"),
        ("Slave_IO_Running", io),
        ("Slave_SQL_Running", if sql_failed { "No" } else { state }),
        ("Seconds_Behind_Master", if running { "0" } else { "NULL" }),
        ("Last_IO_Errno", io_errno),
        ("Last_IO_Error", io_error),
        ("Last_SQL_Errno", sql_errno),
        ("Last_SQL_Error", sql_error),
        ("Master_Log_File", "mysql-bin.000001"),
        ("Read_Master_Log_Pos", "4"),
        ("Relay_Master_Log_File", "mysql-bin.000001"),
        ("Exec_Master_Log_Pos", "4"),
        ("Using_Gtid", "Slave_Pos"),
        ("Connect_Retry", "2"),
        ("Gtid_IO_Pos", "0-1-4"),
        ("Master_SSL_Allowed", "No"),
        ("Master_SSL_CA_File", ""),
        ("Master_SSL_Cert", ""),
        ("Master_SSL_Key", ""),
        ("Master_SSL_Verify_Server_Cert", "No"),
    ];
    Row::new(
        Arc::new(fields.iter().map(|(c, _)| c.to_string()).collect()),
        fields
            .iter()
            .map(|(_, v)| (*v != "NULL").then(|| v.to_string()))
            .collect(),
    )
}
