//! A host with no server: one is installed as the play says (`install:`), into an empty data directory,
//! and the fresh server is cleaned up at its first start. PURE.
//!
//! 1. A server is installed (one answers, or its binary is there) and mmprov owes it nothing: no step.
//! 2. None is installed: [`Step::InstallServer`] from the host's own sources or the play's repository, then
//!    (after the config is written and the server started) [`Step::Harden`]. Refused, with the reason, when
//!    the play says `install: never`, when the host has neither apt-get nor dnf, or when its data
//!    directory already holds files (a server is never installed over data it did not make).
//!    Where mmprov's config falls among the server's option files is checked once the packages (which
//!    bring those files) are in, before the config is written: not here, from the files of a host without
//!    them.
//! 3. mmprov installed it and the clean-up is still owed (its marker is on the host): a server that is down
//!    has its install finished (the same step, which does again only what is missing), and the clean-up
//!    follows its start.

use std::collections::BTreeMap;

use super::{Desired, InstallReason, Refusal, Step};
use crate::facts::{DatadirState, HostFacts};
use crate::model::Install;
use crate::packages;

/// The data directory a server's packages initialize when no config says otherwise.
pub const PACKAGE_DATADIR: &str = "/var/lib/mysql";

#[derive(Debug, Default)]
pub struct InstallSteps {
    /// Before everything else on the host.
    pub install: Option<Step>,
    /// After the server's start.
    pub harden: Option<Step>,
}

/// `wanted`: the server options mmprov's config sets (its datadir among them, when it names one).
pub fn plan_install(
    desired: &Desired,
    facts: &HostFacts,
    wanted: &BTreeMap<String, String>,
) -> Result<InstallSteps, Refusal> {
    let unfinished = facts.os.install_unfinished;
    if facts.server_installed() && !unfinished {
        return Ok(InstallSteps::default());
    }
    let harden = Some(Step::Harden);
    if facts.running {
        return Ok(InstallSteps {
            install: None,
            harden,
        });
    }
    let host = &desired.host;
    let refuse = |message: String, help: &str| Refusal {
        play: desired.play.clone(),
        message,
        help: Some(help.to_string()),
    };
    let datadir = wanted
        .get("datadir")
        .map_or(PACKAGE_DATADIR, String::as_str);
    let reason = if facts.server_installed() {
        InstallReason::Unfinished
    } else {
        InstallReason::NotInstalled
    };
    if reason == InstallReason::NotInstalled {
        if desired.install == Install::Never {
            return Err(refuse(
                format!("{host}: no server is installed, and the play says `install: never`"),
                "install the server on the host, or let mmprov install it (`install: distribution`, or a repository)",
            ));
        }
        if !matches!(
            facts.layout.datadir_target,
            DatadirState::Missing | DatadirState::Empty
        ) {
            return Err(refuse(
                format!(
                    "{host}: no server is installed, and its data directory {datadir} holds files"
                ),
                "mmprov installs a server only into an empty data directory: move those files away, or install \
                 the server that owns them and run mmprov again",
            ));
        }
    }
    let Some(kind) = facts.os.package_manager else {
        return Err(refuse(
            format!("{host}: no server is installed, and the host has neither apt-get nor dnf"),
            "install the server on the host by hand, then run mmprov again",
        ));
    };
    let manager = packages::manager(kind);
    let version = *desired.flavor.version();
    let (repository, sources) = match &desired.install {
        Install::Repository(repo) => {
            let files = manager
                .repository_files(repo, facts.os.codename.as_deref())
                .map_err(|e| {
                    refuse(
                        format!("{host}: {e}"),
                        "name the suite in the repository (`suite: bookworm`)",
                    )
                })?;
            (Some(repo.name.clone()), files)
        }
        Install::Distribution | Install::Never => (None, Vec::new()),
    };
    let vendor = repository.is_some();
    Ok(InstallSteps {
        install: Some(Step::InstallServer {
            manager: kind,
            packages: manager.server_packages(&version, vendor),
            repository,
            sources,
            server: version,
            datadir: datadir.to_string(),
            initialize: desired.flavor.initialize_datadir(datadir),
            config_path: desired.config_path.clone(),
            config_options: wanted.keys().cloned().collect(),
            reason,
        }),
        harden,
    })
}
