//! Carrying out a play's replication steps, in order, after every host's own steps succeeded:
//! accounts on the sources, seeds, then each replica pointed at its source and started. Whether each then
//! replicates is read afterwards, for every direction of the play at once, by `watch`.
//!
//! One [`Run`] per play carries the steps out, one method per kind of step; the larger kinds have files of
//! their own: `seeding.rs` (the target made ready, the copy, the accounts made again) and `position.rs`
//! (switching how a replica keeps its place, moving it to another source by GTID, and the polls that wait
//! on a replica's position).

mod position;
mod seeding;

use position::binlog_position;

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::emit;
use super::{ApplyError, Event};
use crate::flavor::{Flavor, ServerVersion, SourceSpec};
use crate::link::{HostLink, Links};
use crate::model::SEED_MARKER;
use crate::plan::{Position, ReplStep, ReplicationPlan};
use crate::replication::Coordinates;
use crate::sql::{SqlError, SqlExecutor};
use crate::sqltext::{Statement, literal};
use crate::transport::Transport;

/// What replication needs beyond the plan: the secret and each server's version.
pub struct ReplicationContext<'a> {
    pub passwords: &'a BTreeMap<String, SecretString>,
    pub versions: BTreeMap<String, ServerVersion>,
    /// How long the replicas may take to report both threads running.
    pub healthy_timeout: Duration,
    /// How long a node may take to hold a position another node goes on from (a ring re-wired).
    pub catch_up_timeout: Duration,
    /// Each host's start command (its service manager's), for a physical seed's target.
    pub start_commands: BTreeMap<String, String>,
    /// How long a server may take to stop or to serve again.
    pub serve_timeout: Duration,
}

/// The dialect of a host's server as its facts read it; never guessed.
fn flavor_of(
    ctx: &ReplicationContext<'_>,
    host: &str,
) -> Result<Box<dyn Flavor + Send + Sync>, ApplyError> {
    super::flavor_of(&ctx.versions, host)
}

use super::link as transport;

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

/// Carry out one play's replication steps in order.
pub fn run(
    plan: &ReplicationPlan,
    links: &mut Links,
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
    let mut run = Run {
        links,
        ctx,
        password: password.expose_secret(),
        events,
        seeded: BTreeMap::new(),
        accounts: Vec::new(),
    };
    for step in &plan.steps {
        let started = Instant::now();
        run.step(step)?;
        log::info!(
            "{}: {} in {} ms",
            plan.play,
            step.kind(),
            started.elapsed().as_millis()
        );
    }
    Ok(())
}

/// One play's replication run: the links, the secret, and what earlier steps left for later ones (the
/// coordinates of each seed, the accounts made).
struct Run<'r, 'c> {
    links: &'r mut Links,
    ctx: &'r ReplicationContext<'c>,
    password: &'r str,
    events: &'r Sender<Event>,
    /// Each seeded node's seed source and the coordinates in its binary log the seed was taken at.
    seeded: BTreeMap<String, (String, Coordinates)>,
    /// The accounts made so far: (source, replica address, user, TLS).
    accounts: Vec<(String, String, String, bool)>,
}

/// What changes on a replica between stopping and starting it.
enum Change {
    /// A statement that may carry the password (scrubbed from any error).
    Secret(&'static str, Statement),
    Plain(&'static str, String),
}

fn say(events: &Sender<Event>, host: &str, message: String) {
    emit(
        events,
        Event::Step {
            host: host.to_string(),
            message,
        },
    );
}

impl Run<'_, '_> {
    /// One step, by its kind.
    fn step(&mut self, step: &ReplStep) -> Result<(), ApplyError> {
        match step {
            ReplStep::Account {
                source,
                replica_address,
                user,
                tls,
                ..
            } => self.account(source, replica_address, user, *tls)?,
            ReplStep::Seed {
                from,
                to,
                schemas,
                overwrite,
                physical,
                ..
            } => self.seed(from, to, schemas, *overwrite, physical.as_ref())?,
            ReplStep::Connect {
                replica,
                source,
                source_address,
                port,
                user,
                position,
                tls,
                gtid,
                ..
            } => {
                let spec =
                    SourceSpec::unpositioned(source_address, *port, user, tls.clone(), *gtid);
                self.connect(replica, source, spec, *position)?
            }
            ReplStep::Credentials {
                replica,
                source,
                user,
            } => self.credentials(replica, source, user)?,
            ReplStep::Tls {
                replica,
                source,
                tls,
            } => self.tls(replica, source, tls.as_ref())?,
            ReplStep::Start {
                replica, source, ..
            } => self.start(replica, source)?,
            ReplStep::Repair {
                replica, source, ..
            } => self.repair(replica, source)?,
            ReplStep::Positioning {
                replica,
                source,
                gtid,
                ..
            } => self.positioning(replica, source, *gtid)?,
            ReplStep::Move {
                replica,
                source,
                source_address,
                port,
                user,
                tls,
                ..
            } => {
                let spec = SourceSpec::unpositioned(source_address, *port, user, tls.clone(), true);
                self.move_source(replica, source, spec)?
            }
        }
        Ok(())
    }

    fn say(&self, host: &str, message: String) {
        say(self.events, host, message);
    }

    fn account(
        &mut self,
        source: &str,
        replica_address: &str,
        user: &str,
        tls: bool,
    ) -> Result<(), ApplyError> {
        self.accounts.push((
            source.to_string(),
            replica_address.to_string(),
            user.to_string(),
            tls,
        ));
        self.set_account(source, replica_address, user, tls)
    }

    /// Create or set the account, as [`Run::account`] does, without recording it again.
    fn set_account(
        &mut self,
        source: &str,
        replica_address: &str,
        user: &str,
        tls: bool,
    ) -> Result<(), ApplyError> {
        self.say(
            source,
            format!("replication account '{user}'@'{replica_address}'"),
        );
        let statement = flavor_of(self.ctx, source)?.replication_user(
            user,
            replica_address,
            self.password,
            tls,
        );
        execute(
            transport(self.links, source)?,
            "creating the replication account",
            &statement,
            self.password,
        )
    }

    fn connect(
        &mut self,
        replica: &str,
        source: &str,
        mut spec: SourceSpec,
        position: Position,
    ) -> Result<(), ApplyError> {
        // Coordinates are in the binary log of the node they were read on: the seed's source, or the source.
        let (taken_on, coordinates) = match position {
            Position::Seed => match self.seeded.get(replica).cloned() {
                Some((from, at)) => (from, Some(at)),
                None => (source.to_string(), None),
            },
            Position::SourceNow => (
                source.to_string(),
                binlog_position(
                    transport(self.links, source)?,
                    flavor_of(self.ctx, source)?.as_ref(),
                )?,
            ),
        };
        if spec.gtid {
            let at = coordinates
                .as_ref()
                .ok_or_else(|| ApplyError::NotReplicating {
                    replica: replica.into(),
                    from: source.into(),
                    detail: format!("{taken_on} reports no binary log position to start from"),
                })?;
            let position = self.set_gtid_position(replica, &taken_on, at)?;
            if let Some(position) = position.filter(|_| taken_on != source) {
                self.wait_until_held(source, replica, &position)?;
            }
        } else if taken_on != source {
            return Err(ApplyError::NotReplicating {
                replica: replica.into(),
                from: source.into(),
                detail: format!(
                    "its seed's coordinates are in {taken_on}'s binary log; only a GTID position carries over to {source}"
                ),
            });
        }
        spec.log_file = coordinates.as_ref().map(|c| c.file.clone());
        spec.log_pos = coordinates.as_ref().map(|c| c.pos);
        self.say(
            replica,
            format!("replicating from {source} ({}:{})", spec.host, spec.port),
        );
        let statement = flavor_of(self.ctx, replica)?.change_source(&spec, self.password);
        self.restart_replica(
            replica,
            source,
            Some(Change::Secret(
                "pointing the replica at its source",
                statement,
            )),
        )?;
        // Replicating now: its data is no longer a seed in progress.
        transport(self.links, replica)?.check(&format!("rm -f {SEED_MARKER}"), &[])?;
        Ok(())
    }

    fn credentials(&mut self, replica: &str, source: &str, user: &str) -> Result<(), ApplyError> {
        self.say(
            replica,
            format!("new credentials for replicating from {source}"),
        );
        let statement = flavor_of(self.ctx, replica)?.change_credentials(user, self.password);
        self.restart_replica(
            replica,
            source,
            Some(Change::Secret(
                "changing the replication account",
                statement,
            )),
        )
    }

    fn tls(
        &mut self,
        replica: &str,
        source: &str,
        tls: Option<&crate::model::ReplicationTls>,
    ) -> Result<(), ApplyError> {
        let how = if tls.is_some() {
            "over TLS"
        } else {
            "without TLS"
        };
        self.say(replica, format!("replicating from {source} {how}"));
        let statement = flavor_of(self.ctx, replica)?.change_tls(tls);
        self.restart_replica(
            replica,
            source,
            Some(Change::Plain(
                "changing the replication connection's TLS",
                statement,
            )),
        )
    }

    fn start(&mut self, replica: &str, source: &str) -> Result<(), ApplyError> {
        self.say(replica, format!("starting replication from {source}"));
        // Stopping first makes a thread stuck retrying its source reconnect now.
        self.restart_replica(replica, source, None)
    }

    /// Started again by GTID: the source is asked for what the replica lacks, not for a file it no longer
    /// has. Whether it could serve that is what the watch at the end of the run reads.
    fn repair(&mut self, replica: &str, source: &str) -> Result<(), ApplyError> {
        self.say(
            replica,
            format!("replicating from {source} again by GTID (its binary logs were replaced)"),
        );
        self.restart_replica(replica, source, None)
    }

    /// Stop the replica (a stopped one answers with a note, not an error), make `change`, start it. The
    /// watch at the end of the run reads whether it then replicates.
    fn restart_replica(
        &mut self,
        replica: &str,
        _source: &str,
        change: Option<Change>,
    ) -> Result<(), ApplyError> {
        let flavor = flavor_of(self.ctx, replica)?;
        let t = transport(self.links, replica)?;
        t.sql()
            .execute("stopping replication", flavor.stop_replica())?;
        match change {
            Some(Change::Secret(what, statement)) => execute(t, what, &statement, self.password)?,
            Some(Change::Plain(what, statement)) => t.sql().execute(what, &statement)?,
            None => {}
        }
        t.sql()
            .execute("starting replication", flavor.start_replica())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
