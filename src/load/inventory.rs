//! Ansible inventories (YAML or INI), read as Ansible reads them, resolved into [`Host`]s and groups.
//!
//! 1. The format: by extension (`.yml`, `.yaml`, `.json`: YAML; others: INI), and for a file without one
//!    by content, as Ansible's plugins try them: YAML first (a mapping that is not a plugin config), else INI.
//! 2. A format reader (`ansible_yaml`, `ansible_ini`) fills [`InventoryData`]: hosts, groups and their
//!    variables, in the order written, each with its place in the file.
//! 3. [`InventoryData::resolve`] gives each host its variables with Ansible's precedence (group `all`, then
//!    its groups by depth, `ansible_group_priority` and name, then the host's own) and reads the variables
//!    mmprov understands; others are left alone, since real inventories carry variables for many tools.
//!    Linear in the inventory's size: each group's members are found once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use indexmap::{IndexMap, IndexSet};
use serde_json::Value;

use super::problem::Problem;
use super::vault::Vault;
use crate::model::{Connection, FileId, Host, ServiceKind, Source, Sourced, Span, SshOptions};

/// The inventory's maps and sets: in the order written, with a fast hash (an inventory is the operator's
/// own input, so hash flooding is no concern, and each of 100,000 hosts is hashed several times over).
pub type Map<K, V> = IndexMap<K, V, rustc_hash::FxBuildHasher>;
pub type Set<K> = IndexSet<K, rustc_hash::FxBuildHasher>;

/// Variables with their values as the inventory gives them (JSON's types: Ansible's), each with its place.
pub type Vars = BTreeMap<String, Sourced<Value>>;

#[derive(Debug, Clone)]
pub struct DeclaredHost {
    pub vars: Vars,
    /// From `host_vars/` beside the inventory, and beside the playbook.
    pub file_vars: Vars,
    pub play_vars: Vars,
    pub declared_at: Span,
}

/// Where a vars file was found: beside the inventory, or beside the playbook (which wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarsLayer {
    Inventory,
    Playbook,
}

impl DeclaredHost {
    pub fn add_file_vars(&mut self, layer: VarsLayer, vars: Vars) {
        match layer {
            VarsLayer::Inventory => self.file_vars.extend(vars),
            VarsLayer::Playbook => self.play_vars.extend(vars),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GroupData {
    pub hosts: Set<String>,
    pub children: Set<String>,
    pub vars: Vars,
    /// `ansible_group_priority`: among groups of one depth, a higher one's vars win. A property of the
    /// group, not one of its vars (as in Ansible).
    pub priority: Option<i64>,
    /// From `group_vars/` beside the inventory, and beside the playbook.
    pub file_vars: Vars,
    pub play_vars: Vars,
}

impl GroupData {
    pub fn add_file_vars(&mut self, layer: VarsLayer, vars: Vars) {
        match layer {
            VarsLayer::Inventory => self.file_vars.extend(vars),
            VarsLayer::Playbook => self.play_vars.extend(vars),
        }
    }

    /// Set a group variable; `ansible_group_priority` sets the group's priority instead.
    pub fn set_var(&mut self, name: String, value: Sourced<Value>) {
        let priority = value
            .value
            .as_i64()
            .or_else(|| value.value.as_str()?.trim().parse().ok());
        match priority {
            Some(p) if name == "ansible_group_priority" => self.priority = Some(p),
            _ => {
                self.vars.insert(name, value);
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct InventoryData {
    /// Every host, in the order first written.
    pub hosts: Map<String, DeclaredHost>,
    pub groups: Map<String, GroupData>,
    /// What Ansible warns about and skips: mmprov warns and skips too.
    pub warnings: Vec<String>,
    /// What Ansible refuses.
    pub problems: Vec<Problem>,
}

/// What a host gets where its inventory variables say nothing: the playbook's ssh and become settings,
/// the user's ssh config, the local user.
pub struct HostDefaults<'a> {
    pub ssh: &'a SshOptions,
    pub run_as: &'a BecomeDefault,
    pub ssh_config: Option<&'a super::ssh_config::ClientConfig>,
    pub user: String,
}

/// The playbook's `become:`: what every host does unless its inventory variables say otherwise.
#[derive(Debug, Clone, Default)]
pub struct BecomeDefault {
    pub enabled: bool,
    pub user: Option<String>,
    pub password: Option<secrecy::SecretString>,
}

/// What an inventory resolves to.
#[derive(Debug, Default)]
pub struct Resolved {
    pub hosts: BTreeMap<String, Host>,
    /// Each group's members (its own hosts, then its children's), in inventory order.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Every host in inventory order.
    pub order: Vec<String>,
    /// The variables the playbook takes secrets from (`{ var: NAME }`), for each host that sets them, as
    /// the inventory gives them (an encrypted one still encrypted).
    pub hostvars: BTreeMap<String, BTreeMap<String, Value>>,
    pub warnings: Vec<String>,
}

/// Read an inventory file in the format its name, or else its content, says.
pub fn read(source: &Source, file: FileId) -> Result<InventoryData, super::LoadError> {
    match source.path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml" | "json") => super::ansible_yaml::parse(source, file),
        None if super::ansible_yaml::looks_like_inventory(source) => {
            super::ansible_yaml::parse(source, file)
        }
        None => Ok(super::ansible_ini::parse(source, file)),
        Some(_) => Ok(super::ansible_ini::parse(source, file)),
    }
}

impl InventoryData {
    /// An inventory with Ansible's two implicit groups: `all`, and `ungrouped` for hosts of no other group.
    pub fn new() -> Self {
        let mut data = Self::default();
        data.group("all");
        data.group("ungrouped");
        data
    }

    pub fn declare_host(&mut self, name: &str, declared_at: Span) -> &mut DeclaredHost {
        self.hosts
            .entry(name.to_string())
            .or_insert_with(|| DeclaredHost {
                vars: Vars::new(),
                file_vars: Vars::new(),
                play_vars: Vars::new(),
                declared_at,
            })
    }

    /// Declare the hosts one host pattern expanded to, as members of `group`, each with `vars` and the
    /// pattern's port as `ansible_port`.
    pub fn add_hosts(
        &mut self,
        group: &str,
        names: Vec<String>,
        port: Option<u16>,
        mut vars: Vars,
        at: Span,
    ) {
        let last = names.len().saturating_sub(1);
        for (i, host) in names.into_iter().enumerate() {
            let declared = self.declare_host(&host, at);
            if let Some(port) = port {
                declared
                    .vars
                    .insert("ansible_port".into(), Sourced::new(Value::from(port), at));
            }
            // A range's hosts each get a copy; the last (often the only) host takes the original.
            if i == last {
                declared.vars.append(&mut vars);
            } else {
                declared
                    .vars
                    .extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            self.group(group).hosts.insert(host);
        }
    }

    /// Point everything this part sets at `at` (a vaulted file's first line: its text is secret).
    pub fn point_at(&mut self, at: Span) {
        for host in self.hosts.values_mut() {
            host.declared_at = at;
            host.vars.values_mut().for_each(|v| v.span = at);
        }
        for group in self.groups.values_mut() {
            group.vars.values_mut().for_each(|v| v.span = at);
        }
        for problem in &mut self.problems {
            problem.span = problem.span.map(|_| at);
        }
    }

    /// Add another inventory file's hosts and groups (the files of an inventory directory).
    pub fn merge(&mut self, other: InventoryData) {
        if self.is_empty() {
            // The first (or only) file: taken as it is, with nothing to merge host by host.
            *self = other;
            return;
        }
        for (name, host) in other.hosts {
            self.declare_host(&name, host.declared_at)
                .vars
                .extend(host.vars);
        }
        for (name, group) in &other.groups {
            let mine = self.group(name);
            mine.hosts.extend(group.hosts.iter().cloned());
            mine.vars.extend(group.vars.clone());
            if group.priority.is_some() {
                mine.priority = group.priority;
            }
        }
        for (name, group) in other.groups {
            let at = Span {
                file: FileId(0),
                offset: 0,
                len: 0,
            };
            for child in group.children {
                if !self
                    .groups
                    .get(&name)
                    .is_some_and(|g| g.children.contains(&child))
                {
                    self.add_child(&name, &child, at);
                }
            }
        }
        self.warnings.extend(other.warnings);
        self.problems.extend(other.problems);
    }

    /// Whether nothing was read yet: no hosts, no problems, only the implicit groups, empty.
    fn is_empty(&self) -> bool {
        self.hosts.is_empty()
            && self.warnings.is_empty()
            && self.problems.is_empty()
            && self.groups.iter().all(|(name, g)| {
                matches!(name.as_str(), "all" | "ungrouped")
                    && g.hosts.is_empty()
                    && g.children.is_empty()
                    && g.vars.is_empty()
                    && g.priority.is_none()
                    && g.file_vars.is_empty()
                    && g.play_vars.is_empty()
            })
    }

    pub fn group(&mut self, name: &str) -> &mut GroupData {
        // Looked up before the entry API, which would allocate the name on every call (once per host).
        match self.groups.get_index_of(name) {
            Some(i) => &mut self.groups[i],
            None => self.groups.entry(name.to_string()).or_default(),
        }
    }

    /// Make `child` a child of `parent`, unless that would make a group its own ancestor (Ansible refuses).
    pub fn add_child(&mut self, parent: &str, child: &str, at: Span) {
        if parent == child || self.descends_from(parent, child) {
            self.problems.push(
                Problem::at(
                    at,
                    format!(
                        "adding group `{child}` as a child of `{parent}` creates a loop: `{parent}` is already \
                         within `{child}`"
                    ),
                    "here",
                )
                .help("a group cannot contain itself, directly or through its children"),
            );
            return;
        }
        self.group(child);
        self.group(parent).children.insert(child.to_string());
    }

    /// Whether `group` is `ancestor` or lies below it.
    fn descends_from(&self, group: &str, ancestor: &str) -> bool {
        let mut todo = vec![ancestor];
        let mut seen = BTreeSet::new();
        while let Some(g) = todo.pop() {
            if g == group {
                return true;
            }
            if let Some(data) = self.groups.get(g).filter(|_| seen.insert(g)) {
                todo.extend(data.children.iter().map(String::as_str));
            }
        }
        false
    }

    /// Put the hosts of no group in `ungrouped`, as Ansible does.
    fn fill_ungrouped(&mut self) {
        let mut grouped = vec![false; self.hosts.len()];
        for (_, group) in self
            .groups
            .iter()
            .filter(|(g, _)| *g != "all" && *g != "ungrouped")
        {
            for host in &group.hosts {
                if let Some(i) = self.hosts.get_index_of(host) {
                    grouped[i] = true;
                }
            }
        }
        let ungrouped: Vec<String> = self
            .hosts
            .keys()
            .zip(grouped)
            .filter(|(_, grouped)| !grouped)
            .map(|(h, _)| h.clone())
            .collect();
        self.group("ungrouped").hosts.extend(ungrouped);
    }

    /// Every group's members: its own hosts, then its children's, in order, each once. `all` holds every
    /// host; `ungrouped` the hosts of no other group.
    fn members(&self) -> Map<&str, Set<&str>> {
        let mut done: Map<&str, Set<&str>> = Map::default();
        for name in self.groups.keys() {
            self.collect_members(name, &mut done);
        }
        done.insert("all", self.hosts.keys().map(String::as_str).collect());
        done
    }

    fn collect_members<'a>(&'a self, group: &'a str, done: &mut Map<&'a str, Set<&'a str>>) {
        if done.contains_key(group) {
            return;
        }
        // Loops were refused when the children were added; the placeholder guards against them anyway.
        done.insert(group, Set::default());
        let Some(data) = self.groups.get(group) else {
            return;
        };
        let mut members: Set<&str> = data.hosts.iter().map(String::as_str).collect();
        for child in &data.children {
            self.collect_members(child, done);
            if let Some(theirs) = done.get(child.as_str()) {
                members.extend(theirs.iter().copied());
            }
        }
        done.insert(group, members);
    }

    /// Depth of each group below `all` (its direct children are 1): the longest path, as Ansible counts it.
    fn depths(&self) -> BTreeMap<&str, usize> {
        let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
        let children: BTreeSet<&str> = self
            .groups
            .values()
            .flat_map(|g| g.children.iter().map(String::as_str))
            .collect();
        // Groups in an order where every parent comes before its children (loops are refused).
        let mut order: Vec<&str> = Vec::new();
        let mut state: BTreeMap<&str, bool> = BTreeMap::new();
        for root in self
            .groups
            .keys()
            .map(String::as_str)
            .filter(|g| !children.contains(g))
        {
            self.topological(root, &mut state, &mut order);
        }
        order.reverse();
        for g in &order {
            let d = if *g == "all" {
                0
            } else {
                *depth.get(g).unwrap_or(&1)
            };
            depth.insert(g, d);
            if let Some(data) = self.groups.get(*g) {
                for child in &data.children {
                    let entry = depth.entry(child.as_str()).or_insert(0);
                    *entry = (*entry).max(d + 1);
                }
            }
        }
        depth.insert("all", 0);
        depth
    }

    fn topological<'a>(
        &'a self,
        group: &'a str,
        state: &mut BTreeMap<&'a str, bool>,
        order: &mut Vec<&'a str>,
    ) {
        if state.contains_key(group) {
            return;
        }
        state.insert(group, false);
        if let Some(data) = self.groups.get(group) {
            for child in &data.children {
                self.topological(child, state, order);
            }
        }
        order.push(group);
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

    /// Each host's variable layers, lowest precedence first, in Ansible's order (VARIABLE_PRECEDENCE):
    /// `all` and the groups (by depth, `ansible_group_priority`, name) as the inventory and its vars files
    /// give them; `all`'s vars files again, then the groups' vars files, the playbook's after the
    /// inventory's; then the host's own. Nothing is copied: a variable is looked up through the layers.
    fn layers<'a>(&'a self, members: &Map<&'a str, Set<&'a str>>) -> Map<&'a str, Layers<'a>> {
        let depths = self.depths();
        let priority =
            |g: &str| -> i64 { self.groups.get(g).and_then(|d| d.priority).unwrap_or(1) };
        let mut of_host: Map<&str, Vec<&str>> = self
            .hosts
            .keys()
            .map(|h| (h.as_str(), Vec::new()))
            .collect();
        for (group, hosts) in members.iter().filter(|(g, _)| **g != "all") {
            for host in hosts {
                if let Some(groups) = of_host.get_mut(host) {
                    groups.push(group);
                }
            }
        }
        let all = self.groups.get("all");
        of_host
            .into_iter()
            .map(|(host, mut groups)| {
                groups.sort_by_key(|g| (depths.get(g).copied().unwrap_or(1), priority(g), *g));
                let groups: Vec<&GroupData> =
                    groups.iter().filter_map(|g| self.groups.get(*g)).collect();
                let mut layers: Vec<&Vars> = Vec::with_capacity(4 * groups.len() + 7);
                if let Some(all) = all {
                    layers.extend([&all.vars, &all.file_vars]);
                }
                for g in &groups {
                    layers.extend([&g.vars, &g.file_vars]);
                }
                if let Some(all) = all {
                    layers.extend([&all.file_vars, &all.play_vars]);
                }
                layers.extend(groups.iter().map(|g| &g.file_vars));
                layers.extend(groups.iter().map(|g| &g.play_vars));
                if let Some(declared) = self.hosts.get(host) {
                    layers.extend([&declared.vars, &declared.file_vars, &declared.play_vars]);
                }
                layers.retain(|l| !l.is_empty());
                (host, Layers(layers))
            })
            .collect()
    }

    /// The inventory as `ansible-inventory --list` prints it: each host's variables under
    /// `_meta.hostvars`, each group's own hosts and children, `all` with the top-level groups.
    pub fn ansible_list(mut self) -> Value {
        let mut top: Vec<String> = vec!["ungrouped".into()];
        let children: BTreeSet<&String> = self
            .groups
            .iter()
            .filter(|(g, _)| *g != "all")
            .flat_map(|(_, d)| &d.children)
            .collect();
        top.extend(
            self.groups
                .keys()
                .filter(|g| !children.contains(g) && *g != "all" && *g != "ungrouped")
                .cloned(),
        );
        let mut groups = serde_json::Map::new();
        self.fill_ungrouped();
        for (name, data) in self.groups.iter().filter(|(g, _)| *g != "all") {
            let mut group = serde_json::Map::new();
            if !data.hosts.is_empty() {
                group.insert("hosts".into(), data.hosts.iter().cloned().collect());
            }
            if !data.children.is_empty() {
                group.insert("children".into(), data.children.iter().cloned().collect());
            }
            if !group.is_empty() {
                groups.insert(name.clone(), Value::Object(group));
            }
        }
        let mut all_children = serde_json::Map::new();
        all_children.insert(
            "children".into(),
            top.into_iter().map(Value::from).collect(),
        );
        groups.insert("all".into(), Value::Object(all_children));
        let members = self.members();
        let hostvars: serde_json::Map<String, Value> = self
            .layers(&members)
            .into_iter()
            .map(|(host, layers)| (host, layers.merged()))
            .filter(|(_, vars)| !vars.is_empty())
            .map(|(host, vars)| (host.to_string(), Value::Object(vars)))
            .collect();
        let mut meta = serde_json::Map::new();
        meta.insert("hostvars".into(), Value::Object(hostvars));
        groups.insert("_meta".into(), Value::Object(meta));
        Value::Object(groups)
    }

    /// Hosts with their merged variables, and groups with their (transitive) members, in inventory order.
    /// `wanted`: the variables whose values the playbook takes from the inventory (secrets), given for
    /// every host in [`Resolved::hostvars`].
    pub fn resolve(
        mut self,
        defaults: &HostDefaults,
        vault: &Vault,
        wanted: &BTreeSet<String>,
        problems: &mut Vec<Problem>,
    ) -> Resolved {
        problems.append(&mut self.problems);
        let warnings = std::mem::take(&mut self.warnings);
        self.check_names(problems);
        self.fill_ungrouped();
        let members = self.members();
        let layers = self.layers(&members);
        let mut resolved = Resolved {
            order: self.hosts.keys().cloned().collect(),
            groups: members
                .iter()
                .map(|(g, m)| (g.to_string(), m.iter().map(|h| h.to_string()).collect()))
                .collect(),
            warnings,
            ..Resolved::default()
        };
        // Collected, not inserted one by one: a map built from a sorted run moves no entry twice.
        let mut hosts = Vec::with_capacity(layers.len());
        for (name, layers) in layers {
            let declared_at = self.hosts.get(name).map(|d| d.declared_at).unwrap_or(Span {
                file: FileId(0),
                offset: 0,
                len: 0,
            });
            let opened = open_vaults(&layers, vault, problems);
            let get = |key: &str| opened.get(key).or_else(|| layers.get(key));
            hosts.push((
                name.to_string(),
                host_from_vars(name, &get, declared_at, defaults, problems),
            ));
            let secrets: BTreeMap<String, Value> = wanted
                .iter()
                .filter_map(|k| Some((k.clone(), layers.get(k)?.value.clone())))
                .collect();
            if !secrets.is_empty() {
                resolved.hostvars.insert(name.to_string(), secrets);
            }
        }
        resolved.hosts = hosts.into_iter().collect();
        resolved
    }
}

/// A host's variable layers, lowest precedence first: a variable is the last layer's that sets it.
struct Layers<'a>(Vec<&'a Vars>);

impl<'a> Layers<'a> {
    fn get(&self, name: &str) -> Option<&'a Sourced<Value>> {
        self.0.iter().rev().find_map(|layer| layer.get(name))
    }

    /// Every variable with its value, as Ansible's `hostvars` has them.
    fn merged(&self) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        for layer in &self.0 {
            for (k, v) in layer.iter() {
                out.insert(k.clone(), v.value.clone());
            }
        }
        out
    }
}

/// The variables mmprov reads that are encrypted, opened (others stay as they are: an inventory may hold
/// secrets of other tools, which need no password here).
fn open_vaults(layers: &Layers<'_>, vault: &Vault, problems: &mut Vec<Problem>) -> Vars {
    let mut out = Vars::new();
    // Most hosts have nothing encrypted: only a name with an encrypted value in some layer is looked up.
    let encrypted = layers
        .0
        .iter()
        .flat_map(|layer| layer.iter())
        .filter(|(k, v)| {
            super::vault::vaulted(&v.value).is_some() && READ_VARS.contains(&k.as_str())
        });
    for (name, _) in encrypted {
        let Some(v) = layers.get(name) else { continue };
        let Some(text) = super::vault::vaulted(&v.value) else {
            continue;
        };
        if out.contains_key(name) {
            continue;
        }
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

fn host_from_vars<'v>(
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
        key: super::ssh_config::first_existing(&found.identity_files),
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
    let mut seen = super::ssh_args::Seen::default();
    for key in ["ansible_ssh_common_args", "ansible_ssh_extra_args"] {
        let Some(v) = var(key) else { continue };
        if let Err(why) = super::ssh_args::apply(&text(v, problems), &mut host.ssh, &mut seen) {
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

/// A host pattern of an inventory (`db[01:03]`, `db[a:c].lan`, `db1:2201`, `[::1]:2201`) as the hosts it
/// names and the port it gives them, as Ansible expands it. `Err` with Ansible's reason.
pub fn expand_host_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let (host, port) = split_port(pattern)?;
    if !host.contains('[') {
        return Ok((vec![host.to_string()], port));
    }
    let mut out = Vec::new();
    expand_ranges(host, &mut out)?;
    Ok((out, port))
}

/// `host:port` and `[host]:port`, where the host may hold ranges; an IPv6 address without brackets has no
/// port.
fn split_port(pattern: &str) -> Result<(&str, Option<u16>), String> {
    let parse = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("`{p}` is not a port number (1 to 65535)"))
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    // `[addr]:port`, unless the brackets are a range at the start (`[a:c]db`).
    let bracketed = pattern
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("]:"))
        .filter(|(_, port)| digits(port));
    if let Some((inside, port)) = bracketed {
        return Ok((inside, Some(parse(port)?)));
    }
    let colons = pattern.matches(':').count() - pattern_range_colons(pattern);
    let last = pattern
        .rsplit_once(':')
        .filter(|(_, port)| colons == 1 && !port.contains(']'));
    match last {
        Some((_, "")) => Err(format!(
            "`{pattern}` ends in `:`, which is reserved to give a port"
        )),
        Some((host, port)) if digits(port) => Ok((host, Some(parse(port)?))),
        _ => Ok((pattern, None)),
    }
}

/// The colons that belong to `[a:b]` ranges.
fn pattern_range_colons(pattern: &str) -> usize {
    let mut depth = 0;
    let mut count = 0;
    for c in pattern.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth > 0 => count += 1,
            _ => {}
        }
    }
    count
}

/// Expand the first `[begin:end:step]` of `name`, then the rest of each result, as Ansible does.
fn expand_ranges(name: &str, out: &mut Vec<String>) -> Result<(), String> {
    let Some((head, rest)) = name.split_once('[') else {
        out.push(name.to_string());
        return Ok(());
    };
    let (range, tail) = rest
        .split_once(']')
        .ok_or_else(|| format!("`{name}`: a host range opened with `[` is not closed"))?;
    let bounds: Vec<&str> = range.split(':').collect();
    if !(2..=3).contains(&bounds.len()) {
        return Err(format!(
            "`{name}`: a host range must be begin:end or begin:end:step"
        ));
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(format!("`{name}`: a host range must give its end"));
    }
    let step: usize =
        match bounds.get(2) {
            Some(s) => s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                format!("`{name}`: the step of a host range must be a whole number")
            })?,
            None => 1,
        };
    let letters = |s: &str| s.len() == 1 && s.chars().all(|c| c.is_ascii_alphabetic());
    let items: Vec<String> = if letters(begin) && letters(end) {
        const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let (a, b) = (LETTERS.find(begin), LETTERS.find(end));
        match (a, b) {
            (Some(a), Some(b)) if a <= b => LETTERS[a..=b]
                .chars()
                .step_by(step)
                .map(String::from)
                .collect(),
            _ => return Err(format!("`{name}`: a host range must have begin <= end")),
        }
    } else {
        let (a, b): (u64, u64) = match (begin.parse(), end.parse()) {
            (Ok(a), Ok(b)) => (a, b),
            _ => {
                return Err(format!(
                    "`{name}`: `{range}` is not a range of numbers or letters"
                ));
            }
        };
        let width = if begin.len() > 1 && begin.starts_with('0') {
            if begin.len() != end.len() {
                return Err(format!(
                    "`{name}`: a zero-padded host range must give begin and end with as many digits"
                ));
            }
            begin.len()
        } else {
            0
        };
        (a..=b)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect()
    };
    for item in items {
        expand_ranges(&format!("{head}{item}{tail}"), out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::expand_host_pattern;

    fn hosts(p: &str) -> Vec<String> {
        expand_host_pattern(p).expect("expands").0
    }

    #[test]
    fn ranges_expand_as_ansible_expands_them() {
        assert_eq!(hosts("db[01:03].lan"), ["db01.lan", "db02.lan", "db03.lan"]);
        assert_eq!(hosts("db[a:c]"), ["dba", "dbb", "dbc"]);
        assert_eq!(hosts("db[1:5:2]"), ["db1", "db3", "db5"]);
        assert_eq!(hosts("db[:2]"), ["db0", "db1", "db2"]);
        assert_eq!(hosts("r[1:2]n[a:b]"), ["r1na", "r1nb", "r2na", "r2nb"]);
        assert_eq!(hosts("plain"), ["plain"]);
        assert!(expand_host_pattern("db[01:3]").is_err(), "unequal padding");
        assert!(expand_host_pattern("db[c:a]").is_err());
    }

    #[test]
    fn a_port_after_the_host_is_the_hosts_port() {
        assert_eq!(
            expand_host_pattern("db1:2201").expect("parses"),
            (vec!["db1".to_string()], Some(2201))
        );
        assert_eq!(
            expand_host_pattern("db[1:2]:2201").expect("parses"),
            (vec!["db1".to_string(), "db2".to_string()], Some(2201))
        );
        assert_eq!(
            expand_host_pattern("[2001:db8::1]:2201").expect("parses"),
            (vec!["2001:db8::1".to_string()], Some(2201))
        );
        assert_eq!(
            expand_host_pattern("2001:db8::1").expect("parses"),
            (vec!["2001:db8::1".to_string()], None)
        );
        assert!(expand_host_pattern("db1:").is_err());
        assert!(expand_host_pattern("db1:70000").is_err());
    }
}
