//! Reaching every host of the run at once and asking whether SSH and mysqld answer. Read-only: runs
//! `hostname` and the server's admin ping, nothing else.

use crate::model::Host;
use crate::transport::{self, TransportError};

/// What one host answered.
#[derive(Debug)]
pub struct Pong {
    pub hostname: String,
    pub mysqld: String,
}

/// One host and what came back from it.
pub struct Pinged<'p> {
    pub host: &'p Host,
    pub answer: Result<Pong, TransportError>,
}

const PROBE: &str = "hostname; \
    if command -v mariadb-admin >/dev/null 2>&1; then admin=mariadb-admin; else admin=mysqladmin; fi; \
    $admin --connect-timeout=5 ping 2>&1 || true";

impl<'p> super::Engine<'p> {
    /// Every host of a play within the run's limit, all at once, in name order.
    pub fn ping(&self) -> Vec<Pinged<'p>> {
        let project = self.project;
        let hosts: Vec<&Host> = project
            .hosts
            .values()
            .filter(|h| project.in_limit(&h.name) && project.plays_of(&h.name).next().is_some())
            .collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = hosts
                .iter()
                .map(|h| (*h, scope.spawn(move || ping(h))))
                .collect();
            workers
                .into_iter()
                .map(|(host, w)| Pinged {
                    host,
                    answer: w.join().unwrap_or_else(|_| Err(panicked(host))),
                })
                .collect()
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
