//! Ansible host patterns: `all`, `*`, host and group names, globs (`db*`), unions (`a:b`, `a,b`),
//! intersections (`a:&b`) and exclusions (`a:!b`), applied left to right as Ansible does. Hosts come out in
//! inventory order: a group's in the order it lists them, unions in the order of their terms.

use std::collections::BTreeMap;

use indexmap::IndexSet;

/// The hosts a pattern selects, in inventory order; or the terms that name no host or group. `hosts`:
/// every host, in inventory order; `groups`: each group's members, in order.
pub fn select(
    pattern: &str,
    hosts: &[String],
    groups: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<String>, Vec<String>> {
    let mut selected: IndexSet<String> = IndexSet::new();
    let mut unknown = Vec::new();
    for term in pattern
        .split([':', ','])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let (op, name) = match term.as_bytes()[0] {
            b'&' => ('&', &term[1..]),
            b'!' => ('!', &term[1..]),
            _ => ('+', term),
        };
        let matched = matches(name, hosts, groups);
        // An empty group is known: it selects nothing, as in Ansible.
        if matched.is_empty() && !name.contains('*') && !groups.contains_key(name) {
            unknown.push(name.to_string());
            continue;
        }
        match op {
            '&' => selected.retain(|h| matched.contains(h)),
            '!' => selected.retain(|h| !matched.contains(h)),
            _ => selected.extend(matched),
        }
    }
    if unknown.is_empty() {
        Ok(selected.into_iter().collect())
    } else {
        Err(unknown)
    }
}

fn matches(
    name: &str,
    hosts: &[String],
    groups: &BTreeMap<String, Vec<String>>,
) -> IndexSet<String> {
    if name == "all" || name == "*" {
        return hosts.iter().cloned().collect();
    }
    let mut out = IndexSet::new();
    if let Some(members) = groups.get(name) {
        out.extend(members.iter().cloned());
    }
    if name.contains('*') {
        for (group, members) in groups {
            if glob(name, group) {
                out.extend(members.iter().cloned());
            }
        }
    }
    out.extend(hosts.iter().filter(|h| glob(name, h)).cloned());
    out
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn fixture() -> (Vec<String>, BTreeMap<String, Vec<String>>) {
        let hosts = names(&["db1", "db2", "db3", "web1"]);
        let mut groups = BTreeMap::new();
        groups.insert("pair".to_string(), names(&["db1", "db2"]));
        groups.insert("east".to_string(), names(&["db2", "db3"]));
        (hosts, groups)
    }

    #[test]
    fn unions_intersections_exclusions_and_globs() {
        let (hosts, groups) = fixture();
        assert_eq!(select("pair", &hosts, &groups), Ok(names(&["db1", "db2"])));
        assert_eq!(
            select("pair:east", &hosts, &groups),
            Ok(names(&["db1", "db2", "db3"]))
        );
        assert_eq!(select("pair:&east", &hosts, &groups), Ok(names(&["db2"])));
        assert_eq!(
            select("all:!pair", &hosts, &groups),
            Ok(names(&["db3", "web1"]))
        );
        assert_eq!(
            select("db*", &hosts, &groups),
            Ok(names(&["db1", "db2", "db3"]))
        );
        assert_eq!(
            select("web1,db3", &hosts, &groups),
            Ok(names(&["web1", "db3"])),
            "in the order of the terms, as Ansible's default `order: inventory`"
        );
    }

    #[test]
    fn hosts_keep_inventory_order_and_an_empty_group_is_known() {
        let hosts = names(&["db-99", "db-100"]);
        let mut groups = BTreeMap::new();
        groups.insert("pair".to_string(), names(&["db-99", "db-100"]));
        groups.insert("spare".to_string(), Vec::new());
        assert_eq!(
            select("pair", &hosts, &groups),
            Ok(names(&["db-99", "db-100"]))
        );
        assert_eq!(
            select("pair:spare", &hosts, &groups),
            Ok(names(&["db-99", "db-100"]))
        );
    }

    #[test]
    fn unknown_names_are_reported_not_ignored() {
        let (hosts, groups) = fixture();
        assert_eq!(
            select("pair:dbx:nope", &hosts, &groups),
            Err(names(&["dbx", "nope"]))
        );
    }
}
