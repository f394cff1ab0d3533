//! A scripted host for unit tests of what runs against hosts: a transport and a SQL executor that answer
//! from one shared, inspectable state, so apply, restart and rollback are tested without a lab. The lab
//! stays the proof; this is for the engine's own decisions.
//!
//! The host has files, an error log and a server. The server "starts" from the files under
//! `/etc/mysql`: an option named in [`FakeHost::fatal_option`] makes it refuse to start (it logs an
//! `[ERROR]` line, as mysqld does); otherwise it runs with the `[mysqld]` options it read, which
//! `SHOW GLOBAL VARIABLES` reports. Commands are the ones mmprov sends, recognised by their shape.
//!
//! The server is MariaDB 10.11 unless made another ([`FakeHost::mysql`], [`FakeHost::with_server`]); it
//! speaks its version's dialect, taken from the dialect table (`flavor::Dialect`) as mmprov's own statements
//! are: its CHANGE, START/STOP and status statements, its status columns (`Slave_IO_Running` or
//! `Replica_IO_Running`, `Using_Gtid` or `Auto_Position`), its GTID variables. A statement of another
//! dialect (`SHOW SLAVE STATUS` on MySQL 8.4) is refused with a syntax error, as the server would.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::flavor::{Dialect, ServerVersion};
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
    /// `@@gtid_binlog_pos` and `@@gtid_slave_pos` (MariaDB); on MySQL, `gtid_written` is `@@gtid_executed`,
    /// which holds what the server wrote and applied alike.
    pub gtid_written: String,
    pub gtid_applied: String,
    /// What `SELECT VERSION(), @@version_comment` answers.
    pub version: String,
    pub version_comment: String,
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

/// What a fake MySQL server calls itself.
pub const MYSQL_VERSION: &str = "8.4.3";
pub const MYSQL_COMMENT: &str = "MySQL Community Server - GPL";

impl HostState {
    /// The server's version, as mmprov reads it from the version strings.
    pub fn server(&self) -> ServerVersion {
        ServerVersion::from_server(&self.version, &self.version_comment)
            .unwrap_or(ServerVersion::DEBIAN_DEFAULT)
    }

    /// The words, columns and capabilities of the server's version.
    pub fn dialect(&self) -> &'static Dialect {
        self.server().dialect()
    }

    /// Variables a server reports whatever its files say: a MySQL server has `gtid_mode` (OFF unless set).
    fn built_in_variables(&self) -> BTreeMap<String, String> {
        let mut built_in = BTreeMap::new();
        if self.dialect().capabilities.gtid_mode {
            built_in.insert("gtid_mode".into(), "OFF".into());
            built_in.insert("enforce_gtid_consistency".into(), "OFF".into());
        }
        built_in
    }
}

impl FakeHost {
    /// A host whose MariaDB 10.11 server runs with no options of mmprov's.
    pub fn new(name: &str) -> Self {
        Self::with_server(name, "10.11.6-MariaDB-0+deb12u1", "Debian 12")
    }

    /// A host whose MySQL 8.4 server runs with no options of mmprov's.
    pub fn mysql(name: &str) -> Self {
        Self::with_server(name, MYSQL_VERSION, MYSQL_COMMENT)
    }

    /// A host whose server reports `version` and `comment`, running with no options of mmprov's.
    pub fn with_server(name: &str, version: &str, comment: &str) -> Self {
        let host = Self {
            name: name.to_string(),
            state: Arc::default(),
        };
        {
            let mut s = host.state();
            s.version = version.to_string();
            s.version_comment = comment.to_string();
        }
        host.start();
        host.state().restarts = 0;
        host
    }

    /// The command that restarts this host's server: its family's service.
    pub fn restart_command(&self) -> String {
        format!(
            "service {} restart",
            self.state().dialect().packages.apt_service
        )
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
        s.variables = s.built_in_variables();
        s.variables.extend(options);
        s.variables.extend(overrides);
        s.running = true;
        true
    }

    /// What the host answers to one command: exit status, stdout, stderr.
    fn answer(&self, command: &str, input: &[u8]) -> (i32, String, String) {
        let words: Vec<&str> = command.split_whitespace().collect();
        if command == self.restart_command() {
            let unit = self.state().dialect().packages.apt_service;
            return if self.start() {
                (0, String::new(), String::new())
            } else {
                (1, String::new(), format!("Job for {unit}.service failed"))
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
            // A dump, with the coordinates the server writes into it, in its own words.
            let words = &self.state().dialect().words;
            let (head, option) = (words.change_source, words.option);
            let dump = format!(
                "-- {head} {option}_LOG_FILE='mysql-bin.000003', {option}_LOG_POS=1234;\n\
                 CREATE DATABASE IF NOT EXISTS `shop`;\n"
            );
            return (0, dump, String::new());
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
            // The facts probe: a service-managed server, its data where the playbook says, no config file
            // of mmprov's.
            let unit = self.state().dialect().packages.apt_service;
            return (
                0,
                format!("manager=service\nunit={unit}\ndatadir=foreign\nconfig=absent\n"),
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
        let answer = server_answer(&mut s, sql).or_else(|| replication_answer(&mut s, sql));
        answer.ok_or_else(|| SqlError::Server {
            host,
            what: what.to_string(),
            code: 1064,
            message: format!("the fake server has no answer for `{sql}`"),
        })
    }
}

/// A result row of these columns and values.
fn row(columns: &[&str], values: Vec<Option<String>>) -> Row {
    Row::new(
        Arc::new(columns.iter().map(|c| c.to_string()).collect()),
        values,
    )
}

/// What the server answers about itself: whether it is up, its version, accounts, status and variables,
/// schemas; `SET GLOBAL` changes a variable. `None`: not such a statement.
fn server_answer(s: &mut HostState, sql: &str) -> Option<Vec<Row>> {
    if sql == "SELECT 1 AS up" {
        return Some(vec![row(&["up"], vec![Some("1".into())])]);
    }
    if sql.starts_with("SELECT VERSION()") {
        let values = vec![Some(s.version.clone()), Some(s.version_comment.clone())];
        return Some(vec![row(&["version", "comment"], values)]);
    }
    if sql.contains("FROM mysql.user") {
        let plugin = s.dialect().capabilities.default_auth_plugin;
        let account = |host: &String| {
            let values = vec![
                Some(host.clone()),
                Some(String::new()),
                Some(plugin.into()),
                Some(hex::encode("*0")),
            ];
            row(&["host", "tls", "plugin", "auth"], values)
        };
        return Some(s.accounts.iter().map(account).collect());
    }
    if sql.starts_with("SHOW GLOBAL STATUS WHERE Variable_name = ") {
        let name = sql.rsplit('\'').nth(1).unwrap_or_default().to_string();
        let value = if name == "Uptime" { "3600" } else { "0" };
        return Some(vec![row(
            &["Variable_name", "Value"],
            vec![Some(name), Some(value.into())],
        )]);
    }
    if let Some(list) = sql.strip_prefix("SHOW GLOBAL VARIABLES WHERE Variable_name IN (") {
        let variable = |n: &str| {
            let name = n.trim_matches('\'');
            let value = s.variables.get(name)?;
            Some(row(
                &["Variable_name", "Value"],
                vec![Some(name.to_string()), Some(value.clone())],
            ))
        };
        return Some(
            list.trim_end_matches(')')
                .split(", ")
                .filter_map(variable)
                .collect(),
        );
    }
    if sql.contains("FROM information_schema.SCHEMATA") {
        let schema = |(name, tables): (&String, &u64)| {
            let values = vec![
                Some(name.clone()),
                Some(tables.to_string()),
                Some((tables * 16384).to_string()),
            ];
            row(&["name", "tables", "bytes"], values)
        };
        return Some(s.schemas.iter().map(schema).collect());
    }
    if sql.contains("information_schema.INNODB_TRX") {
        // No client session of the fake server is inside a transaction.
        return Some(Vec::new());
    }
    if let Some(set) = sql.strip_prefix("SET GLOBAL ") {
        if let Some((name, value)) = set.split_once(" = ") {
            s.variables.insert(name.to_string(), value.to_string());
        }
        return Some(Vec::new());
    }
    None
}

/// What the server answers about replication, in its dialect's words: GTID positions, its binary log
/// position, a wait for a source position, its replica status; a CHANGE, a reset of its binary logs, a
/// start or a stop. `None`: not such a statement (or another dialect's).
fn replication_answer(s: &mut HostState, sql: &str) -> Option<Vec<Row>> {
    let dialect = s.dialect();
    let words = &dialect.words;
    if sql == dialect.variables.gtid_positions {
        // MySQL's executed set holds what the server wrote and applied alike.
        let applied = if dialect.capabilities.gtid_domains {
            &s.gtid_applied
        } else {
            &s.gtid_written
        };
        let values = vec![Some(s.gtid_written.clone()), Some(applied.clone())];
        return Some(vec![row(&["written", "applied"], values)]);
    }
    if sql == words.binlog_status {
        let values = vec![Some("mysql-bin.000003".into()), Some("1234".into())];
        return Some(vec![row(&["File", "Position"], values)]);
    }
    if let Some(rest) = sql.strip_prefix(&format!("SELECT {}('", words.gtid_wait)) {
        // A running replica applies what it was asked to wait for; a stopped one times out.
        let wanted = rest.split('\'').next().unwrap_or_default().to_string();
        let running = s.replica.as_ref().is_some_and(|(_, running)| *running);
        if running {
            let held = if dialect.capabilities.gtid_domains {
                &mut s.gtid_applied
            } else {
                &mut s.gtid_written
            };
            *held = if held.is_empty() {
                wanted
            } else {
                format!("{held},{wanted}")
            };
        }
        let waited = if running { "0" } else { "-1" };
        return Some(vec![row(&["waited"], vec![Some(waited.into())])]);
    }
    if sql.contains("_POS_WAIT(") {
        let running = s.replica.as_ref().is_some_and(|(_, running)| *running);
        return Some(vec![row(&["waited"], vec![running.then(|| "0".into())])]);
    }
    if sql == words.replica_status {
        return Some(replica_status(s, dialect));
    }
    let change_source = format!("{} {}_HOST = '", words.change_source, words.option);
    if let Some(change) = sql.strip_prefix(change_source.as_str()) {
        let host_end = change.find('\'').unwrap_or(change.len());
        s.replica = Some((change[..host_end].to_string(), false));
        return Some(Vec::new());
    }
    if words.reset_binary_logs == Some(sql) {
        s.gtid_written.clear();
        return Some(Vec::new());
    }
    if sql == words.stop_replica || sql == words.start_replica {
        let running = sql == words.start_replica;
        if let Some((_, threads)) = s.replica.as_mut() {
            *threads = running;
        }
        s.status_looks = 0;
        return Some(Vec::new());
    }
    None
}

/// The replica status rows, one look more since the last start (a failure shows once enough were made).
fn replica_status(s: &mut HostState, dialect: &Dialect) -> Vec<Row> {
    s.status_looks += 1;
    let failure = s.replica_fails.clone().filter(|f| s.status_looks > f.after);
    s.replica
        .iter()
        .map(|(source, running)| {
            let replica = Replica {
                source,
                running: *running,
                io_state: s.io_state.as_deref(),
                failure: failure.as_ref(),
                gtid_received: &s.gtid_written,
            };
            replica_row(dialect, &replica)
        })
        .collect()
}

/// A fake replica as its status shows it: its source, its threads running or stopped, its IO thread in
/// `io_state` while running, the failure it met, if any (that thread then stopped), and the GTIDs it
/// received.
struct Replica<'a> {
    source: &'a str,
    running: bool,
    io_state: Option<&'a str>,
    failure: Option<&'a ReplicaFailure>,
    gtid_received: &'a str,
}

/// The replica status row of `replica` as `repl`, in the dialect's columns, positioned by GTID.
fn replica_row(dialect: &Dialect, replica: &Replica) -> Row {
    let Replica {
        source,
        running,
        io_state,
        failure,
        gtid_received,
    } = *replica;
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
    let by_gtid = dialect.words.positioning.by_gtid;
    // MariaDB shows its positioning as the value it was given (`Slave_Pos`); MySQL as 1 or 0.
    let positioning = if dialect.capabilities.gtid_domains {
        "Slave_Pos"
    } else {
        by_gtid
    };
    let received = match (dialect.capabilities.gtid_domains, gtid_received) {
        (true, _) => "0-1-4",
        (false, set) => set,
    };
    let c = &dialect.columns;
    let fields = [
        (c.source_host, source),
        (c.source_port, "3306"),
        (c.source_user, "repl"),
        (c.io_running, io),
        (c.sql_running, if sql_failed { "No" } else { state }),
        (c.seconds_behind, if running { "0" } else { "NULL" }),
        ("Last_IO_Errno", io_errno),
        ("Last_IO_Error", io_error),
        ("Last_SQL_Errno", sql_errno),
        ("Last_SQL_Error", sql_error),
        (c.source_log_file, "mysql-bin.000001"),
        (c.read_pos, "4"),
        (c.exec_log_file, "mysql-bin.000001"),
        (c.exec_pos, "4"),
        (c.positioning, positioning),
        ("Connect_Retry", "2"),
        (c.gtid_received, received),
        (c.ssl_allowed, "No"),
        (c.ssl_ca, ""),
        (c.ssl_cert, ""),
        (c.ssl_key, ""),
        (c.ssl_verify, "No"),
    ];
    Row::new(
        Arc::new(fields.iter().map(|(c, _)| c.to_string()).collect()),
        fields
            .iter()
            .map(|(_, v)| (*v != "NULL").then(|| v.to_string()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The replica status row `statement` answers, or the server's refusal.
    fn status(host: &FakeHost, statement: &str) -> Result<Row, SqlError> {
        let rows = FakeSql(host.clone()).query("reading the replica status", statement)?;
        Ok(rows.into_iter().next().expect("a replica is configured"))
    }

    #[test]
    fn a_mysql_8_4_host_answers_in_its_words_and_refuses_the_old_ones() {
        let host = FakeHost::mysql("m1");
        host.state().replica = Some(("192.0.2.11".into(), true));
        let row = status(&host, "SHOW REPLICA STATUS").expect("answers");
        assert_eq!(row.get(&["Replica_IO_Running"]), Some("Yes"));
        assert_eq!(row.get(&["Source_Host"]), Some("192.0.2.11"));
        assert_eq!(row.get(&["Auto_Position"]), Some("1"));
        assert!(row.get(&["Retrieved_Gtid_Set"]).is_some());
        assert!(row.get(&["Slave_IO_Running"]).is_none());
        assert!(matches!(
            status(&host, "SHOW SLAVE STATUS"),
            Err(SqlError::Server { code: 1064, .. })
        ));
        assert_eq!(host.restart_command(), "service mysql restart");
    }

    #[test]
    fn an_older_mysql_host_speaks_its_own_rows_words() {
        let host = FakeHost::with_server("m1", "8.0.21", MYSQL_COMMENT);
        host.state().replica = Some(("192.0.2.11".into(), true));
        let row = status(&host, "SHOW SLAVE STATUS").expect("answers");
        assert_eq!(row.get(&["Slave_IO_Running"]), Some("Yes"));
        assert_eq!(row.get(&["Auto_Position"]), Some("1"));
        assert!(status(&host, "SHOW REPLICA STATUS").is_err());
    }

    #[test]
    fn a_mariadb_host_keeps_its_columns() {
        let host = FakeHost::new("h1");
        host.state().replica = Some(("192.0.2.11".into(), true));
        let row = status(&host, "SHOW SLAVE STATUS").expect("answers");
        assert_eq!(row.get(&["Using_Gtid"]), Some("Slave_Pos"));
        assert_eq!(row.get(&["Gtid_IO_Pos"]), Some("0-1-4"));
        assert_eq!(host.restart_command(), RESTART);
    }
}
