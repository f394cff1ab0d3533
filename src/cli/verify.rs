//! `mmprov verify`: proves replication end to end. A probe row written on each node must arrive on every other
//! node of its play within the timeout. With `--checksum`, `CHECKSUM TABLE` of every application table must
//! agree on all nodes (meaningful at a quiet point, when no writes are in flight). The probe rows live in
//! mmprov's own schema and are deleted again (the delete replicates too).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::facts;
use crate::link::{Connections, HostSql};
use crate::load::LoadOptions;
use crate::model::Role;
use crate::replication::SYSTEM_SCHEMAS;
use crate::sql::{SqlExecutor, literal};

const PROBE_TABLE: &str = "CREATE DATABASE IF NOT EXISTS mmprov; CREATE TABLE IF NOT EXISTS mmprov.probe \
     (token VARCHAR(100) PRIMARY KEY, origin VARCHAR(255) NOT NULL, written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))";

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
    let total = facts::wanted(&project).len();
    let mut gathered = facts::gather(&project, req.forks)
        .map_err(|failed| Error::Unreachable { total, failed })?;
    let mut failures = Vec::new();
    // Failures are reported in the error either way; -q drops the line per probe and per table.
    let mut sink = std::io::sink();
    let details: &mut dyn Write = if req.quiet { &mut sink } else { &mut *out };
    for play in project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
    {
        let nodes: Vec<&str> = play
            .hosts
            .iter()
            .filter(|h| project.in_limit(h))
            .map(String::as_str)
            .collect();
        failures.extend(probe(
            &mut gathered.transports,
            &nodes,
            req.timeout,
            details,
        )?);
        if req.checksum {
            failures.extend(checksums(&mut gathered.transports, &nodes, details)?);
        }
    }
    if failures.is_empty() {
        writeln!(out, "Verified: every probe arrived on every node.")?;
        Ok(())
    } else {
        Err(Error::VerifyFailed {
            failures: failures.join("; "),
        })
    }
}

fn sql<'a>(transports: &'a mut Connections, host: &str) -> Result<HostSql<'a>, Error> {
    let t = transports
        .get_mut(host)
        .ok_or_else(|| Error::VerifyFailed {
            failures: format!("no connection to {host}"),
        })?;
    Ok(t.sql())
}

/// Write one probe per node, then wait for each on every other node. Returns the probes that did not arrive.
fn probe(
    transports: &mut Connections,
    nodes: &[&str],
    timeout: Duration,
    out: &mut dyn Write,
) -> Result<Vec<String>, Error> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut tokens = BTreeMap::new();
    for node in nodes {
        let token = format!("{node}-{stamp}");
        let insert = format!(
            "{PROBE_TABLE}; INSERT INTO mmprov.probe (token, origin) VALUES ({}, {})",
            literal(&token),
            literal(node)
        );
        sql(transports, node)?
            .execute("writing the probe row", &insert)
            .map_err(crate::apply::ApplyError::from)?;
        tokens.insert(*node, (token, Instant::now()));
    }
    let mut missing = Vec::new();
    for (origin, (token, written)) in &tokens {
        for node in nodes.iter().filter(|n| *n != origin) {
            let deadline = *written + timeout;
            let query = format!(
                "SELECT COUNT(*) AS n FROM mmprov.probe WHERE token = {}",
                literal(token)
            );
            let arrived = loop {
                let found = sql(transports, node)?
                    .query("reading the probe row", &query)
                    .ok()
                    .and_then(|rows| rows.first().and_then(|r| r.get(&["n"]).map(|n| n == "1")))
                    .unwrap_or(false);
                if found {
                    break Some(written.elapsed());
                }
                if Instant::now() > deadline {
                    break None;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            match arrived {
                Some(after) => writeln!(
                    out,
                    "ok   {origin} -> {node}: probe arrived within {} ms",
                    after.as_millis()
                )?,
                None => {
                    writeln!(
                        out,
                        "FAIL {origin} -> {node}: probe did not arrive within {} s",
                        timeout.as_secs()
                    )?;
                    missing.push(format!("{origin} -> {node}"));
                }
            }
        }
    }
    for (origin, (token, _)) in &tokens {
        let delete = format!("DELETE FROM mmprov.probe WHERE token = {}", literal(token));
        let _ = sql(transports, origin)?.execute("removing the probe row", &delete);
    }
    Ok(missing)
}

/// CHECKSUM TABLE of every application table on every node; tables whose checksums differ.
fn checksums(
    transports: &mut Connections,
    nodes: &[&str],
    out: &mut dyn Write,
) -> Result<Vec<String>, Error> {
    let Some(first) = nodes.first() else {
        return Ok(Vec::new());
    };
    let system: Vec<String> = SYSTEM_SCHEMAS.iter().map(|s| literal(s)).collect();
    let tables: Vec<String> = sql(transports, first)?
        .query(
            "listing application tables",
            &format!(
                "SELECT CONCAT('`', table_schema, '`.`', table_name, '`') AS t FROM information_schema.TABLES \
                 WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ({}) ORDER BY 1",
                system.join(", ")
            ),
        )
        .map_err(crate::apply::ApplyError::from)?
        .iter()
        .filter_map(|r| r.get(&["t"]).map(str::to_string))
        .collect();
    if tables.is_empty() {
        writeln!(out, "ok   no application tables to checksum")?;
        return Ok(Vec::new());
    }
    let statement = format!("CHECKSUM TABLE {}", tables.join(", "));
    let mut by_node: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    for node in nodes {
        let rows = sql(transports, node)?
            .query("checksumming tables", &statement)
            .map_err(crate::apply::ApplyError::from)?;
        let sums = rows
            .iter()
            .filter_map(|r| Some((r.at(0)?.to_string(), r.at(1).unwrap_or("NULL").to_string())))
            .collect();
        by_node.insert(node, sums);
    }
    let reference = by_node.get(first).cloned().unwrap_or_default();
    let mut differ = Vec::new();
    for (table, sum) in &reference {
        let others: Vec<&str> = nodes
            .iter()
            .filter(|n| by_node.get(*n).and_then(|m| m.get(table)) != Some(sum))
            .copied()
            .collect();
        if others.is_empty() {
            writeln!(out, "ok   checksum {table} agrees on {} nodes", nodes.len())?;
        } else {
            writeln!(
                out,
                "FAIL checksum {table} differs on {}",
                others.join(", ")
            )?;
            differ.push(format!("{table} differs"));
        }
    }
    Ok(differ)
}
