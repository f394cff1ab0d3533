//! Proving replication end to end, over a run's links: a probe row written on each node must arrive on every
//! other node within the timeout; `CHECKSUM TABLE` of every application table must agree on all nodes
//! (meaningful at a quiet point, when no writes are in flight). The probe rows live in mmprov's own schema
//! and are deleted again (the delete replicates too).
//!
//! Each finding is handed to the caller as it is made ([`Finding`]), so a person watching sees the probes
//! arrive; nothing here prints.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use miette::Diagnostic;
use thiserror::Error;

use crate::link::{HostSql, Links};
use crate::replication::SYSTEM_SCHEMAS;
use crate::sql::{SqlError, SqlExecutor};
use crate::sqltext::literal;

const PROBE_TABLE: &str = "CREATE DATABASE IF NOT EXISTS mmprov; CREATE TABLE IF NOT EXISTS mmprov.probe \
     (token VARCHAR(100) PRIMARY KEY, origin VARCHAR(255) NOT NULL, written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))";

/// One thing verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Arrived {
        origin: String,
        node: String,
        after: Duration,
    },
    Missing {
        origin: String,
        node: String,
        timeout: Duration,
        /// The last error reading the node, if reading failed rather than finding nothing.
        last_error: Option<String>,
    },
    NoTables,
    ChecksumAgrees {
        table: String,
        nodes: usize,
    },
    ChecksumDiffers {
        table: String,
        on: Vec<String>,
    },
}

impl Finding {
    pub fn failed(&self) -> bool {
        matches!(
            self,
            Finding::Missing { .. } | Finding::ChecksumDiffers { .. }
        )
    }
}

#[derive(Debug, Error, Diagnostic)]
pub enum VerifyError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sql(#[from] SqlError),

    #[error("{host}: no connection to verify through")]
    #[diagnostic(code(mmprov::verify))]
    NoConnection { host: String },

    #[error("{host}: the checksum of {table} cannot be read: {detail}")]
    #[diagnostic(code(mmprov::verify))]
    Checksum {
        host: String,
        table: String,
        detail: String,
    },
}

fn sql<'a>(links: &'a mut Links, host: &str) -> Result<HostSql<'a>, VerifyError> {
    links
        .get_mut(host)
        .map(|link| link.sql())
        .ok_or_else(|| VerifyError::NoConnection {
            host: host.to_string(),
        })
}

/// Write one probe per node, then wait for each on every other node.
pub fn probes(
    links: &mut Links,
    nodes: &[&str],
    timeout: Duration,
    found: &mut dyn FnMut(Finding),
) -> Result<(), VerifyError> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut tokens = BTreeMap::new();
    for node in nodes {
        let token = format!("{node}-{stamp}");
        let insert = format!(
            "{PROBE_TABLE}; INSERT INTO mmprov.probe (token, origin) VALUES ({}, {})",
            literal(&token),
            literal(node)
        );
        sql(links, node)?.execute("writing the probe row", &insert)?;
        tokens.insert(*node, (token, Instant::now()));
    }
    for (origin, (token, written)) in &tokens {
        for node in nodes.iter().filter(|n| *n != origin) {
            found(wait_for_probe(
                links, origin, node, token, *written, timeout,
            )?);
        }
    }
    for (origin, (token, _)) in &tokens {
        let delete = format!("DELETE FROM mmprov.probe WHERE token = {}", literal(token));
        // Left behind, a probe row harms nothing: the next verify writes its own.
        let _ = sql(links, origin)?.execute("removing the probe row", &delete);
    }
    Ok(())
}

/// Ask `node` for the probe until it is there or the time is up. A read that fails (the node restarting)
/// is asked again; if the time runs out, the finding says what the last read failed with.
fn wait_for_probe(
    links: &mut Links,
    origin: &str,
    node: &str,
    token: &str,
    written: Instant,
    timeout: Duration,
) -> Result<Finding, VerifyError> {
    let query = format!(
        "SELECT COUNT(*) AS n FROM mmprov.probe WHERE token = {}",
        literal(token)
    );
    let mut last_error = None;
    loop {
        let answer = sql(links, node)?.query("reading the probe row", &query);
        match answer {
            Ok(rows) => {
                let count = match rows.first() {
                    Some(row) => row
                        .number::<u64>(&["n"])
                        .map_err(|e| SqlError::unreadable(node, "reading the probe row", e))?,
                    None => 0,
                };
                if count == 1 {
                    return Ok(Finding::Arrived {
                        origin: origin.into(),
                        node: node.into(),
                        after: written.elapsed(),
                    });
                }
            }
            Err(e) => last_error = Some(e.to_string()),
        }
        if written.elapsed() > timeout {
            return Ok(Finding::Missing {
                origin: origin.into(),
                node: node.into(),
                timeout,
                last_error,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `CHECKSUM TABLE` of every application table on every node, compared with the first node's.
pub fn checksums(
    links: &mut Links,
    nodes: &[&str],
    found: &mut dyn FnMut(Finding),
) -> Result<(), VerifyError> {
    let Some(first) = nodes.first() else {
        return Ok(());
    };
    let system: Vec<String> = SYSTEM_SCHEMAS.iter().map(|s| literal(s)).collect();
    let listed = sql(links, first)?.query(
        "listing application tables",
        &format!(
            "SELECT CONCAT('`', table_schema, '`.`', table_name, '`') AS t FROM information_schema.TABLES \
             WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ({}) ORDER BY 1",
            system.join(", ")
        ),
    )?;
    let tables = listed
        .iter()
        .map(|r| r.text(&["t"]).map(str::to_string))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SqlError::unreadable(first, "listing application tables", e))?;
    if tables.is_empty() {
        found(Finding::NoTables);
        return Ok(());
    }
    let statement = format!("CHECKSUM TABLE {}", tables.join(", "));
    let mut by_node: BTreeMap<&str, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for node in nodes {
        let rows = sql(links, node)?.query("checksumming tables", &statement)?;
        let mut sums = BTreeMap::new();
        for row in &rows {
            let read = |e: crate::sqltext::ValueError| VerifyError::Checksum {
                host: node.to_string(),
                table: "?".into(),
                detail: e.to_string(),
            };
            let table = row.text(&["Table"]).map_err(read)?.to_string();
            // NULL: the table does not exist there, which is a difference, not an error.
            let sum = row.nullable(&["Checksum"]).map_err(read)?;
            sums.insert(table, sum.map(str::to_string));
        }
        by_node.insert(node, sums);
    }
    let reference = by_node.get(first).cloned().unwrap_or_default();
    for (table, sum) in &reference {
        let on: Vec<String> = nodes
            .iter()
            .filter(|n| by_node.get(*n).and_then(|m| m.get(table)) != Some(sum))
            .map(|n| n.to_string())
            .collect();
        found(if on.is_empty() {
            Finding::ChecksumAgrees {
                table: table.clone(),
                nodes: nodes.len(),
            }
        } else {
            Finding::ChecksumDiffers {
                table: table.clone(),
                on,
            }
        });
    }
    Ok(())
}
