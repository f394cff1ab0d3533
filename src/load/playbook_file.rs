//! The playbook file as written: the YAML schema, with source locations where diagnostics need them.
//! Unknown keys are errors (a typo must never be silently ignored); mysqld option maps are strings, so `ON`,
//! `0777` and `1_000` reach my.cnf exactly as written.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::model::{ReplicationTls, SecretRef, ServiceKind};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookYaml {
    /// An Ansible inventory (YAML or INI), relative to the playbook; `-i` overrides it.
    pub inventory: Option<Spanned<String>>,
    #[serde(default)]
    pub ssh: SshYaml,
    /// Ansible's become, for every host: `true`, or the settings (inventory variables override them).
    #[serde(rename = "become")]
    pub run_as: Option<Spanned<BecomeYaml>>,
    #[serde(default)]
    pub hosts: BTreeMap<String, Spanned<HostYaml>>,
    #[serde(default)]
    pub groups: BTreeMap<String, Spanned<Vec<String>>>,
    pub plays: Vec<Spanned<PlayYaml>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshYaml {
    pub known_hosts: Option<String>,
    pub strict_host_key_checking: Option<bool>,
    /// Seconds.
    pub connect_timeout: Option<u64>,
    /// Seconds.
    pub command_timeout: Option<u64>,
    /// Bastions, as OpenSSH's ProxyJump writes them: `[user@]host[:port]`, comma-separated.
    pub jump: Option<Spanned<String>>,
    /// The ssh client config to apply (`~/.ssh/config` by default; `none` for none).
    pub config: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum BecomeYaml {
    On(bool),
    With(BecomeSettings),
}

/// `become:` as a mapping: becoming is on, with these settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BecomeSettings {
    /// `sudo`, the only method mmprov uses.
    pub method: Option<String>,
    /// Whom to become; root by default.
    pub user: Option<String>,
    /// The login user's sudo password: `{ env: NAME }` or `{ file: path }`.
    pub password: Option<SecretRef>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionYaml {
    Ssh,
    Local,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostYaml {
    pub address: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub key: Option<String>,
    pub connection: Option<ConnectionYaml>,
    pub known_hosts: Option<String>,
    pub service_manager: Option<ServiceKind>,
    pub service_name: Option<String>,
    pub restart_command: Option<String>,
    pub server_id: Option<Spanned<u32>>,
    pub auto_increment_offset: Option<Spanned<u32>>,
    #[serde(default)]
    pub mysqld: OptionMap,
}

/// `[mysqld]` options as written, each value with its place so a refused one is pointed at.
pub type OptionMap = BTreeMap<String, Spanned<String>>;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum HostsField {
    Pattern(String),
    List(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayYaml {
    pub name: Spanned<String>,
    pub hosts: Spanned<HostsField>,
    pub roles: Option<Vec<Spanned<String>>>,
    pub template: Option<Spanned<String>>,
    /// How many nodes of a live group restart at once (Ansible's `serial`): a count or a percentage.
    pub serial: Option<Spanned<SerialYaml>>,
    #[serde(default)]
    pub vars: PlayVarsYaml,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SerialYaml {
    Count(u32),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayVarsYaml {
    pub config_path: Option<Spanned<String>>,
    pub server_version: Option<Spanned<String>>,
    pub binlog_expire_days: Option<u32>,
    pub max_binlog_size: Option<Spanned<String>>,
    pub log_bin: Option<Spanned<String>>,
    pub relay_log: Option<Spanned<String>>,
    pub datadir: Option<Spanned<String>>,
    pub socket: Option<Spanned<String>>,
    pub bind_address: Option<Spanned<String>>,
    pub log_error: Option<Spanned<String>>,
    pub auto_increment_increment: Option<Spanned<u32>>,
    pub replication_user: Option<Spanned<String>>,
    pub replication_password: Option<Spanned<SecretRef>>,
    pub skip_errors: Option<Spanned<Vec<u32>>>,
    #[serde(default)]
    pub mysqld: OptionMap,
    pub seed_from: Option<Spanned<String>>,
    pub seed_overwrite: Option<bool>,
    /// `logical`, `physical` or `auto`.
    pub seed_method: Option<crate::model::SeedMethod>,
    /// Move a server that holds data into a new `datadir` (copied with the server stopped).
    pub datadir_move: Option<bool>,
    pub read_only_hosts: Option<Spanned<Vec<String>>>,
    /// The one node that takes writes; every other node is passive.
    pub writer: Option<Spanned<String>>,
    /// Seconds the new writer may lag for a switchover to be planned.
    pub max_switchover_lag: Option<u64>,
    pub hooks: Option<HooksYaml>,
    pub replication_tls: Option<ReplicationTls>,
    pub gtid: Option<bool>,
    pub gtid_strict_mode: Option<bool>,
    /// How a host without a server gets one: `distribution`, `never`, or `{ repository: ... }`.
    pub install: Option<Spanned<InstallYaml>>,
}

/// Commands run on the controller around a move of the writer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksYaml {
    pub before_switchover: Option<String>,
    pub after_switchover: Option<String>,
    pub after_failover: Option<String>,
    /// Seconds each hook may run.
    pub timeout: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum InstallYaml {
    Word(String),
    From(Box<InstallFrom>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallFrom {
    pub repository: RepositoryYaml,
}

/// A vendor repository as written; checked field by field in `install_settings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositoryYaml {
    pub name: Spanned<String>,
    pub url: Spanned<String>,
    pub suite: Option<Spanned<String>>,
    pub components: Option<Vec<Spanned<String>>>,
    /// A file on the controller (relative to the playbook) holding the ASCII-armored signing key.
    pub key: Option<Spanned<String>>,
}
