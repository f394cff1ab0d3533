//! `mmprov apply`: plan (or load a saved plan and check it is still current), show it, confirm, carry it
//! out with progress per host, and report.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::plan::{SAVED_FORMAT, SavedPlan, plan_project};
use crate::apply::lock::{self, HostLock};
use crate::apply::{self, ApplyError, ApplyOptions, Event, ReplicationContext};
use crate::error::Error;
use crate::facts::{self, FactsError, Gathered, HostFacts};
use crate::link::Connections;
use crate::load::LoadOptions;
use crate::model::{Project, Role};
use crate::plan::Plan;
use crate::render;

pub struct ApplyRequest<'a> {
    /// A playbook, or a plan saved by `plan --out`.
    pub target: &'a Path,
    pub options: LoadOptions,
    pub yes: bool,
    pub forks: usize,
    /// How long to wait for another apply's lock on a host.
    pub lock_timeout: Duration,
    /// No progress, and the plan in brief unless it must be confirmed.
    pub quiet: bool,
}

pub fn run(req: &ApplyRequest<'_>, out: &mut dyn Write) -> Result<u8, Error> {
    let saved = read_saved(req.target).transpose()?;
    let project = match &saved {
        Some(saved) => {
            check_format(saved)?;
            // A saved plan is applied to the hosts it was made for: another --limit would not match it.
            if req.options.limit.is_some() && req.options.limit != saved.limit {
                return Err(Error::BadPlanFile {
                    path: req.target.to_path_buf(),
                    reason: format!(
                        "it was made with {}; apply it without --limit, or plan again with the limit you want",
                        saved
                            .limit
                            .as_deref()
                            .map_or("no --limit".to_string(), |l| format!("--limit {l}"))
                    ),
                });
            }
            let options = LoadOptions {
                inventory: saved.inventory.clone(),
                limit: saved.limit.clone(),
            };
            super::validate::validated(&saved.playbook, &options)?
        }
        None => super::validate::validated(req.target, &req.options)?,
    };
    // Locked before the hosts are read, so the plan cannot go stale under another apply.
    let _locks = lock_all(&project, req.forks, req.lock_timeout)?;
    let (plan, gathered) = match saved {
        Some(saved) => current_saved_plan(saved, &project, req.forks)?,
        None => plan_project(&project, req.forks)?,
    };
    // A plan that is to be confirmed is always shown whole: nobody says yes to what they cannot see.
    let shown = if req.quiet && req.yes {
        render::brief(&plan)
    } else {
        render::human(&plan)
    };
    out.write_all(shown.as_bytes())?;
    if !plan.has_changes() {
        return Ok(0);
    }
    if !req.yes {
        confirm(out)?;
    }
    let options = ApplyOptions {
        forks: req.forks,
        ..ApplyOptions::default()
    };
    let replication = replication_context(&project, &plan, &gathered.facts, req.forks)?;
    execute(
        &plan,
        gathered.transports,
        &options,
        &replication,
        req.quiet,
        out,
    )?;
    let s = plan.summary();
    writeln!(
        out,
        "Apply complete: {} added, {} changed, {} destroyed; {} restarted.",
        s.add, s.change, s.destroy, s.restarts
    )?;
    Ok(0)
}

/// `Some` when the target is a saved plan (`None`: treat it as a playbook).
fn read_saved(path: &Path) -> Option<Result<SavedPlan, Error>> {
    let text = std::fs::read_to_string(path).ok()?;
    if !text.trim_start().starts_with('{') {
        return None;
    }
    Some(
        serde_json::from_str::<SavedPlan>(&text).map_err(|e| Error::BadPlanFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    )
}

/// The replication password of each play (read now, from where the playbook says) and each server's version.
fn replication_context<'a>(
    project: &'a Project,
    plan: &Plan,
    facts: &BTreeMap<String, HostFacts>,
    forks: usize,
) -> Result<ReplicationContext<'a>, Error> {
    let passwords = super::plan::replication_passwords(project)?;
    let versions = facts
        .iter()
        .filter_map(|(h, f)| Some((h.clone(), f.server?)))
        .collect();
    // Replication is decided again after the host steps when what was read may no longer hold: a server was
    // down (its replication could not be read), or a server is restarted (its replica threads stay stopped
    // after the restart, skip-slave-start, until started again).
    let restarted: Vec<&str> = plan
        .hosts
        .iter()
        .filter(|h| {
            h.steps
                .iter()
                .any(|s| matches!(s, crate::plan::Step::Restart { .. }))
        })
        .map(|h| h.host.as_str())
        .collect();
    let stale = project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
        .flat_map(|p| p.hosts.iter().filter(|h| project.in_limit(h)))
        .any(|h| facts.get(h).is_none_or(|f| !f.running) || restarted.contains(&h.as_str()));
    let fingerprints = super::plan::password_fingerprints(&passwords);
    let replan: Option<apply::Replan<'a>> = stale.then(|| -> apply::Replan<'a> {
        Box::new(move |transports| replan(project, transports, forks, &fingerprints))
    });
    Ok(ReplicationContext {
        passwords,
        versions,
        healthy_timeout: Duration::from_secs(60),
        replan,
    })
}

/// The replication plans again, from facts read now over the run's connections, `forks` hosts at a time.
fn replan(
    project: &Project,
    transports: &mut Connections,
    forks: usize,
    passwords: &BTreeMap<String, String>,
) -> Result<Vec<crate::plan::ReplicationPlan>, ApplyError> {
    let mut wanted = facts::wanted(project);
    let jobs: Vec<_> = transports
        .iter_mut()
        .filter_map(|(host, t)| Some((host.clone(), t, wanted.remove(host)?)))
        .collect();
    let read = crate::fanout::fan_out(jobs, forks, |(host, t, wanted)| {
        facts::read(t, &wanted).map(|f| (host, f))
    });
    let fresh: BTreeMap<String, HostFacts> = read.into_iter().collect::<Result<_, _>>()?;
    let plays = project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication));
    Ok(plays
        .map(|p| {
            let password = passwords.get(&p.name).map(String::as_str);
            crate::plan::plan_replication(project, p, &fresh, password)
        })
        .collect::<Result<Vec<_>, _>>()?)
}

fn check_format(saved: &SavedPlan) -> Result<(), Error> {
    if saved.mmprov_plan == SAVED_FORMAT {
        return Ok(());
    }
    Err(Error::BadPlanFile {
        path: saved.playbook.clone(),
        reason: format!("plan format {} is not {SAVED_FORMAT}", saved.mmprov_plan),
    })
}

/// Every host the project touches, locked in parallel; all or none.
fn lock_all(
    project: &Project,
    forks: usize,
    lock_timeout: Duration,
) -> Result<Vec<HostLock>, Error> {
    let holder = lock::holder();
    let hosts: Vec<&crate::model::Host> = facts::wanted(project)
        .keys()
        .filter_map(|h| project.hosts.get(h))
        .collect();
    let results = crate::fanout::fan_out(hosts, forks, |host| {
        lock::acquire(host, &holder, lock_timeout)
    });
    let total = results.len();
    let mut locks = Vec::new();
    let mut held = Vec::new();
    let mut unreachable = Vec::new();
    for result in results {
        match result {
            Ok(lock) => locks.push(lock),
            Err(lock::LockError::Transport(e)) => unreachable.push(FactsError::Transport(e)),
            Err(e) => held.push(e),
        }
    }
    if !unreachable.is_empty() {
        return Err(Error::Unreachable {
            total,
            failed: unreachable,
        });
    }
    if held.is_empty() {
        Ok(locks)
    } else {
        Err(Error::Locked { failed: held })
    }
}

/// Re-read the hosts a saved plan was made from; refuse it if any of them changed since.
fn current_saved_plan(
    saved: SavedPlan,
    project: &Project,
    forks: usize,
) -> Result<(Plan, Gathered), Error> {
    let (_, gathered) = plan_project(project, forks)?;
    let stale: Vec<String> = saved
        .plan
        .hosts
        .iter()
        .filter(|h| {
            gathered.facts.get(&h.host).map(|f| f.fingerprint()) != Some(h.fingerprint.clone())
        })
        .map(|h| h.host.clone())
        .collect();
    if !stale.is_empty() {
        return Err(Error::StalePlan {
            hosts: stale.join(", "),
        });
    }
    Ok((saved.plan, gathered))
}

pub(super) fn confirm(out: &mut dyn Write) -> Result<(), Error> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NeedsConfirmation);
    }
    write!(
        out,
        "Do you want to perform these actions? Only 'yes' is accepted: "
    )?;
    out.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Error::NotConfirmed)
    }
}

/// Run the apply on worker threads; this thread owns the terminal and shows their events.
fn execute(
    plan: &Plan,
    transports: Connections,
    options: &ApplyOptions,
    replication: &ReplicationContext<'_>,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let (tx, rx) = mpsc::channel();
    let mut display = Display::new(plan, quiet);
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(move || apply::apply(plan, transports, options, replication, &tx));
        for event in rx {
            display.show(&event, out);
        }
        worker
            .join()
            .unwrap_or_else(|_| Err(apply::ApplyError::Hosts { failed: Vec::new() }))
    });
    display.finish();
    result.map_err(Error::from)
}

/// Spinners per host on a terminal; plain lines otherwise (logs, CI).
struct Display {
    bars: Option<BTreeMap<String, ProgressBar>>,
    /// Failures only (`-q`).
    quiet: bool,
}

impl Display {
    fn new(plan: &Plan, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self { bars: None, quiet };
        }
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{spinner} {prefix:<12} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = plan
            .hosts
            .iter()
            .filter(|h| !h.steps.is_empty())
            .map(|h| {
                let bar = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(style.clone())
                        .with_prefix(h.host.clone()),
                );
                bar.enable_steady_tick(Duration::from_millis(120));
                (h.host.clone(), bar)
            })
            .collect();
        Self {
            bars: Some(bars),
            quiet,
        }
    }

    fn show(&mut self, event: &Event, out: &mut dyn Write) {
        let (host, text, finished) = match event {
            Event::Step { host, message } => (host, message.clone(), false),
            Event::Done { host, steps } => (host, format!("done ({steps} steps)"), true),
            Event::Failed { host, message } => (
                host,
                format!("FAILED: {}", message.lines().next().unwrap_or("")),
                true,
            ),
        };
        match self.bars.as_ref().and_then(|b| b.get(host)) {
            Some(bar) if finished => bar.finish_with_message(text),
            Some(bar) => bar.set_message(text),
            None if self.quiet && !matches!(event, Event::Failed { .. }) => {}
            None => {
                let _ = writeln!(out, "{host}: {text}");
            }
        }
    }

    fn finish(&mut self) {
        for bar in self.bars.iter().flat_map(|b| b.values()) {
            if !bar.is_finished() {
                bar.finish();
            }
        }
    }
}
