//! The statement builders over the whole matrix of dialects: every difference is a plain string test.
use super::*;

fn flavor(s: &str) -> Box<dyn Flavor> {
    ServerVersion::parse_hint(s).expect("valid hint").flavor()
}

#[test]
fn binlog_expiry_follows_the_server() {
    assert_eq!(
        flavor("mariadb-10.5").binlog_expiry(10),
        Setting::new("expire_logs_days", 10)
    );
    assert_eq!(
        flavor("mariadb-10.11").binlog_expiry(10),
        Setting::new("binlog_expire_logs_seconds", 864000)
    );
    assert_eq!(
        flavor("mysql-5.7").binlog_expiry(7),
        Setting::new("expire_logs_days", 7)
    );
    assert_eq!(
        flavor("mysql-8.0.36").binlog_expiry(1),
        Setting::new("binlog_expire_logs_seconds", 86400)
    );
    assert_eq!(
        flavor("mysql-8.4").binlog_expiry(1),
        Setting::new("binlog_expire_logs_seconds", 86400)
    );
}

#[test]
fn replica_wording_changes_at_mysql_8_0_26() {
    assert_eq!(
        flavor("mysql-8.0.25").log_replica_updates(),
        "log_slave_updates"
    );
    assert_eq!(
        flavor("mysql-8.0.26").log_replica_updates(),
        "log_replica_updates"
    );
    assert_eq!(flavor("mysql-8.0.26").skip_errors(), "replica_skip_errors");
    assert_eq!(
        flavor("mysql-8.4.2").skip_replica_start(),
        "skip_replica_start"
    );
    assert_eq!(
        flavor("mariadb-11.4").skip_replica_start(),
        "skip-slave-start"
    );
    assert_eq!(flavor("mysql-5.7.44").skip_errors(), "slave_skip_errors");
}

fn source() -> SourceSpec {
    SourceSpec {
        host: "10.0.0.1".into(),
        port: 3306,
        user: "repl".into(),
        log_file: Some("mysql-bin.000002".into()),
        log_pos: Some(345),
        tls: None,
        gtid: false,
    }
}

fn tls() -> ReplicationTls {
    ReplicationTls {
        ca: "/etc/mysql/tls/ca.pem".into(),
        cert: "/etc/mysql/tls/cert.pem".into(),
        key: "/etc/mysql/tls/key.pem".into(),
        verify_server_cert: true,
    }
}

#[test]
fn tls_options_follow_the_dialect_and_leave_nothing_of_an_old_setting() {
    let with_tls = SourceSpec {
        tls: Some(tls()),
        ..source()
    };
    let maria = flavor("mariadb-10.11").change_source(&with_tls, "pw");
    assert!(
        maria.shown().contains(
            "MASTER_SSL = 1, MASTER_SSL_CA = '/etc/mysql/tls/ca.pem', MASTER_SSL_CERT = '/etc/mysql/tls/cert.pem', \
             MASTER_SSL_KEY = '/etc/mysql/tls/key.pem', MASTER_SSL_VERIFY_SERVER_CERT = 1"
        ),
        "{}",
        maria.shown()
    );
    assert!(
        flavor("mysql-8.4")
            .change_source(&with_tls, "pw")
            .shown()
            .contains("SOURCE_SSL = 1, SOURCE_SSL_CA = '/etc/mysql/tls/ca.pem'")
    );
    assert_eq!(
        flavor("mysql-8.0.36").change_tls(None),
        "CHANGE REPLICATION SOURCE TO SOURCE_SSL = 0"
    );
    assert!(
        !flavor("mariadb-10.11")
            .change_source(&source(), "pw")
            .shown()
            .contains("SSL"),
        "a playbook without TLS leaves the connection's TLS as it is"
    );
    let account = flavor("mariadb-10.11").replication_user("repl", "10.0.0.2", "pw", true);
    assert!(
        account.shown().contains("REQUIRE SSL"),
        "{}",
        account.shown()
    );
}

#[test]
fn change_source_follows_the_server_and_hides_the_password() {
    let maria = flavor("mariadb-10.11").change_source(&source(), "pa'ss");
    assert_eq!(
        maria.shown(),
        "CHANGE MASTER TO MASTER_HOST = '10.0.0.1', MASTER_PORT = 3306, MASTER_USER = 'repl', \
         MASTER_PASSWORD = (sensitive), MASTER_LOG_FILE = 'mysql-bin.000002', MASTER_LOG_POS = 345, \
         MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2, MASTER_USE_GTID = no"
    );
    let by_gtid = SourceSpec {
        gtid: true,
        ..source()
    };
    assert_eq!(
        flavor("mariadb-10.11")
            .change_source(&by_gtid, "pw")
            .shown(),
        "CHANGE MASTER TO MASTER_HOST = '10.0.0.1', MASTER_PORT = 3306, MASTER_USER = 'repl', \
         MASTER_PASSWORD = (sensitive), MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2, \
         MASTER_USE_GTID = slave_pos",
        "by GTID, the replica's own position decides where it starts: no file or position"
    );
    assert!(
        flavor("mysql-8.0.36")
            .change_source(&by_gtid, "pw")
            .shown()
            .contains("SOURCE_CONNECT_RETRY = 2, SOURCE_HEARTBEAT_PERIOD = 2, SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1")
    );
    assert!(
        flavor("mysql-5.7")
            .change_source(&by_gtid, "pw")
            .shown()
            .ends_with("MASTER_AUTO_POSITION = 1")
    );
    assert!(maria.expose().contains("MASTER_PASSWORD = 'pa''ss'"));
    assert!(!maria.shown().contains("pa'ss"));
    let old = flavor("mysql-8.0.22").change_source(&source(), "x");
    assert!(
        old.shown().starts_with("CHANGE MASTER TO MASTER_HOST"),
        "{}",
        old.shown()
    );
    assert!(
        old.shown()
            .ends_with("MASTER_AUTO_POSITION = 0, GET_MASTER_PUBLIC_KEY = 1")
    );
    let new = flavor("mysql-8.0.23").change_source(&source(), "x");
    assert!(
        new.shown()
            .starts_with("CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.1'"),
        "{}",
        new.shown()
    );
    assert!(
        new.shown()
            .contains("SOURCE_LOG_POS = 345, SOURCE_CONNECT_RETRY = 2")
    );
    assert!(
        flavor("mysql-8.4")
            .change_source(&source(), "x")
            .shown()
            .starts_with("CHANGE REPLICATION SOURCE")
    );
    assert!(
        flavor("mysql-5.7")
            .change_source(&source(), "x")
            .shown()
            .starts_with("CHANGE MASTER TO")
    );
}

#[test]
fn gtid_settings_and_switches_across_the_matrix() {
    let names = |s: Vec<Setting>| {
        s.into_iter()
            .map(|s| format!("{}={}", s.name, s.value))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(flavor("mariadb-10.11").gtid_settings(Some(7), false)),
        ["gtid_domain_id=7", "gtid_strict_mode=OFF"],
        "each node writes in its own GTID domain"
    );
    assert_eq!(
        names(flavor("mysql-5.7").gtid_settings(Some(7), true)),
        [
            "gtid_mode=ON",
            "enforce_gtid_consistency=ON",
            "relay_log_recovery=ON",
            "master_info_repository=TABLE",
            "relay_log_info_repository=TABLE"
        ]
    );
    assert_eq!(
        names(flavor("mysql-8.4").gtid_settings(Some(7), true)),
        [
            "gtid_mode=ON",
            "enforce_gtid_consistency=ON",
            "relay_log_recovery=ON"
        ],
        "8.0 and later keep replica positions in tables only"
    );
    let timeouts: Vec<String> = [
        "mariadb-10.6",
        "mysql-5.7",
        "mysql-8.0.25",
        "mysql-8.0.26",
        "mysql-8.4",
    ]
    .iter()
    .map(|v| flavor(v).replica_net_timeout().name)
    .collect();
    assert_eq!(
        timeouts,
        [
            "slave_net_timeout",
            "slave_net_timeout",
            "slave_net_timeout",
            "replica_net_timeout",
            "replica_net_timeout"
        ]
    );
    assert_eq!(
        flavor("mariadb-10.11").change_positioning(true),
        "CHANGE MASTER TO MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2"
    );
    assert_eq!(
        flavor("mysql-8.0.22").change_positioning(true),
        "CHANGE MASTER TO MASTER_AUTO_POSITION = 1, MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2"
    );
    assert_eq!(
        flavor("mysql-8.4").change_positioning(false),
        "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 0, SOURCE_CONNECT_RETRY = 2, SOURCE_HEARTBEAT_PERIOD = 2"
    );
    let maria = flavor("mariadb-10.11");
    assert_eq!(
        maria.gtid_position_at("mysql-bin.000002", 345).as_deref(),
        Some("SELECT BINLOG_GTID_POS('mysql-bin.000002', 345) AS pos")
    );
    assert_eq!(
        maria.set_replica_gtid_position("0-1-5,2-2-9").as_deref(),
        Some("SET GLOBAL gtid_slave_pos = '0-1-5,2-2-9'")
    );
    assert_eq!(
        flavor("mysql-8.0.36").gtid_position_at("b.1", 4),
        None,
        "MySQL replicas find their place by the GTIDs they hold"
    );
}

#[test]
fn statements_and_options_across_the_matrix() {
    let table = [
        (
            "mariadb-10.11",
            "START SLAVE",
            "SHOW SLAVE STATUS",
            "SHOW MASTER STATUS",
            "--master-data=2",
            "sql_slave_skip_counter",
        ),
        (
            "mysql-5.7",
            "START SLAVE",
            "SHOW SLAVE STATUS",
            "SHOW MASTER STATUS",
            "--master-data=2",
            "sql_slave_skip_counter",
        ),
        (
            "mysql-8.0.21",
            "START SLAVE",
            "SHOW SLAVE STATUS",
            "SHOW MASTER STATUS",
            "--master-data=2",
            "sql_slave_skip_counter",
        ),
        (
            "mysql-8.0.22",
            "START REPLICA",
            "SHOW REPLICA STATUS",
            "SHOW MASTER STATUS",
            "--master-data=2",
            "sql_slave_skip_counter",
        ),
        (
            "mysql-8.0.26",
            "START REPLICA",
            "SHOW REPLICA STATUS",
            "SHOW MASTER STATUS",
            "--source-data=2",
            "sql_replica_skip_counter",
        ),
        (
            "mysql-8.4.3",
            "START REPLICA",
            "SHOW REPLICA STATUS",
            "SHOW BINARY LOG STATUS",
            "--source-data=2",
            "sql_replica_skip_counter",
        ),
    ];
    for (server, start, status, binlog, dump, skip) in table {
        let f = flavor(server);
        assert_eq!(
            (
                f.start_replica(),
                f.replica_status(),
                f.binlog_status(),
                f.dump_coordinates_option(),
                f.skip_counter()
            ),
            (start, status, binlog, dump, skip),
            "{server}"
        );
        assert_eq!(f.stop_replica(), start.replace("START", "STOP"), "{server}");
    }
}

#[test]
fn the_replication_user_is_least_privilege_unlogged_and_redacted() {
    let s = flavor("mariadb-10.11").replication_user("repl", "10.0.0.2", "it's", false);
    assert!(s.shown().starts_with("SET SESSION sql_log_bin = 0;"));
    assert!(
        s.shown()
            .contains("CREATE USER IF NOT EXISTS 'repl'@'10.0.0.2' IDENTIFIED BY (sensitive);")
    );
    assert!(
        s.shown()
            .contains("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.2';")
    );
    assert!(!s.shown().contains("it's") && s.expose().contains("IDENTIFIED BY 'it''s'"));
}

#[test]
fn new_releases_speak_as_their_rows() {
    let mysql = flavor("mysql-9.7.4");
    assert!(
        mysql
            .change_source(&source(), "pw")
            .shown()
            .starts_with("CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.1'")
    );
    assert_eq!(
        mysql.reset_binary_logs(),
        Some("RESET BINARY LOGS AND GTIDS")
    );
    assert_eq!(mysql.stop_io_thread(), "STOP REPLICA IO_THREAD");
    assert_eq!(
        mysql.wait_for_source_position("b.1", 4, 9),
        "SELECT SOURCE_POS_WAIT('b.1', 4, 9) AS waited"
    );
    assert_eq!(mysql.read_only(true).len(), 2, "super_read_only as well");
    let maria = flavor("mariadb-11.8");
    assert_eq!(
        maria.change_positioning(true),
        "CHANGE MASTER TO MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2, MASTER_HEARTBEAT_PERIOD = 2"
    );
    assert_eq!(maria.reset_binary_logs(), None);
    assert_eq!(maria.start_io_thread(), "START SLAVE IO_THREAD");
    assert_eq!(
        maria.wait_for_source_position("b.1", 4, 9),
        "SELECT MASTER_POS_WAIT('b.1', 4, 9) AS waited"
    );
    assert_eq!(maria.read_only(true), [Setting::new("read_only", "ON")]);
    assert!(maria.capabilities().gtid_domains && !mysql.capabilities().gtid_domains);
}
