//! Production access on the lab's real hosts: logging in as a non-root user and becoming root with sudo
//! (Ansible's become). A sudoer without a password and one with a password each set up a pair that re-plans
//! to `No changes.` and verifies; the become password never shows in output, a saved plan, or any process's
//! command line or environment (mmprov's own environment, where the test hands it over, aside) while
//! mmprov runs; a wrong password, or a user without sudo rights, is refused
//! before anything on the hosts changes.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::lab::Lab;
use support::{assert_no_secret, path, serial, text};

const REPLICATION_PASSWORD: &str = "become-repl-pw";

/// An inventory of the lab pair reached as `user`, with `extra` lines under `[all:vars]`.
fn inventory(lab: &Lab, dir: &Path, user: &str, extra: &str) -> PathBuf {
    let file = dir.join("hosts.ini");
    std::fs::write(
        &file,
        format!(
            "[pair]\nh1 ansible_host={} server_id=1\nh2 ansible_host={} server_id=2\n\n[all:vars]\n\
             ansible_user={user}\nansible_ssh_private_key_file={}\n\
             ansible_ssh_common_args='-o UserKnownHostsFile={}'\n{extra}",
            lab.address("h1"),
            lab.address("h2"),
            lab.key().display(),
            lab.known_hosts().display()
        ),
    )
    .expect("write inventory");
    file
}

/// Run mmprov. Its SQL is `auto` whatever the test round forces: a host reached through sudo answers SQL
/// through its client only (so these tests run once, in one round).
fn mmprov(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut env = env.to_vec();
    env.push(("MMPROV_REPL_PASSWORD", REPLICATION_PASSWORD));
    env.push(("MMPROV_SQL", "auto"));
    let out = support::mmprov(args, &env);
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// Watches every process of the machine (the lab hosts' included) for `secret` in its command line or
/// environment until dropped; `leaked` names the first process that showed it.
struct ProcessWatch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Option<String>>>,
}

impl ProcessWatch {
    fn start(secret: &str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let secret = secret.as_bytes().to_vec();
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut scans = 0;
            while !flag.load(Ordering::SeqCst) || scans == 0 {
                scans += 1;
                let entries = std::fs::read_dir("/proc").expect("/proc is readable");
                for entry in entries.flatten() {
                    let dir = entry.path();
                    // mmprov itself is handed the password in its environment (`{ env: NAME }`); every
                    // other process, the ones it starts and every process on the hosts, must not see it.
                    let is_mmprov = std::fs::read_link(dir.join("exe"))
                        .is_ok_and(|exe| exe == Path::new(env!("CARGO_BIN_EXE_mmprov")));
                    for file in ["cmdline", "environ"] {
                        if is_mmprov && file == "environ" {
                            continue;
                        }
                        // A process may end between listing and reading: that one shows nothing.
                        let Ok(bytes) = std::fs::read(dir.join(file)) else {
                            continue;
                        };
                        if bytes.windows(secret.len()).any(|w| w == secret) {
                            return Some(format!("{}/{file}", dir.display()));
                        }
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            None
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    fn leaked(mut self) -> Option<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .and_then(|t| t.join().expect("the watch thread ends"))
    }
}

/// Apply (h1 holds data, so h2 is seeded through sudo on both ends), check replication both ways, re-plan
/// to `No changes.`, verify; everything mmprov printed.
fn converge_and_check(lab: &Lab, playbook: &Path, env: &[(&str, &str)]) -> String {
    let mut seen = String::new();
    lab.sql("h1", "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY); INSERT INTO shop.t VALUES (1)");
    let (code, out) = mmprov(&["apply", path(playbook), "--yes", "-v"], env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("becoming root with sudo"), "{out}");
    seen.push_str(&out);
    assert_eq!(lab.sql("h2", "SELECT COUNT(*) FROM shop.t"), "1", "seeded");
    lab.sql("h2", "INSERT INTO shop.t VALUES (2)");
    assert_eq!(lab.wait_for("h1", "SELECT COUNT(*) FROM shop.t", "2"), "2");
    let (code, out) = mmprov(&["plan", path(playbook)], env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No changes."), "{out}");
    seen.push_str(&out);
    let (code, out) = mmprov(&["verify", path(playbook)], env);
    assert_eq!(code, 0, "{out}");
    seen.push_str(&out);
    seen
}

#[test]
fn once_a_sudoer_without_a_password_sets_up_a_pair_that_replans_to_no_changes() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    for host in ["h1", "h2"] {
        lab.reset_server(host);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = inventory(&lab, dir.path(), "mmlab-deploy", "ansible_become=true\n");
    let book = support::replicating_pair(dir.path(), &inventory, "");
    converge_and_check(&lab, &book, &[]);
    // Written by root through sudo: owned by root, as a root login would leave it.
    assert_eq!(lab.ssh_ok("h1", &format!("stat -c %U {config}")), "root");
}

#[test]
fn once_a_sudoer_with_a_password_sets_up_a_pair_and_the_password_never_shows() {
    let _serial = serial();
    let lab = Lab::require(2);
    for host in ["h1", "h2"] {
        lab.reset_server(host);
    }
    let password = std::fs::read_to_string(lab.dir.join("sudo-password"))
        .expect("the lab's sudo password")
        .trim()
        .to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = inventory(&lab, dir.path(), "mmlab-sudo", "");
    let book = support::replicating_pair(
        dir.path(),
        &inventory,
        "become:\n  password: { env: MMPROV_BECOME_PASSWORD }\n",
    );
    let env = [("MMPROV_BECOME_PASSWORD", password.as_str())];
    let watch = ProcessWatch::start(&password);
    let mut seen = converge_and_check(&lab, &book, &env);
    let saved = dir.path().join("pair.plan");
    let (code, out) = mmprov(&["plan", path(&book), "--out", path(&saved), "-vv"], &env);
    assert_eq!(code, 0, "{out}");
    seen.push_str(&out);
    assert_eq!(
        watch.leaked(),
        None,
        "the become password was in a process's command line or environment"
    );
    assert_no_secret("mmprov's output", &seen, &password);
    let plan_file = std::fs::read_to_string(&saved).expect("the saved plan");
    assert_no_secret("the saved plan", &plan_file, &password);
}

#[test]
fn once_a_wrong_password_or_a_user_without_sudo_rights_is_refused_before_anything_changes() {
    let _serial = serial();
    let lab = Lab::require(2);
    let config = lab.config_path();
    for host in ["h1", "h2"] {
        lab.reset_server(host);
    }
    let before = lab.mysqld_pid("h1");
    let dir = tempfile::tempdir().expect("tempdir");
    for (user, password) in [
        ("mmlab-sudo", "n0t-th3-pw-x7"),
        ("mmlab-nosudo", "4ny-pw-q9z"),
    ] {
        let inventory = inventory(
            &lab,
            dir.path(),
            user,
            &format!("ansible_become=yes\nansible_become_password={password}\n"),
        );
        let book = support::replicating_pair(dir.path(), &inventory, "");
        let (code, out) = mmprov(&["apply", path(&book), "--yes"], &[]);
        assert_ne!(code, 0, "{out}");
        assert!(out.contains("cannot become root with sudo"), "{out}");
        assert!(
            out.contains("h1") && out.contains("h2"),
            "each host is named: {out}"
        );
        assert_no_secret("the refusal", &out, password);
    }
    assert!(!lab.file_exists("h1", config), "nothing was written");
    assert_eq!(lab.mysqld_pid("h1"), before, "nothing was restarted");
}
