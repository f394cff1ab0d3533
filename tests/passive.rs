//! A passive node (`read_only_hosts`) on the lab's real hosts: application accounts cannot write there,
//! replication still applies what the active node writes, and moving the passive role to the other node is a
//! live change (no restart) that leaves the old passive node writable.

mod support;

use support::lab::Lab;
use support::text;

const APP_USER: &str = "CREATE USER IF NOT EXISTS 'app'@'localhost' IDENTIFIED BY 'app-pw'; \
                        GRANT ALL ON shop.* TO 'app'@'localhost'";

support::run_with!("passive-pw");

fn playbook(lab: &Lab, dir: &std::path::Path, passive: &str) -> std::path::PathBuf {
    let file = dir.join("passive.yml");
    std::fs::write(
        &file,
        format!(
            "inventory: {}\nplays:\n  - name: active-passive\n    hosts: pair\n    vars:\n      \
             replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n      read_only_hosts: [{passive}]\n",
            lab.inventory_yaml().display()
        ),
    )
    .expect("write playbook");
    file
}

/// An insert as the application account, over the host's socket: its exit code and stderr.
fn app_insert(lab: &Lab, host: &str, item: &str) -> (bool, String) {
    let out = lab.ssh(
        host,
        &format!(
            "{} -uapp -papp-pw -e \"INSERT INTO shop.orders (item) VALUES ('{item}')\"",
            lab.client()
        ),
    );
    (out.status.success(), text(&out.stderr))
}

#[test]
fn a_passive_node_refuses_application_writes_and_the_role_moves_without_a_restart() {
    let lab = Lab::require(2);
    lab.reset_server("h1");
    lab.reset_server("h2");
    lab.sql(
        "h1",
        &format!(
            "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(9)); \
             {APP_USER}"
        ),
    );
    lab.sql("h2", &format!("SET sql_log_bin = 0; {APP_USER}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path(), "h2");

    let (code, out, err) = run(&["apply", book.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(lab.sql("h1", "SELECT @@read_only"), "0");
    assert_eq!(lab.sql("h2", "SELECT @@read_only"), "1");

    let (ok, said) = app_insert(&lab, "h2", "refused");
    assert!(
        !ok && said.contains("1290"),
        "a passive node refuses the application: {said}"
    );
    let (ok, said) = app_insert(&lab, "h1", "kept");
    assert!(ok, "{said}");
    assert_eq!(
        lab.wait_for("h2", "SELECT GROUP_CONCAT(item) FROM shop.orders", "kept"),
        "kept",
        "replication still applies the active node's writes on the passive one"
    );

    // Fail over: h1 becomes the passive node. Live, both ways, no restart.
    let pids = (lab.mysqld_pid("h1"), lab.mysqld_pid("h2"));
    let book = playbook(&lab, dir.path(), "h1");
    let (code, plan, err) = run(&["plan", book.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    assert!(
        plan.contains("SET GLOBAL read_only = ON;   -- server has OFF"),
        "{plan}"
    );
    assert!(
        plan.contains("SET GLOBAL read_only = OFF;   -- server has ON"),
        "{plan}"
    );
    assert!(plan.contains("; 0 restarts."), "{plan}");
    let (code, out, err) = run(&["apply", book.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        (lab.mysqld_pid("h1"), lab.mysqld_pid("h2")),
        pids,
        "no restart"
    );
    let (ok, said) = app_insert(&lab, "h2", "now-ok");
    assert!(ok, "the old passive node takes writes again: {said}");
    let (ok, said) = app_insert(&lab, "h1", "refused");
    assert!(!ok && said.contains("1290"), "{said}");
    let (code, out, err) = run(&["plan", book.to_str().expect("utf-8"), "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}{err}");
}
