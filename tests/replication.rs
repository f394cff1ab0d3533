//! Replication on the lab's real hosts, the statements that carry it: one apply turns a fresh pair (data on h1
//! only) into a pair that replicates both ways, verify proves it and the password appears in no output and no
//! plan file; status explains a broken direction and skip moves past it; a rotated password is planned and
//! applied with positions kept. These run under each SQL backend (the client round carries them through the
//! host's client); what the planner decides around them is in `tests/replication_plans.rs`.

mod support;

use support::lab::Lab;
use support::replication::{PASSWORD, playbook, replicating_pair, run, shop_on};
use support::{path, serial, text};

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
        "{shown}{stderr}"
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
