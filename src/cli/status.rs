//! `mmprov status`: every replication direction of every play, its threads, lag, position and last error,
//! with the known desync causes explained. Read-only. Exit 1 when any direction is broken.

use std::path::Path;

use super::shell::Shell;
use crate::engine::Engine;
use crate::error::Error;
use crate::load::LoadOptions;

pub fn run(
    playbook: &Path,
    options: &LoadOptions,
    json: bool,
    forks: usize,
    shell: &mut Shell<'_>,
) -> Result<(), Error> {
    let project = crate::load::load(playbook, options)?;
    let directions = Engine::reading(&project, forks).status()?;
    if json {
        let text = serde_json::to_string_pretty(&directions).map_err(std::io::Error::other)?;
        writeln!(shell.out(), "{text}")?;
    } else {
        for d in &directions {
            let mut line = format!("{} <- {}", d.replica, d.source);
            if let Some(s) = &d.status {
                let lag = s
                    .seconds_behind
                    .map(|l| format!("{l}s"))
                    .unwrap_or_else(|| "unknown".into());
                line.push_str(&format!(
                    "  IO {} SQL {}  lag {lag}  {}:{} read, {} executed",
                    s.io_running, s.sql_running, s.source_log_file, s.read_pos, s.exec_pos
                ));
                if s.tls.enabled {
                    line.push_str("  TLS");
                }
            }
            if d.healthy {
                shell.ok(line)?;
            } else {
                shell.fail(line)?;
            }
            for said in d.problem.iter().chain(&d.explanation) {
                shell.detail(said, !d.healthy)?;
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
