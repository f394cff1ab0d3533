//! `mmprov status`: every replication direction of every play, its threads, lag, position and last error,
//! with the known desync causes explained. Read-only. Exit 1 when any direction is broken.

use std::io::Write;
use std::path::Path;

use crate::engine::Engine;
use crate::error::Error;
use crate::load::LoadOptions;

pub fn run(
    playbook: &Path,
    options: &LoadOptions,
    json: bool,
    forks: usize,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = crate::load::load(playbook, options)?;
    let directions = Engine::reading(&project, forks).status()?;
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
