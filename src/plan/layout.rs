//! Where the server's files live: the data directory and socket the rendered config names, against where
//! the server and the host's tools have them. PURE.
//!
//! 1. A running server whose `datadir` differs from the config's is moved (a [`Step::MoveDatadir`] before
//!    the config is written), unless that could lose data:
//!    - the new directory holds files mmprov did not put there: refused;
//!    - a file mysqld goes on writing (its binary log, relay log, error log) would stay in the old
//!      directory, outside the new one: refused, since the old directory's files are set aside once
//!      mysqld serves from the new one (MySQL writes its binary log in its data directory by default);
//!    - the server holds application data (or its data was not read): refused unless the play says
//!      `datadir_move: true`.
//! 2. A server that is down is started from the config's directory only when that directory holds a data
//!    directory (a verified copy of an earlier move, or one already there); an empty or missing one is
//!    refused, since mysqld would start on nothing.
//! 3. The Debian service script's admin client reads only `/etc/mysql/debian.cnf`: when the socket moves on
//!    a host that runs that script (not systemd), its `[client] socket` is pointed at the new one
//!    ([`Step::ServiceSocket`]), or the script could neither see the server start nor stop it.

use std::collections::BTreeMap;

use super::{Desired, Refusal, Step};
use crate::facts::{DatadirState, HostFacts, SERVICE_CLIENT_CONFIG, ServiceSocket};
use crate::mycnf::written_value;

/// The socket a Debian client uses when no config names one.
pub const DEFAULT_SOCKET: &str = "/run/mysqld/mysqld.sock";

/// The steps that put the server's files where the config says: one before the config is written (the
/// move, which stops the server while the old config still describes it), one after.
#[derive(Debug, Default)]
pub struct LayoutSteps {
    pub before_config: Option<Step>,
    pub after_config: Option<Step>,
}

/// `installing`: the server is installed by this plan, into the config's data directory, so nothing moves.
pub fn plan_layout(
    desired: &Desired,
    facts: &HostFacts,
    wanted: &BTreeMap<String, String>,
    installing: bool,
) -> Result<LayoutSteps, Refusal> {
    let before_config = if installing {
        None
    } else {
        datadir_move(desired, facts, wanted)?
    };
    Ok(LayoutSteps {
        before_config,
        after_config: service_socket(facts, wanted),
    })
}

fn datadir_move(
    desired: &Desired,
    facts: &HostFacts,
    wanted: &BTreeMap<String, String>,
) -> Result<Option<Step>, Refusal> {
    let Some(to) = wanted.get("datadir").map(|d| trimmed(d)) else {
        return Ok(None);
    };
    let host = &desired.host;
    let refuse = |message: String, help: &str| Refusal {
        play: desired.play.clone(),
        message,
        help: Some(help.to_string()),
    };
    let target = &facts.layout.datadir_target;
    if !facts.running {
        return match target {
            DatadirState::Missing | DatadirState::Empty => Err(refuse(
                format!("{host}: mysqld is not running, and its data directory {to} is empty"),
                "start mysqld as it is, then run mmprov again: a running server's data is moved there",
            )),
            DatadirState::Moved { .. } | DatadirState::Foreign => Ok(None),
        };
    }
    let Some(from) = facts.variables.get("datadir").map(|d| trimmed(d)) else {
        return Ok(None);
    };
    if from == to {
        return Ok(None);
    }
    if *target == DatadirState::Foreign {
        return Err(refuse(
            format!(
                "{host}: the data directory is to move from {from} to {to}, which holds files mmprov did not put there"
            ),
            "empty that directory, or name another datadir",
        ));
    }
    if let Some((option, path)) = left_behind(&desired.config, from, to) {
        return Err(refuse(
            format!(
                "{host}: the data directory is to move from {from} to {to}, but mysqld would go on writing \
                 {option} {path} in {from}, whose files are set aside once it serves from {to}"
            ),
            &format!(
                "name `{option}` in the play at a path outside {from} (the classic recipe's log_bin is \
                 /var/log/mysql/binlog.log): mysqld writes there from its next start, and the old files are \
                 kept aside with the rest"
            ),
        ));
    }
    let holds_data = facts.replication.as_ref().is_none_or(|r| r.holds_data());
    if holds_data && !desired.datadir_move {
        return Err(refuse(
            format!(
                "{host}: the data directory is to move from {from} to {to}, and the server holds application data (or its data was not read)"
            ),
            "set `datadir_move: true` in the play to move it: mysqld stops, its data is copied with owners and modes \
             and verified, and mysqld starts from the copy; the old files are kept aside",
        ));
    }
    Ok(Some(Step::MoveDatadir {
        from: from.to_string(),
        to: to.to_string(),
        holds_data,
        redo: matches!(target, DatadirState::Moved { .. }),
    }))
}

/// The options naming files mysqld keeps open and writes while it runs (its socket and pid file are left
/// in place by the move, so they may stay).
const FILES_WRITTEN: [&str; 7] = [
    "log_bin",
    "log_bin_index",
    "relay_log",
    "relay_log_index",
    "log_error",
    "slow_query_log_file",
    "general_log_file",
];

/// The first file the config has mysqld write inside the old data directory `from` but not inside the new
/// one `to`: the option and its path. A relative path follows the data directory, so it moves with it.
fn left_behind(config: &str, from: &str, to: &str) -> Option<(&'static str, String)> {
    FILES_WRITTEN.iter().find_map(|option| {
        let path = written_value(config, option)?;
        (inside(&path, from) && !inside(&path, to)).then_some((*option, path))
    })
}

/// Whether `path` lies below the directory `dir`.
fn inside(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir.trim_end_matches('/'))
        .is_some_and(|rest| rest.starts_with('/'))
}

fn service_socket(facts: &HostFacts, wanted: &BTreeMap<String, String>) -> Option<Step> {
    // Under systemd the unit starts and stops mysqld itself: the service script's client is not used.
    if facts.service == crate::model::ServiceKind::Systemd {
        return None;
    }
    let current = facts.layout.service_socket.as_ref()?;
    let socket = wanted.get("socket")?;
    let was = match current {
        ServiceSocket::Default => DEFAULT_SOCKET,
        ServiceSocket::At(s) => s.as_str(),
    };
    (was != socket).then(|| Step::ServiceSocket {
        path: SERVICE_CLIENT_CONFIG.to_string(),
        socket: socket.clone(),
        was: was.to_string(),
    })
}

fn trimmed(dir: &str) -> &str {
    match dir.trim_end_matches('/') {
        "" => "/",
        d => d,
    }
}
