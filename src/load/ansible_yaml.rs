//! Ansible's YAML inventory format: groups with `hosts`, `vars` and `children`, hosts with their vars.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::inventory::{InventoryData, VarValue, Vars};
use super::yaml;
use crate::model::{FileId, Source, Sourced};

type YamlVars = BTreeMap<String, Spanned<serde_json::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupYaml {
    #[serde(default)]
    hosts: Option<BTreeMap<String, Spanned<Option<YamlVars>>>>,
    #[serde(default)]
    vars: Option<YamlVars>,
    #[serde(default)]
    children: Option<BTreeMap<String, Option<GroupYaml>>>,
}

pub fn parse(source: &Source, file: FileId) -> Result<InventoryData, super::LoadError> {
    let top: BTreeMap<String, Option<GroupYaml>> = yaml::parse(source, "Ansible YAML inventory")?;
    let mut data = InventoryData::default();
    for (name, group) in top {
        add_group(&mut data, file, &name, group);
    }
    Ok(data)
}

fn add_group(data: &mut InventoryData, file: FileId, name: &str, group: Option<GroupYaml>) {
    data.group(name);
    let Some(group) = group else { return };
    for (host, vars) in group.hosts.unwrap_or_default() {
        let at = yaml::span(file, &vars);
        let declared = data.declare_host(&host, at);
        declared
            .vars
            .extend(convert(file, vars.value.unwrap_or_default()));
        data.group(name).hosts.insert(host);
    }
    let vars = convert(file, group.vars.unwrap_or_default());
    data.group(name).vars.extend(vars);
    for (child, body) in group.children.unwrap_or_default() {
        data.group(name).children.insert(child.clone());
        add_group(data, file, &child, body);
    }
}

fn convert(file: FileId, vars: YamlVars) -> Vars {
    vars.into_iter()
        .map(|(k, v)| {
            let at = yaml::span(file, &v);
            let value = match v.value {
                serde_json::Value::String(s) => VarValue::Str(s),
                serde_json::Value::Bool(b) => VarValue::Bool(b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => VarValue::Int(i),
                    None => VarValue::Str(n.to_string()),
                },
                serde_json::Value::Null => VarValue::Str(String::new()),
                _ => VarValue::Nested,
            };
            (k, Sourced::new(value, at))
        })
        .collect()
}
