//! What can go wrong reaching a host or running something on it; every variant names the host.

use std::path::PathBuf;
use std::time::Duration;

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum TransportError {
    #[error("{host}: cannot connect to {address}")]
    #[diagnostic(
        code(mmprov::connect),
        help("is the host up and sshd listening on that port?")
    )]
    Connect {
        host: String,
        address: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{host}: SSH {stage} failed")]
    #[diagnostic(code(mmprov::ssh))]
    Ssh {
        host: String,
        stage: &'static str,
        #[source]
        source: ssh2::Error,
    },

    #[error("{host}: host key {fingerprint} is not in {}", known_hosts.display())]
    #[diagnostic(
        code(mmprov::host_key_unknown),
        help(
            "check the fingerprint out of band, then add the key to known_hosts (e.g. with ssh-keyscan)"
        )
    )]
    UnknownHostKey {
        host: String,
        fingerprint: String,
        known_hosts: PathBuf,
    },

    #[error("{host}: HOST KEY CHANGED: the server offered {fingerprint}, which does not match {}", known_hosts.display())]
    #[diagnostic(
        code(mmprov::host_key_changed),
        help(
            "someone may be intercepting the connection, or the host was reinstalled; refusing to connect"
        )
    )]
    HostKeyChanged {
        host: String,
        fingerprint: String,
        known_hosts: PathBuf,
    },

    #[error("{host}: {user} could not authenticate (tried: {tried})")]
    #[diagnostic(
        code(mmprov::auth),
        help(
            "set the host's key file (ansible_ssh_private_key_file) or load the key into ssh-agent"
        )
    )]
    Auth {
        host: String,
        user: String,
        tried: String,
    },

    #[error("{host}: `{command}` did not finish within {after:?}")]
    #[diagnostic(code(mmprov::timeout))]
    Timeout {
        host: String,
        command: String,
        after: Duration,
    },

    #[error("{host}: `{command}` exited with {status}: {stderr}")]
    #[diagnostic(code(mmprov::command_failed))]
    CommandFailed {
        host: String,
        command: String,
        status: i32,
        stderr: String,
    },

    #[error("{host}: I/O while running `{command}`")]
    #[diagnostic(code(mmprov::io))]
    Io {
        host: String,
        command: String,
        #[source]
        source: std::io::Error,
    },

    /// The login user may not become the user the inventory asks for (no sudo, no rights, a wrong or
    /// missing password). Nothing ran on the host but sudo's own check.
    #[error("{host}: cannot become {user} with sudo: {detail}")]
    #[diagnostic(
        code(mmprov::sudo),
        help(
            "the login user needs sudo rights for this (a sudoers entry), and the become password if sudo asks              for one (ansible_become_password, or the playbook's become.password)"
        )
    )]
    Become {
        host: String,
        user: String,
        detail: String,
    },

    /// The host would not open a stream to one of its Unix sockets: forwarding is refused there
    /// (`AllowStreamLocalForwarding no`), this kind of connection cannot forward, or nothing listens on it.
    #[error("{host}: cannot open {path} through the connection: {detail}")]
    #[diagnostic(code(mmprov::socket))]
    Socket {
        host: String,
        path: String,
        detail: String,
        /// Whether the host refused forwarding itself (as opposed to nothing listening on the socket).
        refused: bool,
    },
}
