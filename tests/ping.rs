//! `mmprov ping` against the lab: every host of the playbook reached over SSH, its mysqld asked.

mod support;

use support::lab::Lab;
use support::{mmprov, text};

#[test]
fn ping_reaches_every_lab_host_with_either_inventory_format() {
    let lab = Lab::require(2);
    for inventory in [lab.inventory_yaml(), lab.inventory_ini()] {
        let out = mmprov(
            &[
                "ping",
                "playbooks/pair.yml",
                "-i",
                inventory.to_str().expect("utf-8"),
            ],
            &[("MMPROV_REPL_PASSWORD", "unused-by-ping")],
        );
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
        // The playbook's play selects the group `pair`: h1 and h2, and no other lab host.
        assert_eq!(stdout.lines().count(), 2, "{stdout}");
        for host in ["h1", "h2"] {
            let line = stdout
                .lines()
                .find(|l| l.split_whitespace().nth(1) == Some(host))
                .unwrap_or_default();
            assert!(line.starts_with("ok   "), "{stdout}");
            assert!(line.contains(&format!("hostname={host}")), "{line}");
            assert!(line.contains("mysqld is alive"), "{line}");
        }
    }
}

#[test]
fn ping_fails_naming_the_host_it_cannot_reach() {
    let lab = Lab::require(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = lab.inventory_with_ghost(dir.path());
    let out = mmprov(
        &[
            "ping",
            "playbooks/pair.yml",
            "-i",
            inventory.to_str().expect("utf-8"),
        ],
        &[("MMPROV_REPL_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let line_of = |host: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(host))
            .unwrap_or_default()
    };
    assert!(line_of("h1").starts_with("ok   "), "{stdout}");
    assert!(line_of("ghost").starts_with("FAIL "), "{stdout}");
    assert!(
        text(&out.stderr).contains("1 of 2 hosts could not be read"),
        "{}",
        text(&out.stderr)
    );
}
