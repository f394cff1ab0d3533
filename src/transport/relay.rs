//! Moving bytes both ways between a local Unix socket and a stream the transport holds (an SSH channel):
//! how the SQL protocol reaches a server's socket, and how a session reaches its host through a bastion.
//! One thread drives both directions in non-blocking mode, since an SSH session cannot be read on one
//! thread while another writes to it.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::SocketStream;

/// How long the relay waits, when nothing moved, before looking again: from the first to the last, doubling.
const IDLE_WAIT_MIN: Duration = Duration::from_micros(20);
const IDLE_WAIT_MAX: Duration = Duration::from_millis(5);
const CHUNK: usize = 64 * 1024;

/// Move bytes both ways between the local socket and the remote stream until `done` says the work is over
/// and nothing is left to deliver. The remote end closing is an error: the server went away.
pub fn pump(
    remote: &mut dyn SocketStream,
    local: &UnixStream,
    done: impl Fn() -> bool,
) -> std::io::Result<()> {
    let mut local = local;
    local.set_nonblocking(true)?;
    remote.set_nonblocking(true);
    let moved = pump_nonblocking(remote, &mut local, done);
    remote.set_nonblocking(false);
    moved
}

fn pump_nonblocking(
    remote: &mut dyn SocketStream,
    local: &mut &UnixStream,
    done: impl Fn() -> bool,
) -> std::io::Result<()> {
    let mut up = Pending::default();
    let mut down = Pending::default();
    let mut buf = vec![0u8; CHUNK];
    let mut idle_wait = IDLE_WAIT_MIN;
    loop {
        let finished = done();
        let mut progressed = up.fill(local, &mut buf)? | down.fill(remote, &mut buf)?;
        progressed |= up.drain(remote)? | down.drain(local)?;
        if finished && up.is_empty() && down.is_empty() {
            return Ok(());
        }
        if !progressed && remote.eof() {
            return Err(std::io::Error::new(
                ErrorKind::ConnectionAborted,
                "the server closed the connection",
            ));
        }
        if progressed {
            idle_wait = IDLE_WAIT_MIN;
        } else {
            std::thread::sleep(idle_wait);
            idle_wait = (idle_wait * 2).min(IDLE_WAIT_MAX);
        }
    }
}

/// Bytes read from one side and not yet written to the other.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    sent: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.sent == self.bytes.len()
    }

    /// Read what the source has, if everything before it was delivered.
    fn fill<R: Read + ?Sized>(&mut self, from: &mut R, buf: &mut [u8]) -> std::io::Result<bool> {
        if !self.is_empty() {
            return Ok(false);
        }
        match from.read(buf) {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.bytes.clear();
                self.bytes.extend_from_slice(&buf[..n]);
                self.sent = 0;
                Ok(true)
            }
            Err(e) if would_block(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Write what is pending, as far as the destination takes it.
    fn drain<W: Write + ?Sized>(&mut self, to: &mut W) -> std::io::Result<bool> {
        if self.is_empty() {
            return Ok(false);
        }
        match to.write(&self.bytes[self.sent..]) {
            Ok(n) => {
                self.sent += n;
                Ok(n > 0)
            }
            Err(e) if would_block(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn would_block(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
}
