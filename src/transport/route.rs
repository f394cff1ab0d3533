//! How an SSH session reaches its host, as OpenSSH would: straight over TCP; through ProxyJump bastions,
//! each an SSH session of mmprov's own (host key checked strictly against the same known_hosts, the same
//! keys offered) whose forwarding channel carries the next hop; or over a ProxyCommand's stdin and stdout.
//!
//! libssh2 needs a file descriptor under a session, so a hop through a bastion ends in one end of a local
//! socket pair; a relay thread moves bytes between the other end and the bastion's channel, and a proxy
//! command gets the other end as its stdin and stdout. A [`Relay`] lives as long as the session it carries.

use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::TransportError;
use super::session::{Peer, SshSocket, open_session};
use crate::model::Host;
use crate::shell::quote;

/// The stream a session runs over, and what keeps it open.
pub struct Route {
    pub stream: Stream,
    pub relays: Vec<Relay>,
}

pub enum Stream {
    Tcp(TcpStream),
    Relayed(UnixStream),
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Relayed(s) => s.as_raw_fd(),
        }
    }
}

/// A bastion's session and the thread relaying its channel, or a proxy command: stopped when dropped.
pub struct Relay {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    child: Option<Child>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // A relay thread that panicked has nothing left to relay: the route is being dropped.
            let _ = thread.join();
        }
        if let Some(child) = &mut self.child {
            // A proxy command that already ended cannot be killed; the wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Open the way to `host`: through its proxy command, its bastions, or directly.
pub fn open(host: &Host) -> Result<Route, TransportError> {
    if let Some(command) = &host.ssh.proxy_command {
        return proxy_command(host, command);
    }
    let mut hops = host.ssh.jump.iter();
    let Some(first) = hops.next() else {
        let tcp = tcp_connect(host, &host.name, &host.address, host.port)?;
        return Ok(Route {
            stream: Stream::Tcp(tcp),
            relays: Vec::new(),
        });
    };
    let label = |address: &str| format!("{} (bastion {address})", host.name);
    let mut stream = Stream::Tcp(tcp_connect(
        host,
        &label(&first.address),
        &first.address,
        first.port.unwrap_or(22),
    )?);
    let mut relays = Vec::new();
    let mut bastion = first;
    loop {
        let next = hops.next();
        let (to_address, to_port) = match next {
            Some(jump) => (jump.address.as_str(), jump.port.unwrap_or(22)),
            None => (host.address.as_str(), host.port),
        };
        let peer = Peer {
            label: label(&bastion.address),
            address: &bastion.address,
            port: bastion.port.unwrap_or(22),
            user: bastion.user.as_deref().unwrap_or(&host.user),
            key: bastion.key.as_deref().or(host.key.as_deref()),
            // A bastion is always checked: relaxing checks is for the host it leads to, when asked.
            strict: true,
        };
        let session = open_session(stream, &peer, host)?;
        let (ours, relay) = through(session, &peer.label, to_address, to_port)?;
        relays.push(relay);
        stream = Stream::Relayed(ours);
        match next {
            Some(jump) => bastion = jump,
            None => return Ok(Route { stream, relays }),
        }
    }
}

fn tcp_connect(
    host: &Host,
    label: &str,
    address: &str,
    port: u16,
) -> Result<TcpStream, TransportError> {
    let shown = format!("{address}:{port}");
    let connect_err = |source| TransportError::Connect {
        host: label.to_string(),
        address: shown.clone(),
        source,
    };
    let socket = (address, port)
        .to_socket_addrs()
        .map_err(connect_err)?
        .next()
        .ok_or_else(|| {
            connect_err(std::io::Error::new(
                ErrorKind::NotFound,
                "address did not resolve",
            ))
        })?;
    let tcp = TcpStream::connect_timeout(&socket, host.ssh.connect_timeout).map_err(connect_err)?;
    tcp.set_nodelay(true).map_err(connect_err)?;
    Ok(tcp)
}

/// A channel from the bastion's session to `address:port`, relayed to a local socket whose other end is
/// returned.
fn through(
    session: ssh2::Session,
    label: &str,
    address: &str,
    port: u16,
) -> Result<(UnixStream, Relay), TransportError> {
    let channel = session
        .channel_direct_tcpip(address, port, None)
        .map_err(|source| TransportError::Ssh {
            host: label.to_string(),
            stage: "forwarding to the next hop",
            source,
        })?;
    let (ours, theirs) = UnixStream::pair().map_err(|source| io_err(label, source))?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let name = label.to_string();
    let thread = std::thread::Builder::new()
        .name(format!("relay {label}"))
        .spawn(move || {
            let mut channel = SshSocket::new(session, channel);
            if let Err(e) = super::pump(&mut channel, &theirs, || flag.load(Ordering::Relaxed)) {
                log::debug!("{name}: relay ended: {e}");
            }
        })
        .map_err(|source| io_err(label, source))?;
    Ok((
        ours,
        Relay {
            stop,
            thread: Some(thread),
            child: None,
        },
    ))
}

/// OpenSSH's ProxyCommand: `%h`, `%p`, `%r`, `%n` and `%%` replaced (each value quoted for the shell), run
/// with `sh -c`, its stdin and stdout the session's stream. It gets only the environment an ssh client
/// needs, so no secret handed to mmprov through its environment reaches it.
fn proxy_command(host: &Host, template: &str) -> Result<Route, TransportError> {
    let label = format!("{} (proxy command)", host.name);
    let command = expand_tokens(template, host);
    let (ours, theirs) = UnixStream::pair().map_err(|source| io_err(&label, source))?;
    let stdin: OwnedFd = theirs
        .try_clone()
        .map_err(|source| io_err(&label, source))?
        .into();
    let stdout: OwnedFd = theirs.into();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("exec {command}"))
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::inherit())
        .env_clear();
    for (key, value) in std::env::vars_os() {
        if key
            .to_str()
            .is_some_and(|k| PROXY_ENV.contains(&k) || k.starts_with("LC_"))
        {
            cmd.env(key, value);
        }
    }
    let child = cmd.spawn().map_err(|source| TransportError::Connect {
        host: label.clone(),
        address: command.clone(),
        source,
    })?;
    Ok(Route {
        stream: Stream::Relayed(ours),
        relays: vec![Relay {
            stop: Arc::new(AtomicBool::new(true)),
            thread: None,
            child: Some(child),
        }],
    })
}

/// What a proxy command (an `ssh -W`, a `nc`) may need from mmprov's environment.
const PROXY_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SSH_AUTH_SOCK",
    "LANG",
    "TERM",
];

fn expand_tokens(template: &str, host: &Host) -> String {
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(&quote(&host.address)),
            Some('p') => out.push_str(&host.port.to_string()),
            Some('r') => out.push_str(&quote(&host.user)),
            Some('n') => out.push_str(&quote(&host.name)),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

fn io_err(label: &str, source: std::io::Error) -> TransportError {
    TransportError::Io {
        host: label.to_string(),
        command: "relay".into(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_command_tokens_are_replaced_with_quoted_values() {
        let host = Host {
            name: "db1".into(),
            address: "10.0.0.5".into(),
            port: 2222,
            user: "o'neil".into(),
            key: None,
            connection: crate::model::Connection::Ssh,
            ssh: Default::default(),
            run_as: None,
            server_id: None,
            auto_increment_offset: None,
            service: Default::default(),
            mysqld: Default::default(),
            declared_at: crate::model::Span {
                file: crate::model::FileId(0),
                offset: 0,
                len: 0,
            },
        };
        assert_eq!(
            expand_tokens("ssh -W %h:%p -l %r bastion # 100%% %n %x", &host),
            "ssh -W 10.0.0.5:2222 -l 'o'\\''neil' bastion # 100% db1 %x"
        );
    }
}
