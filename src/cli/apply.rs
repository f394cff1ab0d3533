//! `mmprov apply`: through the engine, plan (or take a saved plan that is still current), show it, confirm,
//! carry out the host steps with progress per host; then, if the replication steps had to be decided again
//! after restarts and came out different, show the new ones and confirm again (a saved plan, or `--yes`,
//! stops there instead); carry them out, and report.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::args::{Forks, Limit, parse_serial, seconds};
use super::plan::{SAVED_FORMAT, SavedPlan};
use super::verbosity::Verbosity;
use crate::engine::{ApplyError, Decided, Engine, Event};
use crate::error::Error;
use crate::load::LoadOptions;
use crate::plan::ReplicationPlan;
use crate::render;

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// A playbook, or a plan file saved by `mmprov plan --out`.
    pub target: PathBuf,
    /// An Ansible inventory (YAML or INI, a file or a folder); overrides the playbook's `inventory:`.
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Option<PathBuf>,
    /// The Ansible Vault password, in this file (or printed by it, when it is executable).
    #[arg(long, value_name = "FILE")]
    pub vault_password_file: Option<PathBuf>,
    #[command(flatten)]
    pub limit: Limit,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Seconds to wait for another apply's lock on a host before giving up (0: give up at once).
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub lock_timeout: u64,
    /// Restart this many nodes of a live play at once (a count, or a share such as `50%`), over the
    /// plays' own `serial:`.
    #[arg(long, value_name = "N", value_parser = parse_serial)]
    pub serial: Option<crate::model::Serial>,
    /// Seconds a rolling restart's gate may take (the node's replicas running and caught up); also how long
    /// a node may take to catch up with a replica moving onto it, and a node held read-only may wait for
    /// its peers' sessions from before an auto_increment change to end.
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub gate_timeout: u64,
    /// Seconds a switchover waits for the old writer's open transactions to end once it is closed;
    /// those still open then are ended (a read-only server refuses their commit anyway).
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub drain_timeout: u64,
    /// Let an old writer back after a failover rejoin with transactions its successor never received.
    #[arg(long)]
    pub accept_errant: bool,
    #[command(flatten)]
    pub forks: Forks,
}

impl ApplyArgs {
    fn options(&self) -> LoadOptions {
        LoadOptions {
            inventory: self.inventory.clone(),
            limit: self.limit.limit.clone(),
            vault_password_file: self.vault_password_file.clone(),
        }
    }
}

/// Under `-q`: no progress, and the plan in brief unless it must be confirmed.
pub fn run(args: &ApplyArgs, verbosity: Verbosity, out: &mut dyn Write) -> Result<u8, Error> {
    let quiet = verbosity.quiet;
    let options = args.options();
    let saved = read_saved(&args.target).transpose()?;
    let project = match &saved {
        Some(saved) => {
            check_format(saved)?;
            // A saved plan is applied to the hosts it was made for: another --limit would not match it.
            if options.limit.is_some() && options.limit != saved.limit {
                return Err(Error::BadPlanFile {
                    path: args.target.clone(),
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
                vault_password_file: options.vault_password_file.clone(),
            };
            super::validate::validated(&saved.playbook, &options)?
        }
        None => super::validate::validated(&args.target, &options)?,
    };
    let from_saved_plan = saved.is_some();
    let engine = Engine::new(&project, args.forks.count())?
        .with_serial(args.serial)
        .with_gate_timeout(seconds(args.gate_timeout))
        .with_drain_timeout(seconds(args.drain_timeout))
        .with_accept_errant(args.accept_errant);
    // Locked before the hosts are read, so the plan cannot go stale under another apply.
    let _locks = engine.lock(seconds(args.lock_timeout))?;
    let mut planned = match saved {
        Some(saved) => engine.saved_plan(saved.plan)?,
        None => engine.plan()?,
    };
    let plan = planned.plan.clone();
    // A plan that is to be confirmed is always shown whole: nobody says yes to what they cannot see.
    let shown = if quiet && args.yes {
        render::brief(&plan)
    } else {
        render::human(&plan)
    };
    out.write_all(shown.as_bytes())?;
    if !plan.differs() {
        return Ok(0);
    }
    if !plan.has_changes() {
        // Nothing to do, but directions left broken: the truth about them is the run's answer.
        return end_with_the_truth(&engine, &mut planned, &plan, "apply", out).map(|()| 0);
    }
    if !args.yes {
        confirm(out)?;
    }
    let changed_hosts = plan.touched_hosts();
    execute(changed_hosts, quiet, out, |events| {
        engine.apply_hosts(&mut planned, events)
    })?;
    let replication = match engine.decide_replication(&mut planned)? {
        Decided::AsShown(plans) => plans,
        Decided::Changed(plans) => confirm_changed(&plans, args.yes, from_saved_plan, out)?,
    };
    let replication_hosts = plan.replication_hosts(&replication);
    execute(replication_hosts, quiet, out, |events| {
        engine.apply_replication(&replication, &mut planned, events)
    })?;
    end_with_the_truth(&engine, &mut planned, &plan, "apply", out)?;
    let s = plan.summary();
    writeln!(
        out,
        "Apply complete: {} added, {} changed, {} destroyed; {} restarted.",
        s.add, s.change, s.destroy, s.restarts
    )?;
    Ok(0)
}

/// Every direction of every play the plan touched, read again and judged: each verdict printed, and an
/// error naming the directions that do not replicate.
pub(super) fn end_with_the_truth(
    engine: &Engine<'_>,
    planned: &mut crate::engine::Planned,
    plan: &crate::plan::Plan,
    command: &'static str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let plays = engine.touched_plays(plan);
    if plays.is_empty() {
        return Ok(());
    }
    let verdicts = engine.verdicts(planned, &plays)?;
    writeln!(out, "\nReplication, read again:")?;
    for w in &verdicts {
        let mark = if w.verdict.is_healthy() {
            "ok"
        } else {
            "NOT OK"
        };
        writeln!(
            out,
            "  {mark:<6} {} <- {}: {}",
            w.replica,
            w.source,
            w.verdict.describe()
        )?;
        if let Some(explanation) = w.explanation.filter(|_| !w.verdict.is_healthy()) {
            writeln!(out, "         {explanation}")?;
        }
    }
    let failing: Vec<String> = verdicts
        .iter()
        .filter(|w| !w.verdict.is_healthy())
        .map(|w| format!("{} <- {} ({})", w.replica, w.source, w.verdict.describe()))
        .collect();
    if failing.is_empty() {
        Ok(())
    } else {
        Err(Error::NotHealthy {
            command,
            directions: failing.join("; "),
        })
    }
}

/// Replication steps decided after the restarts that are not what was shown: printed, then confirmed again.
/// A saved plan runs exactly as saved, and `--yes` confirmed only what it was shown: both stop here.
fn confirm_changed(
    plans: &[ReplicationPlan],
    yes: bool,
    from_saved_plan: bool,
    out: &mut dyn Write,
) -> Result<Vec<ReplicationPlan>, Error> {
    writeln!(
        out,
        "\nThe hosts' steps are done. Read again after the restarts, replication needs other steps than the plan showed:\n"
    )?;
    out.write_all(render::replication(plans).as_bytes())?;
    if from_saved_plan || yes {
        return Err(Error::PlanChanged {
            why: if from_saved_plan {
                "a saved plan runs only as it was saved".into()
            } else {
                "--yes confirmed only the steps that were shown".into()
            },
        });
    }
    confirm(out)?;
    Ok(plans.to_vec())
}

/// `Some` when the target is a saved plan (`None`: treat it as a playbook).
fn read_saved(path: &Path) -> Option<Result<SavedPlan, Error>> {
    let text = crate::load::input::read_capped(path, crate::load::input::DOCUMENT_CAP).ok()?;
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

fn check_format(saved: &SavedPlan) -> Result<(), Error> {
    if saved.mmprov_plan == SAVED_FORMAT {
        return Ok(());
    }
    Err(Error::BadPlanFile {
        path: saved.playbook.clone(),
        reason: format!(
            "plan format {} is not {SAVED_FORMAT}: plan it again with this mmprov",
            saved.mmprov_plan
        ),
    })
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

/// Run `work` on a worker thread; this thread owns the terminal and shows its events, a spinner per host of
/// `hosts`.
pub(super) fn execute(
    hosts: Vec<String>,
    quiet: bool,
    out: &mut dyn Write,
    work: impl FnOnce(&mpsc::Sender<Event>) -> Result<(), ApplyError> + Send,
) -> Result<(), Error> {
    let (tx, rx) = mpsc::channel();
    let mut display = Display::new(hosts, quiet);
    let result = std::thread::scope(|scope| {
        let worker = scope.spawn(move || work(&tx));
        for event in rx {
            display.show(&event, out);
        }
        worker
            .join()
            .unwrap_or_else(|_| Err(ApplyError::Hosts { failed: Vec::new() }))
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
    /// One spinner per host of `hosts` on a terminal.
    fn new(hosts: Vec<String>, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self { bars: None, quiet };
        }
        let multi = MultiProgress::new();
        let style = ProgressStyle::with_template("{spinner} {prefix:<12} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = hosts
            .into_iter()
            .map(|host| {
                let bar = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(style.clone())
                        .with_prefix(host.clone()),
                );
                bar.enable_steady_tick(Duration::from_millis(120));
                (host, bar)
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
                // Progress lines: a closed output cannot be told more, and the run's result is returned either way.
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
