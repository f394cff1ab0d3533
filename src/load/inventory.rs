//! Ansible inventories (YAML or INI), read as they are, resolved into [`Host`]s and groups.
//!
//! 1. A format reader (`ansible_yaml`, `ansible_ini`) fills [`InventoryData`]: hosts, groups, vars, with spans.
//! 2. [`InventoryData::resolve`] applies Ansible's variable precedence (group `all`, then groups by depth and
//!    name, then the host's own vars) and reads the variables mmprov understands; others are left alone, since
//!    real inventories carry variables for many tools.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::problem::Problem;
use crate::model::{Connection, FileId, Host, ServiceKind, Source, Sourced, Span, SshOptions};

/// A variable's value as an inventory wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarValue {
    Str(String),
    Int(i64),
    Bool(bool),
    /// A list or mapping: not something mmprov reads from inventory vars.
    Nested,
}

pub type Vars = BTreeMap<String, Sourced<VarValue>>;

#[derive(Debug, Clone)]
pub struct DeclaredHost {
    pub vars: Vars,
    pub declared_at: Span,
}

#[derive(Debug, Clone, Default)]
pub struct GroupData {
    pub hosts: BTreeSet<String>,
    pub children: BTreeSet<String>,
    pub vars: Vars,
}

#[derive(Debug, Clone, Default)]
pub struct InventoryData {
    pub hosts: BTreeMap<String, DeclaredHost>,
    pub groups: BTreeMap<String, GroupData>,
}

/// Read an inventory file, choosing the format by its name as Ansible users name them.
pub fn read(source: &Source, file: FileId) -> Result<InventoryData, super::LoadError> {
    if is_yaml(&source.path) {
        super::ansible_yaml::parse(source, file)
    } else {
        Ok(super::ansible_ini::parse(source, file))
    }
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml" | "json")
    )
}

impl InventoryData {
    pub fn declare_host(&mut self, name: &str, declared_at: Span) -> &mut DeclaredHost {
        self.hosts
            .entry(name.to_string())
            .or_insert_with(|| DeclaredHost {
                vars: Vars::new(),
                declared_at,
            })
    }

    pub fn group(&mut self, name: &str) -> &mut GroupData {
        self.groups.entry(name.to_string()).or_default()
    }

    /// Every host that is a member of `group`, directly or through its children.
    pub fn members(&self, group: &str) -> BTreeSet<String> {
        if group == "all" {
            return self.hosts.keys().cloned().collect();
        }
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut todo = vec![group.to_string()];
        while let Some(g) = todo.pop() {
            if !seen.insert(g.clone()) {
                continue;
            }
            if let Some(data) = self.groups.get(&g) {
                out.extend(data.hosts.iter().cloned());
                todo.extend(data.children.iter().cloned());
            }
        }
        out
    }

    /// Depth of each group below `all` (its direct children are 1), for Ansible's precedence order.
    fn depths(&self) -> BTreeMap<String, usize> {
        let mut depth: BTreeMap<String, usize> = BTreeMap::new();
        let children: BTreeSet<&String> = self
            .groups
            .values()
            .flat_map(|g| g.children.iter())
            .collect();
        let mut level: Vec<String> = self
            .groups
            .keys()
            .filter(|g| *g != "all" && !children.contains(g))
            .cloned()
            .collect();
        if let Some(all) = self.groups.get("all") {
            level.extend(all.children.iter().cloned());
        }
        let mut d = 1;
        while !level.is_empty() && d <= self.groups.len() + 1 {
            let mut next = Vec::new();
            for g in level {
                if depth.get(&g).is_none_or(|&old| old < d) {
                    depth.insert(g.clone(), d);
                    if let Some(data) = self.groups.get(&g) {
                        next.extend(data.children.iter().cloned());
                    }
                }
            }
            level = next;
            d += 1;
        }
        depth.insert("all".into(), 0);
        depth
    }

    /// Host and group names that could reach a config line, a shell or a pattern as something else.
    fn check_names(&self, problems: &mut Vec<Problem>) {
        for (name, declared) in &self.hosts {
            if let Some(problem) = super::names::host_name_problem(name) {
                problems.push(super::host_name_refused(
                    name,
                    &problem,
                    declared.declared_at,
                ));
            }
        }
        for name in self.groups.keys() {
            if let Some(problem) = super::names::name_problem(name) {
                problems.push(Problem::nowhere(format!(
                    "inventory group name \"{}\" {problem}",
                    name.escape_debug()
                )));
            }
        }
    }

    /// Hosts with their merged variables, and groups with their (transitive) members.
    pub fn resolve(
        &self,
        defaults: &SshOptions,
        problems: &mut Vec<Problem>,
    ) -> (BTreeMap<String, Host>, BTreeMap<String, Vec<String>>) {
        self.check_names(problems);
        let depths = self.depths();
        let groups: BTreeMap<String, Vec<String>> = self
            .groups
            .keys()
            .map(|g| (g.clone(), self.members(g).into_iter().collect()))
            .collect();
        let mut hosts = BTreeMap::new();
        for (name, declared) in &self.hosts {
            let mut member_of: Vec<(&usize, &String)> = groups
                .iter()
                .filter(|(_, members)| members.contains(name))
                .filter_map(|(g, _)| depths.get(g).map(|d| (d, g)))
                .collect();
            member_of.sort();
            let mut vars = self
                .groups
                .get("all")
                .map(|g| g.vars.clone())
                .unwrap_or_default();
            for (_, g) in member_of {
                if let Some(data) = self.groups.get(g) {
                    vars.extend(data.vars.clone());
                }
            }
            vars.extend(declared.vars.clone());
            hosts.insert(
                name.clone(),
                host_from_vars(name, &vars, declared.declared_at, defaults, problems),
            );
        }
        (hosts, groups)
    }
}

fn host_from_vars(
    name: &str,
    vars: &Vars,
    declared_at: Span,
    defaults: &SshOptions,
    problems: &mut Vec<Problem>,
) -> Host {
    let get = |keys: &[&str]| keys.iter().find_map(|k| vars.get(*k));
    let mut host = Host {
        name: name.to_string(),
        address: name.to_string(),
        port: 22,
        user: default_user(),
        key: None,
        connection: Connection::Ssh,
        ssh: defaults.clone(),
        server_id: None,
        auto_increment_offset: None,
        service: Default::default(),
        mysqld: BTreeMap::new(),
        declared_at,
    };
    if let Some(v) = get(&["ansible_host", "ansible_ssh_host"]) {
        host.address = text(v, problems);
    }
    if let Some(v) = get(&["ansible_port", "ansible_ssh_port"]) {
        host.port = number(v, "a port number", problems)
            .and_then(|n| u16::try_from(n).ok())
            .unwrap_or(22);
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
    for key in ["ansible_ssh_common_args", "ansible_ssh_extra_args"] {
        if let Some(v) = vars.get(key) {
            apply_ssh_args(&text(v, problems), v.span, &mut host.ssh, problems);
        }
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
    host
}

/// The OpenSSH `-o` options an Ansible inventory uses to pin known_hosts and timeouts.
fn apply_ssh_args(args: &str, span: Span, ssh: &mut SshOptions, problems: &mut Vec<Problem>) {
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        let option = match words[i] {
            "-o" => {
                i += 1;
                words.get(i).copied()
            }
            w => w.strip_prefix("-o"),
        };
        i += 1;
        let Some((key, value)) = option.and_then(|o| o.split_once('=')) else {
            continue;
        };
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        match key.to_ascii_lowercase().as_str() {
            "userknownhostsfile" => ssh.known_hosts = Some(expand_home(value)),
            "stricthostkeychecking" => {
                ssh.strict_host_key_checking = !matches!(value, "no" | "off")
            }
            "connecttimeout" => match value.parse() {
                Ok(secs) => ssh.connect_timeout = Duration::from_secs(secs),
                Err(_) => problems.push(Problem::at(
                    span,
                    "ConnectTimeout is not a number of seconds",
                    "here",
                )),
            },
            _ => {}
        }
    }
}

fn text(v: &Sourced<VarValue>, problems: &mut Vec<Problem>) -> String {
    match &v.value {
        VarValue::Str(s) => s.clone(),
        VarValue::Int(n) => n.to_string(),
        VarValue::Bool(b) => b.to_string(),
        VarValue::Nested => {
            problems.push(Problem::at(
                v.span,
                "expected a single value, found a list or mapping",
                "here",
            ));
            String::new()
        }
    }
}

fn number(v: &Sourced<VarValue>, what: &str, problems: &mut Vec<Problem>) -> Option<u32> {
    let parsed = match &v.value {
        VarValue::Int(n) => u32::try_from(*n).ok(),
        VarValue::Str(s) => s.trim().parse().ok(),
        _ => None,
    };
    if parsed.is_none() {
        problems.push(Problem::at(
            v.span,
            format!("expected {what}"),
            "not a non-negative whole number",
        ));
    }
    parsed
}

fn sourced_number(v: &Sourced<VarValue>, problems: &mut Vec<Problem>) -> Option<Sourced<u32>> {
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
