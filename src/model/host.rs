//! One managed machine: how mmprov reaches it and what identifies it in a replication topology.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Sourced, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// Over SSH (the default, as in Ansible).
    Ssh,
    /// Commands run on this machine (`ansible_connection=local`).
    Local,
}

/// How an SSH session to a host is checked and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshOptions {
    /// known_hosts file to check the host key against; `~/.ssh/known_hosts` when unset.
    pub known_hosts: Option<PathBuf>,
    /// Refuse hosts whose key is not in known_hosts (true unless explicitly turned off).
    pub strict_host_key_checking: bool,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    /// Bastions to pass through, first to last (OpenSSH's ProxyJump).
    pub jump: Vec<JumpHost>,
    /// A command whose stdin and stdout carry the connection (OpenSSH's ProxyCommand, with `%h`, `%p`,
    /// `%r` still in it).
    pub proxy_command: Option<String>,
}

impl Default for SshOptions {
    fn default() -> Self {
        Self {
            known_hosts: None,
            strict_host_key_checking: true,
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(600),
            jump: Vec::new(),
            proxy_command: None,
        }
    }
}

/// One bastion of a ProxyJump chain: `[user@]host[:port]`, completed from the user's ssh config where it
/// leaves something out. Its user defaults to the target's login user, its port to 22, its key to the
/// target's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpHost {
    pub user: Option<String>,
    pub address: String,
    pub port: Option<u16>,
    pub key: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Private key file; when unset the SSH agent is asked, then the user's default keys.
    pub key: Option<PathBuf>,
    pub connection: Connection,
    pub ssh: SshOptions,
    /// Run every remote action as another user (Ansible's become): `None` runs them as the login user.
    pub run_as: Option<Become>,
    pub server_id: Option<Sourced<u32>>,
    pub auto_increment_offset: Option<Sourced<u32>>,
    /// How mysqld is restarted here, when the inventory says; otherwise facts decide.
    pub service: ServiceSpec,
    /// Extra `[mysqld]` options for this host only, kept as written.
    pub mysqld: BTreeMap<String, String>,
    /// Where the host was declared.
    pub declared_at: Span,
}

/// Ansible's become: the login user runs everything mmprov does on the host through sudo, as `user`.
#[derive(Debug, Clone)]
pub struct Become {
    /// Whom to become (`ansible_become_user`; root by default).
    pub user: String,
    /// The login user's sudo password (`ansible_become_password`, or the playbook's `become.password`);
    /// `None` when sudo asks for none. It reaches sudo on stdin only.
    pub password: Option<secrecy::SecretString>,
}

impl Become {
    pub fn root() -> Self {
        Self {
            user: "root".into(),
            password: None,
        }
    }
}

/// What the inventory may say about a host's service (`mmprov_service_manager`, `mmprov_service_name`,
/// `mmprov_restart_command`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceSpec {
    pub manager: Option<ServiceKind>,
    pub name: Option<String>,
    pub restart_command: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    Systemd,
    /// SysV init scripts through `service` (also what works in containers without systemd).
    Service,
    Custom,
}

impl ServiceKind {
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "systemd" | "systemctl" => Some(Self::Systemd),
            "service" | "sysv" => Some(Self::Service),
            "custom" => Some(Self::Custom),
            _ => None,
        }
    }
}
