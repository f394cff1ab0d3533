//! `mmprov plan`: read every host (read-only) and plan, through the engine; print the plan, and optionally
//! save it for `apply`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::Error;
use crate::load::LoadOptions;
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
/// 4: a plan carries the switchovers that move a play's writer; one saved before would set `read_only` on
/// both nodes at once, with no order between them.
pub const SAVED_FORMAT: u32 = 4;

pub struct PlanRequest<'a> {
    pub playbook: &'a Path,
    pub options: LoadOptions,
    pub json: bool,
    pub detailed_exitcode: bool,
    pub save_to: Option<&'a Path>,
    pub serial: Option<crate::model::Serial>,
    pub accept_errant: bool,
    pub forks: usize,
    /// Warnings and the summary line only.
    pub quiet: bool,
}

/// Returns the exit code: 0, or 2 under `--detailed-exitcode` when the hosts differ from the playbook
/// (changes to make, or directions left broken).
pub fn run(req: &PlanRequest<'_>, out: &mut dyn Write) -> Result<u8, Error> {
    let project = super::validate::validated(req.playbook, &req.options)?;
    let plan = Engine::new(&project, req.forks)?
        .with_serial(req.serial)
        .with_accept_errant(req.accept_errant)
        .plan()?
        .plan;
    if req.json {
        let text = render::json(&plan).map_err(std::io::Error::other)?;
        out.write_all(text.as_bytes())?;
    } else if req.quiet {
        out.write_all(render::brief(&plan).as_bytes())?;
    } else {
        out.write_all(render::human(&plan).as_bytes())?;
    }
    if let Some(path) = req.save_to {
        let saved = SavedPlan {
            mmprov_plan: SAVED_FORMAT,
            playbook: absolute(req.playbook),
            inventory: req.options.inventory.as_deref().map(absolute),
            limit: req.options.limit.clone(),
            plan: plan.clone(),
        };
        let text = serde_json::to_string_pretty(&saved).map_err(std::io::Error::other)?;
        std::fs::write(path, text).map_err(|source| Error::WritePlan {
            path: path.to_path_buf(),
            source,
        })?;
        if !req.json && !req.quiet {
            writeln!(
                out,
                "Saved the plan to {}: `mmprov apply {}` carries it out.",
                path.display(),
                path.display()
            )?;
        }
    }
    // Directions left broken are a difference from the playbook too, though no step repairs them.
    Ok(if req.detailed_exitcode && plan.differs() {
        2
    } else {
        0
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
