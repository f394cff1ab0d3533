//! The replication section of a plan's text: each play's steps, one line per step with its reasons, in the
//! words the plan's readers know (source, account, position, TLS), and the directions left broken.

use super::{human_bytes, plural};
use crate::plan::{AccountReason, Position, ReplStep, ReplicationPlan};

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

pub(super) fn replication_section(out: &mut String, plan: &ReplicationPlan) {
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
pub(super) fn replication_step(step: &ReplStep) -> (String, Vec<String>) {
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
