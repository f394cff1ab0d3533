//! Inventories read as Ansible reads them: every fixture under tests/fixtures/ansible/NAME/ holds one
//! inventory (a file, or an `inventory/` folder; with `group_vars/` and `host_vars/` beside it, and a
//! `playbook/` folder with its own when the playbook's matter) and `expected.json`, what real ansible-core's `ansible-inventory --list` printed for it
//! (`scripts/ansible-fixtures` regenerates them; CI does not need Ansible). mmprov's view of the same file
//! must be the same: hosts, groups, children, every host's variables with their types, and the order of
//! hosts; where Ansible refuses the inventory, mmprov refuses it too. A fixture with a `mmprov-refuses` file
//! (saying why) is one Ansible takes silently and mmprov refuses on purpose: loud, where Ansible would
//! connect somewhere the inventory likely did not mean.

mod support;

use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let root = support::root().join("tests/fixtures/ansible");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("the conformance fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The fixture's inventory: its `inventory/` folder, else its one file.
fn inventory_in(dir: &Path) -> PathBuf {
    if dir.join("inventory").is_dir() {
        return dir.join("inventory");
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.is_file()
                && p.file_name().is_some_and(|n| {
                    n != "expected.json" && n != "vault-password" && n != "mmprov-refuses"
                })
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .expect("an inventory in the fixture")
}

/// Ansible's answer without what only Ansible prints: `_meta.profile`, and the `__ansible_unsafe` wrapper
/// of a `!unsafe` string (a mark that Ansible must not template it; mmprov templates no inventory value,
/// so it is the string itself).
fn expected(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    if let Some(meta) = value.get_mut("_meta").and_then(|m| m.as_object_mut()) {
        meta.remove("profile");
    }
    unwrap_unsafe(&mut value);
    value
}

fn unwrap_unsafe(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map)
            if map.len() == 1 && map.contains_key("__ansible_unsafe") =>
        {
            *value = map["__ansible_unsafe"].take();
        }
        serde_json::Value::Object(map) => map.values_mut().for_each(unwrap_unsafe),
        serde_json::Value::Array(items) => items.iter_mut().for_each(unwrap_unsafe),
        _ => {}
    }
}

#[test]
fn there_are_at_least_25_fixtures_each_with_ansibles_answer() {
    let dirs = fixtures();
    assert!(dirs.len() >= 25, "{} fixtures", dirs.len());
    for dir in dirs {
        assert!(
            dir.join("expected.json").is_file(),
            "{} has no answer",
            dir.display()
        );
    }
}

#[test]
fn every_inventory_reads_as_ansible_reads_it() {
    let mut differ = Vec::new();
    for dir in fixtures() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let want = expected(&dir);
        let playbook = dir.join("playbook");
        let playbook = playbook.is_dir().then_some(playbook.as_path());
        let password = dir.join("vault-password");
        let password = password.is_file().then_some(password);
        let got = mmprov::load::inventory_list(&inventory_in(&dir), playbook, password);
        let refused_on_purpose = dir.join("mmprov-refuses").is_file();
        match (want.get("refused"), got) {
            (None, Err(_)) if refused_on_purpose => {}
            (_, Ok(view)) if refused_on_purpose => differ.push(format!(
                "{name}: mmprov refuses this on purpose, and read {view}"
            )),
            (Some(_), Err(_)) => {}
            (Some(why), Ok(view)) => differ.push(format!(
                "{name}: Ansible refuses it ({}), mmprov read {view}",
                why.as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
            )),
            (None, Err(e)) => differ.push(format!("{name}: mmprov refuses it: {e:?}")),
            (None, Ok(view)) if view != want => {
                differ.push(format!("{name}:\n  ansible: {want}\n  mmprov:  {view}"))
            }
            (None, Ok(_)) => {}
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
