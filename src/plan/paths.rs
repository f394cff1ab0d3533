//! Where the server's files are: its data directory, socket, error log and binary log. PURE.
//!
//! A path the playbook names is where the file goes (moving it is the playbook's explicit choice, which the
//! layout plan checks). A path it does not name stays where the installed server has it:
//! 1. the running server's own variable (`@@datadir`, `@@socket`, `@@log_error`);
//! 2. else the value mmprov's own config file already sets (a server that is down);
//! 3. else the value the distribution's option files set (the package's layout: MariaDB 11.8's common files
//!    name `/run/mariadbd/mysqld.sock` before its server is even installed);
//! 4. else Debian's usual layout.
//!
//! So a server whose package puts its files elsewhere (MariaDB 11.8: `/var/lib/mariadb`, `/run/mariadbd`;
//! MySQL: `/var/run/mysqld`) is never moved to a path that does not exist on its host. A server under systemd
//! with no error log file of its own (`@@log_error` empty: its journal keeps its words) gets none; one that
//! would log to syslog or to a file named after the host (mysqld_safe) gets the file mmprov reads when a
//! restart fails, as a server that is down keeps the one mmprov's file names.
//!
//! The binary log follows the same order, and for a stronger reason: a server's logs hold the transactions
//! its replicas may still need. A new basename starts a new index, and whatever the old files hold becomes
//! purged history that no replica can fetch again (MySQL writes `binlog.N` in its data directory by default).

use crate::facts::HostFacts;
use crate::model::{
    DEFAULT_DATADIR, DEFAULT_LOG_BIN, DEFAULT_LOG_ERROR, DEFAULT_SOCKET, PlayVars, ServiceKind,
};
use crate::mycnf::{server_options, written_value};

/// The server's files on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPaths {
    pub datadir: String,
    pub socket: String,
    /// `None`: the server logs to its journal or standard error, and the config names no file.
    pub log_error: Option<String>,
    /// The binary log's path as the config writes it.
    pub log_bin: String,
}

/// The paths of `facts`' host under a play with `vars`.
pub fn server_paths(vars: &PlayVars, facts: &HostFacts) -> ServerPaths {
    let configured = facts
        .config
        .as_deref()
        .map(server_options)
        .unwrap_or_default();
    let found = |variable: &str| -> Option<String> {
        let running = facts
            .running
            .then(|| facts.variables.get(variable))
            .flatten();
        running
            .or_else(|| configured.get(variable))
            .or_else(|| facts.option_files.paths.get(variable))
            .cloned()
    };
    let datadir = vars
        .datadir
        .clone()
        .or_else(|| found("datadir").map(|d| trimmed(&d)))
        .unwrap_or_else(|| DEFAULT_DATADIR.to_string());
    let socket = vars
        .socket
        .clone()
        .or_else(|| found("socket").filter(|s| !s.is_empty()))
        .unwrap_or_else(|| DEFAULT_SOCKET.to_string());
    let kept = || {
        configured
            .get("log_error")
            .cloned()
            .unwrap_or_else(|| DEFAULT_LOG_ERROR.to_string())
    };
    let log_error = match &vars.log_error {
        Some(named) => Some(named.clone()),
        None if facts.running => match facts.variables.get("log_error") {
            // A file of its own: the server keeps it.
            Some(file) if file.starts_with('/') => Some(file.clone()),
            // Under systemd a server without a file logs to its journal, which keeps its words.
            _ if facts.service == ServiceKind::Systemd => None,
            // Elsewhere its words would go to syslog, or to a file named after the host (mysqld_safe): mmprov
            // gives them the file it reads when a restart fails.
            _ => Some(kept()),
        },
        // A server that is down keeps what mmprov's file says, a file or none (under systemd a server with no
        // file of its own logged to its journal when that file was written); one mmprov has no file on yet (a
        // server it installs) gets the usual place, where Debian's MySQL logs too.
        None => match (&facts.config, configured.get("log_error")) {
            (_, Some(file)) => Some(file.clone()),
            (Some(_), None) => None,
            (None, None) => Some(DEFAULT_LOG_ERROR.to_string()),
        },
    };
    ServerPaths {
        datadir,
        socket,
        log_error,
        log_bin: log_bin(vars, facts),
    }
}

/// The playbook's binary log; else the one the running server writes, said as mmprov's file says it when that
/// names the same logs; else the one mmprov's file names; else mmprov's usual place.
fn log_bin(vars: &PlayVars, facts: &HostFacts) -> String {
    if let Some(named) = &vars.log_bin {
        return named.clone();
    }
    let written = facts
        .config
        .as_deref()
        .and_then(|config| written_value(config, "log_bin"))
        .filter(|path| !path.is_empty());
    let logging = facts.running
        && facts
            .variables
            .get("log_bin")
            .is_some_and(|on| crate::mycnf::same_value("ON", on));
    let basename = facts
        .variables
        .get("log_bin_basename")
        .filter(|b| logging && !b.is_empty());
    match (basename, written) {
        (Some(basename), Some(written)) if names_the_same_logs(&written, basename) => written,
        (Some(basename), _) => basename.clone(),
        (None, Some(written)) => written,
        (None, None) => DEFAULT_LOG_BIN.to_string(),
    }
}

/// Whether `log-bin = written` gives the logs the server reports as `basename`: the server drops an extension
/// and resolves a relative name against its data directory.
fn names_the_same_logs(written: &str, basename: &str) -> bool {
    let stem = std::path::Path::new(written).with_extension("");
    let stem = stem.to_string_lossy();
    if written.starts_with('/') {
        stem == basename
    } else {
        basename.ends_with(&format!("/{stem}"))
    }
}

/// A directory without its trailing `/` (servers report `@@datadir` with one).
fn trimmed(dir: &str) -> String {
    match dir.trim_end_matches('/') {
        "" => "/".to_string(),
        d => d.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ReplicationFacts;

    fn running(variables: &[(&str, &str)]) -> HostFacts {
        let mut f = HostFacts::running_for_tests("db1", ReplicationFacts::default());
        f.variables = variables
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        f
    }

    #[test]
    fn a_path_the_playbook_does_not_name_stays_where_the_server_has_it() {
        // MariaDB 11.8 as Debian packages it, under systemd: its own folders, its log in the journal.
        let mut facts = running(&[
            ("datadir", "/var/lib/mariadb/"),
            ("socket", "/run/mariadbd/mysqld.sock"),
            ("log_error", ""),
        ]);
        facts.service = ServiceKind::Systemd;
        let paths = server_paths(&PlayVars::default(), &facts);
        assert_eq!(
            paths,
            ServerPaths {
                datadir: "/var/lib/mariadb".into(),
                socket: "/run/mariadbd/mysqld.sock".into(),
                log_error: None,
                log_bin: DEFAULT_LOG_BIN.into(),
            }
        );
    }

    /// MySQL logs to `binlog.N` in its data directory by default: a new basename would leave every
    /// transaction in those files unservable to a replica (error 13114 wrapping 1236).
    #[test]
    fn the_binary_log_stays_where_the_running_server_writes_it() {
        let mysql = running(&[
            ("log_bin", "ON"),
            ("log_bin_basename", "/var/lib/mysql/binlog"),
        ]);
        assert_eq!(
            server_paths(&PlayVars::default(), &mysql).log_bin,
            "/var/lib/mysql/binlog"
        );
        // Said as mmprov's file says it, so the file does not change.
        let mut configured = running(&[
            ("log_bin", "ON"),
            ("log_bin_basename", "/var/log/mysql/mysql-bin"),
        ]);
        configured.config = Some("[mysqld]\nlog-bin = /var/log/mysql/mysql-bin.log\n".into());
        assert_eq!(
            server_paths(&PlayVars::default(), &configured).log_bin,
            "/var/log/mysql/mysql-bin.log"
        );
        configured.config = Some("[mysqld]\nlog_bin = mysql-bin\n".into());
        configured
            .variables
            .insert("log_bin_basename".into(), "/var/lib/mysql/mysql-bin".into());
        assert_eq!(
            server_paths(&PlayVars::default(), &configured).log_bin,
            "mysql-bin"
        );
    }

    #[test]
    fn a_server_not_logging_yet_gets_mmprovs_file_or_the_usual_place_and_the_playbook_wins() {
        // MariaDB as Debian ships it: no binary log.
        let mut off = running(&[("log_bin", "OFF"), ("log_bin_basename", "")]);
        assert_eq!(
            server_paths(&PlayVars::default(), &off).log_bin,
            DEFAULT_LOG_BIN
        );
        off.config = Some("[mysqld]\nlog-bin = /srv/binlog/b.log\n".into());
        assert_eq!(
            server_paths(&PlayVars::default(), &off).log_bin,
            "/srv/binlog/b.log"
        );
        let named = PlayVars {
            log_bin: Some("/data/bin".into()),
            ..PlayVars::default()
        };
        let mysql = running(&[
            ("log_bin", "ON"),
            ("log_bin_basename", "/var/lib/mysql/binlog"),
        ]);
        assert_eq!(server_paths(&named, &mysql).log_bin, "/data/bin");
    }

    /// A server started by mysqld_safe logs to syslog, or once told to skip it, to `<host>.err` in its data
    /// directory: mmprov gives it the file it reads, the same before and after, so a second plan is empty.
    #[test]
    fn a_server_outside_systemd_without_a_log_file_of_its_own_gets_mmprovs() {
        for reported in ["", "./db1.err"] {
            let facts = running(&[("log_error", reported)]);
            let paths = server_paths(&PlayVars::default(), &facts);
            assert_eq!(
                paths.log_error.as_deref(),
                Some(DEFAULT_LOG_ERROR),
                "{reported:?}"
            );
        }
    }

    #[test]
    fn a_path_the_playbook_names_is_where_the_file_goes() {
        let facts = running(&[("datadir", "/var/lib/mariadb/"), ("log_error", "")]);
        let vars = PlayVars {
            datadir: Some("/srv/mysql".into()),
            log_error: Some("/var/log/mysql/error.log".into()),
            ..PlayVars::default()
        };
        let paths = server_paths(&vars, &facts);
        assert_eq!(paths.datadir, "/srv/mysql");
        assert_eq!(paths.log_error.as_deref(), Some("/var/log/mysql/error.log"));
    }

    #[test]
    fn a_server_that_is_down_keeps_what_mmprovs_file_says_and_a_new_one_gets_the_package_layout() {
        let mut down = running(&[]);
        down.running = false;
        down.config = Some("[mysqld]\ndatadir = /srv/data\nsocket = /run/x.sock\n".into());
        let paths = server_paths(&PlayVars::default(), &down);
        assert_eq!(
            (paths.datadir.as_str(), paths.socket.as_str()),
            ("/srv/data", "/run/x.sock")
        );
        down.config = None;
        let paths = server_paths(&PlayVars::default(), &down);
        assert_eq!(paths.datadir, DEFAULT_DATADIR);
        assert_eq!(paths.log_error.as_deref(), Some(DEFAULT_LOG_ERROR));
    }

    #[test]
    fn a_server_under_systemd_that_is_down_keeps_logging_to_its_journal() {
        let mut facts = running(&[("log_error", "")]);
        facts.service = ServiceKind::Systemd;
        assert_eq!(server_paths(&PlayVars::default(), &facts).log_error, None);
        // Down, with mmprov's file as written then (no log_error line): still none, so the config stays.
        facts.running = false;
        facts.config = Some("[mysqld]\nserver-id = 2\n".into());
        assert_eq!(server_paths(&PlayVars::default(), &facts).log_error, None);
        // Down before mmprov ever wrote its file (a server it installs): the usual place, where Debian's
        // MySQL logs too.
        facts.config = None;
        assert_eq!(
            server_paths(&PlayVars::default(), &facts)
                .log_error
                .as_deref(),
            Some(DEFAULT_LOG_ERROR)
        );
    }

    #[test]
    fn a_server_not_installed_yet_gets_the_socket_its_distributions_files_name() {
        // MariaDB 11.8's common files, there before its server is installed: `[client-server]` names the
        // socket its unit's runtime folder holds.
        let printed = "optfile=/etc/mysql/my.cnf\noptfile=/etc/mysql/mariadb.cnf\n\
                       optpath=socket /run/mariadbd/mysqld.sock\noptdir=/etc/mysql/mariadb.conf.d\n";
        let mut bare = running(&[]);
        bare.running = false;
        bare.config = None;
        bare.option_files = crate::facts::option_files(printed);
        let paths = server_paths(&PlayVars::default(), &bare);
        assert_eq!(paths.socket, "/run/mariadbd/mysqld.sock");
        assert_eq!(paths.datadir, DEFAULT_DATADIR, "no file names one");
        // mmprov's own file, where it has one, comes first; the playbook before both.
        bare.config = Some("[mysqld]\nsocket = /run/x.sock\n".into());
        assert_eq!(
            server_paths(&PlayVars::default(), &bare).socket,
            "/run/x.sock"
        );
        let named = PlayVars {
            socket: Some("/run/y.sock".into()),
            ..PlayVars::default()
        };
        assert_eq!(server_paths(&named, &bare).socket, "/run/y.sock");
    }
}
