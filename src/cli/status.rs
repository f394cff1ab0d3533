//! `mmprov status`: every replication direction of every play, its threads, lag, position and last error,
//! with the known desync causes explained. Read-only. Exit 1 when any direction is broken.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::Error;
use crate::facts::{self, HostFacts};
use crate::load::LoadOptions;
use crate::model::{Project, Role};
use crate::plan::MYSQL_PORT;
use crate::replication::{ReplicaStatus, explain};

#[derive(Debug, Serialize)]
pub struct Direction {
    pub play: String,
    pub replica: String,
    pub source: String,
    pub healthy: bool,
    /// What the replica reports; `None` when it replicates from nothing (or from another source).
    pub status: Option<ReplicaStatus>,
    pub problem: Option<String>,
    pub explanation: Option<String>,
}

pub fn directions(
    project: &Project,
    facts: &std::collections::BTreeMap<String, HostFacts>,
) -> Vec<Direction> {
    let mut out = Vec::new();
    for play in project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
    {
        // A replica's status is read on the replica: directions into hosts outside `--limit` are not shown.
        for (replica, source) in play.ring().into_iter().filter(|(r, _)| project.in_limit(r)) {
            let address = project
                .hosts
                .get(source)
                .map(|h| h.address.as_str())
                .unwrap_or(source);
            let status = facts
                .get(replica)
                .and_then(|f| f.replication.as_ref())
                .and_then(|r| r.replica.clone());
            let (problem, explanation) = match &status {
                None if facts.get(replica).is_some_and(|f| !f.running) => {
                    (Some("mysqld is not running".to_string()), None)
                }
                None => (Some("not replicating".to_string()), None),
                Some(s) if !s.points_at(address, MYSQL_PORT, &play.vars.replication_user) => (
                    Some(format!(
                        "replicates from {}:{} as {}, not from {source}",
                        s.source_host, s.source_port, s.source_user
                    )),
                    None,
                ),
                Some(s) => match s.error() {
                    Some((errno, text)) => (
                        Some(format!("error {errno}: {text}")),
                        explain(errno).map(str::to_string),
                    ),
                    None if !s.healthy() => (
                        Some(format!(
                            "IO thread {}, SQL thread {}",
                            s.io_running, s.sql_running
                        )),
                        None,
                    ),
                    None => (None, None),
                },
            };
            out.push(Direction {
                play: play.name.clone(),
                replica: replica.into(),
                source: source.into(),
                healthy: problem.is_none(),
                status,
                problem,
                explanation,
            });
        }
    }
    out
}

pub fn run(
    playbook: &Path,
    options: &LoadOptions,
    json: bool,
    forks: usize,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = crate::load::load(playbook, options)?;
    let total = facts::wanted(&project).len();
    let gathered =
        facts::gather(&project, forks).map_err(|failed| Error::Unreachable { total, failed })?;
    let directions = directions(&project, &gathered.facts);
    if json {
        let text = serde_json::to_string_pretty(&directions).map_err(std::io::Error::other)?;
        writeln!(out, "{text}")?;
    } else {
        for d in directions.iter().filter(|d| !(quiet && d.healthy)) {
            let mark = if d.healthy { "ok  " } else { "FAIL" };
            write!(out, "{mark} {} <- {}", d.replica, d.source)?;
            if let Some(s) = &d.status {
                let lag = s
                    .seconds_behind
                    .map(|l| format!("{l}s"))
                    .unwrap_or_else(|| "unknown".into());
                write!(
                    out,
                    "  IO {} SQL {}  lag {lag}  {}:{} read, {} executed",
                    s.io_running, s.sql_running, s.source_log_file, s.read_pos, s.exec_pos
                )?;
                if s.tls.enabled {
                    write!(out, "  TLS")?;
                }
            }
            writeln!(out)?;
            if let Some(problem) = &d.problem {
                writeln!(out, "     {problem}")?;
            }
            if let Some(explanation) = &d.explanation {
                writeln!(out, "     {explanation}")?;
            }
        }
    }
    let broken: Vec<String> = directions
        .iter()
        .filter(|d| !d.healthy)
        .map(|d| format!("{} <- {}", d.replica, d.source))
        .collect();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(Error::Broken {
            directions: broken.join(", "),
        })
    }
}
