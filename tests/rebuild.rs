//! `mmprov rebuild` on the lab's real hosts: a replica broken by a forced desync (a row of its own, then the
//! same key from its source: error 1062) is rebuilt from its source, logically and physically. Afterwards it
//! replicates both ways again, its tables checksum equal to its source's, `status` is clean and a plan is
//! `No changes.`.

mod support;

use support::lab::Lab;
use support::{path, serial};

const PASSWORD: &str = "rebuild-pw";

support::run_with!(PASSWORD);

/// A replicating pair h1/h2 with `shop` seeded from h1, then h2 broken by a duplicate key: the playbook.
fn broken_pair(lab: &Lab, dir: &std::path::Path, seed_method: &str) -> std::path::PathBuf {
    lab.pair_with_shop(5000);
    let book = support::replicating_pair_with(
        dir,
        &lab.inventory_yaml(),
        "",
        &format!("seed_method: {seed_method}"),
    );
    let (code, out, err) = run(&["apply", "--yes", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "5000"),
        "5000"
    );
    // A row of h2's own, unlogged; then the same key from h1: h2's replica stops on 1062.
    lab.sql(
        "h2",
        "SET sql_log_bin = 0; INSERT INTO shop.orders VALUES (100001, 'stray', 'h2')",
    );
    lab.sql(
        "h1",
        "INSERT INTO shop.orders VALUES (100001, 'real', 'h1')",
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let stopped = loop {
        let sql_thread = lab.replica_field("h2", "Slave_SQL_Running");
        if sql_thread == "No" || std::time::Instant::now() > deadline {
            break if sql_thread == "No" {
                "stopped"
            } else {
                "running"
            };
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(
        stopped, "stopped",
        "h2's replica stopped on the duplicate key"
    );
    let (code, out, err) = run(&["status", path(&book)]);
    assert_ne!(code, 0, "status sees the break: {out}{err}");
    assert!(out.contains("1062"), "{out}");
    book
}

fn rebuilt(lab: &Lab, book: &std::path::Path, expect: &str) {
    let (code, out, err) = run(&[
        "rebuild",
        path(book),
        "--host",
        "h2",
        "--from",
        "h1",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(expect), "{out}");
    assert!(
        out.contains("Rebuild complete: h2 replicates again."),
        "{out}"
    );
    assert_eq!(
        lab.sql("h2", "SELECT item FROM shop.orders WHERE id = 100001"),
        "real",
        "h2 holds its source's row, not its own"
    );
    lab.sql(
        "h1",
        "INSERT INTO shop.orders (item, node) VALUES ('after', 'h1')",
    );
    lab.sql(
        "h2",
        "INSERT INTO shop.orders (item, node) VALUES ('after', 'h2')",
    );
    assert_eq!(
        lab.wait_for("h1", "SELECT COUNT(*) FROM shop.orders", "5003"),
        "5003"
    );
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "5003"),
        "5003"
    );
    let checksum = |host: &str| lab.sql(host, "CHECKSUM TABLE shop.orders EXTENDED");
    assert_eq!(checksum("h1"), checksum("h2"), "identical tables");
    let (code, out, err) = run(&["status", path(book)]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["plan", path(book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No changes."), "{out}");
}

#[test]
fn a_replica_desynchronized_by_a_duplicate_key_is_rebuilt_from_a_dump() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = broken_pair(&lab, dir.path(), "auto");
    // Another node than its source is refused: the copy's coordinates must be in its source's binary log.
    let (code, out, err) = run(&[
        "rebuild",
        path(&book),
        "--host",
        "h2",
        "--from",
        "h2",
        "--yes",
    ]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("h2 replicates from h1 in this play, not from h2"),
        "{out}{err}"
    );
    rebuilt(&lab, &book, "because it is rebuilt");
}

#[test]
fn a_replica_desynchronized_by_a_duplicate_key_is_rebuilt_from_a_copy_of_files() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = broken_pair(&lab, dir.path(), "physical");
    if lab.is_mysql() {
        // The clone plugin replaces the files in place: nothing is set aside.
        rebuilt(&lab, &book, "a copy of the whole instance");
        assert!(out_of_clone_leaves_nothing_aside(&lab));
        return;
    }
    rebuilt(&lab, &book, "a physical copy of the whole instance");
    assert_eq!(
        lab.set_aside("h2").len(),
        2,
        "the first seed's and the rebuild's old files are kept aside"
    );
    lab.remove_set_aside("h2");
}

/// No old files are kept aside on h2 (a copy by the clone plugin).
fn out_of_clone_leaves_nothing_aside(lab: &Lab) -> bool {
    lab.set_aside("h2").is_empty()
}
