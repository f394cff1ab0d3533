//! `mmprov validate`: every problem reported at once, pointing at the line, exit 1, no host contacted.
//! The rendered diagnostics are snapshot-tested: what a user reads is the feature.

mod support;

use support::{fixture, mmprov, text};

fn validate(playbook: &str) -> (i32, String, String) {
    let path = fixture(playbook);
    let out = mmprov(&["validate", path.to_str().expect("utf-8 path")], &[]);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn a_valid_playbook_passes() {
    let (code, stdout, stderr) = validate("valid/pair.yml");
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(
        stdout,
        "tests/fixtures/valid/pair.yml is valid: 1 play, 3 hosts (2 host entries).\n"
    );
}

#[test]
fn all_semantic_problems_are_reported_in_one_run() {
    let (code, stdout, stderr) = validate("invalid/semantics.yml");
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.contains("6 problems found"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_keys_are_refused_with_the_line() {
    let (code, _, stderr) = validate("invalid/unknown-key.yml");
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
}

#[test]
fn wrong_types_are_refused_with_the_line() {
    let (code, _, stderr) = validate("invalid/wrong-type.yml");
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
}

#[test]
fn malformed_yaml_is_refused_with_the_line() {
    let (code, _, stderr) = validate("invalid/malformed.yml");
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
}

#[test]
fn template_errors_point_into_the_template() {
    let (code, _, stderr) = validate("invalid/template-error.yml");
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
}

#[test]
fn overlapping_auto_increment_offsets_are_refused() {
    let (code, _, stderr) = validate("invalid/offsets.yml");
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
}

#[test]
fn a_missing_playbook_is_a_clear_error() {
    let (code, _, stderr) = validate("invalid/no-such-playbook.yml");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot read tests/fixtures/invalid/no-such-playbook.yml"),
        "{stderr}"
    );
}

#[test]
fn passive_nodes_must_be_in_the_play_and_read_only_has_one_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let book = dir.path().join("passive.yml");
    std::fs::write(
        &book,
        format!(
            "inventory: {}\nplays:\n  - name: p\n    hosts: orders\n    roles: [server]\n    vars:\n      \
             read_only_hosts: [db3]\n      mysqld:\n        read-only: 'ON'\n",
            support::root().join("tests/fixtures/inventory/hosts.yml").display()
        ),
    )
    .expect("write");
    let out = mmprov(&["validate", book.to_str().expect("utf-8")], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("read_only_hosts names `db3`, which is not a host of play `p`"),
        "{err}"
    );
    assert!(
        err.contains("play `p` sets `read_only` in `mysqld`"),
        "{err}"
    );
}

#[test]
fn a_writer_and_read_only_hosts_that_disagree_are_refused_at_the_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let book = dir.path().join("writer.yml");
    let play = |vars: &str| {
        format!(
            "inventory: {}\nplays:\n  - name: p\n    hosts: orders\n    roles: [server]\n    vars:\n{vars}",
            support::root()
                .join("tests/fixtures/inventory/hosts.yml")
                .display()
        )
    };
    std::fs::write(
        &book,
        play("      writer: db1\n      read_only_hosts: [db1]\n"),
    )
    .expect("write");
    let out = mmprov(&["validate", book.to_str().expect("utf-8")], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("read_only_hosts disagrees with `writer: db1` of play `p`"),
        "{err}"
    );
    assert!(err.contains("the passive nodes are db2"), "{err}");
    assert!(
        err.contains("read_only_hosts: [db1]"),
        "the diagnostic shows the line: {err}"
    );

    std::fs::write(&book, play("      writer: db3\n")).expect("write");
    let err = text(&mmprov(&["validate", book.to_str().expect("utf-8")], &[]).stderr);
    assert!(
        err.contains("writer names `db3`, which is not a host of play `p`"),
        "{err}"
    );

    std::fs::write(
        &book,
        play("      writer: db1\n      read_only_hosts: [db2]\n"),
    )
    .expect("write");
    let out = mmprov(&["validate", book.to_str().expect("utf-8")], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_serial_of_no_node_or_more_than_all_is_refused_at_its_line() {
    let (code, _, stderr) = validate("invalid/serial.yml");
    assert_eq!(code, 1);
    assert!(stderr.contains("2 problems found"), "{stderr}");
    insta::assert_snapshot!(stderr);
}
