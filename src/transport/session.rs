//! An SSH session to one peer (the target, or a bastion on the way to it), and a forwarding channel of one.
//! Both the SSH backend (`ssh.rs`) and the routes through bastions (`route.rs`) open sessions here, so
//! neither reaches into the other.
//!
//! 1. Handshake offering only the host-key types known_hosts records for the peer.
//! 2. Host key checked against known_hosts (strict by default); an unknown or changed key names its fingerprint.
//! 3. Authenticate: the configured key file; else every identity of ssh-agent in turn (ssh2 alone tries only the
//!    first); else the user's default keys.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use ssh2::{MethodType, Session};

use super::known_hosts;
use super::{SocketStream, TransportError};
use crate::model::Host;

/// The end of a session: the target, or a bastion on the way to it.
pub(super) struct Peer<'a> {
    /// How errors name it: the host, or the bastion with the host it leads to.
    pub label: String,
    pub address: &'a str,
    pub port: u16,
    pub user: &'a str,
    /// The key to offer; the agent and the default keys when `None`.
    pub key: Option<&'a std::path::Path>,
    pub strict: bool,
}

/// An SSH session over `stream`: handshake offering the host-key types known_hosts records for the peer,
/// the key checked against known_hosts, then authentication with the host's key, agent or default keys.
pub(super) fn open_session(
    stream: impl std::os::fd::AsRawFd + 'static,
    peer: &Peer,
    host: &Host,
) -> Result<Session, TransportError> {
    let ssh_err = |stage| {
        move |source| TransportError::Ssh {
            host: peer.label.clone(),
            stage,
            source,
        }
    };
    let mut session = Session::new().map_err(ssh_err("session setup"))?;
    session.set_tcp_stream(stream);
    session.set_timeout(millis(host.ssh.connect_timeout));
    let known_hosts: PathBuf = host
        .ssh
        .known_hosts
        .clone()
        .unwrap_or_else(known_hosts::default_file);
    if let Some(algorithms) = known_hosts::pinned_algorithms(&known_hosts, peer.address, peer.port)
    {
        session
            .method_pref(MethodType::HostKey, &algorithms)
            .map_err(ssh_err("host key preference"))?;
    }
    session.handshake().map_err(ssh_err("handshake"))?;
    known_hosts::verify(
        &session,
        &peer.label,
        peer.address,
        peer.port,
        &known_hosts,
        peer.strict,
    )?;
    authenticate(&session, &peer.label, peer.user, peer.key)?;
    Ok(session)
}

pub(super) fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

fn authenticate(
    session: &Session,
    label: &str,
    user: &str,
    key: Option<&std::path::Path>,
) -> Result<(), TransportError> {
    let mut tried = Vec::new();
    if let Some(key) = key {
        tried.push(format!("key {}", key.display()));
        if session.userauth_pubkey_file(user, None, key, None).is_ok() {
            return Ok(());
        }
    } else {
        if std::env::var_os("SSH_AUTH_SOCK").is_some() {
            tried.push("ssh-agent".into());
            if agent_auth(session, user) {
                return Ok(());
            }
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/root"));
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let key = home.join(".ssh").join(name);
            if key.is_file() {
                tried.push(format!("key {}", key.display()));
                if session.userauth_pubkey_file(user, None, &key, None).is_ok() {
                    return Ok(());
                }
            }
        }
    }
    if tried.is_empty() {
        tried.push("no key file, no agent, no default key".into());
    }
    Err(TransportError::Auth {
        host: label.to_string(),
        user: user.to_string(),
        tried: tried.join(", "),
    })
}

fn agent_auth(session: &Session, user: &str) -> bool {
    let Ok(mut agent) = session.agent() else {
        return false;
    };
    if agent.connect().is_err() || agent.list_identities().is_err() {
        return false;
    }
    let identities = agent.identities().unwrap_or_default();
    let ok = identities
        .iter()
        .any(|identity| agent.userauth(user, identity).is_ok());
    // The answer is `ok`; a connection to the agent that does not close cleanly changes nothing.
    let _ = agent.disconnect();
    ok
}

/// A forwarding channel (direct-streamlocal to a socket, direct-tcpip to a host) with its session, whose
/// blocking mode is the channel's.
pub(super) struct SshSocket {
    session: Session,
    channel: ssh2::Channel,
}

impl SshSocket {
    pub(super) fn new(session: Session, channel: ssh2::Channel) -> Self {
        Self { session, channel }
    }
}

impl Read for SshSocket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.channel.read(buf)
    }
}

impl Write for SshSocket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.channel.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.channel.flush()
    }
}

impl SocketStream for SshSocket {
    fn set_nonblocking(&mut self, nonblocking: bool) {
        self.session.set_blocking(!nonblocking);
    }

    fn eof(&self) -> bool {
        self.channel.eof()
    }
}
