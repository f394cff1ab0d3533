//! The desired state of each host: its rendered config, the flavor it is for and how it is restarted.
//! Pure: computed from the project and the facts (the server's real version decides the dialect).

use std::collections::BTreeMap;

use miette::Diagnostic;
use thiserror::Error;

use super::interleave::{self, Assignment, Interleave};
use super::replication::Refusal;
use crate::facts::HostFacts;
use crate::flavor::{Flavor, ServerVersion};
use crate::model::{Install, Play, Project, Role, ServiceKind};
use crate::service;
use crate::template::{MyCnfContext, MyCnfTemplate, TemplateError};

pub struct Desired {
    pub host: String,
    /// The server play the host's config comes from.
    pub play: String,
    /// The play allows moving a server that holds data into another data directory.
    pub datadir_move: bool,
    /// How the play has a host with no server get one.
    pub install: Install,
    pub config_path: String,
    pub config: String,
    pub flavor: Box<dyn Flavor + Send + Sync>,
    pub restart_command: String,
    pub warnings: Vec<String>,
    /// `gtid_mode` and `enforce_gtid_consistency` are moved live by the play's GTID move (MySQL replicating
    /// by GTID), never by a restart or a single `SET GLOBAL`.
    pub gtid_moved_online: bool,
    /// Its `auto_increment` values change on the running server in the play's interleaving stage (live,
    /// wanted), never in the host steps.
    pub interleave_change: Option<(Interleave, Interleave)>,
    /// It joins held read-only (its config says so) until these peers' old sessions have ended.
    pub held: Option<HeldWrites>,
}

/// A node held read-only as it joins: whose sessions it waits on, and its config once open.
#[derive(Debug, Clone)]
pub struct HeldWrites {
    pub drain: Vec<String>,
    pub open_config: String,
}

#[derive(Debug, Error, Diagnostic)]
pub enum DesiredError {
    #[error(transparent)]
    #[diagnostic(code(mmprov::template))]
    Template(#[from] TemplateError),

    #[error("cannot read template {path}")]
    #[diagnostic(code(mmprov::template))]
    TemplateRead {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Refused(#[from] Refusal),

    #[error("{host}: no facts were gathered")]
    #[diagnostic(code(mmprov::facts))]
    NoFacts { host: String },

    /// Neither a running server nor an installed one says which it is, and the play names none: option names
    /// differ between servers, so none is guessed.
    #[error("{host}: which server it runs is not known")]
    #[diagnostic(
        code(mmprov::server_unknown),
        help(
            "name it in the play's vars (`server_version: mariadb-10.11`): mmprov installs it where none is"
        )
    )]
    UnknownServer { host: String },

    /// A server to be installed whose config differs within its series (an option renamed at a patch
    /// release): which release the packages bring is not known before they are installed.
    #[error(
        "{host}: the config for {series} depends on its patch release, which the play does not name"
    )]
    #[diagnostic(
        code(mmprov::server_unknown),
        help(
            "name the release the host's sources carry in `server_version` (e.g. mysql-8.0.36, mariadb-10.6.19)"
        )
    )]
    ReleaseUnsaid { host: String, series: String },
}

/// The desired state of every host (within the run's limit) of every play that configures servers, in host
/// order.
/// `templates` maps a play's template path to its text (read by the caller; this stays pure).
pub fn desired_state(
    project: &Project,
    facts: &BTreeMap<String, HostFacts>,
    templates: &BTreeMap<String, String>,
) -> Result<Vec<Desired>, DesiredError> {
    let mut out = Vec::new();
    for play in project.plays.iter().filter(|p| p.has_role(Role::Server)) {
        let template = compile(play, templates)?;
        let assignment = interleave::assign(project, play, facts)?;
        for host in play.hosts.iter().filter(|h| project.in_limit(h)) {
            let f = facts
                .get(host)
                .ok_or_else(|| DesiredError::NoFacts { host: host.clone() })?;
            out.push(desired_host(
                project,
                play,
                host,
                f,
                &template,
                &assignment,
            )?);
        }
    }
    out.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(out)
}

fn compile(
    play: &Play,
    templates: &BTreeMap<String, String>,
) -> Result<MyCnfTemplate, DesiredError> {
    match &play.template {
        None => Ok(MyCnfTemplate::builtin()?),
        Some(path) => {
            let key = path.value.display().to_string();
            let text = templates
                .get(&key)
                .ok_or_else(|| DesiredError::TemplateRead {
                    path: key.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "not loaded"),
                })?;
            Ok(MyCnfTemplate::compile(text, &path.value)?)
        }
    }
}

/// The config file mmprov owns on a host: the playbook's; else the one the probe found the host's layout
/// calls for; else (no folder for it yet: a server this plan installs) the family's Debian layout.
fn config_path(play: &Play, facts: &HostFacts, flavor: &dyn Flavor) -> String {
    if let Some(path) = &play.vars.config_path {
        return path.clone();
    }
    if !facts.config_path.is_empty() {
        return facts.config_path.clone();
    }
    flavor.capabilities().config_path.into()
}

/// How the host's server is restarted: the inventory's manager, else the one found on the host, for the
/// service its packages install when none is installed yet.
fn service_manager(
    project: &Project,
    host: &str,
    facts: &HostFacts,
    version: &ServerVersion,
) -> Box<dyn service::ServiceManager> {
    let spec = project
        .hosts
        .get(host)
        .map(|h| h.service.clone())
        .unwrap_or_default();
    let service_name = match facts.os.package_manager {
        Some(kind) if !facts.server_installed() => crate::packages::manager(kind)
            .service_name(version)
            .to_string(),
        _ => facts.service_name.clone(),
    };
    service::choose(&spec, facts.service, &service_name)
}

/// The warning a play's `skip_errors` earns: the nodes can drift apart without an alarm.
fn skip_errors_warning(play: &Play, flavor: &dyn Flavor) -> Option<String> {
    let skip = play
        .vars
        .skip_errors
        .as_ref()
        .filter(|s| !s.value.is_empty())?;
    let codes: Vec<String> = skip.value.iter().map(u32::to_string).collect();
    Some(format!(
        "{} = {}: the replica will skip these errors instead of stopping; the nodes can then hold \
         different data without any alarm (1062 duplicate key, 1064 syntax are the usual ones)",
        flavor.skip_errors(),
        codes.join(",")
    ))
}

fn desired_host(
    project: &Project,
    play: &Play,
    host: &str,
    facts: &HostFacts,
    template: &MyCnfTemplate,
    assignment: &Assignment,
) -> Result<Desired, DesiredError> {
    let hint = play
        .vars
        .server_version
        .as_ref()
        .and_then(|h| ServerVersion::parse_hint(&h.value).ok());
    let version = facts
        .server
        .or(hint)
        .ok_or_else(|| DesiredError::UnknownServer {
            host: host.to_string(),
        })?;
    let flavor = version.flavor();
    let paths = super::paths::server_paths(&play.vars, facts);
    let context = |flavor: &dyn Flavor| {
        let context = MyCnfContext::new(project, play, host, flavor)
            .with_paths(
                paths.datadir.clone(),
                paths.socket.clone(),
                paths.log_error.clone(),
            )
            .with_log_bin(paths.log_bin.clone());
        let context = if facts.service == ServiceKind::Systemd {
            context.under_systemd()
        } else {
            context
        };
        match assignment.nodes.get(host) {
            Some(c) => context.with_interleave(c.increment, c.offset),
            None => context,
        }
    };
    let drain = assignment.held.get(host);
    let open = template.render(&context(flavor.as_ref()))?;
    let config = match drain {
        Some(_) => template.render(&context(flavor.as_ref()).held(flavor.as_ref()))?,
        None => open.clone(),
    };
    let held = drain.map(|drain| HeldWrites {
        drain: drain.clone(),
        open_config: open,
    });
    if !facts.server_installed() {
        // The server is yet to be installed, at whatever release of the series its sources carry: the hint
        // must say enough for the config to be the one that server gets.
        let latest = ServerVersion {
            patch: u32::MAX,
            ..version
        }
        .flavor();
        let mut for_latest = context(latest.as_ref());
        if held.is_some() {
            for_latest = for_latest.held(latest.as_ref());
        }
        let for_latest = template.render(&for_latest)?;
        if for_latest != config {
            return Err(DesiredError::ReleaseUnsaid {
                host: host.to_string(),
                series: version.series(),
            });
        }
    }
    let manager = service_manager(project, host, facts, &version);
    let warnings = skip_errors_warning(play, flavor.as_ref())
        .into_iter()
        .collect();
    Ok(Desired {
        host: host.to_string(),
        play: play.name.clone(),
        datadir_move: play.vars.datadir_move,
        install: play.vars.install.clone(),
        config_path: config_path(play, facts, flavor.as_ref()),
        config,
        restart_command: manager.restart_command(),
        warnings,
        gtid_moved_online: play.has_role(Role::Replication)
            && play.vars.gtid
            && flavor.capabilities().gtid_mode,
        interleave_change: assignment.changes.get(host).copied(),
        held,
        flavor,
    })
}
