//! Shared test helpers, one set for every suite: running the mmprov binary (`run`, `run_with!` for a suite's
//! replication password), one test at a time on shared hosts (`serial`), paths as arguments (`path`), and
//! reaching the lab's real hosts (`lab`, `replication`). A suite declares `mod support;` and uses these; it
//! never copies them.
//!
//! Suites come in tiers (Cargo.toml): the pure tier needs nothing but this checkout; a suite that reaches the
//! lab is built only with `--features lab` and fails, never skips, when the lab is not up.
#![allow(dead_code)]

pub mod lab;
pub mod replication;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(path: &str) -> PathBuf {
    Path::new("tests/fixtures").join(path)
}

/// Run the mmprov binary from the repository root, colors off, with `env` added to its environment.
pub fn mmprov(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mmprov"));
    cmd.current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("MMPROV_REPL_PASSWORD");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the mmprov binary runs")
}

/// The lock a suite's tests hold while they change the lab's shared hosts: one at a time. One per suite (each
/// suite is its own test binary); suites run one after another.
static SERIAL: Mutex<()> = Mutex::new(());

/// Hold the suite's lock until the guard drops; a test that panicked while holding it does not stop the rest.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A path as a command-line argument.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Run the mmprov binary without a replication password: exit code, stdout, stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = mmprov(args, &[]);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Gives a suite its `run(args) -> (exit code, stdout, stderr)`: the mmprov binary with `$password` as the
/// replication password. `support::run_with!(PASSWORD);` stands where the suite's preamble would define it.
#[allow(unused_macros)]
macro_rules! run_with {
    ($password:expr) => {
        fn run(args: &[&str]) -> (i32, String, String) {
            $crate::support::run_with_password(args, $password)
        }
    };
}
#[allow(unused_imports)]
pub(crate) use run_with;

/// Run the mmprov binary with the replication password in its environment: exit code, stdout, stderr.
pub fn run_with_password(args: &[&str], password: &str) -> (i32, String, String) {
    let out = mmprov(args, &[("MMPROV_REPL_PASSWORD", password)]);
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// A playbook in `dir` whose one play sets up replication between the hosts of group `pair` of
/// `inventory`, with `top` (YAML lines) at its top level; the password from `MMPROV_REPL_PASSWORD`.
pub fn replicating_pair(dir: &Path, inventory: &Path, top: &str) -> PathBuf {
    replicating_pair_with(dir, inventory, top, "")
}

/// [`replicating_pair`] with `vars` (YAML lines at the vars level) added to the play.
pub fn replicating_pair_with(dir: &Path, inventory: &Path, top: &str, vars: &str) -> PathBuf {
    let file = dir.join("pair.yml");
    let mut text = format!(
        "inventory: {}\n{top}plays:\n  - name: pair\n    hosts: pair\n    vars:\n      \
         replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n",
        inventory.display()
    );
    for line in vars.lines() {
        text.push_str(&format!("      {line}\n"));
    }
    std::fs::write(&file, text).expect("write playbook");
    file
}

/// `r3pl-s3cret`, encrypted by `ansible-vault encrypt_string` (ansible-core 2.19) with the password `vaultpw`.
pub const VAULTED: &str = "!vault |
    $ANSIBLE_VAULT;1.1;AES256
    32333436373330623865343361343637613438363236306366626435386132623636666139303764
    6133373262363037383237643264653032373464323637310a323038633836303363663663343132
    61366564393038666230373665633232383465393933346163353831323039303532633661383166
    6466643039396231650a376435323231323965323461353864353331346634633237326162363432
    3433";

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails the test when `output` holds the secret in any form it could leak in: as written, escaped for SQL
/// (`''`, `\\`) or for a shell (`'\''`), or any 8-character slice of it (a server error may quote part).
pub fn assert_no_secret(what: &str, output: &str, secret: &str) {
    let sql = secret.replace('\\', "\\\\").replace('\'', "''");
    let shell = secret.replace('\'', r"'\''");
    for form in [secret, sql.as_str(), shell.as_str()] {
        assert!(!output.contains(form), "the secret leaked into {what}");
    }
    let chars: Vec<char> = secret.chars().collect();
    for slice in chars.windows(8) {
        let slice: String = slice.iter().collect();
        assert!(
            !output.contains(&slice),
            "part of the secret ({} characters) leaked into {what}",
            slice.chars().count()
        );
    }
}
