//! The SSH backend (libssh2 through the `ssh2` crate): one session per host, owned by one worker thread.
//!
//! 1. TCP connect with a timeout; handshake offering only the host-key types known_hosts records.
//! 2. Host key checked against known_hosts (strict by default); an unknown or changed key names its fingerprint.
//! 3. Authenticate: the configured key file; else every identity of ssh-agent in turn (ssh2 alone tries only the
//!    first); else the user's default keys.
//! 4. An idle session sends keepalives from a thread of its own, so a server that drops silent clients
//!    (`ClientAliveInterval`) keeps it while mmprov waits: for a confirmation, or for another host.
//! 5. Commands run on a channel driven in non-blocking mode, so stdin, stdout and stderr all move at once: a
//!    command that fills stderr while mmprov feeds its stdin cannot deadlock. stdin is read on a thread of its
//!    own, so a source with nothing to give yet never stops the output from being drained. A command fails
//!    with a timeout after `command_timeout` without any progress (long transfers that keep moving are fine).
//!    Its end is waited for on the same non-blocking channel: a command may go on working after its output
//!    has ended.

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ssh2::{ErrorCode, Session};

use super::session::{Peer, SshSocket, millis, open_session};
use super::{Finished, SocketStream, Transport, TransportError};
use crate::model::Host;

const EAGAIN: i32 = -37;
const CHUNK: usize = 64 * 1024;

pub struct SshTransport {
    host: String,
    session: Session,
    command_timeout: Duration,
    /// Ends the session's keepalive thread when the transport goes.
    keepalive: Arc<AtomicBool>,
    /// What carries the session to the host through bastions or a proxy command; after the session, so
    /// the session ends first.
    _relays: Vec<super::route::Relay>,
}

impl Drop for SshTransport {
    fn drop(&mut self) {
        self.keepalive.store(false, Ordering::Relaxed);
    }
}

/// How often (seconds) an idle session tells the server it is still there: well inside what a strict sshd allows
/// (`ClientAliveInterval 3` with `ClientAliveCountMax 3` ends a silent client after about 10 s).
const KEEPALIVE_SECS: u32 = 1;

/// Keep the session alive while it waits (between a plan and its confirmation, while another host seeds):
/// libssh2 answers nothing unless called, so a thread sends a keepalive whenever the session was quiet for
/// [`KEEPALIVE_SECS`]. A failed send is left to the next real use of the session to report.
fn keep_alive(session: Session, host: &str) -> Arc<AtomicBool> {
    session.set_keepalive(false, KEEPALIVE_SECS);
    let running = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&running);
    let spawned = std::thread::Builder::new()
        .name(format!("keepalive {host}"))
        .spawn(move || {
            while flag.load(Ordering::Relaxed) {
                // A keepalive that fails is the dead connection the next command reports.
                let _ = session.keepalive_send();
                std::thread::sleep(Duration::from_millis(500));
            }
        });
    if let Err(e) = spawned {
        log::debug!("{host}: no keepalive thread ({e}); the session may time out while idle");
    }
    running
}

impl SshTransport {
    pub fn connect(host: &Host) -> Result<Self, TransportError> {
        let route = super::route::open(host)?;
        let target = Peer {
            label: host.name.clone(),
            address: &host.address,
            port: host.port,
            user: &host.user,
            key: host.key.as_deref(),
            strict: host.ssh.strict_host_key_checking,
        };
        let session = open_session(route.stream, &target, host)?;
        session.set_timeout(millis(host.ssh.command_timeout));
        let keepalive = keep_alive(session.clone(), &host.name);
        Ok(Self {
            host: host.name.clone(),
            session,
            command_timeout: host.ssh.command_timeout,
            keepalive,
            _relays: route.relays,
        })
    }

    fn io_err(&self, command: &str, source: std::io::Error) -> TransportError {
        TransportError::Io {
            host: self.host.clone(),
            command: command.to_string(),
            source,
        }
    }

    fn ssh_err(&self, stage: &'static str, source: ssh2::Error) -> TransportError {
        TransportError::Ssh {
            host: self.host.clone(),
            stage,
            source,
        }
    }
}

/// Progress of one read or write attempt on a non-blocking channel.
fn attempt<T>(r: std::io::Result<T>) -> std::io::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

impl Transport for SshTransport {
    fn host(&self) -> &str {
        &self.host
    }

    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> Result<Finished, TransportError> {
        self.session.set_blocking(true);
        let mut channel = self
            .session
            .channel_session()
            .map_err(|e| self.ssh_err("channel open", e))?;
        channel.exec(command).map_err(|e| self.ssh_err("exec", e))?;
        self.session.set_blocking(false);
        // stdin is read on its own thread: a source that has nothing yet (a pipe, a held lock) must never stop
        // this thread from draining the command's output.
        let pumped = std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel(4);
            scope.spawn(move || read_chunks(stdin, &tx));
            self.pump(&mut channel, command, rx, stdout)
        });
        let closed = pumped.and_then(|stderr| {
            self.wait_closed(&mut channel, command)?;
            Ok(stderr)
        });
        self.session.set_blocking(true);
        let stderr = closed?;
        stdout.flush().map_err(|e| self.io_err(command, e))?;
        let status = channel
            .exit_status()
            .map_err(|e| self.ssh_err("exit status", e))?;
        Ok(Finished { status, stderr })
    }

    fn open_socket(&mut self, path: &str) -> Result<Box<dyn SocketStream>, TransportError> {
        self.session.set_blocking(true);
        match self.session.channel_direct_streamlocal(path, None) {
            Ok(channel) => Ok(Box::new(SshSocket::new(self.session.clone(), channel))),
            Err(e) => {
                // sshd answers "administratively prohibited" when forwarding is off, "connect failed" when
                // nothing listens on the socket.
                let detail = e.message().to_string();
                Err(TransportError::Socket {
                    host: self.host.clone(),
                    path: path.to_string(),
                    refused: detail.contains("prohibited"),
                    detail,
                })
            }
        }
    }
}

impl SshTransport {
    /// Wait, on the non-blocking channel, until the command has ended and the server closed the channel. Its
    /// output may end long before it does (a daemon that sends its output to a log file); a blocking wait
    /// would give up at the first keepalive interval without news, so this one checks again, less and less
    /// often, until `command_timeout`.
    fn wait_closed(
        &self,
        channel: &mut ssh2::Channel,
        command: &str,
    ) -> Result<(), TransportError> {
        let started = Instant::now();
        let mut idle_wait = IDLE_WAIT_MIN;
        loop {
            match channel.wait_close() {
                Ok(()) => return Ok(()),
                Err(e) if e.code() == ErrorCode::Session(EAGAIN) => {}
                Err(e) => return Err(self.ssh_err("channel close", e)),
            }
            if started.elapsed() > self.command_timeout {
                return Err(TransportError::Timeout {
                    host: self.host.clone(),
                    command: command.to_string(),
                    after: self.command_timeout,
                });
            }
            std::thread::sleep(idle_wait);
            idle_wait = (idle_wait * 2).min(IDLE_WAIT_MAX);
        }
    }
}

/// Forward stdin in chunks; an empty chunk is the end. Stops when the receiver is gone.
fn read_chunks(stdin: &mut (dyn Read + Send), tx: &mpsc::SyncSender<std::io::Result<Vec<u8>>>) {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let chunk = match stdin.read(&mut buf) {
            Ok(n) => Ok(buf[..n].to_vec()),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => Err(e),
        };
        let last = !matches!(&chunk, Ok(c) if !c.is_empty());
        if tx.send(chunk).is_err() || last {
            return;
        }
    }
}

/// How long a session with nothing to move waits before looking again: from the first to the last, doubling.
const IDLE_WAIT_MIN: Duration = Duration::from_micros(100);
const IDLE_WAIT_MAX: Duration = Duration::from_millis(10);

impl SshTransport {
    /// Move stdin, stdout and stderr on a non-blocking channel until the command's output ends. The command
    /// fails with a timeout after `command_timeout` without any progress. Returns the command's stderr.
    fn pump(
        &mut self,
        channel: &mut ssh2::Channel,
        command: &str,
        input: mpsc::Receiver<std::io::Result<Vec<u8>>>,
        stdout: &mut (dyn Write + Send),
    ) -> Result<Vec<u8>, TransportError> {
        let mut last_progress = Instant::now();
        let mut stderr = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut sent = 0;
        let mut input_done = false;
        let mut eof_sent = false;
        let mut buf = vec![0u8; CHUNK];
        let mut idle_wait = IDLE_WAIT_MIN;
        loop {
            let mut progressed = false;
            if sent == pending.len() && !input_done {
                match input.try_recv() {
                    Ok(Ok(chunk)) => {
                        input_done = chunk.is_empty();
                        pending = chunk;
                        sent = 0;
                        progressed = true;
                    }
                    Ok(Err(e)) => return Err(self.io_err(command, e)),
                    Err(mpsc::TryRecvError::Empty) => {}
                    Err(mpsc::TryRecvError::Disconnected) => input_done = true,
                }
            }
            if sent < pending.len() {
                match attempt(channel.write(&pending[sent..])) {
                    Ok(Some(n)) => {
                        sent += n;
                        progressed = true;
                    }
                    Ok(None) => {}
                    // The command stopped reading its stdin (exited early): its status will say why.
                    Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                        pending.clear();
                        sent = 0;
                        input_done = true;
                    }
                    Err(e) => return Err(self.io_err(command, e)),
                }
            } else if input_done && !eof_sent {
                match channel.send_eof() {
                    Ok(()) => eof_sent = true,
                    Err(e) if e.code() == ErrorCode::Session(EAGAIN) => {}
                    Err(_) => eof_sent = true,
                }
            }
            match attempt(channel.read(&mut buf)) {
                Ok(Some(n)) if n > 0 => {
                    stdout
                        .write_all(&buf[..n])
                        .map_err(|e| self.io_err(command, e))?;
                    progressed = true;
                }
                Ok(_) => {}
                Err(e) => return Err(self.io_err(command, e)),
            }
            match attempt(channel.stderr().read(&mut buf)) {
                Ok(Some(n)) if n > 0 => {
                    stderr.extend_from_slice(&buf[..n]);
                    progressed = true;
                }
                Ok(_) => {}
                Err(e) => return Err(self.io_err(command, e)),
            }
            if progressed {
                last_progress = Instant::now();
                idle_wait = IDLE_WAIT_MIN;
            } else if channel.eof() {
                return Ok(stderr);
            } else if last_progress.elapsed() > self.command_timeout {
                return Err(TransportError::Timeout {
                    host: self.host.clone(),
                    command: command.to_string(),
                    after: self.command_timeout,
                });
            } else {
                // A command that is busy (a restart, a held lock) is checked less and less often, so many
                // idle sessions at once cost next to no CPU; any progress brings the wait back down.
                std::thread::sleep(idle_wait);
                idle_wait = (idle_wait * 2).min(IDLE_WAIT_MAX);
            }
        }
    }
}
