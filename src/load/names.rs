//! What a name may hold: hosts, groups and plays, checked as they are read, before anything uses them.
//!
//! Names travel far: into my.cnf headers, log lines, shell commands (quoted), SQL account hosts and Ansible
//! host patterns. None of them may hold a line break or other control character, which could start a line of
//! its own in any of those. Host names are held to more: Ansible reads `,` `:` `!` `&` `*` `~` in a host
//! pattern and a shell reads `;` `|` `$` `` ` `` and the rest, so a host named with them could be selected by
//! the wrong pattern or, quoted one time too few, run something. Ansible itself lists such names; mmprov refuses
//! them with the reason, since no machine is reached by one.

/// Why `name` cannot name a play or group, if it cannot.
pub fn name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("is empty".into());
    }
    crate::mycnf::value_problem(name)
}

/// Why `name` cannot name a host, if it cannot: DNS names, IPv4 and IPv6 addresses (with a `%zone`) and the
/// aliases people give hosts pass; white space, quotes, pattern operators and shell metacharacters do not.
pub fn host_name_problem(name: &str) -> Option<String> {
    if let Some(problem) = name_problem(name) {
        return Some(problem);
    }
    let bad = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%' | '@' | '+')))?;
    Some(if bad.is_whitespace() {
        "contains white space".into()
    } else {
        format!(
            "contains `{bad}`: host names hold letters, digits, `.`, `-`, `_`, `@`, `+` and, for IPv6, `:` and `%`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_host_names_and_addresses_pass() {
        for name in [
            "db1",
            "db-01.example.com",
            "10.213.7.11",
            "fe80::1%eth0",
            "2001:db8::7",
            "mysql_primary",
            "bücher.example",
        ] {
            assert_eq!(host_name_problem(name), None, "{name}");
        }
    }

    #[test]
    fn names_that_a_shell_or_a_pattern_would_read_are_refused() {
        for name in [
            "db;1", "db$(id)", "db`id`", "db|x", "db&x", "db>x", "db'x", "a b", "db,x", "db*x",
            "db!x", "",
        ] {
            assert!(host_name_problem(name).is_some(), "{name:?} accepted");
        }
        assert_eq!(
            host_name_problem("p\n[mysqld]").as_deref(),
            Some("contains a line break")
        );
    }

    #[test]
    fn play_and_group_names_may_hold_anything_but_control_characters() {
        assert_eq!(name_problem("orders pair (prod) [eu]"), None);
        assert!(name_problem("p\n[mysqld]\nskip-grant-tables = ON").is_some());
        assert!(name_problem("p\rq").is_some());
        assert!(name_problem("  ").is_some());
    }
}
