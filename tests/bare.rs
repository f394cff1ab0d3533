//! Bare hosts on the lab, of the lab's server family: hosts with no server package at all (`lab/lab.sh
//! bare`), whose only package source is the lab's local one. One apply takes a pair of them from nothing to
//! replicating: the server installed, its data directory initialized where the play says, configured,
//! started, cleaned up as a fresh server is (no anonymous accounts, no test database), cross-replicated; a
//! second apply changes nothing. A host installed from a named, signed repository; an install that stops on
//! the wrong series is finished by the next apply; `install: never` touches nothing.

mod support;

use std::path::{Path, PathBuf};

use support::lab::{Lab, LabHost};
use support::{path, serial, text};

const REPLICATION_PASSWORD: &str = "bare-repl-pw";

fn mmprov(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut env = env.to_vec();
    env.push(("MMPROV_REPL_PASSWORD", REPLICATION_PASSWORD));
    let out = support::mmprov(args, &env);
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// An inventory of `hosts` in group `bare`, reached as root with the lab's key.
fn inventory(lab: &Lab, dir: &Path, hosts: &[LabHost]) -> PathBuf {
    let file = dir.join("hosts.ini");
    let mut text = String::from("[bare]\n");
    for (i, h) in hosts.iter().enumerate() {
        text.push_str(&format!(
            "{} ansible_host={} server_id={}\n",
            h.name,
            h.address,
            i + 1
        ));
    }
    text.push_str(&format!(
        "\n[all:vars]\nansible_user=root\nansible_ssh_private_key_file={}\n\
         ansible_ssh_common_args='-o UserKnownHostsFile={}'\n",
        lab.key().display(),
        lab.known_hosts().display()
    ));
    std::fs::write(&file, text).expect("write inventory");
    file
}

/// A playbook of one play over group `bare` with these `roles` and `vars` (YAML lines at the vars level).
fn playbook(dir: &Path, inventory: &Path, roles: &str, vars: &str) -> PathBuf {
    let file = dir.join("bare.yml");
    let mut text = format!(
        "inventory: {}\nplays:\n  - name: bare\n    hosts: bare\n    roles: [{roles}]\n    vars:\n",
        inventory.display()
    );
    for line in vars.lines() {
        text.push_str(&format!("      {line}\n"));
    }
    std::fs::write(&file, text).expect("write playbook");
    file
}

/// Whether the lab's server program is installed on `host`.
fn installed(lab: &Lab, host: &str) -> bool {
    let program = lab.server_program();
    match lab
        .ssh_ok(
            host,
            &format!("if command -v {program} >/dev/null; then echo yes; else echo no; fi"),
        )
        .as_str()
    {
        "yes" => true,
        "no" => false,
        other => panic!("{host}: asking for {program} answered {other:?}"),
    }
}

/// The packages mmprov installs for the lab's server family from Debian's sources.
fn server_packages(lab: &Lab) -> &'static str {
    if lab.is_mysql() {
        "mysql-server mysql-client"
    } else {
        "mariadb-server mariadb-client"
    }
}

/// A series of the lab's family that its package source does not carry: `server_version` as the play
/// writes it, and as mmprov names it.
fn series_not_carried(lab: &Lab) -> (&'static str, &'static str) {
    match lab.server().as_str() {
        "mysql-9.7" => ("mysql-8.4.5", "MySQL 8.4"),
        "mariadb-11.8" => ("mariadb-11.4.7", "MariaDB 11.4"),
        _ => ("mariadb-10.6.19", "MariaDB 10.6"),
    }
}

#[test]
fn a_bare_pair_goes_from_nothing_to_replicating_in_one_apply() {
    // One install at a time per suite: Debian's MySQL 9.7 postinst initializes its datadir with a SHUTDOWN in
    // its init file, which a loaded machine can turn into "System views initialization failed".
    let _serial = serial();
    let lab = Lab::require(1);
    let hosts = lab.fresh_bare(&["b1", "b2"]);
    for h in &hosts {
        assert!(
            !installed(&lab, &h.name),
            "{} starts with no server",
            h.name
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = inventory(&lab, dir.path(), &hosts);
    // The classic recipe's data directory: not the one the packages initialize, so mmprov initializes it.
    let book = playbook(
        dir.path(),
        &inventory,
        "server, replication",
        &format!(
            "server_version: {}\ndatadir: /var/lib/mysql/data\n\
             replication_password: {{ env: MMPROV_REPL_PASSWORD }}",
            lab.server()
        ),
    );
    let server = lab.server_title();

    let (code, out) = mmprov(&["plan", path(&book)], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("b1 ({server}, to be installed)")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "+ install {server}: {} (apt, from the host's own package sources)",
            server_packages(&lab)
        )),
        "{out}"
    );
    assert!(
        out.contains("~ first clean-up of the fresh server"),
        "{out}"
    );
    assert!(!installed(&lab, "b1"), "plan installs nothing");

    let (code, out) = mmprov(&["apply", "-y", path(&book)], &[]);
    assert_eq!(code, 0, "{out}");
    for h in ["b1", "b2"] {
        assert!(installed(&lab, h), "{h}: installed");
        assert_eq!(lab.sql(h, "SELECT @@datadir"), "/var/lib/mysql/data/");
        assert_eq!(
            lab.sql(h, "SELECT COUNT(*) FROM mysql.user WHERE User = ''"),
            "0",
            "{h}: no anonymous account"
        );
        assert_eq!(
            lab.sql(h, "SHOW DATABASES LIKE 'test'"),
            "",
            "{h}: no test database"
        );
        assert!(
            !lab.file_exists(h, "/var/lib/mmprov/install-unfinished"),
            "{h}: nothing owed"
        );
        assert!(
            !lab.file_exists(h, "/usr/sbin/policy-rc.d"),
            "{h}: services released"
        );
    }
    // Cross-replicating: a row written on either node reaches the other.
    lab.sql(
        "b1",
        "CREATE DATABASE bare_t; CREATE TABLE bare_t.t (id INT PRIMARY KEY, v TEXT)",
    );
    lab.sql("b1", "INSERT INTO bare_t.t VALUES (1, 'from b1')");
    lab.sql("b2", "INSERT INTO bare_t.t VALUES (2, 'from b2')");
    assert_eq!(
        lab.wait_for("b2", "SELECT COUNT(*) FROM bare_t.t", "2"),
        "2"
    );
    assert_eq!(
        lab.wait_for("b1", "SELECT COUNT(*) FROM bare_t.t", "2"),
        "2"
    );

    let pids: Vec<String> = ["b1", "b2"].iter().map(|h| lab.mysqld_pid(h)).collect();
    let (code, out) = mmprov(&["plan", path(&book)], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No changes."), "a second plan: {out}");
    let (code, out) = mmprov(&["apply", "-y", path(&book)], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No changes."), "a second apply: {out}");
    let after: Vec<String> = ["b1", "b2"].iter().map(|h| lab.mysqld_pid(h)).collect();
    assert_eq!(pids, after, "a second apply restarts nothing");
    let (code, out) = mmprov(&["verify", path(&book)], &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_bare_host_is_installed_from_a_named_signed_repository_even_after_a_wrong_start() {
    let _serial = serial();
    let lab = Lab::require(1);
    let hosts = lab.fresh_bare(&["b3"]);
    // The host's own source goes: only the repository the play names can bring the server.
    lab.ssh_ok(
        "b3",
        "rm /etc/apt/sources.list.d/mmlab.list /etc/apt/trusted.gpg.d/mmlab.asc && apt-get -q update >/dev/null",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(lab.package_key(), dir.path().join("lab-key.asc")).expect("copy the lab's key");
    let inventory = inventory(&lab, dir.path(), &hosts);
    let repository = "install:\n  repository:\n    name: lab\n    url: file:/srv/mmlab-debs\n    \
                      suite: ./\n    key: lab-key.asc";
    // SQL through the host's client, which a bare host does not have yet.
    let env = [("MMPROV_SQL", "client")];

    let never = playbook(
        dir.path(),
        &inventory,
        "server",
        &format!("server_version: {}\ninstall: never", lab.server()),
    );
    let (code, out) = mmprov(&["apply", "-y", path(&never)], &env);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("no server is installed, and the play says `install: never`"),
        "{out}"
    );
    assert!(!installed(&lab, "b3"), "refused: nothing installed");

    // The repository carries the lab's series, the play names another: installed, never started, and owed.
    let (version, named) = series_not_carried(&lab);
    let wrong = playbook(
        dir.path(),
        &inventory,
        "server",
        &format!("server_version: {version}\n{repository}"),
    );
    let (code, out) = mmprov(&["apply", "-y", path(&wrong)], &env);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(&format!("the play names {named}")), "{out}");
    assert!(lab.file_exists("b3", "/var/lib/mmprov/install-unfinished"));
    assert!(
        !lab.file_exists("b3", lab.config_path()),
        "no config written"
    );
    assert!(
        !lab.file_exists("b3", "/usr/sbin/policy-rc.d"),
        "services released after a failure"
    );

    let right = playbook(
        dir.path(),
        &inventory,
        "server",
        &format!("server_version: {}\n{repository}", lab.server()),
    );
    let (code, out) = mmprov(&["plan", path(&right)], &env);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "because mmprov's earlier install here stopped before the server first started"
        ),
        "{out}"
    );
    assert!(
        out.contains("+ /etc/apt/sources.list.d/mmprov-lab.sources"),
        "{out}"
    );
    let (code, out) = mmprov(&["apply", "-y", path(&right)], &env);
    assert_eq!(code, 0, "{out}");
    let entry = lab.ssh_ok("b3", "cat /etc/apt/sources.list.d/mmprov-lab.sources");
    assert!(
        entry.contains("Signed-By: /etc/apt/keyrings/mmprov-lab.asc"),
        "{entry}"
    );
    assert_eq!(
        lab.sql("b3", "SELECT COUNT(*) FROM mysql.user WHERE User = ''"),
        "0"
    );
    assert!(!lab.file_exists("b3", "/var/lib/mmprov/install-unfinished"));
    let (code, out) = mmprov(&["plan", path(&right)], &env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No changes."), "{out}");
}
