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
                    !n.to_string_lossy().starts_with("expected")
                        && n != "vault-password"
                        && n != "mmprov-refuses"
                })
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .expect("an inventory in the fixture")
}

/// Ansible's answer, as it printed it.
fn expected(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("valid JSON")
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

/// `mmprov inventory ACTION` as a user runs it, with the fixture's `-i`, `--playbook-dir` and
/// `--vault-password-file`.
fn inventory_command(dir: &Path, action: &str) -> std::process::Output {
    let inventory = inventory_in(dir);
    let mut args: Vec<String> = vec![
        "inventory".into(),
        "-i".into(),
        inventory.display().to_string(),
        action.into(),
    ];
    if dir.join("playbook").is_dir() {
        args.extend([
            "--playbook-dir".into(),
            dir.join("playbook").display().to_string(),
        ]);
    }
    if dir.join("vault-password").is_file() {
        args.extend([
            "--vault-password-file".into(),
            dir.join("vault-password").display().to_string(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    support::mmprov(&args, &[])
}

#[test]
fn mmprov_inventory_list_prints_what_ansible_inventory_printed_byte_for_byte_on_every_fixture() {
    let mut differ = Vec::new();
    let mut compared = 0;
    for dir in fixtures() {
        let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
        let refused = text.contains("\"refused\"") || dir.join("mmprov-refuses").is_file();
        let out = inventory_command(&dir, "--list");
        let stdout = support::text(&out.stdout);
        match (refused, out.status.success()) {
            (true, false) => {}
            (false, true) if stdout == text => compared += 1,
            _ => differ.push(format!(
                "{}: exit {:?}\n--- ansible-inventory --list\n{text}--- mmprov inventory --list\n{stdout}{}",
                dir.display(),
                out.status.code(),
                support::text(&out.stderr)
            )),
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(compared >= 30, "{compared} fixtures compared");
}

#[test]
fn mmprov_inventory_graph_draws_what_ansible_inventory_drew_on_every_fixture() {
    let mut differ = Vec::new();
    let mut compared = 0;
    for dir in fixtures() {
        let Ok(want) = std::fs::read_to_string(dir.join("expected-graph.txt")) else {
            continue;
        };
        if dir.join("mmprov-refuses").is_file() {
            continue;
        }
        let out = inventory_command(&dir, "--graph");
        let got = support::text(&out.stdout);
        if got == want {
            compared += 1;
        } else {
            differ.push(format!(
                "{}:\n--- ansible-inventory --graph\n{want}--- mmprov inventory --graph\n{got}{}",
                dir.display(),
                support::text(&out.stderr)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(compared >= 30, "{compared} fixtures compared");
}

#[test]
fn mmprov_inventory_host_prints_each_hosts_variables_as_the_list_gives_them() {
    for name in ["dir-group-vars", "ini-ungrouped", "dir-playbook-vars"] {
        let dir = support::root().join("tests/fixtures/ansible").join(name);
        let list = expected(&dir);
        let hosts: std::collections::BTreeSet<&str> = list
            .as_object()
            .into_iter()
            .flat_map(|groups| groups.values())
            .filter_map(|g| g.get("hosts")?.as_array())
            .flatten()
            .filter_map(|h| h.as_str())
            .collect();
        assert!(!hosts.is_empty(), "{name}");
        for host in hosts {
            let out = inventory_command(&dir, &format!("--host={host}"));
            let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let want = list["_meta"]["hostvars"]
                .get(host)
                .cloned()
                .unwrap_or_else(|| serde_json::json!({}));
            assert_eq!(got, want, "{name}: {host}");
        }
    }
    let dir = support::root().join("tests/fixtures/ansible/dir-group-vars");
    let out = inventory_command(&dir, "--host=nosuch");
    assert!(!out.status.success());
    assert!(support::text(&out.stderr).contains("selects 0 hosts"));
}
