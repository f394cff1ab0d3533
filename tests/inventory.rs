//! Ansible inventories load as they are, in both formats, with Ansible's variable precedence.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use mmprov::load::{self, LoadOptions};
use mmprov::model::{Project, ServiceKind};
use support::{VAULTED, fixture};

fn project_with(inventory: &str) -> Project {
    let options = LoadOptions {
        inventory: Some(fixture(inventory)),
        ..Default::default()
    };
    load::load(&fixture("inventory/playbook.yml"), &options).expect("inventory loads")
}

fn check_example_inventory(p: &Project) {
    let db1 = &p.hosts["db1"];
    assert_eq!(db1.address, "192.0.2.11");
    assert_eq!(
        db1.port, 2222,
        "group var of `databases` reaches hosts of its child group"
    );
    assert_eq!(db1.user, "deploy", "`all` vars reach every host");
    assert_eq!(db1.key, None);
    assert_eq!(
        db1.ssh.known_hosts,
        Some(PathBuf::from("/etc/mmprov/known_hosts"))
    );
    assert_eq!(db1.ssh.connect_timeout, Duration::from_secs(7));
    assert!(db1.ssh.strict_host_key_checking);
    assert_eq!(db1.server_id.as_ref().map(|s| s.value), Some(11));
    assert_eq!(db1.service.manager, Some(ServiceKind::Systemd));
    assert_eq!(db1.service.name.as_deref(), Some("mysql"));

    let db2 = &p.hosts["db2"];
    assert_eq!(db2.port, 22, "a host's own var beats its groups'");
    assert_eq!(
        db2.key,
        Some(PathBuf::from("/keys/backup_ed25519")),
        "vars from every group a host is in"
    );
    assert_eq!(
        db2.server_id.as_ref().map(|s| s.value),
        Some(12),
        "mysql_server_id is read as server_id"
    );

    let web1 = &p.hosts["web1"];
    assert_eq!(
        (web1.address.as_str(), web1.port),
        ("web1", 22),
        "address defaults to the inventory name"
    );

    assert_eq!(p.groups["databases"], ["db1", "db2"]);
    assert_eq!(p.groups["orders"], ["db1", "db2"]);
    assert_eq!(p.groups["backup"], ["db2"]);
    assert_eq!(p.groups["web"], ["web1"]);
}

#[test]
fn ansible_yaml_inventory_loads_as_is() {
    check_example_inventory(&project_with("inventory/hosts.yml"));
}

#[test]
fn ansible_ini_inventory_loads_as_is() {
    check_example_inventory(&project_with("inventory/hosts.ini"));
}

#[test]
fn playbook_inventory_key_is_relative_to_the_playbook() {
    let p = load::load(&fixture("valid/pair.yml"), &LoadOptions::default()).expect("loads");
    assert_eq!(p.plays[0].hosts, ["db1", "db2"]);
    assert_eq!(p.plays[0].auto_increment_increment(), 2);
    assert_eq!(p.auto_increment_offset(&p.plays[0], "db1"), 1);
    assert_eq!(p.auto_increment_offset(&p.plays[0], "db2"), 2);
}

#[test]
fn inventory_option_overrides_the_playbook_key() {
    let options = LoadOptions {
        inventory: Some(fixture("inventory/hosts.ini")),
        ..Default::default()
    };
    let p = load::load(&fixture("valid/pair.yml"), &options).expect("loads");
    assert_eq!(p.sources[1].path, fixture("inventory/hosts.ini"));
}

#[test]
fn a_limit_selects_hosts_by_ansible_pattern_and_keeps_every_play_whole() {
    let options = LoadOptions {
        inventory: Some(fixture("inventory/hosts.ini")),
        limit: Some("orders:!db2".into()),
        ..Default::default()
    };
    let p = load::load(&fixture("valid/pair.yml"), &options).expect("loads");
    assert!(p.in_limit("db1"));
    assert!(!p.in_limit("db2"));
    assert_eq!(
        p.plays[0].hosts,
        ["db1", "db2"],
        "a limit must not change a play's topology (offsets, increment)"
    );
}

#[test]
fn a_limit_naming_an_unknown_host_is_refused_before_anything_runs() {
    let options = LoadOptions {
        inventory: Some(fixture("inventory/hosts.ini")),
        limit: Some("db1:nosuch".into()),
        ..Default::default()
    };
    let err = load::load(&fixture("valid/pair.yml"), &options).expect_err("refused");
    let report = format!("{:?}", miette::Report::new(err));
    assert!(
        report.contains("--limit `db1:nosuch` names unknown host or group `nosuch`"),
        "{report}"
    );
}

/// A playbook over an inventory written into a temporary folder: `(folder, playbook path)`.
fn book_over(
    inventory_name: &str,
    inventory: &str,
    play_hosts: &str,
) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(inventory_name), inventory).expect("inventory");
    std::fs::write(dir.path().join("secret"), "pw\n").expect("secret");
    let book = dir.path().join("book.yml");
    std::fs::write(
        &book,
        format!(
            "inventory: {inventory_name}\nplays:\n  - name: p\n    hosts: {play_hosts}\n    vars:\n      \
             server_version: mariadb-10.11\n      replication_password: {{ file: secret }}\n"
        ),
    )
    .expect("playbook");
    (dir, book)
}

#[test]
fn play_hosts_keep_inventory_order_so_offsets_and_the_seed_source_are_what_was_written() {
    let (_dir, book) = book_over(
        "hosts.ini",
        "[pair]\ndb-99 server_id=1\ndb-100 server_id=2\n",
        "pair",
    );
    let p = load::load(&book, &LoadOptions::default()).expect("loads");
    assert_eq!(p.plays[0].hosts, ["db-99", "db-100"], "not sorted by name");
    assert_eq!(p.plays[0].seed_source(), Some("db-99"));
    assert_eq!(p.auto_increment_offset(&p.plays[0], "db-100"), 2);
}

#[test]
fn a_port_out_of_range_is_refused_at_its_line() {
    let (_dir, book) = book_over(
        "hosts.ini",
        "[pair]\ndb1 ansible_port=70000 server_id=1\n",
        "pair",
    );
    let err = load::load(&book, &LoadOptions::default()).expect_err("refused");
    let report = format!("{:?}", miette::Report::new(err));
    assert!(
        report.contains("expected a port number (1 to 65535)"),
        "{report}"
    );
    assert!(report.contains("70000"), "points at the value: {report}");
}

#[test]
fn a_play_over_an_empty_group_is_known_and_a_group_loop_is_refused() {
    let (_dir, book) = book_over(
        "hosts.ini",
        "[pair]\ndb1 server_id=1\n\n[spare]\n",
        "pair:spare",
    );
    let p = load::load(&book, &LoadOptions::default()).expect("an empty group is not unknown");
    assert_eq!(p.plays[0].hosts, ["db1"]);
    let (_dir, book) = book_over(
        "hosts.ini",
        "[a:children]\nb\n\n[b:children]\na\n\n[a]\ndb1 server_id=1\n",
        "a",
    );
    let err = load::load(&book, &LoadOptions::default()).expect_err("a loop is refused");
    let report = format!("{:?}", miette::Report::new(err));
    assert!(report.contains("creates a loop"), "{report}");
}

#[test]
fn an_inventory_without_an_extension_is_read_by_its_content() {
    let (_dir, book) = book_over(
        "inventory",
        "pair:\n  hosts:\n    db1:\n      server_id: 1\n    db2:\n      server_id: 2\n",
        "pair",
    );
    let p = load::load(&book, &LoadOptions::default()).expect("YAML without an extension");
    assert_eq!(p.plays[0].hosts, ["db1", "db2"]);
    let (_dir, book) = book_over(
        "inventory",
        "[pair]\ndb1 server_id=1\ndb2:2201 server_id=2\n",
        "pair",
    );
    let p = load::load(&book, &LoadOptions::default()).expect("INI without an extension");
    assert_eq!(p.hosts["db2"].port, 2201, "host:port");
}

/// A pair whose replication password is a vaulted variable in `group_vars/pair.yml`, as teams keep it.
fn vaulted_pair() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("hosts.yml"),
        "pair:\n  hosts:\n    db1: {server_id: 1}\n    db2: {server_id: 2}\n",
    )
    .expect("inventory");
    std::fs::create_dir(dir.path().join("group_vars")).expect("group_vars");
    std::fs::write(
        dir.path().join("group_vars/pair.yml"),
        format!("mysql_replication_password: {VAULTED}\n"),
    )
    .expect("vars");
    std::fs::write(dir.path().join("right"), "vaultpw\n").expect("password");
    std::fs::write(dir.path().join("wrong"), "not-it\n").expect("password");
    let book = dir.path().join("book.yml");
    std::fs::write(
        &book,
        "inventory: hosts.yml\nplays:\n  - name: p\n    hosts: pair\n    vars:\n      server_version: mariadb-10.11\n      \
         replication_password: { var: mysql_replication_password }\n",
    )
    .expect("playbook");
    (dir, book)
}

#[test]
fn a_vaulted_replication_password_in_group_vars_is_opened_with_the_vault_password() {
    use secrecy::ExposeSecret;
    let (dir, book) = vaulted_pair();
    let options = LoadOptions {
        vault_password_file: Some(dir.path().join("right")),
        ..Default::default()
    };
    let p = load::load(&book, &options).expect("opens");
    assert_eq!(
        p.inventory_secrets
            .get("p")
            .map(|s| s.expose_secret().to_string()),
        Some("r3pl-s3cret".to_string())
    );
}

#[test]
fn a_wrong_or_missing_vault_password_is_a_clear_error_that_shows_no_secret() {
    let (dir, book) = vaulted_pair();
    let book = book.to_str().expect("utf-8");
    let wrong = dir.path().join("wrong");
    let out = support::mmprov(
        &[
            "validate",
            book,
            "--vault-password-file",
            wrong.to_str().expect("utf-8"),
        ],
        &[],
    );
    let said = format!(
        "{}{}",
        support::text(&out.stdout),
        support::text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the vault password does not open it"),
        "{said}"
    );
    support::assert_no_secret("validate's output", &said, "r3pl-s3cret");

    let out = support::mmprov(&["validate", book], &[("ANSIBLE_VAULT_PASSWORD_FILE", "")]);
    let said = support::text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(said.contains("no vault password was given"), "{said}");

    let right = dir.path().join("right");
    let out = support::mmprov(
        &["validate", book],
        &[(
            "ANSIBLE_VAULT_PASSWORD_FILE",
            right.to_str().expect("utf-8"),
        )],
    );
    let said = format!(
        "{}{}",
        support::text(&out.stdout),
        support::text(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "ANSIBLE_VAULT_PASSWORD_FILE is read: {said}"
    );
    support::assert_no_secret("validate's output", &said, "r3pl-s3cret");
}

#[test]
fn a_replication_password_that_differs_between_hosts_is_refused_without_showing_it() {
    let (dir, book) = vaulted_pair();
    std::fs::create_dir(dir.path().join("host_vars")).expect("host_vars");
    std::fs::write(
        dir.path().join("host_vars/db2.yml"),
        "mysql_replication_password: plain-other\n",
    )
    .expect("host vars");
    let options = LoadOptions {
        vault_password_file: Some(dir.path().join("right")),
        ..Default::default()
    };
    let err = load::load(&book, &options).expect_err("refused");
    let report = format!("{:?}", miette::Report::new(err));
    assert!(report.contains("differs between the hosts"), "{report}");
    support::assert_no_secret("the report", &report, "r3pl-s3cret");
    support::assert_no_secret("the report", &report, "plain-other");
}

#[test]
fn what_ansible_skips_with_a_warning_mmprov_skips_with_a_warning() {
    let (_dir, book) = book_over(
        "hosts.yml",
        "pair:\n  hosts:\n    db1: {server_id: 1}\n  hostz:\n    typo: \nlisted:\n  - a\n",
        "pair",
    );
    let out = support::mmprov(&["validate", book.to_str().expect("utf-8")], &[]);
    let stderr = support::text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("hosts.yml:4: skipping the key `hostz` of group `pair`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hosts.yml:7: skipping `listed`: it is a list"),
        "{stderr}"
    );
}

/// A vault password script runs with the environment it may need, never with the playbook's secrets.
#[test]
fn a_vault_password_script_never_sees_the_playbooks_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("hosts.yml"),
        "pair:\n  hosts:\n    db1:\n      server_id: 1\n",
    )
    .expect("inventory");
    std::fs::create_dir(dir.path().join("host_vars")).expect("host_vars");
    std::fs::write(
        dir.path().join("host_vars/db1.yml"),
        format!("ansible_user: {VAULTED}\n"),
    )
    .expect("host vars");
    let seen = dir.path().join("seen-env");
    let script = dir.path().join("vault-pass.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nenv > '{}'\necho vaultpw\n", seen.display()),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("chmod");
    let book = dir.path().join("book.yml");
    std::fs::write(
        &book,
        "inventory: hosts.yml\nplays:\n  - name: p\n    hosts: pair\n    vars:\n      server_version: mariadb-10.11\n      \
         replication_password: { env: MMPROV_REPL_PASSWORD }\n",
    )
    .expect("playbook");
    let out = support::mmprov(
        &[
            "validate",
            book.to_str().expect("utf-8"),
            "--vault-password-file",
            script.to_str().expect("utf-8"),
        ],
        &[
            ("MMPROV_REPL_PASSWORD", "repl-secret-in-env"),
            ("MMPROV_T_MARK", "visible"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out.stderr));
    let env = std::fs::read_to_string(&seen).expect("the script ran");
    assert!(
        env.contains("MMPROV_T_MARK=visible"),
        "the script keeps its environment"
    );
    support::assert_no_secret("the script's environment", &env, "repl-secret-in-env");
}

/// Ansible's become variables over the playbook's `become:`, host by host.
#[test]
fn become_comes_from_the_inventory_over_the_playbooks_default() {
    let (dir, book) = book_over(
        "hosts.ini",
        "[pair]\ndb1 server_id=1\ndb2 server_id=2 ansible_become=no\n\
         db3 server_id=3 ansible_become_user=mysql ansible_become_pass=h0st-pw-91\n",
        "pair",
    );
    let text = std::fs::read_to_string(&book).expect("playbook");
    std::fs::write(
        &book,
        format!("become:\n  password: {{ file: become-secret }}\n{text}"),
    )
    .expect("playbook");
    std::fs::write(dir.path().join("become-secret"), "b00k-pw-37\n").expect("secret");
    let project = load::load(&book, &LoadOptions::default()).expect("loads");
    let run_as = |h: &str| project.hosts[h].run_as.clone();
    use secrecy::ExposeSecret;
    let db1 = run_as("db1").expect("the playbook's become");
    assert_eq!(db1.user, "root");
    assert_eq!(
        db1.password.map(|p| p.expose_secret().to_string()),
        Some("b00k-pw-37".into())
    );
    assert!(run_as("db2").is_none(), "ansible_become=no wins");
    let db3 = run_as("db3").expect("becomes");
    assert_eq!(db3.user, "mysql");
    assert_eq!(
        db3.password.map(|p| p.expose_secret().to_string()),
        Some("h0st-pw-91".into())
    );
    let out = support::mmprov(&["render", book.to_str().expect("utf-8")], &[]);
    let shown = format!(
        "{}{}",
        support::text(&out.stdout),
        support::text(&out.stderr)
    );
    support::assert_no_secret("render", &shown, "h0st-pw-91");
    support::assert_no_secret("render", &shown, "b00k-pw-37");
}

#[test]
fn a_become_method_other_than_sudo_or_a_become_flag_that_is_no_boolean_is_refused_at_its_line() {
    for (vars, says) in [
        (
            "ansible_become=true ansible_become_method=su",
            "become method `su` is not supported",
        ),
        ("ansible_become=perhaps", "ansible_become is not a boolean"),
    ] {
        let (_dir, book) = book_over(
            "hosts.ini",
            &format!("[pair]\ndb1 server_id=1 {vars}\n"),
            "pair",
        );
        let err = load::load(&book, &LoadOptions::default()).expect_err("refused");
        let report = format!("{:?}", miette::Report::new(err));
        assert!(report.contains(says), "{report}");
        assert!(
            report.contains("hosts.ini:2"),
            "points at its line: {report}"
        );
    }
}

#[test]
fn a_host_grouped_further_down_leaves_ungrouped_and_its_vars() {
    let (_dir, book) = book_over(
        "hosts.ini",
        "db1 server_id=1\ndb2 server_id=2\narbiter server_id=9\n\n[ungrouped:vars]\nansible_user=ops\n\n\
         [pair]\ndb1\ndb2\n",
        "ungrouped",
    );
    let p = load::load(&book, &LoadOptions::default()).expect("loads");
    assert_eq!(
        p.plays[0].hosts,
        ["arbiter"],
        "as Ansible: a play on ungrouped"
    );
    assert_eq!(p.hosts["arbiter"].user, "ops");
    assert_ne!(
        p.hosts["db1"].user, "ops",
        "[ungrouped:vars] no longer reach a grouped host"
    );
    assert_eq!(p.groups["ungrouped"], ["arbiter"]);
}

#[test]
fn a_host_named_again_with_another_port_keeps_the_port_it_was_created_with() {
    let (_dir, book) = book_over(
        "hosts.ini",
        "[db]\ndb1:2201 server_id=1\ndb2 ansible_port=2300 server_id=2\n\n[again]\ndb1:2299\ndb2:2399\n",
        "db",
    );
    let p = load::load(&book, &LoadOptions::default()).expect("loads");
    assert_eq!(
        p.hosts["db1"].port, 2201,
        "as Ansible: the first pattern's port"
    );
    assert_eq!(p.hosts["db2"].port, 2300, "ansible_port is kept too");
}

#[test]
fn inventory_plays_shows_each_plays_hosts_identities_and_routes_as_mmprov_resolved_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("hosts.ini"),
        "[pair]\ndb-b server_id=2 ansible_host=10.0.0.2\ndb-a:2201 server_id=1 ansible_user=deploy \
         ansible_become=true ansible_ssh_common_args='-o ProxyJump=ops@bastion:2200'\n",
    )
    .expect("inventory");
    std::fs::write(dir.path().join("secret"), "pw\n").expect("secret");
    let book = dir.path().join("book.yml");
    std::fs::write(
        &book,
        "inventory: hosts.ini\nssh:\n  config: none\nplays:\n  - name: p\n    hosts: pair\n    vars:\n      \
         server_version: mariadb-10.11\n      replication_password: { file: secret }\n      \
         read_only_hosts: [db-a]\n",
    )
    .expect("playbook");
    let book = book.display().to_string();
    let out = support::mmprov(&["inventory", &book, "--plays"], &[("USER", "me")]);
    let text = support::text(&out.stdout);
    assert!(out.status.success(), "{text}{}", support::text(&out.stderr));
    assert_eq!(
        text,
        "play `p` (server, replication) on `pair`: 2 hosts, auto_increment_increment 2\n\
         \x20 host              server_id  offset  replicates from  route\n\
         \x20 db-b              2          1       db-a             me@10.0.0.2:22\n\
         \x20 db-a (read-only)  1          2       db-b             deploy@db-a:2201 via ops@bastion:2200, become root\n"
    );
    let out = support::mmprov(&["inventory", &book, "--plays", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(
        doc["plays"][0]["hosts"][1]["route"]["jump"][0],
        "ops@bastion:2200"
    );
    assert_eq!(doc["plays"][0]["hosts"][1]["offset"], 2);
}
