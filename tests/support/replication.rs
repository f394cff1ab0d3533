//! What the replication suites share (`tests/replication.rs`, whose statements run again through the host's
//! client, and `tests/replication_plans.rs`, which runs once): their password, their playbook, and a seeded
//! pair replicating both ways on the lab's h1 and h2.

use std::path::{Path, PathBuf};

use super::lab::Lab;
use super::path;

/// Quotes of both kinds and a backslash: the password must survive SQL and shell quoting.
pub const PASSWORD: &str = r#"re'pl "pa\ss" 42"#;

/// The mmprov binary with [`PASSWORD`] as the replication password: exit code, stdout, stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    super::run_with_password(args, PASSWORD)
}

pub fn playbook(lab: &Lab, dir: &Path, hosts: &str, extra: &str) -> PathBuf {
    let file = dir.join("replicated.yml");
    let mut text = format!(
        "inventory: {}\nplays:\n  - name: replicated\n    hosts: {hosts}\n    roles: [server, replication]\n    vars:\n      \
         replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n",
        lab.inventory_yaml().display()
    );
    for line in extra.lines() {
        text.push_str(&format!("      {line}\n"));
    }
    std::fs::write(&file, text).expect("write playbook");
    file
}

pub fn shop_on(lab: &Lab, host: &str) {
    lab.sql(
        host,
        "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50), \
         node VARCHAR(10)); INSERT INTO shop.orders (item, node) VALUES ('a', 'seed'), ('b', 'seed')",
    );
}

/// h1 and h2 fresh, `shop` on h1, then one apply of the pair playbook: a seeded pair replicating both ways.
pub fn replicating_pair(lab: &Lab, dir: &Path) -> PathBuf {
    lab.reset_server("h1");
    lab.reset_server("h2");
    shop_on(lab, "h1");
    let book = playbook(lab, dir, "pair", "");
    let (code, out, stderr) = run(&["apply", path(&book), "--yes"]);
    assert_eq!(code, 0, "{out}{stderr}");
    book
}
