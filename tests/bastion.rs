//! Database hosts behind a bastion, on the lab's real hosts: p1 and p2 sit on a network this machine cannot
//! reach (`lab/lab.sh behind 2`); h3 has a leg on both and is the bastion. A pair there converges through
//! ProxyJump (inventory or playbook) and through a ProxyCommand, re-plans to `No changes.` and verifies;
//! with the bastion's key missing from known_hosts nothing is contacted past it; an option written inside a
//! ProxyCommand never relaxes the checking of the target's key. The SQL backend does not change the route:
//! these run in one test round (`once_`). Every server family's lab has its own hosts behind its own bastion
//! (`MMPROV_LAB_DIR=... lab/lab.sh behind 2`); addresses and paths come from the lab.

mod support;

use std::path::{Path, PathBuf};

use support::lab::Lab;
use support::{path, serial};

/// The behind pair's inventory with `ssh_args` as `ansible_ssh_common_args`.
fn inventory(lab: &Lab, dir: &Path, ssh_args: &str) -> PathBuf {
    let file = dir.join("hosts.ini");
    std::fs::write(
        &file,
        format!(
            "[pair]\np1 ansible_host={} server_id=11\np2 ansible_host={} server_id=12\n\n[all:vars]\n\
             ansible_user=root\nansible_ssh_private_key_file={}\nansible_ssh_common_args='{ssh_args}'\n",
            lab.address("p1"),
            lab.address("p2"),
            lab.key().display(),
        ),
    )
    .expect("write inventory");
    file
}

fn mmprov(args: &[&str]) -> (i32, String) {
    let (code, out, err) = support::run_with_password(args, "bastion-repl-pw");
    (code, format!("{out}{err}"))
}

fn reset(lab: &Lab) {
    for host in ["p1", "p2"] {
        lab.reset_server(host);
    }
}

fn converges(lab: &Lab, book: &Path) {
    lab.sql("p1", "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY); INSERT INTO shop.t VALUES (1)");
    let (code, out) = mmprov(&["apply", path(book), "--yes", "-v"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "connected to root@{}:22 through",
            lab.address("p1")
        )),
        "{out}"
    );
    assert_eq!(
        lab.sql("p2", "SELECT COUNT(*) FROM shop.t"),
        "1",
        "seeded through the bastion"
    );
    lab.sql("p2", "INSERT INTO shop.t VALUES (2)");
    assert_eq!(lab.wait_for("p1", "SELECT COUNT(*) FROM shop.t", "2"), "2");
    let (code, out) = mmprov(&["plan", path(book)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No changes."), "{out}");
    let (code, out) = mmprov(&["verify", path(book)]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn once_a_pair_behind_a_bastion_converges_through_proxy_jump() {
    let _serial = serial();
    let lab = Lab::require_behind(2);
    reset(&lab);
    let dir = tempfile::tempdir().expect("tempdir");
    let args = format!(
        "-o UserKnownHostsFile={} -o ProxyJump=root@{}",
        lab.known_hosts().display(),
        lab.address("h3")
    );
    let book = support::replicating_pair(dir.path(), &inventory(&lab, dir.path(), &args), "");
    converges(&lab, &book);
}

#[test]
fn once_a_pair_behind_a_bastion_converges_through_the_playbooks_jump_and_through_a_proxy_command() {
    let _serial = serial();
    let lab = Lab::require_behind(2);
    reset(&lab);
    let dir = tempfile::tempdir().expect("tempdir");
    let known = format!("-o UserKnownHostsFile={}", lab.known_hosts().display());
    let top = format!("ssh:\n  jump: root@{}:22\n", lab.address("h3"));
    let book = support::replicating_pair(dir.path(), &inventory(&lab, dir.path(), &known), &top);
    converges(&lab, &book);

    reset(&lab);
    let proxy = format!(
        "{known} -o ProxyCommand=\"ssh -i {} {known} -o StrictHostKeyChecking=yes -o BatchMode=yes -W %h:%p root@{}\"",
        lab.key().display(),
        lab.address("h3")
    );
    let book = support::replicating_pair(dir.path(), &inventory(&lab, dir.path(), &proxy), "");
    converges(&lab, &book);
}

/// known_hosts with the lab's keys but those of the hosts named.
fn known_hosts_without(lab: &Lab, dir: &Path, without: &[&str]) -> PathBuf {
    let all = std::fs::read_to_string(lab.known_hosts()).expect("the lab's known_hosts");
    let addresses: Vec<String> = without
        .iter()
        .map(|h| format!("{} ", lab.address(h)))
        .collect();
    let kept: String = all
        .lines()
        .filter(|l| !addresses.iter().any(|a| l.starts_with(a.as_str())))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = dir.join("known_hosts");
    std::fs::write(&file, kept).expect("write known_hosts");
    file
}

#[test]
fn once_an_unknown_bastion_key_stops_everything_and_an_option_inside_a_proxy_command_never_relaxes_the_target()
 {
    let _serial = serial();
    let lab = Lab::require_behind(2);
    reset(&lab);
    let dir = tempfile::tempdir().expect("tempdir");

    // The bastion's key is not known: refused at the bastion, nothing past it contacted.
    let known = known_hosts_without(&lab, dir.path(), &["h3"]);
    let args = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=no -o ProxyJump=root@{}",
        known.display(),
        lab.address("h3")
    );
    let book = support::replicating_pair(dir.path(), &inventory(&lab, dir.path(), &args), "");
    let (code, out) = mmprov(&["apply", path(&book), "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!("(bastion {}): host key", lab.address("h3"))),
        "{out}"
    );
    assert!(out.contains("is not in"), "{out}");

    // The target's key is not known; the proxy command's own ssh is told not to check: the target still is.
    let known = known_hosts_without(&lab, dir.path(), &["p1", "p2"]);
    let proxy = format!(
        "-o UserKnownHostsFile={0} -o ProxyCommand=\"ssh -i {1} -o UserKnownHostsFile={2} -o StrictHostKeyChecking=no -o BatchMode=yes -W %h:%p root@{3}\"",
        known.display(),
        lab.key().display(),
        lab.known_hosts().display(),
        lab.address("h3")
    );
    let book = support::replicating_pair(dir.path(), &inventory(&lab, dir.path(), &proxy), "");
    let (code, out) = mmprov(&["apply", path(&book), "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("p1: host key") && out.contains("is not in"),
        "{out}"
    );
    for host in ["p1", "p2"] {
        assert!(
            !lab.file_exists(host, lab.config_path()),
            "{host}: nothing was written"
        );
    }
}

/// Hosts named only in the inventory, reached as the user's `~/.ssh/config` says: each host's HostName, a
/// `Host p*` block's User, IdentityFile, UserKnownHostsFile and ProxyJump, the bastion by its own alias.
#[test]
fn once_the_users_ssh_config_takes_hosts_through_their_bastion() {
    let _serial = serial();
    let lab = Lab::require_behind(2);
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(home.path().join(".ssh")).expect("~/.ssh");
    std::fs::write(
        home.path().join(".ssh/config"),
        format!(
            "Host p1\n  HostName {}\nHost p2\n  HostName {}\n\
             Match exec \"false\"\n  User nobody\n\
             Host p*\n  User root\n  IdentityFile {}\n  UserKnownHostsFile {}\n  ProxyJump gate\n\
             Host gate\n  HostName {}\n  User root\n  IdentityFile {}\n",
            lab.address("p1"),
            lab.address("p2"),
            lab.key().display(),
            lab.known_hosts().display(),
            lab.address("h3"),
            lab.key().display(),
        ),
    )
    .expect("write ssh config");
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = dir.path().join("hosts.ini");
    std::fs::write(&inventory, "[pair]\np1 server_id=11\np2 server_id=12\n").expect("inventory");
    let book = support::replicating_pair(dir.path(), &inventory, "");
    let home_dir = home.path().to_str().expect("utf-8");
    let out = support::mmprov(
        &["ping", path(&book), "-v"],
        &[("HOME", home_dir), ("MMPROV_REPL_PASSWORD", "x")],
    );
    let said = format!(
        "{}{}",
        support::text(&out.stdout),
        support::text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("Match"),
        "the Match block is said to be left out: {said}"
    );
    for (host, address) in [("p1", lab.address("p1")), ("p2", lab.address("p2"))] {
        assert!(
            said.contains(&format!(
                "{host}: connected to root@{address}:22 through {}:22",
                lab.address("h3")
            )),
            "{said}"
        );
        assert!(said.contains(&format!("hostname={host}")), "{said}");
    }
}
