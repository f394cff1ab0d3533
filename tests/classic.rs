//! The classic master-master recipe's own paths on the lab's real hosts: datadir `/var/lib/mysql/data`,
//! socket `/var/lib/mysql/mysql.sock`, log-bin `/var/log/mysql/binlog.log`, relay-log `slave-relay-bin`.
//! A fresh pair is moved into them and replicates; a pair holding data is refused until the play says
//! `datadir_move: true`, then moved with its data; each re-plans to `No changes.`, and the host's init (the
//! service script, or systemd) still stops and starts the server on its new socket. On every server family.

mod support;

use std::path::{Path, PathBuf};

use support::lab::Lab;
use support::serial;

const PAIR: [&str; 2] = ["h1", "h2"];

fn playbook(lab: &Lab, dir: &Path, datadir_move: bool) -> PathBuf {
    let file = dir.join("classic.yml");
    std::fs::write(
        &file,
        format!(
            "inventory: {}\nplays:\n  - name: classic pair\n    hosts: pair\n    vars:\n      \
             replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n      datadir: /var/lib/mysql/data\n      \
             socket: /var/lib/mysql/mysql.sock\n      log_bin: /var/log/mysql/binlog.log\n      \
             relay_log: slave-relay-bin\n      datadir_move: {datadir_move}\n",
            lab.inventory_yaml().display()
        ),
    )
    .expect("write playbook");
    file
}

/// A play that names the classic recipe's datadir alone: every other file stays where the server has it.
fn datadir_only_playbook(lab: &Lab, dir: &Path) -> PathBuf {
    let file = dir.join("datadir-only.yml");
    std::fs::write(
        &file,
        format!(
            "inventory: {}\nplays:\n  - name: classic pair\n    hosts: pair\n    vars:\n      \
             replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n      datadir: /var/lib/mysql/data\n",
            lab.inventory_yaml().display()
        ),
    )
    .expect("write playbook");
    file
}

/// Run mmprov with SQL on `auto` whatever the test round forces: until its first restart a moved server
/// answers on its old socket, which only the host's client finds (so these tests run once, in one round).
fn mmprov(args: &[&str]) -> (i32, String) {
    let out = support::mmprov(
        args,
        &[
            ("MMPROV_REPL_PASSWORD", "classic-repl-pw"),
            ("MMPROV_SQL", "auto"),
        ],
    );
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            support::text(&out.stdout),
            support::text(&out.stderr)
        ),
    )
}

/// Puts a host back on the distribution's paths (data moved back from `data/`, the service client's
/// socket restored, the classic binary and relay logs removed), whatever a test left: before each test
/// and after it. A `data/` beside the system tables is a copy the server never ran from (a move rolled
/// back): removed.
fn restore_default_layout(lab: &Lab, host: &str) {
    lab.ssh_ok(
        host,
        &format!(
            "set -e; cd /var/lib/mysql
             {admin} -S /var/lib/mysql/mysql.sock shutdown 2>/dev/null || true
             ({stop}) >/dev/null 2>&1 || true
             rm -f {config}
             if [ -f /etc/mysql/debian.cnf.mmprov-backup-socket ]; then
               mv -f /etc/mysql/debian.cnf.mmprov-backup-socket /etc/mysql/debian.cnf
             fi
             if [ -d data ]; then
               if [ ! -d mysql ]; then
                 if [ ! -f data/.mmprov-datadir ]; then
                   echo 'no system tables in /var/lib/mysql, and data/ is no copy of mmprov' >&2; exit 1
                 fi
                 for e in data/* data/.[!.]*; do
                   [ -e \"$e\" ] || continue
                   [ \"$e\" = data/.mmprov-datadir ] && continue
                   rm -rf \"./${{e#data/}}\"; mv \"$e\" .
                 done
               fi
               rm -rf data
             fi
             rm -rf .mmprov-old-datadir-* /var/log/mysql/binlog.[0-9]* /var/log/mysql/binlog.index
             {start}",
            admin = lab.admin(),
            stop = lab.service_command("stop"),
            config = lab.config_path(),
            start = lab.service_command("start"),
        ),
    );
    lab.reset_server(host);
    // The classic relay logs moved back with the data, no longer the server's once its replica is reset.
    lab.ssh_ok(host, "rm -f /var/lib/mysql/slave-relay-bin.*");
}

struct Restore<'a>(&'a Lab);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        for host in PAIR {
            restore_default_layout(self.0, host);
        }
    }
}

fn check_the_classic_layout(lab: &Lab, book: &Path) {
    for host in PAIR {
        assert_eq!(lab.sql(host, "SELECT @@datadir"), "/var/lib/mysql/data/");
        assert_eq!(
            lab.sql(host, "SELECT @@socket"),
            "/var/lib/mysql/mysql.sock"
        );
        assert_eq!(
            lab.sql(host, "SELECT @@log_bin_basename"),
            "/var/log/mysql/binlog"
        );
        assert!(
            lab.file_exists(host, "/var/lib/mysql/data/mysql"),
            "{host}: the system tables moved"
        );
    }
    let (code, out) = mmprov(&["plan", book.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No changes."), "{out}");
    // The host's init finds the server on its new socket (the service script through its client config,
    // systemd by its process): it stops and starts it.
    let before = lab.mysqld_pid("h2");
    lab.ssh_ok("h2", &lab.restart_command());
    assert_ne!(lab.mysqld_pid("h2"), before, "h2 restarted");
    assert_eq!(
        lab.sql("h2", "SELECT @@socket"),
        "/var/lib/mysql/mysql.sock"
    );
}

#[test]
fn once_a_fresh_pair_moves_into_the_classic_recipes_paths() {
    let _serial = serial();
    let lab = Lab::require(2);
    let _restore = Restore(&lab);
    for host in PAIR {
        restore_default_layout(&lab, host);
    }
    let uuids = PAIR.map(|host| lab.server_uuid(host));
    let dir = tempfile::tempdir().expect("tempdir");
    // Moving the data alone is refused where the server writes its binary log in its data directory
    // (MySQL's default): that log would be set aside under the running server with the old files.
    let only = datadir_only_playbook(&lab, dir.path());
    let (code, out) = mmprov(&["plan", only.to_str().expect("utf-8")]);
    let basename = lab.sql("h1", "SELECT IF(@@log_bin, @@log_bin_basename, '')");
    if basename.starts_with("/var/lib/mysql/") {
        assert_ne!(code, 0, "{out}");
        assert!(
            out.contains(&format!("would go on writing log_bin {basename}"))
                && out.contains("`log_bin` in the play at a path outside /var/lib/mysql"),
            "{out}"
        );
    } else {
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("move the data directory /var/lib/mysql -> /var/lib/mysql/data"),
            "{out}"
        );
    }
    let book = playbook(&lab, dir.path(), false);
    let (code, out) = mmprov(&["apply", book.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("move the data directory /var/lib/mysql -> /var/lib/mysql/data"),
        "{out}"
    );
    lab.sql("h1", "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY); INSERT INTO shop.t VALUES (1)");
    assert_eq!(lab.wait_for("h2", "SELECT COUNT(*) FROM shop.t", "1"), "1");
    assert_eq!(
        PAIR.map(|host| lab.server_uuid(host)),
        uuids,
        "each server kept its identity"
    );
    check_the_classic_layout(&lab, &book);
}

#[test]
fn once_a_pair_holding_data_moves_only_when_the_play_says_so_and_keeps_its_data() {
    let _serial = serial();
    let lab = Lab::require(2);
    let _restore = Restore(&lab);
    for host in PAIR {
        restore_default_layout(&lab, host);
    }
    lab.sql("h1", "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY); INSERT INTO shop.t VALUES (1), (2), (3)");
    let dir = tempfile::tempdir().expect("tempdir");
    let refused = playbook(&lab, dir.path(), false);
    let before = lab.mysqld_pid("h1");
    let uuid = lab.server_uuid("h1");
    let (code, out) = mmprov(&["apply", refused.to_str().expect("utf-8"), "--yes"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains("holds application data") && out.contains("datadir_move: true"),
        "{out}"
    );
    assert_eq!(lab.mysqld_pid("h1"), before, "nothing was touched");
    assert!(!lab.file_exists("h1", "/var/lib/mysql/data"));

    let book = playbook(&lab, dir.path(), true);
    let (code, out) = mmprov(&["apply", book.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("the old files are kept in /var/lib/mysql/.mmprov-old-datadir-"),
        "{out}"
    );
    assert_eq!(
        lab.sql("h1", "SELECT COUNT(*) FROM shop.t"),
        "3",
        "the data moved with the server"
    );
    assert_eq!(lab.server_uuid("h1"), uuid, "and its identity");
    assert_eq!(
        lab.sql("h2", "SELECT COUNT(*) FROM shop.t"),
        "3",
        "and was seeded to its peer"
    );
    lab.sql("h2", "INSERT INTO shop.t VALUES (4)");
    assert_eq!(lab.wait_for("h1", "SELECT COUNT(*) FROM shop.t", "4"), "4");
    check_the_classic_layout(&lab, &book);
}
