//! Replication on the lab's real hosts: one apply turns a fresh pair (data on h1 only) into a pair that
//! replicates both ways; seeding never overwrites data unless told; status explains a broken direction;
//! verify proves the pair; a ring of three converges; the password appears in no output and no plan file.

mod support;

use std::sync::{Mutex, MutexGuard};

use support::lab::Lab;
use support::{VAULTED, text};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Quotes of both kinds and a backslash: the password must survive SQL and shell quoting.
const PASSWORD: &str = r#"re'pl "pa\ss" 42"#;

fn run(args: &[&str]) -> (i32, String, String) {
    support::run_with_password(args, PASSWORD)
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn playbook(lab: &Lab, dir: &std::path::Path, hosts: &str, extra: &str) -> std::path::PathBuf {
    let file = dir.join("replicated.yml");
    let mut text = format!(
        "inventory: {}\nplays:\n  - name: replicated\n    hosts: {hosts}\n    roles: [server, replication]\n    vars:\n      \
         replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n",
        lab.inventory_yaml().display()
    );
    for line in extra.lines() {
        text.push_str(&format!("      {line}\n"));
    }
    std::fs::write(&file, text).expect("write playbook");
    file
}

fn shop_on(lab: &Lab, host: &str) {
    lab.sql(
        host,
        "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50), \
         node VARCHAR(10)); INSERT INTO shop.orders (item, node) VALUES ('a', 'seed'), ('b', 'seed')",
    );
}

/// h1 and h2 fresh, `shop` on h1, then one apply of the pair playbook: a seeded pair replicating both ways.
fn replicating_pair(lab: &Lab, dir: &std::path::Path) -> std::path::PathBuf {
    lab.reset_server("h1");
    lab.reset_server("h2");
    shop_on(lab, "h1");
    let book = playbook(lab, dir, "pair", "");
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    book
}

#[test]
fn one_apply_makes_a_fresh_pair_with_data_on_h1_replicate_both_ways() {
    let _serial = serial();
    let lab = Lab::require(2);
    lab.reset_server("h1");
    lab.reset_server("h2");
    shop_on(&lab, "h1");
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path(), "pair", "");
    let saved = dir.path().join("replicated.plan");

    let (code, plan, plan_err) = run(&["plan", path(&book), "--out", path(&saved)]);
    assert_eq!(code, 0, "{plan}{plan_err}");
    assert!(
        plan.contains("~ seed h2 from h1: 1 schema (shop), 1 tables"),
        "{plan}"
    );
    assert!(plan.contains("+ h2 replicates from h1"), "{plan}");
    let (code, applied, apply_err) = run(&["apply", path(&saved), "--yes"]);
    assert_eq!(code, 0, "{applied}{apply_err}");

    assert_eq!(
        lab.sql(
            "h2",
            "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
        ),
        "a,b",
        "h2 was seeded"
    );
    lab.sql(
        "h1",
        "INSERT INTO shop.orders (item, node) VALUES ('c', 'h1'), ('d', 'h1')",
    );
    lab.sql(
        "h2",
        "INSERT INTO shop.orders (item, node) VALUES ('e', 'h2'), ('f', 'h2')",
    );
    let all = "SELECT GROUP_CONCAT(CONCAT(id, item) ORDER BY id) FROM shop.orders";
    let on_h1 = lab.wait_for("h1", "SELECT COUNT(*) FROM shop.orders", "6");
    let on_h2 = lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "6");
    assert_eq!(
        (on_h1.as_str(), on_h2.as_str()),
        ("6", "6"),
        "rows written on each node reach the other"
    );
    assert_eq!(lab.sql("h1", all), lab.sql("h2", all));
    let parity = |node: &str| {
        lab.sql(
            "h1",
            &format!("SELECT GROUP_CONCAT(DISTINCT id % 2) FROM shop.orders WHERE node = '{node}'"),
        )
    };
    assert_eq!(
        (parity("h1"), parity("h2")),
        ("1".to_string(), "0".to_string()),
        "h1 hands out odd ids, h2 even ones"
    );

    let (code, again, _) = run(&["plan", path(&book), "--detailed-exitcode"]);
    assert_eq!(code, 0, "{again}");
    assert!(
        again.ends_with("No changes. The hosts match the playbook.\n"),
        "{again}"
    );
    let (code, status, status_err) = run(&["status", path(&book)]);
    assert_eq!(code, 0, "{status}{status_err}");
    assert!(status.contains("ok   h2 <- h1  IO Yes SQL Yes"), "{status}");
    let (code, verified, verify_err) = run(&["verify", path(&book), "--checksum"]);
    assert_eq!(code, 0, "{verified}{verify_err}");
    assert!(
        verified.contains("ok   checksum shop.orders agrees on 2 nodes"),
        "{verified}"
    );

    // Another account for the same sources: credentials change, positions stay (a reset would replay
    // rows already applied and stop on duplicate keys).
    let renamed = std::fs::read_to_string(&book)
        .expect("read")
        .replace("    vars:\n", "    vars:\n      replication_user: repl2\n");
    std::fs::write(&book, renamed).expect("write");
    let (code, changed, stderr) = run(&["plan", path(&book)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        changed.contains(
            "~ h1: replicate from h2 as repl2, password (sensitive); source and position kept"
        ),
        "{changed}"
    );
    assert!(
        !changed.contains("replicates from"),
        "no CHANGE MASTER to a new source: {changed}"
    );
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    lab.sql(
        "h1",
        "INSERT INTO shop.orders (item, node) VALUES ('g', 'h1')",
    );
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "7"),
        "7"
    );
    let (code, status, _) = run(&["status", path(&book)]);
    assert_eq!(code, 0, "{status}");
    assert_eq!(
        lab.sql("h2", "SELECT COUNT(*) FROM shop.orders"),
        "7",
        "nothing was replayed"
    );

    let plan_file = std::fs::read_to_string(&saved).expect("saved plan");
    for (what, output) in [
        ("plan", &plan),
        ("plan stderr", &plan_err),
        ("apply", &applied),
        ("apply stderr", &apply_err),
        ("status", &status),
        ("verify", &verified),
        ("saved plan", &plan_file),
    ] {
        support::assert_no_secret(what, output, PASSWORD);
    }
    let on_host = text(
        &lab.ssh(
            "h2",
            "grep -rl 'pa\\\\ss' /etc/mysql /var/log/mysql/error.log 2>/dev/null || true",
        )
        .stdout,
    );
    assert_eq!(
        on_host.trim(),
        "",
        "the password is in no config or log file"
    );
}

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
fn status_explains_a_duplicate_key_and_exits_non_zero() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = replicating_pair(&lab, dir.path());

    // A row written on h2 behind replication's back, then the same key written on h1: the classic 1062.
    lab.sql(
        "h2",
        "SET sql_log_bin = 0; INSERT INTO shop.orders (id, item, node) VALUES (101, 'x', 'hand')",
    );
    lab.sql(
        "h1",
        "INSERT INTO shop.orders (id, item, node) VALUES (101, 'y', 'h1')",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let (code, status, stderr) = loop {
        let result = run(&["status", path(&book)]);
        if result.0 != 0 || std::time::Instant::now() > deadline {
            break result;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(code, 1, "{status}");
    assert!(status.contains("FAIL h2 <- h1"), "{status}");
    assert!(status.contains("error 1062"), "{status}");
    assert!(
        status.contains("duplicate key: a row was written on both nodes"),
        "{status}"
    );
    assert!(
        stderr.contains("replication is broken: h2 <- h1"),
        "{stderr}"
    );
    let (code, json, _) = run(&["status", path(&book), "--format", "json"]);
    assert_eq!(code, 1);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON status");
    let broken = parsed
        .as_array()
        .and_then(|a| a.iter().find(|d| d["replica"] == "h2"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(broken["healthy"], false);
    assert_eq!(broken["status"]["last_sql_errno"], 1062);

    // Recovery is explicit: without a terminal, skip wants --yes and changes nothing.
    let (code, shown, stderr) = run(&["skip", path(&book), "--host", "h2", "--count", "1"]);
    assert_eq!(code, 1, "{shown}{stderr}");
    assert!(
        shown.contains(&format!(
            "h2: replication from {} stopped with error 1062",
            lab.address("h1")
        )),
        "{shown}"
    );
    assert!(stderr.contains("--yes"), "{stderr}");
    let (code, skipped, stderr) =
        run(&["skip", path(&book), "--host", "h2", "--count", "1", "--yes"]);
    assert_eq!(code, 0, "{skipped}{stderr}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let code = loop {
        let (code, _, _) = run(&["status", path(&book)]);
        if code == 0 || std::time::Instant::now() > deadline {
            break code;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(code, 0, "replication runs again after the skip");
    let log = text(&lab.ssh("h2", "cat /var/log/mysql/mmprov-skips.log").stdout);
    assert!(
        log.contains(&format!(
            "mmprov skip: 1 event(s) from {}",
            lab.address("h1")
        )) && log.contains("error 1062"),
        "{log}"
    );
    assert_eq!(
        lab.sql("h2", "SELECT item FROM shop.orders WHERE id = 101"),
        "x",
        "the skipped change is not applied"
    );
    let (code, _, stderr) = run(&["skip", path(&book), "--host", "h2", "--yes"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("h2: nothing to skip: its replication reports no error"),
        "{stderr}"
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

#[test]
fn a_rotated_replication_password_is_planned_and_applied_with_positions_kept() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = replicating_pair(&lab, dir.path());

    const ROTATED: &str = r#"ro'tated "pw" 2"#;
    let with_new = |args: &[&str]| support::run_with_password(args, ROTATED);
    let (code, plan, stderr) = with_new(&["plan", path(&book)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        plan.contains("(replication_password changed: password set to the new one)"),
        "{plan}"
    );
    assert!(
        plan.contains(
            "~ h2: replicate from h1 as repl, password (sensitive); source and position kept"
        ),
        "{plan}"
    );
    assert!(plan.contains("Plan: 0 to add, 4 to change"), "{plan}");
    assert!(
        !plan.contains(ROTATED) && !plan.contains("ro'tated"),
        "{plan}"
    );
    let (code, out, stderr) = with_new(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");

    lab.sql(
        "h1",
        "INSERT INTO shop.orders (item, node) VALUES ('after', 'h1')",
    );
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "3"),
        "3",
        "replicating with the new password, nothing replayed"
    );
    let login = |password: &str| lab.logs_in("h2", "h1", "repl", password);
    assert!(login(ROTATED), "the account takes the new password");
    assert!(!login(PASSWORD), "and no longer the old one");
    let (code, out, stderr) = with_new(&["plan", path(&book), "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}{stderr}");
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
