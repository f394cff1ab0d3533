//! Ansible's YAML inventory format: groups with `hosts`, `vars` and `children`, hosts with their vars, in
//! the order written. A host key is a pattern, as in INI (`db[01:03]`, `db1:2201`); `hosts: db[1:3]` (text)
//! is one pattern. Variables keep their YAML types.
//!
//! Where Ansible takes a mapping written as text for a mapping of one key with no value, mmprov takes it
//! for `hosts:` only: `vars: flag` (a variable `flag` set to null) and `children: web` (a child group) are
//! refused at their line, as they are far more often a mistake than meant.

use super::inventory::{InventoryData, Vars};
use super::pattern::expand_host_pattern;
use super::problem::Problem;
use super::yaml11::{self, Kind, Node};
use crate::model::{FileId, Source, Sourced};

pub fn parse(source: &Source, file: FileId) -> Result<InventoryData, super::LoadError> {
    let doc = yaml11::parse(source, "Ansible YAML inventory")?;
    let mut data = InventoryData::new();
    warn_duplicates(&mut data.warnings, source, &doc.duplicate_keys);
    let Some(root) = doc.root.filter(|r| !r.is_null()) else {
        return Ok(data);
    };
    let Kind::Map(groups) = root.kind else {
        data.problems.push(Problem::at(
            yaml11::span(file, &root),
            format!(
                "an inventory is a mapping of groups, and this is {}",
                root.describe()
            ),
            "here",
        ));
        return Ok(data);
    };
    let reader = Reader { source, file };
    for (name, group) in groups {
        reader.add_group(&mut data, name, group);
    }
    Ok(data)
}

/// A `group_vars/` or `host_vars/` file: a mapping of variables (an empty file sets none).
pub fn vars_file(
    source: &Source,
    file: FileId,
    warnings: &mut Vec<String>,
) -> Result<Vars, super::LoadError> {
    let doc = yaml11::parse(source, "Ansible vars file")?;
    warn_duplicates(warnings, source, &doc.duplicate_keys);
    match doc.root {
        None => Ok(Vars::default()),
        Some(node) if node.is_null() => Ok(Vars::default()),
        Some(Node {
            kind: Kind::Map(entries),
            ..
        }) => Ok(convert(file, entries)),
        Some(other) => Err(super::problem::LoadError::Invalid {
            problems: vec![
                Problem::at(
                    yaml11::span(file, &other),
                    format!(
                        "a vars file is a mapping of variables, and this is {}",
                        other.describe()
                    ),
                    "here",
                )
                .into_diagnostic(std::slice::from_ref(source)),
            ],
        }),
    }
}

/// Whether the text is a YAML inventory: a mapping whose keys are groups, not a plugin configuration.
pub fn looks_like_inventory(source: &Source) -> bool {
    match yaml11::parse(source, "inventory").map(|d| d.root) {
        Ok(Some(Node {
            kind: Kind::Map(entries),
            ..
        })) => !entries.is_empty() && !entries.iter().any(|(k, _)| k.as_text() == Some("plugin")),
        _ => false,
    }
}

/// Ansible warns about a key written twice in one mapping and uses the later value; so does mmprov.
fn warn_duplicates(warnings: &mut Vec<String>, source: &Source, keys: &[(usize, String)]) {
    for (offset, key) in keys {
        warnings.push(format!(
            "{}the key `{key}` is written twice in one mapping: the later value is used (as Ansible does)",
            line_of(source, *offset)
        ));
    }
}

struct Reader<'a> {
    source: &'a Source,
    file: FileId,
}

impl Reader<'_> {
    /// A group as Ansible's YAML plugin takes it: `hosts`, `vars`, `children`; another key is skipped with
    /// a warning, and a value that is neither a mapping nor empty is no group (skipped with a warning).
    fn add_group(&self, data: &mut InventoryData, key: Node, body: Node) {
        let Some(name) = self.name(data, &key) else {
            return;
        };
        let entries = match body.kind {
            Kind::Map(entries) => entries,
            _ if body.is_null() => Vec::new(),
            _ => {
                data.warnings.push(format!(
                    "{}skipping `{name}`: it is {}, not a group definition (as Ansible skips it)",
                    line_of(self.source, body.offset),
                    body.describe()
                ));
                return;
            }
        };
        data.group(&name);
        for (field, value) in entries {
            match field.as_text() {
                Some("hosts") => self.add_hosts(data, &name, value),
                Some("vars") => {
                    for (k, v) in self.vars(data, &name, value) {
                        data.group(&name).set_var(k, v);
                    }
                }
                Some("children") => self.add_children(data, &name, value),
                other => data.warnings.push(format!(
                    "{}skipping the key `{}` of group `{name}`: only hosts, vars and children are read (as Ansible skips it)",
                    line_of(self.source, field.offset),
                    other.unwrap_or("?")
                )),
            }
        }
    }

    fn add_children(&self, data: &mut InventoryData, parent: &str, children: Node) {
        match children.kind {
            Kind::Map(entries) => {
                for (child, body) in entries {
                    let at = yaml11::span(self.file, &child);
                    let Some(name) = text_name(&child).map(str::to_string) else {
                        self.not_a_name(data, &child);
                        continue;
                    };
                    self.add_group(data, child, body);
                    data.add_child(parent, &name, at);
                }
            }
            _ if children.is_null() => {}
            _ => self.wrong_shape(data, &children, "children", parent),
        }
    }

    fn add_hosts(&self, data: &mut InventoryData, group: &str, hosts: Node) {
        match hosts.kind {
            Kind::Map(entries) => {
                for (pattern, vars) in entries {
                    self.add_host_pattern(data, group, pattern, Some(vars));
                }
            }
            // `hosts: db[1:3]`: text is one host pattern with no variables, as Ansible takes it.
            Kind::Scalar(_) if hosts.is_text() => self.add_host_pattern(data, group, hosts, None),
            _ if hosts.is_null() => {}
            _ => self.wrong_shape(data, &hosts, "hosts", group),
        }
    }

    fn add_host_pattern(
        &self,
        data: &mut InventoryData,
        group: &str,
        key: Node,
        vars: Option<Node>,
    ) {
        let at = yaml11::span(self.file, &key);
        let Some(pattern) = text_name(&key) else {
            self.not_a_name(data, &key);
            return;
        };
        if let Some(problem) = super::names::name_problem(pattern) {
            data.problems
                .push(super::host_name_refused(pattern, &problem, at));
            return;
        }
        let (names, port) = match expand_host_pattern(pattern) {
            Ok(expanded) => expanded,
            Err(why) => {
                data.problems.push(Problem::at(
                    at,
                    format!("invalid host pattern {why}"),
                    "here",
                ));
                return;
            }
        };
        let vars = match vars {
            Some(vars) => self.vars(data, pattern, vars),
            None => Vars::default(),
        };
        data.add_hosts(group, names, port, vars, at);
    }

    /// A group's or host's variables: a mapping, or nothing.
    fn vars(&self, data: &mut InventoryData, owner: &str, vars: Node) -> Vars {
        match vars.kind {
            Kind::Map(entries) => convert(self.file, entries),
            _ if vars.is_null() => Vars::default(),
            _ => {
                self.wrong_shape(data, &vars, "vars", owner);
                Vars::default()
            }
        }
    }

    fn name(&self, data: &mut InventoryData, key: &Node) -> Option<String> {
        let name = text_name(key).map(str::to_string);
        if name.is_none() {
            self.not_a_name(data, key);
        }
        name
    }

    fn not_a_name(&self, data: &mut InventoryData, key: &Node) {
        data.problems.push(
            Problem::at(
                yaml11::span(self.file, key),
                format!("a name here is text, and this is {}", key.describe()),
                "here",
            )
            .help("quote it (\"5\"): Ansible refuses a group or host that is not named by text"),
        );
    }

    fn wrong_shape(&self, data: &mut InventoryData, node: &Node, field: &str, owner: &str) {
        data.problems.push(Problem::at(
            yaml11::span(self.file, node),
            format!(
                "the `{field}` of `{owner}` must be a mapping, and it is {}",
                node.describe()
            ),
            "here",
        ));
    }
}

/// A group's name or a host pattern: a key that is text (`db1`, `"5"`), not a number, boolean or null.
fn text_name(key: &Node) -> Option<&str> {
    key.as_text().filter(|_| key.is_text())
}

/// `path:line: ` of a place, for a warning.
fn line_of(source: &Source, offset: usize) -> String {
    let before = source.text.get(..offset).unwrap_or_default();
    format!(
        "{}:{}: ",
        source.path.display(),
        before.matches('\n').count() + 1
    )
}

/// Variables with their places; a `!vault` value is kept encrypted, as Ansible shows it
/// (`{"__ansible_vault": ...}`), and opened only where mmprov reads it.
fn convert(file: FileId, entries: Vec<(Node, Node)>) -> Vars {
    entries
        .into_iter()
        .map(|(k, v)| {
            let at = yaml11::span(file, &v);
            let name = k.into_key();
            let value = match v.into_value() {
                serde_json::Value::String(s) if super::vault::is_vault(&s) => {
                    serde_json::json!({ super::vault::VALUE_KEY: s })
                }
                other => other,
            };
            (name, Sourced::new(value, at))
        })
        .collect()
}
