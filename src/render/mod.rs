//! Plans as text: the human form (in the habits of Terraform and Ansible) and JSON for machines. Pure; the
//! CLI decides where the text goes.
//!
//! Human form, per host in name order: a header with the server; `+` for a new file, `~` for a change,
//! `-` for a removal; each config change as a unified diff; each SQL statement (sensitive values shown as
//! `(sensitive)`); each restart with every reason; warnings last. Then one summary line:
//! `Plan: N to add, N to change, N to destroy; R restarts.` or `No changes.`

use std::fmt::Write as _;

use similar::TextDiff;

use crate::plan::{HostPlan, Plan, Step};

pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    for host in &plan.hosts {
        host_section(&mut out, host);
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

/// The plan for machines: the steps, the fingerprints and the summary.
pub fn json(plan: &Plan) -> String {
    let value = serde_json::json!({
        "hosts": plan.hosts,
        "summary": plan.summary(),
        "changes": plan.has_changes(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests;
