//! Hostile input never reaches a server's config as a line of its own: every name and value that could carry a
//! line break, a `[group]` header or an `!include` is refused at load with the place it came from, and the
//! renderer refuses it again under any template. Nothing here contacts a host.

mod support;

use std::path::PathBuf;

use support::{mmprov, text};
use tempfile::TempDir;

/// A playbook (and optional inventory and template) written into a fresh folder.
struct Book {
    dir: TempDir,
}

impl Book {
    fn new(playbook: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("book.yml"), playbook).expect("playbook written");
        Self { dir }
    }

    fn with_file(self, name: &str, body: &str) -> Self {
        std::fs::write(self.dir.path().join(name), body).expect("file written");
        self
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("book.yml")
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let book = self.path();
        let mut all = vec![args[0], book.to_str().expect("utf-8 path")];
        all.extend_from_slice(&args[1..]);
        let out = mmprov(&all, &[]);
        (
            out.status.code().unwrap_or(-1),
            text(&out.stdout),
            text(&out.stderr),
        )
    }

    /// `validate` must refuse with `expected` in its report, and `render` must print no config at all.
    fn refused(&self, host: &str, expected: &str) -> String {
        let (code, stdout, stderr) = self.run(&["validate"]);
        assert_eq!(code, 1, "validate accepted it:\n{stdout}{stderr}");
        assert!(stderr.contains(expected), "`{expected}` not in:\n{stderr}");
        let (code, cnf, _) = self.run(&["render", "--host", host]);
        assert_ne!(code, 0, "render accepted it:\n{cnf}");
        assert_no_injected_line(&cnf);
        stderr
    }
}

/// A two-host pair whose play and vars are spliced in as YAML text.
fn pair(name_yaml: &str, vars_yaml: &str) -> String {
    format!(
        "hosts:\n  a: {{ address: 192.0.2.1, server_id: 1 }}\n  b: {{ address: 192.0.2.2, server_id: 2 }}\n\
         plays:\n  - name: {name_yaml}\n    hosts: [a, b]\n    roles: [server]\n    vars:\n{vars_yaml}"
    )
}

/// What an attacker tries to add: a line of its own that the server would obey.
const INJECTED: [&str; 3] = ["skip-grant-tables", "[client]", "!include"];

fn assert_no_injected_line(cnf: &str) {
    for line in cnf.lines().map(str::trim_start) {
        for bad in INJECTED {
            assert!(!line.starts_with(bad), "injected line `{line}` in:\n{cnf}");
        }
    }
}

#[test]
fn a_line_break_in_a_play_name_is_refused_at_its_line() {
    let book = Book::new(&pair(
        r#""p\n[mysqld]\nskip-grant-tables = ON""#,
        "      server_version: mariadb-10.11\n",
    ));
    let report = book.refused("a", "play name");
    assert!(report.contains("line break"), "{report}");
    assert!(report.contains("book.yml:5"), "no line in:\n{report}");
}

#[test]
fn a_line_break_in_a_yaml_inventory_host_key_is_refused() {
    let book = Book::new(
        "inventory: inv.yml\nplays:\n  - name: p\n    hosts: db\n    roles: [server]\n    vars: { server_version: mariadb-10.11 }\n",
    )
    .with_file(
        "inv.yml",
        "db:\n  hosts:\n    \"h1\\n[mysqld]\\nskip-grant-tables = ON\":\n      server_id: 1\n    h2:\n      server_id: 2\n",
    );
    let report = book.refused("h2", "host name");
    assert!(report.contains(r"h1\n[mysqld]"), "{report}");
    assert!(report.contains("inv.yml:"), "no place in:\n{report}");
}

#[test]
fn shell_and_pattern_characters_in_ini_host_names_are_refused() {
    for name in ["db$(id)", "db;1", "db`id`", "db|x"] {
        let book = Book::new(
            "inventory: inv.ini\nplays:\n  - name: p\n    hosts: db\n    roles: [server]\n    vars: { server_version: mariadb-10.11 }\n",
        )
        .with_file("inv.ini", &format!("[db]\n{name} server_id=1\nh2 server_id=2\n"));
        let report = book.refused("h2", "host name");
        assert!(report.contains(name), "{name}: {report}");
        assert!(
            report.contains("inv.ini:2"),
            "{name}: no line in:\n{report}"
        );
    }
}

#[test]
fn a_line_break_in_a_playbook_host_name_or_group_is_refused() {
    let book = Book::new(
        "hosts:\n  \"a\\n[client]\": { address: 192.0.2.1, server_id: 1 }\n  b: { server_id: 2 }\n\
         groups:\n  \"g\\nx\": [b]\nplays:\n  - name: p\n    hosts: [b]\n    roles: [server]\n",
    );
    let report = book.refused("b", "host name");
    assert!(report.contains(r#"group name "g\nx""#), "{report}");
}

#[test]
fn config_values_with_line_breaks_are_refused_where_they_are_written() {
    for (var, expected) in [
        (r#"datadir: "/var/lib/mysql\n[client]""#, "datadir"),
        (r#"socket: "/run/s\r!include /tmp/x""#, "carriage return"),
        (
            "mysqld:\n        sql_mode: \"x\\nskip-grant-tables = ON\"",
            "mysqld option `sql_mode`",
        ),
        (
            "replication_tls: { ca: \"/ca\\n[client]\", cert: /c, key: /k }",
            "replication_tls.ca",
        ),
    ] {
        let book = Book::new(&pair("p", &format!("      {var}\n")));
        book.refused("a", expected);
    }
}

#[test]
fn option_names_that_would_open_a_group_or_directive_are_refused() {
    for name in ["\"[client]\"", "\"!include\"", "\"a = b\""] {
        let book = Book::new(&pair("p", &format!("      mysqld:\n        {name}: x\n")));
        book.refused("a", "mysqld option name");
    }
}

#[test]
fn a_value_a_template_puts_at_the_start_of_a_line_cannot_open_a_group() {
    let book = Book::new(&format!(
        "{}    template: own.cnf.hbs\n",
        pair("\"[client]\"", "      server_version: mariadb-10.11\n")
    ))
    .with_file(
        "own.cnf.hbs",
        "[mysqld]\n{{play}}\nserver-id = {{server_id}}\n",
    );
    let (code, cnf, stderr) = book.run(&["render", "--host", "a"]);
    assert_ne!(code, 0, "rendered:\n{cnf}");
    assert!(stderr.contains("`[group]` header"), "{stderr}");
    assert_no_injected_line(&cnf);
}

/// Every legal but awkward character in every name and value the built-in template prints: the file keeps
/// exactly the template's own groups, and every option line names an option the template writes.
#[test]
fn the_builtin_template_keeps_its_structure_under_awkward_values() {
    let awkward = r#"'[x] !y #z ;w = "q" $(id) `id`'"#;
    let awkward_path = r#"'/ca [x] !y #z ;w = "q" $(id)'"#;
    let vars = format!(
        "      server_version: mariadb-10.11\n      datadir: {awkward}\n      socket: {awkward}\n\
         \x20     log_error: {awkward}\n      bind_address: {awkward}\n      log_bin: {awkward}\n\
         \x20     relay_log: {awkward}\n      max_binlog_size: {awkward}\n      read_only_hosts: [b]\n\
         \x20     replication_tls: {{ ca: {awkward_path}, cert: /c, key: /k }}\n      mysqld:\n        \
         init_connect: {awkward}\n        skip-name-resolve: ''\n"
    );
    let book = Book::new(&pair(awkward, &vars));
    for host in ["a", "b"] {
        let (code, cnf, stderr) = book.run(&["render", "--host", host]);
        assert_eq!(code, 0, "{stderr}");
        assert_structure_is_the_templates(&cnf);
    }
}

fn assert_structure_is_the_templates(cnf: &str) {
    let groups: Vec<&str> = cnf
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('['))
        .collect();
    assert_eq!(
        groups,
        ["[mysqld]", "[client]", "[mysqld_safe]"],
        "in:\n{cnf}"
    );
    assert!(
        !cnf.lines().any(|l| l.trim_start().starts_with('!')),
        "a directive in:\n{cnf}"
    );
    for line in cnf.lines().map(str::trim_start) {
        if line.is_empty() || line.starts_with(['#', '[']) {
            continue;
        }
        let name = line.split(['=', ' ']).next().unwrap_or_default();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "option line `{line}` in:\n{cnf}"
        );
    }
}

#[test]
fn templates_holding_control_characters_are_refused() {
    let book = Book::new(&format!(
        "{}    template: own.cnf.hbs\n",
        pair("p", "      server_version: mariadb-10.11\n")
    ))
    .with_file("own.cnf.hbs", "[mysqld]\nserver-id = {{server_id}}\u{1}\n");
    let (code, _, stderr) = book.run(&["validate"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("control character"), "{stderr}");
}

#[test]
fn an_inventory_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let book = Book::new(
        "plays:\n  - name: p\n    hosts: db\n    roles: [server]\n    vars: { server_version: mariadb-10.11 }\n",
    );
    let fifo = book.dir.path().join("inventory.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo");
    for (inventory, kind) in [
        (std::path::PathBuf::from("/dev/zero"), "a character device"),
        (fifo, "a FIFO"),
    ] {
        let inventory = inventory.to_str().expect("utf-8 path").to_string();
        let (code, _, stderr) = book.run(&["validate", "-i", &inventory]);
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains(kind),
            "refused for what it is, not read: {stderr}"
        );
    }
}

#[test]
fn a_package_repository_that_would_write_its_own_lines_or_commands_is_refused_at_its_line() {
    let book = Book::new(&pair(
        "p",
        "      server_version: mariadb-10.11\n      install:\n        repository:\n          name: ../../etc/cron.d/x\n          \
         url: \"https://x/ bookworm main\\nSigned-By: /dev/null\"\n          suite: \"bookworm $(reboot)\"\n          \
         key: key.asc\n",
    ))
    .with_file("key.asc", "ssh-ed25519 AAAA not a pgp key\n");
    let stderr = book.refused("a", "repository name");
    for expected in [
        "repository url",
        "repository suite",
        "is not an ASCII-armored OpenPGP public key",
        "book.yml:",
    ] {
        assert!(stderr.contains(expected), "`{expected}` not in:\n{stderr}");
    }
    let book = Book::new(&pair(
        "p",
        "      server_version: mariadb-10.11\n      install: sometimes\n",
    ));
    book.refused("a", "install: `sometimes` is not known");
}
