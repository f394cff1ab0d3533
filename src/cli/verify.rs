//! `mmprov verify`: proves replication end to end through the engine (probe rows on every node, and with
//! `--checksum` table checksums), printing each finding as it is made and the verdict.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::engine::{Engine, Finding};
use crate::error::Error;
use crate::load::LoadOptions;

pub struct VerifyRequest<'a> {
    pub playbook: &'a Path,
    pub options: LoadOptions,
    pub timeout: Duration,
    pub checksum: bool,
    pub forks: usize,
    /// The verdict only, not each probe and checksum.
    pub quiet: bool,
}

pub fn run(req: &VerifyRequest<'_>, out: &mut dyn Write) -> Result<(), Error> {
    let project = crate::load::load(req.playbook, &req.options)?;
    let mut failures = Vec::new();
    let mut written = Ok(());
    Engine::reading(&project, req.forks).verify(req.timeout, req.checksum, &mut |_, finding| {
        if finding.failed() {
            failures.push(failure(&finding));
        }
        // Failures are reported in the error either way; -q drops the line per probe and per table.
        if !req.quiet && written.is_ok() {
            written = writeln!(out, "{}", line(&finding));
        }
    })?;
    written?;
    if failures.is_empty() {
        writeln!(out, "Verified: every probe arrived on every node.")?;
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
            "ok   {origin} -> {node}: probe arrived within {} ms",
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
                "FAIL {origin} -> {node}: probe did not arrive within {} s{why}",
                timeout.as_secs()
            )
        }
        Finding::NoTables => "ok   no application tables to checksum".into(),
        Finding::ChecksumAgrees { table, nodes } => {
            format!("ok   checksum {table} agrees on {nodes} nodes")
        }
        Finding::ChecksumDiffers { table, on } => {
            format!("FAIL checksum {table} differs on {}", on.join(", "))
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
