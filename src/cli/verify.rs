//! `mmprov verify`: proves replication end to end through the engine (probe rows on every node, and with
//! `--checksum` table checksums), printing each finding as it is made and the verdict.

use super::args::{Forks, Input, Limit, seconds};
use super::shell::Shell;
use crate::engine::{Engine, Finding};
use crate::error::Error;

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub input: Input,
    #[command(flatten)]
    pub limit: Limit,
    /// Seconds a probe may take to arrive.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Also compare CHECKSUM TABLE of every application table across the nodes (at a quiet point).
    #[arg(long)]
    pub checksum: bool,
    #[command(flatten)]
    pub forks: Forks,
}

/// Each finding as it is made (under `-q`, only failures), then the verdict.
pub fn run(req: &VerifyArgs, shell: &mut Shell<'_>) -> Result<(), Error> {
    let project = crate::load::load(&req.input.playbook, &req.input.limited(&req.limit))?;
    let mut failures = Vec::new();
    let mut written = Ok(());
    Engine::reading(&project, req.forks.count()).verify(
        seconds(req.timeout),
        req.checksum,
        &mut |_, finding| {
            let shown = if finding.failed() {
                failures.push(failure(&finding));
                shell.fail(line(&finding))
            } else {
                shell.ok(line(&finding))
            };
            if written.is_ok() {
                written = shown;
            }
        },
    )?;
    written?;
    if failures.is_empty() {
        shell.result("Verified: every probe arrived on every node.")?;
        Ok(())
    } else {
        Err(Error::VerifyFailed {
            failures: failures.join("; "),
        })
    }
}

fn line(finding: &Finding) -> String {
    match finding {
        Finding::Arrived {
            origin,
            node,
            after,
        } => format!(
            "{origin} -> {node}: probe arrived within {} ms",
            after.as_millis()
        ),
        Finding::Missing {
            origin,
            node,
            timeout,
            last_error,
        } => {
            let why = last_error
                .as_deref()
                .map(|e| format!(" (last read: {e})"))
                .unwrap_or_default();
            format!(
                "{origin} -> {node}: probe did not arrive within {} s{why}",
                timeout.as_secs()
            )
        }
        Finding::NoTables => "no application tables to checksum".into(),
        Finding::ChecksumAgrees { table, nodes } => {
            format!("checksum {table} agrees on {nodes} nodes")
        }
        Finding::ChecksumDiffers { table, on } => {
            format!("checksum {table} differs on {}", on.join(", "))
        }
    }
}

fn failure(finding: &Finding) -> String {
    match finding {
        Finding::Missing { origin, node, .. } => format!("{origin} -> {node}"),
        Finding::ChecksumDiffers { table, .. } => format!("{table} differs"),
        other => line(other),
    }
}
