//! The user's OpenSSH client configuration (`~/.ssh/config`, or the playbook's `ssh.config`), applied the way
//! `ssh` applies it, and so the way Ansible's ssh connection sees a host: looked up by the name ssh is given
//! (`ansible_host`, else the inventory name); the first value obtained for a setting is the one used; what
//! the inventory sets (`ansible_user`, `ansible_port`, a key, `-o` options) wins, as ssh's command line does.
//!
//! Read: `Host` (patterns, `!` negation), `HostName` (with `%h`), `User`, `Port`, `IdentityFile`, `ProxyJump`
//! (each bastion looked up in turn), `ProxyCommand`, `UserKnownHostsFile`, and `Include`. `Match` blocks
//! depend on things mmprov cannot evaluate the way ssh does (`exec`, the local user): they are left out,
//! with a warning. Parsing is the `ssh2-config` crate's.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use ssh2_config::{HostParams, ParseRule, SshConfig};

use crate::model::{JumpHost, SshOptions};

/// A parsed client configuration.
pub struct ClientConfig {
    config: SshConfig,
}

/// What the configuration says for one host name.
#[derive(Debug, Default, PartialEq)]
pub struct HostConfig {
    pub host_name: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_files: Vec<PathBuf>,
    pub proxy_jump: Option<String>,
    pub proxy_command: Option<String>,
    pub known_hosts: Option<PathBuf>,
}

impl ClientConfig {
    /// The configuration in `path`; `None` when there is no such file. `warnings` gets what is left out.
    pub fn read(path: &Path, warnings: &mut Vec<String>) -> Result<Option<Self>, String> {
        let text = match super::input::read_capped(path, super::input::TEMPLATE_CAP) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let (kept, left_out) = without_match_blocks(&text);
        if left_out > 0 {
            warnings.push(format!(
                "{}: {left_out} `Match` block(s) left out: mmprov applies `Host` blocks only",
                path.display()
            ));
        }
        let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
        let config = SshConfig::default()
            .parse(&mut BufReader::new(kept.as_bytes()), rules)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Some(Self { config }))
    }

    /// The settings for `host` (the name ssh would be given).
    pub fn query(&self, host: &str) -> HostConfig {
        let params = self.config.query(host);
        HostConfig {
            host_name: params
                .host_name
                .as_deref()
                .map(|h| expand_host_token(h, host)),
            user: params.user.clone(),
            port: params.port,
            identity_files: params.identity_file.clone().unwrap_or_default(),
            proxy_jump: params.proxy_jump.as_ref().map(|hops| hops.join(",")),
            proxy_command: unsupported(&params, "proxycommand"),
            known_hosts: unsupported(&params, "userknownhostsfile").map(|p| super::expand_home(&p)),
        }
    }

    /// What `found` (this config's settings for a host) says of the way to it, where nothing closer (the
    /// inventory, the playbook) did: its known_hosts file, and its ProxyJump or ProxyCommand. Every bastion
    /// of the route is completed from its own `Host` block.
    pub fn apply_route(&self, found: &HostConfig, ssh: &mut SshOptions) -> Result<(), String> {
        if ssh.known_hosts.is_none() {
            ssh.known_hosts = found.known_hosts.clone();
        }
        if ssh.jump.is_empty() && ssh.proxy_command.is_none() {
            match &found.proxy_jump {
                Some(jumps) => {
                    ssh.jump = super::ssh_args::jump_hosts(jumps)
                        .map_err(|why| format!("the ssh config's ProxyJump for this host: {why}"))?
                }
                None => ssh.proxy_command = found.proxy_command.clone(),
            }
        }
        for jump in &mut ssh.jump {
            self.complete_jump(jump);
        }
        Ok(())
    }

    /// A bastion of a ProxyJump chain completed from its own `Host` block, as ssh looks each one up.
    fn complete_jump(&self, jump: &mut JumpHost) {
        let found = self.query(&jump.address);
        if let Some(name) = found.host_name {
            jump.address = name;
        }
        jump.user = jump.user.take().or(found.user);
        jump.port = jump.port.or(found.port);
        jump.key = jump
            .key
            .take()
            .or_else(|| first_existing(&found.identity_files));
    }
}

/// The first of the identity files that exists (ssh tries them in turn; mmprov offers one key file).
pub fn first_existing(files: &[PathBuf]) -> Option<PathBuf> {
    files.iter().find(|f| f.is_file()).cloned()
}

/// A setting the crate keeps as written (the words after the keyword).
fn unsupported(params: &HostParams, key: &str) -> Option<String> {
    let words = params
        .unsupported_fields
        .get(key)
        .or_else(|| params.ignored_fields.get(key))?;
    let value = words.join(" ");
    (!value.eq_ignore_ascii_case("none") && !value.is_empty()).then_some(value)
}

/// `%h` in a HostName is the name looked up; `%%` a percent sign.
fn expand_host_token(value: &str, host: &str) -> String {
    value
        .replace("%%", "\u{0}")
        .replace("%h", host)
        .replace('\u{0}', "%")
}

/// The configuration without its `Match` blocks (each runs to the next `Host` or `Match` line), and how many
/// there were.
fn without_match_blocks(text: &str) -> (String, usize) {
    let mut kept = String::with_capacity(text.len());
    let mut in_match = false;
    let mut blocks = 0;
    for line in text.lines() {
        let keyword = line
            .trim_start()
            .split(|c: char| c.is_whitespace() || c == '=')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match keyword.as_str() {
            "match" => {
                in_match = true;
                blocks += 1;
                continue;
            }
            "host" => in_match = false,
            _ => {}
        }
        if !in_match {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    (kept, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> (ClientConfig, Vec<String>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config");
        std::fs::write(&path, text).expect("write config");
        let mut warnings = Vec::new();
        let config = ClientConfig::read(&path, &mut warnings)
            .expect("parses")
            .expect("exists");
        (config, warnings)
    }

    #[test]
    fn the_first_value_obtained_is_used_and_patterns_match_as_ssh_matches_them() {
        let (config, _) = config(
            "Host db1 db2\n  HostName 10.0.0.%h\n  Port 2201\n\
             Host db* !db9\n  User ops\n  Port 2222\n  ProxyJump bastion\n\
             Host bastion\n  HostName 192.0.2.7\n  User jump\n  IdentityFile /nonexistent/key\n\
             Host *\n  User fallback\n  UserKnownHostsFile /etc/ssh/fleet_known_hosts\n",
        );
        let db1 = config.query("db1");
        assert_eq!(db1.host_name.as_deref(), Some("10.0.0.db1"));
        assert_eq!(db1.port, Some(2201), "the first Port obtained");
        assert_eq!(db1.user.as_deref(), Some("ops"));
        assert_eq!(db1.proxy_jump.as_deref(), Some("bastion"));
        assert_eq!(
            db1.known_hosts,
            Some(PathBuf::from("/etc/ssh/fleet_known_hosts"))
        );
        let db9 = config.query("db9");
        assert_eq!(db9.user.as_deref(), Some("fallback"), "negated");
        assert_eq!(db9.proxy_jump, None);
        let mut jump = JumpHost {
            user: None,
            address: "bastion".into(),
            port: None,
            key: None,
        };
        config.complete_jump(&mut jump);
        assert_eq!(jump.address, "192.0.2.7");
        assert_eq!(jump.user.as_deref(), Some("jump"));
        assert_eq!(
            jump.key, None,
            "a key file that does not exist is not offered"
        );
    }

    #[test]
    fn the_route_fills_only_what_nothing_closer_set_and_a_bad_jump_is_an_error() {
        let (config, _) = config(
            "Host db*\n  ProxyJump gate\n  UserKnownHostsFile /etc/ssh/fleet\nHost bad\n  ProxyJump gate:99999\n\
             Host gate\n  HostName 192.0.2.7\n",
        );
        let mut ssh = SshOptions::default();
        config
            .apply_route(&config.query("db1"), &mut ssh)
            .expect("applies");
        assert_eq!(ssh.jump[0].address, "192.0.2.7");
        assert_eq!(ssh.known_hosts, Some(PathBuf::from("/etc/ssh/fleet")));
        let mut ssh = SshOptions {
            proxy_command: Some("nc %h %p".into()),
            known_hosts: Some(PathBuf::from("/mine")),
            ..SshOptions::default()
        };
        config
            .apply_route(&config.query("db1"), &mut ssh)
            .expect("applies");
        assert!(ssh.jump.is_empty(), "the inventory's route stands");
        assert_eq!(ssh.known_hosts, Some(PathBuf::from("/mine")));
        let err = config
            .apply_route(&config.query("bad"), &mut SshOptions::default())
            .expect_err("a port that is none");
        assert!(err.contains("99999"), "{err}");
    }

    #[test]
    fn match_blocks_are_left_out_with_a_warning() {
        let (config, warnings) = config(
            "Match exec \"true\"\n  User matched\nHost *\n  User plain\n  ProxyCommand ssh -W %h:%p gw\n",
        );
        assert_eq!(config.query("x").user.as_deref(), Some("plain"));
        assert_eq!(
            config.query("x").proxy_command.as_deref(),
            Some("ssh -W %h:%p gw")
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }
}
