//! SQL over the server's own protocol (the `mysql` crate), through a stream the host's transport opens to the
//! server's Unix socket: over SSH a direct-streamlocal channel in the session mmprov already holds, where the
//! server's `unix_socket` authentication sees the SSH login user and no password travels.
//!
//! The `mysql` crate reaches servers by TCP or by a local Unix socket, so the connection is bridged:
//! 1. [`ProtocolSql::session`] (first use) opens the remote stream and a listening socket in a private (0700)
//!    folder, and connects the crate to it.
//! 2. The crate's blocking work (the connect, each query) runs on a scoped thread, while the calling thread,
//!    which owns the transport, moves bytes between the local socket and the remote stream until that work
//!    ends. The protocol is request and response: between calls nothing moves, so nothing pumps.
//! 3. Rows come back as the server sent them: NULL is NULL, text must be UTF-8 (or the call fails), errors
//!    keep the server's number.
//! 4. A broken connection (the server restarted) fails the call in progress as "not serving", and the next
//!    call connects again. A statement is never sent twice on its own.

use std::io::ErrorKind;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;

use super::{Row, SqlError, SqlExecutor};
use crate::transport::{SocketStream, Transport, TransportError, pump};

/// What the protocol backend needs to reach one host's server, and its open connection if any.
pub struct ProtocolSql {
    host: String,
    /// The SQL account: the SSH login user, whom `unix_socket` authentication recognises.
    user: String,
    socket: String,
    /// How long one call may go without an answer.
    timeout: Duration,
    bridge: Option<Bridge>,
}

/// An open connection: the crate's end, and the two ends of the bridge under it.
struct Bridge {
    conn: mysql::Conn,
    local: UnixStream,
    remote: Box<dyn SocketStream>,
    /// Holds the private folder of the local socket until the connection closes.
    _dir: tempfile::TempDir,
}

impl ProtocolSql {
    pub fn new(host: &str, user: &str, socket: &str, timeout: Duration) -> Self {
        Self {
            host: host.to_string(),
            user: user.to_string(),
            socket: socket.to_string(),
            timeout,
            bridge: None,
        }
    }

    /// The socket the server is reached on.
    pub fn socket(&self) -> &str {
        &self.socket
    }

    /// Reach the server on `socket` from now on (a connection to another is closed).
    pub fn use_socket(&mut self, socket: &str) {
        if self.socket != socket {
            self.socket = socket.to_string();
            self.bridge = None;
        }
    }

    /// Close the connection, if open; the next call connects again.
    pub fn close(&mut self) {
        self.bridge = None;
    }

    /// Connect now if not connected, so a caller choosing a backend learns whether this one works.
    pub fn open(&mut self, transport: &mut dyn Transport) -> Result<(), SqlError> {
        if self.bridge.is_none() {
            self.bridge = Some(self.connect(transport)?);
        }
        Ok(())
    }

    /// An executor over this connection and the transport that carries it.
    pub fn session<'a>(&'a mut self, transport: &'a mut dyn Transport) -> ProtocolSession<'a> {
        ProtocolSession {
            sql: self,
            transport,
        }
    }

    fn connect(&self, transport: &mut dyn Transport) -> Result<Bridge, SqlError> {
        let mut remote = transport
            .open_socket(&self.socket)
            .map_err(|e| self.socket_error(e))?;
        let dir = tempfile::Builder::new()
            .prefix("mmprov-sql-")
            .tempdir()
            .map_err(|e| self.local_error("creating the local socket folder", e))?;
        let path = dir.path().join("server.sock");
        let listener = UnixListener::bind(&path)
            .map_err(|e| self.local_error("binding the local socket", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| self.local_error("the local socket", e))?;
        let opts = mysql::OptsBuilder::new()
            .socket(path.to_str())
            .user(Some(self.user.as_str()))
            .prefer_socket(false)
            .read_timeout(Some(self.timeout))
            .write_timeout(Some(self.timeout))
            .stmt_cache_size(0);
        let (conn, local) = std::thread::scope(|scope| {
            let worker = scope.spawn(|| mysql::Conn::new(opts));
            let local = accept(&listener, self.timeout, || worker.is_finished());
            if let Ok(stream) = &local {
                // What the pump met is what the worker met: its own result, joined below, is the one reported.
                let _ = pump(remote.as_mut(), stream, || worker.is_finished());
            }
            let conn = worker.join().map_err(|_| SqlError::NotServing {
                host: self.host.clone(),
                message: "the SQL connection thread failed".into(),
            })?;
            let context = ErrorContext {
                host: &self.host,
                what: "connecting",
            };
            let conn = conn.map_err(|e| context.error(e))?;
            let local = local.map_err(|e| self.local_error("accepting the SQL connection", e))?;
            Ok::<_, SqlError>((conn, local))
        })?;
        Ok(Bridge {
            conn,
            local,
            remote,
            _dir: dir,
        })
    }

    /// Nothing listening on the socket means the server is not serving; forwarding refused stays what it is.
    fn socket_error(&self, e: TransportError) -> SqlError {
        match e {
            TransportError::Socket {
                detail,
                refused: false,
                ..
            } => SqlError::NotServing {
                host: self.host.clone(),
                message: format!("no server on {}: {detail}", self.socket),
            },
            other => SqlError::Transport(other),
        }
    }

    fn local_error(&self, what: &str, e: std::io::Error) -> SqlError {
        SqlError::NotServing {
            host: self.host.clone(),
            message: format!("{what}: {e}"),
        }
    }

    /// Run `work` on the open connection (connecting first if needed). A connection that broke is dropped, so
    /// the next call connects again.
    fn exchange<R: Send>(
        &mut self,
        transport: &mut dyn Transport,
        what: &str,
        work: impl FnOnce(&mut mysql::Conn) -> Result<R, SqlError> + Send,
    ) -> Result<R, SqlError> {
        self.open(transport)?;
        let started = Instant::now();
        let Some(bridge) = self.bridge.as_mut() else {
            return Err(self.local_error(what, std::io::Error::other("no connection")));
        };
        let Bridge {
            conn,
            local,
            remote,
            ..
        } = bridge;
        let (result, pumped) = std::thread::scope(|scope| {
            let worker = scope.spawn(|| work(conn));
            let pumped = pump(remote.as_mut(), local, || worker.is_finished());
            if pumped.is_err() {
                // The worker waits on the local socket: closing it ends the wait.
                // A socket already closed needs no shutdown: the pump's error, returned below, is the one that counts.
                let _ = local.shutdown(std::net::Shutdown::Both);
            }
            (worker.join(), pumped)
        });
        log::debug!(
            "{}: sql: {what} ({} ms)",
            self.host,
            started.elapsed().as_millis()
        );
        let broken = pumped.is_err() || matches!(result, Ok(Err(SqlError::NotServing { .. })));
        if broken {
            self.bridge = None;
        }
        match (result, pumped) {
            (Ok(Ok(value)), Ok(())) => Ok(value),
            (Ok(Err(e)), _) => Err(e),
            (Ok(Ok(_)), Err(e)) => Err(self.local_error(what, e)),
            (Err(_), _) => {
                Err(self.local_error(what, std::io::Error::other("the SQL thread failed")))
            }
        }
    }
}

/// A [`ProtocolSql`] connection with the transport that carries it, as an executor.
pub struct ProtocolSession<'a> {
    sql: &'a mut ProtocolSql,
    transport: &'a mut dyn Transport,
}

impl SqlExecutor for ProtocolSession<'_> {
    fn query(&mut self, what: &str, sql: &str) -> Result<Vec<Row>, SqlError> {
        let host = self.sql.host.clone();
        let context = ErrorContext { host: &host, what };
        self.sql
            .exchange(self.transport, what, |conn| read_rows(conn, sql, &context))
    }

    fn query_many(&mut self, queries: &[(&str, &str)]) -> Result<Vec<Vec<Row>>, SqlError> {
        let host = self.sql.host.clone();
        let what: Vec<&str> = queries.iter().map(|(what, _)| *what).collect();
        self.sql.exchange(self.transport, &what.join(", "), |conn| {
            queries
                .iter()
                .map(|(what, sql)| {
                    let context = ErrorContext { host: &host, what };
                    read_rows(conn, sql, &context)
                })
                .collect()
        })
    }
}

struct ErrorContext<'a> {
    host: &'a str,
    what: &'a str,
}

impl ErrorContext<'_> {
    /// The crate's error as mmprov's: the server's own refusals keep their number; the rest mean the server
    /// cannot be talked to.
    fn error(&self, e: mysql::Error) -> SqlError {
        match e {
            mysql::Error::MySqlError(e) => SqlError::Server {
                host: self.host.to_string(),
                what: self.what.to_string(),
                code: u32::from(e.code),
                message: e.message,
            },
            other => SqlError::NotServing {
                host: self.host.to_string(),
                message: other.to_string(),
            },
        }
    }

    fn unreadable(&self, column: &str, detail: String) -> SqlError {
        let e = crate::sqltext::ValueError {
            column: column.to_string(),
            detail,
        };
        SqlError::unreadable(self.host, self.what, e)
    }
}

/// Every row of every result the statements return, each row with its own result's columns.
fn read_rows(
    conn: &mut mysql::Conn,
    sql: &str,
    ctx: &ErrorContext<'_>,
) -> Result<Vec<Row>, SqlError> {
    let mut result = conn.query_iter(sql).map_err(|e| ctx.error(e))?;
    let mut rows = Vec::new();
    while let Some(set) = result.iter() {
        let columns: Arc<Vec<String>> = Arc::new(
            set.columns()
                .as_ref()
                .iter()
                .map(|c| c.name_str().into_owned())
                .collect(),
        );
        for row in set {
            let values = row.map_err(|e| ctx.error(e))?.unwrap();
            let values = values
                .into_iter()
                .zip(columns.iter())
                .map(|(value, column)| text_of(value).map_err(|d| ctx.unreadable(column, d)))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(Row::new(Arc::clone(&columns), values));
        }
    }
    Ok(rows)
}

/// A value as text, as the server wrote it; NULL as `None`.
fn text_of(value: mysql::Value) -> Result<Option<String>, String> {
    match value {
        mysql::Value::NULL => Ok(None),
        mysql::Value::Bytes(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|e| format!("not UTF-8 text ({e})")),
        mysql::Value::Int(n) => Ok(Some(n.to_string())),
        mysql::Value::UInt(n) => Ok(Some(n.to_string())),
        other => Ok(Some(other.as_sql(true).trim_matches('\'').to_string())),
    }
}

/// Wait for the crate to connect to the local socket (it gave up if `gave_up` says so first).
fn accept(
    listener: &UnixListener,
    timeout: Duration,
    gave_up: impl Fn() -> bool,
) -> std::io::Result<UnixStream> {
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((stream, _)) => return Ok(stream),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if gave_up() || Instant::now() > deadline {
                    return Err(std::io::Error::new(
                        ErrorKind::TimedOut,
                        "the SQL client did not connect",
                    ));
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(e) => return Err(e),
        }
    }
}
