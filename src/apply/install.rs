//! Installing a server on a host that has none, and the fresh server's first clean-up.
//!
//! 1. The marker ([`INSTALL_MARKER`]) goes on the host first: until the clean-up is done, every plan sees
//!    that mmprov owes this host its install's end, whatever interrupts the run.
//! 2. The vendor repository's files (its key, its sources entry), root-owned, mode 0644.
//! 3. The package manager's install command (apt holding services, so the server does not start with the
//!    package's defaults). Its last lines name a failure.
//! 4. The installed server's version, from its binary: another family or series than the play names stops
//!    here, before that server ever starts.
//! 5. The installed server must read mmprov's config after every other file that sets the same options:
//!    the packages brought those files, so this is where the plan's check of the config's place is made
//!    (a host without the server has only the common files, which the server's package replaces).
//! 6. The data directory is initialized if it holds no system tables (Debian's packages initialize
//!    `/var/lib/mysql` themselves; another datadir, or a dnf install, is mmprov's to initialize).
//!
//! The clean-up ([`harden`]), once the server serves: its anonymous accounts and the test database are
//! dropped, not logged, then the marker goes.

use super::ApplyError;
use crate::flavor::ServerVersion;
use crate::link::HostLink;
use crate::model::INSTALL_MARKER;
use crate::packages::{self, PackageManagerKind, SourceFile};
use crate::shell::quote;
use crate::sql::SqlExecutor;
use crate::transport::{FileAttrs, Transport};

/// What an [`crate::plan::Step::InstallServer`] carries out.
pub struct Install<'s> {
    pub manager: PackageManagerKind,
    pub packages: &'s [String],
    pub sources: &'s [SourceFile],
    pub server: &'s ServerVersion,
    pub datadir: &'s str,
    pub initialize: &'s str,
    pub config_path: &'s str,
    pub config_options: &'s [String],
}

impl Install<'_> {
    pub fn run(&self, t: &mut HostLink, say: &dyn Fn(String)) -> Result<(), ApplyError> {
        let host = t.host().to_string();
        let marker = quote(INSTALL_MARKER);
        t.check(
            &format!("mkdir -p \"$(dirname {marker})\" && touch {marker}"),
            &[],
        )?;
        self.write_sources(t, say)?;
        say(format!(
            "installing {} ({})",
            self.packages.join(" "),
            self.manager.name()
        ));
        let command = packages::manager(self.manager).install_command(self.packages);
        let out = t.exec(&command)?;
        if !out.success() {
            return Err(ApplyError::Install {
                host,
                detail: last_lines(&format!("{}{}", out.stdout_text(), out.stderr_text()), 12),
            });
        }
        self.check_version(t)?;
        self.check_config_order(t)?;
        let d = quote(self.datadir);
        say(format!(
            "initializing {} if it holds no system tables",
            self.datadir
        ));
        let out = t.exec(&format!(
            "if [ -d {d}/mysql ]; then exit 0; fi\n{}",
            self.initialize
        ))?;
        if !out.success() {
            return Err(ApplyError::Install {
                host,
                detail: format!(
                    "initializing {}: {}",
                    self.datadir,
                    last_lines(&format!("{}{}", out.stdout_text(), out.stderr_text()), 12)
                ),
            });
        }
        Ok(())
    }

    fn write_sources(&self, t: &mut HostLink, say: &dyn Fn(String)) -> Result<(), ApplyError> {
        let attrs = FileAttrs {
            mode: 0o644,
            owner: Some("root".into()),
            group: Some("root".into()),
        };
        for file in self.sources {
            say(format!("writing {}", file.path));
            let dir = file.path.rsplit_once('/').map_or("/", |(d, _)| d);
            t.check(&format!("mkdir -p -m 0755 {}", quote(dir)), &[])?;
            t.write_file(&file.path, file.content.as_bytes(), &attrs)?;
        }
        Ok(())
    }

    /// The installed binary must be the server the play names (its family and release series).
    fn check_version(&self, t: &mut HostLink) -> Result<(), ApplyError> {
        let host = t.host().to_string();
        let out = t.check(crate::facts::BINARY_VERSION, &[])?.stdout_text();
        let line = out.trim().strip_prefix("binary=").unwrap_or_default();
        let installed = crate::facts::binary_version(line).ok_or_else(|| ApplyError::Install {
            host: host.clone(),
            detail: format!(
                "the packages installed, but no server binary answers with its version ({line:?})"
            ),
        })?;
        if !installed.same_series(self.server) {
            return Err(ApplyError::Install {
                host,
                detail: format!(
                    "the packages installed {installed}, and the play names {}: it is installed and not \
                     started; name the version the host's sources carry, or a repository that carries {}",
                    self.server.series(),
                    self.server.series()
                ),
            });
        }
        Ok(())
    }
}

impl Install<'_> {
    /// The installed server reads mmprov's config last among the files that set its options.
    fn check_config_order(&self, t: &mut HostLink) -> Result<(), ApplyError> {
        let printed = t.check(crate::facts::OPTION_FILES, &[])?.stdout_text();
        let files = crate::facts::option_files(&printed);
        match crate::plan::config_order::check(&files, self.config_path, self.config_options) {
            None => Ok(()),
            Some(wrong) => {
                let (message, help) = wrong.explain(self.config_path);
                Err(ApplyError::Install {
                    host: t.host().to_string(),
                    detail: format!(
                        "the packages installed, and {message}: it is installed and not started; {help}"
                    ),
                })
            }
        }
    }
}

/// The fresh server's first clean-up, then the marker goes.
pub fn harden(t: &mut HostLink, say: &dyn Fn(String)) -> Result<(), ApplyError> {
    let host = t.host().to_string();
    let flavor = crate::facts::ask_server_version(&host, &mut t.sql())?.flavor();
    let rows = t.sql().query(
        "listing the anonymous accounts",
        "SELECT Host AS host FROM mysql.user WHERE User = ''",
    )?;
    let anonymous: Vec<String> = rows
        .iter()
        .filter_map(|r| r.get(&["host"]).map(str::to_string))
        .collect();
    say(format!(
        "first clean-up: dropping {} anonymous account(s) and the test database",
        anonymous.len()
    ));
    t.sql().execute(
        "dropping the anonymous accounts and the test database",
        &flavor.harden(&anonymous),
    )?;
    t.check(&format!("rm -f {}", quote(INSTALL_MARKER)), &[])?;
    Ok(())
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
