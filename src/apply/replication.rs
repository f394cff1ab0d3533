//! Carrying out a play's replication steps, in order, after every host's own steps succeeded:
//! accounts on the sources, seeds, then each replica pointed at its source and started; finally every
//! replica of the play is watched until both of its threads run without error (bounded).

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::{ApplyError, Event, seed};
use crate::facts::SEED_MARKER;
use crate::flavor::{Flavor, ServerVersion, SourceSpec};
use crate::link::{Connections, HostLink};
use crate::plan::{Position, ReplStep, ReplicationPlan};
use crate::replication::{Coordinates, ReplicaStatus, explain};
use crate::sql::{SqlError, SqlExecutor, Statement, literal};
use crate::transport::Transport;

/// What replication needs beyond the plan: the secret and each server's version.
pub struct ReplicationContext<'a> {
    pub passwords: &'a BTreeMap<String, SecretString>,
    pub versions: BTreeMap<String, ServerVersion>,
    /// How long the replicas may take to report both threads running.
    pub healthy_timeout: Duration,
}

/// The dialect of a host's server as its facts read it; never guessed.
fn flavor_of(
    ctx: &ReplicationContext<'_>,
    host: &str,
) -> Result<Box<dyn Flavor + Send + Sync>, ApplyError> {
    ctx.versions
        .get(host)
        .map(|v| v.flavor())
        .ok_or_else(|| ApplyError::UnknownServer {
            host: host.to_string(),
        })
}

fn transport<'a>(
    transports: &'a mut Connections,
    host: &str,
) -> Result<&'a mut HostLink, ApplyError> {
    transports
        .get_mut(host)
        .ok_or_else(|| ApplyError::NoConnection {
            host: host.to_string(),
        })
}

/// Run a statement that may carry the password; an error never repeats it, raw or as it was quoted.
fn execute(
    t: &mut HostLink,
    what: &str,
    statement: &Statement,
    password: &str,
) -> Result<(), ApplyError> {
    t.sql()
        .execute(what, statement.expose())
        .map_err(|e| match e {
            SqlError::Server {
                host,
                what,
                code,
                message,
            } => ApplyError::Sql(SqlError::Server {
                host,
                what,
                code,
                message: scrub(&message, password),
            }),
            other => ApplyError::Sql(other),
        })
}

/// A server message with every trace of the password replaced: the whole of it, raw or as it was quoted, and
/// any run of [`SCRUBBED_RUN`] or more of its characters (a syntax error quotes the statement from where it
/// went wrong, so it may hold only the password's end, or its start).
fn scrub(message: &str, password: &str) -> String {
    if password.is_empty() {
        return message.to_string();
    }
    let quoted = literal(password);
    let escaped = quoted[1..quoted.len() - 1].to_string();
    let mut out = message.to_string();
    for form in [escaped, password.to_string()] {
        let chars: Vec<char> = form.chars().collect();
        let shortest = SCRUBBED_RUN.min(chars.len());
        for len in (shortest..=chars.len()).rev() {
            for window in chars.windows(len) {
                let run: String = window.iter().collect();
                if out.contains(&run) {
                    out = out.replace(&run, "(sensitive)");
                }
            }
        }
    }
    out
}

/// The shortest part of a password that [`scrub`] hides on its own: shorter runs are too likely to be
/// ordinary words of the message.
const SCRUBBED_RUN: usize = 6;

pub fn run(
    plan: &ReplicationPlan,
    transports: &mut Connections,
    ctx: &ReplicationContext<'_>,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    let password = ctx
        .passwords
        .get(&plan.play)
        .ok_or_else(|| ApplyError::Secret {
            play: plan.play.clone(),
            detail: "not provided".into(),
        })?;
    let password = password.expose_secret();
    let say = |host: &str, message: String| {
        let _ = events.send(Event::Step {
            host: host.to_string(),
            message,
        });
    };
    let mut seeded: BTreeMap<String, Coordinates> = BTreeMap::new();
    let mut watched = Vec::new();
    for step in &plan.steps {
        let started = Instant::now();
        match step {
            ReplStep::Account {
                source,
                replica_address,
                user,
                tls,
                ..
            } => {
                say(
                    source,
                    format!("replication account '{user}'@'{replica_address}'"),
                );
                let statement =
                    flavor_of(ctx, source)?.replication_user(user, replica_address, password, *tls);
                execute(
                    transport(transports, source)?,
                    "creating the replication account",
                    &statement,
                    password,
                )?;
            }
            ReplStep::Seed {
                from,
                to,
                schemas,
                overwrite,
                ..
            } => {
                if !overwrite {
                    // The target's data may have been unknown at plan time (its mysqld was down): check now.
                    let t = transport(transports, to)?;
                    let found = crate::facts::application_schemas(to, &mut t.sql())?;
                    let held: Vec<String> = found
                        .iter()
                        .filter(|s| s.tables > 0)
                        .map(|s| s.name.clone())
                        .collect();
                    if !held.is_empty() {
                        return Err(ApplyError::SeedRefused {
                            host: to.clone(),
                            schemas: held.join(", "),
                        });
                    }
                }
                say(to, format!("seeding from {from}"));
                let mut source = transports
                    .remove(from)
                    .ok_or_else(|| ApplyError::NoConnection { host: from.clone() })?;
                let report = |bytes: u64| {
                    say(
                        to,
                        format!(
                            "seeding from {from}: {:.1} MiB streamed",
                            bytes as f64 / 1048576.0
                        ),
                    )
                };
                let flavor = flavor_of(ctx, from)?;
                let result = match transports.get_mut(to) {
                    Some(target) => seed::stream(
                        &mut source,
                        target,
                        flavor.as_ref(),
                        schemas,
                        *overwrite,
                        &report,
                    ),
                    None => Err(ApplyError::NoConnection { host: to.clone() }),
                };
                transports.insert(from.clone(), source);
                let done = result?;
                say(
                    to,
                    format!(
                        "seeded from {from}: {:.1} MiB in {:.1} s ({:.1} MiB/s)",
                        done.bytes as f64 / 1048576.0,
                        done.seconds,
                        done.bytes as f64 / 1048576.0 / done.seconds.max(0.001)
                    ),
                );
                seeded.insert(to.clone(), done.coordinates);
            }
            ReplStep::Connect {
                replica,
                source,
                source_address,
                port,
                user,
                position,
                tls,
            } => {
                let coordinates = match position {
                    Position::Seed => seeded.get(replica).cloned(),
                    Position::SourceNow => binlog_position(
                        transport(transports, source)?,
                        flavor_of(ctx, source)?.as_ref(),
                    )?,
                };
                let spec = SourceSpec {
                    host: source_address.clone(),
                    port: *port,
                    user: user.clone(),
                    log_file: coordinates.as_ref().map(|c| c.file.clone()),
                    log_pos: coordinates.as_ref().map(|c| c.pos),
                    tls: tls.clone(),
                };
                say(
                    replica,
                    format!("replicating from {source} ({source_address}:{port})"),
                );
                let flavor = flavor_of(ctx, replica)?;
                let t = transport(transports, replica)?;
                // Stopping a replica that is not running is not an error worth stopping for.
                let _ = t
                    .sql()
                    .execute("stopping replication", flavor.stop_replica());
                execute(
                    t,
                    "pointing the replica at its source",
                    &flavor.change_source(&spec, password),
                    password,
                )?;
                t.sql()
                    .execute("starting replication", flavor.start_replica())?;
                // Replicating now: its data is no longer a seed in progress.
                t.check(&format!("rm -f {SEED_MARKER}"), &[])?;
                watched.push((replica.clone(), source.clone()));
            }
            ReplStep::Credentials {
                replica,
                source,
                user,
            } => {
                say(
                    replica,
                    format!("new credentials for replicating from {source}"),
                );
                let flavor = flavor_of(ctx, replica)?;
                let t = transport(transports, replica)?;
                let _ = t
                    .sql()
                    .execute("stopping replication", flavor.stop_replica());
                execute(
                    t,
                    "changing the replication account",
                    &flavor.change_credentials(user, password),
                    password,
                )?;
                t.sql()
                    .execute("starting replication", flavor.start_replica())?;
                watched.push((replica.clone(), source.clone()));
            }
            ReplStep::Tls {
                replica,
                source,
                tls,
            } => {
                let how = if tls.is_some() {
                    "over TLS"
                } else {
                    "without TLS"
                };
                say(replica, format!("replicating from {source} {how}"));
                let flavor = flavor_of(ctx, replica)?;
                let t = transport(transports, replica)?;
                let _ = t
                    .sql()
                    .execute("stopping replication", flavor.stop_replica());
                t.sql().execute(
                    "changing the replication connection's TLS",
                    &flavor.change_tls(tls.as_ref()),
                )?;
                t.sql()
                    .execute("starting replication", flavor.start_replica())?;
                watched.push((replica.clone(), source.clone()));
            }
            ReplStep::Start { replica, source } => {
                say(replica, format!("starting replication from {source}"));
                let flavor = flavor_of(ctx, replica)?;
                let t = transport(transports, replica)?;
                // Stopping first makes a thread stuck retrying its source reconnect now.
                let _ = t
                    .sql()
                    .execute("stopping replication", flavor.stop_replica());
                t.sql()
                    .execute("starting replication", flavor.start_replica())?;
                watched.push((replica.clone(), source.clone()));
            }
        }
        log::info!(
            "{}: {} in {} ms",
            plan.play,
            step.kind(),
            started.elapsed().as_millis()
        );
    }
    let started = Instant::now();
    for (replica, source) in watched {
        let flavor = flavor_of(ctx, &replica)?;
        wait_healthy(
            transport(transports, &replica)?,
            flavor.as_ref(),
            &replica,
            &source,
            ctx.healthy_timeout,
        )?;
        say(
            &replica,
            format!("replicating from {source}: both threads running"),
        );
    }
    log::info!(
        "{}: waiting for the replica threads in {} ms",
        plan.play,
        started.elapsed().as_millis()
    );
    Ok(())
}

fn binlog_position(
    t: &mut HostLink,
    flavor: &dyn Flavor,
) -> Result<Option<Coordinates>, ApplyError> {
    let rows = t
        .sql()
        .query("reading the binary log position", flavor.binlog_status())?;
    let unreadable = |e| SqlError::unreadable(t.host(), "reading the binary log position", e);
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(Coordinates {
        file: row.text(&["File"]).map_err(unreadable)?.to_string(),
        pos: row.number(&["Position"]).map_err(unreadable)?,
    }))
}

/// Poll the replica until both threads run without error; a hard error (anything but a connect retry)
/// fails at once, with its explanation.
fn wait_healthy(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
    source: &str,
    timeout: Duration,
) -> Result<(), ApplyError> {
    let deadline = Instant::now() + timeout;
    loop {
        let rows = t
            .sql()
            .query("reading the replica status", flavor.replica_status())?;
        let status = ReplicaStatus::from_rows(&rows)
            .map_err(|e| SqlError::unreadable(replica, "reading the replica status", e))?;
        let detail = match &status {
            Some(s) if s.healthy() => return Ok(()),
            Some(s) => match s.error() {
                Some((errno, text)) => {
                    let why = explain(errno).map(|w| format!(" {w}")).unwrap_or_default();
                    let transient = matches!(errno, 2003 | 2005 | 2013);
                    if !transient {
                        return Err(ApplyError::NotReplicating {
                            replica: replica.into(),
                            from: source.into(),
                            detail: format!("error {errno}: {text}.{why}"),
                        });
                    }
                    format!("error {errno}: {text}.{why}")
                }
                None => format!("IO thread {}, SQL thread {}", s.io_running, s.sql_running),
            },
            None => "no replication configured".into(),
        };
        if Instant::now() > deadline {
            return Err(ApplyError::NotReplicating {
                replica: replica.into(),
                from: source.into(),
                detail,
            });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn server_messages_never_repeat_the_password() {
        let said = r"You have an error in your SQL syntax near 'it''s se\\cret' at line 1";
        assert_eq!(
            super::scrub(said, r"it's se\cret"),
            "You have an error in your SQL syntax near '(sensitive)' at line 1"
        );
        assert_eq!(
            super::scrub("access denied using it's", "it's"),
            "access denied using (sensitive)"
        );
    }

    #[test]
    fn a_message_quoting_part_of_the_password_is_scrubbed() {
        let password = "correct-horse-battery";
        let tail = "syntax error near 'e-battery' at line 1";
        assert_eq!(
            super::scrub(tail, password),
            "syntax error near '(sensitive)' at line 1"
        );
        let head = "near 'correct-ho";
        assert_eq!(super::scrub(head, password), "near '(sensitive)");
        assert_eq!(
            super::scrub("replication account", "repl"),
            "(sensitive)ication account",
            "a short password is hidden wherever it appears"
        );
    }
}
