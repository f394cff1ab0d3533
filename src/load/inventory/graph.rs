//! The group graph of an inventory: which groups are children of which, the hosts each group holds through
//! its children, how deep each group lies below `all`, and the implicit group `ungrouped`.
//!
//! Owns the rules Ansible's `InventoryData` keeps between groups: a child that would make a group its own
//! ancestor is refused; a group's members are its own hosts, then its children's, each once; a group's depth
//! is its longest path from `all`. It never looks at variables: that is `precedence`.

use std::collections::{BTreeMap, BTreeSet};

use super::{InventoryData, Map, Set};
use crate::load::problem::Problem;
use crate::model::Span;

impl InventoryData {
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

    /// `ungrouped` as Ansible leaves it once every file is read (its `reconcile_inventory`): a host of no
    /// other group joins it, at the end; a host it lists leaves it once the host belongs to another group,
    /// directly or because `ungrouped` itself is some group's child, so `[ungrouped:vars]` no longer reach
    /// it. A host that leaves it for the second reason alone is left in no group (see `orphans`).
    pub(super) fn reconcile_ungrouped(&mut self) {
        let grouped = self.in_other_groups();
        let nested = self
            .groups
            .iter()
            .any(|(g, data)| g != "all" && data.children.contains("ungrouped"));
        let mut listed = vec![false; self.hosts.len()];
        let hosts = &self.hosts;
        let mut orphans = Set::default();
        let ungrouped = self.groups.entry("ungrouped".into()).or_default();
        ungrouped.hosts.retain(|h| {
            let Some(i) = hosts.get_index_of(h) else {
                return false;
            };
            listed[i] = true;
            if nested && !grouped[i] {
                orphans.insert(h.clone());
            }
            !nested && !grouped[i]
        });
        let joining = hosts
            .keys()
            .enumerate()
            .filter(|(i, _)| !grouped[*i] && !listed[*i])
            .map(|(_, h)| h.clone());
        ungrouped.hosts.extend(joining);
        self.orphans = orphans;
    }

    /// For each host, in order: whether a group other than `all` and `ungrouped` lists it.
    fn in_other_groups(&self) -> Vec<bool> {
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
        grouped
    }

    /// The groups `all` lists as its children, in Ansible's order: `ungrouped` (made its child first),
    /// then the groups the inventory makes its children, as written, then every group no group holds, in
    /// the order the groups were first named.
    pub(super) fn top_level(&self) -> Vec<String> {
        let mut top: Set<&str> = Set::default();
        top.insert("ungrouped");
        if let Some(all) = self.groups.get("all") {
            top.extend(all.children.iter().map(String::as_str));
        }
        let held: BTreeSet<&str> = self
            .groups
            .values()
            .flat_map(|d| d.children.iter().map(String::as_str))
            .collect();
        top.extend(
            self.groups
                .keys()
                .map(String::as_str)
                .filter(|g| *g != "all" && !held.contains(g)),
        );
        top.into_iter().map(str::to_string).collect()
    }

    /// Every group's members: its own hosts, then its children's, in order, each once. `all` holds every
    /// host but the orphans; `ungrouped` the hosts of no other group.
    pub(super) fn members(&self) -> Map<&str, Set<&str>> {
        let mut done: Map<&str, Set<&str>> = Map::default();
        for name in self.groups.keys() {
            self.collect_members(name, &mut done);
        }
        let all = self
            .hosts
            .keys()
            .map(String::as_str)
            .filter(|h| !self.orphans.contains(*h));
        done.insert("all", all.collect());
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
    pub(super) fn depths(&self) -> BTreeMap<&str, usize> {
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
}
