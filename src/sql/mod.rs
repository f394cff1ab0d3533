//! Talking SQL to a host's server, behind one seam: [`SqlExecutor`].
//!
//! Two backends:
//! 1. [`ProtocolSql`] (`protocol.rs`): the server's own protocol through the `mysql` crate, over a stream the
//!    transport opens to the server's socket.
//! 2. [`ClientSql`]: the host's own `mariadb`/`mysql` client over the host's [`Transport`], as the login user
//!    over the local socket, which is what works on a fresh Debian server (root authenticates by unix socket).
//!    SQL travels on the client's stdin, never on its command line, so a statement carrying a secret is not
//!    visible in process lists. Its answer is read from `--xml` output (`xml.rs`): unlike `--batch`, that tells
//!    a NULL from the text `NULL` and keeps every character of a value, and each statement's result set is
//!    its own element, so a batch of queries is split without markers.
//!
//! Results are read by column name, so callers can accept either spelling of a column (Master_/Source_).

mod protocol;
mod xml;

pub use protocol::{ProtocolSession, ProtocolSql};

use miette::Diagnostic;
use thiserror::Error;

use crate::sqltext::{Row, ValueError};
use crate::transport::{Transport, TransportError};

/// Client error codes that mean "no server is answering", not "the statement failed".
const CANNOT_CONNECT: [u32; 3] = [2002, 2003, 2013];

#[derive(Debug, Error, Diagnostic)]
pub enum SqlError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Transport(#[from] TransportError),

    #[error("{host}: the server is not answering ({message})")]
    #[diagnostic(code(mmprov::sql_down))]
    NotServing { host: String, message: String },

    /// The server refused a statement. `what` describes it; the SQL itself is not repeated (it may hold secrets).
    #[error("{host}: {what} failed: ERROR {code}: {message}")]
    #[diagnostic(code(mmprov::sql))]
    Server {
        host: String,
        what: String,
        code: u32,
        message: String,
    },

    /// The host's client failed without a server error (not installed, killed, its options refused).
    #[error("{host}: {what}: the SQL client exited with {status}: {detail}")]
    #[diagnostic(code(mmprov::sql_client))]
    Client {
        host: String,
        what: String,
        status: i32,
        detail: String,
    },

    /// An answer mmprov cannot read (a value of the wrong kind, a NULL where one is needed, output of the
    /// wrong shape): never guessed at.
    #[error("{host}: {what}: the answer cannot be read: {detail}")]
    #[diagnostic(code(mmprov::sql_value))]
    Unreadable {
        host: String,
        what: String,
        detail: String,
    },
}

impl SqlError {
    /// A value of `what`'s answer on `host` that could not be read.
    pub fn unreadable(host: &str, what: &str, e: ValueError) -> Self {
        SqlError::Unreadable {
            host: host.to_string(),
            what: what.to_string(),
            detail: e.to_string(),
        }
    }

    /// An answer of `what` on `host` that has no row where one is expected.
    pub fn no_row(host: &str, what: &str) -> Self {
        SqlError::Unreadable {
            host: host.to_string(),
            what: what.to_string(),
            detail: "no row".into(),
        }
    }

    pub fn is_not_serving(&self) -> bool {
        matches!(self, SqlError::NotServing { .. })
    }
}

pub trait SqlExecutor {
    /// Run one statement that returns rows; `what` names it in errors.
    fn query(&mut self, what: &str, sql: &str) -> Result<Vec<Row>, SqlError>;

    /// Run statements that return nothing, in one session, stopping at the first error.
    fn execute(&mut self, what: &str, sql: &str) -> Result<(), SqlError> {
        self.query(what, sql).map(drop)
    }

    /// Run several read-only queries, each `(what, sql)`, and return each one's rows in order. Backends
    /// that pay per round trip answer them in one.
    fn query_many(&mut self, queries: &[(&str, &str)]) -> Result<Vec<Vec<Row>>, SqlError> {
        queries
            .iter()
            .map(|(what, sql)| self.query(what, sql))
            .collect()
    }
}

/// SQL through the host's command-line client, over the host's transport.
pub struct ClientSql<'t> {
    transport: &'t mut dyn Transport,
}

/// Picks whichever client the host has; `--xml` gives each statement's result set as an element. A host
/// with neither a client nor a server binary has no server to serve: said as the client says it when none
/// listens (2002), so facts read it as down, not as broken.
pub const CLIENT: &str = "if command -v mariadb >/dev/null 2>&1; then c=mariadb; \
                      elif command -v mysql >/dev/null 2>&1; then c=mysql; \
                      elif [ -e /usr/sbin/mariadbd ] || [ -e /usr/sbin/mysqld ] || [ -e /usr/libexec/mysqld ]; then \
                      echo 'no mariadb or mysql client is installed' >&2; exit 127; \
                      else echo 'ERROR 2002 (HY000): no server is installed' >&2; exit 1; fi; \
                      exec $c --batch --xml --connect-timeout=5 --default-character-set=utf8mb4";

impl<'t> ClientSql<'t> {
    pub fn new(transport: &'t mut dyn Transport) -> Self {
        Self { transport }
    }
}

impl ClientSql<'_> {
    /// One client session: each result set the statements returned, or the error naming `what`.
    fn session(&mut self, what: &str, sql: &str) -> Result<Vec<Vec<Row>>, SqlError> {
        let started = std::time::Instant::now();
        let out = self.transport.exec_with_input(CLIENT, sql.as_bytes())?;
        let host = self.transport.host().to_string();
        // The purpose only: the text may carry a password.
        log::debug!("{host}: sql: {what} ({} ms)", started.elapsed().as_millis());
        if out.success() {
            return xml::result_sets(&out.stdout_text()).map_err(|detail| SqlError::Unreadable {
                host,
                what: what.to_string(),
                detail,
            });
        }
        let stderr = out.stderr_text();
        match parse_client_error(&stderr) {
            Some((code, message)) if CANNOT_CONNECT.contains(&code) => {
                Err(SqlError::NotServing { host, message })
            }
            Some((code, message)) => Err(SqlError::Server {
                host,
                what: what.to_string(),
                code,
                message,
            }),
            // Not the client's `ERROR n` form: the client itself failed (missing, killed, refused its options).
            None => Err(SqlError::Client {
                host,
                what: what.to_string(),
                status: out.status,
                detail: first_line(&stderr),
            }),
        }
    }
}

impl SqlExecutor for ClientSql<'_> {
    fn query(&mut self, what: &str, sql: &str) -> Result<Vec<Row>, SqlError> {
        self.session(what, sql)
            .map(|sets| sets.into_iter().flatten().collect())
    }

    fn query_many(&mut self, queries: &[(&str, &str)]) -> Result<Vec<Vec<Row>>, SqlError> {
        let mut batch = String::new();
        for (_, sql) in queries {
            batch.push_str(sql.trim_end().trim_end_matches(';'));
            batch.push_str(";\n");
        }
        let what: Vec<&str> = queries.iter().map(|(what, _)| *what).collect();
        let what = what.join(", ");
        let sets = self.session(&what, &batch)?;
        if sets.len() != queries.len() {
            return Err(SqlError::Unreadable {
                host: self.transport.host().to_string(),
                what,
                detail: format!(
                    "the client answered {} of {} queries",
                    sets.len(),
                    queries.len()
                ),
            });
        }
        Ok(sets)
    }
}

/// `ERROR 1064 (42000) at line 1: You have an error...` -> (1064, "You have an error..."); `None` when stderr
/// holds no such line.
fn parse_client_error(stderr: &str) -> Option<(u32, String)> {
    let line = stderr.lines().find(|l| l.starts_with("ERROR "))?;
    let code = line
        .strip_prefix("ERROR ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let (_, message) = line.split_once(": ")?;
    Some((code, message.trim().to_string()))
}

/// The first line of what a failed client said, for a diagnostic.
fn first_line(stderr: &str) -> String {
    let line = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if line.is_empty() {
        "it printed nothing".into()
    } else {
        line.trim().to_string()
    }
}

/// The first row of `what`'s answer on `host`; none is an error, never an empty value.
pub fn first_row<'r>(rows: &'r [Row], host: &str, what: &str) -> Result<&'r Row, SqlError> {
    rows.first().ok_or_else(|| SqlError::no_row(host, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_give_code_and_message() {
        let said = "--------------\nSELEC 1\n--------------\n\n\
                    ERROR 1064 (42000) at line 1: You have an error in your SQL syntax\n";
        assert_eq!(
            parse_client_error(said),
            Some((1064, "You have an error in your SQL syntax".to_string()))
        );
        let (code, _) = parse_client_error(
            "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)",
        )
        .expect("an error line");
        assert_eq!(code, 2002);
    }

    #[test]
    fn output_that_is_not_a_client_error_has_no_code() {
        assert_eq!(parse_client_error("sh: 1: exec: mysql: not found\n"), None);
        assert_eq!(parse_client_error("ERROR: something odd\n"), None);
        assert_eq!(parse_client_error(""), None);
    }
}
