//! The local backend: commands run on this machine through `sh -c`, bounded by coreutils' `timeout`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use std::os::unix::net::UnixStream;

use super::{Finished, SocketStream, Transport, TransportError};

/// `timeout`'s exit status when the command ran out of time.
const TIMED_OUT: i32 = 124;

pub struct LocalTransport {
    host: String,
    command_timeout: Duration,
}

impl LocalTransport {
    pub fn new(host: &str, command_timeout: Duration) -> Self {
        Self {
            host: host.to_string(),
            command_timeout,
        }
    }

    fn io_err(&self, command: &str, source: std::io::Error) -> TransportError {
        TransportError::Io {
            host: self.host.clone(),
            command: command.to_string(),
            source,
        }
    }
}

impl Transport for LocalTransport {
    fn host(&self) -> &str {
        &self.host
    }

    fn open_socket(&mut self, path: &str) -> Result<Box<dyn SocketStream>, TransportError> {
        match UnixStream::connect(path) {
            Ok(stream) => Ok(Box::new(LocalSocket { stream, eof: false })),
            Err(e) => Err(TransportError::Socket {
                host: self.host.clone(),
                path: path.to_string(),
                detail: e.to_string(),
                refused: false,
            }),
        }
    }

    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> Result<Finished, TransportError> {
        let secs = self.command_timeout.as_secs().max(1).to_string();
        let mut child = Command::new("timeout")
            .args(["--kill-after=5", &secs, "sh", "-c", command])
            .env_clear()
            .envs(passed(std::env::vars_os()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.io_err(command, e))?;
        let (Some(mut child_in), Some(mut child_out), Some(mut child_err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(self.io_err(command, std::io::Error::other("child pipes missing")));
        };
        let copied = std::thread::scope(|scope| {
            scope.spawn(move || {
                // A command that exits without reading all its input is not an error here; its status says.
                let _ = std::io::copy(stdin, &mut child_in);
            });
            let errors = scope.spawn(move || {
                let mut buf = Vec::new();
                child_err.read_to_end(&mut buf).map(|_| buf)
            });
            let out = std::io::copy(&mut child_out, stdout);
            let err = errors
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("stderr reader panicked")));
            out.and(err)
        });
        let stderr = copied.map_err(|e| self.io_err(command, e))?;
        let status = child
            .wait()
            .map_err(|e| self.io_err(command, e))?
            .code()
            .unwrap_or(-1);
        if status == TIMED_OUT || status == 128 + 9 {
            return Err(TransportError::Timeout {
                host: self.host.clone(),
                command: command.to_string(),
                after: self.command_timeout,
            });
        }
        Ok(Finished { status, stderr })
    }
}

/// The variables a command on this machine gets: what a login shell would set, never mmprov's own (a
/// secret's variable, `MMPROV_REPL_PASSWORD`, lives in mmprov's environment and must not be handed on).
const PASSED_VARIABLES: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TZ", "TMPDIR",
];

fn passed(
    environment: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> impl Iterator<Item = (String, std::ffi::OsString)> {
    environment.filter_map(|(name, value)| {
        let name = name.into_string().ok()?;
        let passed = PASSED_VARIABLES.contains(&name.as_str()) || name.starts_with("LC_");
        passed.then_some((name, value))
    })
}

/// A Unix socket on this machine; a read of nothing means its other end closed.
struct LocalSocket {
    stream: UnixStream,
    eof: bool,
}

impl Read for LocalSocket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.stream.read(buf)?;
        self.eof |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

impl Write for LocalSocket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

impl SocketStream for LocalSocket {
    fn set_nonblocking(&mut self, nonblocking: bool) {
        // A unix socket always takes the mode; were it refused, the next read says so as an error.
        let _ = self.stream.set_nonblocking(nonblocking);
    }

    fn eof(&self) -> bool {
        self.eof
    }
}

#[cfg(test)]
mod tests {
    use super::passed;

    #[test]
    fn commands_get_a_login_environment_and_none_of_mmprovs_secrets() {
        let ours = [
            ("PATH", "/usr/bin"),
            ("MMPROV_REPL_PASSWORD", "s3cret"),
            ("DB_PASS", "x"),
            ("LC_ALL", "C.UTF-8"),
            ("SSH_AUTH_SOCK", "/tmp/agent"),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        let names: Vec<String> = passed(ours.into_iter()).map(|(k, _)| k).collect();
        assert_eq!(names, ["PATH", "LC_ALL"]);
    }
}
