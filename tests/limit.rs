//! `--limit`, `-q` and `-v` on the lab's real hosts: a limited apply changes only the hosts the pattern
//! selects (and leaves replication to hosts outside it alone); a full run afterwards converges; `-q` prints
//! the result alone; `-vv` shows every remote command and SQL round trip, never the password.

mod support;

use support::lab::Lab;
use support::path;

const PASSWORD: &str = r#"li'mit "pa\ss" 7"#;

support::run_with!(PASSWORD);

#[test]
fn once_a_limited_apply_changes_only_the_selected_host_and_a_full_run_then_converges() {
    let lab = Lab::require(2);
    let config = lab.config_path();
    lab.reset_server("h1");
    lab.reset_server("h2");
    lab.sql(
        "h1",
        "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(9)); \
         INSERT INTO shop.orders (item) VALUES ('a')",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let book = dir.path().join("limited.yml");
    std::fs::write(
        &book,
        format!(
            "inventory: {}\nplays:\n  - name: limited\n    hosts: pair\n    vars:\n      \
             replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n",
            lab.inventory_yaml().display()
        ),
    )
    .expect("write playbook");
    let h2_pid = lab.mysqld_pid("h2");

    let saved = dir.path().join("h1.plan");
    let (code, plan, err) = run(&[
        "plan",
        path(&book),
        "--limit",
        "pair:!h2",
        "--out",
        path(&saved),
    ]);
    assert_eq!(code, 0, "{plan}{err}");
    assert!(
        plan.contains(&format!("+ config {config} (create)")),
        "{plan}"
    );
    assert!(
        !plan.contains("h2 (MariaDB"),
        "no section for h2 outside the limit: {plan}"
    );
    assert!(
        plan.contains("h2 replicating from h1 is not planned: h2 is outside --limit"),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 1 to add, 0 to change, 0 to destroy; 1 restart."),
        "{plan}"
    );

    // A saved plan is applied to the hosts it was made for, never under another limit.
    let (code, _, err) = run(&["apply", path(&saved), "--yes", "--limit", "h2"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("it was made with --limit pair:!h2"), "{err}");

    // The saved plan keeps its limit: applying it locks, reads and changes h1 alone.
    let (code, out, err) = run(&["apply", path(&saved), "--yes", "-q"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("@@ "), "-q shows no diff: {out}");
    assert!(
        out.ends_with("Apply complete: 1 added, 0 changed, 0 destroyed; 1 restarted.\n"),
        "{out}"
    );
    assert_eq!(lab.sql("h1", "SELECT @@log_bin"), "1");
    assert!(!lab.file_exists("h2", config), "h2 was not touched");
    assert_eq!(lab.mysqld_pid("h2"), h2_pid, "h2 was not restarted");
    assert_eq!(
        lab.replica_field("h2", "Master_Host"),
        "",
        "h2 replicates from nothing yet"
    );

    // The whole pair now, with every command and round trip shown: the password is never among them.
    let (code, out, err) = run(&["apply", path(&book), "--yes", "-vv"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("~ seed h2 from h1"), "{out}");
    assert!(err.contains("h2: $ "), "-vv shows remote commands: {err}");
    assert!(
        err.contains("h1: sql: reading the server version, reading global variables"),
        "{err}"
    );
    assert!(
        err.contains("h1: connected to root@"),
        "-v shows connections: {err}"
    );
    support::assert_no_secret("apply -vv stderr", &err, PASSWORD);
    support::assert_no_secret("apply -vv stdout", &out, PASSWORD);
    assert_eq!(
        lab.sql("h2", "SELECT COUNT(*) FROM shop.orders"),
        "1",
        "seeded"
    );

    let (code, out, err) = run(&["plan", path(&book), "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "No changes. The hosts match the playbook.\n");
    let (code, out, err) = run(&["status", path(&book), "-q"]);
    assert_eq!(
        (code, out.as_str()),
        (0, ""),
        "-q status of a healthy pair says nothing: {err}"
    );
}
