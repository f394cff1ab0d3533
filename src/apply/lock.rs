//! One apply at a time per host. Each host's lock is a `flock` held on the host by a dedicated SSH session for
//! the whole apply, with a note of who holds it. It is released when the apply ends, and also when mmprov dies
//! or its connection drops (the session's processes end with it), so no stale lock is ever left behind.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use miette::Diagnostic;
use thiserror::Error;

use crate::model::Host;
use crate::shell::quote;
use crate::transport::{self, Transport, TransportError};

const LOCK_FILE: &str = "/run/lock/mmprov.lock";
const HOLDER_FILE: &str = "/run/lock/mmprov.holder";

#[derive(Debug, Error, Diagnostic)]
pub enum LockError {
    #[error("{host} is locked by another mmprov apply: {holder}")]
    #[diagnostic(
        code(mmprov::locked),
        help("wait for it to finish; the lock goes when that apply ends or its connection drops")
    )]
    Held { host: String, holder: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Transport(#[from] TransportError),

    #[error("{host}: the lock session ended unexpectedly")]
    #[diagnostic(code(mmprov::lock))]
    Lost { host: String },
}

/// A held lock; dropping it releases the lock.
pub struct HostLock {
    release: Option<std::io::PipeWriter>,
    /// Signals when the lock session has ended.
    ended: mpsc::Receiver<()>,
}

impl Drop for HostLock {
    fn drop(&mut self) {
        // Closing stdin ends the holder's `cat`, and with it the flock. If the host cannot be reached any more,
        // waiting is pointless: the host ends the session itself when the connection dies.
        drop(self.release.take());
        // Ended or not within the wait, the lock is being released: there is nothing else to do.
        let _ = self.ended.recv_timeout(Duration::from_secs(5));
    }
}

/// stdout of the lock session, line by line, to the thread waiting for the answer.
struct Lines(mpsc::Sender<Vec<u8>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A reader that stopped listening has its answer already (it saw `locked` or `busy`).
        let _ = self.0.send(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Who is applying, as other users will be told: `user@machine, pid N`.
pub fn holder() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let machine = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    format!("{user}@{machine}, pid {}", std::process::id())
}

/// How long a lock session may sit without traffic: the whole apply.
const HELD_FOR_AT_MOST: Duration = Duration::from_secs(7 * 24 * 3600);

/// Take the host's lock, waiting up to `wait` for another apply to release it.
pub fn acquire(host: &Host, holder: &str, wait: Duration) -> Result<HostLock, LockError> {
    let mut host = host.clone();
    host.ssh.command_timeout = HELD_FOR_AT_MOST;
    acquire_over(transport::connect(&host)?, holder, wait)
}

/// Take the lock over a session of its own, `t`, which holds it until the lock is dropped.
pub fn acquire_over(
    mut t: Box<dyn Transport>,
    holder: &str,
    wait: Duration,
) -> Result<HostLock, LockError> {
    let name = t.host().to_string();
    let script = format!(
        "mkdir -p /run/lock; exec 9>>{lock}; if flock -w {secs} 9; then \
         printf '%s since %s\\n' {holder} \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\" > {note}; echo locked; cat >/dev/null; \
         rm -f {note}; else echo busy; cat {note} 2>/dev/null; fi",
        lock = quote(LOCK_FILE),
        note = quote(HOLDER_FILE),
        holder = quote(holder),
        secs = wait.as_secs()
    );
    let (reader, writer) = std::io::pipe().map_err(|source| TransportError::Io {
        host: name.clone(),
        command: "lock".into(),
        source,
    })?;
    let (tx, rx) = mpsc::channel();
    let (ended_tx, ended) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = reader;
        // How the holder's session ended is read from what it printed (`locked`, `busy`), not from here.
        let _ = t.run(&script, &mut stdin, &mut Lines(tx));
        // Nobody waiting for the end any more is no failure.
        let _ = ended_tx.send(());
    });
    let mut lock = HostLock {
        release: Some(writer),
        ended,
    };
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(wait + Duration::from_secs(60)) {
            Ok(bytes) => seen.extend(bytes),
            Err(_) => {
                return Err(LockError::Lost { host: name });
            }
        }
        let text = String::from_utf8_lossy(&seen).to_string();
        if text.starts_with("locked\n") {
            return Ok(lock);
        }
        if text.starts_with("busy\n") {
            // The session ends by itself; collect the holder's note.
            drop(lock.release.take());
            // The note is collected from what arrived, whether the session ended within the wait or not.
            let _ = lock.ended.recv_timeout(Duration::from_secs(10));
            while let Ok(bytes) = rx.try_recv() {
                seen.extend(bytes);
            }
            let text = String::from_utf8_lossy(&seen).to_string();
            let holder = text.trim_start_matches("busy\n").trim();
            let holder = if holder.is_empty() {
                "(unknown holder)"
            } else {
                holder
            };
            return Err(LockError::Held {
                host: name,
                holder: holder.to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{LockError, acquire_over};
    use crate::fake::FakeHost;

    #[test]
    fn a_host_locked_by_another_apply_is_refused_naming_the_holder() {
        let host = FakeHost::new("h1");
        host.state().lock_holder = Some("alice@ops1, pid 42 since 2026-11-29T10:00:00Z".into());
        let refused = acquire_over(Box::new(host.clone()), "bob@ops2, pid 7", Duration::ZERO)
            .map(drop)
            .expect_err("held");
        assert!(
            matches!(&refused, LockError::Held { host, holder } if host == "h1" && holder.starts_with("alice@ops1")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_free_lock_is_held_until_dropped() {
        let host = FakeHost::new("h1");
        let lock =
            acquire_over(Box::new(host.clone()), "bob@ops2, pid 7", Duration::ZERO).expect("free");
        assert_eq!(host.state().lock_holder.as_deref(), Some("bob@ops2, pid 7"));
        drop(lock);
        assert_eq!(host.state().lock_holder, None, "released when dropped");
    }
}
