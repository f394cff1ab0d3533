//! A pair's whole life on whichever server the lab runs (`lab.sh up N --server mysql-9.7|mariadb-11.8`, with
//! `MMPROV_LAB_DIR` pointing at it; the machine's MariaDB 10.11 otherwise), judged by what the servers say:
//! - a fresh pair converges on a playbook that names no paths, and a second plan says `No changes.` (the
//!   config is where the server reads it last; replication TLS is as the server had it);
//! - a server killed with SIGKILL comes back by its supervisor, and replication resumes by itself with
//!   nothing lost;
//! - a replica broken by a duplicate key is rebuilt, by a dump and by a copy of the instance, and afterwards
//!   both directions replicate and the tables are equal.

mod support;

use support::lab::Lab;
use support::{path, serial};

const PASSWORD: &str = "family-pw";

support::run_with!(PASSWORD);

/// h1 and h2 fresh with `shop.orders` (1000 rows) on h1, then converged by one apply: the playbook.
fn converged(lab: &Lab, dir: &std::path::Path, vars: &str) -> std::path::PathBuf {
    lab.pair_with_shop(1000);
    let book = support::replicating_pair_with(dir, &lab.inventory_yaml(), "", vars);
    let (code, out, err) = run(&["apply", "--yes", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok     h2 <- h1: healthy"), "{out}");
    assert!(out.contains("ok     h1 <- h2: healthy"), "{out}");
    book
}

/// One row written on each node reaches the other: both hold `rows` rows and equal tables.
fn both_ways(lab: &Lab, rows: u32) {
    for host in ["h1", "h2"] {
        lab.sql(
            host,
            &format!("INSERT INTO shop.orders (item, node) VALUES ('both-ways', '{host}')"),
        );
    }
    let rows = rows.to_string();
    for host in ["h1", "h2"] {
        lab.wait_for(host, "SELECT COUNT(*) FROM shop.orders", &rows);
    }
    let checksum = |host: &str| lab.sql(host, "CHECKSUM TABLE shop.orders EXTENDED");
    assert_eq!(checksum("h1"), checksum("h2"), "equal tables");
}

fn no_changes(book: &std::path::Path) {
    let (code, plan, err) = run(&["plan", "--detailed-exitcode", path(book)]);
    assert_eq!(code, 0, "a converged pair plans nothing: {plan}{err}");
    assert!(plan.contains("No changes."), "{plan}");
}

#[test]
fn a_fresh_pair_converges_where_its_server_reads_the_config_and_a_second_plan_changes_nothing() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = converged(&lab, dir.path(), "");
    let over_tls = || run(&["status", path(&book)]).1.contains("  TLS");
    let tls_before = over_tls();
    both_ways(&lab, 1002);
    // mmprov's file decides: the server listens on every address, not the distribution's 127.0.0.1.
    for host in ["h1", "h2"] {
        assert_eq!(lab.sql(host, "SELECT @@bind_address"), "0.0.0.0", "{host}");
    }
    if lab.is_mysql() {
        assert!(lab.file_exists("h1", "/etc/mysql/mysql.conf.d/zz-mmprov.cnf"));
    }
    no_changes(&book);
    // Left to choose, SQL takes the server's protocol wherever the server listens (MariaDB 11.8 keeps its
    // socket in /run/mariadbd), not the host's client, a process per statement.
    let out = support::mmprov(
        &["plan", "-v", path(&book)],
        &[("MMPROV_SQL", "auto"), ("MMPROV_REPL_PASSWORD", PASSWORD)],
    );
    let said = support::text(&out.stderr);
    for host in ["h1", "h2"] {
        assert!(
            said.contains(&format!("{host}: SQL through the server's protocol")),
            "{said}"
        );
    }
    assert!(!said.contains("through the host's client"), "{said}");
    // Replication TLS is as the server had it: a second apply does not turn it off.
    let (code, out, err) = run(&["apply", "--yes", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(over_tls(), tls_before, "replication TLS as it was");
}

#[test]
fn a_server_killed_with_sigkill_comes_back_and_replication_resumes_with_nothing_lost() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = converged(&lab, dir.path(), "");
    let pid = lab.mysqld_pid("h2");
    lab.ssh_ok("h2", &format!("kill -9 {pid}"));
    // Its supervisor (systemd, or mysqld_safe) starts it again; by GTID its replica resumes by itself.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let answer = lab.ssh(
            "h2",
            &format!("cat \"$({} -NBe 'SELECT @@pid_file')\"", lab.client()),
        );
        let now = support::text(&answer.stdout).trim().to_string();
        if answer.status.success() && !now.is_empty() && now != pid {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "h2's server did not come back within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    both_ways(&lab, 1002);
    let (code, out, err) = run(&["status", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    no_changes(&book);
}

/// h2 stops on a duplicate key; `rebuild` replaces its data with `method`; both directions then replicate.
fn rebuilt(method: &str) {
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = converged(&lab, dir.path(), &format!("seed_method: {method}"));
    lab.sql(
        "h2",
        "SET sql_log_bin = 0; INSERT INTO shop.orders VALUES (100001, 'stray', 'h2')",
    );
    lab.sql(
        "h1",
        "INSERT INTO shop.orders VALUES (100001, 'real', 'h1')",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while run(&["status", path(&book)]).0 == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "h2 never stopped on the duplicate key"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (code, out, err) = run(&["rebuild", path(&book), "--host", "h2", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok     h2 <- h1: healthy"), "{out}");
    assert!(out.contains("ok     h1 <- h2: healthy"), "{out}");
    assert_eq!(
        lab.sql("h2", "SELECT item FROM shop.orders WHERE id = 100001"),
        "real"
    );
    both_ways(&lab, 1003);
    let (code, out, err) = run(&["status", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    no_changes(&book);
}

#[test]
fn a_broken_replica_is_rebuilt_from_a_dump_and_both_directions_replicate_after() {
    let _serial = serial();
    rebuilt("logical");
}

#[test]
fn a_broken_replica_is_rebuilt_from_a_copy_of_the_instance_and_both_directions_replicate_after() {
    let _serial = serial();
    rebuilt("physical");
}
