//! Moving the writer of a live pair on whichever server the lab runs (`lab.sh up 2 --server ...`, with
//! `MMPROV_LAB_DIR` pointing at it; the machine's MariaDB 10.11 otherwise), judged by what the servers say:
//! - a pair declaring `writer: h1` converges with h2 passive;
//! - a failing `before_switchover` hook changes nothing;
//! - a new writer whose replica is stopped is refused before anything changes;
//! - declaring `writer: h2` plans a switchover and apply moves the writer: h2 takes writes, h1 refuses an
//!   application account's write, the rows written before the move are on both, the hooks were told the
//!   writers (and no secret), and the next plan changes nothing.
//! - the failover drill: the writer's server stopped under writes, `mmprov failover --to h2` opens h2 and
//!   records h1 as to rejoin; h1 comes back with a transaction of its own (errant), and the plan names it and
//!   refuses (and refuses a rebuild, which would keep it in h1's binary logs); with `--accept-errant` h1
//!   rejoins, h2 receives it, and the marker goes;
//! - a writer back with nothing of its own rejoins as a replica without being asked.

mod support;

use std::sync::{Mutex, MutexGuard};

use support::lab::Lab;

static SERIAL: Mutex<()> = Mutex::new(());

/// One lab pair: its tests run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

const PASSWORD: &str = "switch-pw";

fn run(args: &[&str]) -> (i32, String, String) {
    support::run_with_password(args, PASSWORD)
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The pair's playbook declaring `writer`, with these hooks (YAML lines under `hooks:`).
fn book(lab: &Lab, dir: &std::path::Path, writer: &str, hooks: &[&str]) -> std::path::PathBuf {
    let mut vars = format!("writer: {writer}\n");
    if !hooks.is_empty() {
        vars.push_str("hooks:\n");
        for hook in hooks {
            vars.push_str(&format!("  {hook}\n"));
        }
    }
    support::replicating_pair_with(dir, &lab.inventory_yaml(), "", &vars)
}

fn read_only(lab: &Lab, host: &str) -> String {
    lab.sql(host, "SELECT @@GLOBAL.read_only")
}

/// Whether the application account (no SUPER, no admin privilege) can write on `host`.
fn app_writes(lab: &Lab, host: &str) -> bool {
    let out = lab.ssh(
        host,
        &format!(
            "{} -h 127.0.0.1 -u app -papp-pw -NBe \"INSERT INTO shop.orders (item, node) VALUES ('app', '{host}')\"",
            lab.client()
        ),
    );
    out.status.success()
}

#[test]
fn the_declared_writer_moves_in_order_behind_its_gates_and_hooks() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    lab.pair_with_shop(100);
    let first = book(&lab, dir.path(), "h1", &[]);
    let (code, out, err) = run(&["apply", "--yes", path(&first)]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        (read_only(&lab, "h1"), read_only(&lab, "h2")),
        ("0".into(), "1".into())
    );
    lab.sql(
        "h1",
        "DROP USER IF EXISTS 'app'@'%'; CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw'; \
         GRANT SELECT, INSERT ON shop.* TO 'app'@'%'",
    );
    lab.wait_for(
        "h2",
        "SELECT COUNT(*) FROM mysql.user WHERE user = 'app'",
        "1",
    );
    assert!(
        app_writes(&lab, "h1") && !app_writes(&lab, "h2"),
        "h1 alone takes writes"
    );

    // A failing before_ hook: nothing changes.
    let refusing = book(
        &lab,
        dir.path(),
        "h2",
        &["before_switchover: \"echo not now >&2; exit 3\""],
    );
    let (code, out, err) = run(&["apply", "--yes", path(&refusing)]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("Nothing changed: h1 is still the writer"),
        "{out}{err}"
    );
    assert_eq!(
        (read_only(&lab, "h1"), read_only(&lab, "h2")),
        ("0".into(), "1".into())
    );

    // A new writer that does not apply what the old one writes is refused before anything changes.
    lab.sql("h2", "STOP REPLICA");
    let (code, out, err) = run(&["plan", path(&refusing)]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("the writer cannot move from h1 to h2"),
        "{out}{err}"
    );
    lab.sql("h2", "START REPLICA");
    lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "101");

    let env_file = dir.path().join("hook.env");
    let record = format!(
        "after_switchover: \"env > {} && echo moved > {}\"",
        env_file.display(),
        dir.path().join("writer").display()
    );
    let moving = book(
        &lab,
        dir.path(),
        "h2",
        &["before_switchover: \"true\"", &record],
    );
    let (code, plan, err) = run(&["plan", path(&moving)]);
    assert_eq!(code, 0, "{plan}{err}");
    assert!(
        plan.contains("switchover (play \"pair\"): the writer moves from h1"),
        "{plan}"
    );
    let (code, out, err) = run(&["apply", "--yes", path(&moving)]);
    assert_eq!(code, 0, "{out}{err}");
    let close = out
        .find("h1: SET GLOBAL read_only = ON")
        .expect("h1 closed");
    let open = out
        .find("h2: SET GLOBAL read_only = OFF")
        .expect("h2 opened");
    assert!(close < open, "h1 closed before h2 opened: {out}");
    assert_eq!(
        (read_only(&lab, "h1"), read_only(&lab, "h2")),
        ("1".into(), "0".into())
    );
    if lab.is_mysql() {
        assert_eq!(lab.sql("h1", "SELECT @@GLOBAL.super_read_only"), "1");
        assert_eq!(lab.sql("h2", "SELECT @@GLOBAL.super_read_only"), "0");
    }
    assert!(
        app_writes(&lab, "h2") && !app_writes(&lab, "h1"),
        "h2 alone takes writes"
    );
    lab.wait_for("h1", "SELECT COUNT(*) FROM shop.orders", "102");

    let env = std::fs::read_to_string(&env_file).expect("the hook ran");
    assert!(env.contains("MMPROV_OLD_WRITER=h1"), "{env}");
    assert!(env.contains("MMPROV_NEW_WRITER=h2"), "{env}");
    assert!(env.contains("MMPROV_PLAY=pair"), "{env}");
    assert!(
        env.contains(&format!("MMPROV_NEW_WRITER_ADDRESS={}", lab.address("h2"))),
        "{env}"
    );
    support::assert_no_secret("the hook's environment", &env, PASSWORD);

    let (code, plan, err) = run(&["plan", "--detailed-exitcode", path(&moving)]);
    assert_eq!(code, 0, "the moved pair plans nothing: {plan}{err}");
    let (code, status, err) = run(&["status", path(&moving)]);
    assert_eq!(code, 0, "{status}{err}");
    assert!(status.contains("[h2: writer, read_only OFF]"), "{status}");
    assert!(status.contains("[h1: passive, read_only ON]"), "{status}");
    let (_, json, _) = run(&["status", path(&moving), "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON status");
    let h1 = parsed
        .as_array()
        .and_then(|a| a.iter().find(|d| d["replica"] == "h1"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(h1["replica_role"]["declared"], "passive");
    assert_eq!(h1["replica_role"]["read_only"], true);
    assert_eq!(h1["replica_role"]["as_declared"], true);
    lab.sql("h2", "DROP USER 'app'@'%'");
}

#[test]
fn a_failover_opens_the_survivor_and_the_returning_writer_s_errant_transaction_is_named() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    // An earlier run that failed half way may have left h1's server stopped, or h2's marker.
    lab.ssh_ok("h1", &lab.service_command("start"));
    lab.ssh_ok("h2", "rm -f /var/lib/mmprov/rejoin");
    lab.pair_with_shop(100);
    let first = book(&lab, dir.path(), "h1", &[]);
    let (code, out, err) = run(&["apply", "--yes", path(&first)]);
    assert_eq!(code, 0, "{out}{err}");

    // Writes on h1 while its server is stopped under them.
    let writes = std::thread::spawn({
        let lab = Lab::require(2);
        move || {
            for i in 0..15 {
                let insert =
                    format!("INSERT INTO shop.orders (item, node) VALUES ('load-{i}', 'h1')");
                let _ = lab.ssh("h1", &format!("{} -NBe \"{insert}\"", lab.client()));
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    lab.stop_server("h1");
    writes.join().expect("the writer thread ends");

    let env_file = dir.path().join("failover.env");
    let hook = format!("after_failover: \"env > {}\"", env_file.display());
    let moved = book(&lab, dir.path(), "h1", &[&hook]);
    let (code, out, err) = run(&["failover", path(&moved), "--to", "h2", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Next:") && out.contains("set `writer: h2`"),
        "{out}"
    );
    assert_eq!(read_only(&lab, "h2"), "0");
    assert!(
        lab.file_exists("h2", "/var/lib/mmprov/rejoin"),
        "the rejoin marker"
    );
    let env = std::fs::read_to_string(&env_file).expect("after_failover ran");
    assert!(
        env.contains("MMPROV_NEW_WRITER=h2") && env.contains("MMPROV_OLD_WRITER=h1"),
        "{env}"
    );
    let rows = lab.sql("h2", "SELECT COUNT(*) FROM shop.orders");

    // h1 comes back, and commits a transaction h2 never receives.
    lab.ssh_ok("h1", &lab.service_command("start"));
    lab.wait_for("h1", "SELECT 1", "1");
    lab.sql(
        "h1",
        "SET GLOBAL read_only = OFF; INSERT INTO shop.orders (item, node) VALUES ('errant', 'h1')",
    );
    let named = if lab.is_mysql() {
        lab.sql("h1", "SELECT @@server_uuid")
    } else {
        format!(
            "{}-{}-",
            lab.sql("h1", "SELECT @@gtid_domain_id"),
            lab.sql("h1", "SELECT @@server_id")
        )
    };
    let after = book(&lab, dir.path(), "h2", &[]);
    let (code, out, err) = run(&["plan", path(&after)]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        err.contains("h1 came back holding 1 errant transaction(s) that h2 never received"),
        "{err}"
    );
    assert!(err.contains(&named), "the GTID is named ({named}): {err}");
    assert!(
        err.contains("binary log"),
        "where h1's binary logs hold it: {err}"
    );
    assert!(err.contains("--accept-errant"), "{err}");
    // A rebuild would keep h1's binary logs, from which h2 would fetch the errant transaction.
    let (code, out, err) = run(&["rebuild", path(&after), "--host", "h1", "--yes"]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("errant transaction(s)"), "{err}");

    let (code, out, err) = run(&["apply", "--yes", "--accept-errant", path(&after)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("rejoins WITH 1 errant transaction(s), accepted"),
        "{out}"
    );
    let with_errant = (rows.trim().parse::<u64>().expect("a count") + 1).to_string();
    lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", &with_errant);
    assert!(
        !lab.file_exists("h2", "/var/lib/mmprov/rejoin"),
        "the marker goes once h1 rejoined"
    );
    assert_eq!(
        (read_only(&lab, "h1"), read_only(&lab, "h2")),
        ("1".into(), "0".into())
    );
}

#[test]
fn a_writer_back_with_nothing_of_its_own_rejoins_as_a_replica() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    lab.ssh_ok("h1", &lab.service_command("start"));
    lab.ssh_ok("h2", "rm -f /var/lib/mmprov/rejoin");
    lab.pair_with_shop(100);
    let first = book(&lab, dir.path(), "h1", &[]);
    let (code, out, err) = run(&["apply", "--yes", path(&first)]);
    assert_eq!(code, 0, "{out}{err}");
    lab.sql(
        "h1",
        "INSERT INTO shop.orders (item, node) VALUES ('before', 'h1')",
    );
    lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "101");
    lab.stop_server("h1");

    let (code, out, err) = run(&["failover", path(&first), "--to", "h2", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    lab.sql(
        "h2",
        "INSERT INTO shop.orders (item, node) VALUES ('after', 'h2')",
    );
    lab.ssh_ok("h1", &lab.service_command("start"));
    lab.wait_for("h1", "SELECT 1", "1");

    let after = book(&lab, dir.path(), "h2", &[]);
    let (code, plan, err) = run(&["plan", path(&after)]);
    assert_eq!(code, 0, "{plan}{err}");
    assert!(plan.contains("h1 rejoins as a replica"), "{plan}");
    let (code, out, err) = run(&["apply", "--yes", path(&after)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok     h2 <- h1: healthy"), "{out}");
    assert!(
        !lab.file_exists("h2", "/var/lib/mmprov/rejoin"),
        "the marker goes"
    );
    assert_eq!(
        (read_only(&lab, "h1"), read_only(&lab, "h2")),
        ("1".into(), "0".into())
    );
    lab.wait_for("h1", "SELECT COUNT(*) FROM shop.orders", "102");
    let (code, plan, err) = run(&["plan", "--detailed-exitcode", path(&after)]);
    assert_eq!(code, 0, "nothing left to do: {plan}{err}");
}
