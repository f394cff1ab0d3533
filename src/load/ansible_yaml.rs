//! Ansible's YAML inventory format: groups with `hosts`, `vars` and `children`, hosts with their vars, in
//! the order written. A host key is a pattern, as in INI (`db[01:03]`, `db1:2201`); `hosts: db1` (a single
//! name) is one host. Variables keep their YAML types.

use indexmap::IndexMap;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::inventory::{InventoryData, Vars, expand_host_pattern};
use super::problem::Problem;
use super::yaml;
use crate::model::{FileId, Source, Sourced};

type YamlVars = IndexMap<String, Spanned<serde_json::Value>>;

/// A group's `hosts`: a mapping of host patterns to their vars, or (as Ansible also takes) one name.
enum HostsYaml {
    Map(IndexMap<String, Spanned<Option<YamlVars>>>),
    One(String),
}

impl<'de> Deserialize<'de> for HostsYaml {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // By hand, not `untagged`: that buffers the value and loses every host's place in the file.
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = HostsYaml;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping of hosts, or one host name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<HostsYaml, E> {
                Ok(HostsYaml::One(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<HostsYaml, A::Error> {
                let mut hosts = IndexMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let vars = map.next_value::<Spanned<Option<YamlVars>>>()?;
                    hosts.insert(key, vars);
                }
                Ok(HostsYaml::Map(hosts))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A group as Ansible's YAML plugin takes it: `hosts`, `vars`, `children`; another key is skipped with a
/// warning, and a value that is not a mapping is no group (skipped with a warning), as Ansible does.
#[derive(Default)]
struct GroupYaml {
    hosts: Option<HostsYaml>,
    vars: Option<YamlVars>,
    children: Option<IndexMap<String, Spanned<Option<GroupYaml>>>>,
    /// Keys other than those three.
    skipped: Vec<String>,
    /// The value was not a mapping: what it was instead.
    not_a_group: Option<&'static str>,
}

impl<'de> Deserialize<'de> for GroupYaml {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // By hand: every key is taken as it comes, so nothing is buffered and every place is kept.
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = GroupYaml;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a group: a mapping of hosts, vars and children")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<GroupYaml, A::Error> {
                let mut group = GroupYaml::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "hosts" => group.hosts = map.next_value()?,
                        "vars" => group.vars = map.next_value()?,
                        "children" => group.children = map.next_value()?,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            group.skipped.push(key);
                        }
                    }
                }
                Ok(group)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<GroupYaml, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(not_a_group("a list"))
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<GroupYaml, E> {
                Ok(not_a_group("text"))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<GroupYaml, E> {
                Ok(not_a_group("a boolean"))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<GroupYaml, E> {
                Ok(not_a_group("a number"))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<GroupYaml, E> {
                Ok(not_a_group("a number"))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<GroupYaml, E> {
                Ok(not_a_group("a number"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

fn not_a_group(what: &'static str) -> GroupYaml {
    GroupYaml {
        not_a_group: Some(what),
        ..GroupYaml::default()
    }
}

pub fn parse(source: &Source, file: FileId) -> Result<InventoryData, super::LoadError> {
    let top: IndexMap<String, Spanned<Option<GroupYaml>>> =
        yaml::parse(source, "Ansible YAML inventory")?;
    let mut data = InventoryData::new();
    for (name, group) in top {
        add_group(&mut data, source, file, &name, group);
    }
    Ok(data)
}

/// A `group_vars/` or `host_vars/` file: a mapping of variables (an empty file sets none).
pub fn vars_file(source: &Source, file: FileId) -> Result<Vars, super::LoadError> {
    let vars: Option<YamlVars> = yaml::parse(source, "Ansible vars file")?;
    Ok(convert(file, vars.unwrap_or_default()))
}

/// Whether the text is a YAML inventory: a mapping whose keys are groups, not a plugin configuration.
pub fn looks_like_inventory(source: &Source) -> bool {
    let Ok(top) = yaml::parse::<IndexMap<String, serde::de::IgnoredAny>>(source, "inventory")
    else {
        return false;
    };
    !top.is_empty() && !top.contains_key("plugin")
}

fn add_group(
    data: &mut InventoryData,
    source: &Source,
    file: FileId,
    name: &str,
    group: Spanned<Option<GroupYaml>>,
) {
    let group_at = yaml::span(file, &group);
    let place = line_of(source, group_at);
    if let Some(what) = group.value.as_ref().and_then(|g| g.not_a_group) {
        data.warnings.push(format!(
            "{place}skipping `{name}`: it is {what}, not a group definition (as Ansible skips it)"
        ));
        return;
    }
    data.group(name);
    let Some(group) = group.value else { return };
    for key in &group.skipped {
        data.warnings.push(format!(
            "{place}skipping the key `{key}` of group `{name}`: only hosts, vars and children are read (as Ansible skips it)"
        ));
    }
    match group.hosts {
        Some(HostsYaml::Map(hosts)) => {
            for (pattern, vars) in hosts {
                let at = yaml::span(file, &vars);
                if let Some(problem) = super::names::name_problem(&pattern) {
                    data.problems
                        .push(super::host_name_refused(&pattern, &problem, at));
                    continue;
                }
                let (names, port) = match expand_host_pattern(&pattern) {
                    Ok(expanded) => expanded,
                    Err(why) => {
                        data.problems.push(Problem::at(
                            at,
                            format!("invalid host pattern {why}"),
                            "here",
                        ));
                        continue;
                    }
                };
                let vars = convert(file, vars.value.unwrap_or_default());
                for host in names {
                    let declared = data.declare_host(&host, at);
                    if let Some(port) = port {
                        declared.vars.insert(
                            "ansible_port".into(),
                            Sourced::new(serde_json::Value::from(port), at),
                        );
                    }
                    declared.vars.extend(vars.clone());
                    data.group(name).hosts.insert(host);
                }
            }
        }
        Some(HostsYaml::One(host)) => {
            data.declare_host(&host, group_at);
            data.group(name).hosts.insert(host);
        }
        None => {}
    }
    for (k, v) in convert(file, group.vars.unwrap_or_default()) {
        data.group(name).set_var(k, v);
    }
    for (child, body) in group.children.unwrap_or_default() {
        let at = yaml::span(file, &body);
        add_group(data, source, file, &child, body);
        data.add_child(name, &child, at);
    }
}

/// Variables with their places; a `!vault` value is kept encrypted, as Ansible shows it
/// (`{"__ansible_vault": ...}`), and opened only where mmprov reads it.
/// `path:line: ` of a place, for a warning.
fn line_of(source: &Source, at: crate::model::Span) -> String {
    let before = source.text.get(..at.offset).unwrap_or_default();
    format!(
        "{}:{}: ",
        source.path.display(),
        before.matches('\n').count() + 1
    )
}

fn convert(file: FileId, vars: YamlVars) -> Vars {
    vars.into_iter()
        .map(|(k, v)| {
            let at = yaml::span(file, &v);
            let value = match v.value {
                serde_json::Value::String(s) if super::vault::is_vault(&s) => {
                    serde_json::json!({ super::vault::VALUE_KEY: s })
                }
                other => other,
            };
            (k, Sourced::new(value, at))
        })
        .collect()
}
