//! `mmprov plan`: read every host (read-only) and plan, through the engine; print the plan, and optionally
//! save it for `apply`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::args::{Forks, Format, Input, Limit, parse_serial};
use super::verbosity::Verbosity;
use crate::engine::Engine;
use crate::error::Error;
use crate::plan::Plan;
use crate::render;

/// A plan written by `plan --out`, applied later by `apply FILE`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Format marker and version.
    pub mmprov_plan: u32,
    pub playbook: PathBuf,
    pub inventory: Option<PathBuf>,
    /// The `--limit` the plan was made with: applying it contacts the same hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    pub plan: Plan,
}

/// 2: replication steps carry their reasons and the hosts whose restart decides them again; a plan saved
/// before could not say which of its steps waited on a restart, so it is refused rather than guessed at.
pub const SAVED_FORMAT: u32 = 3;

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: Input,
    #[command(flatten)]
    pub limit: Limit,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan, with a fingerprint of each host's state, for `mmprov apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Restart this many nodes of a live play at once (a count, or a share such as `50%`), over the
    /// plays' own `serial:`.
    #[arg(long, value_name = "N", value_parser = parse_serial)]
    pub serial: Option<crate::model::Serial>,
    /// Let an old writer back after a failover rejoin although it holds transactions its successor never
    /// received (they then replicate to it): only once you have dealt with them.
    #[arg(long)]
    pub accept_errant: bool,
    #[command(flatten)]
    pub forks: Forks,
}

/// Returns the exit code: 0, or 2 under `--detailed-exitcode` when the hosts differ from the playbook
/// (changes to make, or directions left broken).
/// Under `-q`, warnings and the summary line only.
pub fn run(args: &PlanArgs, verbosity: Verbosity, out: &mut dyn Write) -> Result<u8, Error> {
    let options = args.input.limited(&args.limit);
    let json = args.format == Format::Json;
    let quiet = verbosity.quiet;
    let project = super::validate::validated(&args.input.playbook, &options)?;
    let plan = Engine::new(&project, args.forks.count())?
        .with_serial(args.serial)
        .with_accept_errant(args.accept_errant)
        .plan()?
        .plan;
    if json {
        let text = render::json(&plan).map_err(std::io::Error::other)?;
        out.write_all(text.as_bytes())?;
    } else if quiet {
        out.write_all(render::brief(&plan).as_bytes())?;
    } else {
        out.write_all(render::human(&plan).as_bytes())?;
    }
    if let Some(path) = &args.out {
        let saved = SavedPlan {
            mmprov_plan: SAVED_FORMAT,
            playbook: absolute(&args.input.playbook),
            inventory: options.inventory.as_deref().map(absolute),
            limit: options.limit.clone(),
            plan: plan.clone(),
        };
        let text = serde_json::to_string_pretty(&saved).map_err(std::io::Error::other)?;
        std::fs::write(path, text).map_err(|source| Error::WritePlan {
            path: path.clone(),
            source,
        })?;
        if !json && !quiet {
            writeln!(
                out,
                "Saved the plan to {}: `mmprov apply {}` carries it out.",
                path.display(),
                path.display()
            )?;
        }
    }
    // Directions left broken are a difference from the playbook too, though no step repairs them.
    Ok(if args.detailed_exitcode && plan.differs() {
        2
    } else {
        0
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
