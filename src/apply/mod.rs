//! Apply: carry out a plan, hosts in parallel (at most `forks` at once), each host's steps in order.
//!
//! Workers own their host's transport and report progress as [`Event`]s over a channel; they never print.
//! Per host:
//! 1. `WriteConfig`: keep a timestamped backup of the old file beside it (a name mysqld never includes), then
//!    write the new one atomically (temp file, fsync, rename), mode 0644, root-owned.
//! 2. `SetGlobal`: the statement, on the running server.
//! 3. `Restart`: the service manager's command, then wait (bounded) until mysqld answers SQL; then check that
//!    what the file sets is what the server now runs (another file may override it).
//! 0. `InstallServer` (a host with no server): packages installed, the server kept from starting until the
//!    steps below have written its config; `Harden` after its first start (`install`).
//! 4. If mysqld does not come back: read the server's own error lines (what it logged during this attempt),
//!    put the previous config back (or remove the new file), restart again, and fail naming the host and
//!    those lines. Nothing else is touched on that host after a failure; other hosts finish their steps.
//! 5. [`apply_replication`], which the engine calls once every host succeeded and the replication steps are
//!    the ones the user confirmed: each play's steps (`replication`), seeds streamed host to host (`seed`),
//!    then every replica watched until it runs.

mod clone;
mod datadir;
mod error;
mod gate;
mod gtid_move;
mod hook;
mod install;
mod interleave;
pub mod lock;
mod physical;
mod replication;
mod restart;
mod seed;
mod switchover;
pub mod watch;

pub use error::ApplyError;
pub use interleave::{hold_and_change as apply_interleaving_holds, open as open_held_nodes};
pub use replication::ReplicationContext;
pub use restart::RestartFailure;

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use std::time::Duration;

use crate::flavor::ServerVersion;
use crate::link::{HostLink, Links};
use crate::plan::{HostPlan, Plan, Step};
use crate::shell::quote;
use crate::sql::SqlExecutor;
use crate::transport::{FileAttrs, Transport};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub forks: usize,
    /// How long mysqld may take to answer after a restart.
    pub serve_timeout: Duration,
    /// How long a rolling restart's gate may take to pass (replicas running and caught up).
    pub gate_timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            forks: 10,
            serve_timeout: Duration::from_secs(90),
            gate_timeout: Duration::from_secs(300),
        }
    }
}

/// Progress, sent by workers to whoever owns the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Step { host: String, message: String },
    Done { host: String, steps: usize },
    Failed { host: String, message: String },
}

/// Send progress to whoever owns the terminal. A display that went away (its thread ended) changes nothing
/// the run does, so there is no failure to report.
pub(crate) fn emit(events: &Sender<Event>, event: Event) {
    if events.send(event).is_err() {
        log::debug!("progress event dropped: nobody displays it any more");
    }
}

/// Apply every host's steps (hosts with nothing to do are not touched), `options.forks` hosts at a time,
/// in the plan's rolling order: batch 0 of every play (and every host outside a rolling order) at once, then
/// each rolled host's gate, then batch 1, and so on. A host that fails, or whose gate fails, stops its play's
/// rollout: the rest of that play is not touched, the other plays go on. Fails with every failure; the
/// links come back to `links` either way.
pub fn apply_hosts(
    plan: &Plan,
    links: &mut Links,
    options: &ApplyOptions,
    versions: &BTreeMap<String, ServerVersion>,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    let pending: Vec<&HostPlan> = plan.hosts.iter().filter(|h| !h.steps.is_empty()).collect();
    let last = pending.iter().map(|h| batch_of(h)).max().unwrap_or(0);
    let mut failed = Vec::new();
    // The plays whose rollout stopped, and at which host.
    let mut stopped: BTreeMap<String, String> = BTreeMap::new();
    for batch in 0..=last {
        let run: Vec<&HostPlan> = pending
            .iter()
            .copied()
            .filter(|h| batch_of(h) == batch)
            .filter(|h| play_of(h).is_none_or(|p| !stopped.contains_key(p)))
            .collect();
        for (host_plan, result) in run_hosts(&run, links, options, events) {
            if let Err(e) = result {
                if let Some(play) = play_of(host_plan) {
                    stopped
                        .entry(play.to_string())
                        .or_insert(host_plan.host.clone());
                }
                failed.push(e);
            }
        }
        let gated: Vec<&HostPlan> = run
            .iter()
            .copied()
            .filter(|h| play_of(h).is_some_and(|p| !stopped.contains_key(p)))
            .collect();
        for (play, at, e) in pass_gates(&gated, links, options, versions, events) {
            stopped.entry(play).or_insert(at);
            failed.push(e);
        }
    }
    for (play, at) in stopped {
        let stopped_batch = pending
            .iter()
            .find(|h| h.host == at)
            .map_or(0, |h| batch_of(h));
        let untouched: Vec<&str> = pending
            .iter()
            .filter(|h| play_of(h) == Some(play.as_str()) && batch_of(h) > stopped_batch)
            .map(|h| h.host.as_str())
            .collect();
        if !untouched.is_empty() {
            failed.push(ApplyError::RolloutStopped {
                play,
                at,
                untouched: untouched.join(", "),
            });
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(ApplyError::Hosts { failed })
    }
}

/// The batch a host's restart belongs to: 0 outside a rolling order.
fn batch_of(h: &HostPlan) -> usize {
    h.rolling.as_ref().map_or(0, |r| r.batch)
}

/// The play whose rolling order the host is in.
fn play_of(h: &HostPlan) -> Option<&str> {
    h.rolling.as_ref().map(|r| r.play.as_str())
}

/// These hosts' steps, `forks` at a time; each host's result, with its `Done`/`Failed` event sent.
fn run_hosts<'h>(
    hosts: &[&'h HostPlan],
    links: &mut Links,
    options: &ApplyOptions,
    events: &Sender<Event>,
) -> Vec<(&'h HostPlan, Result<(), ApplyError>)> {
    let jobs: Vec<(&HostPlan, Option<HostLink>)> =
        hosts.iter().map(|h| (*h, links.remove(&h.host))).collect();
    let results = crate::fanout::fan_out(jobs, options.forks, |(host_plan, link)| {
        let (link, result) = match link {
            Some(mut t) => {
                let result = apply_host(host_plan, &mut t, options, events);
                (Some(t), result)
            }
            None => (
                None,
                Err(ApplyError::NoConnection {
                    host: host_plan.host.clone(),
                }),
            ),
        };
        emit(
            events,
            match &result {
                Ok(()) => Event::Done {
                    host: host_plan.host.clone(),
                    steps: host_plan.steps.len(),
                },
                Err(e) => Event::Failed {
                    host: host_plan.host.clone(),
                    message: e.to_string(),
                },
            },
        );
        (host_plan, link, result)
    });
    results
        .into_iter()
        .map(|(host_plan, link, result)| {
            if let Some(t) = link {
                links.insert(host_plan.host.clone(), t);
            }
            (host_plan, result)
        })
        .collect()
}

/// The gates of these rolled hosts: the plays side by side, each play's hosts one after another (a play
/// holds its own nodes' links meanwhile). Each failure with its play and host.
fn pass_gates(
    hosts: &[&HostPlan],
    links: &mut Links,
    options: &ApplyOptions,
    versions: &BTreeMap<String, ServerVersion>,
    events: &Sender<Event>,
) -> Vec<(String, String, ApplyError)> {
    let mut by_play: BTreeMap<&str, Vec<&HostPlan>> = BTreeMap::new();
    for h in hosts {
        if let Some(play) = play_of(h) {
            by_play.entry(play).or_default().push(h);
        }
    }
    let jobs: Vec<(&str, Vec<&HostPlan>, Links)> = by_play
        .into_iter()
        .map(|(play, members)| {
            let mut own = Links::new();
            for h in &members {
                let gate = h.rolling.as_ref().map(|r| &r.gate);
                let peers = gate
                    .into_iter()
                    .flat_map(|g| g.replicates_from.iter().chain(&g.feeds));
                for name in std::iter::once(&h.host).chain(peers) {
                    if let Some(t) = links.remove(name) {
                        own.insert(name.clone(), t);
                    }
                }
            }
            (play, members, own)
        })
        .collect();
    let results = crate::fanout::fan_out(jobs, options.forks, |(play, members, mut own)| {
        let mut failure = None;
        for h in members {
            let Some(rolling) = &h.rolling else { continue };
            let say = |message: String| {
                emit(
                    events,
                    Event::Step {
                        host: h.host.clone(),
                        message,
                    },
                );
            };
            let gating = gate::Gating {
                host: &h.host,
                gate: &rolling.gate,
                versions,
                timeout: options.gate_timeout,
            };
            if let Err(e) = gating.pass(&mut own, &say) {
                emit(
                    events,
                    Event::Failed {
                        host: h.host.clone(),
                        message: e.to_string(),
                    },
                );
                failure = Some((play.to_string(), h.host.clone(), e));
                break;
            }
        }
        (own, failure)
    });
    let mut failures = Vec::new();
    for (own, failure) in results {
        links.extend(own);
        failures.extend(failure);
    }
    failures
}

/// Move MySQL groups to `gtid_mode = ON` live, stage by stage (before the host steps). Stops at the first
/// failure: a stage half done is resumed by the next plan.
pub fn apply_gtid_moves(
    moves: &[crate::plan::GtidMove],
    links: &mut Links,
    versions: &BTreeMap<String, ServerVersion>,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    let mut mover = gtid_move::Mover {
        links,
        versions,
        events,
    };
    moves.iter().try_for_each(|m| mover.run(m))
}

pub use hook::run_hook;
pub use switchover::{Timeouts as SwitchoverTimeouts, hook_env};

/// Move each play's writer by its planned switchover, strictly in order (before the host steps). Stops at
/// the first failure, the old writer put back open.
pub fn apply_switchovers(
    switchovers: &[crate::plan::Switchover],
    links: &mut Links,
    versions: &BTreeMap<String, ServerVersion>,
    timeouts: SwitchoverTimeouts,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    let mut switcher = switchover::Switcher {
        links,
        versions,
        timeouts,
        events,
    };
    switchovers.iter().try_for_each(|s| switcher.run(s))
}

/// After replication: each old writer back after a failover has rejoined, so its successor's marker goes.
pub fn finish_rejoins(
    rejoins: &[crate::plan::Rejoin],
    links: &mut Links,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    for r in rejoins {
        emit(
            events,
            Event::Step {
                host: r.successor.clone(),
                message: format!("{} has rejoined: the rejoin marker goes", r.old_writer),
            },
        );
        let marker = crate::shell::quote(crate::model::REJOIN_MARKER);
        link(links, &r.successor)?.check(&format!("rm -f {marker}"), &[])?;
    }
    Ok(())
}

/// Carry out the plays' replication steps: plays that share no host at once, the others after them. Fails
/// with every play's failure; the links come back to `links` either way.
pub fn apply_replication(
    plans: &[crate::plan::ReplicationPlan],
    links: &mut Links,
    options: &ApplyOptions,
    context: &ReplicationContext<'_>,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    let pending: Vec<&crate::plan::ReplicationPlan> =
        plans.iter().filter(|r| !r.steps.is_empty()).collect();
    for wave in waves(&pending) {
        // Each play of a wave gets its own hosts' connections and runs beside the others.
        let jobs: Vec<(&crate::plan::ReplicationPlan, Links)> = wave
            .into_iter()
            .map(|p| {
                let own = p
                    .hosts()
                    .iter()
                    .filter_map(|h| links.remove(h).map(|t| (h.clone(), t)))
                    .collect();
                (p, own)
            })
            .collect();
        let results = crate::fanout::fan_out(jobs, options.forks, |(p, mut own)| {
            let result = replication::run(p, &mut own, context, events);
            if let Err(e) = &result {
                emit(
                    events,
                    Event::Failed {
                        host: format!("play {}", p.play),
                        message: e.to_string(),
                    },
                );
            }
            (own, result)
        });
        let mut failed = Vec::new();
        for (own, result) in results {
            links.extend(own);
            failed.extend(result.err());
        }
        if !failed.is_empty() {
            return Err(ApplyError::Hosts { failed });
        }
    }
    Ok(())
}

/// Plays grouped so that no two in a group share a host: a group's plays can run at once.
fn waves<'p>(
    plans: &[&'p crate::plan::ReplicationPlan],
) -> Vec<Vec<&'p crate::plan::ReplicationPlan>> {
    let mut waves: Vec<(
        std::collections::BTreeSet<String>,
        Vec<&crate::plan::ReplicationPlan>,
    )> = Vec::new();
    for plan in plans {
        let hosts = plan.hosts();
        match waves
            .iter_mut()
            .find(|(taken, _)| taken.is_disjoint(&hosts))
        {
            Some((taken, members)) => {
                taken.extend(hosts);
                members.push(plan);
            }
            None => waves.push((hosts, vec![plan])),
        }
    }
    waves.into_iter().map(|(_, members)| members).collect()
}

/// The dialect of a host's server as its facts read it; never guessed.
fn flavor_of(
    versions: &BTreeMap<String, ServerVersion>,
    host: &str,
) -> Result<Box<dyn crate::flavor::Flavor + Send + Sync>, ApplyError> {
    versions
        .get(host)
        .map(|v| v.flavor())
        .ok_or_else(|| ApplyError::UnknownServer {
            host: host.to_string(),
        })
}

/// The run's link to a host.
fn link<'a>(links: &'a mut Links, host: &str) -> Result<&'a mut HostLink, ApplyError> {
    links.get_mut(host).ok_or_else(|| ApplyError::NoConnection {
        host: host.to_string(),
    })
}

/// What this run has written on a host, so a failed restart can put it back.
pub(crate) struct Written {
    pub path: String,
    pub before: Option<String>,
    pub after: String,
}

fn apply_host(
    host_plan: &HostPlan,
    link: &mut HostLink,
    options: &ApplyOptions,
    events: &Sender<Event>,
) -> Result<(), ApplyError> {
    let host = host_plan.host.clone();
    let say = |message: String| {
        emit(
            events,
            Event::Step {
                host: host.clone(),
                message,
            },
        );
    };
    let mut written: Option<Written> = None;
    // Commands that put back what was changed beside the config, run when the restart is rolled back.
    let mut undo: Vec<String> = Vec::new();
    let mut moved: Option<(&str, &str)> = None;
    for step in &host_plan.steps {
        match step {
            Step::InstallServer { .. } => install_server(link, step, &say)?,
            Step::Harden => install::harden(link, &say)?,
            Step::MoveDatadir { from, to, .. } => {
                datadir::stop_and_copy(link, from, to, options.serve_timeout, &say)?;
                moved = Some((from, to));
            }
            Step::ServiceSocket { path, socket, .. } => {
                say(format!("pointing {path} at the socket {socket}"));
                undo.push(datadir::point_service_client(link, path, socket)?);
            }
            Step::WriteConfig {
                path,
                before,
                after,
            } => written = Some(write_step(link, path, before, after, &say)?),
            Step::SetGlobal {
                variable, value, ..
            } => {
                let sql = Step::set_global(variable, value);
                say(sql.clone());
                link.sql().execute(&format!("setting {variable}"), &sql)?;
            }
            Step::Restart { command, .. } => {
                say(format!("restarting mysqld ({command})"));
                restart::restart_or_roll_back(
                    link,
                    command,
                    host_plan,
                    written.as_ref(),
                    &undo,
                    options,
                    &say,
                )?;
                if let Some((from, to)) = moved.take() {
                    finish_move(link, from, to, &say)?;
                }
            }
        }
    }
    if moved.is_some() {
        return Err(ApplyError::Datadir {
            host,
            detail: "the data directory was copied but the plan starts no mysqld: run apply again"
                .into(),
        });
    }
    Ok(())
}

/// A server installed from the step's packages and sources.
fn install_server(
    link: &mut HostLink,
    step: &Step,
    say: &dyn Fn(String),
) -> Result<(), ApplyError> {
    let Step::InstallServer {
        manager,
        packages,
        sources,
        server,
        datadir,
        initialize,
        config_path,
        config_options,
        ..
    } = step
    else {
        return Ok(());
    };
    let install = install::Install {
        manager: *manager,
        packages,
        sources,
        server,
        datadir,
        initialize,
        config_path,
        config_options,
    };
    install.run(link, say)
}

/// The config written (the old one backed up first); what was written, for a rollback.
fn write_step(
    link: &mut HostLink,
    path: &str,
    before: &Option<String>,
    after: &str,
    say: &dyn Fn(String),
) -> Result<Written, ApplyError> {
    if before.is_some() {
        say(format!("backing up {path}"));
    }
    say(format!("writing {path}"));
    write_config(link, path, before.is_some(), after)?;
    Ok(Written {
        path: path.to_string(),
        before: before.clone(),
        after: after.to_string(),
    })
}

/// A moved data directory's server serves from the new place: the old files are set aside, not removed.
fn finish_move(
    link: &mut HostLink,
    from: &str,
    to: &str,
    say: &dyn Fn(String),
) -> Result<(), ApplyError> {
    let aside = datadir::set_old_aside(link, from, to)?;
    say(format!(
        "mysqld serves from {to}; the old files are kept in {aside}: remove them when satisfied"
    ));
    Ok(())
}

/// Write the config file mmprov owns: the old one backed up beside it first (`backed_up`), the new one
/// written atomically, mode 0644, root-owned.
fn write_config(
    t: &mut dyn Transport,
    path: &str,
    backed_up: bool,
    after: &str,
) -> Result<(), ApplyError> {
    if backed_up {
        backup(t, path)?;
    }
    let attrs = FileAttrs {
        mode: 0o644,
        owner: Some("root".into()),
        group: Some("root".into()),
    };
    t.write_file(path, after.as_bytes(), &attrs)?;
    Ok(())
}

/// Copy the file to `PATH.mmprov-backup-<UTC time>`; mysqld's `!includedir` reads only `*.cnf`, so a backup
/// is never loaded.
fn backup(t: &mut dyn Transport, path: &str) -> Result<(), ApplyError> {
    let p = quote(path);
    t.check(
        &format!("cp -p -- {p} {p}.mmprov-backup-$(date -u +%Y%m%dT%H%M%SZ)"),
        &[],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
