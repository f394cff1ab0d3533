//! `mmprov status`: every replication direction of every play, its threads, lag, position and last error,
//! with the known desync causes explained, and whether the replica node takes writes as its play declares
//! (`writer:`, `read_only_hosts`). Read-only. Exit 1 when any direction is broken.

use super::args::{Forks, Format, Input, Limit};
use super::shell::Shell;
use crate::engine::Engine;
use crate::error::Error;

/// Seconds as a person reads them: `45 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`.
fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub input: Input,
    #[command(flatten)]
    pub limit: Limit,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub forks: Forks,
}

pub fn run(args: &StatusArgs, shell: &mut Shell<'_>) -> Result<(), Error> {
    let json = args.format == Format::Json;
    let project = crate::load::load(&args.input.playbook, &args.input.limited(&args.limit))?;
    let directions = Engine::reading(&project, args.forks.count()).status()?;
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
                if s.uses_gtid() {
                    line.push_str(&format!("  GTID {}", s.gtid_received));
                } else {
                    line.push_str("  file/position");
                }
                if let Some(missing) = d.missing.filter(|m| *m > 0) {
                    line.push_str(&format!("  {missing} transaction(s) behind"));
                }
                if let Some(stopped) = d.stopped_for {
                    line.push_str(&format!("  stopped for {}", duration(stopped)));
                }
                if s.tls.enabled {
                    line.push_str("  TLS");
                }
            }
            line.push_str(&format!("  [{}: {}]", d.replica, d.replica_role.describe()));
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
