//! Replication decided on the lab's real hosts, where what is tested is the planner's decision and not how SQL
//! travels (one round, under the protocol): seeding never overwrites a node holding data unless told; a seed
//! interrupted midway is redone; a ring of three converges and verifies; replication that differs after a
//! restart is shown again and not run unconfirmed; a vaulted password from group_vars sets up the pair. The
//! statements themselves are tested in `tests/replication.rs`.

mod support;

use support::lab::Lab;
use support::replication::{playbook, replicating_pair, run, shop_on};
use support::{VAULTED, path, serial, text};

#[test]
fn seeding_never_overwrites_a_node_holding_data_unless_told_and_never_changes_the_source() {
    let _serial = serial();
    let lab = Lab::require(2);
    lab.reset_server("h1");
    lab.reset_server("h2");
    shop_on(&lab, "h1");
    lab.sql("h2", "CREATE DATABASE crm; CREATE TABLE crm.people (id INT PRIMARY KEY); INSERT INTO crm.people VALUES (7)");
    let source_before = lab.sql("h1", "CHECKSUM TABLE shop.orders");
    let dir = tempfile::tempdir().expect("tempdir");

    let book = playbook(&lab, dir.path(), "pair", "");
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 1, "{out}{stderr}");
    assert!(
        stderr.contains("h2 holds application data and does not replicate yet"),
        "{stderr}"
    );
    assert!(stderr.contains("seed_overwrite: true"), "{stderr}");
    assert_eq!(
        lab.sql("h2", "SELECT id FROM crm.people"),
        "7",
        "h2's data is untouched"
    );
    assert_eq!(lab.sql("h2", "SHOW DATABASES LIKE 'shop'"), "");

    let book = playbook(&lab, dir.path(), "pair", "seed_overwrite: true");
    let (code, plan, _) = run(&["plan", path(&book)]);
    assert_eq!(code, 0);
    assert!(
        plan.contains("-/+ seed h2 from h1") && plan.contains("REPLACES the data on the target"),
        "{plan}"
    );
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    assert_eq!(lab.sql("h2", "SELECT COUNT(*) FROM shop.orders"), "2");
    assert_eq!(
        lab.sql("h1", "CHECKSUM TABLE shop.orders"),
        source_before,
        "the seed source is never changed"
    );
}

#[test]
fn a_ring_of_three_converges_and_verifies() {
    let _serial = serial();
    let lab = Lab::require(3);
    for h in ["h1", "h2", "h3"] {
        lab.reset_server(h);
    }
    shop_on(&lab, "h1");
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path(), "h1:h2:h3", "");
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    assert_eq!(
        lab.sql(
            "h3",
            "SELECT @@auto_increment_increment, @@auto_increment_offset, @@log_slave_updates"
        ),
        "3\t3\t1"
    );
    lab.sql(
        "h2",
        "INSERT INTO shop.orders (item, node) VALUES ('ring', 'h2')",
    );
    for h in ["h1", "h3"] {
        assert_eq!(
            lab.wait_for(
                h,
                "SELECT COUNT(*) FROM shop.orders WHERE item = 'ring'",
                "1"
            ),
            "1",
            "{h}"
        );
    }
    let (code, verified, stderr) = run(&["verify", path(&book)]);
    assert_eq!(code, 0, "{verified}{stderr}");
    assert_eq!(
        verified.matches("ok   ").count(),
        6,
        "every node's probe reached both others: {verified}"
    );
    let (code, again, _) = run(&["plan", path(&book), "--detailed-exitcode"]);
    assert_eq!(code, 0, "{again}");
    for h in ["h1", "h2", "h3"] {
        lab.reset_server(h);
    }
}

#[test]
fn a_seed_interrupted_midway_is_redone_by_the_next_apply() {
    let _serial = serial();
    let lab = Lab::require(2);
    lab.reset_server("h1");
    lab.reset_server("h2");
    shop_on(&lab, "h1");
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path(), "pair", "");

    // What a seed cut off halfway leaves: the marker, and part of the source's data.
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    lab.reset_server("h2");
    lab.sql(
        "h2",
        "SET sql_log_bin = 0; CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY)",
    );
    lab.ssh(
        "h2",
        "mkdir -p /var/lib/mmprov && date > /var/lib/mmprov/seed-incomplete",
    );

    let (code, plan, stderr) = run(&["plan", path(&book)]);
    assert_eq!(
        code, 0,
        "an interrupted seed is not refused: {plan}{stderr}"
    );
    assert!(
        plan.contains("-/+ seed h2 from h1") && plan.contains("redoes an interrupted seed"),
        "{plan}"
    );
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    assert_eq!(
        lab.sql(
            "h2",
            "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
        ),
        "a,b"
    );
    assert!(
        !lab.file_exists("h2", "/var/lib/mmprov/seed-incomplete"),
        "the marker goes with a complete seed"
    );
    let (code, again, _) = run(&["plan", path(&book), "--detailed-exitcode"]);
    assert_eq!(code, 0, "{again}");
}

/// A node down at plan time: its replication is guessed from what cannot be read (here, a seed it does not
/// need). Apply starts the node, reads it again, finds other steps than it showed (its replica connects as
/// another account), and stops there without running any of them; the next apply, shown the real steps,
/// converges. A node that comes back replicating by itself needs nothing, and apply ends there.
#[test]
fn replication_that_differs_after_a_restart_is_shown_again_and_not_run_unconfirmed() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = replicating_pair(&lab, dir.path());
    let user = |h: &str| lab.replica_field(h, "Master_User");
    lab.replicate_as("h2", "other");
    lab.stop_server("h2");

    let (code, plan, stderr) = run(&["plan", path(&book)]);
    assert_eq!(code, 0, "{plan}{stderr}");
    assert!(
        plan.contains("(decided again once h2 has restarted"),
        "the plan says what decides its replication: {plan}"
    );
    assert!(plan.contains("~ seed h2 from h1"), "{plan}");

    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(
        code, 1,
        "--yes confirmed only what was shown: {out}{stderr}"
    );
    assert!(
        out.contains("replication needs other steps than the plan showed"),
        "{out}"
    );
    assert!(
        out.contains(
            "~ h2: replicate from h1 as repl, password (sensitive); source and position kept"
        ),
        "the new steps are shown: {out}"
    );
    assert!(
        stderr.contains("the replication steps changed after the restarts"),
        "{stderr}"
    );
    assert!(!out.contains("seeding from h1"), "no seed ran: {out}");
    assert_eq!(user("h2"), "other", "nothing of replication ran");

    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "the next apply converges: {out}{stderr}");
    assert_eq!(user("h2"), "repl");

    // Down again, replicating as it should: planned blind, it needs nothing once it runs.
    lab.stop_server("h2");
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "it resumed by itself: {out}{stderr}");
    assert!(!out.contains("seeding from h1"), "no seed ran: {out}");
    let (code, out, stderr) = run(&["plan", path(&book), "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}{stderr}");
}

/// A team's vaulted `mysql_replication_password` in the playbook's group_vars works as it is: the pair
/// converges with it, the replication account takes it, and it reaches no output.
#[test]
fn once_a_vaulted_replication_password_from_group_vars_sets_up_the_pair() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    lab.reset_server("h1");
    lab.reset_server("h2");
    shop_on(&lab, "h1");
    std::fs::create_dir(dir.path().join("group_vars")).expect("group_vars");
    std::fs::write(
        dir.path().join("group_vars/pair.yml"),
        format!("mysql_replication_password: {VAULTED}\n"),
    )
    .expect("vars");
    let password_file = dir.path().join("vault-pass");
    std::fs::write(&password_file, "vaultpw\n").expect("vault password");
    let book = dir.path().join("vaulted.yml");
    std::fs::write(
        &book,
        format!(
            "inventory: {}\nplays:\n  - name: vaulted\n    hosts: pair\n    vars:\n      \
             replication_password: {{ var: mysql_replication_password }}\n",
            lab.inventory_yaml().display()
        ),
    )
    .expect("playbook");
    let out = support::mmprov(
        &[
            "apply",
            path(&book),
            "--yes",
            "--vault-password-file",
            path(&password_file),
        ],
        &[],
    );
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    support::assert_no_secret("apply's output", &said, "r3pl-s3cret");
    assert!(
        lab.logs_in("h2", "h1", "repl", "r3pl-s3cret"),
        "the account takes the vaulted password"
    );
    let count = lab.sql("h1", "SELECT COUNT(*) FROM shop.orders");
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", &count),
        count
    );
}
