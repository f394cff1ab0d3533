//! Fault drills on the lab: each interrupts an apply in a different way, then checks that nothing was lost
//! and that running apply again converges (and a further plan is empty). See docs/drills.md.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::lab::Lab;
use support::{fixture, path, serial};

const PASSWORD: &str = "drill-pass'word";

support::run_with!(PASSWORD);

/// A replicating pair playbook whose SSH commands give up after 10 s without progress.
fn playbook(lab: &Lab, dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("drill.yml");
    let text = format!(
        "inventory: {}\nssh:\n  command_timeout: 10\n  connect_timeout: 3\nplays:\n  - name: drill\n    hosts: pair\n    \
         vars:\n      replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n",
        lab.inventory_yaml().display()
    );
    std::fs::write(&file, text).expect("write playbook");
    file
}

fn fresh_pair_with_data(lab: &Lab) {
    lab.reset_server("h1");
    lab.reset_server("h2");
    lab.sql(
        "h1",
        "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50)); \
         INSERT INTO shop.orders (item) VALUES ('a'), ('b'), ('c')",
    );
}

/// An apply running in the background; its output lines arrive on a channel as they are printed.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

fn start_apply(book: &std::path::Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mmprov"))
        .args(["apply", path(book), "--yes"])
        .env("NO_COLOR", "1")
        .env("MMPROV_REPL_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mmprov starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        child,
        lines,
        seen: Vec::new(),
    }
}

impl Running {
    /// Wait until a line containing `needle` is printed.
    fn wait_for(&mut self, needle: &str) {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("`{needle}` never came; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Wait (at most [`FINISH_WITHIN`]) for the apply to end: its exit code and what it printed on stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let deadline = std::time::Instant::now() + FINISH_WITHIN;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("mmprov can be waited for") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the apply did not end within {} s; saw:\n{}",
                FINISH_WITHIN.as_secs(),
                self.seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut stderr).expect("stderr reads");
        }
        (status.code(), stderr)
    }
}

/// How long an interrupted apply may take to end.
const FINISH_WITHIN: Duration = Duration::from_secs(180);

/// An apply a drill started never outlives the drill, even one that panics.
impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // Killing a process that ended meanwhile fails harmlessly; the wait reaps it either way.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A lab host's link taken down; it comes back up when this goes, even when the drill panics.
struct LinkDown {
    host: &'static str,
    up: bool,
}

impl LinkDown {
    fn new(host: &'static str) -> Self {
        link(host, false);
        Self { host, up: false }
    }

    /// The link back up now.
    fn restore(mut self) {
        link(self.host, true);
        self.up = true;
    }
}

impl Drop for LinkDown {
    fn drop(&mut self) {
        // Dropped while a drill unwinds: a second panic would abort the run, so a failure is only said.
        if !self.up && !set_link(self.host, true) {
            eprintln!("could not bring {}'s link back up", self.host);
        }
    }
}

/// After any interruption: the next apply converges, the pair replicates, the data is whole, and a further
/// plan is empty. A server the interruption left down is planned before it runs again: when what it then holds
/// calls for other replication steps than were shown, that apply stops before them (it confirmed only what it
/// showed), and the one after converges.
fn converges_again(lab: &Lab, book: &std::path::Path) {
    // The interrupted apply's lock is gone once the host notices its connection died: wait for that.
    let apply = || run(&["apply", path(book), "--yes", "--lock-timeout", "60"]);
    let (mut code, mut out, mut stderr) = apply();
    if code == 1 && stderr.contains("the replication steps changed after the restarts") {
        (code, out, stderr) = apply();
    }
    assert_eq!(code, 0, "re-running apply converges: {out}{stderr}");
    let (code, plan, stderr) = run(&["plan", path(book), "--detailed-exitcode"]);
    assert_eq!(code, 0, "then nothing is left to do: {plan}{stderr}");
    for host in ["h1", "h2"] {
        assert_eq!(
            lab.sql(
                host,
                "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders"
            ),
            "a,b,c",
            "{host}"
        );
    }
    let (code, verified, stderr) = run(&["verify", path(book)]);
    assert_eq!(code, 0, "{verified}{stderr}");
}

fn link(host: &str, up: bool) {
    assert!(set_link(host, up), "ip link set {host} {up}");
}

/// Whether the host's link could be set up or down.
fn set_link(host: &str, up: bool) -> bool {
    let state = if up { "up" } else { "down" };
    Command::new("ip")
        .args(["link", "set", &Lab::require(1).link_of(host), state])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn drill_a_the_ssh_connection_is_cut_in_the_middle_of_apply() {
    let _serial = serial();
    let lab = Lab::require(2);
    fresh_pair_with_data(&lab);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path());
    let mut apply = start_apply(&book);
    apply.wait_for("h1: restarting mysqld");
    let down = LinkDown::new("h1");
    let (code, stderr) = apply.finish();
    down.restore();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("h1"),
        "the failure names the host: {stderr}"
    );
    converges_again(&lab, &book);
}

#[test]
fn drill_b_the_peer_is_cut_off_while_replication_is_set_up() {
    let _serial = serial();
    let lab = Lab::require(2);
    fresh_pair_with_data(&lab);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path());
    let mut apply = start_apply(&book);
    apply.wait_for("replication account");
    let down = LinkDown::new("h2");
    let (code, stderr) = apply.finish();
    down.restore();
    assert_eq!(code, Some(1), "{stderr}");
    converges_again(&lab, &book);
}

#[test]
fn drill_c_mysqld_is_killed_during_apply() {
    let _serial = serial();
    let lab = Lab::require(2);
    fresh_pair_with_data(&lab);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path());
    let mut apply = start_apply(&book);
    apply.wait_for("replication account");
    lab.ssh(
        "h2",
        "pkill -9 -x mariadbd; pkill -9 -x mysqld; pkill -9 -x mysqld_safe; true",
    );
    let (_, _) = apply.finish();
    // Whatever the interrupted apply managed, the next one starts mysqld again and finishes the job.
    let (code, plan, _) = run(&["plan", path(&book)]);
    assert_eq!(code, 0, "{plan}");
    converges_again(&lab, &book);
}

#[test]
fn drill_d_apply_is_interrupted_by_sigint_between_steps() {
    let _serial = serial();
    let lab = Lab::require(2);
    fresh_pair_with_data(&lab);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path());
    let mut apply = start_apply(&book);
    apply.wait_for(&format!("writing {}", lab.config_path()));
    let pid = apply.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs")
            .success()
    );
    let (code, _) = apply.finish();
    assert_ne!(
        code,
        Some(0),
        "an interrupted apply does not report success"
    );
    // The lock went with the interrupted apply's connections: the re-run is not refused.
    converges_again(&lab, &book);
}

#[test]
fn drill_e_a_host_key_that_changes_between_plan_and_apply_is_refused() {
    let _serial = serial();
    let lab = Lab::require(2);
    fresh_pair_with_data(&lab);
    let dir = tempfile::tempdir().expect("tempdir");
    let known_hosts = dir.path().join("known_hosts");
    std::fs::copy(lab.known_hosts(), &known_hosts).expect("copy known_hosts");
    let inventory = dir.path().join("hosts.yml");
    let lab_inventory = std::fs::read_to_string(lab.inventory_yaml()).expect("lab inventory");
    std::fs::write(
        &inventory,
        lab_inventory.replace(&lab.known_hosts().display().to_string(), path(&known_hosts)),
    )
    .expect("write inventory");
    let book = playbook(&lab, dir.path());
    let saved = dir.path().join("drill.plan");
    let (code, _, stderr) = run(&[
        "plan",
        path(&book),
        "-i",
        path(&inventory),
        "--out",
        path(&saved),
    ]);
    assert_eq!(code, 0, "{stderr}");

    // h1 now answers with another key (as after a reinstall, or an attacker in the middle).
    let h2_key = std::fs::read_to_string(lab.dir.join("hosts/h2/etc-ssh/ssh_host_ed25519_key.pub"))
        .expect("key");
    let other: Vec<&str> = h2_key.split_whitespace().take(2).collect();
    let entries = std::fs::read_to_string(&known_hosts).expect("known_hosts");
    let h1 = lab.address("h1");
    let changed: Vec<String> = entries
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{h1} ")) {
                format!("{h1} {}", other.join(" "))
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&known_hosts, changed.join("\n") + "\n").expect("write known_hosts");

    let (code, _, stderr) = run(&["apply", path(&saved), "--yes"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("h1: HOST KEY CHANGED"), "{stderr}");
    assert!(
        !lab.file_exists("h1", lab.config_path()),
        "nothing changed on h1"
    );
    assert!(
        !lab.file_exists("h2", lab.config_path()),
        "nothing changed on h2"
    );
}

#[test]
fn drill_f_bad_input_of_every_kind_is_refused_before_any_host_is_contacted() {
    let _serial = serial();
    let lab = Lab::require(1);
    let dir = tempfile::tempdir().expect("tempdir");
    // Every case's hosts sit on lab addresses where nothing answers, so a contact would show as a connection
    // error; the missing-secret case names the lab's h1 as well, which must stay untouched.
    lab.reset_server("h1");
    let inventory = lab.inventory_with_ghost(dir.path());
    std::fs::copy(
        fixture("invalid/typo.cnf.hbs"),
        dir.path().join("typo.cnf.hbs"),
    )
    .expect("copy template");
    for (case, expected) in [
        ("invalid/malformed.yml", "unclosed bracket"),
        (
            "invalid/unknown-key.yml",
            "unknown field `binlog_expire_dayz`",
        ),
        ("invalid/wrong-type.yml", "invalid u32"),
        (
            "invalid/semantics.yml",
            "server_id 1 is used by both `a` and `b`",
        ),
        (
            "invalid/template-error.yml",
            "Failed to access variable in strict mode",
        ),
        (
            "invalid/offsets.yml",
            "auto_increment_offset 3 of `a` is outside 1..=2",
        ),
    ] {
        // The fixture, with its documentation addresses moved onto the lab's empty addresses.
        let text = std::fs::read_to_string(fixture(case))
            .expect("fixture")
            .replace("192.0.2.", "10.213.7.25");
        let book = dir.path().join(case.replace('/', "-"));
        std::fs::write(&book, text).expect("write case");
        for command in ["plan", "apply"] {
            let mut args = vec![command, path(&book)];
            if command == "apply" {
                args.push("--yes");
            }
            let (code, stdout, stderr) = run(&args);
            assert_eq!(code, 1, "{command} {case}: {stdout}{stderr}");
            assert!(stderr.contains(expected), "{command} {case}: {stderr}");
            assert!(
                !stderr.contains("cannot connect") && !stdout.contains("ghost"),
                "{command} {case} contacted a host"
            );
        }
    }
    // A missing secret, with a valid playbook otherwise.
    let book = dir.path().join("no-secret.yml");
    std::fs::write(
        &book,
        "plays:\n  - name: p\n    hosts: pair\n    vars:\n      replication_password: { env: MMPROV_DRILL_UNSET }\n",
    )
    .expect("write");
    let (code, _, stderr) = run(&["apply", path(&book), "-i", path(&inventory), "--yes"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("MMPROV_DRILL_UNSET is not set"), "{stderr}");
    assert!(!stderr.contains("cannot connect"), "{stderr}");
    assert!(!lab.file_exists("h1", lab.config_path()));
}
