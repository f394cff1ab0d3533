//! Package managers: how a server gets onto a host that has none. Chosen per host from its facts (which of
//! apt-get and dnf it has); pure, like the service managers: running what they return is the apply layer's
//! job, so what they decide shows in the plan.
//!
//! For a server family and where its packages come from, a backend knows:
//! 1. the packages that make a server and its command-line client;
//! 2. the files that add a vendor repository: its sources entry (or repo file) and its signing key;
//! 3. the command that installs the packages without questions, the server kept from starting until mmprov
//!    has written its config (Debian's packages start it as they install);
//! 4. the service the packages install.

use serde::{Deserialize, Serialize};

use crate::flavor::ServerVersion;
use crate::model::PackageRepository;
use crate::shell::quote;

/// Which package manager a host has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageManagerKind {
    /// Debian, Ubuntu: apt-get and dpkg.
    Apt,
    /// RHEL, Rocky, Alma, Fedora: dnf and rpm.
    Dnf,
}

impl PackageManagerKind {
    pub fn name(self) -> &'static str {
        match self {
            PackageManagerKind::Apt => "apt",
            PackageManagerKind::Dnf => "dnf",
        }
    }
}

/// A file written on the host before the install: a repository's sources entry or key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    pub path: String,
    pub content: String,
}

pub trait PackageManager {
    fn kind(&self) -> PackageManagerKind;

    /// The server's and its client's packages; `vendor`: from the vendor's own repository, whose names
    /// can differ from the distribution's.
    fn server_packages(&self, server: &ServerVersion, vendor: bool) -> Vec<String>;

    /// The service the server's packages install.
    fn service_name(&self, server: &ServerVersion) -> &'static str;

    /// The files that add `repo` to the host's sources. `codename`: the host's release codename, the suite
    /// when the repository names none. Fails with the reason when they cannot be written as asked.
    fn repository_files(
        &self,
        repo: &PackageRepository,
        codename: Option<&str>,
    ) -> Result<Vec<SourceFile>, String>;

    /// The shell command that installs `packages` (refreshing the package lists first) without a question.
    fn install_command(&self, packages: &[String]) -> String;
}

/// The backend for a kind of package manager.
pub fn manager(kind: PackageManagerKind) -> Box<dyn PackageManager + Send + Sync> {
    match kind {
        PackageManagerKind::Apt => Box::new(Apt),
        PackageManagerKind::Dnf => Box::new(Dnf),
    }
}

pub struct Apt;

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

pub struct Dnf;

/// Debian's maintainer scripts start no service while this says 101; mmprov's own is marked, so an install
/// interrupted before it was removed is recognised and cleaned up next time.
const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";
const POLICY_MARK: &str = "# mmprov: services held while it installs the server";

impl PackageManager for Apt {
    fn kind(&self) -> PackageManagerKind {
        PackageManagerKind::Apt
    }

    fn server_packages(&self, server: &ServerVersion, _vendor: bool) -> Vec<String> {
        owned(server.dialect().packages.apt)
    }

    fn service_name(&self, server: &ServerVersion) -> &'static str {
        server.dialect().packages.apt_service
    }

    fn repository_files(
        &self,
        repo: &PackageRepository,
        codename: Option<&str>,
    ) -> Result<Vec<SourceFile>, String> {
        let suite = match (&repo.suite, codename) {
            (Some(suite), _) => suite.as_str(),
            (None, Some(codename)) if !codename.is_empty() => codename,
            (None, _) => {
                return Err(format!(
                    "repository `{}` names no suite, and the host's release codename is not known \
                     (no VERSION_CODENAME in /etc/os-release)",
                    repo.name
                ));
            }
        };
        // A flat repository (suite ending in `/`) has no components; any other has at least one.
        let flat = suite.ends_with('/');
        let components: Vec<&str> = match (flat, repo.components.is_empty()) {
            (true, true) => Vec::new(),
            (true, false) => {
                return Err(format!(
                    "repository `{}`: the flat suite `{suite}` takes no components",
                    repo.name
                ));
            }
            (false, true) => vec!["main"],
            (false, false) => repo.components.iter().map(String::as_str).collect(),
        };
        let mut files = Vec::new();
        let mut entry = format!("Types: deb\nURIs: {}\nSuites: {suite}\n", repo.url);
        if !components.is_empty() {
            entry.push_str(&format!("Components: {}\n", components.join(" ")));
        }
        if let Some(key) = &repo.key {
            let path = format!("/etc/apt/keyrings/mmprov-{}.asc", repo.name);
            entry.push_str(&format!("Signed-By: {path}\n"));
            files.push(SourceFile {
                path,
                content: key.clone(),
            });
        }
        files.push(SourceFile {
            path: format!("/etc/apt/sources.list.d/mmprov-{}.sources", repo.name),
            content: entry,
        });
        Ok(files)
    }

    fn install_command(&self, packages: &[String]) -> String {
        let packages: Vec<String> = packages.iter().map(|p| quote(p)).collect();
        format!(
            r#"set -e
export DEBIAN_FRONTEND=noninteractive
p={policy}
held=
if [ ! -e "$p" ] || grep -qF {mark} "$p"; then
  printf '#!/bin/sh\n%s\nexit 101\n' {mark} > "$p.mmprov-tmp" && chmod 755 "$p.mmprov-tmp" && mv -f "$p.mmprov-tmp" "$p"
  held=1
fi
release() {{ [ -z "$held" ] || rm -f "$p"; }}
trap release EXIT
trap 'release; exit 129' HUP INT TERM
apt-get -q update
apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install {packages}
"#,
            policy = POLICY_RC_D,
            mark = quote(POLICY_MARK),
            packages = packages.join(" "),
        )
    }
}

impl PackageManager for Dnf {
    fn kind(&self) -> PackageManagerKind {
        PackageManagerKind::Dnf
    }

    fn server_packages(&self, server: &ServerVersion, vendor: bool) -> Vec<String> {
        let names = &server.dialect().packages;
        owned(if vendor { names.dnf_vendor } else { names.dnf })
    }

    fn service_name(&self, server: &ServerVersion) -> &'static str {
        server.dialect().packages.dnf_service
    }

    fn repository_files(
        &self,
        repo: &PackageRepository,
        _codename: Option<&str>,
    ) -> Result<Vec<SourceFile>, String> {
        if repo.suite.is_some() || !repo.components.is_empty() {
            return Err(format!(
                "repository `{}`: suite and components are apt's; a dnf repository is its url alone",
                repo.name
            ));
        }
        let id = format!("mmprov-{}", repo.name);
        let mut files = Vec::new();
        let mut entry = format!(
            "[{id}]\nname={id}\nbaseurl={}\nenabled=1\ngpgcheck=1\nmodule_hotfixes=1\n",
            repo.url
        );
        if let Some(key) = &repo.key {
            let path = format!("/etc/pki/rpm-gpg/{id}.asc");
            entry.push_str(&format!("gpgkey=file://{path}\n"));
            files.push(SourceFile {
                path,
                content: key.clone(),
            });
        }
        files.push(SourceFile {
            path: format!("/etc/yum.repos.d/{id}.repo"),
            content: entry,
        });
        Ok(files)
    }

    fn install_command(&self, packages: &[String]) -> String {
        // dnf starts no service: the server first starts from mmprov's config.
        let packages: Vec<String> = packages.iter().map(|p| quote(p)).collect();
        format!("set -e\ndnf -q -y install {}\n", packages.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(suite: Option<&str>, components: &[&str], key: bool) -> PackageRepository {
        PackageRepository {
            name: "mariadb".into(),
            url: "https://dlm.mariadb.com/repo/mariadb-server/10.11/repo/debian".into(),
            suite: suite.map(str::to_string),
            components: components.iter().map(|c| c.to_string()).collect(),
            key: key.then(|| "-----BEGIN PGP PUBLIC KEY BLOCK-----\n...\n-----END PGP PUBLIC KEY BLOCK-----\n".into()),
        }
    }

    fn maria() -> ServerVersion {
        ServerVersion::DEBIAN_DEFAULT
    }

    fn mysql() -> ServerVersion {
        ServerVersion::parse_hint("mysql-9.7").expect("valid hint")
    }

    #[test]
    fn package_names_follow_the_family_the_manager_and_the_source() {
        assert_eq!(
            Apt.server_packages(&maria(), false),
            ["mariadb-server", "mariadb-client"]
        );
        assert_eq!(
            Apt.server_packages(&mysql(), true),
            ["mysql-server", "mysql-client"]
        );
        assert_eq!(
            Dnf.server_packages(&maria(), false),
            ["mariadb-server", "mariadb"]
        );
        assert_eq!(
            Dnf.server_packages(&maria(), true),
            ["MariaDB-server", "MariaDB-client"]
        );
        assert_eq!(
            Dnf.server_packages(&mysql(), true),
            ["mysql-community-server", "mysql-community-client"]
        );
        assert_eq!(Apt.service_name(&maria()), "mariadb");
        assert_eq!(Apt.service_name(&mysql()), "mysql");
        assert_eq!(Dnf.service_name(&mysql()), "mysqld");
    }

    #[test]
    fn an_apt_repository_is_a_deb822_entry_signed_by_its_own_key() {
        let files = Apt
            .repository_files(&repo(None, &[], true), Some("bookworm"))
            .expect("written");
        assert_eq!(files[0].path, "/etc/apt/keyrings/mmprov-mariadb.asc");
        assert!(
            files[0]
                .content
                .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        );
        assert_eq!(
            files[1].path,
            "/etc/apt/sources.list.d/mmprov-mariadb.sources"
        );
        assert_eq!(
            files[1].content,
            "Types: deb\nURIs: https://dlm.mariadb.com/repo/mariadb-server/10.11/repo/debian\n\
             Suites: bookworm\nComponents: main\nSigned-By: /etc/apt/keyrings/mmprov-mariadb.asc\n"
        );
        let flat = Apt
            .repository_files(&repo(Some("./"), &[], false), None)
            .expect("written");
        assert_eq!(flat.len(), 1);
        assert!(flat[0].content.contains("Suites: ./\n"));
        assert!(!flat[0].content.contains("Components"));
        assert!(!flat[0].content.contains("Signed-By"));
        assert!(
            Apt.repository_files(&repo(Some("./"), &["main"], false), None)
                .is_err()
        );
        let no_suite = Apt
            .repository_files(&repo(None, &[], false), None)
            .expect_err("refused");
        assert!(no_suite.contains("codename"), "{no_suite}");
    }

    #[test]
    fn a_dnf_repository_is_a_repo_file_checked_against_its_key() {
        let files = Dnf
            .repository_files(&repo(None, &[], true), None)
            .expect("written");
        assert_eq!(files[0].path, "/etc/pki/rpm-gpg/mmprov-mariadb.asc");
        assert_eq!(files[1].path, "/etc/yum.repos.d/mmprov-mariadb.repo");
        assert!(files[1].content.starts_with("[mmprov-mariadb]\n"));
        assert!(files[1].content.contains("gpgcheck=1\n"));
        assert!(
            files[1]
                .content
                .contains("gpgkey=file:///etc/pki/rpm-gpg/mmprov-mariadb.asc\n")
        );
        assert!(
            Dnf.repository_files(&repo(Some("bookworm"), &[], false), None)
                .is_err()
        );
    }

    #[test]
    fn apt_installs_with_services_held_and_releases_them_after() {
        let command = Apt.install_command(&["mariadb-server".into(), "mariadb-client".into()]);
        assert!(command.contains("DEBIAN_FRONTEND=noninteractive"));
        assert!(command.contains("exit 101"));
        assert!(command.contains("release() { [ -z \"$held\" ] || rm -f \"$p\"; }"));
        assert!(command.contains("trap release EXIT\ntrap 'release; exit 129' HUP INT TERM\n"));
        assert!(command.contains("apt-get -q update\n"));
        assert!(command.ends_with("install mariadb-server mariadb-client\n"));
        assert_eq!(
            Dnf.install_command(&["MariaDB-server".into()]),
            "set -e\ndnf -q -y install MariaDB-server\n"
        );
    }
}
