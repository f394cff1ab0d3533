//! The local backend: commands run on this machine through `sh -c`, bounded by coreutils' `timeout`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Finished, Transport, TransportError};

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

    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> Result<Finished, TransportError> {
        let secs = self.command_timeout.as_secs().max(1).to_string();
        let mut child = Command::new("timeout")
            .args(["--kill-after=5", &secs, "sh", "-c", command])
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
