//! Live pairs on the lab, with an application writing to both nodes: a change that needs restarts rolls one
//! node at a time, a gate that cannot pass stops the rollout, a node that crashes or reboots resumes
//! replicating by itself (GTID), and a file/position pair moves to GTID without losing a row.
//! See docs/rolling.md.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::lab::Lab;
use support::{path, serial};

const PASSWORD: &str = "live-pass'word";

support::run_with!(PASSWORD);

/// The lab pair as one replication play, with `play_lines` added at the play level and `vars` at the vars
/// level; each in a file of its own.
fn playbook(lab: &Lab, dir: &std::path::Path, play_lines: &str, vars: &str) -> std::path::PathBuf {
    let taken = std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let file = dir.join(format!("live-{taken}.yml"));
    let mut text = format!(
        "inventory: {}\nplays:\n  - name: live\n    hosts: pair\n{play_lines}    vars:\n      \
         replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n",
        lab.inventory_yaml().display()
    );
    for line in vars.lines() {
        text.push_str(&format!("      {line}\n"));
    }
    std::fs::write(&file, text).expect("write playbook");
    file
}

/// A converged pair (h1 seeded h2 with shop.orders), replicating both ways, and a second plan empty.
fn converged_pair(lab: &Lab, book: &std::path::Path) {
    lab.reset_server("h1");
    lab.reset_server("h2");
    lab.sql(
        "h1",
        "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50)); \
         INSERT INTO shop.orders (item) VALUES ('a'), ('b'), ('c')",
    );
    let (code, stdout, stderr) = run(&["apply", path(book), "--yes"]);
    assert_eq!(code, 0, "converges:\n{stdout}\n{stderr}");
    assert_no_changes(book);
}

fn assert_no_changes(book: &std::path::Path) {
    let (code, stdout, stderr) = run(&["plan", path(book), "--detailed-exitcode"]);
    assert_eq!(code, 0, "a second plan is empty:\n{stdout}\n{stderr}");
}

/// An application on a lab host: a loop on the host itself inserting a row every 50 ms through the local
/// socket, printing each attempt as `<unix ns> ok <id>` or `<unix ns> fail`. It stops when told, or after
/// two minutes whatever happens.
struct Writer {
    host: String,
    child: Child,
}

const WRITER: &str = r#"rm -f /tmp/writer.stop; end=$(( $(date +%s) + 120 ));
while [ ! -e /tmp/writer.stop ] && [ "$(date +%s)" -lt "$end" ]; do
  t=$(date +%s%N)
  if id=$(timeout 2 CLIENT --connect-timeout=1 -NBe "INSERT INTO shop.orders (item) VALUES ('w-$(hostname)'); SELECT LAST_INSERT_ID()" 2>/dev/null); then
    echo "$t ok $id"
  else
    echo "$t fail"
  fi
  sleep 0.05
done"#;

impl Writer {
    fn start(lab: &Lab, host: &str) -> Writer {
        let child = Command::new("ssh")
            .arg("-i")
            .arg(lab.key())
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                lab.known_hosts().display()
            ))
            .args(["-o", "BatchMode=yes", "-o", "LogLevel=ERROR"])
            .arg(format!("root@{}", lab.address(host)))
            .arg(WRITER.replace("CLIENT", lab.client()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh runs");
        Writer {
            host: host.to_string(),
            child,
        }
    }

    /// Stop the loop and read what it did: every attempt, in order.
    fn stop(mut self, lab: &Lab) -> Vec<Attempt> {
        // The host may have rebooted under the writer: then its ssh has ended already.
        let _ = lab.ssh(&self.host, "touch /tmp/writer.stop");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let stdout = self.child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| Attempt::parse(&line))
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Attempt {
    at_ns: u128,
    id: Option<u64>,
}

impl Attempt {
    fn parse(line: &str) -> Option<Attempt> {
        let mut words = line.split_whitespace();
        let at_ns = words.next()?.parse().ok()?;
        let id = match words.next()? {
            "ok" => Some(words.next()?.parse().ok()?),
            _ => None,
        };
        Some(Attempt { at_ns, id })
    }
}

/// The longest time, over both writers, during which no node acknowledged a write.
fn longest_outage(attempts: &[Attempt]) -> Duration {
    let mut acked: Vec<u128> = attempts
        .iter()
        .filter(|a| a.id.is_some())
        .map(|a| a.at_ns)
        .collect();
    acked.sort_unstable();
    let gap = acked.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    Duration::from_nanos(u64::try_from(gap).unwrap_or(u64::MAX))
}

/// Every acknowledged row is on both nodes, and the nodes hold the same rows.
fn assert_no_row_lost(lab: &Lab, attempts: &[Attempt]) {
    let acked: Vec<u64> = attempts.iter().filter_map(|a| a.id).collect();
    assert!(
        acked.len() > 20,
        "the writers wrote: {} rows acknowledged",
        acked.len()
    );
    let count = lab.sql("h1", "SELECT COUNT(*) FROM shop.orders");
    let same = lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", &count);
    assert_eq!(same, count, "both nodes hold as many rows");
    let checksum = |h: &str| lab.sql(h, "CHECKSUM TABLE shop.orders");
    assert_eq!(
        checksum("h1"),
        checksum("h2"),
        "both nodes hold the same rows"
    );
    let ids: std::collections::BTreeSet<u64> = lab
        .sql("h1", "SELECT id FROM shop.orders")
        .lines()
        .map(|l| l.trim().parse().expect("an id"))
        .collect();
    let lost: Vec<&u64> = acked.iter().filter(|id| !ids.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged rows lost: {lost:?}");
}

/// Both directions run (IO and SQL threads Yes) within `limit`; the time it took.
fn both_directions_run_within(lab: &Lab, limit: Duration) -> Duration {
    let started = Instant::now();
    let query = "SELECT 1"; // the client answers only once the server serves
    loop {
        let running = ["h1", "h2"].iter().all(|h| {
            let serves = lab
                .ssh(h, &format!("{} -NBe '{query}'", lab.client()))
                .status
                .success();
            serves && lab.replica_runs(h)
        });
        if running {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "both directions did not run again within {limit:?}:\nh1: {}\nh2: {}",
            lab.replica_summary("h1"),
            lab.replica_summary("h2")
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Wait until both nodes hold the same number of rows (replication has caught up after the writers).
fn settle(lab: &Lab) {
    let count = lab.sql("h1", "SELECT COUNT(*) FROM shop.orders");
    lab.wait_for("h2", "SELECT COUNT(*) FROM shop.orders", &count);
}

#[test]
fn drill_a_change_that_needs_restarts_rolls_through_a_live_pair_and_one_node_always_takes_writes() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path(), "", "");
    converged_pair(&lab, &book);
    let pids = (lab.mysqld_pid("h1"), lab.mysqld_pid("h2"));

    // A static setting, off by default on every family: both servers must restart to load it.
    let changed = playbook(&lab, dir.path(), "", "mysqld:\n  skip_name_resolve: \"ON\"");
    let (code, plan, stderr) = run(&["plan", path(&changed)]);
    assert_eq!(code, 0, "{plan}\n{stderr}");
    assert!(
        plan.contains("rolling restart (play \"live\", live: one node at a time, each behind its gate): h1, then h2"),
        "the plan shows the order:\n{plan}"
    );
    assert!(
        plan.contains("before the next batch, h1 serves SQL; h1 replicates from h2 again, both threads running and caught up; h2 replicates from h1 again"),
        "and each gate:\n{plan}"
    );

    let writers = [Writer::start(&lab, "h1"), Writer::start(&lab, "h2")];
    std::thread::sleep(Duration::from_secs(1));
    let (code, stdout, stderr) = run(&["apply", path(&changed), "--yes"]);
    std::thread::sleep(Duration::from_secs(1));
    let attempts: Vec<Attempt> = writers.into_iter().flat_map(|w| w.stop(&lab)).collect();
    assert_eq!(code, 0, "applies:\n{stdout}\n{stderr}");
    assert_ne!(
        (lab.mysqld_pid("h1"), lab.mysqld_pid("h2")).0,
        pids.0,
        "h1 restarted"
    );
    assert_ne!(lab.mysqld_pid("h2"), pids.1, "h2 restarted");
    let h1_gate = stdout.find("h1: gate passed").expect("h1's gate passed");
    let h2_restart = stdout.find("h2: restarting mysqld").expect("h2 restarted");
    assert!(
        h1_gate < h2_restart,
        "h2 went down only after h1's gate:\n{stdout}"
    );

    let outage = longest_outage(&attempts);
    let failed = attempts.iter().filter(|a| a.id.is_none()).count();
    eprintln!(
        "rolling change: {} writes acknowledged, {failed} refused, longest time without an acknowledged write {outage:?}",
        attempts.len() - failed
    );
    // The writers try every ~60 ms each: a gap of half a second means neither node took writes.
    assert!(
        outage < Duration::from_millis(500),
        "no node took writes for {outage:?}"
    );
    settle(&lab);
    assert_no_row_lost(&lab, &attempts);
    assert_no_changes(&changed);
}

#[test]
fn drill_a_crashed_node_and_a_rebooted_host_resume_replicating_without_mmprov() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path(), "", "");
    converged_pair(&lab, &book);

    // kill -9 of h2's mysqld, writers on both nodes; mysqld_safe starts it again.
    let writers = [Writer::start(&lab, "h1"), Writer::start(&lab, "h2")];
    std::thread::sleep(Duration::from_secs(1));
    let pid = lab.mysqld_pid("h2");
    lab.ssh_ok("h2", &format!("kill -9 {pid}"));
    let took = both_directions_run_within(&lab, Duration::from_secs(15));
    eprintln!("after kill -9: both directions ran again in {took:?}");
    std::thread::sleep(Duration::from_secs(1));
    let mut attempts: Vec<Attempt> = writers.into_iter().flat_map(|w| w.stop(&lab)).collect();
    settle(&lab);
    assert_no_row_lost(&lab, &attempts);

    // The whole of h2 power-cycled: every process killed at once, its network gone, booted again.
    let writers = [Writer::start(&lab, "h1"), Writer::start(&lab, "h2")];
    std::thread::sleep(Duration::from_secs(1));
    let rebooted = Command::new("bash")
        .arg(support::root().join("lab/lab.sh"))
        .args(["reboot", "h2"])
        .output()
        .expect("lab.sh runs");
    assert!(
        rebooted.status.success(),
        "reboot: {}",
        support::text(&rebooted.stderr)
    );
    let took = both_directions_run_within(&lab, Duration::from_secs(15));
    eprintln!("after the reboot: both directions ran again in {took:?}");
    std::thread::sleep(Duration::from_secs(1));
    attempts.extend(writers.into_iter().flat_map(|w| w.stop(&lab)));
    settle(&lab);
    assert_no_row_lost(&lab, &attempts);
    assert_no_changes(&book);
    let (code, status, stderr) = run(&["status", path(&book)]);
    assert_eq!(code, 0, "{status}\n{stderr}");
    assert!(
        status.contains("ok   h2 <- h1") && status.contains("GTID "),
        "both directions healthy, by GTID:\n{status}"
    );
}

#[test]
fn drill_a_mariadb_live_file_position_pair_moves_to_gtid_without_losing_a_row() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let file_position = playbook(&lab, dir.path(), "", "gtid: false");
    converged_pair(&lab, &file_position);
    let using = |h: &str| {
        lab.ssh_ok(
            h,
            "mariadb -e 'SHOW SLAVE STATUS\\G' | sed -n 's/^ *Using_Gtid: //p'",
        )
    };
    assert_eq!((using("h1"), using("h2")), ("No".into(), "No".into()));

    // The symptom GTID removes: a file/position replica (skip-slave-start) whose server restarts stays
    // stopped, without an error. Status says so, for how long, and the fix.
    lab.ssh_ok("h2", "service mariadb restart >/dev/null");
    std::thread::sleep(Duration::from_secs(2));
    let (code, status, _) = run(&["status", path(&file_position)]);
    assert_eq!(code, 1, "a stopped replica is broken:\n{status}");
    assert!(
        status.contains("FAIL h2 <- h1") && status.contains("file/position"),
        "{status}"
    );
    assert!(
        status.contains("stopped for "),
        "how long it has been stopped:\n{status}"
    );
    assert!(
        status.contains("stopped without an error") && status.contains("`mmprov apply` starts it"),
        "the cause and the fix:\n{status}"
    );

    let gtid = playbook(&lab, dir.path(), "", "");
    let (code, plan, stderr) = run(&["plan", path(&gtid)]);
    assert_eq!(code, 0, "{plan}\n{stderr}");
    assert!(
        plan.contains("~ h2: replicate from h1 by GTID, from the point it has applied")
            && plan.contains(
                "because it keeps a binary log file and position, which a crash can replay"
            ),
        "each switch is shown with its reason:\n{plan}"
    );
    assert!(
        plan.contains("0 restarts"),
        "the switch needs no restart:\n{plan}"
    );

    let writers = [Writer::start(&lab, "h1"), Writer::start(&lab, "h2")];
    std::thread::sleep(Duration::from_secs(1));
    let (code, stdout, stderr) = run(&["apply", path(&gtid), "--yes"]);
    std::thread::sleep(Duration::from_secs(1));
    let attempts: Vec<Attempt> = writers.into_iter().flat_map(|w| w.stop(&lab)).collect();
    assert_eq!(code, 0, "applies:\n{stdout}\n{stderr}");
    assert_eq!(
        (using("h1"), using("h2")),
        ("Slave_Pos".into(), "Slave_Pos".into())
    );
    settle(&lab);
    assert_no_row_lost(&lab, &attempts);
    assert_no_changes(&gtid);

    // And back, for those who need file/position: a switch of each replica, no restart.
    let pids = (lab.mysqld_pid("h1"), lab.mysqld_pid("h2"));
    let writers = [Writer::start(&lab, "h1"), Writer::start(&lab, "h2")];
    std::thread::sleep(Duration::from_secs(1));
    let (code, stdout, stderr) = run(&["apply", path(&file_position), "--yes"]);
    std::thread::sleep(Duration::from_secs(1));
    let attempts: Vec<Attempt> = writers.into_iter().flat_map(|w| w.stop(&lab)).collect();
    assert_eq!(code, 0, "applies:\n{stdout}\n{stderr}");
    assert_eq!((using("h1"), using("h2")), ("No".into(), "No".into()));
    assert_eq!(
        (lab.mysqld_pid("h1"), lab.mysqld_pid("h2")),
        pids,
        "skip-slave-start only decides what starts with the server: no restart"
    );
    settle(&lab);
    assert_no_row_lost(&lab, &attempts);
    assert_no_changes(&file_position);
}

#[test]
fn drill_a_gate_that_cannot_pass_stops_the_rollout_and_apply_completes_it_once_the_link_returns() {
    let _serial = serial();
    let lab = Lab::require(2);
    let dir = tempfile::tempdir().expect("tempdir");
    let book = playbook(&lab, dir.path(), "", "");
    converged_pair(&lab, &book);
    let h2_pid = lab.mysqld_pid("h2");

    // h1 and h2 cannot reach each other any more; the controller still reaches both.
    let cut = format!("ip route add blackhole {}/32", lab.address("h2"));
    lab.ssh_ok("h1", &cut);
    let changed = playbook(&lab, dir.path(), "", "mysqld:\n  skip_name_resolve: \"ON\"");
    let (code, stdout, stderr) = run(&["apply", path(&changed), "--yes", "--gate-timeout", "8"]);
    let restore = format!("ip route del blackhole {}/32", lab.address("h2"));
    lab.ssh_ok("h1", &restore);
    assert_eq!(code, 1, "the rollout stops:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("h1: the gate after its restart did not pass"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the rolling restart stopped at h1; not touched: h2"),
        "{stderr}"
    );
    assert_eq!(lab.mysqld_pid("h2"), h2_pid, "h2 was not restarted");
    assert_eq!(
        lab.sql("h2", "SELECT @@skip_name_resolve"),
        "0",
        "h2 still runs its old config"
    );

    let (code, stdout, stderr) = run(&["apply", path(&changed), "--yes"]);
    assert_eq!(
        code, 0,
        "completes once the link is back:\n{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("h1: restarting"),
        "h1 is done already:\n{stdout}"
    );
    assert_ne!(lab.mysqld_pid("h2"), h2_pid, "h2 restarted now");
    assert_eq!(lab.sql("h2", "SELECT @@skip_name_resolve"), "1");
    both_directions_run_within(&lab, Duration::from_secs(15));
    assert_no_changes(&changed);
}
