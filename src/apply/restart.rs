//! Restarting mysqld, waiting until it serves, and putting the previous config back when it does not.

use std::time::Instant;

use crate::link::HostLink;

use super::{ApplyError, ApplyOptions, Written};
use crate::mycnf::{same_value, server_options};
use crate::plan::HostPlan;
use crate::shell::quote;
use crate::sql::SqlExecutor;
use crate::transport::{FileAttrs, Transport};

pub(super) fn restart_or_roll_back(
    t: &mut HostLink,
    command: &str,
    host_plan: &HostPlan,
    written: Option<&Written>,
    undo: &[String],
    options: &ApplyOptions,
    say: &dyn Fn(String),
) -> Result<(), ApplyError> {
    let host = host_plan.host.clone();
    let log = host_plan.log_error.clone().unwrap_or_default();
    let log_start = log_size(t, &log);
    // The restarted server answers on the socket its config names (a server mmprov installed, on its
    // package's; one that was down when the plan was made), and on the old one again if the old config is
    // put back.
    let socket_before = t.socket().map(str::to_string);
    if let Some(socket) = &host_plan.socket {
        t.use_socket(socket);
    }
    let attempt = restart_and_wait(t, command, options.serve_timeout);
    let Err(failure) = attempt else {
        return verify_loaded(t, host_plan, written);
    };
    let server_said = server_errors(t, &log, log_start, &failure.to_string());
    let Some(written) = written else {
        return Err(ApplyError::StartFailed { host, server_said });
    };
    say(format!(
        "mysqld did not come back: restoring the previous {}",
        written.path
    ));
    let old_socket = written
        .before
        .as_deref()
        .and_then(|old| server_options(old).remove("socket"))
        .or(socket_before);
    if let Some(socket) = old_socket {
        t.use_socket(&socket);
    }
    let restore = match &written.before {
        Some(old) => {
            let attrs = FileAttrs {
                mode: 0o644,
                owner: Some("root".into()),
                group: Some("root".into()),
            };
            t.write_file(&written.path, old.as_bytes(), &attrs)
                .map_err(RestartFailure::Transport)
        }
        None => t
            .check(&format!("rm -f -- {}", quote(&written.path)), &[])
            .map(drop)
            .map_err(RestartFailure::Transport),
    };
    let restore = restore.and_then(|()| {
        undo.iter().try_for_each(|command| {
            t.check(command, &[])
                .map(drop)
                .map_err(RestartFailure::Transport)
        })
    });
    let restarted = restore.and_then(|()| restart_and_wait(t, command, options.serve_timeout));
    match restarted {
        Ok(()) => Err(ApplyError::RolledBack { host, server_said }),
        Err(rollback) => Err(ApplyError::RollbackFailed {
            host,
            server_said,
            rollback: Box::new(rollback),
        }),
    }
}

/// Why a restart (or the rollback's restart) did not give a serving mysqld.
#[derive(Debug, thiserror::Error)]
pub enum RestartFailure {
    /// The restart command failed; what it printed.
    #[error("{0}")]
    Command(String),
    /// The command ran, but no SQL was answered in time.
    #[error("{said}mysqld did not answer in time")]
    NotServing {
        said: String,
        #[source]
        source: crate::sql::SqlError,
    },
    #[error(transparent)]
    Transport(crate::transport::TransportError),
}

/// Run the restart command, then wait (at most `serve_timeout`) until SQL works. Our SQL connection is closed
/// first: the shutdown has no session of ours to wait for, and the first statement after it connects afresh.
pub(super) fn restart_and_wait(
    t: &mut HostLink,
    command: &str,
    serve_timeout: std::time::Duration,
) -> Result<(), RestartFailure> {
    t.close_sql();
    let out = t.exec(command).map_err(RestartFailure::Transport)?;
    let said = format!("{}{}", out.stdout_text(), out.stderr_text());
    if !out.success() {
        return Err(RestartFailure::Command(said));
    }
    let deadline = Instant::now() + serve_timeout;
    loop {
        match t.sql().query("waiting for mysqld", "SELECT 1 AS up") {
            Ok(_) => return Ok(()),
            Err(source) if Instant::now() > deadline => {
                return Err(RestartFailure::NotServing { said, source });
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(250)),
        }
    }
}

/// How long the error log is before the restart, so only what this attempt logged is quoted; `None` when
/// that cannot be read (then the restart command's own output is quoted instead of old log lines).
fn log_size(t: &mut dyn Transport, log: &str) -> Option<u64> {
    if log.is_empty() {
        return None;
    }
    // A log that does not exist yet is empty: whatever it holds afterwards is this attempt's.
    let out = t
        .exec(&format!(
            "if [ -e {0} ]; then stat -c %s -- {0}; else echo 0; fi",
            quote(log)
        ))
        .ok()?;
    out.success()
        .then(|| out.stdout_text().trim().parse().ok())?
}

/// The `[ERROR]` lines the server logged during this attempt, else the restart command's own output.
fn server_errors(
    t: &mut dyn Transport,
    log: &str,
    from: Option<u64>,
    restart_output: &str,
) -> String {
    let logged = match from {
        None => String::new(),
        Some(from) => t
            .exec(&format!(
                "tail -c +{} -- {} 2>/dev/null | grep -F '[ERROR]' | tail -n 20",
                from + 1,
                quote(log)
            ))
            .map(|o| o.stdout_text())
            .unwrap_or_default(),
    };
    let text = if logged.trim().is_empty() {
        restart_output
    } else {
        logged.as_str()
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let tail = &lines[lines.len().saturating_sub(20)..];
    tail.iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// After a restart, every option of mmprov's file that the server reports must have the file's value.
fn verify_loaded(
    t: &mut HostLink,
    host_plan: &HostPlan,
    written: Option<&Written>,
) -> Result<(), ApplyError> {
    let Some(written) = written else {
        return Ok(());
    };
    let wanted = server_options(&written.after);
    let names: Vec<String> = wanted.keys().map(|k| crate::sqltext::literal(k)).collect();
    let rows = t.sql().query(
        "checking the loaded settings",
        &format!(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ({})",
            names.join(", ")
        ),
    )?;
    let mismatched: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let name = r.at(0)?.to_ascii_lowercase();
            let live = r.at(1).unwrap_or("");
            let want = wanted.get(&name)?;
            (!same_value(want, live)).then(|| format!("{name}={live} (file: {want})"))
        })
        .collect();
    if mismatched.is_empty() {
        Ok(())
    } else {
        Err(ApplyError::NotLoaded {
            host: host_plan.host.clone(),
            settings: mismatched.join(", "),
        })
    }
}
