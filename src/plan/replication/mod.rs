//! The replication half of a plan: who replicates from whom, which accounts to create, which node is seeded
//! from which, and where each replica starts reading. Pure, like the rest of `plan`.
//!
//! Per play with the `replication` role, the hosts form a ring in host order (two hosts: the classic pair).
//! For each replica and its source:
//! 1. The source needs the account `user@replica-address` unless it has it (and the replica was not refused).
//! 2. A replica not yet pointing at its source is connected. If the seed source holds application data, every
//!    such replica is first seeded from it; one that holds data itself is refused unless `seed_overwrite`.
//! 3. A replica pointing at the right source with stopped threads is started; one pointing at the right host
//!    and port with another (or a refused) account gets new credentials only. CHANGE MASTER is never re-issued
//!    with the same host and port just to converge: it would reset the replica's position.
//!
//! Positions are decided at apply time: a replica seeded from its own source starts at the dump's coordinates;
//! every other one at its source's binlog position at that moment (after any restore into that source, which
//! is not binlogged).
//!
//! The files, one concern each: `steps` (what a plan is made of, with reasons), `replication_plan` (one
//! play's plan), `broken` (a direction left broken, with its fix), `planner` (what a play is
//! planned from, and one direction's decision), `accounts`, `on_source` (a replica on its source),
//! `seeds` (seeds and connects), `rebuild` (`mmprov rebuild`'s plan).

mod accounts;
mod broken;
mod on_source;
mod planner;
mod rebuild;

mod replication_plan;
mod seeds;
mod steps;

use std::collections::{BTreeMap, BTreeSet};

pub use super::refusal::Refusal;
pub use super::seed_method::{MethodWhy, PhysicalSeed};
pub use crate::model::MYSQL_PORT;
pub use broken::BrokenDirection;
pub use rebuild::plan_rebuild;
pub use replication_plan::ReplicationPlan;
pub use steps::{AccountReason, ConnectReason, Position, PositioningReason, ReplStep, StartReason};

use crate::facts::HostFacts;
use crate::model::{Play, Project};
use crate::replication::password::PasswordCheck;
use planner::Planner;

/// `password`: the fingerprint of the play's replication password (`replication::password`), to tell a
/// changed secret from the stored one; `None` when it is not known. `restarting`: the hosts whose server the
/// host steps restart. Their replicas are planned as they will be after it (threads stopped: the rendered
/// config starts no replica with the server), and the plan is marked as decided again then.
///
/// 1. Refuse a play whose hosts lack the TLS files it names.
/// 2. The directions the run may plan (`--limit`), each decided on its own ([`Planner::direction`]): the
///    account on the source, and for a replica already on its source the credentials, TLS or start it needs.
/// 3. The replicas on no source (or another) are seeded when the seed source holds data ([`Planner::seeds`]),
///    then connected ([`Planner::connect`]).
/// 4. The hosts whose restart (or start) decides the plan again.
pub fn plan_replication(
    project: &Project,
    play: &Play,
    facts: &BTreeMap<String, HostFacts>,
    password: Option<&PasswordCheck>,
    restarting: &BTreeSet<String>,
) -> Result<ReplicationPlan, Refusal> {
    let planner = Planner {
        project,
        play,
        facts,
        password,
        restarting,
        tls: play.vars.replication_tls.as_ref(),
    };
    planner.check_tls_files()?;
    let mut warnings = super::families::check_families(play, facts)?;
    if !play.vars.gtid {
        warnings.push(
            "the play sets `gtid: false`: replicas keep a binary log file and position, which a crash can replay \
             or skip, so they do not start with the server: after any restart of a node, its replication waits \
             for `mmprov apply` (or START SLAVE)"
                .into(),
        );
    }
    let (mut accounts, mut starts, mut unconnected) = (Vec::new(), Vec::new(), Vec::new());
    let (mut moves, mut broken) = (Vec::new(), Vec::new());
    let directions: Vec<(&str, &str)> = planner.directions(&mut warnings).into_iter().collect();
    for &(replica, source) in &directions {
        let direction = planner.direction(replica, source, &mut warnings);
        accounts.extend(direction.account);
        starts.extend(direction.on_source);
        unconnected.extend(direction.unconnected);
        moves.extend(direction.moved);
        broken.extend(direction.broken);
    }
    let (seeds, seeded) = planner.seeds(&mut unconnected, &mut warnings)?;
    planner.check_joins_can_carry_the_seed_over(&unconnected, &seeded)?;
    accounts.extend(planner.accounts_after_copies(&seeds, &directions, &accounts));
    let connects: Vec<ReplStep> = unconnected
        .into_iter()
        .flat_map(|(replica, source, reason)| planner.connect(replica, source, reason, &seeded))
        .collect();
    let restarts =
        planner.replicas_of_replaced_logs(&seeds, &directions, &[&starts, &connects, &moves]);
    let mut steps = accounts;
    steps.extend(seeds);
    steps.extend(connects);
    steps.extend(restarts);
    // After the connects: a node that joins replicates before another moves onto it.
    steps.extend(moves);
    steps.extend(starts);
    Ok(ReplicationPlan {
        play: play.name.clone(),
        steps,
        decided_after: planner.decided_after(&mut warnings),
        warnings,
        broken,
    })
}

#[cfg(test)]
mod tests;
