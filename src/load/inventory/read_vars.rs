//! The Ansible variables mmprov reads, made into a [`Host`]: address, port, user, key, connection, ssh
//! arguments, become, service and the host's replication identity (`server_id`, `auto_increment_offset`).
//!
//! 1. A host's variables are looked up through its layers (`precedence`); encrypted values mmprov reads are
//!    opened with the vault password, others stay as they are (inventories hold other tools' secrets).
//! 2. What the inventory does not say comes from the playbook's defaults and the user's ssh config.
//! 3. A value mmprov cannot use is a [`Problem`] at its place; every other variable is left alone.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::precedence::Layers;
use super::{BecomeDefault, HostDefaults, Vars};
use crate::load::problem::Problem;
use crate::load::vault::{self, Vault};
use crate::load::yaml11::unsafe_text;
use crate::load::{ssh_args, ssh_config};
use crate::model::{Connection, Host, ServiceKind, Sourced, Span};

/// The variables mmprov reads that are encrypted, opened, and those marked `!unsafe`, as their text
/// (others stay as they are: an inventory may hold secrets of other tools, which need no password here).
pub(super) fn open_vaults(layers: &Layers<'_>, vault: &Vault, problems: &mut Vec<Problem>) -> Vars {
    let mut out = Vars::default();
    // Most hosts have nothing encrypted or marked: only a name with such a value in some layer is looked up.
    let marked = layers
        .0
        .iter()
        .flat_map(|layer| layer.iter())
        .filter(|(k, v)| {
            (vault::vaulted(&v.value).is_some() || unsafe_text(&v.value).is_some())
                && READ_VARS.contains(&k.as_str())
        });
    for (name, _) in marked {
        let Some(v) = layers.get(name).filter(|_| !out.contains_key(name)) else {
            continue;
        };
        if let Some(text) = unsafe_text(&v.value) {
            out.insert(name.clone(), Sourced::new(Value::from(text), v.span));
            continue;
        }
        let Some(text) = vault::vaulted(&v.value) else {
            continue;
        };
        match vault.decrypt(text) {
            Ok(plain) => {
                let value = Value::String(secrecy::ExposeSecret::expose_secret(&plain).to_string());
                out.insert(name.to_string(), Sourced::new(value, v.span));
            }
            Err(e) => problems.push(Problem::at(
                v.span,
                format!("{name}: {e}"),
                "encrypted here",
            )),
        }
    }
    out
}

/// Whether mmprov reads the variable `name`.
pub(super) fn is_read(name: &str) -> bool {
    // Most variables of a big inventory are other tools' (`rack`, `role`): one look at the start.
    let maybe = name.starts_with("ansible_")
        || name.starts_with("mmprov_")
        || name.starts_with("mysql_")
        || name == "server_id"
        || name == "auto_increment_offset";
    maybe && READ_VARS.contains(&name)
}

/// Every inventory variable mmprov reads.
const READ_VARS: &[&str] = &[
    "ansible_host",
    "ansible_ssh_host",
    "ansible_port",
    "ansible_ssh_port",
    "ansible_user",
    "ansible_ssh_user",
    "ansible_ssh_private_key_file",
    "ansible_private_key_file",
    "ansible_connection",
    "ansible_ssh_common_args",
    "ansible_ssh_extra_args",
    "mmprov_service_manager",
    "mmprov_service_name",
    "mmprov_restart_command",
    "server_id",
    "mysql_server_id",
    "auto_increment_offset",
    "mysql_auto_increment_offset",
    "ansible_become",
    "ansible_become_method",
    "ansible_become_user",
    "ansible_become_password",
    "ansible_become_pass",
];

pub(super) fn host_from_vars<'v>(
    name: &str,
    var: &dyn Fn(&str) -> Option<&'v Sourced<Value>>,
    declared_at: Span,
    defaults: &HostDefaults,
    problems: &mut Vec<Problem>,
) -> Host {
    let get = |keys: &[&str]| keys.iter().find_map(|k| var(k));
    // The name ssh is given, and what the user's ssh config says for it.
    let given = match get(&["ansible_host", "ansible_ssh_host"]) {
        Some(v) => text(v, problems),
        None => name.to_string(),
    };
    let found = defaults
        .ssh_config
        .map(|c| c.query(&given))
        .unwrap_or_default();
    let mut host = Host {
        name: name.to_string(),
        address: found.host_name.clone().unwrap_or(given),
        port: found.port.unwrap_or(22),
        user: found.user.clone().unwrap_or_else(|| defaults.user.clone()),
        key: ssh_config::first_existing(&found.identity_files),
        connection: Connection::Ssh,
        ssh: defaults.ssh.clone(),
        run_as: None,
        server_id: None,
        auto_increment_offset: None,
        service: Default::default(),
        mysqld: BTreeMap::new(),
        declared_at,
    };
    if let Some(v) = get(&["ansible_port", "ansible_ssh_port"]) {
        host.port = port(v, problems).unwrap_or(22);
    }
    if let Some(v) = get(&["ansible_user", "ansible_ssh_user"]) {
        host.user = text(v, problems);
    }
    if let Some(v) = get(&["ansible_ssh_private_key_file", "ansible_private_key_file"]) {
        host.key = Some(expand_home(&text(v, problems)));
    }
    if let Some(v) = get(&["ansible_connection"]) {
        match text(v, problems).as_str() {
            "ssh" | "smart" | "paramiko" => host.connection = Connection::Ssh,
            "local" => host.connection = Connection::Local,
            other => problems.push(
                Problem::at(
                    v.span,
                    format!("connection `{other}` is not supported"),
                    "here",
                )
                .help("mmprov connects with `ssh` (the default) or `local`"),
            ),
        }
    }
    // As on ssh's command line: common args first, then extra args; the first value of an option wins.
    let mut seen = ssh_args::Seen::default();
    for key in ["ansible_ssh_common_args", "ansible_ssh_extra_args"] {
        let Some(v) = var(key) else { continue };
        if let Err(why) = ssh_args::apply(&text(v, problems), &mut host.ssh, &mut seen) {
            problems.push(Problem::at(v.span, format!("{key}: {why}"), "here"));
        }
    }
    if let Some(config) = defaults.ssh_config
        && let Err(why) = config.apply_route(&found, &mut host.ssh)
    {
        problems.push(Problem::at(declared_at, why, "this host"));
    }
    if let Some(v) = get(&["mmprov_service_manager"]) {
        let word = text(v, problems);
        host.service.manager = ServiceKind::parse(&word);
        if host.service.manager.is_none() {
            problems.push(
                Problem::at(v.span, format!("unknown service manager `{word}`"), "here")
                    .help("use systemd, service or custom (with mmprov_restart_command)"),
            );
        }
    }
    host.service.name = get(&["mmprov_service_name"]).map(|v| text(v, problems));
    host.service.restart_command = get(&["mmprov_restart_command"]).map(|v| text(v, problems));
    host.server_id =
        get(&["server_id", "mysql_server_id"]).and_then(|v| sourced_number(v, problems));
    host.auto_increment_offset = get(&["auto_increment_offset", "mysql_auto_increment_offset"])
        .and_then(|v| sourced_number(v, problems));
    host.run_as = become_from_vars(&get, defaults.run_as, problems);
    host
}

/// Ansible's become variables over the playbook's `become:`; sudo is the one method.
fn become_from_vars<'v>(
    get: &dyn Fn(&[&str]) -> Option<&'v Sourced<Value>>,
    default: &BecomeDefault,
    problems: &mut Vec<Problem>,
) -> Option<crate::model::Become> {
    let enabled = match get(&["ansible_become"]) {
        Some(v) => ansible_boolean(&v.value).unwrap_or_else(|| {
            problems.push(
                Problem::at(v.span, "ansible_become is not a boolean", "here")
                    .help("use true or false (yes/no, on/off, 1/0 as Ansible takes them)"),
            );
            false
        }),
        None => default.enabled,
    };
    if let Some(v) = get(&["ansible_become_method"]) {
        let method = text(v, problems);
        if enabled && method != "sudo" {
            problems.push(
                Problem::at(v.span, format!("become method `{method}` is not supported"), "here")
                    .help("mmprov becomes with sudo: give the login user sudo rights, or log in as the user itself"),
            );
        }
    }
    if !enabled {
        return None;
    }
    let user = match get(&["ansible_become_user"]) {
        Some(v) => text(v, problems),
        None => default.user.clone().unwrap_or_else(|| "root".into()),
    };
    let password = match get(&["ansible_become_password", "ansible_become_pass"]) {
        // Never quoted in a problem: it is a password.
        Some(v) => match &v.value {
            Value::String(s) => Some(secrecy::SecretString::from(s.clone())),
            _ => {
                problems.push(Problem::at(
                    v.span,
                    "the become password is not text",
                    "here",
                ));
                None
            }
        },
        None => default.password.clone(),
    };
    Some(crate::model::Become { user, password })
}

/// A value as Ansible's `boolean()` reads it: `true`/`yes`/`on`/`1`/`y`/`t` (any case), numbers 1 and 0.
fn ansible_boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" | "1.0" => Some(true),
            "n" | "no" | "off" | "0" | "false" | "f" | "0.0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn text(v: &Sourced<Value>, problems: &mut Vec<Problem>) -> String {
    match &v.value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => {
            problems.push(Problem::at(
                v.span,
                "expected a single value, found a list or mapping",
                "here",
            ));
            String::new()
        }
    }
}

/// A whole number: a number, or text that is one (as Ansible's templating would read it).
fn whole_number(v: &Sourced<Value>) -> Option<u64> {
    match &v.value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn port(v: &Sourced<Value>, problems: &mut Vec<Problem>) -> Option<u16> {
    let port = whole_number(v)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|p| *p > 0);
    if port.is_none() {
        problems.push(
            Problem::at(v.span, "expected a port number (1 to 65535)", "here")
                .help("ansible_port is the SSH port of the host"),
        );
    }
    port
}

fn number(v: &Sourced<Value>, what: &str, problems: &mut Vec<Problem>) -> Option<u32> {
    let parsed = whole_number(v).and_then(|n| u32::try_from(n).ok());
    if parsed.is_none() {
        problems.push(Problem::at(
            v.span,
            format!("expected {what}"),
            "not a non-negative whole number",
        ));
    }
    parsed
}

fn sourced_number(v: &Sourced<Value>, problems: &mut Vec<Problem>) -> Option<Sourced<u32>> {
    number(v, "a whole number", problems).map(|n| Sourced::new(n, v.span))
}

pub fn default_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".into())
}

pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::{READ_VARS, is_read};

    #[test]
    fn every_variable_mmprov_reads_passes_the_quick_look() {
        assert!(READ_VARS.iter().all(|name| is_read(name)));
        assert!(!is_read("rack") && !is_read("ansible_python_interpreter"));
    }
}
