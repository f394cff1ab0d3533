//! `mmprov ping`: reach every host of the playbook at once and say whether SSH and mysqld answer.
//! Read-only: runs `hostname` and the server's admin ping, nothing else.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::load::{self, LoadOptions};
use crate::model::Host;
use crate::transport::{self, TransportError};

/// What one host answered.
struct Pong {
    hostname: String,
    mysqld: String,
}

const PROBE: &str = "hostname; \
    if command -v mariadb-admin >/dev/null 2>&1; then admin=mariadb-admin; else admin=mysqladmin; fi; \
    $admin --connect-timeout=5 ping 2>&1 || true";

/// `quiet`: only the hosts that failed are listed.
pub fn run(
    playbook: &Path,
    options: &LoadOptions,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = load::load(playbook, options)?;
    let hosts: Vec<&Host> = project
        .hosts
        .values()
        .filter(|h| project.in_limit(&h.name) && project.plays_of(&h.name).next().is_some())
        .collect();
    let results: Vec<(&Host, Result<Pong, TransportError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = hosts
            .iter()
            .map(|h| (*h, scope.spawn(move || ping(h))))
            .collect();
        workers
            .into_iter()
            .map(|(h, w)| (h, w.join().unwrap_or_else(|_| Err(panicked(h)))))
            .collect()
    });
    let mut failed = Vec::new();
    for (host, result) in results {
        let target = format!("{}@{}:{}", host.user, host.address, host.port);
        match result {
            Ok(_) if quiet => {}
            Ok(p) => writeln!(
                out,
                "{:<12} ok   {target:<24} hostname={} mysqld: {}",
                host.name, p.hostname, p.mysqld
            )?,
            Err(e) => {
                writeln!(out, "{:<12} FAIL {target:<24} {e}", host.name)?;
                failed.push(e.into());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Unreachable {
            total: hosts.len(),
            failed,
        })
    }
}

fn ping(host: &Host) -> Result<Pong, TransportError> {
    let mut transport = transport::connect(host)?;
    let out = transport.check(PROBE, &[])?.stdout_text();
    let mut lines = out.lines();
    let hostname = lines.next().unwrap_or("").trim().to_string();
    let mysqld = lines
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Pong { hostname, mysqld })
}

fn panicked(host: &Host) -> TransportError {
    TransportError::Io {
        host: host.name.clone(),
        command: "ping".into(),
        source: std::io::Error::other("worker panicked"),
    }
}
