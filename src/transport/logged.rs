//! Every transport opened by [`super::connect`] is wrapped here, so `-vv` shows each remote command, how long
//! it took and how it ended, whatever the backend. Only a command's first line is logged: scripts are long,
//! and secrets never travel in command lines (they go on stdin, which is never logged).

use std::io::{Read, Write};
use std::time::Instant;

use super::{Finished, SocketStream, Transport, TransportError};

pub struct Logged<T> {
    inner: T,
}

impl<T: Transport> Logged<T> {
    pub fn new(inner: T) -> Self {
        Self { inner }
    }
}

impl<T: Transport> Transport for Logged<T> {
    fn host(&self) -> &str {
        self.inner.host()
    }

    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> Result<Finished, TransportError> {
        let started = Instant::now();
        let result = self.inner.run(command, stdin, stdout);
        if log::log_enabled!(log::Level::Debug) {
            let ms = started.elapsed().as_millis();
            let host = self.inner.host();
            let shown = first_line(command);
            match &result {
                // Never the stderr: a server refusing a statement may quote it, password included.
                Ok(f) => log::debug!("{host}: $ {shown} ({ms} ms, exit {})", f.status),
                Err(e) => log::debug!("{host}: $ {shown} ({ms} ms, failed: {e})"),
            }
        }
        result
    }

    fn open_socket(&mut self, path: &str) -> Result<Box<dyn SocketStream>, TransportError> {
        let started = Instant::now();
        let result = self.inner.open_socket(path);
        let (host, ms) = (self.inner.host(), started.elapsed().as_millis());
        match &result {
            Ok(_) => log::debug!("{host}: socket {path} opened ({ms} ms)"),
            Err(e) => log::debug!("{host}: socket {path} not opened ({ms} ms): {e}"),
        }
        result
    }
}

fn first_line(command: &str) -> String {
    let mut lines = command.trim_start().lines();
    let first = lines.next().unwrap_or("");
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::first_line;

    #[test]
    fn a_script_is_shown_by_its_first_line() {
        assert_eq!(
            first_line("cfg=/etc/x\nif true; then :; fi"),
            "cfg=/etc/x …"
        );
        assert_eq!(first_line("hostname"), "hostname");
    }
}
