//! Ansible inventories (YAML or INI), read as Ansible reads them, resolved into [`Host`]s and groups.
//!
//! 1. The format: chosen by `load::inventory_files` (by extension, else by content), which calls the reader.
//! 2. A format reader (`ansible_yaml`, `ansible_ini`) fills [`InventoryData`]: hosts, groups and their
//!    variables, in the order written, each with its place in the file; the files of an inventory folder
//!    are merged in name order ([`InventoryData::merge`]).
//! 3. [`InventoryData::resolve`] gives each host its variables and reads the ones mmprov understands; others
//!    are left alone, since real inventories carry variables for many tools. Linear in the inventory's
//!    size: each group's members are found once.
//!
//! The seams, one file each: `graph` (groups, children, members, depths, `ungrouped`), `precedence` (which
//! value of a variable a host gets), `read_vars` (the variables mmprov reads, made into a [`Host`]) and
//! `listing` (the inventory as `ansible-inventory` shows it, in `python_json`'s JSON). Host ranges are
//! `load::pattern`'s.

mod graph;
mod listing;
mod precedence;
mod python_json;
mod read_vars;

pub use listing::AnsibleView;
pub use python_json::to_string as ansible_json;
pub use read_vars::{default_user, expand_home};

use std::collections::{BTreeMap, BTreeSet};

use indexmap::{IndexMap, IndexSet};
use serde_json::Value;

use super::problem::Problem;
use super::vault::Vault;
use super::yaml11::without_unsafe;
use crate::model::{FileId, Host, Sourced, Span, SshOptions};

/// The inventory's maps and sets: in the order written, with a fast hash (an inventory is the operator's
/// own input, so hash flooding is no concern, and each of 100,000 hosts is hashed several times over).
pub type Map<K, V> = IndexMap<K, V, rustc_hash::FxBuildHasher>;
pub type Set<K> = IndexSet<K, rustc_hash::FxBuildHasher>;

/// Variables with their values as the inventory gives them (JSON's types: Ansible's), each with its place.
pub type Vars = Map<String, Sourced<Value>>;

#[derive(Debug, Clone)]
pub struct DeclaredHost {
    /// `ansible_port` from the pattern that first named the host (`db1:2201`): Ansible sets it when it
    /// creates the host and never again, under the host's own vars.
    pub pattern_port: Vars,
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
    /// Hosts Ansible leaves in no group: listed under `ungrouped` alone when `ungrouped` is another group's
    /// child (Ansible then takes them out of it). They are not in `all`: `ansible-inventory --list` does
    /// not show them, and no play selects them (Ansible's would by their name alone).
    pub orphans: Set<String>,
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

impl InventoryData {
    /// An inventory with Ansible's two implicit groups: `all`, and `ungrouped` for hosts of no other group.
    pub fn new() -> Self {
        let mut data = Self::default();
        data.group("all");
        data.group("ungrouped");
        data
    }

    /// The host named `name`, created (and `true`) when it is not known yet.
    pub fn declare_host(&mut self, name: &str, declared_at: Span) -> (&mut DeclaredHost, bool) {
        // Looked up before the entry API, which would allocate the name for a host already known.
        if let Some(i) = self.hosts.get_index_of(name) {
            return (&mut self.hosts[i], false);
        }
        let host = self
            .hosts
            .entry(name.to_string())
            .or_insert_with(|| DeclaredHost {
                pattern_port: Vars::default(),
                vars: Vars::default(),
                file_vars: Vars::default(),
                play_vars: Vars::default(),
                declared_at,
            });
        (host, true)
    }

    /// Declare the hosts one host pattern expanded to, as members of `group`, each with `vars`; a host
    /// the pattern creates takes its port as `ansible_port` (a host named again keeps the port it has).
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
            let (declared, created) = self.declare_host(&host, at);
            if let Some(port) = port.filter(|_| created) {
                declared
                    .pattern_port
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
            host.pattern_port.values_mut().for_each(|v| v.span = at);
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
            let (mine, created) = self.declare_host(&name, host.declared_at);
            if created {
                mine.pattern_port = host.pattern_port;
            }
            mine.vars.extend(host.vars);
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
        self.reconcile_ungrouped();
        let mut resolved = self.resolve_hosts(defaults, vault, wanted, problems);
        resolved.warnings = warnings;
        // What was read is no longer needed, and is not freed: freeing 100,000 hosts' variables one by
        // one takes a tenth of the time it took to read them, and a run is one process, whose memory the
        // system takes back whole when it ends. (Freed on another thread, it slows this one's allocations.)
        std::mem::forget(self);
        resolved
    }

    fn resolve_hosts(
        &self,
        defaults: &HostDefaults,
        vault: &Vault,
        wanted: &BTreeSet<String>,
        problems: &mut Vec<Problem>,
    ) -> Resolved {
        let members = self.members();
        let layers = self.layers(&members);
        let mut resolved = Resolved {
            order: self
                .hosts
                .keys()
                .filter(|h| !self.orphans.contains(*h))
                .cloned()
                .collect(),
            groups: members
                .iter()
                .map(|(g, m)| (g.to_string(), m.iter().map(|h| h.to_string()).collect()))
                .collect(),
            ..Resolved::default()
        };
        // Built in inventory order, where each host's data lie in memory, then sorted by name.
        let mut hosts = Vec::with_capacity(layers.len());
        // The layers are in inventory order, as the hosts are.
        for ((name, layers), declared) in layers.iter().zip(self.hosts.values()) {
            let name: &str = name;
            let declared_at = declared.declared_at;
            let opened = read_vars::open_vaults(layers, vault, problems);
            // The few variables mmprov reads that the host has, looked up once through its layers.
            let read = layers.picked(read_vars::is_read);
            let get = |key: &str| {
                opened.get(key).or_else(|| {
                    read.iter()
                        .rev()
                        .find_map(|(k, v)| (*k == key).then_some(*v))
                })
            };
            hosts.push(read_vars::host_from_vars(
                name,
                &get,
                declared_at,
                defaults,
                problems,
            ));
            let secrets: BTreeMap<String, Value> = wanted
                .iter()
                .filter_map(|k| Some((k.clone(), without_unsafe(&layers.get(k)?.value))))
                .collect();
            if !secrets.is_empty() {
                resolved.hostvars.insert(name.to_string(), secrets);
            }
        }
        resolved.hosts = sorted_by_name(hosts);
        resolved
    }
}

/// Hosts by name. The names are sorted first, and the map built from that sorted run: no host (a large
/// value) is moved while sorting.
fn sorted_by_name(hosts: Vec<Host>) -> BTreeMap<String, Host> {
    let mut order: Vec<(&str, usize)> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i))
        .collect();
    order.sort_unstable();
    let order: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
    let mut slots: Vec<Option<Host>> = hosts.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots[i].take())
        .map(|h| (h.name.clone(), h))
        .collect()
}
