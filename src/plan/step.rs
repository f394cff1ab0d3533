//! Steps and the reasons for them: plain data, saved in plan files, rendered in one place (`render`).

use serde::{Deserialize, Serialize};

use crate::flavor::ServerVersion;
use crate::packages::{PackageManagerKind, SourceFile};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// Install the server on a host that has none, or finish an install that was cut short: the vendor
    /// repository's files first (if any), then the packages, with the server kept from starting; then, when
    /// the data directory holds no system tables, `initialize`. The server first starts from mmprov's config.
    InstallServer {
        manager: PackageManagerKind,
        packages: Vec<String>,
        /// The vendor repository's name; `None`: the host's own package sources.
        repository: Option<String>,
        /// The files that add that repository, written before the install.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sources: Vec<SourceFile>,
        /// The server the play names: the one installed must be of its family and release series.
        server: ServerVersion,
        datadir: String,
        /// The command that initializes an empty data directory (system tables, owned by the server's user).
        initialize: String,
        /// mmprov's config file, and the options it sets: the installed server must read it after every
        /// other file that sets them, checked once the packages (and their option files) are in.
        #[serde(default)]
        config_path: String,
        #[serde(default)]
        config_options: Vec<String>,
        reason: InstallReason,
    },
    /// The fresh server's first clean-up, as `mysql_secure_installation` does: the anonymous accounts and
    /// the test database go. Not written to the binary log: a peer's own are never touched.
    Harden,
    /// Replace the config file mmprov owns (backed up first). `before` is `None` for a new file.
    WriteConfig {
        path: String,
        before: Option<String>,
        after: String,
    },
    /// Change a variable on the running server; the file carries the same value for the next start.
    SetGlobal {
        variable: String,
        value: String,
        live: String,
    },
    /// Restart (or start) mysqld with the service manager's command, then wait until it serves.
    Restart {
        command: String,
        reasons: Vec<RestartReason>,
    },
    /// Move the server's data directory: stop mysqld, copy `from` to `to` with owners and modes, verify
    /// the copy; the config and restart steps then start it from `to`, and once it serves the old files
    /// are set aside in `from`. `redo`: `to` holds an earlier, unfinished copy, which is replaced.
    MoveDatadir {
        from: String,
        to: String,
        holds_data: bool,
        redo: bool,
    },
    /// Point the service script's admin client at the server's socket (`[client] socket` of `path`,
    /// the only file it reads), so it finds the server it starts and stops.
    ServiceSocket {
        path: String,
        socket: String,
        was: String,
    },
}

impl Step {
    /// The statement a `SetGlobal` runs.
    /// The statement that sets a variable on the running server.
    pub fn set_global(variable: &str, value: &str) -> String {
        format!("SET GLOBAL {variable} = {value}")
    }

    pub fn sql(&self) -> Option<String> {
        match self {
            Step::SetGlobal {
                variable, value, ..
            } => Some(Step::set_global(variable, value)),
            _ => None,
        }
    }
}

/// Why the server is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallReason {
    /// Neither a server binary nor a running server was found.
    NotInstalled,
    /// mmprov's earlier install on this host did not get as far as the server's first start.
    Unfinished,
}

impl InstallReason {
    pub fn describe(self) -> &'static str {
        match self {
            InstallReason::NotInstalled => {
                "no server is installed (no mariadbd or mysqld, none running)"
            }
            InstallReason::Unfinished => {
                "mmprov's earlier install here stopped before the server first started"
            }
        }
    }
}

/// Why a restart is needed. Each names the setting and both values, so the operator can judge it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RestartReason {
    NotRunning,
    /// The server runs with another value, and this variable cannot change at run time.
    StaticChanged {
        variable: String,
        live: String,
        wanted: String,
    },
    /// The server does not report this option, and the file changes it.
    Unverifiable {
        variable: String,
    },
}

impl RestartReason {
    pub fn describe(&self) -> String {
        match self {
            RestartReason::NotRunning => "mysqld is not running".into(),
            RestartReason::StaticChanged {
                variable,
                live,
                wanted,
            } => {
                let live = if live.is_empty() { "(empty)" } else { live };
                format!("{variable} is {live}, wants {wanted} (only read at start)")
            }
            RestartReason::Unverifiable { variable } => {
                format!("{variable} changes in the file and the server does not report it")
            }
        }
    }
}
