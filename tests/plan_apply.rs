//! `mmprov plan` and `mmprov apply` on the lab's real hosts: converge, idempotence, drift, live changes,
//! saved plans, rollback of a config mysqld refuses, and refusing to start when a host is unreachable.

mod support;

use support::lab::Lab;
use support::{path, run, serial, text};

/// Both lab servers fresh, then one apply of the pair playbook.
fn converged_pair(lab: &Lab, dir: &std::path::Path) -> std::path::PathBuf {
    lab.reset_server("h1");
    lab.reset_server("h2");
    let playbook = lab.pair_playbook(dir, "pair", "");
    let (code, stdout, stderr) = run(&["apply", path(&playbook), "--yes"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    playbook
}

#[test]
fn a_fresh_pair_converges_and_a_second_run_changes_and_restarts_nothing() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    lab.reset_server("h1");
    lab.reset_server("h2");
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = lab.pair_playbook(dir.path(), "pair", "");

    let (code, plan, stderr) = run(&["plan", path(&playbook), "--detailed-exitcode"]);
    assert_eq!(code, 2, "changes pending: {plan}{stderr}");
    assert!(
        plan.contains(&format!("+ config {config} (create)")),
        "{plan}"
    );
    // MariaDB as Debian ships it keeps no binary log; MySQL does, and listens on loopback only.
    let static_reason = if lab.is_mysql() {
        "because bind_address is 127.0.0.1, wants 0.0.0.0"
    } else {
        "because log_bin is OFF, wants ON"
    };
    assert!(plan.contains(static_reason), "{plan}");
    assert!(
        plan.ends_with("Plan: 2 to add, 0 to change, 0 to destroy; 2 restarts.\n"),
        "{plan}"
    );

    let (code, out, stderr) = run(&["apply", path(&playbook), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    assert!(
        out.contains("Apply complete: 2 added, 0 changed, 0 destroyed; 2 restarted."),
        "{out}"
    );

    for (host, id, offset) in [("h1", "1", "1"), ("h2", "2", "2")] {
        assert_eq!(
            lab.sql(
                host,
                "SELECT @@server_id, @@log_bin, @@auto_increment_increment, @@auto_increment_offset"
            ),
            format!("{id}\t1\t2\t{offset}")
        );
        assert_eq!(
            lab.sql(
                host,
                "SELECT @@bind_address, @@sync_binlog, @@innodb_flush_log_at_trx_commit"
            ),
            "0.0.0.0\t1\t1"
        );
    }

    let pids = (lab.mysqld_pid("h1"), lab.mysqld_pid("h2"));
    let (code, plan, stderr) = run(&["plan", path(&playbook), "--detailed-exitcode"]);
    assert_eq!(
        (code, plan.lines().last()),
        (0, Some("No changes. The hosts match the playbook.")),
        "{plan}{stderr}"
    );
    let (code, out, _) = run(&["apply", path(&playbook), "--yes"]);
    assert_eq!(code, 0);
    assert!(
        out.ends_with("No changes. The hosts match the playbook.\n"),
        "{out}"
    );
    assert_eq!(
        (lab.mysqld_pid("h1"), lab.mysqld_pid("h2")),
        pids,
        "a second apply restarts nothing"
    );
}

#[test]
fn a_hand_edit_shows_as_drift_and_apply_puts_the_file_back_with_a_backup() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = converged_pair(&lab, dir.path());
    let pid = lab.mysqld_pid("h1");

    lab.ssh("h1", &format!("echo 'max_connections = 999' >> {config}"));
    let (code, plan, _) = run(&["plan", path(&playbook), "--detailed-exitcode"]);
    assert_eq!(code, 2, "{plan}");
    assert!(
        plan.contains(&format!("~ config {config} (update)")),
        "{plan}"
    );
    assert!(
        plan.contains("      -max_connections = 999"),
        "the diff shows the hand edit: {plan}"
    );
    assert!(
        plan.contains("h2 (") && plan.contains("  no changes"),
        "{plan}"
    );

    let (code, out, stderr) = run(&["apply", path(&playbook), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    let on_host = text(&lab.ssh("h1", &format!("cat {config}")).stdout);
    assert!(!on_host.contains("max_connections"), "{on_host}");
    let backups = text(
        &lab.ssh("h1", &format!("cat {config}.mmprov-backup-*"))
            .stdout,
    );
    assert!(
        backups.contains("max_connections = 999"),
        "the edited file is kept as a backup"
    );
    assert_eq!(
        lab.mysqld_pid("h1"),
        pid,
        "a file-only change needs no restart"
    );
}

#[test]
fn a_dynamic_setting_changes_live_without_a_restart() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    converged_pair(&lab, dir.path());
    let pids = (lab.mysqld_pid("h1"), lab.mysqld_pid("h2"));

    let playbook = lab.pair_playbook(dir.path(), "pair", "");
    let text_now = std::fs::read_to_string(&playbook)
        .expect("read")
        .replace("100M", "200M");
    std::fs::write(&playbook, text_now).expect("write");
    let (code, plan, _) = run(&["plan", path(&playbook)]);
    assert_eq!(code, 0);
    assert!(
        plan.contains("~ sql: SET GLOBAL max_binlog_size = 209715200;   -- server has 104857600"),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 0 to add, 4 to change, 0 to destroy; 0 restarts."),
        "{plan}"
    );

    let (code, out, stderr) = run(&["apply", path(&playbook), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    assert_eq!(lab.sql("h1", "SELECT @@max_binlog_size"), "209715200");
    assert_eq!((lab.mysqld_pid("h1"), lab.mysqld_pid("h2")), pids);
}

#[test]
fn a_saved_plan_applies_only_while_the_hosts_are_unchanged() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    lab.reset_server("h1");
    lab.reset_server("h2");
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = lab.pair_playbook(dir.path(), "pair", "");
    let saved = dir.path().join("pair.plan");

    let (code, out, stderr) = run(&["plan", path(&playbook), "--out", path(&saved)]);
    assert_eq!(code, 0, "{out}{stderr}");
    lab.ssh("h2", &format!("echo '# someone was here' > {config}"));
    let (code, _, stderr) = run(&["apply", path(&saved), "--yes"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("the saved plan is stale: h2 changed since it was made"),
        "{stderr}"
    );
    assert!(!lab.file_exists("h1", config), "nothing was written on h1");

    let (code, out, stderr) = run(&[
        "plan",
        path(&playbook),
        "--out",
        path(&saved),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON plan");
    assert_eq!(json["summary"]["restarts"], 2);
    let (code, out, stderr) = run(&["apply", path(&saved), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    assert_eq!(lab.sql("h2", "SELECT @@server_id"), "2");
}

#[test]
fn a_config_mysqld_refuses_is_rolled_back_and_the_server_keeps_serving() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    let dir = tempfile::tempdir().expect("tempdir");
    converged_pair(&lab, dir.path());
    let before = text(&lab.ssh("h1", &format!("cat {config}")).stdout);

    let broken = lab.pair_playbook(dir.path(), "h1", "mysqld:\n  no_such_option: 1");
    let (code, out, stderr) = run(&["apply", path(&broken), "--yes"]);
    assert_eq!(code, 1, "{out}{stderr}");
    assert!(
        stderr.contains("h1: mysqld did not come back with the new config"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown variable 'no_such_option=1'"),
        "the server's own words: {stderr}"
    );
    assert_eq!(
        text(&lab.ssh("h1", &format!("cat {config}")).stdout),
        before,
        "previous config restored"
    );
    assert_eq!(
        lab.sql("h1", "SELECT @@server_id, @@log_bin"),
        "1\t1",
        "mysqld serves with the old config"
    );
}

#[test]
fn an_unreachable_host_stops_the_run_before_anything_changes() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    lab.reset_server("h1");
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = lab.inventory_with_ghost(dir.path());
    let playbook = lab.pair_playbook(dir.path(), "pair", "");
    let (code, _, stderr) = run(&["apply", path(&playbook), "-i", path(&inventory), "--yes"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("1 of 2 hosts could not be read; nothing was changed anywhere"),
        "{stderr}"
    );
    assert!(stderr.contains("ghost"), "{stderr}");
    assert!(!lab.file_exists("h1", config), "nothing was written on h1");
}

#[test]
fn apply_without_a_terminal_asks_for_yes_and_changes_nothing() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    lab.reset_server("h1");
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = lab.pair_playbook(dir.path(), "h1", "");
    let (code, out, stderr) = run(&["apply", path(&playbook)]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Plan: 1 to add"),
        "the plan is shown first: {out}"
    );
    assert!(stderr.contains("run again with --yes"), "{stderr}");
    assert!(!lab.file_exists("h1", config), "nothing was written on h1");
}

#[test]
fn a_custom_restart_command_from_the_inventory_is_used() {
    let _serial = serial();
    let lab = Lab::require(2);
    lab.reset_server("h1");
    lab.ssh("h1", "rm -f /tmp/custom-restart-used");
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = dir.path().join("hosts.yml");
    std::fs::write(
        &inventory,
        format!(
            "all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: {}\n    \
             ansible_ssh_common_args: -o UserKnownHostsFile={}\n  children:\n    mmlab:\n      hosts:\n        h1:\n          \
             ansible_host: {}\n          server_id: 1\n          mmprov_service_manager: custom\n          \
             mmprov_restart_command: touch /tmp/custom-restart-used && {}\n",
            lab.key().display(),
            lab.known_hosts().display(),
            lab.address("h1"),
            lab.restart_command()
        ),
    )
    .expect("write inventory");
    let playbook = lab.pair_playbook(dir.path(), "h1", "");
    let (code, plan, stderr) = run(&["plan", path(&playbook), "-i", path(&inventory)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        plan.contains(&format!(
            "~ restart mysqld: touch /tmp/custom-restart-used && {}",
            lab.restart_command()
        )),
        "{plan}"
    );
    let (code, out, stderr) = run(&["apply", path(&playbook), "-i", path(&inventory), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    assert_eq!(
        text(
            &lab.ssh("h1", "test -e /tmp/custom-restart-used && echo used")
                .stdout
        )
        .trim(),
        "used"
    );
    assert_eq!(lab.sql("h1", "SELECT @@log_bin"), "1");
}

#[test]
fn two_applies_never_interleave_and_the_lock_names_its_holder() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    lab.reset_server("h1");
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = lab.pair_playbook(dir.path(), "h1", "");

    // Someone else holds h1's lock (as mmprov does: flock held by a session reading its stdin).
    let mut holder = std::process::Command::new("ssh")
        .arg("-i")
        .arg(lab.key())
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", lab.known_hosts().display()))
        .arg(format!("root@{}", lab.address("h1")))
        .arg(
            "mkdir -p /run/lock; exec 9>>/run/lock/mmprov.lock; flock 9; \
             echo 'ops@elsewhere, pid 4242 since earlier' > /run/lock/mmprov.holder; echo held; cat >/dev/null",
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ssh runs");
    let mut first_line = String::new();
    let stdout = holder.stdout.take().expect("holder stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first_line)
        .expect("holder answers");
    assert_eq!(first_line, "held\n");
    let (code, _, stderr) = run(&["apply", path(&playbook), "--yes"]);
    drop(holder.stdin.take());
    let _ = holder.wait();
    assert_eq!(code, 1);
    assert!(
        stderr.contains(
            "h1 is locked by another mmprov apply: ops@elsewhere, pid 4242 since earlier"
        ),
        "{stderr}"
    );
    assert!(
        !lab.file_exists("h1", config),
        "nothing was written while another apply held the lock"
    );

    // Two real applies at once: one runs, the other is refused naming the first; neither leaves a lock.
    let exe = env!("CARGO_BIN_EXE_mmprov");
    let spawn = || {
        std::process::Command::new(exe)
            .args(["apply", path(&playbook), "--yes"])
            .env("NO_COLOR", "1")
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (
            a.join().expect("joins").expect("runs"),
            b.join().expect("joins").expect("runs"),
        )
    });
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(1)),
        "exactly one apply ran: {codes:?}"
    );
    let refused = if a.status.success() { &b } else { &a };
    assert!(
        text(&refused.stderr).contains("h1 is locked by another mmprov apply: "),
        "{}",
        text(&refused.stderr)
    );
    let (code, out, stderr) = run(&["apply", path(&playbook), "--yes"]);
    assert_eq!(code, 0, "the lock is free again: {out}{stderr}");
    assert!(!lab.file_exists("h1", "/run/lock/mmprov.holder"));
}
