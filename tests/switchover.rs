//! Moving the writer of a live pair on whichever server the lab runs (`lab.sh up 2 --server ...`, with
//! `MMPROV_LAB_DIR` pointing at it; the machine's MariaDB 10.11 otherwise), judged by what the servers say:
//! - a pair declaring `writer: h1` converges with h2 passive;
//! - a failing `before_switchover` hook changes nothing;
//! - a new writer whose replica is stopped is refused before anything changes;
//! - declaring `writer: h2` plans a switchover and apply moves the writer: h2 takes writes, h1 refuses an
//!   application account's write, the rows written before the move are on both, the hooks were told the
//!   writers (and no secret), and the next plan changes nothing.

mod support;

use support::lab::Lab;

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
    lab.sql("h2", "DROP USER 'app'@'%'");
}
