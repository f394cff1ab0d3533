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

use serde::{Deserialize, Serialize};

pub use super::seed_method::{MethodWhy, PhysicalSeed};

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::{HostFacts, ReplicationFacts};
use crate::model::{Play, Project, ReplicationTls};
use crate::replication::{ReplicaStatus, Verdict, judge, lost_source_logs};

pub use crate::model::MYSQL_PORT;

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
        /// The account may only connect over TLS.
        #[serde(default)]
        tls: bool,
        #[serde(default)]
        reason: AccountReason,
    },
    Seed {
        from: String,
        to: String,
        schemas: Vec<String>,
        tables: u64,
        bytes: u64,
        overwrite: bool,
        /// Redoes a seed of this node that was interrupted.
        #[serde(default)]
        interrupted: bool,
        /// A copy of the whole instance's files; `None`: a dump of `schemas`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        physical: Option<PhysicalSeed>,
        #[serde(default)]
        method_why: MethodWhy,
    },
    Connect {
        replica: String,
        source: String,
        source_address: String,
        port: u16,
        user: String,
        position: Position,
        #[serde(default)]
        tls: Option<ReplicationTls>,
        /// Positioned by GTID: the source's coordinates are turned into the replica's GTID position.
        #[serde(default)]
        gtid: bool,
        #[serde(default)]
        reason: ConnectReason,
    },
    /// A replica positioned by GTID taken from the node it replicates from now to its source in the play,
    /// once that source holds everything it has applied: its position is kept, so nothing is applied twice
    /// or skipped (the ring re-wired when a node joins or leaves).
    Move {
        replica: String,
        /// Where it replicates from now (`host:port as user`, or a node's name).
        from: String,
        source: String,
        source_address: String,
        port: u16,
        user: String,
        #[serde(default)]
        tls: Option<ReplicationTls>,
    },
    /// Right source: switch how it positions itself (GTID or file/position) at the point it has applied,
    /// with the short connect retry; nothing is applied twice or skipped.
    Positioning {
        replica: String,
        source: String,
        gtid: bool,
        reasons: Vec<PositioningReason>,
    },
    Start {
        replica: String,
        source: String,
        #[serde(default)]
        reason: StartReason,
    },
    /// Right source, stopped because the source's binary logs no longer hold where it was reading (1236):
    /// connected again by GTID, which asks the source for exactly what it lacks. The source refuses again
    /// if it cannot serve that, so nothing is skipped.
    Repair {
        replica: String,
        source: String,
        errno: u32,
        error: String,
    },
    /// Right source, wrong or refused account: change only user and password (the position is kept).
    Credentials {
        replica: String,
        source: String,
        user: String,
    },
    /// Right source and account, other TLS settings: change only those (the position is kept).
    Tls {
        replica: String,
        source: String,
        tls: Option<ReplicationTls>,
    },
}

/// Why a replica is pointed at its source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum ConnectReason {
    /// It replicates from nothing.
    #[default]
    NotReplicating,
    /// Its mysqld is down: its replication could not be read, and is decided again once it runs.
    Unread,
    /// It replicates from another source (`host:port as user`).
    ReplicatesElsewhere { from: String },
    /// `mmprov rebuild`: its data is replaced by a seed from its source, from whose coordinates it goes on.
    Rebuilt,
}

impl ConnectReason {
    pub fn describe(&self) -> String {
        match self {
            ConnectReason::NotReplicating => "it replicates from nothing yet".into(),
            ConnectReason::Unread => {
                "its mysqld is down, so its replication could not be read".into()
            }
            ConnectReason::ReplicatesElsewhere { from } => {
                format!("it replicates from {from} instead")
            }
            ConnectReason::Rebuilt => {
                "it is rebuilt: its data is the seed's, and it goes on from the seed's coordinates"
                    .into()
            }
        }
    }
}

/// Why a replica pointing at the right source is (re)started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum StartReason {
    /// Its threads are stopped, with no error.
    #[default]
    Stopped,
    /// It keeps retrying a source it could not reach (that error number); a fresh start connects now.
    Retrying { errno: u32 },
    /// Its source was rebuilt: the binary log it was reading was replaced.
    SourceRebuilt,
}

impl StartReason {
    pub fn describe(self) -> String {
        match self {
            StartReason::Stopped => "its replica threads are stopped".into(),
            StartReason::Retrying { errno } => format!(
                "it keeps retrying its source (error {errno}); started again, it connects at once"
            ),
            StartReason::SourceRebuilt => "its source is rebuilt, and the binary log it reads may be \
                 replaced with it; started again, it asks the rebuilt node for what it lacks by GTID"
                .into(),
        }
    }
}

/// Why a replica's positioning is switched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum PositioningReason {
    /// It keeps a binary log file and position, which a crash can replay, and the play wants GTID.
    NotGtid,
    /// It positions by GTID and the play sets `gtid: false`.
    GtidOff,
    /// It waits this many seconds between attempts to reach a lost source.
    SlowRetry { seconds: u64 },
}

impl PositioningReason {
    pub fn describe(&self) -> String {
        match self {
            PositioningReason::NotGtid => {
                "it keeps a binary log file and position, which a crash can replay or skip; \
                 by GTID, committed with each transaction, it resumes by itself"
                    .into()
            }
            PositioningReason::GtidOff => "the play sets `gtid: false`".into(),
            PositioningReason::SlowRetry { seconds } => format!(
                "it waits {seconds} s between attempts to reach a lost source; {} s finds a restarted source at once",
                crate::flavor::CONNECT_RETRY
            ),
        }
    }
}

/// Why the replication account is (re)set on a source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountReason {
    /// There is no such account yet.
    #[default]
    Missing,
    /// The replica's connections are refused (1045).
    Refused,
    /// Its stored password is not the playbook's (`replication_password` was changed).
    PasswordChanged,
    /// It does not (or no longer should) require TLS.
    TlsChanged,
    /// The node is seeded with a copy of its seed source's files, whose accounts replace its own.
    Copied,
}

impl AccountReason {
    pub fn describe(self) -> &'static str {
        match self {
            AccountReason::Missing => "new",
            AccountReason::Refused => "its replica is refused (1045): password set again",
            AccountReason::PasswordChanged => {
                "replication_password changed: password set to the new one"
            }
            AccountReason::TlsChanged => "TLS requirement changed",
            AccountReason::Copied => {
                "the node is seeded with a copy of its seed source's files, whose accounts replace its own: set again after the copy"
            }
        }
    }
}

impl ReplStep {
    /// What the step does, in a few words (for timings in `-v`).
    pub fn kind(&self) -> &'static str {
        match self {
            ReplStep::Account { .. } => "replication account",
            ReplStep::Seed { .. } => "seed",
            ReplStep::Connect { .. } => "connect",
            ReplStep::Start { .. } => "start",
            ReplStep::Credentials { .. } => "new credentials",
            ReplStep::Tls { .. } => "TLS switch",
            ReplStep::Positioning { .. } => "positioning switch",
            ReplStep::Move { .. } => "move",
            ReplStep::Repair { .. } => "repair",
        }
    }

    /// Whether two steps do the same thing to the same hosts. Why a step is planned, and a seed's table
    /// count and size (what the source held when it was read, which its writes move), do not make another
    /// step.
    pub fn same_kind(&self, other: &ReplStep) -> bool {
        self.action() == other.action()
    }

    /// The step without what only describes it.
    fn action(&self) -> ReplStep {
        let mut action = self.clone();
        match &mut action {
            ReplStep::Seed {
                tables,
                bytes,
                method_why,
                ..
            } => {
                *tables = 0;
                *bytes = 0;
                *method_why = MethodWhy::default();
            }
            ReplStep::Connect { reason, .. } => *reason = ConnectReason::default(),
            ReplStep::Start { reason, .. } => *reason = StartReason::default(),
            ReplStep::Positioning { reasons, .. } => reasons.clear(),
            ReplStep::Repair { error, .. } => error.clear(),
            ReplStep::Account { .. }
            | ReplStep::Credentials { .. }
            | ReplStep::Tls { .. }
            | ReplStep::Move { .. } => {}
        }
        action
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationPlan {
    pub play: String,
    pub steps: Vec<ReplStep>,
    pub warnings: Vec<String>,
    /// Hosts whose restart (or start) this plan waits for: it was made from what they will be after it, and
    /// is decided again from what they are then. Apply runs it only if the steps are still the same in kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decided_after: Vec<String>,
    /// Directions stopped on an error that mmprov cannot repair safely: left as they are, each with its fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub broken: Vec<BrokenDirection>,
}

/// A replica stopped on an error that a restart would only meet again: apply leaves it alone, and the plan
/// names what would fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenDirection {
    pub replica: String,
    pub source: String,
    pub errno: u32,
    pub error: String,
    /// The commands that fix it, in plain words.
    pub fix: String,
}

impl BrokenDirection {
    fn new(replica: &str, source: &str, errno: u32, error: &str) -> Self {
        let why = crate::replication::explain(errno)
            .map(|w| format!("{w} "))
            .unwrap_or_default();
        let fix = match errno {
            // The source no longer holds what the replica needs: only a fresh copy brings it back.
            errno if lost_source_logs(errno) => {
                format!("{why}Fix: `mmprov rebuild PLAYBOOK --host {replica}`.")
            }
            _ => format!(
                "{why}Fix: once the cause is fixed by hand, `mmprov skip PLAYBOOK --host {replica}` skips the \
                 failing event; or `mmprov rebuild PLAYBOOK --host {replica}` replaces {replica}'s data with \
                 {source}'s."
            ),
        };
        Self {
            replica: replica.into(),
            source: source.into(),
            errno,
            error: error.into(),
            fix,
        }
    }
}

impl ReplicationPlan {
    /// Whether `now` (decided after the restarts) does what this plan showed: the same steps, in the same
    /// order, each the same in kind.
    pub fn same_steps(&self, now: &ReplicationPlan) -> bool {
        self.play == now.play
            && self.steps.len() == now.steps.len()
            && self
                .steps
                .iter()
                .zip(&now.steps)
                .all(|(a, b)| a.same_kind(b))
    }

    /// Every host its steps touch.
    pub fn hosts(&self) -> std::collections::BTreeSet<String> {
        self.steps
            .iter()
            .flat_map(|s| match s {
                ReplStep::Account {
                    source, replica, ..
                }
                | ReplStep::Connect {
                    replica, source, ..
                }
                | ReplStep::Start {
                    replica, source, ..
                }
                | ReplStep::Credentials {
                    replica, source, ..
                }
                | ReplStep::Tls {
                    replica, source, ..
                }
                | ReplStep::Positioning {
                    replica, source, ..
                }
                | ReplStep::Move {
                    replica, source, ..
                }
                | ReplStep::Repair {
                    replica, source, ..
                } => [source.clone(), replica.clone()],
                ReplStep::Seed { from, to, .. } => [from.clone(), to.clone()],
            })
            .collect()
    }
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
    password: Option<&str>,
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
    accounts.extend(planner.accounts_after_copies(&seeds, &directions, &accounts));
    let connects: Vec<ReplStep> = unconnected
        .into_iter()
        .flat_map(|(replica, source, reason)| planner.connect(replica, source, reason, &seeded))
        .collect();
    let mut steps = accounts;
    steps.extend(seeds);
    steps.extend(connects);
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
    let (physical, method_why) = super::seed_method::choose(play, facts, source, host, bytes)
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

/// What one replication play is planned from.
struct Planner<'a> {
    project: &'a Project,
    play: &'a Play,
    facts: &'a BTreeMap<String, HostFacts>,
    password: Option<&'a str>,
    restarting: &'a BTreeSet<String>,
    tls: Option<&'a ReplicationTls>,
}

/// A replica on no source, or on another, with why.
type Unconnected<'a> = (&'a str, &'a str, ConnectReason);

/// What one direction (replica <- source) needs.
struct Direction<'a> {
    account: Option<ReplStep>,
    /// For a replica already on its source: new credentials, TLS, or a start.
    on_source: Vec<ReplStep>,
    unconnected: Option<Unconnected<'a>>,
    /// A replica on its source stopped on an error mmprov cannot repair safely: left as it is.
    broken: Option<BrokenDirection>,
    /// For a replica on another node that can be positioned by GTID: taken to its source, its position kept
    /// (then back to file and position where the play keeps those).
    moved: Vec<ReplStep>,
}

impl<'a> Planner<'a> {
    fn refuse(&self, message: String, help: Option<String>) -> Refusal {
        Refusal {
            play: self.play.name.clone(),
            message,
            help,
        }
    }

    fn address(&self, host: &str) -> String {
        self.project
            .hosts
            .get(host)
            .map(|x| x.address.clone())
            .unwrap_or_else(|| host.to_string())
    }

    /// A clone (MySQL's plugin) names the hosts it connects between: the source's address, and the
    /// target's, for its account on the source.
    fn addressed(&self, seed: Option<PhysicalSeed>, from: &str, to: &str) -> Option<PhysicalSeed> {
        seed.map(|mut seed| {
            if seed.tool == crate::flavor::PhysicalTool::Clone {
                seed.source_address = self.address(from);
                seed.target_address = self.address(to);
            }
            seed
        })
    }

    /// A source as a replica reports it: the inventory's name for that address when there is one.
    fn name_of(&self, address: &str, port: u16, user: &str) -> String {
        let named = self
            .project
            .hosts
            .iter()
            .find(|(_, h)| h.address == address)
            .map(|(name, _)| name.clone());
        match named {
            Some(name) if port == MYSQL_PORT => name,
            _ => format!("{address}:{port} as {user}"),
        }
    }

    fn repl(&self, host: &str) -> Option<&'a ReplicationFacts> {
        self.facts.get(host).and_then(|f| f.replication.as_ref())
    }

    fn user(&self) -> &'a str {
        &self.play.vars.replication_user
    }

    /// Every host of the play must hold the TLS files the play names, before anything is planned.
    fn check_tls_files(&self) -> Result<(), Refusal> {
        let Some(tls) = self.tls else {
            return Ok(());
        };
        for host in self.play.hosts.iter().filter(|h| self.project.in_limit(h)) {
            let missing: Vec<String> = tls
                .files()
                .iter()
                .filter(|(_, path)| {
                    self.facts
                        .get(host)
                        .is_some_and(|f| f.missing_files.iter().any(|m| m == path))
                })
                .map(|(name, path)| format!("{name} {path}"))
                .collect();
            if !missing.is_empty() {
                return Err(self.refuse(
                    format!(
                        "{host} lacks the replication_tls files: {} (missing or unreadable)",
                        missing.join(", ")
                    ),
                    Some(format!(
                        "put the CA, certificate and key on {host} (readable by mysqld) at the paths the play names"
                    )),
                ));
            }
        }
        Ok(())
    }

    /// The ring's directions whose both ends the run may contact (`--limit`); the others are said.
    fn directions(&self, warnings: &mut Vec<String>) -> Vec<(&'a str, &'a str)> {
        let in_limit = |h: &str| self.project.in_limit(h);
        let (ring, outside): (Vec<_>, Vec<_>) = self
            .play
            .ring()
            .into_iter()
            .partition(|(replica, source)| in_limit(replica) && in_limit(source));
        for (replica, source) in outside {
            if in_limit(replica) || in_limit(source) {
                let out = if in_limit(replica) { source } else { replica };
                warnings.push(format!(
                    "{replica} replicating from {source} is not planned: {out} is outside --limit"
                ));
            }
        }
        ring
    }

    /// The replica's status as it will be when the replication steps run. A restart does not change it: a
    /// replica that runs before its server's restart runs after it (the rolling gate waits for it, and
    /// starts it where the server keeps replicas stopped at start).
    fn status_then(&self, replica: &str) -> Option<ReplicaStatus> {
        self.repl(replica)?.replica.clone()
    }

    fn direction(
        &self,
        replica: &'a str,
        source: &'a str,
        warnings: &mut Vec<String>,
    ) -> Direction<'a> {
        let status = self.status_then(replica);
        let account = self.account(replica, source, status.as_ref());
        let mut on_source = Vec::new();
        let mut moved = Vec::new();
        let mut broken = None;
        let unconnected = match status {
            Some(s) if s.source_host == self.address(source) && s.source_port == MYSQL_PORT => {
                match self.on_source(replica, source, &s, account.is_some()) {
                    Ok(steps) => on_source = steps,
                    Err(left) => broken = Some(left),
                }
                None
            }
            Some(s)
                if s.last_sql_errno == 0
                    && (s.uses_gtid() || self.positions_by_domain(replica)) =>
            {
                let from = self.name_of(&s.source_host, s.source_port, &s.source_user);
                if !self.play.hosts.contains(&from) {
                    warnings.push(format!(
                        "{replica} replicates from {from}, which is not a node of the play: once {replica} moves \
                         to {source}, writes made on {from} reach no node of the play. {from} itself is left as \
                         it is (its replication, and its account on its source)"
                    ));
                }
                moved.push(ReplStep::Move {
                    replica: replica.into(),
                    from,
                    source: source.into(),
                    source_address: self.address(source),
                    port: MYSQL_PORT,
                    user: self.user().into(),
                    tls: self.tls.cloned(),
                });
                if !self.play.vars.gtid {
                    moved.push(self.back_to_file_position(replica, source));
                }
                None
            }
            Some(s) => {
                let from = format!("{}:{} as {}", s.source_host, s.source_port, s.source_user);
                Some((replica, source, ConnectReason::ReplicatesElsewhere { from }))
            }
            None if self.facts.get(replica).is_none_or(|f| !f.running) => {
                Some((replica, source, ConnectReason::Unread))
            }
            None => Some((replica, source, ConnectReason::NotReplicating)),
        };
        Direction {
            account,
            on_source,
            unconnected,
            broken,
            moved,
        }
    }

    /// A physically seeded node comes up with its seed source's accounts, not its own: each account its
    /// replicas use is set on it (apply sets the accounts made on a node again after its copy).
    fn accounts_after_copies(
        &self,
        seeds: &[ReplStep],
        directions: &[(&str, &str)],
        planned: &[ReplStep],
    ) -> Vec<ReplStep> {
        let mut out = Vec::new();
        for seed in seeds {
            let ReplStep::Seed {
                to,
                physical: Some(_),
                ..
            } = seed
            else {
                continue;
            };
            for &(replica, _) in directions.iter().filter(|(_, source)| source == to) {
                let address = self.address(replica);
                let set = |s: &ReplStep| {
                    matches!(s, ReplStep::Account { source, replica_address, .. }
                        if source == to && *replica_address == address)
                };
                if !planned.iter().chain(&out).any(set) {
                    out.push(ReplStep::Account {
                        source: to.clone(),
                        replica: replica.to_string(),
                        replica_address: address,
                        user: self.user().to_string(),
                        tls: self.tls.is_some(),
                        reason: AccountReason::Copied,
                    });
                }
            }
        }
        out
    }

    /// The account `user@replica-address` on the source, when it is missing or must be set again.
    fn account(
        &self,
        replica: &str,
        source: &str,
        status: Option<&ReplicaStatus>,
    ) -> Option<ReplStep> {
        let address = self.address(replica);
        let on_source = self.repl(source);
        let refused = status.is_some_and(|s| s.last_io_errno == 1045);
        let has_account = on_source.is_some_and(|r| r.account_hosts.contains(&address));
        let account_tls = on_source.is_some_and(|r| r.tls_account_hosts.contains(&address));
        // Setting the account also sets its password from the playbook's secret: a replica already using the
        // account must then be given that password too, or it is refused at its next connect.
        let stored = on_source.and_then(|r| r.account_passwords.get(&address));
        let reason = if !has_account {
            AccountReason::Missing
        } else if refused {
            AccountReason::Refused
        } else if self
            .password
            .zip(stored)
            .is_some_and(|(wanted, stored)| wanted != stored)
        {
            AccountReason::PasswordChanged
        } else if self.tls.is_some() && !account_tls {
            // An account that requires TLS keeps requiring it: a play without `replication_tls` never
            // weakens it.
            AccountReason::TlsChanged
        } else {
            return None;
        };
        Some(ReplStep::Account {
            source: source.into(),
            replica: replica.into(),
            replica_address: address,
            user: self.user().into(),
            tls: self.tls.is_some(),
            reason,
        })
    }

    /// A replica already on its source, by its verdict: new credentials (another account, or its account set
    /// again), TLS as the play asks, a positioning switch, or a start of stopped threads. A replica stopped by
    /// its source's replaced binary logs (1236) is connected again by GTID where it positions so. One stopped
    /// on any other error (a refused account aside, which the account step repairs) is left as it is: a
    /// restart would only meet the error again.
    fn on_source(
        &self,
        replica: &str,
        source: &str,
        s: &ReplicaStatus,
        account_set: bool,
    ) -> Result<Vec<ReplStep>, BrokenDirection> {
        let verdict = judge(s);
        let credentials = s.source_user != self.user() || account_set;
        // Without `replication_tls` the play leaves TLS as the server has it: a server that encrypts its
        // replication by default (MySQL 8+, MariaDB 11) is never told to stop.
        let tls_differs = self.tls.is_some_and(|wanted| !s.tls.matches(Some(wanted)));
        // An error connecting (the SQL thread has none) is what new credentials or TLS settings answer.
        let connect_error = s.last_sql_errno == 0 && s.last_io_errno != 0;
        let repair = match &verdict {
            Verdict::Broken { errno, error } if lost_source_logs(*errno) && s.uses_gtid() => {
                Some(ReplStep::Repair {
                    replica: replica.into(),
                    source: source.into(),
                    errno: *errno,
                    error: error.clone(),
                })
            }
            Verdict::Broken { .. } if connect_error && (credentials || tls_differs) => None,
            Verdict::Broken { errno, error } => {
                return Err(BrokenDirection::new(replica, source, *errno, error));
            }
            _ => None,
        };
        let mut steps = Vec::new();
        if credentials {
            steps.push(ReplStep::Credentials {
                replica: replica.into(),
                source: source.into(),
                user: self.user().into(),
            });
        }
        if tls_differs {
            steps.push(ReplStep::Tls {
                replica: replica.into(),
                source: source.into(),
                tls: self.tls.cloned(),
            });
        }
        if repair.is_some() {
            steps.extend(repair);
            return Ok(steps);
        }
        // A positioning switch restarts the threads too.
        let positioning = self.positioning(replica, source, s);
        let restarted = credentials || tls_differs || positioning.is_some();
        steps.extend(positioning);
        // Threads stopped, or retrying a source that was unreachable (it may be back): restart them. A change
        // of credentials or TLS restarts them anyway.
        let reason = match verdict {
            Verdict::Retrying { errno, .. } if errno != 0 => Some(StartReason::Retrying { errno }),
            Verdict::Stopped { .. } => Some(StartReason::Stopped),
            _ => None,
        };
        if let Some(reason) = reason.filter(|_| !restarted) {
            steps.push(ReplStep::Start {
                replica: replica.into(),
                source: source.into(),
                reason,
            });
        }
        Ok(steps)
    }

    /// A switch of positioning (GTID as the play says) and connect retry, when either differs.
    fn positioning(&self, replica: &str, source: &str, s: &ReplicaStatus) -> Option<ReplStep> {
        let gtid = self.play.vars.gtid;
        let mut reasons = Vec::new();
        match (gtid, s.uses_gtid()) {
            (true, false) => reasons.push(PositioningReason::NotGtid),
            (false, true) => reasons.push(PositioningReason::GtidOff),
            _ => {}
        }
        if s.connect_retry != u64::from(crate::flavor::CONNECT_RETRY) {
            reasons.push(PositioningReason::SlowRetry {
                seconds: s.connect_retry,
            });
        }
        (!reasons.is_empty()).then(|| ReplStep::Positioning {
            replica: replica.into(),
            source: source.into(),
            gtid,
            reasons,
        })
    }

    /// Seeds for the unconnected replicas when the seed source holds application data; the replicas seeded.
    /// A target holding data of its own is refused (unless the play says it may go, or the data is what an
    /// interrupted seed left). With the seed source outside `--limit`, nothing unconnected is planned.
    fn seeds(
        &self,
        unconnected: &mut Vec<Unconnected<'a>>,
        warnings: &mut Vec<String>,
    ) -> Result<(Vec<ReplStep>, Vec<&'a str>), Refusal> {
        let seed_source = self.play.seed_source().unwrap_or_default();
        if !self.project.in_limit(seed_source) {
            // Whether these replicas must first be seeded depends on data the run may not read.
            for (replica, source, _) in unconnected.iter().filter(|(r, _, _)| *r != seed_source) {
                warnings.push(format!(
                    "{replica} replicating from {source} is not planned: whether {replica} must first be seeded \
                     from {seed_source} cannot be known while {seed_source} is outside --limit"
                ));
            }
            unconnected.clear();
            return Ok((Vec::new(), Vec::new()));
        }
        let truth = self.repl(seed_source);
        let mut seeds = Vec::new();
        let mut seeded = Vec::new();
        for (replica, _, _) in unconnected.iter().filter(|(r, _, _)| *r != seed_source) {
            let target_has_data = self.repl(replica).is_some_and(|r| r.holds_data());
            // Data left by an interrupted seed of ours is not the operator's: the seed is simply redone.
            let interrupted = self.facts.get(*replica).is_some_and(|f| f.seed_incomplete);
            match truth {
                Some(t) if t.holds_data() => {
                    if target_has_data && !self.play.vars.seed_overwrite && !interrupted {
                        return Err(self.refuse(
                            format!("{replica} holds application data and does not replicate yet: seeding it from {seed_source} would replace that data"),
                            Some("if its data may go, set `seed_overwrite: true` in the play's vars; if it is the truth, set `seed_from` to it".into()),
                        ));
                    }
                    let bytes = t.schemas.iter().map(|s| s.bytes).sum();
                    let (physical, method_why) =
                        super::seed_method::choose(self.play, self.facts, seed_source, replica, bytes)
                            .map_err(|detail| {
                                self.refuse(
                                    format!("seed_method: physical, but {detail}"),
                                    Some("install the tool on both hosts (Debian and RPM packages: mariadb-backup for MariaDB, \
                                          percona-xtrabackup for MySQL), or set `seed_method: logical`".into()),
                                )
                            })?;
                    let physical = self.addressed(physical, seed_source, replica);
                    seeds.push(ReplStep::Seed {
                        from: seed_source.into(),
                        to: (*replica).into(),
                        schemas: t.schemas.iter().map(|s| s.name.clone()).collect(),
                        tables: t.schemas.iter().map(|s| s.tables).sum(),
                        bytes,
                        overwrite: target_has_data || interrupted,
                        interrupted,
                        physical,
                        method_why,
                    });
                    seeded.push(*replica);
                }
                _ if target_has_data && !interrupted => {
                    return Err(self.refuse(
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
        Ok((seeds, seeded))
    }

    /// The replica pointed at its source: a replica seeded from its own source starts at the dump's
    /// coordinates, every other one at its source's position when connected. A node seeded from another node
    /// than its source (joining a ring) starts at the seed's GTID position, which carries over to any node
    /// that holds it; where the play keeps file and position (MariaDB), it then switches to file and
    /// position at the point it has applied: the equivalent coordinates in its own source's binary log.
    fn connect(
        &self,
        replica: &str,
        source: &str,
        reason: ConnectReason,
        seeded: &[&str],
    ) -> Vec<ReplStep> {
        let seed_source = self.play.seed_source().unwrap_or_default();
        let gtid = self.play.vars.gtid;
        let joins = seeded.contains(&replica) && source != seed_source;
        let through_gtid = joins && !gtid && self.positions_by_domain(replica);
        let position =
            if seeded.contains(&replica) && (source == seed_source || gtid || through_gtid) {
                Position::Seed
            } else {
                Position::SourceNow
            };
        let mut steps = vec![ReplStep::Connect {
            replica: replica.into(),
            source: source.into(),
            source_address: self.address(source),
            port: MYSQL_PORT,
            user: self.user().into(),
            position,
            tls: self.tls.cloned(),
            gtid: gtid || through_gtid,
            reason,
        }];
        if through_gtid {
            steps.push(self.back_to_file_position(replica, source));
        }
        steps
    }

    /// A server with GTID domains (MariaDB): it keeps the GTID position of what it applied whatever way it
    /// replicates, so a replica on file and position can be taken elsewhere by GTID.
    fn positions_by_domain(&self, host: &str) -> bool {
        self.facts
            .get(host)
            .and_then(|f| f.server)
            .is_some_and(|v| v.dialect().capabilities.gtid_domains)
    }

    /// After a move by GTID in a play that keeps file and position: back to file and position, at the
    /// point it has applied.
    fn back_to_file_position(&self, replica: &str, source: &str) -> ReplStep {
        ReplStep::Positioning {
            replica: replica.into(),
            source: source.into(),
            gtid: false,
            reasons: vec![PositioningReason::GtidOff],
        }
    }

    /// The hosts whose mysqld is down (their replication could not be read: said) or restarts: the plan is
    /// decided again once they run.
    fn decided_after(&self, warnings: &mut Vec<String>) -> Vec<String> {
        let mut hosts = Vec::new();
        for host in self.play.hosts.iter().filter(|h| self.project.in_limit(h)) {
            if self.facts.get(host).is_none_or(|f| !f.running) {
                warnings.push(format!(
                    "{host}'s mysqld is not running, so its replication cannot be read now: apply reads it again \
                     after the restart and decides these steps from what it finds"
                ));
                hosts.push(host.clone());
            } else if self.restarting.contains(host) {
                hosts.push(host.clone());
            }
        }
        hosts
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::facts::{ReplicationFacts, SchemaSize};
    use crate::flavor::ServerVersion;

    fn project() -> Project {
        let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
        crate::load::load(path, &Default::default()).expect("fixture loads")
    }

    fn facts(host: &str, replication: ReplicationFacts) -> HostFacts {
        HostFacts::running_for_tests(host, replication)
    }

    fn shop() -> Vec<SchemaSize> {
        vec![SchemaSize {
            name: "shop".into(),
            tables: 3,
            bytes: 49152,
        }]
    }

    fn replicating_from(address: &str, user: &str) -> Option<crate::replication::ReplicaStatus> {
        Some(crate::replication::ReplicaStatus {
            source_host: address.into(),
            source_port: 3306,
            source_user: user.into(),
            io_running: "Yes".into(),
            sql_running: "Yes".into(),
            seconds_behind: Some(0),
            last_io_errno: 0,
            last_io_error: String::new(),
            last_sql_errno: 0,
            last_sql_error: String::new(),
            source_log_file: "mysql-bin.000001".into(),
            read_pos: 4,
            exec_log_file: "mysql-bin.000001".into(),
            exec_pos: 4,
            positioning: "Slave_Pos".into(),
            connect_retry: u64::from(crate::flavor::CONNECT_RETRY),
            gtid_received: String::new(),
            tls: Default::default(),
        })
    }

    fn plan(db1: ReplicationFacts, db2: ReplicationFacts) -> Result<ReplicationPlan, Refusal> {
        let p = project();
        let all = [
            ("db1".to_string(), facts("db1", db1)),
            ("db2".to_string(), facts("db2", db2)),
        ]
        .into_iter()
        .collect();
        plan_replication(&p, &p.plays[0], &all, None, &Default::default())
    }

    #[test]
    fn a_fresh_pair_with_data_on_the_first_node_is_seeded_and_crossed() {
        let plan = plan(
            ReplicationFacts {
                schemas: shop(),
                ..Default::default()
            },
            Default::default(),
        )
        .expect("plans");
        let kinds: Vec<String> = plan
            .steps
            .iter()
            .map(|s| format!("{s:?}").split(' ').next().unwrap_or("").to_string())
            .collect();
        assert_eq!(kinds, ["Account", "Account", "Seed", "Connect", "Connect"]);
        assert!(plan.steps.iter().any(|s| s.same_kind(&ReplStep::Seed {
            from: "db1".into(),
            to: "db2".into(),
            schemas: vec!["shop".into()],
            tables: 3,
            bytes: 49152,
            overwrite: false,
            interrupted: false,
            physical: None,
            method_why: Default::default(),
        })));
        assert!(plan.steps.iter().any(|s| matches!(s, ReplStep::Connect { replica, position: Position::Seed, .. } if replica == "db2")));
        assert!(plan.steps.iter().any(|s| matches!(s, ReplStep::Connect { replica, position: Position::SourceNow, .. } if replica == "db1")));
    }

    #[test]
    fn a_converged_pair_needs_nothing() {
        let db1 = ReplicationFacts {
            schemas: shop(),
            account_hosts: vec!["192.0.2.12".into()],
            replica: replicating_from("192.0.2.12", "repl"),
            ..Default::default()
        };
        let db2 = ReplicationFacts {
            schemas: shop(),
            account_hosts: vec!["192.0.2.11".into()],
            replica: replicating_from("192.0.2.11", "repl"),
            ..Default::default()
        };
        let converged = plan(db1, db2).expect("plans");
        assert_eq!(converged.steps, vec![]);
        assert!(
            converged.decided_after.is_empty(),
            "nothing waits on a restart"
        );
    }

    fn converged_pair_facts() -> std::collections::BTreeMap<String, HostFacts> {
        let side = |peer: &str| ReplicationFacts {
            schemas: shop(),
            account_hosts: vec![peer.into()],
            replica: replicating_from(peer, "repl"),
            ..Default::default()
        };
        [
            ("db1".to_string(), facts("db1", side("192.0.2.12"))),
            ("db2".to_string(), facts("db2", side("192.0.2.11"))),
        ]
        .into()
    }

    /// The fixture pair with db3 (192.0.2.13) added to the inventory, the play's hosts `hosts`.
    fn ring_project(hosts: &[&str], gtid: bool) -> Project {
        let mut p = project();
        let mut db3 = p.hosts["db2"].clone();
        db3.address = "192.0.2.13".into();
        p.hosts.insert("db3".into(), db3);
        p.plays[0].hosts = hosts.iter().map(|h| h.to_string()).collect();
        p.plays[0].vars.gtid = gtid;
        p
    }

    /// A node holding `shop` that replicates by GTID (or file and position) from `peer`, with accounts
    /// for `accounts`.
    fn member(host: &str, peer: &str, accounts: &[&str], gtid: bool) -> HostFacts {
        let mut replica = replicating_from(peer, "repl");
        if let (Some(r), false) = (replica.as_mut(), gtid) {
            r.positioning = "No".into();
        }
        facts(
            host,
            ReplicationFacts {
                schemas: shop(),
                account_hosts: accounts.iter().map(|a| a.to_string()).collect(),
                replica,
                ..Default::default()
            },
        )
    }

    /// The plan of a replicating pair db1/db2 (by GTID, or file and position) whose play gains db3, fresh.
    fn growing_pair(gtid: bool) -> ReplicationPlan {
        let p = ring_project(&["db1", "db2", "db3"], gtid);
        let all = [
            ("db1", member("db1", "192.0.2.12", &["192.0.2.12"], gtid)),
            ("db2", member("db2", "192.0.2.11", &["192.0.2.11"], gtid)),
            ("db3", facts("db3", Default::default())),
        ]
        .map(|(h, f)| (h.to_string(), f))
        .into();
        plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans")
    }

    fn kinds(plan: &ReplicationPlan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|s| format!("{s:?}").split(' ').next().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn a_pair_growing_into_a_ring_seeds_the_newcomer_and_moves_a_replica_onto_it_by_gtid() {
        let plan = growing_pair(true);
        assert_eq!(
            kinds(&plan),
            ["Account", "Account", "Seed", "Connect", "Move"]
        );
        assert!(plan.steps.iter().any(|s| matches!(s,
            ReplStep::Connect { replica, source, position: Position::Seed, gtid: true, .. }
                if replica == "db3" && source == "db2")));
        assert!(plan.steps.iter().any(|s| matches!(s,
            ReplStep::Move { replica, from, source, .. }
                if replica == "db1" && from == "db2" && source == "db3")));
        assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
    }

    #[test]
    fn a_ring_shrinking_closes_around_the_node_that_left_and_says_what_that_node_keeps() {
        let p = ring_project(&["db1", "db2"], true);
        let all = [
            (
                "db1".to_string(),
                member("db1", "192.0.2.13", &["192.0.2.12", "192.0.2.13"], true),
            ),
            (
                "db2".to_string(),
                member("db2", "192.0.2.11", &["192.0.2.11"], true),
            ),
        ]
        .into();
        let plan =
            plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
        assert_eq!(kinds(&plan), ["Move"]);
        assert!(
            plan.warnings
                .iter()
                .any(|w| w.contains("writes made on db3 reach no node")),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn a_file_position_ring_carries_positions_through_gtid_and_goes_back_to_file_and_position() {
        let plan = growing_pair(false);
        assert_eq!(
            kinds(&plan),
            [
                "Account",
                "Account",
                "Seed",
                "Connect",
                "Positioning",
                "Move",
                "Positioning"
            ]
        );
        assert!(plan.steps.iter().any(|s| matches!(s,
            ReplStep::Connect { replica, position: Position::Seed, gtid: true, .. } if replica == "db3")));
        assert!(
            plan.steps
                .iter()
                .all(|s| !matches!(s, ReplStep::Positioning { gtid: true, .. }))
        );
    }

    #[test]
    fn a_replica_elsewhere_stopped_on_an_error_is_connected_again_not_moved() {
        let p = ring_project(&["db1", "db2"], true);
        let mut db1 = member("db1", "192.0.2.13", &["192.0.2.12"], true);
        if let Some(r) = db1.replication.as_mut().and_then(|r| r.replica.as_mut()) {
            r.last_sql_errno = 1062;
        }
        let all = [
            ("db1".to_string(), db1),
            (
                "db2".to_string(),
                member("db2", "192.0.2.11", &["192.0.2.11"], true),
            ),
        ]
        .into();
        let plan =
            plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
        assert!(
            plan.steps
                .iter()
                .all(|s| !matches!(s, ReplStep::Move { .. })),
            "{:?}",
            plan.steps
        );
    }

    #[test]
    fn a_replica_whose_server_restarts_needs_no_step_and_is_decided_again_after_it() {
        let p = project();
        let restarting = ["db2".to_string()].into();
        let plan = plan_replication(&p, &p.plays[0], &converged_pair_facts(), None, &restarting)
            .expect("plans");
        assert_eq!(
            plan.steps,
            vec![],
            "db2 resumes by itself (GTID), and the rolling gate waits until it does"
        );
        assert_eq!(plan.decided_after, vec!["db2".to_string()]);
    }

    #[test]
    fn a_file_position_replica_is_switched_to_gtid_with_the_short_retry_and_back_when_the_play_says()
     {
        let p = project();
        let mut all = converged_pair_facts();
        if let Some(r) = all
            .get_mut("db2")
            .and_then(|f| f.replication.as_mut())
            .and_then(|r| r.replica.as_mut())
        {
            r.positioning = "No".into();
            r.connect_retry = 60;
        }
        let plan =
            plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
        assert_eq!(
            plan.steps,
            vec![ReplStep::Positioning {
                replica: "db2".into(),
                source: "db1".into(),
                gtid: true,
                reasons: vec![
                    PositioningReason::NotGtid,
                    PositioningReason::SlowRetry { seconds: 60 }
                ],
            }],
            "only db2 moves; db1 already positions by GTID"
        );
        let mut file_position = p.clone();
        file_position.plays[0].vars.gtid = false;
        let plan = plan_replication(
            &file_position,
            &file_position.plays[0],
            &converged_pair_facts(),
            None,
            &Default::default(),
        )
        .expect("plans");
        assert_eq!(
            plan.steps.len(),
            2,
            "both replicas go back: {:?}",
            plan.steps
        );
        assert!(
            plan.warnings.iter().any(|w| w.contains("gtid: false")),
            "{:?}",
            plan.warnings
        );
    }

    #[test]
    fn a_replica_stopped_on_a_hard_error_is_not_switched() {
        let p = project();
        let mut all = converged_pair_facts();
        if let Some(r) = all
            .get_mut("db2")
            .and_then(|f| f.replication.as_mut())
            .and_then(|r| r.replica.as_mut())
        {
            r.positioning = "No".into();
            r.sql_running = "No".into();
            r.last_sql_errno = 1062;
            r.last_sql_error = "Duplicate entry".into();
        }
        let plan =
            plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
        let broken = &plan.broken;
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert_eq!((broken[0].replica.as_str(), broken[0].errno), ("db2", 1062));
        assert!(
            broken[0].fix.contains("mmprov skip PLAYBOOK --host db2"),
            "{}",
            broken[0].fix
        );
    }

    /// The reproduction of a replica restarted into its own error: db2 stopped on 1396, and the password
    /// changed. The accounts are set again, but db2 is left as it is (not restarted into the same error).
    #[test]
    fn a_broken_replica_is_never_restarted_by_a_change_of_credentials() {
        let p = project();
        let mut all = converged_pair_facts();
        if let Some(r) = all
            .get_mut("db2")
            .and_then(|f| f.replication.as_mut())
            .and_then(|r| r.replica.as_mut())
        {
            r.sql_running = "No".into();
            r.last_sql_errno = 1396;
            r.last_sql_error = "Operation CREATE USER failed for 'dup'@'%'".into();
        }
        let old = crate::replication::password::native_fingerprint("the old one");
        for (host, peer) in [("db1", "192.0.2.12"), ("db2", "192.0.2.11")] {
            if let Some(r) = all.get_mut(host).and_then(|f| f.replication.as_mut()) {
                r.account_passwords.insert(peer.into(), old.clone());
            }
        }
        let changed = crate::replication::password::native_fingerprint("another one");
        let plan = plan_replication(&p, &p.plays[0], &all, Some(&changed), &Default::default())
            .expect("plans");
        assert!(
            !plan.steps.iter().any(|s| matches!(s,
                ReplStep::Credentials { replica, .. } | ReplStep::Start { replica, .. } if replica == "db2")),
            "db2 is not restarted: {:?}",
            plan.steps
        );
        assert!(
            plan.steps
                .iter()
                .any(|s| matches!(s, ReplStep::Credentials { replica, .. } if replica == "db1")),
            "db1 gets the new password: {:?}",
            plan.steps
        );
        assert_eq!(plan.broken.len(), 1);
        assert_eq!(plan.broken[0].errno, 1396);
    }

    /// A server that replicates over TLS by default (MySQL 8+, MariaDB 11) is left so by a play that does
    /// not set `replication_tls`: the first apply's state is the final one, and TLS is never turned off.
    #[test]
    fn a_play_without_replication_tls_never_turns_tls_off() {
        let p = project();
        let mut all = converged_pair_facts();
        for (host, peer) in [("db1", "192.0.2.12"), ("db2", "192.0.2.11")] {
            if let Some(r) = all.get_mut(host).and_then(|f| f.replication.as_mut()) {
                r.tls_account_hosts.push(peer.into());
                if let Some(s) = r.replica.as_mut() {
                    s.tls.enabled = true;
                }
            }
        }
        let plan =
            plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
        assert!(plan.steps.is_empty(), "{:?}", plan.steps);
    }

    /// A replica positioned by GTID whose source's binary logs were replaced (1236) is repaired by GTID; one
    /// on file and position cannot be, and is left broken with `mmprov rebuild` as its fix.
    #[test]
    fn a_replica_stopped_by_replaced_binary_logs_is_repaired_by_gtid_only() {
        let p = project();
        let broken_by_1236 = |positioning: &str| {
            let mut all = converged_pair_facts();
            if let Some(r) = all
                .get_mut("db1")
                .and_then(|f| f.replication.as_mut())
                .and_then(|r| r.replica.as_mut())
            {
                r.positioning = positioning.into();
                r.io_running = "No".into();
                r.last_io_errno = 1236;
                r.last_io_error = "could not find next log".into();
            }
            plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans")
        };
        let by_gtid = broken_by_1236("Slave_Pos");
        assert!(
            broken_by_1236("1").steps.len() == 1,
            "MySQL's auto position is GTID too"
        );
        assert_eq!(
            by_gtid.steps,
            vec![ReplStep::Repair {
                replica: "db1".into(),
                source: "db2".into(),
                errno: 1236,
                error: "could not find next log".into(),
            }]
        );
        assert!(by_gtid.broken.is_empty());

        let by_file = broken_by_1236("No");
        assert!(by_file.steps.is_empty(), "{:?}", by_file.steps);
        assert!(
            by_file.broken[0]
                .fix
                .contains("mmprov rebuild PLAYBOOK --host db1")
        );
    }

    #[test]
    fn steps_are_the_same_in_kind_whatever_a_seed_weighs_but_not_with_another_target() {
        let seed = |to: &str, bytes: u64| ReplStep::Seed {
            from: "db1".into(),
            to: to.into(),
            schemas: vec!["shop".into()],
            tables: 3,
            bytes,
            overwrite: false,
            interrupted: false,
            physical: None,
            method_why: Default::default(),
        };
        let plan = |steps: Vec<ReplStep>| ReplicationPlan {
            play: "p".into(),
            steps,
            warnings: vec![],
            decided_after: vec![],
            broken: vec![],
        };
        let shown = plan(vec![seed("db2", 49152)]);
        assert!(shown.same_steps(&plan(vec![seed("db2", 65536)])));
        assert!(!shown.same_steps(&plan(vec![seed("db3", 49152)])));
        assert!(!shown.same_steps(&plan(vec![])));
        let start = ReplStep::Start {
            replica: "db2".into(),
            source: "db1".into(),
            reason: StartReason::Stopped,
        };
        assert!(!shown.same_steps(&plan(vec![seed("db2", 49152), start.clone()])));
        let restarted = ReplStep::Start {
            replica: "db2".into(),
            source: "db1".into(),
            reason: StartReason::Retrying { errno: 2003 },
        };
        assert!(
            start.same_kind(&restarted),
            "why a replica is started does not make another step"
        );
    }

    #[test]
    fn data_left_by_an_interrupted_seed_is_seeded_again() {
        let p = project();
        let db1 = facts(
            "db1",
            ReplicationFacts {
                schemas: shop(),
                ..Default::default()
            },
        );
        let mut db2 = facts(
            "db2",
            ReplicationFacts {
                schemas: shop(),
                ..Default::default()
            },
        );
        db2.seed_incomplete = true;
        let all = [("db1".to_string(), db1), ("db2".to_string(), db2)]
            .into_iter()
            .collect();
        let plan = plan_replication(&p, &p.plays[0], &all, None, &Default::default())
            .expect("an interrupted seed is redone, not refused");
        assert!(plan.steps.iter().any(|s| matches!(
            s,
            ReplStep::Seed {
                overwrite: true,
                interrupted: true,
                physical: None,
                ..
            }
        )));
    }

    #[test]
    fn a_target_holding_data_is_refused() {
        let db2 = ReplicationFacts {
            schemas: vec![SchemaSize {
                name: "crm".into(),
                tables: 1,
                bytes: 1,
            }],
            ..Default::default()
        };
        let refusal = plan(
            ReplicationFacts {
                schemas: shop(),
                ..Default::default()
            },
            db2,
        )
        .expect_err("refused");
        assert!(
            refusal.message.starts_with("db2 holds application data"),
            "{}",
            refusal.message
        );
    }

    #[test]
    fn another_account_changes_credentials_only_never_the_source() {
        let db1 = ReplicationFacts {
            schemas: shop(),
            account_hosts: vec!["192.0.2.12".into()],
            replica: replicating_from("192.0.2.12", "old"),
            ..Default::default()
        };
        let db2 = ReplicationFacts {
            schemas: shop(),
            account_hosts: vec!["192.0.2.11".into()],
            replica: replicating_from("192.0.2.11", "repl"),
            ..Default::default()
        };
        let steps = plan(db1, db2).expect("plans").steps;
        assert_eq!(
            steps,
            vec![ReplStep::Credentials {
                replica: "db1".into(),
                source: "db2".into(),
                user: "repl".into()
            }]
        );
    }

    #[test]
    fn a_limit_to_one_node_of_a_pair_plans_no_direction_and_says_why() {
        let mut p = project();
        p.limit = Some(["db1".to_string()].into());
        let only_db1 = [(
            "db1".to_string(),
            facts(
                "db1",
                ReplicationFacts {
                    schemas: shop(),
                    ..Default::default()
                },
            ),
        )]
        .into_iter()
        .collect();
        let plan =
            plan_replication(&p, &p.plays[0], &only_db1, None, &Default::default()).expect("plans");
        assert_eq!(plan.steps, vec![]);
        assert_eq!(
            plan.warnings,
            vec![
                "db1 replicating from db2 is not planned: db2 is outside --limit",
                "db2 replicating from db1 is not planned: db2 is outside --limit",
            ]
        );
    }

    #[test]
    fn a_replica_without_the_wanted_tls_is_switched_keeping_its_position() {
        let mut p = project();
        p.plays[0].vars.replication_tls = Some(crate::model::ReplicationTls {
            ca: "/tls/ca.pem".into(),
            cert: "/tls/cert.pem".into(),
            key: "/tls/key.pem".into(),
            verify_server_cert: true,
        });
        let node = |peer: &str| ReplicationFacts {
            schemas: shop(),
            account_hosts: vec![peer.into()],
            tls_account_hosts: vec![peer.into()],
            replica: replicating_from(peer, "repl"),
            ..Default::default()
        };
        let all = [
            ("db1".to_string(), facts("db1", node("192.0.2.12"))),
            ("db2".to_string(), facts("db2", node("192.0.2.11"))),
        ]
        .into_iter()
        .collect();
        let steps = plan_replication(&p, &p.plays[0], &all, None, &Default::default())
            .expect("plans")
            .steps;
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert!(
            steps
                .iter()
                .all(|s| matches!(s, ReplStep::Tls { tls: Some(_), .. }))
        );

        let mut db2 = facts("db2", node("192.0.2.11"));
        db2.missing_files = vec!["/tls/key.pem".into()];
        let all = [
            ("db1".to_string(), facts("db1", node("192.0.2.12"))),
            ("db2".to_string(), db2),
        ]
        .into_iter()
        .collect();
        let refusal = plan_replication(&p, &p.plays[0], &all, None, &Default::default())
            .expect_err("refused");
        assert_eq!(
            refusal.message,
            "db2 lacks the replication_tls files: key /tls/key.pem (missing or unreadable)"
        );
    }

    #[test]
    fn an_account_set_again_gives_the_replica_using_it_the_password_too() {
        let db1 = ReplicationFacts {
            schemas: shop(),
            account_hosts: vec![],
            replica: replicating_from("192.0.2.12", "repl"),
            ..Default::default()
        };
        let db2 = ReplicationFacts {
            schemas: shop(),
            account_hosts: vec!["192.0.2.11".into()],
            replica: replicating_from("192.0.2.11", "repl"),
            ..Default::default()
        };
        let steps = plan(db1, db2).expect("plans").steps;
        assert_eq!(
            steps,
            vec![
                ReplStep::Account {
                    source: "db1".into(),
                    replica: "db2".into(),
                    replica_address: "192.0.2.12".into(),
                    user: "repl".into(),
                    tls: false,
                    reason: AccountReason::Missing,
                },
                ReplStep::Credentials {
                    replica: "db2".into(),
                    source: "db1".into(),
                    user: "repl".into(),
                },
            ]
        );
    }

    #[test]
    fn a_changed_replication_password_resets_accounts_and_replicas_and_the_same_one_nothing() {
        use crate::replication::password::native_fingerprint;
        let node = |peer: &str, password: &str| ReplicationFacts {
            schemas: shop(),
            account_hosts: vec![peer.into()],
            account_passwords: [(peer.to_string(), native_fingerprint(password))].into(),
            replica: replicating_from(peer, "repl"),
            ..Default::default()
        };
        let p = project();
        let all = [
            ("db1".to_string(), facts("db1", node("192.0.2.12", "old"))),
            ("db2".to_string(), facts("db2", node("192.0.2.11", "old"))),
        ]
        .into_iter()
        .collect();
        let same = native_fingerprint("old");
        let unchanged = plan_replication(&p, &p.plays[0], &all, Some(&same), &Default::default())
            .expect("plans");
        assert_eq!(unchanged.steps, vec![]);
        let rotated = native_fingerprint("new");
        let steps = plan_replication(&p, &p.plays[0], &all, Some(&rotated), &Default::default())
            .expect("plans")
            .steps;
        let accounts = steps
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    ReplStep::Account {
                        reason: AccountReason::PasswordChanged,
                        ..
                    }
                )
            })
            .count();
        let credentials = steps
            .iter()
            .filter(|s| matches!(s, ReplStep::Credentials { .. }))
            .count();
        assert_eq!((accounts, credentials, steps.len()), (2, 2, 4), "{steps:?}");
    }

    /// db1 and db2 with these replication facts, the backup tool on `tools`.
    fn with_tools(
        db1: ReplicationFacts,
        db2: ReplicationFacts,
        tools: &[&str],
    ) -> BTreeMap<String, HostFacts> {
        let mut all: BTreeMap<String, HostFacts> = [
            ("db1".to_string(), facts("db1", db1)),
            ("db2".to_string(), facts("db2", db2)),
        ]
        .into_iter()
        .collect();
        for host in tools {
            if let Some(f) = all.get_mut(*host) {
                f.os.physical_tool = Some(crate::flavor::PhysicalTool::MariaDbBackup);
            }
        }
        all
    }

    /// The seed step of the plan of `p`'s play over `all`.
    fn the_seed(p: &Project, all: &BTreeMap<String, HostFacts>) -> Result<ReplStep, Refusal> {
        let plan = plan_replication(p, &p.plays[0], all, None, &Default::default())?;
        Ok(plan
            .steps
            .into_iter()
            .find(|s| matches!(s, ReplStep::Seed { .. }))
            .expect("a seed"))
    }

    /// The seed db1 -> db2 planned with `seed_method`, the tool on `tools` hosts, db1 holding `bytes`.
    fn seed_with(
        method: crate::model::SeedMethod,
        tools: &[&str],
        bytes: u64,
    ) -> Result<ReplStep, Refusal> {
        let mut p = project();
        p.plays[0].vars.seed_method = method;
        let db1 = ReplicationFacts {
            schemas: vec![SchemaSize {
                name: "shop".into(),
                tables: 3,
                bytes,
            }],
            ..Default::default()
        };
        let all = with_tools(db1, Default::default(), tools);
        the_seed(&p, &all)
    }

    /// The seed db1 -> db2 of a MySQL pair at these releases, XtraBackup on `tools` hosts, `seed_method`
    /// physical.
    fn mysql_seed(db1: &str, db2: &str, tools: &[&str]) -> Result<ReplStep, Refusal> {
        let mut p = project();
        p.plays[0].vars.seed_method = crate::model::SeedMethod::Physical;
        let data = ReplicationFacts {
            schemas: shop(),
            ..Default::default()
        };
        let mut all = with_tools(data, Default::default(), &[]);
        for (host, release) in [("db1", db1), ("db2", db2)] {
            if let Some(f) = all.get_mut(host) {
                f.server = Some(ServerVersion::parse_hint(release).expect("a release"));
                if tools.contains(&host) {
                    f.os.physical_tool = Some(crate::flavor::PhysicalTool::XtraBackup);
                }
            }
        }
        the_seed(&p, &all)
    }

    #[test]
    fn mysql_copies_with_xtrabackup_where_both_have_it_else_with_the_clone_plugin_where_it_can() {
        use crate::flavor::PhysicalTool;
        let tool = |step: ReplStep| match step {
            ReplStep::Seed {
                physical: Some(p), ..
            } => (p.tool, p.source_address, p.target_address),
            other => panic!("not a physical seed: {other:?}"),
        };
        let both = ["db1", "db2"];
        let (t, from, _) = tool(mysql_seed("mysql-8.0.36", "mysql-8.0.36", &both).expect("plans"));
        assert_eq!((t, from.as_str()), (PhysicalTool::XtraBackup, ""));
        let (t, from, to) =
            tool(mysql_seed("mysql-8.0.36", "mysql-8.0.36", &["db1"]).expect("plans"));
        assert_eq!(
            (t, from.as_str(), to.as_str()),
            (PhysicalTool::Clone, "192.0.2.11", "192.0.2.12"),
            "the clone names both ends"
        );
        let (t, ..) = tool(mysql_seed("mysql-8.4.2", "mysql-8.4.0", &[]).expect("plans"));
        assert_eq!(
            t,
            PhysicalTool::Clone,
            "8.0.37 and later clone across releases"
        );
        for (db1, db2) in [
            ("mysql-8.0.36", "mysql-8.0.35"),
            ("mysql-8.0.16", "mysql-8.0.16"),
            ("mysql-5.7.44", "mysql-5.7.44"),
        ] {
            let refused = mysql_seed(db1, db2, &[]).expect_err("no way to copy the files");
            assert!(
                refused.message.contains("clone plugin needs MySQL 8.0.17"),
                "{db1} {db2}: {}",
                refused.message
            );
        }
    }

    #[test]
    fn a_seed_copies_files_when_asked_or_when_large_and_both_hosts_can() {
        use crate::model::{PHYSICAL_SEED_ABOVE, SeedMethod};
        let both = ["db1", "db2"];
        let physical = |s: &ReplStep| match s {
            ReplStep::Seed {
                physical,
                method_why,
                ..
            } => (physical.clone(), method_why.clone()),
            _ => unreachable!(),
        };
        let (copy, why) = physical(&seed_with(SeedMethod::Physical, &both, 10).expect("asked"));
        let copy = copy.expect("a physical seed");
        assert_eq!(copy.tool, crate::flavor::PhysicalTool::MariaDbBackup);
        assert_eq!(copy.target_datadir, "/var/lib/mysql");
        assert_eq!(copy.source_socket, "/run/mysqld/mysqld.sock");
        assert_eq!(why, MethodWhy::Asked);

        let refused =
            seed_with(SeedMethod::Physical, &["db1"], 10).expect_err("db2 lacks the tool");
        assert!(
            refused.message.contains("db2 has no mariadb-backup"),
            "{}",
            refused.message
        );

        let (copy, why) =
            physical(&seed_with(SeedMethod::Auto, &both, PHYSICAL_SEED_ABOVE).expect("plans"));
        assert!(copy.is_some());
        assert_eq!(
            why,
            MethodWhy::Large {
                bytes: PHYSICAL_SEED_ABOVE
            }
        );
        let (copy, why) =
            physical(&seed_with(SeedMethod::Auto, &both, PHYSICAL_SEED_ABOVE - 1).expect("plans"));
        assert!(copy.is_none());
        assert_eq!(
            why,
            MethodWhy::Small {
                bytes: PHYSICAL_SEED_ABOVE - 1
            }
        );
        let (copy, why) =
            physical(&seed_with(SeedMethod::Auto, &["db2"], PHYSICAL_SEED_ABOVE).expect("plans"));
        assert!(copy.is_none());
        assert!(
            matches!(&why, MethodWhy::CannotCopyFiles { detail } if detail.contains("db1 has no")),
            "{why:?}"
        );
        let (copy, why) =
            physical(&seed_with(SeedMethod::Logical, &both, PHYSICAL_SEED_ABOVE).expect("plans"));
        assert!(copy.is_none());
        assert_eq!(why, MethodWhy::Asked);
    }

    #[test]
    fn a_node_seeded_with_a_copy_of_files_gets_its_replicas_accounts_set_again() {
        let mut p = project();
        p.plays[0].vars.seed_method = crate::model::SeedMethod::Physical;
        let db1_address = p.hosts["db1"].address.clone();
        let db1 = ReplicationFacts {
            schemas: shop(),
            ..Default::default()
        };
        // db2 already has db1's account (an earlier run made it): the copy will not.
        let db2 = ReplicationFacts {
            account_hosts: vec![db1_address.clone()],
            ..Default::default()
        };
        let all = with_tools(db1, db2, &["db1", "db2"]);
        let plan =
            plan_replication(&p, &p.plays[0], &all, None, &Default::default()).expect("plans");
        assert!(
            plan.steps.iter().any(|s| matches!(s, ReplStep::Account { source, replica_address, reason: AccountReason::Copied, .. }
                if source == "db2" && *replica_address == db1_address)),
            "{:?}",
            plan.steps
        );
        let seed_at = plan
            .steps
            .iter()
            .position(|s| matches!(s, ReplStep::Seed { .. }));
        let copied_at = plan.steps.iter().position(|s| {
            matches!(
                s,
                ReplStep::Account {
                    reason: AccountReason::Copied,
                    ..
                }
            )
        });
        assert!(
            copied_at < seed_at,
            "made before the seed, set again by apply after it"
        );
    }
}
