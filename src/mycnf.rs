//! Reading my.cnf text and relating its options to the server variables they set. Pure.
//!
//! An option is written in many ways (`log-bin`, `log_bin`, `skip-slave-start` with no value, `100M`); the
//! server reports the variable under one name in its own format (`log_bin ON`, `104857600`). Comparing the two
//! is what lets a plan say "restart needed because log_bin is OFF and must be ON" instead of restarting on
//! every file write, and lets a re-run after an interruption see that a written config was never loaded.

use std::collections::BTreeMap;

/// Server variables every plan reads, whatever the template: the recipe's settings under every name they have
/// on any flavor (a server reports only those it knows).
pub const WATCHED_VARIABLES: &[&str] = &[
    "server_id",
    "auto_increment_increment",
    "auto_increment_offset",
    "log_bin",
    "log_bin_basename",
    "log_bin_index",
    "binlog_format",
    "expire_logs_days",
    "binlog_expire_logs_seconds",
    "max_binlog_size",
    "sync_binlog",
    "innodb_flush_log_at_trx_commit",
    "relay_log",
    "relay_log_index",
    "log_slave_updates",
    "log_replica_updates",
    "skip_slave_start",
    "skip_replica_start",
    "slave_skip_errors",
    "replica_skip_errors",
    "datadir",
    "socket",
    "log_error",
    "bind_address",
    "read_only",
    "super_read_only",
    "ssl_ca",
    "ssl_cert",
    "ssl_key",
    "gtid_domain_id",
    "gtid_strict_mode",
    "gtid_mode",
    "enforce_gtid_consistency",
    "relay_log_recovery",
    "master_info_repository",
    "relay_log_info_repository",
    "slave_net_timeout",
    "replica_net_timeout",
];

/// Options whose only effect is at server start (whether replicas start with it): a running server is not
/// restarted to load them, since a restart would only make them take effect on itself.
pub const START_ONLY: &[&str] = &["skip_slave_start", "skip_replica_start"];

/// The `[mysqld]`-group options of a config file, in file order, keys as variable names.
/// Later groups and later lines override earlier ones, as the server reads them.
pub fn server_options(text: &str) -> BTreeMap<String, String> {
    server_lines(text)
        .map(|(key, value)| variable_of(key, value))
        .collect()
}

/// The value an option is written with in a config file's server groups (the last one the server reads), as
/// written: `log-bin = /var/log/mysql/mysql-bin.log` is that path, where [`server_options`] says `ON`.
pub fn written_value(text: &str, variable: &str) -> Option<String> {
    server_lines(text)
        .filter(|(key, _)| key.to_ascii_lowercase().replace('-', "_") == variable)
        .last()
        .map(|(_, value)| value)
}

/// Each `key[ = value]` line of the server groups, in file order, its value unquoted.
fn server_lines(text: &str) -> impl Iterator<Item = (&str, String)> {
    let mut in_server_group = false;
    text.lines().map(str::trim).filter_map(move |line| {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            return None;
        }
        if let Some(group) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let group = group.trim().to_ascii_lowercase();
            in_server_group =
                matches!(group.as_str(), "mysqld" | "server" | "mariadb" | "mariadbd")
                    || group.starts_with("mariadb-")
                    || group.starts_with("mysqld-");
            return None;
        }
        if !in_server_group || line.starts_with('!') {
            return None;
        }
        Some(match line.split_once('=') {
            Some((k, v)) => (k.trim(), unquote(v.trim())),
            None => (line, String::new()),
        })
    })
}

/// The server variable an option sets, and the value the server will report for it.
/// `log-bin = PATH` turns `log_bin` ON (its path shows as `log_bin_basename`); a bare switch means ON.
fn variable_of(option: &str, value: String) -> (String, String) {
    let name = option.to_ascii_lowercase().replace('-', "_");
    match name.as_str() {
        "log_bin" => ("log_bin".into(), "ON".into()),
        "skip_slave_start" | "skip_replica_start" | "log_slave_updates" | "log_replica_updates"
            if value.is_empty() =>
        {
            (name, "ON".into())
        }
        _ if value.is_empty() => (name, "ON".into()),
        _ => (name, value),
    }
}

fn unquote(v: &str) -> String {
    let quoted = v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')));
    if quoted {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Whether a configured value and the server's reported value mean the same.
pub fn same_value(configured: &str, reported: &str) -> bool {
    let (a, b) = (configured.trim(), reported.trim());
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    if let (Some(x), Some(y)) = (boolean(a), boolean(b)) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (size(a), size(b)) {
        return x == y;
    }
    let path = |s: &str| s.trim_end_matches('/').to_string();
    if a.starts_with('/') {
        return path(a) == path(b);
    }
    // A relative file name the server reports resolved against its data directory
    // (`relay-log-index = slave-relay-bin.index` is `/var/lib/mysql/data/slave-relay-bin.index`).
    !a.is_empty() && b.starts_with('/') && path(b).ends_with(&format!("/{}", path(a)))
}

fn boolean(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// `100M` -> 104857600; plain numbers as they are.
pub fn size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (digits, unit) = match v.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&v[..i], c.to_ascii_uppercase()),
        _ => (v, ' '),
    };
    let n: u64 = digits.parse().ok()?;
    let factor: u64 = match unit {
        ' ' => 1,
        'K' => 1 << 10,
        'M' => 1 << 20,
        'G' => 1 << 30,
        'T' => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The value to hand to `SET GLOBAL`: sizes in bytes, numbers and switches bare, anything else quoted.
pub fn set_global_value(configured: &str) -> String {
    if let Some(n) = size(configured) {
        return n.to_string();
    }
    match boolean(configured) {
        Some(true) => "ON".into(),
        Some(false) => "OFF".into(),
        None => crate::sqltext::literal(configured),
    }
}

/// Why `value` cannot stand in an option file, if it cannot. The server reads an option file line by line, so a
/// line break (or any control character, which no option value needs) in a value would start a line of its own:
/// a new option, a `[group]` header or an `!include` the playbook never wrote.
pub fn value_problem(value: &str) -> Option<String> {
    let bad = value.chars().find(|c| c.is_control() && *c != '\t')?;
    let what = match bad {
        '\n' => "a line break".to_string(),
        '\r' => "a carriage return".to_string(),
        c => format!("the control character U+{:04X}", u32::from(c)),
    };
    Some(format!("contains {what}"))
}

/// Why `name` is not an option name, if it is not. Names are letters, digits, `_`, `-` and `.`, starting with
/// a letter: anything else (`=`, `[`, `!`, `#`, white space) would change how the line is read.
pub fn option_name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Some("is empty".into()),
        Some(c) if !c.is_ascii_alphabetic() => {
            return Some(format!(
                "starts with `{}`, not a letter",
                c.escape_default()
            ));
        }
        Some(_) => {}
    }
    chars
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map(|c| {
            format!(
                "contains `{}`; option names hold letters, digits, `_`, `-` and `.`",
                c.escape_default()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_variables_as_the_server_reports_them() {
        let text = "[client]\nport=1\n[mysqld]\nlog-bin = /var/log/mysql/mysql-bin.log\nskip-slave-start\n\
                    max_binlog_size = 100M\nsql_mode = \"STRICT_ALL_TABLES\"\n[mariadb-10.11]\nserver-id=7\n";
        let opts = server_options(text);
        assert_eq!(opts.get("log_bin").map(String::as_str), Some("ON"));
        assert_eq!(opts.get("skip_slave_start").map(String::as_str), Some("ON"));
        assert_eq!(
            opts.get("max_binlog_size").map(String::as_str),
            Some("100M")
        );
        assert_eq!(
            opts.get("sql_mode").map(String::as_str),
            Some("STRICT_ALL_TABLES")
        );
        assert_eq!(opts.get("server_id").map(String::as_str), Some("7"));
        assert!(
            !opts.contains_key("port"),
            "client options are not server options"
        );
    }

    #[test]
    fn values_compare_by_meaning() {
        assert!(same_value("100M", "104857600"));
        assert!(same_value("1", "ON"));
        assert!(same_value("ON", "on"));
        assert!(same_value("/var/lib/mysql", "/var/lib/mysql/"));
        assert!(same_value(
            "slave-relay-bin.index",
            "/var/lib/mysql/data/slave-relay-bin.index"
        ));
        assert!(!same_value(
            "relay-bin.index",
            "/var/lib/mysql/slave-relay-bin.index"
        ));
        assert!(!same_value("ROW", "MIXED"));
        assert!(!same_value("0", "ON"));
        assert!(!same_value("100M", "1073741824"));
    }

    #[test]
    fn set_global_values_are_literal_safe() {
        assert_eq!(set_global_value("100M"), "104857600");
        assert_eq!(set_global_value("ROW"), "'ROW'");
        assert_eq!(set_global_value("on"), "ON");
        assert_eq!(set_global_value("x'; DROP"), "'x''; DROP'");
    }

    #[test]
    fn values_that_would_start_a_line_of_their_own_are_refused() {
        assert_eq!(value_problem("/var/lib/mysql"), None);
        assert_eq!(value_problem("a\tb"), None);
        assert_eq!(
            value_problem("p\n[mysqld]\nskip-grant-tables = ON").as_deref(),
            Some("contains a line break")
        );
        assert_eq!(
            value_problem("x\ry").as_deref(),
            Some("contains a carriage return")
        );
        assert_eq!(
            value_problem("x\u{0}").as_deref(),
            Some("contains the control character U+0000")
        );
        assert!(
            value_problem("x\u{85}y").is_some(),
            "NEL is a control character"
        );
    }

    #[test]
    fn option_names_follow_the_option_file_grammar() {
        for good in [
            "server-id",
            "log_bin",
            "loose-innodb.x",
            "performance_schema",
        ] {
            assert_eq!(option_name_problem(good), None, "{good}");
        }
        for bad in ["", "[client]", "!include", "a=b", "a b", "#x", "1x", "a\nb"] {
            assert!(option_name_problem(bad).is_some(), "{bad:?} accepted");
        }
    }
}
