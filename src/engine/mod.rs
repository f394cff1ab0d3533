//! The engine: one run of mmprov against a project's hosts, between the CLI and the steps.
//!
//! It owns what a run holds: the project, the link to each host (transport and SQL, opened once), the facts
//! read from them, and the replication secrets, read once. It never prints and never asks: the CLI shows
//! plans and events and confirms. A run goes:
//! 1. [`Engine::lock`] (apply only): every host locked before anything is read, so the plan cannot go stale
//!    under another apply.
//! 2. [`Engine::plan`]: facts from every host, then `plan::plan` (pure) makes the whole plan from them and
//!    from what [`Engine::new`] read up front (secrets' fingerprints, templates). A saved plan is taken instead by
//!    [`Engine::saved_plan`] when the hosts still are what it was made from.
//! 3. [`Engine::apply_hosts`]: each play's writer moved by its planned switchover (strictly in order), MySQL groups moved to GTID live (stage by stage), then the host steps, hosts
//!    in parallel, the restarts of a live play rolling one batch at a time behind gates.
//! 4. [`Engine::decide_replication`]: replication that waited on restarts is decided again from the hosts as
//!    they are now. Steps the same in kind as those shown run as shown; others come back as
//!    [`Decided::Changed`], for the CLI to show and confirm again (or refuse). Nothing unshown ever runs.
//! 5. [`Engine::apply_replication`]: the confirmed replication steps.

mod failover;
mod ping;
mod skip;

pub use crate::apply::watch::Watched;
pub use crate::apply::{ApplyError, Event};
pub use crate::error::FailoverError;
pub use crate::model::REJOIN_MARKER;
pub use crate::verify::Finding;
pub use failover::{Candidate, FailedOver};
pub use ping::{Pinged, Pong};
pub use skip::{SKIP_LOG, Stopped};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::apply::lock::{self, HostLock};
use crate::apply::watch::{self, Watch};
use crate::apply::{self, ApplyOptions, ReplicationContext};
use crate::error::Error;
use crate::facts::{self, FactsError, HostFacts};
use crate::facts::{Direction, directions};
use crate::link::Links;
use crate::load;
use crate::model::{Project, Role, Serial};
use crate::plan::{self, Plan, ReplicationPlan};
use crate::replication::password::PasswordCheck;
use crate::verify;

/// How long a switchover waits for the old writer's open transactions when `--drain-timeout` is not given.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// One run against a project's hosts.
pub struct Engine<'p> {
    project: &'p Project,
    forks: usize,
    /// How many nodes of a live play restart at once, over the plays' own `serial:`.
    serial: Option<Serial>,
    /// How long a rolling restart's gate may take to pass.
    gate_timeout: Duration,
    /// How long a switchover waits for the old writer's open transactions to end.
    drain_timeout: Duration,
    /// Let an old writer rejoin with transactions its successor never received (`--accept-errant`).
    accept_errant: bool,
    /// Each replication play's password, read once from where the playbook says.
    passwords: BTreeMap<String, SecretString>,
    /// What each play's password lets the plan ask (the plan never holds the secret).
    password_checks: BTreeMap<String, PasswordCheck>,
    /// Each server play's template text by path, read once when the run starts, never midway.
    templates: BTreeMap<String, String>,
}

/// A plan with the facts it was made from and the open link to every host it was read from.
pub struct Planned {
    pub plan: Plan,
    pub facts: BTreeMap<String, HostFacts>,
    links: Links,
}

/// What the replication steps are once the host steps are done.
#[derive(Debug)]
pub enum Decided {
    /// As shown: these are the plans to run.
    AsShown(Vec<ReplicationPlan>),
    /// Not what was shown: the new plans, which run only once confirmed.
    Changed(Vec<ReplicationPlan>),
}

impl<'p> Engine<'p> {
    /// A run that may change hosts: the replication secrets and the templates are read now, once.
    pub fn new(project: &'p Project, forks: usize) -> Result<Self, Error> {
        let passwords = replication_passwords(project)?;
        Ok(Self {
            project,
            forks,
            serial: None,
            gate_timeout: ApplyOptions::default().gate_timeout,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            accept_errant: false,
            password_checks: password_checks(&passwords),
            passwords,
            templates: templates(project)?,
        })
    }

    /// A run that only reads (status, verify): no secret is read.
    pub fn reading(project: &'p Project, forks: usize) -> Self {
        Self {
            project,
            forks,
            serial: None,
            gate_timeout: ApplyOptions::default().gate_timeout,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            accept_errant: false,
            passwords: BTreeMap::new(),
            password_checks: BTreeMap::new(),
            templates: BTreeMap::new(),
        }
    }

    /// Restart this many nodes of a live play at once (`--serial`), whatever the plays say.
    pub fn with_serial(mut self, serial: Option<Serial>) -> Self {
        self.serial = serial;
        self
    }

    /// How long each rolling restart's gate may take (`--gate-timeout`).
    pub fn with_gate_timeout(mut self, timeout: Duration) -> Self {
        self.gate_timeout = timeout;
        self
    }

    /// How long a switchover waits for the old writer's open transactions to end (`--drain-timeout`).
    pub fn with_drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Let an old writer back after a failover rejoin with its errant transactions (`--accept-errant`).
    pub fn with_accept_errant(mut self, accept: bool) -> Self {
        self.accept_errant = accept;
        self
    }

    /// Facts from every host and the link to each; any unreachable host fails the run.
    fn gather(&self) -> Result<facts::Gathered, Error> {
        let total = facts::wanted(self.project).len();
        facts::gather(self.project, self.forks)
            .map_err(|failed| Error::Unreachable { total, failed })
    }

    /// The health of every replication direction, with each node's GTID positions and how long a stopped
    /// replica has been stopped.
    pub fn status(&self) -> Result<Vec<Direction>, Error> {
        let mut gathered = self.gather()?;
        let facts = &gathered.facts;
        let jobs: Vec<_> = gathered
            .links
            .iter_mut()
            .filter_map(|(host, t)| {
                let f = facts.get(host)?;
                let server = f.server.filter(|_| f.running && f.replication.is_some())?;
                let stopped = f
                    .replication
                    .as_ref()
                    .and_then(|r| r.replica.as_ref())
                    .is_some_and(|s| !s.io_running.is_running() || !s.sql_running.is_running());
                let log = match f.variables.get("log_error") {
                    Some(file) if !file.is_empty() => facts::ServerLog::File(file.clone()),
                    _ if f.service == crate::model::ServiceKind::Systemd => {
                        facts::ServerLog::Journal {
                            unit: f.service_name.clone(),
                        }
                    }
                    _ => facts::ServerLog::Unknown,
                };
                Some((host.clone(), t, server, log, stopped))
            })
            .collect();
        let read = crate::fanout::fan_out(jobs, self.forks, |(host, t, server, log, stopped)| {
            facts::observe(t, server, &log, stopped).map(|o| (host, o))
        });
        let observed = read
            .into_iter()
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map_err(|e| Error::Apply(ApplyError::Sql(e)))?;
        Ok(directions(self.project, facts, &observed))
    }

    /// Probe rows (and with `checksum`, table checksums) through every replication play's nodes within the
    /// run's limit; each finding goes to `found` with its play as it is made.
    pub fn verify(
        &self,
        timeout: Duration,
        checksum: bool,
        found: &mut dyn FnMut(&str, verify::Finding),
    ) -> Result<(), Error> {
        let mut links = self.gather()?.links;
        for play in self
            .project
            .plays
            .iter()
            .filter(|p| p.has_role(Role::Replication))
        {
            let nodes: Vec<&str> = play
                .hosts
                .iter()
                .filter(|h| self.project.in_limit(h))
                .map(String::as_str)
                .collect();
            let mut report = |finding| found(&play.name, finding);
            verify::probes(&mut links, &nodes, timeout, &mut report)?;
            if checksum {
                verify::checksums(&mut links, &nodes, &mut report)?;
            }
        }
        Ok(())
    }

    /// Every host the run touches, locked in parallel; all or none.
    pub fn lock(&self, timeout: Duration) -> Result<Vec<HostLock>, Error> {
        let holder = lock::holder();
        let hosts: Vec<&crate::model::Host> = facts::wanted(self.project)
            .keys()
            .filter_map(|h| self.project.hosts.get(h))
            .collect();
        let results = crate::fanout::fan_out(hosts, self.forks, |host| {
            lock::acquire(host, &holder, timeout)
        });
        let total = results.len();
        let mut locks = Vec::new();
        let mut held = Vec::new();
        let mut unreachable = Vec::new();
        for result in results {
            match result {
                Ok(lock) => locks.push(lock),
                Err(lock::LockError::Transport(e)) => unreachable.push(FactsError::Transport(e)),
                Err(e) => held.push(e),
            }
        }
        if !unreachable.is_empty() {
            return Err(Error::Unreachable {
                total,
                failed: unreachable,
            });
        }
        if held.is_empty() {
            Ok(locks)
        } else {
            Err(Error::Locked { failed: held })
        }
    }

    /// `mmprov rebuild`: facts from every host, then the plan that replaces `host`'s data with a fresh seed
    /// from its source (`from`, when given, must be that source) and connects it again. The host must be in
    /// a replication play, which is checked before any host is read.
    pub fn plan_rebuild(&self, host: &str, from: Option<&str>) -> Result<Planned, Error> {
        plan::rebuild_play(self.project, host)?;
        self.planned(plan::Goal::Rebuild { host, from })
    }

    /// Read every host, then plan. Any unreachable host fails the whole run before anything changes.
    pub fn plan(&self) -> Result<Planned, Error> {
        self.planned(plan::Goal::Converge)
    }

    /// Facts from every host, then the plan for `goal` from them.
    fn planned(&self, goal: plan::Goal) -> Result<Planned, Error> {
        let started = Instant::now();
        let mut gathered = self.gather()?;
        log::info!(
            "phase: facts from {} hosts in {} ms",
            gathered.facts.len(),
            started.elapsed().as_millis()
        );
        let plan = plan::plan(&self.inputs(&gathered.facts), goal)?;
        // An old writer back with transactions its successor never received is named, with where its
        // binary log holds them, and not reconnected unless the operator accepts them.
        if !self.accept_errant
            && let Some(r) = plan.rejoins.iter().find(|r| !r.errant.is_empty())
        {
            let span = failover::errant_span(r, &mut gathered.links, &gathered.facts);
            return Err(plan::refuse_errant(r, span.as_deref()).into());
        }
        Ok(Planned {
            plan,
            facts: gathered.facts,
            links: gathered.links,
        })
    }

    /// What the plan is made from, beside the facts: all of it read when the run started.
    fn inputs<'a>(&'a self, facts: &'a BTreeMap<String, HostFacts>) -> plan::Inputs<'a> {
        plan::Inputs {
            project: self.project,
            facts,
            templates: &self.templates,
            serial: self.serial,
            password_checks: &self.password_checks,
        }
    }

    /// A saved plan, when every host still is what it was made from; refused otherwise.
    pub fn saved_plan(&self, saved: Plan) -> Result<Planned, Error> {
        let current = self.plan()?;
        let stale: Vec<String> = saved
            .hosts
            .iter()
            .filter(|h| {
                // Facts without a fingerprint are stale facts: the check fails closed.
                let now = current
                    .facts
                    .get(&h.host)
                    .and_then(|f| f.fingerprint().ok());
                now.as_ref() != Some(&h.fingerprint)
            })
            .map(|h| h.host.clone())
            .collect();
        if !stale.is_empty() {
            return Err(Error::StalePlan {
                hosts: stale.join(", "),
            });
        }
        Ok(Planned {
            plan: saved,
            ..current
        })
    }

    /// The host steps, `forks` hosts at a time.
    pub fn apply_hosts(
        &self,
        planned: &mut Planned,
        events: &Sender<Event>,
    ) -> Result<(), ApplyError> {
        let versions = versions(&planned.facts);
        apply::apply_switchovers(
            &planned.plan.switchovers,
            &mut planned.links,
            &versions,
            apply::SwitchoverTimeouts {
                drain: self.drain_timeout,
                gate: self.gate_timeout,
            },
            events,
        )?;
        apply::apply_gtid_moves(
            &planned.plan.gtid_moves,
            &mut planned.links,
            &versions,
            events,
        )?;
        apply::apply_interleaving_holds(
            &planned.plan.interleavings,
            &mut planned.links,
            &versions,
            events,
        )?;
        apply::apply_hosts(
            &planned.plan,
            &mut planned.links,
            &self.options(),
            &versions,
            events,
        )
    }

    /// The replication steps to run now. Plans that waited on restarts are made again from the hosts as they
    /// are; if any step was not shown, all of the new ones come back as `Changed`.
    pub fn decide_replication(&self, planned: &mut Planned) -> Result<Decided, Error> {
        let shown = &planned.plan.replication;
        if shown.iter().all(|r| r.decided_after.is_empty()) {
            return Ok(Decided::AsShown(shown.clone()));
        }
        let started = Instant::now();
        planned.facts = self.read_again(&mut planned.links)?;
        log::info!(
            "phase: replication read again after the restarts in {} ms",
            started.elapsed().as_millis()
        );
        let mut now = plan::replication_plans(&self.inputs(&planned.facts), &BTreeSet::new())?;
        if now.iter().flat_map(|r| &r.steps).any(retrying_start) {
            // A replica of a node that just restarted reconnects by itself once its connect retry comes round:
            // given that long, what it needs is what it then shows.
            std::thread::sleep(Duration::from_secs(
                u64::from(crate::flavor::CONNECT_RETRY) + 1,
            ));
            planned.facts = self.read_again(&mut planned.links)?;
            now = plan::replication_plans(&self.inputs(&planned.facts), &BTreeSet::new())?;
        }
        let same = shown.len() == now.len() && shown.iter().zip(&now).all(|(a, b)| a.same_steps(b));
        // Fewer of the shown steps (a retrying replica reconnected by itself) are covered by what was
        // confirmed; nothing left to do runs nothing (a node that came back replicating by itself needs none
        // of what was planned from it while it was down).
        let covered = shown.len() == now.len()
            && shown
                .iter()
                .zip(&now)
                .all(|(a, b)| a.shows_every_step_of(b));
        Ok(if same {
            Decided::AsShown(shown.clone())
        } else if covered || now.iter().all(|r| r.steps.is_empty()) {
            Decided::AsShown(now)
        } else {
            Decided::Changed(now)
        })
    }

    /// Replication steps the user confirmed.
    pub fn apply_replication(
        &self,
        plans: &[ReplicationPlan],
        planned: &mut Planned,
        events: &Sender<Event>,
    ) -> Result<(), ApplyError> {
        let context = ReplicationContext {
            passwords: &self.passwords,
            versions: versions(&planned.facts),
            healthy_timeout: Duration::from_secs(60),
            catch_up_timeout: self.gate_timeout,
            start_commands: start_commands(self.project, &planned.facts),
            serve_timeout: self.options().serve_timeout,
        };
        let started = Instant::now();
        apply::apply_replication(plans, &mut planned.links, &self.options(), &context, events)?;
        log::info!(
            "phase: replication steps in {} ms",
            started.elapsed().as_millis()
        );
        apply::open_held_nodes(
            &planned.plan.interleavings,
            &mut planned.links,
            &context.versions,
            self.gate_timeout,
            events,
        )?;
        apply::finish_rejoins(&planned.plan.rejoins, &mut planned.links, events)
    }

    /// Every direction of the replication plays named, both ends within the run's limit, watched until each is
    /// settled (bounded by the gate timeout): the truth apply and rebuild end with.
    pub fn verdicts(
        &self,
        planned: &mut Planned,
        plays: &BTreeSet<String>,
    ) -> Result<Vec<Watched>, Error> {
        let directions: Vec<Watch> = self
            .project
            .plays
            .iter()
            .filter(|p| p.has_role(Role::Replication) && plays.contains(&p.name))
            .flat_map(|play| {
                play.ring()
                    .into_iter()
                    // As the plan: a direction with an end outside --limit is neither planned nor judged.
                    .filter(|(replica, source)| {
                        self.project.in_limit(replica) && self.project.in_limit(source)
                    })
                    .map(|(replica, source)| Watch {
                        play: play.name.clone(),
                        replica: replica.to_string(),
                        source: source.to_string(),
                        address: self
                            .project
                            .hosts
                            .get(source)
                            .map_or_else(|| source.to_string(), |h| h.address.clone()),
                        port: plan::MYSQL_PORT,
                        user: play.vars.replication_user.clone(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let unknown = directions
            .iter()
            .flat_map(|d| [&d.replica, &d.source])
            .any(|h| {
                planned.links.contains_key(h)
                    && planned.facts.get(h).is_none_or(|f| f.server.is_none())
            });
        if unknown {
            // A server installed by this run: its version is read now.
            planned.facts = self.read_again(&mut planned.links)?;
        }
        let versions = versions(&planned.facts);
        Ok(watch::watch(
            &mut planned.links,
            &versions,
            directions,
            self.gate_timeout,
        )?)
    }

    /// The replication plays a plan changes anything of (see [`Plan::touched_plays`]).
    pub fn touched_plays(&self, plan: &Plan) -> BTreeSet<String> {
        plan.touched_plays(self.project)
    }

    fn options(&self) -> ApplyOptions {
        ApplyOptions {
            forks: self.forks,
            gate_timeout: self.gate_timeout,
            ..ApplyOptions::default()
        }
    }

    /// Facts read again over the run's links, `forks` hosts at a time.
    fn read_again(&self, links: &mut Links) -> Result<BTreeMap<String, HostFacts>, Error> {
        let mut wanted = facts::wanted(self.project);
        let jobs: Vec<_> = links
            .iter_mut()
            .filter_map(|(host, t)| Some((host.clone(), t, wanted.remove(host)?)))
            .collect();
        let read = crate::fanout::fan_out(jobs, self.forks, |(host, t, wanted)| {
            facts::read(t, &wanted).map(|f| (host, f))
        });
        let total = read.len();
        let mut facts = BTreeMap::new();
        let mut failed = Vec::new();
        for result in read {
            match result {
                Ok((host, f)) => {
                    facts.insert(host, f);
                }
                Err(e) => failed.push(e),
            }
        }
        if failed.is_empty() {
            Ok(facts)
        } else {
            Err(Error::Unreachable { total, failed })
        }
    }
}

/// A start planned for a replica that keeps retrying a source it could not reach.
fn retrying_start(step: &plan::ReplStep) -> bool {
    matches!(
        step,
        plan::ReplStep::Start {
            reason: plan::StartReason::Retrying { .. },
            ..
        }
    )
}

/// Each host's server version, as its facts read it.
fn versions(facts: &BTreeMap<String, HostFacts>) -> BTreeMap<String, crate::flavor::ServerVersion> {
    facts
        .iter()
        .filter_map(|(h, f)| Some((h.clone(), f.server?)))
        .collect()
}

/// Each host's start command, from its service manager as the inventory and its facts say.
fn start_commands(
    project: &Project,
    facts: &BTreeMap<String, HostFacts>,
) -> BTreeMap<String, String> {
    facts
        .iter()
        .filter_map(|(name, f)| {
            let host = project.hosts.get(name)?;
            let manager = crate::service::choose(&host.service, f.service, &f.service_name);
            Some((name.clone(), manager.restart_command()))
        })
        .collect()
}

/// The replication password of each replication play, read now from where the playbook says.
fn replication_passwords(project: &Project) -> Result<BTreeMap<String, SecretString>, Error> {
    let mut out = BTreeMap::new();
    for play in project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
    {
        if let Some(secret) = &play.vars.replication_password {
            let loaded = project.inventory_secrets.get(&play.name);
            let password = load::secret::read(&secret.value, loaded).map_err(|e| {
                Error::Apply(ApplyError::Secret {
                    play: play.name.clone(),
                    detail: e.to_string(),
                })
            })?;
            out.insert(play.name.clone(), password);
        }
    }
    Ok(out)
}

/// Each server play's template text, by the path the play names.
fn templates(project: &Project) -> Result<BTreeMap<String, String>, Error> {
    let mut templates = BTreeMap::new();
    for path in project.plays.iter().filter_map(|p| p.template.as_ref()) {
        let source = load::read_template(&path.value)?;
        templates.insert(path.value.display().to_string(), source.text.to_string());
    }
    Ok(templates)
}

/// What each play's replication password lets the plan ask, so it can tell a changed secret from the
/// stored one without holding the secret.
fn password_checks(passwords: &BTreeMap<String, SecretString>) -> BTreeMap<String, PasswordCheck> {
    passwords
        .iter()
        .map(|(play, password)| (play.clone(), PasswordCheck::new(password)))
        .collect()
}

#[cfg(test)]
mod tests;
