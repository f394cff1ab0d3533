//! Plans as text: the human form (in the habits of Terraform and Ansible) and JSON for machines. Pure; the
//! CLI decides where the text goes.
//!
//! Human form, per host in name order: a header with the server; `+` for a new file, `~` for a change,
//! `-` for a removal; each config change as a unified diff; each SQL statement (sensitive values shown as
//! `(sensitive)`); each restart with every reason; warnings last. Then one summary line:
//! `Plan: N to add, N to change, N to destroy; R restarts.` or `No changes.`

use std::fmt::Write as _;

use similar::TextDiff;

use crate::plan::{AccountReason, HostPlan, Plan, Position, ReplStep, ReplicationPlan, Step};

pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    for host in &plan.hosts {
        host_section(&mut out, host);
    }
    for replication in &plan.replication {
        replication_section(&mut out, replication);
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
        let _ = writeln!(out, "! WARNING: {warning}");
    }
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

pub fn summary_line(plan: &Plan) -> String {
    if !plan.has_changes() {
        return "No changes. The hosts match the playbook.".into();
    }
    let s = plan.summary();
    let restarts = if s.restarts == 1 {
        "1 restart".to_string()
    } else {
        format!("{} restarts", s.restarts)
    };
    format!(
        "Plan: {} to add, {} to change, {} to destroy; {restarts}.",
        s.add, s.change, s.destroy
    )
}

fn host_section(out: &mut String, host: &HostPlan) {
    let _ = writeln!(out, "{} ({})", host.host, host.server);
    if host.steps.is_empty() {
        let _ = writeln!(out, "  no changes");
    }
    for step in &host.steps {
        match step {
            Step::WriteConfig {
                path,
                before,
                after,
            } => {
                let (symbol, what) = if before.is_some() {
                    ('~', "update")
                } else {
                    ('+', "create")
                };
                let _ = writeln!(out, "  {symbol} config {path} ({what})");
                let old = before.as_deref().unwrap_or("");
                let diff = TextDiff::from_lines(old, after.as_str());
                let unified = diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("{path} (on host)"), &format!("{path} (planned)"))
                    .to_string();
                for line in unified.lines() {
                    let _ = writeln!(out, "      {line}");
                }
            }
            Step::SetGlobal { live, .. } => {
                let sql = step.sql().unwrap_or_default();
                let _ = writeln!(out, "  ~ sql: {sql};   -- server has {live}");
            }
            Step::Restart { command, reasons } => {
                let _ = writeln!(out, "  ~ restart mysqld: {command}");
                for reason in reasons {
                    let _ = writeln!(out, "      because {}", reason.describe());
                }
            }
        }
    }
    for warning in &host.warnings {
        let _ = writeln!(out, "  ! WARNING: {warning}");
    }
    out.push('\n');
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
    let _ = writeln!(out, "replication (play \"{}\")", plan.play);
    if !plan.decided_after.is_empty() {
        let _ = writeln!(
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
    if plan.steps.is_empty() {
        let _ = writeln!(out, "  no changes: every node replicates from its source");
    }
    for step in &plan.steps {
        let (line, because) = replication_step(step);
        let _ = writeln!(out, "  {line}");
        if let Some(because) = because {
            let _ = writeln!(out, "      because {because}");
        }
    }
    for warning in &plan.warnings {
        let _ = writeln!(out, "  ! WARNING: {warning}");
    }
    out.push('\n');
}

/// One replication step as a line, and why it is planned (where the line does not already say).
fn replication_step(step: &ReplStep) -> (String, Option<String>) {
    match step {
        ReplStep::Account {
            source,
            replica,
            replica_address,
            user,
            tls,
            reason,
        } => {
            let (symbol, why) = match reason {
                AccountReason::Missing => ("+", String::new()),
                other => ("~", format!(" ({})", other.describe())),
            };
            let line = format!(
                "{symbol} account '{user}'@'{replica_address}' on {source}, for {replica}{why}: REPLICATION \
                 SLAVE only, password (sensitive), {}not written to the binary log",
                if *tls { "TLS required, " } else { "" }
            );
            (line, None)
        }
        ReplStep::Seed {
            from,
            to,
            schemas,
            tables,
            bytes,
            overwrite,
            interrupted,
        } => {
            let symbol = if *overwrite { "-/+" } else { "~" };
            let replaces = match (interrupted, overwrite) {
                (true, _) => "; redoes an interrupted seed (the partial copy is replaced)",
                (false, true) => "; REPLACES the data on the target",
                (false, false) => "",
            };
            let line = format!(
                "{symbol} seed {to} from {from}: {} ({}), {tables} tables, {}; consistent dump streamed \
                 host to host, restored with binary logging off{replaces}",
                plural(schemas.len(), "schema"),
                schemas.join(", "),
                human_bytes(*bytes)
            );
            let because = if *interrupted {
                format!("an earlier seed of {to} was cut off before {to} replicated")
            } else {
                format!(
                    "{to} does not replicate yet and {from}, the seed source, holds application data"
                )
            };
            (line, Some(because))
        }
        ReplStep::Connect {
            replica,
            source,
            source_address,
            port,
            user,
            position,
            tls,
            reason,
        } => {
            let from = match position {
                Position::Seed => "at the coordinates recorded in the seed dump".to_string(),
                Position::SourceNow => format!("at {source}'s binary log position when connected"),
            };
            let line = format!(
                "+ {replica} replicates from {source} ({source_address}:{port} as {user}, password \
                 (sensitive){}), {from}",
                tls_words(tls.as_ref())
            );
            (line, Some(reason.describe()))
        }
        ReplStep::Tls {
            replica,
            source,
            tls,
        } => {
            let line = format!(
                "~ {replica}: replicate from {source}{}; source, account and position kept",
                match tls {
                    Some(_) => tls_words(tls.as_ref()),
                    None => ", without TLS".into(),
                }
            );
            let because = match tls {
                Some(_) => "its connection's TLS is not what replication_tls asks for",
                None => "it connects over TLS and the play has no replication_tls",
            };
            (line, Some(because.into()))
        }
        ReplStep::Credentials {
            replica,
            source,
            user,
        } => {
            let line = format!(
                "~ {replica}: replicate from {source} as {user}, password (sensitive); source and position kept"
            );
            let because = format!(
                "it connects as another account, or the password of {user} on {source} is set again"
            );
            (line, Some(because))
        }
        ReplStep::Start {
            replica,
            source,
            reason,
        } => (
            format!("~ start replication on {replica} (from {source})"),
            Some(reason.describe()),
        ),
    }
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

/// The plan for machines: the steps, the fingerprints and the summary.
pub fn json(plan: &Plan) -> String {
    let value = serde_json::json!({
        "hosts": plan.hosts,
        "replication": plan.replication,
        "summary": plan.summary(),
        "changes": plan.has_changes(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests;
