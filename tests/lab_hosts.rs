//! The lab is made of real, separate hosts: each answers SSH with the lab's key and known_hosts, runs its own
//! MariaDB, and keeps its own /etc/mysql. Driven with the system's OpenSSH client, not mmprov's transport.

mod support;

use support::lab::Lab;
use support::{serial, text};

#[test]
fn once_every_host_answers_ssh_with_its_own_name_and_server() {
    let _serial = serial();
    let lab = Lab::require(2);
    for host in lab.hosts() {
        let out = lab.ssh(
            &host.name,
            &format!(
                "hostname; {} -Nse 'SELECT @@hostname, VERSION()'",
                lab.client()
            ),
        );
        assert!(out.status.success(), "{}: {}", host.name, text(&out.stderr));
        let stdout = text(&out.stdout);
        let mut lines = stdout.lines();
        assert_eq!(lines.next(), Some(host.name.as_str()));
        let row = lines.next().unwrap_or_default();
        assert!(
            row.starts_with(&format!("{}\t", host.name)),
            "mysqld of {} reports {row}",
            host.name
        );
        // MariaDB says so in its version; MySQL's is a bare number.
        assert_eq!(row.contains("MariaDB"), !lab.is_mysql(), "{row}");
    }
}

#[test]
fn once_a_file_written_in_one_hosts_etc_mysql_is_not_seen_by_another() {
    let _serial = serial();
    let lab = Lab::require(2);
    let marker = format!("/etc/mysql/lab-isolation-{}", std::process::id());
    let wrote = lab.ssh("h1", &format!("echo h1 > {marker}"));
    assert!(wrote.status.success(), "{}", text(&wrote.stderr));
    let on_h2 = lab.file_exists("h2", &marker);
    let on_root = std::path::Path::new(&marker).exists();
    lab.ssh_ok("h1", &format!("rm -f {marker}"));
    assert!(!on_h2, "h1's file is visible on h2");
    assert!(!on_root, "h1's /etc/mysql leaked into the machine's");
}

#[test]
fn once_restarting_the_server_on_one_host_leaves_the_other_running() {
    let _serial = serial();
    let lab = Lab::require(2);
    let uptime = |host: &str| {
        let row = lab.sql(host, "SHOW GLOBAL STATUS LIKE 'Uptime'");
        let said = row
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        said.parse::<u64>()
            .unwrap_or_else(|e| panic!("{host}: uptime {said:?} is not a number: {e}"))
    };
    let h2_pid_before = lab.mysqld_pid("h2");
    lab.ssh_ok("h1", &lab.restart_command());
    assert!(uptime("h1") < 30, "h1's mysqld was restarted");
    assert_eq!(
        lab.mysqld_pid("h2"),
        h2_pid_before,
        "h2's mysqld was not touched"
    );
}
