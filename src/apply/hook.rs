//! Running a hook: an operator's command, on the controller, bounded by a timeout. It owns the command's
//! environment: the run's `MMPROV_*` facts (the writers, their addresses, the play) and a few of the
//! controller's own variables a command needs to work (`PATH`, `HOME`, the SSH agent); nothing else of
//! mmprov's environment reaches it, so no secret does. Never prints: what the command said comes back in
//! the error when it fails.
//!
//! 1. `sh -c COMMAND`, stdin empty, stdout and stderr read by two threads (so a chatty command never blocks);
//! 2. waited for until `timeout`, then killed with everything it started (its own process group);
//! 3. success is exit status 0.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The controller's variables a hook keeps: where commands are, who and where the user is, the SSH agent.
const KEPT: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "SSH_AUTH_SOCK",
];

/// How many characters of its output a failing hook's error quotes (its end).
const QUOTED: usize = 2000;

/// Run `command` with `env` added; `Err` says how it failed, with the end of what it printed.
pub fn run_hook(command: &str, env: &[(String, String)], timeout: Duration) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env_clear()
        .envs(
            KEPT.iter()
                .filter_map(|k| std::env::var(k).ok().map(|v| (*k, v))),
        )
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout stops whatever it started too.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("`sh -c` could not be started: {e}"))?;
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut stream| {
        std::thread::spawn(move || {
            let mut text = String::new();
            // What could not be read is left out of the quote; the exit status decides.
            let _ = stream.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() > deadline => {
                // Already ended between the look and the kill: the wait below says how.
                let group = format!("-{}", child.id());
                let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for it failed: {e}")),
        }
    };
    let said: String = readers
        .into_iter()
        .filter_map(|r| r.join().ok())
        .collect::<Vec<_>>()
        .join("");
    let tail = tail(said.trim());
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(format!("it exited with {s}{tail}")),
        None => Err(format!(
            "it ran past its timeout ({} s) and was stopped{tail}",
            timeout.as_secs()
        )),
    }
}

/// The end of a command's output, as an error quotes it.
fn tail(said: &str) -> String {
    if said.is_empty() {
        return String::new();
    }
    let skip = said.chars().count().saturating_sub(QUOTED);
    let end: String = said.chars().skip(skip).collect();
    format!("; it said:\n{end}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_sees_its_variables_and_nothing_else_of_the_controller() {
        let env = vec![("MMPROV_NEW_WRITER".to_string(), "h1".to_string())];
        let check = "test \"$MMPROV_NEW_WRITER\" = h1 && test -z \"${CARGO_PKG_NAME:-}\" && test -n \"$PATH\"";
        assert_eq!(run_hook(check, &env, Duration::from_secs(10)), Ok(()));
    }

    #[test]
    fn a_failing_hook_says_its_status_and_what_it_printed() {
        let failed = run_hook("echo nope >&2; exit 3", &[], Duration::from_secs(10))
            .expect_err("exit 3 fails");
        assert!(failed.contains("3") && failed.contains("nope"), "{failed}");
    }

    #[test]
    fn a_hook_past_its_timeout_is_stopped() {
        let started = Instant::now();
        let failed = run_hook("sleep 5", &[], Duration::from_millis(200)).expect_err("too slow");
        assert!(failed.contains("timeout"), "{failed}");
        assert!(started.elapsed() < Duration::from_secs(4));
    }
}
