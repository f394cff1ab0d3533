//! What apply says is what the servers say, on the lab's real hosts:
//! - a replica stopped on its own error is never restarted into it, and apply ends naming it (exit non-zero);
//! - a replica stopped because its source's binary logs were replaced (1236) is repaired by GTID and then
//!   read as healthy;
//! - a replica started by apply that dies on its first event is caught by the verdict, though it said `Yes`.

mod support;

use support::lab::Lab;
use support::run_with_password as run;
use support::{path, serial};

const PASSWORD: &str = "truth-pw";

/// h1 and h2 replicating both ways with `shop` seeded from h1 (100 rows): the playbook.
fn converged_pair(lab: &Lab, dir: &std::path::Path) -> std::path::PathBuf {
    lab.pair_with_shop(100);
    let book = support::replicating_pair(dir, &lab.inventory_yaml(), "");
    let (code, out, err) = run(&["apply", "--yes", path(&book)], PASSWORD);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok     h2 <- h1: healthy"), "{out}");
    assert!(out.contains("ok     h1 <- h2: healthy"), "{out}");
    lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "100");
    book
}

/// Wait until `host`'s replica reports the error `errno` (in either thread), for at most 20 s; fails the test
/// otherwise.
fn wait_for_error(lab: &Lab, host: &str, errno: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let errors = lab.ssh_ok(
            host,
            &format!(
                "{} -E -e 'SHOW REPLICA STATUS' | awk '/Last_(IO|SQL)_Errno/ {{print $2}}'",
                lab.client()
            ),
        );
        if errors.lines().any(|e| e.trim() == errno) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{host}'s replica never reported error {errno}: {errors}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The reproduction: h2 stops on 1396 (an account created on both nodes); the password changes. The
/// plan sets the accounts again but leaves h2 as it is, naming the fix; apply exits non-zero naming 1396.
#[test]
fn a_replica_stopped_on_its_own_error_is_left_as_it_is_and_apply_says_so() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    for host in ["h1", "h2"] {
        lab.sql(host, "SET sql_log_bin = 0; DROP USER IF EXISTS 'dup'@'%'");
    }
    let book = converged_pair(&lab, dir.path());
    lab.sql(
        "h2",
        "SET sql_log_bin = 0; CREATE USER 'dup'@'%' IDENTIFIED BY 'x'",
    );
    lab.sql("h1", "CREATE USER 'dup'@'%' IDENTIFIED BY 'x'");
    wait_for_error(&lab, "h2", "1396");

    let (code, plan, err) = run(&["plan", "--detailed-exitcode", path(&book)], "truth-pw-2");
    assert_eq!(code, 2, "{plan}{err}");
    assert!(
        plan.contains("! h2 <- h1: BROKEN, left as it is: error 1396"),
        "{plan}"
    );
    assert!(plan.contains("`mmprov skip PLAYBOOK --host h2`"), "{plan}");
    assert!(
        !plan.contains("h2: replicate from h1 as repl"),
        "h2 gets no step that restarts it: {plan}"
    );

    let (code, out, err) = run(&["apply", "--yes", path(&book)], "truth-pw-2");
    assert_ne!(code, 0, "{out}{err}");
    assert!(out.contains("ok     h1 <- h2: healthy"), "{out}");
    assert!(out.contains("NOT OK h2 <- h1: broken: error 1396"), "{out}");
    assert!(!out.contains("Apply complete"), "{out}");
    assert!(
        err.contains("these directions do not replicate: h2 <- h1"),
        "{err}"
    );

    // Nothing in the plan says "no changes" over it.
    let (code, plan, _) = run(&["plan", path(&book)], "truth-pw-2");
    assert_eq!(code, 0);
    assert!(!plan.contains("No changes."), "{plan}");
    assert!(
        plan.contains("Nothing to change that would help: 1 replication direction broken"),
        "{plan}"
    );
    let (_, json, _) = run(&["plan", "--format", "json", path(&book)], "truth-pw-2");
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON plan");
    assert_eq!(json["broken"][0]["replica"], "h2");
    assert_eq!(json["broken"][0]["errno"], 1396);
    for host in ["h1", "h2"] {
        lab.sql(host, "SET sql_log_bin = 0; DROP USER IF EXISTS 'dup'@'%'");
    }
}

/// MariaDB: h2's binary logs replaced under h1's replica (its GTID state kept, as a physical restore keeps
/// it, by MariaDB's `gtid_binlog_state`): h1 stops on 1236. The plan repairs it by GTID; apply does, reads it healthy, and nothing is lost.
#[test]
fn mariadb_a_replica_stopped_by_its_sources_replaced_binary_logs_is_repaired_by_gtid() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = converged_pair(&lab, dir.path());
    lab.sql(
        "h2",
        "INSERT INTO shop.orders (item, node) VALUES ('a', 'h2'), ('b', 'h2'); FLUSH BINARY LOGS; \
         INSERT INTO shop.orders (item, node) VALUES ('c', 'h2')",
    );
    lab.wait_for("h1", "SELECT COUNT(*) FROM shop.orders", "103");
    lab.sql(
        "h2",
        "SET @state = @@GLOBAL.gtid_binlog_state; RESET MASTER; SET GLOBAL gtid_binlog_state = @state",
    );
    // The next write reaches h1's dump thread in logs that are gone.
    lab.sql(
        "h2",
        "INSERT INTO shop.orders (item, node) VALUES ('d', 'h2')",
    );
    wait_for_error(&lab, "h1", "1236");

    let (code, plan, err) = run(&["plan", path(&book)], PASSWORD);
    assert_eq!(code, 0, "{plan}{err}");
    assert!(
        plan.contains("~ h1: replicate from h2 again by GTID"),
        "{plan}"
    );
    assert!(plan.contains("it stopped on error 1236"), "{plan}");

    let (code, out, err) = run(&["apply", "--yes", path(&book)], PASSWORD);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok     h1 <- h2: healthy"), "{out}");
    assert!(out.contains("Apply complete"), "{out}");
    assert_eq!(
        lab.wait_for("h1", "SELECT COUNT(*) FROM shop.orders", "104"),
        "104"
    );
    let (code, plan, _) = run(&["plan", path(&book)], PASSWORD);
    assert_eq!(code, 0);
    assert!(plan.contains("No changes."), "{plan}");
}

/// h2's replica stopped with no error, and a row of its own in the way of h1's next one: apply starts it, it
/// says `Yes`, then meets 1062 on the first event. The verdict catches it; apply exits non-zero.
#[test]
fn a_replica_that_dies_right_after_apply_starts_it_is_caught_by_the_verdict() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = converged_pair(&lab, dir.path());
    lab.sql("h2", "STOP REPLICA");
    lab.sql(
        "h2",
        "SET sql_log_bin = 0; INSERT INTO shop.orders VALUES (900001, 'stray', 'h2')",
    );
    lab.sql(
        "h1",
        "INSERT INTO shop.orders VALUES (900001, 'real', 'h1')",
    );
    let (code, plan, _) = run(&["plan", path(&book)], PASSWORD);
    assert_eq!(code, 0);
    assert!(
        plan.contains("~ start replication on h2 (from h1)"),
        "{plan}"
    );

    let (code, out, err) = run(&["apply", "--yes", path(&book)], PASSWORD);
    assert_ne!(code, 0, "{out}{err}");
    assert!(out.contains("h2: starting replication from h1"), "{out}");
    assert!(out.contains("NOT OK h2 <- h1: broken: error 1062"), "{out}");
    assert!(out.contains("duplicate key"), "{out}");
    assert!(!out.contains("Apply complete"), "{out}");
}
