//! The replication half of a plan: who replicates from whom, which accounts to create, which node is seeded
//! from which, and where each replica starts reading. Pure, like the rest of `plan`.
//!
//! Per play with the `replication` role, the hosts form a ring in host order (two hosts: the classic pair).
//! For each replica and its source:
//! 1. The source needs the account `user@replica-address` unless it has it (and the replica was not refused).
//! 2. A replica not yet pointing at its source is connected. If the seed source holds application data, every
//!    such replica is first seeded from it; one that holds data itself is refused unless `seed_overwrite`.
//! 3. A replica pointing at the right source with stopped threads is started.
//!
//! Positions are decided at apply time: a replica seeded from its own source starts at the dump's coordinates;
//! every other one at its source's binlog position at that moment (after any restore into that source, which
//! is not binlogged).

use serde::{Deserialize, Serialize};

use crate::facts::HostFacts;
use crate::model::{Play, Project};

/// The port replication connects to.
pub const MYSQL_PORT: u16 = 3306;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// The coordinates recorded in the dump this replica was seeded from.
    Seed,
    /// The source's binlog position when the replica is connected.
    SourceNow,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReplStep {
    Account {
        source: String,
        replica: String,
        replica_address: String,
        user: String,
    },
    Seed {
        from: String,
        to: String,
        schemas: Vec<String>,
        tables: u64,
        bytes: u64,
        overwrite: bool,
    },
    Connect {
        replica: String,
        source: String,
        source_address: String,
        port: u16,
        user: String,
        position: Position,
    },
    Start {
        replica: String,
        source: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationPlan {
    pub play: String,
    pub steps: Vec<ReplStep>,
    pub warnings: Vec<String>,
}

/// Why a replication plan cannot be made as the playbook stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("play `{play}`: {message}")]
#[diagnostic(code(mmprov::refused))]
pub struct Refusal {
    pub play: String,
    pub message: String,
    #[help]
    pub help: Option<String>,
}

pub fn plan_replication(
    project: &Project,
    play: &Play,
    facts: &std::collections::BTreeMap<String, HostFacts>,
) -> Result<ReplicationPlan, Refusal> {
    let user = play.vars.replication_user.clone();
    let address = |h: &str| {
        project
            .hosts
            .get(h)
            .map(|x| x.address.clone())
            .unwrap_or_else(|| h.to_string())
    };
    let repl = |h: &str| facts.get(h).and_then(|f| f.replication.as_ref());
    let refuse = |message: String, help: Option<String>| Refusal {
        play: play.name.clone(),
        message,
        help,
    };

    let mut accounts = Vec::new();
    let mut connects = Vec::new();
    let mut starts = Vec::new();
    let mut warnings = Vec::new();
    let mut unconnected = Vec::new();
    for (replica, source) in play.ring() {
        let status = repl(replica).and_then(|r| r.replica.as_ref());
        let refused = status.is_some_and(|s| s.last_io_errno == 1045);
        let has_account = repl(source).is_some_and(|r| r.account_hosts.contains(&address(replica)));
        if !has_account || refused {
            accounts.push(ReplStep::Account {
                source: source.into(),
                replica: replica.into(),
                replica_address: address(replica),
                user: user.clone(),
            });
        }
        match status {
            Some(s) if s.points_at(&address(source), MYSQL_PORT, &user) => {
                if let Some((errno, text)) = s.error() {
                    let why =
                        crate::replication::explain(errno).unwrap_or("see the server's error log");
                    warnings.push(format!(
                        "{replica} stopped replicating from {source}: error {errno}: {text}. {why}"
                    ));
                }
                if !s.healthy() && s.error().is_none_or(|(errno, _)| errno == 1045) {
                    starts.push(ReplStep::Start {
                        replica: replica.into(),
                        source: source.into(),
                    });
                }
            }
            _ => unconnected.push((replica, source)),
        }
    }

    let seed_source = play.seed_source().unwrap_or_default();
    let truth = repl(seed_source);
    let mut seeded = Vec::new();
    let mut seeds = Vec::new();
    for (replica, _) in &unconnected {
        if *replica == seed_source {
            continue;
        }
        let target_has_data = repl(replica).is_some_and(|r| r.holds_data());
        match truth {
            Some(t) if t.holds_data() => {
                if target_has_data && !play.vars.seed_overwrite {
                    return Err(refuse(
                        format!("{replica} holds application data and does not replicate yet: seeding it from {seed_source} would replace that data"),
                        Some("if its data may go, set `seed_overwrite: true` in the play's vars; if it is the truth, set `seed_from` to it".into()),
                    ));
                }
                let schemas: Vec<&crate::facts::SchemaSize> = t.schemas.iter().collect();
                seeds.push(ReplStep::Seed {
                    from: seed_source.into(),
                    to: (*replica).into(),
                    schemas: schemas.iter().map(|s| s.name.clone()).collect(),
                    tables: schemas.iter().map(|s| s.tables).sum(),
                    bytes: schemas.iter().map(|s| s.bytes).sum(),
                    overwrite: target_has_data,
                });
                seeded.push(*replica);
            }
            _ if target_has_data => {
                return Err(refuse(
                    format!(
                        "{replica} holds application data but the seed source {seed_source} holds none"
                    ),
                    Some(format!(
                        "set `seed_from: {replica}` in the play's vars to make {replica}'s data the truth"
                    )),
                ));
            }
            _ => {}
        }
    }
    for (replica, source) in unconnected {
        let position = if seeded.contains(&replica) && source == seed_source {
            Position::Seed
        } else {
            Position::SourceNow
        };
        connects.push(ReplStep::Connect {
            replica: replica.into(),
            source: source.into(),
            source_address: address(source),
            port: MYSQL_PORT,
            user: user.clone(),
            position,
        });
    }
    let mut steps = accounts;
    steps.extend(seeds);
    steps.extend(connects);
    steps.extend(starts);
    Ok(ReplicationPlan {
        play: play.name.clone(),
        steps,
        warnings,
    })
}
