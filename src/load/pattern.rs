//! Ansible's two kinds of pattern:
//! - a play's (or `--limit`'s) host pattern: `all`, `*`, host and group names, globs (`db*`), unions (`a:b`,
//!   `a,b`), intersections (`a:&b`) and exclusions (`a:!b`), applied left to right as Ansible does. Hosts
//!   come out in inventory order: a group's in the order it lists them, unions in the order of their terms;
//! - an inventory's host pattern, which declares hosts: ranges (`db[01:03]`, `db[a:c].lan`) and a port
//!   (`db1:2201`, `[::1]:2201`), expanded as Ansible's inventory plugins expand them.

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
pub(super) fn split_port(pattern: &str) -> Result<(&str, Option<u16>), String> {
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
