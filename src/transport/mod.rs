//! Running commands and moving files on a host: the seam between mmprov and the machines it manages.
//!
//! A [`Transport`] is owned by one worker for one host (an SSH session is not shared between threads). Its one
//! required operation streams a command's stdin/stdout so large transfers (a dump piped from host to host)
//! never sit in memory; buffered exec and the file operations are built on it, the same for every backend.
//!
//! 1. [`SshTransport`]: ssh2, strict host-key checking against known_hosts, agent or key-file auth, timeouts on
//!    connect and on every command.
//! 2. [`LocalTransport`]: this machine, through `sh -c`, for `connection: local` hosts.
//! 3. [`Sudo`]: either of them with every command run as another user (Ansible's become).
//!
//! Secrets never travel in command lines (they would show in process lists and errors): callers pass them on
//! stdin.

mod error;
mod known_hosts;
mod local;
mod logged;
mod relay;
mod route;
mod session;
mod ssh;
mod sudo;

pub use error::TransportError;
pub use local::LocalTransport;
pub use relay::pump;
pub use ssh::SshTransport;
pub use sudo::Sudo;

use std::io::{Read, Write};

use crate::model::{Connection, Host};
use crate::shell::quote;
use logged::Logged;

/// How a finished command ended. Its stdout went to the caller's writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub status: i32,
    pub stderr: Vec<u8>,
}

/// A finished command with its stdout collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == 0
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Ownership and permissions of a file mmprov writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileAttrs {
    pub mode: u32,
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl Default for FileAttrs {
    fn default() -> Self {
        Self {
            mode: 0o644,
            owner: None,
            group: None,
        }
    }
}

/// A byte stream to a Unix socket on a host, for protocols mmprov speaks itself (SQL). It is driven in
/// non-blocking mode by whoever moves its bytes, and put back to blocking mode when they are done.
pub trait SocketStream: Read + Write + Send {
    fn set_nonblocking(&mut self, nonblocking: bool);

    /// Whether the host's end has closed the stream (a read of nothing is not enough to tell).
    fn eof(&self) -> bool;
}

/// Exit code the file helpers use for "no such file"; chosen outside the range shells and coreutils use.
const MISSING: i32 = 66;

pub trait Transport: Send {
    /// The inventory name of the host this transport reaches.
    fn host(&self) -> &str;

    /// Run `command` with a POSIX shell on the host, streaming `stdin` to it and its stdout to `stdout`.
    /// Returns when the command has ended and `stdin` has reached its end (or could not be delivered), so a
    /// caller feeding stdin from a pipe closes its end when it has nothing more to give.
    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> Result<Finished, TransportError>;

    /// A stream to the Unix socket at `path` on the host (over SSH: a direct-streamlocal channel in the session
    /// the transport already holds). Transports that cannot forward say so with [`TransportError::Socket`].
    fn open_socket(&mut self, path: &str) -> Result<Box<dyn SocketStream>, TransportError> {
        Err(TransportError::Socket {
            host: self.host().to_string(),
            path: path.to_string(),
            detail: "this kind of connection does not forward sockets".into(),
            refused: true,
        })
    }

    /// Run `command` with `input` on stdin and collect its output.
    fn exec_with_input(&mut self, command: &str, input: &[u8]) -> Result<Output, TransportError> {
        let mut stdout = Vec::new();
        let mut stdin = input;
        let finished = self.run(command, &mut stdin, &mut stdout)?;
        Ok(Output {
            status: finished.status,
            stdout,
            stderr: finished.stderr,
        })
    }

    fn exec(&mut self, command: &str) -> Result<Output, TransportError> {
        self.exec_with_input(command, &[])
    }

    /// Run `command` and fail unless it exits 0, with its stderr in the error.
    fn check(&mut self, command: &str, input: &[u8]) -> Result<Output, TransportError> {
        let out = self.exec_with_input(command, input)?;
        if out.success() {
            Ok(out)
        } else {
            Err(TransportError::CommandFailed {
                host: self.host().to_string(),
                command: command.to_string(),
                status: out.status,
                stderr: out.stderr_text().trim_end().to_string(),
            })
        }
    }

    /// A file's content, or `None` when there is no such file.
    fn read_file(&mut self, path: &str) -> Result<Option<Vec<u8>>, TransportError> {
        let p = quote(path);
        let out = self.exec(&format!("[ -e {p} ] || exit {MISSING}; cat -- {p}"))?;
        match out.status {
            0 => Ok(Some(out.stdout)),
            MISSING => Ok(None),
            status => Err(TransportError::CommandFailed {
                host: self.host().to_string(),
                command: format!("read {path}"),
                status,
                stderr: out.stderr_text().trim_end().to_string(),
            }),
        }
    }

    /// Replace a file atomically: write a temporary file beside it, set mode and owner, flush it to disk, then
    /// rename it over the target. Readers see the old or the new content, never a mix; a failure leaves the
    /// old file as it was and no temporary file behind.
    fn write_file(
        &mut self,
        path: &str,
        contents: &[u8],
        attrs: &FileAttrs,
    ) -> Result<(), TransportError> {
        let (dir, name) = path.rsplit_once('/').unwrap_or((".", path));
        let dir = if dir.is_empty() { "/" } else { dir };
        let tmp = quote(&format!("{dir}/.{name}.mmprov-tmp-"));
        let mut script =
            format!("set -e; umask 077; tmp={tmp}$$; trap 'rm -f \"$tmp\"' EXIT; cat > \"$tmp\"; ");
        script.push_str(&format!("chmod {:o} \"$tmp\"; ", attrs.mode));
        match (&attrs.owner, &attrs.group) {
            (Some(o), Some(g)) => {
                script.push_str(&format!("chown {}:{} \"$tmp\"; ", quote(o), quote(g)))
            }
            (Some(o), None) => script.push_str(&format!("chown {} \"$tmp\"; ", quote(o))),
            (None, Some(g)) => script.push_str(&format!("chgrp {} \"$tmp\"; ", quote(g))),
            (None, None) => {}
        }
        script.push_str(&format!(
            "sync \"$tmp\" 2>/dev/null || true; mv -f \"$tmp\" {}",
            quote(path)
        ));
        self.check(&script, contents)
            .map(drop)
            .map_err(|e| match e {
                TransportError::CommandFailed {
                    host,
                    status,
                    stderr,
                    ..
                } => TransportError::CommandFailed {
                    host,
                    command: format!("write {path}"),
                    status,
                    stderr,
                },
                other => other,
            })
    }
}

/// Open the transport a host's inventory entry asks for.
pub fn connect(host: &Host) -> Result<Box<dyn Transport>, TransportError> {
    let started = std::time::Instant::now();
    let transport: Box<dyn Transport> = match (host.connection, &host.run_as) {
        (Connection::Ssh, None) => Box::new(Logged::new(SshTransport::connect(host)?)),
        (Connection::Ssh, Some(run_as)) => Box::new(Logged::new(Sudo::new(
            SshTransport::connect(host)?,
            run_as,
        )?)),
        (Connection::Local, None) => Box::new(Logged::new(local(host))),
        (Connection::Local, Some(run_as)) => Box::new(Logged::new(Sudo::new(local(host), run_as)?)),
    };
    let become_note = host
        .run_as
        .as_ref()
        .map(|b| format!(", becoming {} with sudo", b.user))
        .unwrap_or_default();
    let route_note = match (&host.ssh.proxy_command, host.ssh.jump.as_slice()) {
        (_, _) if host.connection == Connection::Local => String::new(),
        (Some(_), _) => " through its proxy command".to_string(),
        (None, []) => String::new(),
        (None, jumps) => format!(
            " through {}",
            jumps
                .iter()
                .map(|j| format!("{}:{}", j.address, j.port.unwrap_or(22)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    log::info!(
        "{}: connected to {}@{}:{}{route_note}{become_note} in {} ms",
        host.name,
        host.user,
        host.address,
        host.port,
        started.elapsed().as_millis()
    );
    Ok(transport)
}

fn local(host: &Host) -> LocalTransport {
    LocalTransport::new(&host.name, host.ssh.command_timeout)
}
