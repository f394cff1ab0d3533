//! The one way into planning: [`plan`] turns a project, the facts read from its hosts and the inputs the
//! engine read up front (templates, what the passwords let it ask) into a whole [`Plan`]. The engine orchestrates a
//! run around it (read, plan, show, apply); it never assembles a plan from the parts itself.
//!
//! A converge ([`Goal::Converge`]) goes:
//! 1. the desired state of every server host (rendered config, flavor, restart command);
//! 2. each host's steps, then their restarts ordered into rolling batches;
//! 3. each replication play's steps, for the servers as they will be after those host steps;
//! 4. each play's live move to GTID (its warnings with the play's replication), and its `auto_increment`
//!    interleaving.
//!
//! A rebuild ([`Goal::Rebuild`]) is one replication plan that seeds a host afresh from its source.

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use thiserror::Error;

use super::{
    Desired, DesiredError, GtidMove, HostPlan, Plan, Refusal, ReplicationPlan, Step, desired_state,
    interleavings, leave_read_only_to, plan_gtid_move, plan_host, plan_rebuild, plan_rejoins,
    plan_replication, plan_rollout, plan_switchovers, refuse_errant, starts_replicas,
};
use crate::facts::HostFacts;
use crate::model::{Play, Project, Role, Serial};
use crate::replication::password::PasswordCheck;

/// What a plan is for.
#[derive(Debug, Clone, Copy)]
pub enum Goal<'a> {
    /// Every host and every replication play as the playbook says.
    Converge,
    /// `host`'s data replaced by a fresh seed from its source (`from`, when given, must be that source).
    Rebuild {
        host: &'a str,
        from: Option<&'a str>,
    },
}

/// Everything a plan is made from; all of it read before planning starts.
pub struct Inputs<'a> {
    pub project: &'a Project,
    pub facts: &'a BTreeMap<String, HostFacts>,
    /// Each server play's template text, by the path the play names.
    pub templates: &'a BTreeMap<String, String>,
    /// How many nodes of a live play restart at once, over the plays' own `serial:`.
    pub serial: Option<Serial>,
    /// What each replication play's password lets the plan ask, to tell a changed secret from the stored
    /// one without holding it.
    pub password_checks: &'a BTreeMap<String, PasswordCheck>,
}

/// Why no plan could be made.
#[derive(Debug, Error, Diagnostic)]
pub enum PlanError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Desired(#[from] DesiredError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Refused(#[from] Refusal),
}

/// The whole plan for `goal`.
pub fn plan(inputs: &Inputs, goal: Goal) -> Result<Plan, PlanError> {
    match goal {
        Goal::Converge => converge(inputs),
        Goal::Rebuild { host, from } => Ok(rebuild(inputs, host, from)?),
    }
}

/// The replication steps of every replication play; `restarting`: the hosts whose server the host steps
/// restart (their replication is decided again afterwards). The engine calls this again, with nobody
/// restarting, to decide replication anew once the host steps are done.
pub fn replication_plans(
    inputs: &Inputs,
    restarting: &BTreeSet<String>,
) -> Result<Vec<ReplicationPlan>, Refusal> {
    replication_plays(inputs.project)
        .map(|p| {
            let password = inputs.password_checks.get(&p.name);
            plan_replication(inputs.project, p, inputs.facts, password, restarting)
        })
        .collect()
}

fn converge(inputs: &Inputs) -> Result<Plan, PlanError> {
    let desired = desired_state(inputs.project, inputs.facts, inputs.templates)?;
    for d in &desired {
        // The service manager chosen (the inventory's, or the one found on the host) shows in -v.
        log::info!("{}: mysqld is restarted by `{}`", d.host, d.restart_command);
    }
    let mut hosts = host_plans(inputs, &desired)?;
    let mut replication = replication_plans(inputs, &restarting(&hosts))?;
    let gtid_moves = gtid_moves(inputs, &mut replication);
    // A moving writer's read_only is the switchover's to set, in its order, not a host step's.
    let switchovers = plan_switchovers(inputs.project, inputs.facts, &desired)?;
    leave_read_only_to(&switchovers, &mut hosts);
    Ok(Plan {
        hosts,
        replication,
        gtid_moves,
        interleavings: interleavings(&desired, inputs.facts),
        switchovers,
        rejoins: plan_rejoins(inputs.project, inputs.facts)?,
    })
}

/// Each host's own steps, their restarts placed in their play's rolling order.
fn host_plans(inputs: &Inputs, desired: &[Desired]) -> Result<Vec<HostPlan>, Refusal> {
    let mut hosts: Vec<HostPlan> = desired
        .iter()
        .filter_map(|d| {
            let facts = inputs.facts.get(&d.host)?;
            Some(plan_host(d, facts, d.flavor.as_ref()))
        })
        .collect::<Result<_, _>>()?;
    let starts: BTreeMap<String, bool> = desired
        .iter()
        .map(|d| (d.host.clone(), starts_replicas(&d.config)))
        .collect();
    plan_rollout(
        inputs.project,
        inputs.facts,
        &mut hosts,
        inputs.serial,
        &starts,
    );
    Ok(hosts)
}

/// The hosts whose host steps restart their server.
fn restarting(hosts: &[HostPlan]) -> BTreeSet<String> {
    hosts
        .iter()
        .filter(|h| h.steps.iter().any(|s| matches!(s, Step::Restart { .. })))
        .map(|h| h.host.clone())
        .collect()
}

/// Each replication play's move to `gtid_mode = ON` (MySQL), its warnings with the play's replication.
fn gtid_moves(inputs: &Inputs, replication: &mut [ReplicationPlan]) -> Vec<GtidMove> {
    let mut moves = Vec::new();
    for play in replication_plays(inputs.project) {
        let mut warnings = Vec::new();
        moves.extend(plan_gtid_move(
            inputs.project,
            play,
            inputs.facts,
            &mut warnings,
        ));
        if let Some(r) = replication.iter_mut().find(|r| r.play == play.name) {
            r.warnings.extend(warnings);
        }
    }
    moves
}

/// The replication play a host to rebuild is in; refused when it is in none. The engine asks this before
/// it reads any host, so a wrong name contacts nothing.
pub fn rebuild_play<'p>(project: &'p Project, host: &str) -> Result<&'p Play, Refusal> {
    replication_plays(project)
        .find(|p| p.hosts.iter().any(|h| h == host))
        .ok_or_else(|| Refusal {
            play: "(none)".into(),
            message: format!("{host} is in no replication play of the playbook"),
            help: Some("name a host of a play with the replication role".into()),
        })
}

/// The plan that replaces `host`'s data with a fresh seed from its source and connects it again.
fn rebuild(inputs: &Inputs, host: &str, from: Option<&str>) -> Result<Plan, Refusal> {
    let play = rebuild_play(inputs.project, host)?;
    let errant = plan_rejoins(inputs.project, inputs.facts)?
        .into_iter()
        .find(|r| r.old_writer == host && !r.errant.is_empty());
    if let Some(r) = errant {
        // A rebuild replaces the data, not the binary logs: the successor would fetch the errant
        // transactions from them as soon as it replicates from the rebuilt node.
        return Err(refuse_errant(&r, None));
    }
    let rebuild = plan_rebuild(inputs.project, play, inputs.facts, host, from)?;
    Ok(Plan {
        hosts: Vec::new(),
        replication: vec![rebuild],
        gtid_moves: Vec::new(),
        interleavings: Vec::new(),
        switchovers: Vec::new(),
        rejoins: Vec::new(),
    })
}

fn replication_plays(project: &Project) -> impl Iterator<Item = &Play> {
    project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
}
