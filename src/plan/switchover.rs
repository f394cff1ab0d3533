//! Moving the writer of a play by a planned switchover, when its declared `writer:` is not the node taking
//! writes now. Pure, like the rest of `plan`: it decides from the facts read, and never reaches a host.
//!
//! A play with `writer:` has one open node (`read_only` OFF) and passive ones. When the declared writer is
//! passive and another node is open, the writer moves, strictly in this order, each step behind its gate:
//! 1. the `before_switchover` hook (if any): failing, it stops everything before anything changes;
//! 2. close the old writer (`read_only`, and `super_read_only` where the server has it);
//! 3. end its open client transactions, or wait them out, within `--drain-timeout`;
//! 4. wait until the new writer has executed every transaction the old one wrote, within `--gate-timeout`
//!    (a gate that fails puts the old writer back, open, and apply says so);
//! 5. open the new writer;
//! 6. the `after_switchover` hook (if any).
//!
//! The host steps never set `read_only` on those two nodes themselves: two `SET GLOBAL`s run side by side
//! could open the new writer before the old one is closed. Before anything changes the plan refuses a
//! switchover the new writer cannot take: its replica broken, stopped or lagging past `max_switchover_lag`,
//! or the old writer's server down (that is a failover, `mmprov failover`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::replication::Refusal;
use super::{Desired, HostPlan, Step};
use crate::facts::HostFacts;
use crate::model::{Play, Project, Role};
use crate::replication::verdict::{Verdict, judge};

/// One play's move of its writer, as planned and carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switchover {
    pub play: String,
    pub old_writer: String,
    pub new_writer: String,
    pub old_address: String,
    pub new_address: String,
    /// How far behind its source the new writer's replica was when planned, in seconds.
    pub new_writer_lag: Option<u64>,
    /// The steps, in the order they run.
    pub steps: Vec<SwitchStep>,
    /// Seconds each hook may run.
    pub hook_timeout: u64,
}

/// One step of a switchover; each runs only once the one before it has passed its gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SwitchStep {
    /// A command run on the controller before anything changes.
    BeforeHook { command: String },
    /// The old writer made read-only: these variables set, in order.
    Close {
        host: String,
        settings: Vec<(String, String)>,
    },
    /// The old writer's open client transactions ended, or waited out.
    Drain { host: String },
    /// The new writer has executed every transaction `from` wrote.
    CatchUp { host: String, from: String },
    /// The new writer opened for writes: these variables set, in order.
    Open {
        host: String,
        settings: Vec<(String, String)>,
    },
    /// A command run on the controller once the new writer is open.
    AfterHook { command: String },
}

/// Whether a server's `read_only` is OFF: it takes application writes.
pub fn is_open(facts: &HostFacts) -> bool {
    facts.running
        && facts
            .variables
            .get("read_only")
            .is_some_and(|v| v.eq_ignore_ascii_case("OFF") || v == "0")
}

/// The switchover of every play whose declared writer is not its open node.
pub fn plan_switchovers(
    project: &Project,
    facts: &BTreeMap<String, HostFacts>,
    desired: &[Desired],
) -> Result<Vec<Switchover>, Refusal> {
    let mut out = Vec::new();
    for play in project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
    {
        out.extend(plan_switchover(project, play, facts, desired)?);
    }
    Ok(out)
}

/// The play's switchover, if its declared writer is passive now and another node is open.
pub fn plan_switchover(
    project: &Project,
    play: &Play,
    facts: &BTreeMap<String, HostFacts>,
    desired: &[Desired],
) -> Result<Option<Switchover>, Refusal> {
    let Some(new) = play.writer() else {
        return Ok(None);
    };
    let Some(new_facts) = facts.get(new) else {
        return Ok(None);
    };
    if is_open(new_facts) {
        return Ok(None);
    }
    let Some(old) = old_writer(play, new, facts)? else {
        return Ok(None);
    };
    let lag = check_new_writer(play, new, new_facts, old)?;
    let flavor_of = |host: &str| desired.iter().find(|d| d.host == host);
    let (Some(old_d), Some(new_d)) = (flavor_of(old), flavor_of(new)) else {
        return Ok(None);
    };
    let address = |h: &str| {
        project
            .hosts
            .get(h)
            .map_or_else(|| h.to_string(), |h| h.address.clone())
    };
    Ok(Some(Switchover {
        play: play.name.clone(),
        old_writer: old.to_string(),
        new_writer: new.to_string(),
        old_address: address(old),
        new_address: address(new),
        new_writer_lag: lag,
        steps: steps(play, old_d, new_d),
        hook_timeout: play.vars.hooks.timeout,
    }))
}

/// The one other node taking writes now; `None` when none does (opening the new writer is then enough).
/// Refused when another node's server is down (a failover) or several take writes.
fn old_writer<'a>(
    play: &'a Play,
    new: &str,
    facts: &BTreeMap<String, HostFacts>,
) -> Result<Option<&'a str>, Refusal> {
    let refuse = |message: String, help: &str| Refusal {
        play: play.name.clone(),
        message,
        help: Some(help.to_string()),
    };
    let others: Vec<&String> = play.hosts.iter().filter(|h| *h != new).collect();
    if let Some(down) = others
        .iter()
        .find(|h| facts.get(h.as_str()).is_some_and(|f| !f.running))
    {
        return Err(refuse(
            format!(
                "the writer moves to {new}, but the server of {down} does not run: a switchover needs the old \
                 writer closed first, and a writer that cannot be reached is a failover"
            ),
            &format!(
                "if {down} was the writer and is lost, run `mmprov failover PLAYBOOK --to {new}`; if it is only \
                 stopped, start it and plan again"
            ),
        ));
    }
    let open: Vec<&String> = others
        .into_iter()
        .filter(|h| facts.get(h.as_str()).is_some_and(is_open))
        .collect();
    match open.as_slice() {
        [] => Ok(None),
        [old] => Ok(Some(old.as_str())),
        many => {
            let many: Vec<&str> = many.iter().map(|h| h.as_str()).collect();
            Err(refuse(
                format!(
                    "the writer moves to {new}, but {} all take writes now: a switchover moves one writer",
                    many.join(" and ")
                ),
                "declare one of them as `writer:` first, apply, then move the writer",
            ))
        }
    }
}

/// The steps in the order they run: hook, close, drain, catch up, open, hook.
fn steps(play: &Play, old: &Desired, new: &Desired) -> Vec<SwitchStep> {
    let settings = |d: &Desired, on: bool| {
        let mut s: Vec<(String, String)> = d
            .flavor
            .read_only(on)
            .into_iter()
            .map(|s| (s.name, s.value))
            .collect();
        if !on {
            // `super_read_only` goes OFF first: the server refuses read_only OFF while it is ON.
            s.reverse();
        }
        s
    };
    let hooks = &play.vars.hooks;
    let mut steps = Vec::new();
    if let Some(command) = &hooks.before_switchover {
        steps.push(SwitchStep::BeforeHook {
            command: command.clone(),
        });
    }
    steps.extend([
        SwitchStep::Close {
            host: old.host.clone(),
            settings: settings(old, true),
        },
        SwitchStep::Drain {
            host: old.host.clone(),
        },
        SwitchStep::CatchUp {
            host: new.host.clone(),
            from: old.host.clone(),
        },
        SwitchStep::Open {
            host: new.host.clone(),
            settings: settings(new, false),
        },
    ]);
    if let Some(command) = &hooks.after_switchover {
        steps.push(SwitchStep::AfterHook {
            command: command.clone(),
        });
    }
    steps
}

/// Refuse a new writer whose replica cannot bring it the old writer's transactions soon: broken, stopped,
/// not replicating, or lagging past `max_switchover_lag`. Its lag, when it may take over.
fn check_new_writer(
    play: &Play,
    new: &str,
    facts: &HostFacts,
    old: &str,
) -> Result<Option<u64>, Refusal> {
    let refuse = |message: String, help: String| Refusal {
        play: play.name.clone(),
        message: format!("the writer cannot move from {old} to {new}: {message}"),
        help: Some(help),
    };
    let Some(status) = facts.replication.as_ref().and_then(|r| r.replica.as_ref()) else {
        return Err(refuse(
            format!("{new} does not replicate, so it does not hold what {old} wrote"),
            "let `mmprov apply` connect it first (keep the writer where it is), then move the writer".into(),
        ));
    };
    let verdict = judge(status);
    match &verdict {
        Verdict::Healthy => Ok(status.seconds_behind),
        Verdict::CatchingUp { seconds_behind } => match seconds_behind {
            Some(lag) if *lag > play.vars.max_switchover_lag => Err(refuse(
                format!(
                    "{new}'s replica is {lag} s behind, past max_switchover_lag ({} s)",
                    play.vars.max_switchover_lag
                ),
                "wait until it has caught up (mmprov status), or raise max_switchover_lag".into(),
            )),
            lag => Ok(*lag),
        },
        other => Err(refuse(
            format!("{new}'s replica is {}", other.describe()),
            "repair it first (mmprov status shows how), then move the writer".into(),
        )),
    }
}

/// Take the `read_only` switches of the nodes a switchover moves out of their host steps: the switchover
/// sets them, in its order.
pub fn leave_read_only_to(switchovers: &[Switchover], hosts: &mut [HostPlan]) {
    for host in hosts.iter_mut() {
        let moved = switchovers
            .iter()
            .any(|s| s.old_writer == host.host || s.new_writer == host.host);
        if moved {
            host.steps.retain(|step| {
                !matches!(step, Step::SetGlobal { variable, .. } if variable.ends_with("read_only"))
            });
        }
    }
}

#[cfg(test)]
mod tests;
