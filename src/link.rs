//! A host as one run reaches it: its transport and its SQL backend, both opened once and kept for the run.
//!
//! Every SQL statement mmprov sends to a host goes through [`HostLink::sql`], so the backend is chosen in one
//! place and a fake can stand in for both:
//! 1. The protocol backend ([`ProtocolSql`]): the `mysql` crate over a stream the transport opens to the
//!    server's socket. One connection for the run; it reconnects after a restart.
//! 2. The client backend ([`ClientSql`]): the host's `mariadb`/`mysql` client, one process per round trip. It
//!    serves hosts whose sshd refuses socket forwarding (`AllowStreamLocalForwarding no`), or whose running
//!    server listens on a socket other than the one the playbook names (the client finds it from its config).
//!
//! `MMPROV_SQL=protocol|client` forces one backend (`auto`, the default, prefers the protocol). The choice for
//! each host shows under `-v`.

use std::time::Duration;

use crate::sql::{ClientSql, ProtocolSql, SqlError, SqlExecutor};

use crate::sqltext::Row;
use crate::transport::{SocketStream, Transport, TransportError};

/// Which SQL backend a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlChoice {
    Auto,
    Protocol,
    Client,
}

impl SqlChoice {
    pub const ENV: &'static str = "MMPROV_SQL";

    /// From `MMPROV_SQL`; an unknown word is an error, never a guess.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(Self::ENV).as_deref() {
            Err(_) | Ok("") | Ok("auto") => Ok(Self::Auto),
            Ok("protocol") => Ok(Self::Protocol),
            Ok("client") => Ok(Self::Client),
            Ok(other) => Err(format!(
                "{}={other} is not a SQL backend: use auto, protocol or client",
                Self::ENV
            )),
        }
    }
}

enum Backend {
    /// Not settled yet: the protocol is tried at each use until it answers or is refused.
    Undecided(ProtocolSql),
    Protocol(ProtocolSql),
    Client,
    /// An executor handed in whole (a scripted server in unit tests).
    Given(Box<dyn SqlExecutor + Send>),
}

pub struct HostLink {
    transport: Box<dyn Transport>,
    backend: Backend,
}

/// Open links by host name: one per host for a whole run.
pub type Links = std::collections::BTreeMap<String, HostLink>;

impl HostLink {
    /// `user` is the SQL account the protocol logs in as (the SSH login user, for `unix_socket`); `socket` the
    /// server's socket on the host.
    pub fn new(
        transport: Box<dyn Transport>,
        user: &str,
        socket: &str,
        timeout: Duration,
        choice: SqlChoice,
    ) -> Self {
        let protocol = ProtocolSql::new(transport.host(), user, socket, timeout);
        let backend = match choice {
            SqlChoice::Client => Backend::Client,
            SqlChoice::Protocol => Backend::Protocol(protocol),
            SqlChoice::Auto => Backend::Undecided(protocol),
        };
        Self { transport, backend }
    }

    /// A link whose SQL goes to `sql` rather than to a backend over the transport.
    pub fn with_sql(transport: Box<dyn Transport>, sql: Box<dyn SqlExecutor + Send>) -> Self {
        Self {
            transport,
            backend: Backend::Given(sql),
        }
    }

    pub fn transport(&mut self) -> &mut dyn Transport {
        self.transport.as_mut()
    }

    /// The host's SQL executor.
    pub fn sql(&mut self) -> HostSql<'_> {
        HostSql { link: self }
    }

    /// The socket the protocol sends SQL to; `None` when SQL goes through the host's client.
    pub fn socket(&self) -> Option<&str> {
        match &self.backend {
            Backend::Undecided(protocol) | Backend::Protocol(protocol) => Some(protocol.socket()),
            _ => None,
        }
    }

    /// Send SQL to the server on `socket` from now on (the protocol's; the host's client finds its server by
    /// its own config).
    pub fn use_socket(&mut self, socket: &str) {
        if let Backend::Undecided(protocol) | Backend::Protocol(protocol) = &mut self.backend {
            protocol.use_socket(socket);
        }
    }

    /// Close the protocol's connection to the server, if one is open (the next statement connects again).
    /// Before a restart: a server shutting down waits for its idle sessions (MySQL 9.7 about 2 s before it
    /// closes them by force), and a connection the restart broke would fail the first statement after it,
    /// which waits 250 ms to try again.
    pub fn close_sql(&mut self) {
        if let Backend::Undecided(protocol) | Backend::Protocol(protocol) = &mut self.backend {
            protocol.close();
        }
    }

    /// Whether SQL needs no other socket: the protocol answers on the one it has (an undecided backend is
    /// settled by trying), or SQL goes through the host's client, which finds its server by its own config.
    pub fn socket_answers(&mut self) -> bool {
        self.decide();
        match &mut self.backend {
            Backend::Undecided(_) => false,
            Backend::Protocol(protocol) => protocol.open(self.transport.as_mut()).is_ok(),
            Backend::Client | Backend::Given(_) => true,
        }
    }

    /// Settle an undecided backend by what one attempt to connect says.
    fn decide(&mut self) {
        let Backend::Undecided(protocol) = &mut self.backend else {
            return;
        };
        let host = self.transport.host().to_string();
        match protocol.open(self.transport.as_mut()) {
            Ok(()) => {
                log::info!("{host}: SQL through the server's protocol, over the connection");
                let Backend::Undecided(protocol) =
                    std::mem::replace(&mut self.backend, Backend::Client)
                else {
                    return;
                };
                self.backend = Backend::Protocol(protocol);
            }
            Err(SqlError::Transport(TransportError::Socket {
                refused: true,
                detail,
                ..
            })) => {
                log::info!("{host}: SQL through the host's client (socket forwarding: {detail})");
                self.backend = Backend::Client;
            }
            // The server may be down (a restart is planned), or listening elsewhere: the client answers for
            // now, and the protocol is tried again next time.
            Err(e) => log::debug!("{host}: server protocol not reached: {e}"),
        }
    }
}

/// The executor of one host: the backend its link settled on.
pub struct HostSql<'a> {
    link: &'a mut HostLink,
}

impl HostSql<'_> {
    /// Run `work` on the backend the link settled on (the client while it has not).
    fn with<R>(
        &mut self,
        work: impl FnOnce(&mut dyn SqlExecutor) -> Result<R, SqlError>,
    ) -> Result<R, SqlError> {
        self.link.decide();
        let link = &mut *self.link;
        match &mut link.backend {
            Backend::Protocol(sql) => work(&mut sql.session(link.transport.as_mut())),
            Backend::Client => work(&mut ClientSql::new(link.transport.as_mut())),
            Backend::Given(sql) => work(sql.as_mut()),
            Backend::Undecided(_) => {
                let answered = work(&mut ClientSql::new(link.transport.as_mut()));
                if answered.is_ok() {
                    // The client found a server the protocol could not reach on the playbook's socket.
                    log::info!(
                        "{}: SQL through the host's client (the server is not on the playbook's socket)",
                        link.transport.host()
                    );
                    link.backend = Backend::Client;
                }
                answered
            }
        }
    }
}

impl SqlExecutor for HostSql<'_> {
    fn query(&mut self, what: &str, sql: &str) -> Result<Vec<Row>, SqlError> {
        self.with(|e| e.query(what, sql))
    }

    fn query_many(&mut self, queries: &[(&str, &str)]) -> Result<Vec<Vec<Row>>, SqlError> {
        self.with(|e| e.query_many(queries))
    }
}

/// A link is the host's transport too, so code that runs commands takes it as one.
impl Transport for HostLink {
    fn host(&self) -> &str {
        self.transport.host()
    }

    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn std::io::Read + Send),
        stdout: &mut (dyn std::io::Write + Send),
    ) -> Result<crate::transport::Finished, TransportError> {
        self.transport.run(command, stdin, stdout)
    }

    fn open_socket(&mut self, path: &str) -> Result<Box<dyn SocketStream>, TransportError> {
        self.transport.open_socket(path)
    }
}

impl std::fmt::Debug for HostLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostLink")
            .field("host", &self.transport.host())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::transport::Finished;

    /// What a scripted host did, read by the test after the link owns the host.
    #[derive(Default)]
    struct Seen {
        sockets: AtomicUsize,
        client_runs: AtomicUsize,
    }

    /// A host that refuses socket forwarding (`refused`) or has nothing on the socket, and whose client prints
    /// `client_says` (or fails with it on stderr).
    struct ScriptedHost {
        refused: bool,
        client_says: Result<&'static str, &'static str>,
        seen: Arc<Seen>,
    }

    impl Transport for ScriptedHost {
        fn host(&self) -> &str {
            "h1"
        }

        fn run(
            &mut self,
            command: &str,
            stdin: &mut (dyn Read + Send),
            stdout: &mut (dyn Write + Send),
        ) -> Result<Finished, TransportError> {
            let io = |source| TransportError::Io {
                host: "h1".into(),
                command: command.into(),
                source,
            };
            std::io::copy(stdin, &mut std::io::sink()).map_err(io)?;
            self.seen.client_runs.fetch_add(1, Ordering::SeqCst);
            let (status, out, err) = match self.client_says {
                Ok(out) => (0, out, ""),
                Err(err) => (1, "", err),
            };
            stdout.write_all(out.as_bytes()).map_err(io)?;
            Ok(Finished {
                status,
                stderr: err.as_bytes().to_vec(),
            })
        }

        fn open_socket(&mut self, path: &str) -> Result<Box<dyn SocketStream>, TransportError> {
            self.seen.sockets.fetch_add(1, Ordering::SeqCst);
            Err(TransportError::Socket {
                host: "h1".into(),
                path: path.into(),
                detail: if self.refused {
                    "administratively prohibited".into()
                } else {
                    "connect failed".into()
                },
                refused: self.refused,
            })
        }
    }

    fn link(
        refused: bool,
        client_says: Result<&'static str, &'static str>,
        choice: SqlChoice,
    ) -> (HostLink, Arc<Seen>) {
        let seen = Arc::new(Seen::default());
        let host = ScriptedHost {
            refused,
            client_says,
            seen: Arc::clone(&seen),
        };
        let link = HostLink::new(
            Box::new(host),
            "root",
            "/run/mysqld/mysqld.sock",
            Duration::from_secs(5),
            choice,
        );
        (link, seen)
    }

    /// What the client prints for `SELECT 1 AS up`.
    const UP: &str = "<?xml version=\"1.0\"?>\n<resultset statement=\"SELECT 1 AS up\">\n  <row>\n\t\
                      <field name=\"up\">1</field>\n  </row>\n</resultset>\n";

    const DOWN: &str = "ERROR 2002 (HY000): Can't connect to local server through socket";

    #[test]
    fn refused_forwarding_settles_on_the_client_for_the_run() {
        let (mut link, seen) = link(true, Ok(UP), SqlChoice::Auto);
        for _ in 0..3 {
            let rows = link
                .sql()
                .query("probe", "SELECT 1 AS up")
                .expect("the client answers");
            assert_eq!(rows[0].get(&["up"]), Some("1"));
        }
        assert_eq!(
            seen.sockets.load(Ordering::SeqCst),
            1,
            "asked once, then settled"
        );
        assert_eq!(seen.client_runs.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_server_the_client_finds_elsewhere_settles_on_the_client() {
        let (mut link, seen) = link(false, Ok(UP), SqlChoice::Auto);
        link.sql()
            .query("probe", "SELECT 1 AS up")
            .expect("the client answers");
        link.sql()
            .query("probe", "SELECT 1 AS up")
            .expect("the client answers");
        assert_eq!(seen.sockets.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_server_that_is_down_leaves_the_choice_open() {
        let (mut link, seen) = link(false, Err(DOWN), SqlChoice::Auto);
        for _ in 0..2 {
            let err = link
                .sql()
                .query("probe", "SELECT 1")
                .expect_err("nothing answers");
            assert!(err.is_not_serving(), "{err}");
        }
        assert_eq!(
            seen.sockets.load(Ordering::SeqCst),
            2,
            "the protocol is tried again"
        );
    }

    #[test]
    fn a_forced_protocol_never_falls_back_to_the_client() {
        let (mut link, seen) = link(true, Ok(UP), SqlChoice::Protocol);
        let err = link
            .sql()
            .query("probe", "SELECT 1")
            .expect_err("forwarding is refused");
        assert!(
            err.to_string().contains("administratively prohibited"),
            "{err}"
        );
        assert_eq!(seen.client_runs.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_forced_client_never_opens_a_socket() {
        let (mut link, seen) = link(false, Ok(UP), SqlChoice::Client);
        link.sql()
            .query("probe", "SELECT 1 AS up")
            .expect("the client answers");
        assert_eq!(seen.sockets.load(Ordering::SeqCst), 0);
    }
}
