//! `mmprov plan`: read every host (read-only), compute the plan, print it; optionally save it for `apply`.
//! Also the planning half of `mmprov apply`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::facts::{self, Gathered};
use crate::load::{self, LoadOptions};
use crate::model::{Project, Role};
use crate::plan::{self, Plan};
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

pub const SAVED_FORMAT: u32 = 1;

/// Load, check, gather facts and plan. Any unreachable host fails the whole run before anything changes.
pub fn compute(
    playbook: &Path,
    options: &LoadOptions,
    forks: usize,
) -> Result<(Project, Plan, Gathered), Error> {
    let project = super::validate::validated(playbook, options)?;
    let (plan, gathered) = plan_project(&project, forks)?;
    Ok((project, plan, gathered))
}

pub fn plan_project(project: &Project, forks: usize) -> Result<(Plan, Gathered), Error> {
    let total = facts::wanted(project).len();
    let gathered =
        facts::gather(project, forks).map_err(|failed| Error::Unreachable { total, failed })?;
    let mut templates = BTreeMap::new();
    for path in project.plays.iter().filter_map(|p| p.template.as_ref()) {
        let source = load::read_source(&path.value)?;
        templates.insert(path.value.display().to_string(), source.text.to_string());
    }
    let desired = plan::desired_state(project, &gathered.facts, &templates)?;
    let passwords = password_fingerprints(&replication_passwords(project)?);
    let hosts = desired
        .iter()
        .filter_map(|d| {
            gathered
                .facts
                .get(&d.host)
                .map(|f| plan::plan_host(d, f, d.flavor.as_ref()))
        })
        .collect();
    let replication = project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
        .map(|p| {
            let password = passwords.get(&p.name).map(String::as_str);
            plan::plan_replication(project, p, &gathered.facts, password)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Plan { hosts, replication }, gathered))
}

/// The replication password of each replication play, read now from where the playbook says.
pub fn replication_passwords(project: &Project) -> Result<BTreeMap<String, SecretString>, Error> {
    let mut out = BTreeMap::new();
    for play in project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
    {
        if let Some(secret) = &play.vars.replication_password {
            let password = load::secret::read(&secret.value).map_err(|e| {
                Error::Apply(crate::apply::ApplyError::Secret {
                    play: play.name.clone(),
                    detail: e.to_string(),
                })
            })?;
            out.insert(play.name.clone(), password);
        }
    }
    Ok(out)
}

/// The fingerprint of each play's replication password, so the plan can tell a changed secret from the
/// stored one without holding the secret.
pub fn password_fingerprints(
    passwords: &BTreeMap<String, SecretString>,
) -> BTreeMap<String, String> {
    passwords
        .iter()
        .map(|(play, password)| {
            let fingerprint =
                crate::replication::password::native_fingerprint(password.expose_secret());
            (play.clone(), fingerprint)
        })
        .collect()
}

pub struct PlanRequest<'a> {
    pub playbook: &'a Path,
    pub options: LoadOptions,
    pub json: bool,
    pub detailed_exitcode: bool,
    pub save_to: Option<&'a Path>,
    pub forks: usize,
    /// Warnings and the summary line only.
    pub quiet: bool,
}

/// Returns the exit code: 0, or 2 for "changes" under `--detailed-exitcode`.
pub fn run(req: &PlanRequest<'_>, out: &mut dyn Write) -> Result<u8, Error> {
    let (_, plan, _) = compute(req.playbook, &req.options, req.forks)?;
    if req.json {
        out.write_all(render::json(&plan).as_bytes())?;
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
    Ok(if req.detailed_exitcode && plan.has_changes() {
        2
    } else {
        0
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
