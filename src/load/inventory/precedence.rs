//! Ansible's variable precedence for inventory variables: which of the values written for a variable a host
//! gets (VARIABLE_PRECEDENCE, lowest first):
//! 1. group `all` as the inventory gives it, then `group_vars/all` beside the inventory;
//! 2. the host's other groups as the inventory gives them, by depth, `ansible_group_priority`, then name;
//! 3. `group_vars/all` beside the inventory again, then beside the playbook;
//! 4. the groups' `group_vars/` files beside the inventory, then beside the playbook (same group order);
//! 5. the host's own: the port of the pattern that created it, as the inventory gives them, `host_vars/`
//!    beside the inventory, beside the playbook.
//!
//! Nothing is copied: a host's layers are references, and a variable is looked up through them, last first.

use serde_json::Value;

use super::{GroupData, InventoryData, Map, Set, Vars};
use crate::model::Sourced;

impl InventoryData {
    /// Each host's variable layers, lowest precedence first (see the module's outline), in inventory order.
    pub(super) fn layers<'a>(
        &'a self,
        members: &Map<&'a str, Set<&'a str>>,
    ) -> Vec<(&'a str, Layers<'a>)> {
        // Each group's place in the order, worked out once: depth, `ansible_group_priority`, name.
        let depths = self.depths();
        let keys: Vec<(usize, i64, &str)> = self
            .groups
            .iter()
            .map(|(name, data)| {
                let depth = depths.get(name.as_str()).copied().unwrap_or(1);
                (depth, data.priority.unwrap_or(1), name.as_str())
            })
            .collect();
        let mut ranked: Vec<usize> = (0..keys.len()).collect();
        ranked.sort_by_key(|&i| keys[i]);
        let mut rank = vec![0; ranked.len()];
        for (place, group) in ranked.into_iter().enumerate() {
            rank[group] = place;
        }
        // Each host's groups, as group indices, by host index.
        let mut of_host: Vec<Vec<usize>> = vec![Vec::new(); self.hosts.len()];
        for (group, hosts) in members.iter().filter(|(g, _)| **g != "all") {
            let Some(g) = self.groups.get_index_of(*group) else {
                continue;
            };
            for host in hosts {
                if let Some(h) = self.hosts.get_index_of(*host) {
                    of_host[h].push(g);
                }
            }
        }
        let all = self.groups.get("all");
        self.hosts
            .iter()
            .zip(of_host)
            .map(|((host, declared), mut groups)| {
                groups.sort_by_key(|g| rank[*g]);
                let groups: Vec<&GroupData> = groups
                    .iter()
                    .filter_map(|g| self.groups.get_index(*g).map(|(_, d)| d))
                    .collect();
                let mut layers: Vec<&Vars> = Vec::with_capacity(4 * groups.len() + 8);
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
                layers.extend([
                    &declared.pattern_port,
                    &declared.vars,
                    &declared.file_vars,
                    &declared.play_vars,
                ]);
                layers.retain(|l| !l.is_empty());
                (host.as_str(), Layers(layers))
            })
            .collect()
    }
}

/// A host's variable layers, lowest precedence first: a variable is the last layer's that sets it.
pub(super) struct Layers<'a>(pub(super) Vec<&'a Vars>);

impl<'a> Layers<'a> {
    pub(super) fn get(&self, name: &str) -> Option<&'a Sourced<Value>> {
        self.0.iter().rev().find_map(|layer| layer.get(name))
    }

    /// The variables `wanted` names that some layer sets, each with the value of every layer that sets
    /// it, lowest first (so the last one written for a name is its value).
    pub(super) fn picked(&self, wanted: fn(&str) -> bool) -> Vec<(&'a str, &'a Sourced<Value>)> {
        self.0
            .iter()
            .flat_map(|layer| layer.iter())
            .filter(|(k, _)| wanted(k))
            .map(|(k, v)| (k.as_str(), v))
            .collect()
    }

    /// Every variable with its value, as Ansible's `hostvars` has them.
    pub(super) fn merged(&self) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        for layer in &self.0 {
            for (k, v) in layer.iter() {
                out.insert(k.clone(), v.value.clone());
            }
        }
        out
    }
}
