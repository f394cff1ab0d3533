//! `mmprov render`: the my.cnf for a host, from the built-in template or a play's own, per server flavor.

mod support;

use support::{fixture, mmprov, text};

fn render(playbook: &str, host: &str, extra: &[&str]) -> (i32, String, String) {
    let path = fixture(playbook);
    let mut args = vec!["render", path.to_str().expect("utf-8 path"), "--host", host];
    args.extend_from_slice(extra);
    let out = mmprov(&args, &[]);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn builtin_template_carries_the_classic_recipe_for_mariadb() {
    let (code, cnf, stderr) = render("valid/pair.yml", "db2", &[]);
    assert_eq!(code, 0, "{stderr}");
    for line in [
        "server-id                      = 12",
        "auto_increment_increment       = 2",
        "auto_increment_offset          = 2",
        "log-bin                        = /var/log/mysql/mysql-bin.log",
        "binlog_expire_logs_seconds = 864000",
        "max_binlog_size                = 100M",
        "sync_binlog                    = 1",
        "innodb_flush_log_at_trx_commit = 1",
        "relay-log                      = /var/log/mysql/relay-bin",
        "relay-log-index                = /var/log/mysql/relay-bin.index",
        "log_slave_updates = ON",
        "slave_net_timeout = 10",
        "gtid_domain_id = 12",
        "gtid_strict_mode = OFF",
    ] {
        assert!(
            cnf.lines().any(|l| l == line),
            "missing `{line}` in:\n{cnf}"
        );
    }
    assert!(
        !cnf.contains("skip_errors"),
        "skipping errors is never rendered unless asked for"
    );
    assert!(
        !cnf.contains("skip-slave-start"),
        "GTID replicas start with the server"
    );
    insta::assert_snapshot!(cnf);
}

#[test]
fn option_values_stay_as_written_and_are_not_html_escaped() {
    let (_, cnf, _) = render("valid/pair.yml", "db1", &[]);
    assert!(cnf.contains("innodb_buffer_pool_size = 1_000M\n"), "{cnf}");
    assert!(cnf.contains("sql_mode = 'STRICT_ALL_TABLES'\n"), "{cnf}");
    assert!(
        cnf.contains("init_connect = SET NAMES utf8mb4 & more\n"),
        "{cnf}"
    );
}

#[test]
fn setting_names_follow_the_server_flavor() {
    let (_, old_mysql, _) = render(
        "valid/pair.yml",
        "db1",
        &["--server-version", "mysql-5.7.44"],
    );
    assert!(
        old_mysql.contains("\nexpire_logs_days = 10\n"),
        "{old_mysql}"
    );
    assert!(old_mysql.contains("\nlog_slave_updates = ON\n"));
    let (_, new_mysql, _) = render(
        "valid/pair.yml",
        "db1",
        &["--server-version", "mysql-8.4.3"],
    );
    assert!(
        new_mysql.contains("\nbinlog_expire_logs_seconds = 864000\n"),
        "{new_mysql}"
    );
    assert!(new_mysql.contains("\nlog_replica_updates = ON\n"));
    assert!(new_mysql.contains("\nreplica_net_timeout = 10\n"));
    for gtid in [
        "gtid_mode = ON",
        "enforce_gtid_consistency = ON",
        "relay_log_recovery = ON",
    ] {
        assert!(new_mysql.contains(&format!("\n{gtid}\n")), "{new_mysql}");
    }
    assert!(old_mysql.contains("\nmaster_info_repository = TABLE\n"));
    assert!(!new_mysql.contains("skip_replica_start"));
    assert!(!new_mysql.contains("expire_logs_days"));
}

#[test]
fn a_play_that_keeps_file_position_keeps_replicas_stopped_at_start() {
    let (code, cnf, stderr) = render(
        "valid/pair-file-position.yml",
        "db1",
        &["--server-version", "mysql-8.4.3"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(cnf.contains("\nskip_replica_start\n"), "{cnf}");
    assert!(!cnf.contains("gtid_mode"), "{cnf}");
}

#[test]
fn a_play_can_bring_its_own_template() {
    let (code, cnf, stderr) = render("valid/own-template.yml", "b", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        cnf,
        "[mysqld]\nserver-id = 2\nauto_increment_offset = 2/2\n"
    );
}

#[test]
fn rendering_an_unknown_host_names_the_known_ones() {
    let (code, _, stderr) = render("valid/pair.yml", "web1", &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("host `web1` is not in any play that configures servers"),
        "{stderr}"
    );
    assert!(stderr.contains("db1, db2"), "{stderr}");
}

#[test]
fn a_bad_server_version_is_refused() {
    let (code, _, stderr) = render(
        "valid/pair.yml",
        "db1",
        &["--server-version", "postgres-16"],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("`postgres-16` is not a server version"),
        "{stderr}"
    );
}

#[test]
fn a_passive_node_is_read_only_and_super_read_only_where_the_server_has_it() {
    let (code, passive, stderr) = render("valid/passive.yml", "db2", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(passive.contains("\nread_only = ON\n"), "{passive}");
    assert!(
        !passive.contains("super_read_only"),
        "MariaDB has none: {passive}"
    );
    let (_, active, _) = render("valid/passive.yml", "db1", &[]);
    assert!(active.contains("\nread_only = OFF\n"), "{active}");
    let (_, mysql, _) = render(
        "valid/passive.yml",
        "db2",
        &["--server-version", "mysql-8.0.36"],
    );
    assert!(
        mysql.contains("\nread_only = ON\nsuper_read_only = ON\n"),
        "{mysql}"
    );
}
