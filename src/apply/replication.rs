//! Carrying out a play's replication steps, in order, after every host's own steps succeeded:
//! accounts on the sources, seeds, then each replica pointed at its source and started. Whether each then
//! replicates is read afterwards, for every direction of the play at once, by `watch`.

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::emit;
use super::{ApplyError, Event, seed};
use crate::facts::SEED_MARKER;
use crate::flavor::{Flavor, ServerVersion, SourceSpec};
use crate::link::{Connections, HostLink};
use crate::plan::{PhysicalSeed, Position, ReplStep, ReplicationPlan};
use crate::replication::{Coordinates, ReplicaStatus, Verdict, explain, judge};
use crate::sql::{SqlError, SqlExecutor, Statement, first_row, literal};
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
    let mut run = Run {
        links: transports,
        ctx,
        password: password.expose_secret(),
        events,
        seeded: BTreeMap::new(),
        accounts: Vec::new(),
    };
    for step in &plan.steps {
        let started = Instant::now();
        match step {
            ReplStep::Account {
                source,
                replica_address,
                user,
                tls,
                ..
            } => run.account(source, replica_address, user, *tls)?,
            ReplStep::Seed {
                from,
                to,
                schemas,
                overwrite,
                physical,
                ..
            } => run.seed(from, to, schemas, *overwrite, physical.as_ref())?,
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
                run.connect(replica, source, spec, *position)?
            }
            ReplStep::Credentials {
                replica,
                source,
                user,
            } => run.credentials(replica, source, user)?,
            ReplStep::Tls {
                replica,
                source,
                tls,
            } => run.tls(replica, source, tls.as_ref())?,
            ReplStep::Start {
                replica, source, ..
            } => run.start(replica, source)?,
            ReplStep::Repair {
                replica, source, ..
            } => run.repair(replica, source)?,
            ReplStep::Positioning {
                replica,
                source,
                gtid,
                ..
            } => run.positioning(replica, source, *gtid)?,
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
                run.move_source(replica, source, spec)?
            }
        }
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
    links: &'r mut Connections,
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

    fn seed(
        &mut self,
        from: &str,
        to: &str,
        schemas: &[String],
        overwrite: bool,
        physical: Option<&PhysicalSeed>,
    ) -> Result<(), ApplyError> {
        if !overwrite {
            refuse_a_target_holding_data(transport(self.links, to)?, to)?;
        } else {
            // A replica still applying events into data being replaced would mix the two: it stops first
            // (the connect step that follows the seed starts it again).
            let flavor = flavor_of(self.ctx, to)?;
            let t = transport(self.links, to)?;
            t.sql()
                .execute("stopping replication", flavor.stop_replica())?;
            // A dump that sets the source's GTID history (MySQL) is refused where it overlaps the target's:
            // the target's own history goes first, as its data does.
            if let (None, Some(reset)) = (physical, flavor.reset_binary_logs()) {
                self.say(
                    to,
                    format!("emptying its binary logs and GTID history ({reset})"),
                );
                transport(self.links, to)?
                    .sql()
                    .execute("emptying the binary logs and GTID history", reset)?;
            }
        }
        // Settled before the source's link is taken out of the run: an early return would lose it.
        let flavor = flavor_of(self.ctx, from)?;
        let start = match (physical, self.ctx.start_commands.get(to)) {
            (Some(_), None) => {
                return Err(ApplyError::SeedFailed {
                    host: to.into(),
                    stage: "start",
                    detail: "how to start its mysqld is not known, so its files are not replaced"
                        .into(),
                });
            }
            (_, start) => start.cloned().unwrap_or_default(),
        };
        self.say(to, format!("seeding from {from}"));
        let mut source = self
            .links
            .remove(from)
            .ok_or_else(|| ApplyError::NoConnection { host: from.into() })?;
        let events = self.events;
        let report = |bytes: u64| {
            say(
                events,
                to,
                format!(
                    "seeding from {from}: {:.1} MiB streamed",
                    bytes as f64 / 1048576.0
                ),
            )
        };
        let say_to = |message: String| say(events, to, message);
        let result = match (self.links.get_mut(to), physical) {
            (None, _) => Err(ApplyError::NoConnection { host: to.into() }),
            (Some(target), None) => seed::stream(
                &mut source,
                target,
                flavor.as_ref(),
                schemas,
                overwrite,
                &report,
            ),
            (Some(target), Some(seed)) if seed.tool == crate::flavor::PhysicalTool::Clone => {
                super::clone::Cloning {
                    seed,
                    password: self.password,
                    start: &start,
                    timeout: self.ctx.serve_timeout,
                }
                .run(&mut source, target, &say_to)
            }
            (Some(target), Some(seed)) => super::physical::Physical {
                seed,
                start: &start,
                timeout: self.ctx.serve_timeout,
            }
            .run(&mut source, target, &report, &say_to),
        };
        self.links.insert(from.to_string(), source);
        let done = result?;
        if physical.is_some() {
            // The copy brought the source's accounts: the ones this run made on the target go in again.
            let made: Vec<_> = self
                .accounts
                .iter()
                .filter(|(source, ..)| source == to)
                .cloned()
                .collect();
            for (source, replica_address, user, tls) in made {
                self.set_account(&source, &replica_address, &user, tls)?;
            }
        }
        self.say(
            to,
            format!(
                "seeded from {from}: {:.1} MiB in {:.1} s ({:.1} MiB/s)",
                done.bytes as f64 / 1048576.0,
                done.seconds,
                done.bytes as f64 / 1048576.0 / done.seconds.max(0.001)
            ),
        );
        self.seeded
            .insert(to.to_string(), (from.to_string(), done.coordinates));
        Ok(())
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

    /// Switch how the replica positions itself at the point it has applied: its threads stopped, its GTID
    /// position (where the server keeps one) set from the source's coordinates of that point, then the
    /// switch, and started again.
    fn positioning(&mut self, replica: &str, source: &str, gtid: bool) -> Result<(), ApplyError> {
        let how = if gtid {
            "by GTID"
        } else {
            "by file and position"
        };
        self.say(replica, format!("replicating from {source} {how}"));
        let flavor = flavor_of(self.ctx, replica)?;
        if gtid {
            let t = transport(self.links, replica)?;
            t.sql()
                .execute("stopping replication", flavor.stop_replica())?;
            let applied = applied_point(t, flavor.as_ref(), replica)?;
            self.set_gtid_position(replica, source, &applied)?;
        } else {
            // A replica this run just pointed at its source by GTID has a file and position in that source's
            // binary log only once it has connected: wait for those, the point it goes on from.
            let t = transport(self.links, replica)?;
            wait_running(
                t,
                flavor.as_ref(),
                replica,
                source,
                self.ctx.healthy_timeout,
            )?;
            wait_positioned(
                t,
                flavor.as_ref(),
                replica,
                source,
                self.ctx.healthy_timeout,
            )?;
        }
        self.restart_replica(
            replica,
            source,
            Some(Change::Plain(
                "switching the replica's positioning",
                flavor.change_positioning(gtid),
            )),
        )
    }

    /// Set the replica's GTID position to what `at` (coordinates in the source's binary log) holds, where
    /// the server positions replicas by a GTID position of their own (MariaDB). Its threads are stopped.
    /// The position set, where there is one.
    fn set_gtid_position(
        &mut self,
        replica: &str,
        source: &str,
        at: &Coordinates,
    ) -> Result<Option<String>, ApplyError> {
        let source_flavor = flavor_of(self.ctx, source)?;
        let Some(query) = source_flavor.gtid_position_at(&at.file, at.pos) else {
            return Ok(None);
        };
        let what = "reading the GTID position of the replica's coordinates";
        let t = transport(self.links, source)?;
        let rows = t.sql().query(what, &query)?;
        let position = match rows.first().map(|r| r.nullable(&["pos"])) {
            Some(Ok(Some(p))) => p.to_string(),
            Some(Err(e)) => return Err(SqlError::unreadable(source, what, e).into()),
            _ => {
                return Err(ApplyError::NotReplicating {
                    replica: replica.into(),
                    from: source.into(),
                    detail: format!(
                        "{source} has no binary log at {}:{} (purged?), so the GTID position there is unknown",
                        at.file, at.pos
                    ),
                });
            }
        };
        let flavor = flavor_of(self.ctx, replica)?;
        let t = transport(self.links, replica)?;
        t.sql()
            .execute("stopping replication", flavor.stop_replica())?;
        if let Some(set) = flavor.set_replica_gtid_position(&position) {
            self.say(
                replica,
                format!(
                    "GTID position '{position}' (from {source} at {}:{})",
                    at.file, at.pos
                ),
            );
            transport(self.links, replica)?
                .sql()
                .execute("setting the replica's GTID position", &set)?;
        }
        Ok(Some(position))
    }

    /// Take a replica positioned by GTID to another source, its position kept: stopped, its position read,
    /// then pointed at `source` once `source` holds every transaction of that position.
    fn move_source(
        &mut self,
        replica: &str,
        source: &str,
        spec: SourceSpec,
    ) -> Result<(), ApplyError> {
        let flavor = flavor_of(self.ctx, replica)?;
        // While it still replicates: the new source catches up with it first, so it stops only briefly.
        let running = self.applied_position(replica)?;
        self.wait_until_held(source, replica, &running)?;
        let t = transport(self.links, replica)?;
        t.sql()
            .execute("stopping replication", flavor.stop_replica())?;
        let position = self.applied_position(replica)?;
        let kept = if position.is_empty() {
            "(nothing replicated yet)".to_string()
        } else {
            format!("'{position}'")
        };
        self.say(
            replica,
            format!("moving to {source}, GTID position {kept} kept"),
        );
        if let Err(e) = self.wait_until_held(source, replica, &position) {
            // Not moved: it goes on from where it was, as it was; a start that fails too is said with it.
            let restarted = transport(self.links, replica)?
                .sql()
                .execute("starting replication", flavor.start_replica());
            return Err(match restarted {
                Ok(()) => e,
                Err(start) => ApplyError::Hosts {
                    failed: vec![e, start.into()],
                },
            });
        }
        let statement = flavor.change_source(&spec, self.password);
        self.restart_replica(
            replica,
            source,
            Some(Change::Secret(
                "pointing the replica at its source",
                statement,
            )),
        )
    }

    /// The GTID position of what the replica has applied.
    fn applied_position(&mut self, replica: &str) -> Result<String, ApplyError> {
        let flavor = flavor_of(self.ctx, replica)?;
        let t = transport(self.links, replica)?;
        let what = "reading the replica's GTID position";
        let rows = t.sql().query(what, flavor.gtid_positions())?;
        Ok(first_row(&rows, replica, what)?
            .text(&["applied"])
            .map_err(|e| SqlError::unreadable(replica, what, e))?
            .to_string())
    }

    /// Wait (bounded) until `source` holds every transaction of `position`, so `replica` can go on from it.
    fn wait_until_held(
        &mut self,
        source: &str,
        replica: &str,
        position: &str,
    ) -> Result<(), ApplyError> {
        let flavor = flavor_of(self.ctx, source)?;
        let t = transport(self.links, source)?;
        let what = "reading the source's GTID positions";
        let deadline = Instant::now() + self.ctx.catch_up_timeout;
        loop {
            let rows = t.sql().query(what, flavor.gtid_positions())?;
            let row = first_row(&rows, source, what)?;
            let unreadable = |e| SqlError::unreadable(source, what, e);
            let written = row.text(&["written"]).map_err(unreadable)?;
            let applied = row.text(&["applied"]).map_err(unreadable)?;
            let held = crate::replication::gtid::covers(&[written, applied], position)
                .ok_or_else(|| SqlError::Unreadable {
                    host: source.into(),
                    what: what.into(),
                    detail: format!("positions '{written}' and '{applied}', or '{position}', are not GTID positions"),
                })?;
            if held {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ApplyError::NotReplicating {
                    replica: replica.into(),
                    from: source.into(),
                    detail: format!(
                        "{source} does not yet hold every transaction of {replica}'s GTID position '{position}' \
                         (it has '{written}'): is {source} replicating?"
                    ),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
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

/// The target's data may have been unknown at plan time (its mysqld was down): a seed that would replace
/// data of its own is refused now, before anything streams.
fn refuse_a_target_holding_data(t: &mut HostLink, to: &str) -> Result<(), ApplyError> {
    let found = crate::facts::application_schemas(to, &mut t.sql())?;
    let held: Vec<String> = found
        .iter()
        .filter(|s| s.tables > 0)
        .map(|s| s.name.clone())
        .collect();
    if held.is_empty() {
        Ok(())
    } else {
        Err(ApplyError::SeedRefused {
            host: to.to_string(),
            schemas: held.join(", "),
        })
    }
}

/// The source coordinates of the last event a (stopped) replica applied.
fn applied_point(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
) -> Result<Coordinates, ApplyError> {
    let what = "reading where the replica stopped";
    let rows = t.sql().query(what, flavor.replica_status())?;
    let status = ReplicaStatus::from_rows(&rows)
        .map_err(|e| SqlError::unreadable(replica, what, e))?
        .ok_or_else(|| ApplyError::NotReplicating {
            replica: replica.to_string(),
            from: "its source".into(),
            detail: "no replication configured any more".into(),
        })?;
    Ok(Coordinates {
        file: status.exec_log_file,
        pos: status.exec_pos,
    })
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

/// What one look at a replica's status decided.
enum Look {
    Done,
    /// Not yet: why, said if the wait runs out.
    Waiting(String),
    /// Waiting longer would not help: why.
    Failed(String),
}

/// Poll the replica's status until `look` is done with it, fails, or `timeout` passes.
fn poll_replica(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
    source: &str,
    timeout: Duration,
    look: impl Fn(Option<&ReplicaStatus>) -> Look,
) -> Result<(), ApplyError> {
    let deadline = Instant::now() + timeout;
    let what = "reading the replica status";
    let failed = |detail| ApplyError::NotReplicating {
        replica: replica.into(),
        from: source.into(),
        detail,
    };
    loop {
        let rows = t.sql().query(what, flavor.replica_status())?;
        let status =
            ReplicaStatus::from_rows(&rows).map_err(|e| SqlError::unreadable(replica, what, e))?;
        match look(status.as_ref()) {
            Look::Done => return Ok(()),
            Look::Failed(detail) => return Err(failed(detail)),
            Look::Waiting(detail) if Instant::now() > deadline => return Err(failed(detail)),
            Look::Waiting(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Poll the replica until it has read and applied a file and position of its source's binary log.
fn wait_positioned(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
    source: &str,
    timeout: Duration,
) -> Result<(), ApplyError> {
    poll_replica(t, flavor, replica, source, timeout, |status| match status {
        Some(s) if !s.source_log_file.is_empty() && !s.exec_log_file.is_empty() => Look::Done,
        _ => Look::Waiting("it reports no file and position of its source's binary log yet".into()),
    })
}

/// Poll the replica until both threads run without error (its verdict healthy or catching up); a broken
/// one fails at once, with its explanation.
fn wait_running(
    t: &mut HostLink,
    flavor: &dyn Flavor,
    replica: &str,
    source: &str,
    timeout: Duration,
) -> Result<(), ApplyError> {
    poll_replica(t, flavor, replica, source, timeout, |status| {
        let Some(s) = status else {
            return Look::Waiting("no replication configured".into());
        };
        match judge(s) {
            Verdict::Healthy | Verdict::CatchingUp { .. } => Look::Done,
            Verdict::Broken { errno, error } => {
                let why = explain(errno).map(|w| format!(" {w}")).unwrap_or_default();
                Look::Failed(format!("error {errno}: {error}.{why}"))
            }
            other => Look::Waiting(other.describe()),
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use secrecy::SecretString;

    use super::{ApplyError, ReplicationContext, run};
    use crate::fake::FakeHost;
    use crate::link::Connections;
    use crate::plan::{ReplStep, ReplicationPlan, StartReason};

    const PASSWORD: &str = "s3cret-pass'word";

    /// Run `steps` of play `pair` on fake hosts h1 and h2 (each read in its own dialect), the password
    /// [`PASSWORD`].
    fn run_steps(h1: &FakeHost, h2: &FakeHost, steps: Vec<ReplStep>) -> Result<(), ApplyError> {
        let mut links: Connections =
            [("h1".to_string(), h1.link()), ("h2".to_string(), h2.link())].into();
        let plan = ReplicationPlan {
            play: "pair".into(),
            steps,
            warnings: vec![],
            decided_after: vec![],
            broken: vec![],
        };
        let passwords = BTreeMap::from([("pair".to_string(), SecretString::from(PASSWORD))]);
        let context = ReplicationContext {
            passwords: &passwords,
            versions: [
                ("h1".to_string(), h1.state().server()),
                ("h2".to_string(), h2.state().server()),
            ]
            .into(),
            healthy_timeout: Duration::from_secs(1),
            catch_up_timeout: Duration::from_secs(1),
            start_commands: BTreeMap::new(),
            serve_timeout: Duration::from_secs(1),
        };
        let (tx, _rx) = std::sync::mpsc::channel();
        run(&plan, &mut links, &context, &tx)
    }

    /// An earlier seed of h2 was cut off: the plan redoes it over the partial copy, and h2 then replicates
    /// from the coordinates in the new dump. The marker that says "a copy of ours" lives until h2 replicates.
    #[test]
    fn an_interrupted_seed_is_redone_and_the_replica_starts_at_the_new_dumps_coordinates() {
        let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
        h1.state().schemas.insert("shop".into(), 3);
        h2.state().schemas.insert("shop".into(), 1);
        let steps = vec![
            ReplStep::Seed {
                from: "h1".into(),
                to: "h2".into(),
                schemas: vec!["shop".into()],
                tables: 3,
                bytes: 49152,
                overwrite: true,
                interrupted: true,
                physical: None,
                method_why: Default::default(),
            },
            ReplStep::Connect {
                replica: "h2".into(),
                source: "h1".into(),
                source_address: "192.0.2.11".into(),
                port: 3306,
                user: "repl".into(),
                position: crate::plan::Position::Seed,
                tls: None,
                gtid: false,
                reason: crate::plan::ConnectReason::NotReplicating,
            },
        ];
        run_steps(&h1, &h2, steps).expect("seeds and connects");
        let h2 = h2.state();
        let h1_commands = h1.state().commands.clone();
        let dumps: Vec<&String> = h1_commands
            .iter()
            .filter(|c| c.contains("--single-transaction"))
            .collect();
        assert_eq!(dumps.len(), 1, "one dump streamed");
        assert!(
            dumps[0].contains("--add-drop-database"),
            "the partial copy is replaced, not merged"
        );
        assert!(
            h2.restored[0].starts_with("SET SESSION sql_log_bin = 0;\n-- CHANGE MASTER"),
            "restored with binary logging off: {:?}",
            h2.restored
        );
        assert!(
            h2.commands
                .iter()
                .any(|c| c.contains(crate::facts::SEED_MARKER)),
            "the marker was set before the seed"
        );
        let change = h2
            .statements
            .iter()
            .find(|s| s.starts_with("CHANGE MASTER"))
            .expect("pointed at h1");
        assert!(
            change.contains("MASTER_LOG_FILE = 'mysql-bin.000003', MASTER_LOG_POS = 1234"),
            "{change}"
        );
        assert!(
            !h2.files.contains_key(crate::facts::SEED_MARKER),
            "replicating now: no longer a seed in progress"
        );
        assert_eq!(h2.replica, Some(("192.0.2.11".into(), true)));
    }

    #[test]
    fn a_start_stops_and_starts_the_replica() {
        let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
        h2.state().replica = Some(("192.0.2.11".into(), false));
        let start = ReplStep::Start {
            replica: "h2".into(),
            source: "h1".into(),
            reason: StartReason::Stopped,
        };
        run_steps(&h1, &h2, vec![start]).expect("starts");
        let s = h2.state();
        assert_eq!(
            s.statements,
            ["STOP SLAVE", "START SLAVE"],
            "stop, start (the watch at the end reads whether it replicates)"
        );
        assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
        assert!(
            h1.state().statements.is_empty(),
            "the source is not touched"
        );
    }

    fn move_h2_onto_h1() -> ReplStep {
        ReplStep::Move {
            replica: "h2".into(),
            from: "h3".into(),
            source: "h1".into(),
            source_address: "192.0.2.11".into(),
            port: 3306,
            user: "repl".into(),
            tls: None,
        }
    }

    /// A replica moved to a source that holds its position: stopped, pointed at the new source by GTID with
    /// its position kept (no GTID position is set), started and watched.
    #[test]
    fn a_replica_moves_to_a_source_holding_its_position_and_keeps_that_position() {
        let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
        h1.state().gtid_written = "1-1-40,3-3-12".into();
        h2.state().gtid_applied = "1-1-40,3-3-12".into();
        h2.state().replica = Some(("192.0.2.13".into(), true));
        run_steps(&h1, &h2, vec![move_h2_onto_h1()]).expect("moves");
        let s = h2.state();
        let change = s
            .statements
            .iter()
            .find(|st| st.starts_with("CHANGE MASTER"))
            .expect("pointed at h1");
        assert!(change.contains("MASTER_HOST = '192.0.2.11'"), "{change}");
        assert!(change.contains("MASTER_USE_GTID = slave_pos"), "{change}");
        assert!(
            !s.statements
                .iter()
                .any(|st| st.contains("SET GLOBAL gtid_slave_pos")),
            "the position is kept, not set: {:?}",
            s.statements
        );
        assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
    }

    /// A source that never holds the replica's position: the replica is not moved, and goes on replicating
    /// from where it was.
    #[test]
    fn a_replica_whose_new_source_lacks_its_position_stays_where_it_was() {
        let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
        h1.state().gtid_written = "1-1-40,3-3-9".into();
        h2.state().gtid_applied = "1-1-40,3-3-12".into();
        h2.state().replica = Some(("192.0.2.13".into(), true));
        let refused = run_steps(&h1, &h2, vec![move_h2_onto_h1()]).expect_err("not moved");
        assert!(
            format!("{refused}").contains("does not yet hold every transaction"),
            "{refused}"
        );
        let s = h2.state();
        assert!(
            !s.statements
                .iter()
                .any(|st| st.starts_with("CHANGE MASTER"))
        );
        assert_eq!(
            s.replica,
            Some(("192.0.2.13".into(), true)),
            "still on its old source, running"
        );
    }

    #[test]
    fn a_refused_change_of_credentials_never_repeats_the_password() {
        let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
        h2.state().replica = Some(("192.0.2.11".into(), true));
        h2.state().refuse = Some("CHANGE MASTER".into());
        let change = ReplStep::Credentials {
            replica: "h2".into(),
            source: "h1".into(),
            user: "repl".into(),
        };
        let refused = run_steps(&h1, &h2, vec![change]).expect_err("refused");
        let said = format!("{refused} {refused:?}");
        assert!(said.contains("1064"), "{said}");
        assert!(
            !said.contains("s3cret") && !said.contains("pass''word"),
            "{said}"
        );
        assert!(said.contains("(sensitive)"), "{said}");
    }

    /// A target whose data was not known at plan time (its server was down) and holds data now: the seed is
    /// refused before anything streams, and nothing runs on either host.
    #[test]
    fn a_seed_onto_a_target_that_turned_out_to_hold_data_is_refused_before_it_streams() {
        let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
        h1.state().schemas.insert("shop".into(), 3);
        h2.state().schemas.insert("crm".into(), 2);
        let seed = ReplStep::Seed {
            from: "h1".into(),
            to: "h2".into(),
            schemas: vec!["shop".into()],
            tables: 3,
            bytes: 49152,
            overwrite: false,
            interrupted: false,
            physical: None,
            method_why: Default::default(),
        };
        let refused = run_steps(&h1, &h2, vec![seed]).expect_err("refused");
        assert!(
            matches!(&refused, ApplyError::SeedRefused { host, schemas } if host == "h2" && schemas == "crm"),
            "{refused:?}"
        );
        assert!(h1.state().commands.is_empty(), "nothing was dumped on h1");
        assert!(h2.state().commands.is_empty(), "nothing was restored on h2");
    }

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

    fn connect_h2_to_h1(position: crate::plan::Position, gtid: bool) -> ReplStep {
        ReplStep::Connect {
            replica: "h2".into(),
            source: "h1".into(),
            source_address: "192.0.2.11".into(),
            port: 3306,
            user: "repl".into(),
            position,
            tls: None,
            gtid,
            reason: crate::plan::ConnectReason::NotReplicating,
        }
    }

    /// A MySQL replica of a play on GTID is pointed at its source by auto position (no file, no position),
    /// asks for the source's key (caching_sha2_password), and is started.
    #[test]
    fn a_mysql_replica_is_pointed_by_auto_position_and_started() {
        let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
        let connect = connect_h2_to_h1(crate::plan::Position::SourceNow, true);
        run_steps(&h1, &h2, vec![connect]).expect("connects");
        let s = h2.state();
        let change = s
            .statements
            .iter()
            .find(|st| st.starts_with("CHANGE REPLICATION SOURCE TO SOURCE_HOST = '192.0.2.11'"))
            .expect("pointed at h1");
        assert!(
            change.ends_with("SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1"),
            "{change}"
        );
        assert!(!change.contains("SOURCE_LOG_FILE"), "{change}");
        assert!(
            !change.contains(PASSWORD),
            "the password is sent, never recorded"
        );
        assert_eq!(
            s.statements.last().map(String::as_str),
            Some("START REPLICA")
        );
        assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
    }

    #[test]
    fn a_mysql_start_stops_and_starts_the_replica_in_its_words() {
        let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
        h2.state().replica = Some(("192.0.2.11".into(), false));
        let start = ReplStep::Start {
            replica: "h2".into(),
            source: "h1".into(),
            reason: StartReason::Stopped,
        };
        run_steps(&h1, &h2, vec![start]).expect("starts");
        assert_eq!(h2.state().statements, ["STOP REPLICA", "START REPLICA"]);
        assert_eq!(h2.state().replica, Some(("192.0.2.11".into(), true)));
    }

    /// MySQL 8's 13114 (its source's 1236: the binary logs it read from were replaced) on a replica by
    /// auto position: restarted, and it finds its place in the new logs by the GTIDs it holds.
    #[test]
    fn a_mysql_replica_whose_source_replaced_its_logs_is_restarted_by_gtid() {
        let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
        h2.state().replica = Some(("192.0.2.11".into(), false));
        let repair = ReplStep::Repair {
            replica: "h2".into(),
            source: "h1".into(),
            errno: 13114,
            error: "Got fatal error 1236 from source when reading data from binary log".into(),
        };
        run_steps(&h1, &h2, vec![repair]).expect("repairs");
        let s = h2.state();
        assert_eq!(
            s.statements,
            ["STOP REPLICA", "START REPLICA"],
            "no position is set: auto position finds it"
        );
        assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
    }

    /// A dump of MySQL sets the source's GTID history on the target, which must not overlap the target's
    /// own: the target whose data is replaced has its binary logs and GTIDs emptied first, and it starts at
    /// the dump's coordinates.
    #[test]
    fn a_seed_onto_mysql_empties_its_gtid_history_first_and_starts_at_the_dumps_coordinates() {
        let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
        h1.state().schemas.insert("shop".into(), 3);
        h2.state().gtid_written = "4f22fb58-82db-22f2-af44-d91bba530673:1-3".into();
        let seed = ReplStep::Seed {
            from: "h1".into(),
            to: "h2".into(),
            schemas: vec!["shop".into()],
            tables: 3,
            bytes: 49152,
            overwrite: true,
            interrupted: false,
            physical: None,
            method_why: Default::default(),
        };
        let connect = connect_h2_to_h1(crate::plan::Position::Seed, false);
        run_steps(&h1, &h2, vec![seed, connect]).expect("seeds and connects");
        let s = h2.state();
        let reset = s
            .statements
            .iter()
            .position(|st| st == "RESET BINARY LOGS AND GTIDS")
            .expect("the target's history emptied");
        assert!(s.gtid_written.is_empty());
        // super_read_only is lifted around the restore (a passive target refuses it otherwise) and put back.
        assert!(
            s.restored[0].starts_with(
                "SET @mmprov_super_read_only = @@GLOBAL.super_read_only;\nSET GLOBAL super_read_only = OFF;\n\
                 SET SESSION sql_log_bin = 0;\n-- CHANGE REPLICATION SOURCE TO"
            ) && s.restored[0].ends_with("SET GLOBAL super_read_only = @mmprov_super_read_only;\n"),
            "{:?}",
            s.restored
        );
        let change = s
            .statements
            .iter()
            .position(|st| st.starts_with("CHANGE REPLICATION SOURCE TO"))
            .expect("pointed at h1");
        assert!(reset < change);
        assert!(
            s.statements[change]
                .contains("SOURCE_LOG_FILE = 'mysql-bin.000003', SOURCE_LOG_POS = 1234"),
            "{}",
            s.statements[change]
        );
        assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
    }
}
