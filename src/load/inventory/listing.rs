//! The inventory as `ansible-inventory --list` shows it: `_meta.hostvars` with each host's variables, each
//! group's own hosts and children, `all` with its children. What Ansible's own reader would print, so the
//! conformance fixtures can compare the two.

use serde_json::Value;

use super::InventoryData;

impl InventoryData {
    /// The inventory as `ansible-inventory --list` prints it (without `_meta.profile`, which names
    /// Ansible's JSON encoder).
    pub fn ansible_list(mut self) -> Value {
        let top = self.top_level();
        let mut groups = serde_json::Map::new();
        self.reconcile_ungrouped();
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
            .filter(|(host, _)| !self.orphans.contains(*host))
            .map(|(host, layers)| (host, layers.merged()))
            .filter(|(_, vars)| !vars.is_empty())
            .map(|(host, vars)| (host.to_string(), Value::Object(vars)))
            .collect();
        let mut meta = serde_json::Map::new();
        meta.insert("hostvars".into(), Value::Object(hostvars));
        groups.insert("_meta".into(), Value::Object(meta));
        Value::Object(groups)
    }
}
