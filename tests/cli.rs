//! Operator conventions of the binary itself: version with the commit, completions, man page, exit codes; a
//! `--limit` that names no host and `-q` with `-v` are refused before any host is contacted.

mod support;

use support::{mmprov, run, text};

#[test]
fn version_names_the_commit() {
    let out = mmprov(&["--version"], &[]);
    assert!(out.status.success());
    let version = text(&out.stdout);
    assert!(
        version.starts_with(&format!("mmprov {} (git ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    assert!(!version.contains("(git )"), "{version}");
}

#[test]
fn completions_and_man_page_cover_every_command() {
    let bash = text(&mmprov(&["completions", "bash"], &[]).stdout);
    let man = text(&mmprov(&["man"], &[]).stdout);
    assert!(man.contains(".TH mmprov 1"), "{man}");
    for command in [
        "validate", "render", "ping", "plan", "apply", "status", "verify", "skip",
    ] {
        assert!(bash.contains(command), "bash completion lacks {command}");
        assert!(man.contains(command), "man page lacks {command}");
    }
}

#[test]
fn unknown_arguments_exit_1_with_usage() {
    let out = mmprov(&["plan", "--no-such-flag"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unexpected argument '--no-such-flag'"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_limit_naming_no_known_host_is_refused_before_any_host_is_contacted() {
    let (code, out, err) = run(&[
        "plan",
        "tests/fixtures/valid/pair.yml",
        "--limit",
        "nosuch",
        "-vv",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("--limit `nosuch` names unknown host or group `nosuch`"),
        "{err}"
    );
    assert!(!err.contains("connected"), "nothing contacted: {err}");
}

#[test]
fn quiet_and_verbose_do_not_mix() {
    let (code, _, err) = run(&["plan", "tests/fixtures/valid/pair.yml", "-q", "-v"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot be used with"), "{err}");
}
