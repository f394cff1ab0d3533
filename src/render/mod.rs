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

use similar::TextDiff;

use crate::plan::{AccountReason, HostPlan, Plan, Position, ReplStep, ReplicationPlan, Step};

pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
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
        "      the server is kept from starting until its config is written; {datadir} is initialized \
             if it holds no system tables"
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

/// How a replication connection is secured, as a clause: empty for plain connections.
fn tls_words(tls: Option<&crate::model::ReplicationTls>) -> String {
    match tls {
        None => String::new(),
        Some(t) if t.verify_server_cert => format!(
            ", over TLS with CA {}, the source's certificate verified",
            t.ca
        ),
        Some(t) => format!(
            ", over TLS with CA {}, the source's certificate NOT verified",
            t.ca
        ),
    }
}

fn replication_section(out: &mut String, plan: &ReplicationPlan) {
    put!(out, "replication (play \"{}\")", plan.play);
    if !plan.decided_after.is_empty() {
        put!(
            out,
            "  (decided again once {} {} restarted: the steps below are for the servers as they will be then; \
             apply stops and shows the new steps if what it finds differs)",
            plan.decided_after.join(", "),
            if plan.decided_after.len() == 1 {
                "has"
            } else {
                "have"
            }
        );
    }
    if plan.steps.is_empty() && plan.broken.is_empty() {
        put!(out, "  no changes: every node replicates from its source");
    }
    for step in &plan.steps {
        let (line, reasons) = replication_step(step);
        put!(out, "  {line}");
        for because in reasons {
            put!(out, "      because {because}");
        }
    }
    for broken in &plan.broken {
        put!(
            out,
            "  ! {} <- {}: BROKEN, left as it is: error {}: {}",
            broken.replica,
            broken.source,
            broken.errno,
            broken.error
        );
        put!(out, "      {}", broken.fix);
    }
    for warning in &plan.warnings {
        put!(out, "  ! WARNING: {warning}");
    }
    out.push('\n');
}

/// One replication step as a line, and why it is planned (where the line does not already say). One
/// function per kind of step below.
fn replication_step(step: &ReplStep) -> (String, Vec<String>) {
    match step {
        ReplStep::Account {
            source,
            replica,
            replica_address,
            user,
            tls,
            reason,
        } => account_step(source, replica, replica_address, user, *tls, reason),
        ReplStep::Seed {
            from,
            to,
            schemas,
            tables,
            bytes,
            overwrite,
            interrupted,
            physical,
            method_why,
        } => {
            let seed = SeedLine {
                from,
                to,
                schemas,
                tables: *tables,
                bytes: *bytes,
                overwrite: *overwrite,
                interrupted: *interrupted,
            };
            let method = method_why.describe(physical.is_some());
            (seed.line(physical.as_ref()), vec![seed.because(), method])
        }
        ReplStep::Connect {
            replica,
            source,
            source_address,
            port,
            user,
            position,
            tls,
            gtid,
            reason,
        } => {
            let to = SourceWords::new(replica, source, source_address, *port, user, tls);
            connect_step(to, position, *gtid, reason)
        }
        ReplStep::Move {
            replica,
            from,
            source,
            source_address,
            port,
            user,
            tls,
        } => {
            let to = SourceWords::new(replica, source, source_address, *port, user, tls);
            move_step(to, from)
        }
        ReplStep::Tls {
            replica,
            source,
            tls,
        } => tls_step(replica, source, tls.as_ref()),
        ReplStep::Credentials {
            replica,
            source,
            user,
        } => credentials_step(replica, source, user),
        ReplStep::Start {
            replica,
            source,
            reason,
        } => (
            format!("~ start replication on {replica} (from {source})"),
            vec![reason.describe()],
        ),
        ReplStep::Repair {
            replica,
            source,
            errno,
            error,
        } => repair_step(replica, source, *errno, error),
        ReplStep::Positioning {
            replica,
            source,
            gtid,
            reasons,
        } => positioning_step(replica, source, *gtid, reasons),
    }
}

/// The words of a replica's connection to its source, as connect and move steps show it.
struct SourceWords<'a> {
    replica: &'a str,
    source: &'a str,
    source_address: &'a str,
    port: u16,
    user: &'a str,
    tls: Option<&'a crate::model::ReplicationTls>,
}

impl<'a> SourceWords<'a> {
    fn new(
        replica: &'a str,
        source: &'a str,
        source_address: &'a str,
        port: u16,
        user: &'a str,
        tls: &'a Option<crate::model::ReplicationTls>,
    ) -> Self {
        Self {
            replica,
            source,
            source_address,
            port,
            user,
            tls: tls.as_ref(),
        }
    }

    /// `(ADDRESS:PORT as USER, password (sensitive)[, TLS…])`.
    fn how(&self) -> String {
        format!(
            "({}:{} as {}, password (sensitive){})",
            self.source_address,
            self.port,
            self.user,
            tls_words(self.tls)
        )
    }
}

/// A new connection: to which source, as whom, and from which position.
fn connect_step(
    to: SourceWords,
    position: &Position,
    gtid: bool,
    reason: &crate::plan::ConnectReason,
) -> (String, Vec<String>) {
    let line = format!(
        "+ {} replicates from {} {}, {}",
        to.replica,
        to.source,
        to.how(),
        connect_position(to.source, position, gtid)
    );
    (line, vec![reason.describe()])
}

/// A replica moved to its place in the ring, its GTID position kept.
fn move_step(to: SourceWords, from: &str) -> (String, Vec<String>) {
    let (replica, source) = (to.replica, to.source);
    let line = format!(
        "~ {replica}: replicate from {source} instead of {from} {}, its GTID position kept, once {source} \
         holds every transaction {replica} has applied",
        to.how()
    );
    let because = format!(
        "{source} is the node {replica} replicates from in the play's ring, and the GTID position \
         {replica} has carries over to any node of the ring"
    );
    (line, vec![because])
}

/// A replica's account changed, its source and position kept.
fn credentials_step(replica: &str, source: &str, user: &str) -> (String, Vec<String>) {
    let line = format!(
        "~ {replica}: replicate from {source} as {user}, password (sensitive); source and position kept"
    );
    let because = format!(
        "it connects as another account, or the password of {user} on {source} is set again"
    );
    (line, vec![because])
}

/// A replica switched to another way of keeping its place.
fn positioning_step(
    replica: &str,
    source: &str,
    gtid: bool,
    reasons: &[crate::plan::PositioningReason],
) -> (String, Vec<String>) {
    let how = if gtid {
        "by GTID, from the point it has applied"
    } else {
        "by binary log file and position, from the point it has applied"
    };
    let line = format!(
        "~ {replica}: replicate from {source} {how}, retrying a lost source every {} s; source and \
         account kept",
        crate::flavor::CONNECT_RETRY
    );
    (line, reasons.iter().map(|r| r.describe()).collect())
}

fn account_step(
    source: &str,
    replica: &str,
    replica_address: &str,
    user: &str,
    tls: bool,
    reason: &AccountReason,
) -> (String, Vec<String>) {
    let (symbol, why) = match reason {
        AccountReason::Missing => ("+", String::new()),
        other => ("~", format!(" ({})", other.describe())),
    };
    let line = format!(
        "{symbol} account '{user}'@'{replica_address}' on {source}, for {replica}{why}: REPLICATION \
         SLAVE only, password (sensitive), {}not written to the binary log",
        if tls { "TLS required, " } else { "" }
    );
    (line, Vec::new())
}

/// A seed step's words: how the copy is made (a dump, the clone plugin, a physical backup) and why.
struct SeedLine<'a> {
    from: &'a str,
    to: &'a str,
    schemas: &'a [String],
    tables: u64,
    bytes: u64,
    overwrite: bool,
    interrupted: bool,
}

impl SeedLine<'_> {
    fn line(&self, physical: Option<&crate::plan::PhysicalSeed>) -> String {
        let (from, to, tables) = (self.from, self.to, self.tables);
        let symbol = if self.overwrite { "-/+" } else { "~" };
        let replaces = match (self.interrupted, self.overwrite) {
            (true, _) => "; redoes an interrupted seed (the partial copy is replaced)",
            (false, true) => "; REPLACES the data on the target",
            (false, false) => "",
        };
        match physical {
            None => format!(
                "{symbol} seed {to} from {from}: {} ({}), {tables} tables, {}; consistent dump streamed \
                 host to host, restored with binary logging off{replaces}",
                plural(self.schemas.len(), "schema"),
                self.schemas.join(", "),
                human_bytes(self.bytes)
            ),
            Some(p) if p.tool == crate::flavor::PhysicalTool::Clone => format!(
                "{symbol} seed {to} from {from}: a copy of the whole instance ({tables} tables, {} of them, \
                 plus system tables) by MySQL's clone plugin, loaded on both where it is not: an account \
                 '{}'@'{}' on {from} (BACKUP_ADMIN only, password (sensitive), not written to the binary log, \
                 dropped after), then CLONE INSTANCE on {to}, whose data is replaced and whose mysqld restarts \
                 with the copy{replaces}",
                human_bytes(self.bytes),
                crate::flavor::clone::CLONE_USER,
                p.target_address
            ),
            Some(p) => format!(
                "{symbol} seed {to} from {from}: a physical copy of the whole instance ({tables} tables, {} \
                 of them, plus system tables and InnoDB's own files), {} streamed host to host, prepared \
                 on {to}, swapped in as {} with {to}'s mysqld stopped; {to}'s old files are kept aside{replaces}",
                human_bytes(self.bytes),
                p.tool.name(),
                p.target_datadir
            ),
        }
    }

    fn because(&self) -> String {
        let (from, to) = (self.from, self.to);
        if self.interrupted {
            format!("an earlier seed of {to} was cut off before {to} replicated")
        } else {
            format!(
                "{to} does not replicate yet and {from}, the seed source, holds application data"
            )
        }
    }
}

/// Where a new connection starts reading, and how it keeps its place from there.
fn connect_position(source: &str, position: &Position, gtid: bool) -> String {
    let from = match position {
        Position::Seed => "at the coordinates recorded in the seed dump".to_string(),
        Position::SourceNow => format!("at {source}'s binary log position when connected"),
    };
    if gtid {
        format!("{from}, positioned by GTID from there on")
    } else {
        format!("{from}, by binary log file and position")
    }
}

fn tls_step(
    replica: &str,
    source: &str,
    tls: Option<&crate::model::ReplicationTls>,
) -> (String, Vec<String>) {
    let line = format!(
        "~ {replica}: replicate from {source}{}; source, account and position kept",
        match tls {
            Some(_) => tls_words(tls),
            None => ", without TLS".into(),
        }
    );
    let because = match tls {
        Some(_) => "its connection's TLS is not what replication_tls asks for",
        None => "it connects over TLS and the play has no replication_tls",
    };
    (line, vec![because.into()])
}

fn repair_step(replica: &str, source: &str, errno: u32, error: &str) -> (String, Vec<String>) {
    (
        format!(
            "~ {replica}: replicate from {source} again by GTID, which asks {source} for exactly the \
             transactions {replica} lacks ({source} refuses again if its binary logs no longer hold them, \
             and then nothing is skipped: apply says so, and `mmprov rebuild` is the fix)"
        ),
        vec![format!(
            "it stopped on error {errno} ({error}): {source}'s binary logs no longer hold the file and \
             position it was reading"
        )],
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn human_bytes(bytes: u64) -> String {
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
pub const JSON_FORMAT_VERSION: u32 = 2;

/// The JSON plan: every section the human plan shows, under one key each.
#[derive(serde::Serialize)]
struct JsonPlan<'a> {
    format_version: u32,
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
