//! `mmprov rebuild`: the plan that replaces one node's data with a fresh seed from its own source, points
//! it at that source from the seed's coordinates, and starts the node's own replicas again.

use std::collections::{BTreeMap, BTreeSet};

use super::planner::Planner;
use super::{ConnectReason, Position, Refusal, ReplStep, ReplicationPlan, StartReason};
use crate::facts::HostFacts;
use crate::model::{Play, Project};

/// `mmprov rebuild`: `host`'s data replaced by a fresh seed from `from` (by default, and necessarily, the node
/// it replicates from in the play's ring: the seed's coordinates are in that node's binary log), then `host`
/// pointed at it from those coordinates. The seed is the play's `seed_method`, always over `host`'s data
/// (the command itself is the consent, and it is confirmed). The nodes replicating from `host` are started
/// again after it, since the binary log they read may be replaced with its data.
pub fn plan_rebuild(
    project: &Project,
    play: &Play,
    facts: &BTreeMap<String, HostFacts>,
    host: &str,
    from: Option<&str>,
) -> Result<ReplicationPlan, Refusal> {
    let restarting = BTreeSet::new();
    let planner = Planner {
        project,
        play,
        facts,
        password: None,
        restarting: &restarting,
        tls: play.vars.replication_tls.as_ref(),
    };
    let mut warnings = Vec::new();
    let directions = planner.directions(&mut warnings);
    let Some(&(_, source)) = directions.iter().find(|(replica, _)| *replica == host) else {
        return Err(planner.refuse(
            format!("{host} replicates from no node of the play (within --limit): there is nothing to rebuild it from"),
            Some("name a host of a replication play, and leave its source inside --limit".into()),
        ));
    };
    if let Some(asked) = from.filter(|f| *f != source) {
        return Err(planner.refuse(
            format!("{host} replicates from {source} in this play, not from {asked}"),
            Some(format!(
                "rebuild it from {source} (leave out --from): the copy's coordinates must be in its own source's binary log"
            )),
        ));
    }
    for node in [host, source] {
        if planner.repl(node).is_none() {
            return Err(planner.refuse(
                format!("{node}'s mysqld is not running, or its replication could not be read"),
                Some(format!("start {node}'s mysqld, then rebuild")),
            ));
        }
    }
    let schemas = planner
        .repl(source)
        .map(|r| r.schemas.clone())
        .unwrap_or_default();
    let bytes = schemas.iter().map(|s| s.bytes).sum();
    let (physical, method_why) = crate::plan::seed_method::choose(play, facts, source, host, bytes)
        .map_err(|detail| planner.refuse(format!("seed_method: physical, but {detail}"), None))?;
    let physical = planner.addressed(physical, source, host);
    if physical.is_none() && schemas.is_empty() {
        return Err(planner.refuse(
            format!("{source} holds no application data, so a dump of it would replace nothing on {host}"),
            Some("set `seed_method: physical` to copy its whole instance".into()),
        ));
    }
    let seed = ReplStep::Seed {
        from: source.into(),
        to: host.into(),
        schemas: schemas.iter().map(|s| s.name.clone()).collect(),
        tables: schemas.iter().map(|s| s.tables).sum(),
        bytes,
        overwrite: true,
        interrupted: false,
        physical,
        method_why,
    };
    let mut steps = planner.accounts_after_copies(std::slice::from_ref(&seed), &directions, &[]);
    steps.push(seed);
    let mut connect = planner.connect(host, source, ConnectReason::Rebuilt, &[]);
    for step in &mut connect {
        if let ReplStep::Connect { position, .. } = step {
            *position = Position::Seed;
        }
    }
    steps.extend(connect);
    // Its replicas read a binary log the rebuild replaces (a copy of files, MySQL's clone, a dump that
    // resets GTID history): each starts again, and by GTID it asks the rebuilt node for what it lacks.
    steps.extend(
        directions
            .iter()
            .filter(|(replica, from)| *from == host && *replica != host)
            .map(|&(replica, _)| ReplStep::Start {
                replica: replica.into(),
                source: host.into(),
                reason: StartReason::SourceRebuilt,
            }),
    );
    Ok(ReplicationPlan {
        play: play.name.clone(),
        steps,
        warnings,
        decided_after: Vec::new(),
        broken: Vec::new(),
    })
}
