//! The plan: desired state + facts -> ordered steps per host, each with its reason. PURE: no transport, no
//! clock, no environment; the same inputs give a byte-identical plan, which is what makes it unit-testable
//! without hosts and snapshot-stable.
//!
//! Per host ([`plan_host`]):
//! 1. The config file: written when its content differs from the rendered one (a diff, shown by `render`).
//! 2. Each `[mysqld]` option of the rendered file is compared with the value the running server reports:
//!    - equal: nothing to do;
//!    - different and changeable at run time: `SET GLOBAL`;
//!    - different and static: a restart, naming the option, the live and the wanted value;
//!    - not reported by the server: a restart only if the file changes that option;
//!    - read only at start to decide what starts with the server (`skip-slave-start`): never a restart.
//! 3. A server that is down is started (a restart step whose reason says so). When a restart is planned,
//!    `SET GLOBAL`s are dropped: the restart loads every value from the file.
//! 4. Where the server's files live (`layout`): a data directory that moves is moved before the config is
//!    written, or refused where that could lose data; the service script is pointed at a moved socket.
//! 5. A host with no server (`install`): the server is installed first, into an empty data directory, and
//!    cleaned up after its first start.
//!
//! [`plan`] (`entry.rs`) is the one way in: it runs these per host, then replication, GTID moves and
//! interleaving, and returns the whole [`Plan`], which answers questions about itself ([`Plan::touched_hosts`]).
//!
//! Comparing with the live server, not only with the old file, is what makes a re-run after an interrupted
//! apply converge: a config written but never loaded still shows as a pending restart.

pub mod config_order;
mod desired;
mod entry;
mod families;
mod gtid_move;
mod install;
mod interleave;
mod layout;
mod paths;
mod refusal;
mod rejoin;
mod replication;
mod rollout;
mod seed_method;
mod step;
mod switchover;

pub use desired::{Desired, DesiredError, HeldWrites, desired_state};
pub use entry::{Goal, Inputs, PlanError, plan, rebuild_play, replication_plans};
pub use gtid_move::{GtidMove, GtidStage, plan_gtid_move};
pub use install::PACKAGE_DATADIR;
pub use interleave::{HeldNode, IncrementChange, Interleave, Interleaving, interleavings};
pub use rejoin::{Rejoin, first_errant, plan_rejoins, refuse_errant};
pub use replication::{
    AccountReason, BrokenDirection, ConnectReason, MYSQL_PORT, MethodWhy, PhysicalSeed, Position,
    PositioningReason, Refusal, ReplStep, ReplicationPlan, StartReason, plan_rebuild,
    plan_replication,
};
pub use rollout::{Gate, Rolling, plan_rollout};
pub use step::{InstallReason, RestartReason, Step};
pub use switchover::{
    SwitchStep, Switchover, is_open, leave_read_only_to, plan_switchover, plan_switchovers,
};

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::facts::HostFacts;
use crate::flavor::Flavor;
use crate::model::{Project, Role};
use crate::mycnf::{same_value, server_options, set_global_value};

/// What will be done on one host, and the fingerprint of the facts it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostPlan {
    pub host: String,
    /// The server the plan was computed for, e.g. "MariaDB 10.11.19".
    pub server: String,
    pub fingerprint: String,
    pub steps: Vec<Step>,
    /// Risks the operator must see before applying (explicit opt-ins such as skipping replication errors).
    pub warnings: Vec<String>,
    /// Where the server writes its error log, read when a restart fails.
    pub log_error: Option<String>,
    /// The socket the config names: where the server answers after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket: Option<String>,
    /// Its restart's place in its play's rolling order; `None`: it restarts beside the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling: Option<Rolling>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub hosts: Vec<HostPlan>,
    /// Replication set-up, per play, carried out after every host's own steps.
    #[serde(default)]
    pub replication: Vec<ReplicationPlan>,
    /// MySQL groups moved to `gtid_mode = ON` live, before the host steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gtid_moves: Vec<GtidMove>,
    /// Plays whose `auto_increment` values change live, or whose joining nodes are held read-only until
    /// those changes can no longer collide (see `interleave`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interleavings: Vec<Interleaving>,
    /// Plays whose writer moves by a planned switchover, before the host steps, strictly in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switchovers: Vec<Switchover>,
    /// Old writers back after a failover, compared with their successors; rejoined once replication ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejoins: Vec<Rejoin>,
}

/// The counts of the summary line, Terraform's way: resources added, changed, destroyed; plus restarts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub restarts: usize,
}

impl Plan {
    /// The hosts the host phase changes: those with steps of their own, and those whose `auto_increment`
    /// values change or that are held read-only as they join. Sorted, each once.
    pub fn touched_hosts(&self) -> Vec<String> {
        let interleaved = self.interleavings.iter().flat_map(|s| {
            let changed = s.changes.iter().map(|c| c.host.clone());
            changed.chain(s.held.iter().map(|h| h.host.clone()))
        });
        self.hosts
            .iter()
            .filter(|h| !h.steps.is_empty())
            .map(|h| h.host.clone())
            .chain(interleaved)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The hosts the replication phase touches when it runs `replication` (this plan's, or the one decided
    /// again after the restarts): their nodes, and the held nodes opened afterwards with the peers whose
    /// sessions they wait on. Sorted, each once.
    pub fn replication_hosts(&self, replication: &[ReplicationPlan]) -> Vec<String> {
        let held = self.interleavings.iter().flat_map(|s| &s.held);
        replication
            .iter()
            .flat_map(|r| r.hosts())
            .chain(held.flat_map(|h| std::iter::once(h.host.clone()).chain(h.drain.clone())))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The replication plays of `project` this plan changes anything of: a host's steps, its replication
    /// steps or broken directions, a move to GTID, or auto_increment values.
    pub fn touched_plays(&self, project: &Project) -> BTreeSet<String> {
        let changed_hosts: BTreeSet<&str> = self
            .hosts
            .iter()
            .filter(|h| !h.steps.is_empty())
            .map(|h| h.host.as_str())
            .collect();
        let touches = |play: &str| {
            self.replication
                .iter()
                .any(|r| r.play == play && (!r.steps.is_empty() || !r.broken.is_empty()))
                || self.gtid_moves.iter().any(|m| m.play == play)
                || self.interleavings.iter().any(|i| i.play == play)
                || self.switchovers.iter().any(|s| s.play == play)
                || self.rejoins.iter().any(|r| r.play == play)
        };
        project
            .plays
            .iter()
            .filter(|p| p.has_role(Role::Replication))
            .filter(|p| {
                p.hosts.iter().any(|h| changed_hosts.contains(h.as_str())) || touches(&p.name)
            })
            .map(|p| p.name.clone())
            .collect()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for step in self.hosts.iter().flat_map(|h| &h.steps) {
            match step {
                Step::WriteConfig { before: None, .. } => s.add += 1,
                Step::WriteConfig { .. } | Step::SetGlobal { .. } => s.change += 1,
                Step::Restart { .. } => s.restarts += 1,
                Step::MoveDatadir { .. } | Step::ServiceSocket { .. } | Step::Harden => {
                    s.change += 1
                }
                Step::InstallServer { .. } => s.add += 1,
            }
        }
        s.change += self.gtid_moves.len() + self.switchovers.len() + self.rejoins.len();
        for stage in &self.interleavings {
            // A held node is held, then opened; one an earlier run held is only opened.
            let holds = stage.held.iter().filter(|h| !h.marked).count();
            s.change += stage.changes.len() + holds + stage.held.len();
        }
        for step in self.replication.iter().flat_map(|r| &r.steps) {
            match step {
                ReplStep::Account {
                    reason: AccountReason::Missing,
                    ..
                }
                | ReplStep::Connect { .. } => s.add += 1,
                ReplStep::Move { .. } => s.change += 1,
                ReplStep::Account { .. } => s.change += 1,
                ReplStep::Seed { .. }
                | ReplStep::Start { .. }
                | ReplStep::Credentials { .. }
                | ReplStep::Positioning { .. }
                | ReplStep::Repair { .. }
                | ReplStep::Tls { .. } => s.change += 1,
            }
        }
        s
    }

    /// The directions left broken: stopped on an error no step of the plan repairs.
    pub fn broken(&self) -> impl Iterator<Item = &BrokenDirection> {
        self.replication.iter().flat_map(|r| &r.broken)
    }

    /// Whether the hosts are not as the playbook wants them: steps to take, or directions left broken.
    pub fn differs(&self) -> bool {
        self.has_changes() || self.broken().next().is_some()
    }

    pub fn has_changes(&self) -> bool {
        !self.gtid_moves.is_empty()
            || !self.switchovers.is_empty()
            || !self.rejoins.is_empty()
            || !self.interleavings.is_empty()
            || self.hosts.iter().any(|h| !h.steps.is_empty())
            || self.replication.iter().any(|r| !r.steps.is_empty())
    }
}

/// Refuse, before anything changes, a config file the server would not read, or would read before another
/// file that sets the same options.
fn check_config_order(
    desired: &Desired,
    facts: &HostFacts,
    wanted: &std::collections::BTreeMap<String, String>,
) -> Result<(), Refusal> {
    let options: Vec<String> = wanted.keys().cloned().collect();
    match config_order::check(&facts.option_files, &desired.config_path, &options) {
        None => Ok(()),
        Some(wrong) => {
            let (message, help) = wrong.explain(&desired.config_path);
            Err(Refusal {
                play: desired.play.clone(),
                message: format!("{}: {message}", desired.host),
                help: Some(help),
            })
        }
    }
}

/// Whether a rendered config lets replicas start with the server (no `skip-slave-start`).
pub fn starts_replicas(config: &str) -> bool {
    let options = server_options(config);
    !options.contains_key("skip_slave_start") && !options.contains_key("skip_replica_start")
}

pub fn plan_host(
    desired: &Desired,
    facts: &HostFacts,
    flavor: &dyn Flavor,
) -> Result<HostPlan, Refusal> {
    let mut steps = Vec::new();
    let wanted = server_options(&desired.config);
    let install = install::plan_install(desired, facts, &wanted)?;
    let installing = install.install.is_some();
    if !installing {
        check_config_order(desired, facts, &wanted)?;
    }
    let layout = layout::plan_layout(desired, facts, &wanted, installing)?;
    steps.extend(install.install);
    steps.extend(layout.before_config);
    let config_changes = facts.config.as_deref() != Some(desired.config.as_str());
    if config_changes {
        steps.push(Step::WriteConfig {
            path: desired.config_path.clone(),
            before: facts.config.clone(),
            after: desired.config.clone(),
        });
    }
    steps.extend(layout.after_config);

    let before = facts
        .config
        .as_deref()
        .map(server_options)
        .unwrap_or_default();
    let mut reasons = Vec::new();
    let mut set_globals = Vec::new();
    if !facts.running {
        reasons.push(RestartReason::NotRunning);
    } else {
        for (variable, value) in &wanted {
            if desired.gtid_moved_online && gtid_move::moved_online(variable) {
                continue;
            }
            // The play's interleaving stage sets these live, in its order (see `interleave`).
            if desired.interleave_change.is_some() && variable.starts_with("auto_increment_") {
                continue;
            }
            if desired.held.is_some() && variable.ends_with("read_only") {
                continue;
            }
            if crate::mycnf::START_ONLY.contains(&variable.as_str()) {
                continue;
            }
            match facts.variables.get(variable) {
                Some(live) if same_value(value, live) => {}
                Some(live) if flavor.is_dynamic(variable) => set_globals.push(Step::SetGlobal {
                    variable: variable.clone(),
                    value: set_global_value(value),
                    live: live.clone(),
                }),
                Some(live) => reasons.push(RestartReason::StaticChanged {
                    variable: variable.clone(),
                    live: live.clone(),
                    wanted: value.clone(),
                }),
                None if before.get(variable) != Some(value) => {
                    reasons.push(RestartReason::Unverifiable {
                        variable: variable.clone(),
                    })
                }
                None => {}
            }
        }
    }
    if reasons.is_empty() {
        steps.extend(set_globals);
    } else {
        steps.push(Step::Restart {
            command: desired.restart_command.clone(),
            reasons,
        });
    }
    steps.extend(install.harden);
    let server = if installing {
        format!("{}, to be installed", flavor.version().series())
    } else {
        flavor.version().to_string()
    };
    Ok(HostPlan {
        host: desired.host.clone(),
        server,
        fingerprint: facts.fingerprint().map_err(|e| Refusal {
            play: "(facts)".into(),
            message: format!("{}'s facts cannot be fingerprinted: {e}", desired.host),
            help: None,
        })?,
        steps,
        warnings: desired.warnings.clone(),
        log_error: wanted.get("log_error").cloned(),
        socket: wanted.get("socket").cloned(),
        rolling: None,
    })
}

#[cfg(test)]
mod tests;
