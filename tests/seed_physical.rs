//! Physical seeding on the lab's real hosts: with `seed_method: physical`, h2 gets a copy of h1's whole
//! instance (mariadb-backup streamed host to host, prepared on h2, swapped in with h2's mysqld stopped) while
//! a writer keeps inserting on h1. The pair then replicates both ways, every row written during the seed is on
//! both nodes, the tables checksum equal, h2's old files are kept aside, and a second plan is `No changes.`.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use support::lab::Lab;
use support::{path, serial};

const PASSWORD: &str = "physical-seed-pw";

support::run_with!(PASSWORD);

/// Inserts one row at a time on `host` until stopped; how many it inserted (a refused insert is retried).
struct Writer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Writer {
    fn start(lab_dir: std::path::PathBuf, host: &'static str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let written = Arc::new(AtomicU64::new(0));
        let thread = std::thread::spawn(move || {
            let lab = Lab { dir: lab_dir };
            let mut n = 0;
            while !flag.load(Ordering::SeqCst) {
                // The apply restarts h1 before it seeds: a write refused then is not counted, and retried.
                let out = lab.ssh(
                    host,
                    &format!(
                        "{} -e \"INSERT INTO shop.orders (item, node) VALUES ('live', 'writer')\"",
                        lab.client()
                    ),
                );
                if out.status.success() {
                    n += 1;
                    written.store(n, Ordering::SeqCst);
                } else {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
            n
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .map(|t| t.join().expect("the writer ran"))
            .unwrap_or(0)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The lab pair's playbook, seeding by a copy of files.
fn physical_pair(lab: &Lab, dir: &std::path::Path) -> std::path::PathBuf {
    support::replicating_pair_with(dir, &lab.inventory_yaml(), "", "seed_method: physical")
}

#[test]
fn mariadb_a_pair_seeded_physically_while_the_source_takes_writes_replicates_both_ways_with_equal_tables()
 {
    let _serial = serial();
    let lab = Lab::require(2);
    lab.pair_with_shop(5000);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = physical_pair(&lab, dir.path());

    let (code, out, err) = run(&["plan", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("seed h2 from h1: a physical copy of the whole instance"),
        "{out}"
    );
    assert!(
        out.contains("because the play says seed_method: physical"),
        "{out}"
    );

    let writer = Writer::start(lab.dir.clone(), "h1");
    let (code, out, err) = run(&["apply", "--yes", path(&book)]);
    let written = writer.finish();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("preparing the copy"), "{out}");
    assert!(written > 0, "the writer wrote during the apply");

    let rows = lab.sql("h1", "SELECT COUNT(*) FROM shop.orders");
    assert_eq!(rows, (5000 + written).to_string());
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", &rows),
        rows,
        "every row reached h2"
    );
    lab.sql(
        "h2",
        "INSERT INTO shop.orders (item, node) VALUES ('back', 'h2')",
    );
    let both = (5000 + written + 1).to_string();
    assert_eq!(
        lab.wait_for("h1", "SELECT COUNT(*) FROM shop.orders", &both),
        both,
        "h2 replicates to h1"
    );
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", &both),
        both
    );
    let checksum = |host: &str| lab.sql(host, "CHECKSUM TABLE shop.orders EXTENDED");
    assert_eq!(checksum("h1"), checksum("h2"), "the tables are equal");

    let aside = lab.set_aside("h2");
    assert_eq!(
        aside.len(),
        1,
        "h2's old files are kept aside once: {aside:?}"
    );
    if !lab.datadir_is_mount("h2") {
        let datadir = lab.datadir("h2");
        assert!(
            aside[0].starts_with(&format!("{datadir}.mmprov-old-")),
            "beside the datadir, not in it: {aside:?}"
        );
        assert_eq!(
            lab.sql("h2", "SHOW DATABASES LIKE '%mmprov-old%'"),
            "",
            "no database the server makes of them"
        );
    }
    assert!(
        !lab.file_exists("h2", &format!("{}/.mmprov-seed", lab.datadir("h2"))),
        "nothing left staged"
    );
    assert!(
        !lab.file_exists("h2", "/var/lib/mmprov/seed-incomplete"),
        "the seed is finished"
    );

    let (code, out, err) = run(&["plan", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No changes."), "{out}");
    lab.remove_set_aside("h2");
}

/// Makes `mbstream` on one lab host read part of its stream and fail, as a link cut mid-copy does, until
/// dropped. Written on the host itself: hosts of Debian's newest suite have their own /usr/local/bin, while
/// the default lab's share the machine's (the wrapper passes every other host through).
struct CutStream<'l> {
    lab: &'l Lab,
    host: &'static str,
}

const CUT_STREAM: &str = "/usr/local/bin/mbstream";

impl<'l> CutStream<'l> {
    fn on(lab: &'l Lab, host: &'static str) -> Self {
        lab.ssh_ok(
            host,
            &format!(
                "cat >{CUT_STREAM} <<'EOF'\n#!/bin/sh\nif [ \"$(hostname)\" = {host} ]; then head -c 65536 >/dev/null; \
                 echo 'mbstream: the stream was cut' >&2; exit 1; fi\nexec /usr/bin/mbstream \"$@\"\nEOF\n\
                 chmod 755 {CUT_STREAM}"
            ),
        );
        CutStream { lab, host }
    }
}

impl Drop for CutStream<'_> {
    fn drop(&mut self) {
        let _ = self.lab.ssh(self.host, &format!("rm -f {CUT_STREAM}"));
    }
}

#[test]
fn mariadb_a_physical_seed_cut_off_midway_leaves_the_targets_server_as_it_was_and_is_redone() {
    let _serial = serial();
    let lab = Lab::require(2);
    lab.pair_with_shop(20000);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = physical_pair(&lab, dir.path());

    let cut = CutStream::on(&lab, "h2");
    let (code, out, err) = run(&["apply", "--yes", path(&book)]);
    drop(cut);
    assert_ne!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("the stream was cut"),
        "{out}{err}"
    );
    // h2 still serves from its own files, untouched; the marker says its seed is owed.
    assert_eq!(
        lab.sql("h2", "SHOW DATABASES LIKE 'shop'"),
        "",
        "nothing of h1's on h2"
    );
    assert!(lab.file_exists("h2", "/var/lib/mmprov/seed-incomplete"));
    assert!(lab.set_aside("h2").is_empty(), "nothing was swapped");

    let (code, out, err) = run(&["plan", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("redoes an interrupted seed"), "{out}");
    let (code, out, err) = run(&["apply", "--yes", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", "20000"),
        "20000"
    );
    assert!(
        !lab.file_exists("h2", &format!("{}/.mmprov-seed", lab.datadir("h2"))),
        "the partial copy is gone"
    );
    let (code, out, err) = run(&["plan", path(&book)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No changes."), "{out}");
    lab.remove_set_aside("h2");
}
