//! A live pair on the lab's real hosts grows into a ring of three and shrinks back, with writers on its nodes
//! through both changes. Every row written is on every remaining node afterwards, no node ever stops on a
//! duplicate key, and each change re-plans to `No changes.`:
//! - growing: h3 is seeded from h1, replicates from h2 at the seed's GTID position, and h1 moves onto h3 with
//!   its position kept; the increment goes from 2 to 4 with every offset kept, and h3 joins held read-only
//!   until the session on h1 that still generates ids with increment 2 has ended;
//! - shrinking: h1 moves back onto h2 by GTID; the increment 4 is kept, so nothing about ids changes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use support::lab::Lab;
use support::{path, serial};

const PASSWORD: &str = "ring-pw";

support::run_with!(PASSWORD);

/// An apply whose waits (gates, catching up, a held node's sessions) give up after a minute: a wait that
/// cannot end fails the test with what it waited for, well within CI's time.
fn apply(book: &std::path::Path) -> (i32, String, String) {
    run(&["apply", "--yes", "--gate-timeout", "60", path(book)])
}

fn ring_playbook(lab: &Lab, dir: &std::path::Path, hosts: &str) -> std::path::PathBuf {
    ring_playbook_with(lab, dir, hosts, "")
}

/// [`ring_playbook`] with `vars` (one YAML line at the vars level).
fn ring_playbook_with(
    lab: &Lab,
    dir: &std::path::Path,
    hosts: &str,
    vars: &str,
) -> std::path::PathBuf {
    let file = dir.join(format!("{}.yml", hosts.replace(':', "-")));
    let text = format!(
        "inventory: {}\nplays:\n  - name: ring\n    hosts: {hosts}\n    roles: [server, replication]\n    vars:\n      \
         replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n      {vars}\n",
        lab.inventory_yaml().display()
    );
    std::fs::write(&file, text).expect("write playbook");
    file
}

/// Inserts one row at a time on `host`, each in a session of its own, until told to stop; the rows written.
fn writer(host: &'static str, stop: Arc<AtomicBool>) -> JoinHandle<u64> {
    std::thread::spawn(move || {
        let lab = Lab::require(3);
        let mut written = 0;
        while !stop.load(Ordering::Relaxed) {
            lab.sql(
                host,
                &format!("INSERT INTO shop.orders (item, node) VALUES ('live', '{host}')"),
            );
            written += 1;
        }
        written
    })
}

/// `rows` inserts on `host` in one long session that keeps the auto_increment values it connected with.
fn long_session(host: &'static str, rows: u32) -> JoinHandle<u64> {
    std::thread::spawn(move || {
        let lab = Lab::require(3);
        lab.ssh_ok(
            host,
            &format!(
                "for i in $(seq 1 {rows}); do echo \"INSERT INTO shop.orders (item, node) VALUES ('long', '{host}'); \
                 DO SLEEP(0.02);\"; done | {}",
                lab.client()
            ),
        );
        u64::from(rows)
    })
}

/// A client on `host` that does nothing for ten minutes, until it is killed.
fn idle_session(host: &'static str) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let lab = Lab::require(3);
        // Ends in an error when killed, which is how it is meant to end.
        let _ = lab.ssh(host, &format!("{} -e 'DO SLEEP(600)'", lab.client()));
    })
}

fn stop_all(stop: &AtomicBool, writers: Vec<JoinHandle<u64>>) -> u64 {
    stop.store(true, Ordering::Relaxed);
    writers
        .into_iter()
        .map(|w| w.join().expect("writer ran"))
        .sum()
}

/// Every node holds `rows` rows and the same checksum, and replicates without error.
fn same_everywhere(lab: &Lab, nodes: &[&str], rows: u64) {
    let expected = rows.to_string();
    for node in nodes {
        assert_eq!(
            lab.wait_for(node, "SELECT COUNT(*) FROM shop.orders", &expected),
            expected,
            "{node} holds every row"
        );
        let errors = format!(
            "{}/{}",
            replica_field(lab, node, "Last_SQL_Errno"),
            replica_field(lab, node, "Last_IO_Errno")
        );
        assert_eq!(errors, "0/0", "{node} replicates without error");
    }
    let checksum = |node: &str| lab.sql(node, "CHECKSUM TABLE shop.orders EXTENDED");
    let first = checksum(nodes[0]);
    for node in &nodes[1..] {
        assert_eq!(
            checksum(node).split('\t').nth(1),
            first.split('\t').nth(1),
            "{node} and {} hold the same rows",
            nodes[0]
        );
    }
}

/// A field of the node's replica status; the test fails when the node has none.
fn replica_field(lab: &Lab, node: &str, field: &str) -> String {
    let value = lab.replica_field(node, field);
    assert!(!value.is_empty(), "{node} reports no {field}");
    value
}

fn source_of(lab: &Lab, node: &str) -> String {
    replica_field(lab, node, "Master_Host")
}

#[test]
fn a_live_pair_grows_into_a_ring_of_three_and_back_without_losing_a_row_or_meeting_an_id() {
    let _serial = serial();
    let lab = Lab::require(3);
    lab.pair_with_shop(2000);
    lab.reset_server("h3");
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = ring_playbook(&lab, dir.path(), "h1:h2");
    let (code, out, err) = apply(&pair);
    assert_eq!(code, 0, "{out}{err}");

    // Growing, with a session on h1 that keeps increment 2 and writers on h1 and h2 in fresh sessions.
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = vec![
        long_session("h1", 400),
        writer("h1", stop.clone()),
        writer("h2", stop.clone()),
    ];
    // A client idle on h1 since before the change: h3 waits on it, and the apply ends with h3 held.
    let idle = idle_session("h1");
    let ring = ring_playbook(&lab, dir.path(), "h1:h2:h3");
    let (code, grown, err) = run(&["apply", "--yes", "--gate-timeout", "6", path(&ring)]);
    assert_ne!(code, 0, "{grown}{err}");
    for said in [
        "h3 joins held read-only",
        "auto_increment_increment = 4, auto_increment_offset = 1",
        "h1: replicate from h3 instead of h2",
    ] {
        assert!(grown.contains(said), "{said}: {grown}");
    }
    assert!(err.contains("h3 stays read-only"), "{err}");
    assert_eq!(lab.sql("h3", "SELECT @@read_only"), "1", "h3 is held");
    assert!(lab.file_exists("h3", "/var/lib/mmprov/writes-held"));
    assert_eq!(
        source_of(&lab, "h1"),
        lab.address("h3"),
        "the ring is wired"
    );
    let (code, pending, _) = run(&["plan", "--detailed-exitcode", path(&ring)]);
    assert_eq!(code, 2, "{pending}");
    assert!(pending.contains("open for writes"), "{pending}");
    assert!(
        !pending.contains("auto_increment ("),
        "nothing left to change on h1 and h2: {pending}"
    );
    let id = lab.sql(
        "h1",
        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = 'DO SLEEP(600)'",
    );
    lab.sql("h1", &format!("KILL {id}"));
    idle.join().expect("idle session ended");
    let (code, opened, err) = apply(&ring);
    assert_eq!(code, 0, "{opened}{err}");
    assert!(
        opened.contains("waiting for the sessions open on h1 to end"),
        "{opened}"
    );
    assert_eq!(lab.sql("h3", "SELECT @@read_only"), "0", "h3 is open");
    assert_eq!(
        lab.sql(
            "h3",
            "SELECT CONCAT(@@auto_increment_increment, '/', @@auto_increment_offset)"
        ),
        "4/3"
    );
    assert!(!lab.file_exists("h3", "/var/lib/mmprov/writes-held"));
    assert_eq!(source_of(&lab, "h1"), lab.address("h3"));
    assert_eq!(source_of(&lab, "h3"), lab.address("h2"));
    // Open: the new node takes writes beside the others.
    writers.push(writer("h3", stop.clone()));
    std::thread::sleep(std::time::Duration::from_secs(3));
    let written = stop_all(&stop, writers);
    same_everywhere(&lab, &["h1", "h2", "h3"], 2000 + written);
    let (code, again, _) = run(&["plan", "--detailed-exitcode", path(&ring)]);
    assert_eq!(code, 0, "the ring is converged: {again}");

    // Shrinking, with writers on the nodes that stay.
    let stop = Arc::new(AtomicBool::new(false));
    let writers = vec![writer("h1", stop.clone()), writer("h2", stop.clone())];
    let (code, shrunk, err) = apply(&pair);
    let after = stop_all(&stop, writers);
    assert_eq!(code, 0, "{shrunk}{err}");
    assert!(
        shrunk.contains("h1: replicate from h2 instead of h3"),
        "{shrunk}"
    );
    assert!(
        !shrunk.contains("auto_increment ("),
        "the increment that leaves room is kept: {shrunk}"
    );
    assert_eq!(source_of(&lab, "h1"), lab.address("h2"));
    same_everywhere(&lab, &["h1", "h2"], 2000 + written + after);
    let (code, again, _) = run(&["plan", "--detailed-exitcode", path(&pair)]);
    assert_eq!(code, 0, "the pair is converged: {again}");
    for h in ["h1", "h2", "h3"] {
        lab.reset_server(h);
    }
}

/// The same on a play that keeps file and position (`gtid: false`): positions carry over between nodes
/// through MariaDB's GTIDs (each node in its own domain), and every replica is back on file and position.
#[test]
fn mariadb_a_file_position_pair_grows_into_a_ring_and_back_with_every_replica_on_file_and_position()
{
    let _serial = serial();
    let lab = Lab::require(3);
    lab.pair_with_shop(1000);
    lab.reset_server("h3");
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = ring_playbook_with(&lab, dir.path(), "h1:h2", "gtid: false");
    let ring = ring_playbook_with(&lab, dir.path(), "h1:h2:h3", "gtid: false");
    let (code, out, err) = apply(&pair);
    assert_eq!(code, 0, "{out}{err}");
    let mut written = 0;
    for (book, nodes) in [(&ring, &["h1", "h2", "h3"][..]), (&pair, &["h1", "h2"][..])] {
        let stop = Arc::new(AtomicBool::new(false));
        let writers = vec![writer("h2", stop.clone())];
        let (code, out, err) = apply(book);
        written += stop_all(&stop, writers);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("by binary log file and position"), "{out}");
        same_everywhere(&lab, nodes, 1000 + written);
        for node in nodes {
            assert_eq!(replica_field(&lab, node, "Using_Gtid"), "No", "{node}");
        }
        let (code, again, _) = run(&["plan", "--detailed-exitcode", path(book)]);
        assert_eq!(code, 0, "converged: {again}");
    }
    for h in ["h1", "h2", "h3"] {
        lab.reset_server(h);
    }
}
