//! The inventory as `ansible-inventory` shows it (`mmprov inventory --list`, `--graph`, `--host`): what
//! Ansible's own reader would print for the same files, so a user can see what mmprov will act on without
//! installing Ansible, and the conformance fixtures can compare the two.
//!
//! 1. [`AnsibleView::new`] settles the inventory as Ansible does once every source is read (`ungrouped`).
//! 2. [`AnsibleView::list`]: `_meta.hostvars` with each host's variables (Ansible's precedence), each
//!    group's own hosts and children, `all` with its children; JSON text by `python_json`.
//! 3. [`AnsibleView::graph`]: a group's tree (`@group:` lines, `  |--` per level), its children first,
//!    then its own hosts; a group under two parents is drawn under each.
//! 4. [`AnsibleView::host`]: one host's variables, the host named by a pattern that selects one.

use serde_json::Value;

use super::InventoryData;
use crate::load::problem::LoadError;

/// An inventory read and settled, to be shown as `ansible-inventory` shows it.
pub struct AnsibleView {
    data: InventoryData,
}

impl AnsibleView {
    pub fn new(mut data: InventoryData) -> Self {
        data.reconcile_ungrouped();
        Self { data }
    }

    /// What Ansible warns about and skips, which mmprov skipped too.
    pub fn warnings(&self) -> &[String] {
        &self.data.warnings
    }

    /// The inventory as `ansible-inventory --list` prints it, `_meta.profile` included (the name of
    /// Ansible's JSON encoding, so the two outputs compare byte for byte).
    pub fn list(&self) -> Value {
        let data = &self.data;
        let mut groups = serde_json::Map::new();
        for (name, group) in data.groups.iter().filter(|(g, _)| *g != "all") {
            let mut shown = serde_json::Map::new();
            if !group.hosts.is_empty() {
                shown.insert("hosts".into(), group.hosts.iter().cloned().collect());
            }
            if !group.children.is_empty() {
                shown.insert("children".into(), group.children.iter().cloned().collect());
            }
            if !shown.is_empty() {
                groups.insert(name.clone(), Value::Object(shown));
            }
        }
        let top: Value = data.top_level().into_iter().map(Value::from).collect();
        groups.insert("all".into(), serde_json::json!({ "children": top }));
        let hostvars: serde_json::Map<String, Value> = self
            .hostvars()
            .into_iter()
            .filter(|(_, vars)| !vars.is_empty())
            .map(|(host, vars)| (host.to_string(), Value::Object(vars)))
            .collect();
        groups.insert(
            "_meta".into(),
            serde_json::json!({ "hostvars": hostvars, "profile": "inventory_legacy" }),
        );
        Value::Object(groups)
    }

    /// Every host of `all` with its variables, in inventory order.
    fn hostvars(&self) -> Vec<(&str, serde_json::Map<String, Value>)> {
        let members = self.data.members();
        self.data
            .layers(&members)
            .into_iter()
            .filter(|(host, _)| !self.data.orphans.contains(*host))
            .map(|(host, layers)| (host, layers.merged()))
            .collect()
    }

    /// The variables of the one host `pattern` selects (a name, or an Ansible pattern), as
    /// `ansible-inventory --host` prints them.
    pub fn host(&self, pattern: &str) -> Result<Value, LoadError> {
        let members = self.data.members();
        let hosts: Vec<String> = members
            .get("all")
            .map(|all| all.iter().map(|h| h.to_string()).collect())
            .unwrap_or_default();
        let groups = members
            .iter()
            .map(|(g, m)| (g.to_string(), m.iter().map(|h| h.to_string()).collect()))
            .collect();
        let selected = crate::load::pattern::select(pattern, &hosts, &groups).unwrap_or_default();
        let [one] = selected.as_slice() else {
            return Err(LoadError::NotOneHost {
                pattern: pattern.to_string(),
                selected: selected.len(),
            });
        };
        let vars = self
            .hostvars()
            .into_iter()
            .find(|(host, _)| host == one)
            .map(|(_, vars)| vars)
            .unwrap_or_default();
        Ok(Value::Object(vars))
    }

    /// The tree `ansible-inventory --graph GROUP` draws, one line each, without a final newline.
    pub fn graph(&self, group: &str) -> Result<String, LoadError> {
        if !self.data.groups.contains_key(group) {
            return Err(LoadError::NotAGroup {
                name: group.to_string(),
            });
        }
        let mut lines = Vec::new();
        self.draw(group, 0, &mut lines);
        Ok(lines.join("\n"))
    }

    fn draw(&self, group: &str, depth: usize, lines: &mut Vec<String>) {
        lines.push(indented(&format!("@{group}:"), depth));
        let data = self.data.groups.get(group);
        let children: Vec<String> = match (group, data) {
            ("all", _) => self.data.top_level(),
            (_, Some(data)) => data.children.iter().cloned().collect(),
            (_, None) => Vec::new(),
        };
        for child in &children {
            self.draw(child, depth + 1, lines);
        }
        if let Some(data) = data.filter(|_| group != "all") {
            for host in &data.hosts {
                lines.push(indented(host, depth + 1));
            }
        }
    }
}

/// A line of Ansible's graph: `  |` for each level above, then `--` and the name.
fn indented(name: &str, depth: usize) -> String {
    if depth == 0 {
        return name.to_string();
    }
    format!("{}--{name}", "  |".repeat(depth))
}
