//! Plans as text: the human form (in the habits of Terraform and Ansible) and JSON for machines. Pure; the
//! CLI decides where the text goes.
//!
//! Human form, per host in name order: a header with the server; `+` for a new file, `~` for a change,
//! `-` for a removal; each config change as a unified diff; each SQL statement (sensitive values shown as
//! `(sensitive)`); each restart with every reason; warnings last. Then one summary line:
//! `Plan: N to add, N to change, N to destroy; R restarts.` or `No changes.`

/// One line of a plan's text. Writing to a `String` cannot fail, so there is no result to keep.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

mod replication;
mod switchover;

use similar::TextDiff;

use crate::plan::{HostPlan, Plan, ReplicationPlan, Step};
use replication::replication_section;

pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    for s in &plan.switchovers {
        switchover::section(&mut out, s);
    }
    for host in &plan.hosts {
        host_section(&mut out, host);
    }
    rolling_section(&mut out, plan);
    for gtid_move in &plan.gtid_moves {
        gtid_move_section(&mut out, gtid_move);
    }
    for stage in &plan.interleavings {
        interleaving_section(&mut out, stage);
    }
    for replication in &plan.replication {
        replication_section(&mut out, replication);
    }
    for stage in plan.interleavings.iter().filter(|s| !s.held.is_empty()) {
        opening_section(&mut out, stage);
    }
    for r in &plan.rejoins {
        switchover::rejoin_section(&mut out, r);
    }
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// Replication plans alone, as `human` shows them.
pub fn replication(plans: &[ReplicationPlan]) -> String {
    let mut out = String::new();
    for plan in plans {
        replication_section(&mut out, plan);
    }
    out
}

/// The plan's warnings and its summary line, for `-q`.
pub fn brief(plan: &Plan) -> String {
    let mut out = String::new();
    let warnings = plan
        .hosts
        .iter()
        .flat_map(|h| &h.warnings)
        .chain(plan.replication.iter().flat_map(|r| &r.warnings));
    for warning in warnings {
        put!(out, "! WARNING: {warning}");
    }
    for broken in plan.broken() {
        put!(
            out,
            "! {} <- {}: BROKEN, left as it is: error {}: {}",
            broken.replica,
            broken.source,
            broken.errno,
            broken.error
        );
    }
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

pub fn summary_line(plan: &Plan) -> String {
    let broken = plan.broken().count();
    if !plan.has_changes() && broken > 0 {
        return format!(
            "Nothing to change that would help: {} broken, left as {} (see above).",
            plural(broken, "replication direction"),
            if broken == 1 { "it is" } else { "they are" }
        );
    }
    if !plan.has_changes() {
        return "No changes. The hosts match the playbook.".into();
    }
    let s = plan.summary();
    let restarts = if s.restarts == 1 {
        "1 restart".to_string()
    } else {
        format!("{} restarts", s.restarts)
    };
    let left = if broken > 0 {
        format!("; {} left broken", plural(broken, "direction"))
    } else {
        String::new()
    };
    format!(
        "Plan: {} to add, {} to change, {} to destroy; {restarts}{left}.",
        s.add, s.change, s.destroy
    )
}

fn host_section(out: &mut String, host: &HostPlan) {
    put!(out, "{} ({})", host.host, host.server);
    if host.steps.is_empty() {
        put!(out, "  no changes");
    }
    for step in &host.steps {
        match step {
            Step::InstallServer { .. } => install_lines(out, step),
            Step::Harden => {
                put!(
                    out,
                    "  ~ first clean-up of the fresh server: drop its anonymous accounts and the test database \
                     (not logged, so never replicated)"
                );
            }
            Step::WriteConfig { .. } => config_lines(out, step),
            Step::SetGlobal { live, .. } => {
                let sql = step.sql().unwrap_or_default();
                put!(out, "  ~ sql: {sql};   -- server has {live}");
            }
            Step::MoveDatadir { .. } => datadir_lines(out, step),
            Step::ServiceSocket { path, socket, was } => {
                put!(
                    out,
                    "  ~ service client {path}: [client] socket {was} -> {socket}"
                );
                put!(
                    out,
                    "      the service script's admin client reads only this file: it must find the server on its new socket"
                );
            }
            Step::Restart { command, reasons } => restart_lines(out, host, command, reasons),
        }
    }
    for warning in &host.warnings {
        put!(out, "  ! WARNING: {warning}");
    }
    out.push('\n');
}

/// An install step: the packages, where they come from, and the repository files written.
fn install_lines(out: &mut String, step: &Step) {
    let Step::InstallServer {
        manager,
        packages,
        repository,
        sources,
        server,
        datadir,
        reason,
        ..
    } = step
    else {
        return;
    };
    let from = match repository {
        Some(name) => format!("from the repository `{name}`"),
        None => "from the host's own package sources".to_string(),
    };
    put!(
        out,
        "  + install {}: {} ({}, {from})",
        server.series(),
        packages.join(" "),
        manager.name()
    );
    put!(out, "      because {}", reason.describe());
    for file in sources {
        put!(out, "      + {}", file.path);
        if !file.content.starts_with("-----BEGIN") {
            for line in file.content.lines() {
                put!(out, "          {line}");
            }
        }
    }
    put!(
        out,
        "      the server is kept from starting until its config is written (checked first to be read after \
             the package's own option files); {datadir} is initialized if it holds no system tables"
    );
}

/// A config file written: created, or updated with its unified diff.
fn config_lines(out: &mut String, step: &Step) {
    let Step::WriteConfig {
        path,
        before,
        after,
    } = step
    else {
        return;
    };
    let (symbol, what) = if before.is_some() {
        ('~', "update")
    } else {
        ('+', "create")
    };
    put!(out, "  {symbol} config {path} ({what})");
    let old = before.as_deref().unwrap_or("");
    let diff = TextDiff::from_lines(old, after.as_str());
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{path} (on host)"), &format!("{path} (planned)"))
        .to_string();
    for line in unified.lines() {
        put!(out, "      {line}");
    }
}

/// A data directory moved: what is copied, and where the old files go.
fn datadir_lines(out: &mut String, step: &Step) {
    let Step::MoveDatadir {
        from,
        to,
        holds_data,
        redo,
    } = step
    else {
        return;
    };
    put!(out, "  ~ move the data directory {from} -> {to}");
    let what = if *holds_data {
        "its data (the play says datadir_move: true)"
    } else {
        "its system tables and accounts (it holds no application data)"
    };
    put!(
        out,
        "      mysqld stops; {what} is copied with owners and modes and verified; it starts from {to}"
    );
    put!(
        out,
        "      once it serves, the old files are set aside in {from}/.mmprov-old-datadir-<time>"
    );
    if *redo {
        put!(
            out,
            "      {to} holds an unfinished earlier copy: it is made again"
        );
    }
}

/// A restart: each reason, and its place in the play's rolling order.
fn restart_lines(
    out: &mut String,
    host: &HostPlan,
    command: &str,
    reasons: &[crate::plan::RestartReason],
) {
    put!(out, "  ~ restart mysqld: {command}");
    for reason in reasons {
        put!(out, "      because {}", reason.describe());
    }
    if let Some(r) = &host.rolling {
        put!(
            out,
            "      rolling: batch {} of {} of play \"{}\"; before the next batch, {}",
            r.batch + 1,
            r.batches,
            r.play,
            r.gate.describe(&host.host)
        );
    }
}

/// A MySQL group's move to `gtid_mode = ON`, stage by stage.
fn gtid_move_section(out: &mut String, gtid_move: &crate::plan::GtidMove) {
    use crate::plan::GtidStage;
    put!(
        out,
        "gtid (play \"{}\"): moved to gtid_mode = ON live, before the host steps; every server passes each stage \
         before any passes the next",
        gtid_move.play
    );
    for stage in &gtid_move.stages {
        match stage {
            GtidStage::Set {
                variable,
                value,
                hosts,
            } => {
                put!(
                    out,
                    "  ~ sql: SET GLOBAL {variable} = {value};   -- on {}, one at a time",
                    hosts.join(", ")
                );
            }
            GtidStage::DrainAnonymous { hosts, .. } => {
                put!(
                    out,
                    "  ~ wait until no anonymous transaction runs on {} and every replica has applied its source's \
                     binary log up to then",
                    hosts.join(", ")
                );
            }
        }
    }
    put!(
        out,
        "      because the play replicates by GTID, and a server at gtid_mode = ON refuses the anonymous \
         transactions of a peer that is not there yet\n"
    );
}

/// A play's `auto_increment` values changed live and its joining nodes held, before the host steps.
fn interleaving_section(out: &mut String, stage: &crate::plan::Interleaving) {
    if stage.changes.is_empty() && stage.held.iter().all(|h| h.marked) {
        return;
    }
    put!(
        out,
        "auto_increment (play \"{}\"): before the host steps",
        stage.play
    );
    for held in stage.held.iter().filter(|h| !h.marked) {
        put!(
            out,
            "  ~ {} joins held read-only{}: it takes no writes until the sessions {} had before this change have \
             ended",
            held.host,
            if held.running {
                " (SET GLOBAL read_only = ON now)"
            } else {
                ""
            },
            held.drain.join(" and ")
        );
    }
    for change in &stage.changes {
        put!(
            out,
            "  ~ sql on {}: SET GLOBAL auto_increment_increment = {}, auto_increment_offset = {};   -- ids {} \
             were {}",
            change.host,
            change.to.increment,
            change.to.offset,
            change.to,
            change.from
        );
    }
    if !stage.changes.is_empty() {
        put!(
            out,
            "      because the play has more nodes than the increment leaves room for; each node's new ids stay \
             within its old ones, so none can meet another node's, old or new"
        );
    }
    out.push('\n');
}

/// The held nodes opened for writes, after replication.
fn opening_section(out: &mut String, stage: &crate::plan::Interleaving) {
    put!(out, "open for writes (play \"{}\"), last", stage.play);
    for held in &stage.held {
        put!(
            out,
            "  ~ {}: once every session open now on {} has ended (the application's sessions keep the \
             auto_increment values they connected with), read_only = OFF and {} written without the hold",
            held.host,
            held.drain.join(" and "),
            held.config_path
        );
        put!(
            out,
            "      because its ids would meet those the old sessions on {} still generate",
            held.drain.join(" and ")
        );
    }
    out.push('\n');
}

/// One live play's restart order: its batches, `serial` nodes at a time, each behind its gate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RollingOrder {
    pub play: String,
    pub serial: usize,
    pub batches: Vec<Vec<String>>,
}

/// The order of each live play's restarts, from the hosts that restart.
pub fn rolling_orders(plan: &Plan) -> Vec<RollingOrder> {
    let mut plays: std::collections::BTreeMap<&str, RollingOrder> = Default::default();
    for host in plan.hosts.iter().filter(|h| !h.steps.is_empty()) {
        let Some(r) = &host.rolling else { continue };
        let order = plays
            .entry(r.play.as_str())
            .or_insert_with(|| RollingOrder {
                play: r.play.clone(),
                serial: r.serial,
                batches: Vec::new(),
            });
        if order.batches.len() <= r.batch {
            order.batches.resize(r.batch + 1, Vec::new());
        }
        order.batches[r.batch].push(host.host.clone());
    }
    plays.into_values().collect()
}

/// The order of each live play's restarts, batch by batch.
fn rolling_section(out: &mut String, plan: &Plan) {
    for order in rolling_orders(plan) {
        let at_a_time = match order.serial {
            1 => "one node at a time".to_string(),
            n => format!("{n} nodes at a time"),
        };
        let batches: Vec<String> = order.batches.iter().map(|b| b.join(" + ")).collect();
        put!(
            out,
            "rolling restart (play \"{}\", live: {at_a_time}, each behind its gate): {}",
            order.play,
            batches.join(", then ")
        );
        put!(
            out,
            "  a gate that does not pass stops the rollout there; the nodes after it are not touched\n"
        );
    }
}

pub(super) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub(super) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The version of the JSON plan's shape: raised when a field changes meaning or goes away.
pub const JSON_FORMAT_VERSION: u32 = 3;

/// The JSON plan: every section the human plan shows, under one key each.
#[derive(serde::Serialize)]
struct JsonPlan<'a> {
    format_version: u32,
    /// Each play's move of its writer: old and new writer, each step in order with its kind.
    switchovers: &'a [crate::plan::Switchover],
    /// Old writers back after a failover: their errant transactions (named, counted), if any were accepted.
    rejoins: &'a [crate::plan::Rejoin],
    /// Each host's steps (config diffs, statements, restarts with their reasons), warnings and fingerprint.
    hosts: &'a [HostPlan],
    /// The order of each live play's restarts.
    rolling: Vec<RollingOrder>,
    /// MySQL groups moved to `gtid_mode = ON`, stage by stage.
    gtid_moves: &'a [crate::plan::GtidMove],
    /// auto_increment changes and nodes held read-only until they are opened, last.
    interleavings: &'a [crate::plan::Interleaving],
    /// Each play's replication steps (moves and repairs included), warnings, and directions left broken.
    replication: &'a [ReplicationPlan],
    summary: crate::plan::Summary,
    /// Steps to take.
    changes: bool,
    /// Directions left broken: no step repairs them.
    broken: Vec<&'a crate::plan::BrokenDirection>,
    /// The line the human plan ends with.
    summary_line: String,
}

/// The plan for machines: the whole of what [`human`] shows, with a `format_version`.
pub fn json(plan: &Plan) -> Result<String, serde_json::Error> {
    let whole = JsonPlan {
        format_version: JSON_FORMAT_VERSION,
        switchovers: &plan.switchovers,
        rejoins: &plan.rejoins,
        hosts: &plan.hosts,
        rolling: rolling_orders(plan),
        gtid_moves: &plan.gtid_moves,
        interleavings: &plan.interleavings,
        replication: &plan.replication,
        summary: plan.summary(),
        changes: plan.has_changes(),
        broken: plan.broken().collect(),
        summary_line: summary_line(plan),
    };
    Ok(serde_json::to_string_pretty(&whole)? + "\n")
}

#[cfg(test)]
mod tests;
