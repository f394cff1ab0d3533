//! Talking SQL to a host's server, behind one seam: [`SqlExecutor`].
//!
//! The backend here, [`ClientSql`], runs the host's own `mariadb`/`mysql` client over the host's
//! [`Transport`], as root over the local socket. That is what works on a fresh Debian server, whose root
//! account authenticates by unix socket and has no password to send over TCP. SQL travels on the client's
//! stdin, never on its command line, so a statement carrying a secret is not visible in process lists.
//!
//! Results are read by column name (`--batch` output: a header line, then tab-separated rows with `\t`,
//! `\n`, `\\` escaped), so callers can accept either spelling of a column (Master_/Source_).

mod protocol;
mod row;

pub use protocol::{ProtocolSession, ProtocolSql};
pub use row::{Row, parse_batch};

use miette::Diagnostic;
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

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

    /// A value the server sent that mmprov cannot read as text: never guessed at.
    #[error("{host}: {what}: column {column} cannot be read: {detail}")]
    #[diagnostic(code(mmprov::sql_value))]
    Unreadable {
        host: String,
        what: String,
        column: String,
        detail: String,
    },
}

impl SqlError {
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

/// Written after each query of a [`SqlExecutor::query_many`] batch: a one-row result whose header and value
/// together mark where one query's output ends (a query with no rows prints nothing at all).
const SECTION_END: &str = "mmprov_section_end\n-\n";

/// Picks whichever client the host has; `--batch` gives tab-separated rows with a header line.
pub const CLIENT: &str = "if command -v mariadb >/dev/null 2>&1; then c=mariadb; else c=mysql; fi; \
                      exec $c --batch --connect-timeout=5 --default-character-set=utf8mb4";

impl<'t> ClientSql<'t> {
    pub fn new(transport: &'t mut dyn Transport) -> Self {
        Self { transport }
    }
}

impl ClientSql<'_> {
    /// One client session: the statements' output, or the error naming `what`.
    fn session(&mut self, what: &str, sql: &str) -> Result<String, SqlError> {
        let started = std::time::Instant::now();
        let out = self.transport.exec_with_input(CLIENT, sql.as_bytes())?;
        let host = self.transport.host().to_string();
        // The purpose only: the text may carry a password.
        log::debug!("{host}: sql: {what} ({} ms)", started.elapsed().as_millis());
        if out.success() {
            return Ok(out.stdout_text());
        }
        let stderr = out.stderr_text();
        let (code, message) = parse_client_error(&stderr);
        if CANNOT_CONNECT.contains(&code) {
            Err(SqlError::NotServing { host, message })
        } else {
            Err(SqlError::Server {
                host,
                what: what.to_string(),
                code,
                message,
            })
        }
    }
}

impl SqlExecutor for ClientSql<'_> {
    fn query(&mut self, what: &str, sql: &str) -> Result<Vec<Row>, SqlError> {
        self.session(what, sql).map(|out| row::parse_batch(&out))
    }

    fn query_many(&mut self, queries: &[(&str, &str)]) -> Result<Vec<Vec<Row>>, SqlError> {
        let mut batch = String::new();
        for (_, sql) in queries {
            batch.push_str(sql.trim_end().trim_end_matches(';'));
            batch.push_str(";\nSELECT '-' AS mmprov_section_end;\n");
        }
        let what: Vec<&str> = queries.iter().map(|(what, _)| *what).collect();
        let what = what.join(", ");
        let out = self.session(&what, &batch)?;
        let mut sections: Vec<Vec<Row>> = out.split(SECTION_END).map(row::parse_batch).collect();
        // The text after the last marker is empty.
        if sections.len() != queries.len() + 1 {
            return Err(SqlError::Server {
                host: self.transport.host().to_string(),
                what,
                code: 0,
                message: format!(
                    "the client answered {} of {} queries",
                    sections.len().saturating_sub(1),
                    queries.len()
                ),
            });
        }
        sections.truncate(queries.len());
        Ok(sections)
    }
}

/// `ERROR 1064 (42000) at line 1: You have an error...` -> (1064, "You have an error...").
fn parse_client_error(stderr: &str) -> (u32, String) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("ERROR "))
        .unwrap_or(stderr.trim());
    let code = line
        .strip_prefix("ERROR ")
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let message = line
        .split_once(": ")
        .map(|(_, m)| m)
        .unwrap_or(line)
        .trim()
        .to_string();
    (code, message)
}

/// A statement to run, and how it may be shown. Statements carrying a secret keep their real text in a
/// `SecretString` (never printed by `Debug`); everything that displays SQL uses [`Statement::shown`].
#[derive(Debug, Clone)]
pub struct Statement {
    shown: String,
    text: SecretString,
}

impl Statement {
    /// A statement with nothing to hide.
    pub fn plain(sql: impl Into<String>) -> Self {
        let sql = sql.into();
        Self {
            text: SecretString::from(sql.clone()),
            shown: sql,
        }
    }

    /// A statement whose real text holds a secret; `shown` has `(sensitive)` in its place.
    pub fn secret(shown: String, text: String) -> Self {
        Self {
            shown,
            text: SecretString::from(text),
        }
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The text to send to the server, and nowhere else.
    pub fn expose(&self) -> &str {
        self.text.expose_secret()
    }
}

/// A string literal for SQL text, safe for any content (quotes, backslashes, NUL).
pub fn literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_errors_give_code_and_message() {
        let (code, msg) = parse_client_error(
            "ERROR 1064 (42000) at line 1: You have an error in your SQL syntax\n",
        );
        assert_eq!(
            (code, msg.as_str()),
            (1064, "You have an error in your SQL syntax")
        );
        let (code, _) = parse_client_error(
            "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)",
        );
        assert_eq!(code, 2002);
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(
            literal(r#"it's a "pass\word""#),
            r#"'it''s a "pass\\word"'"#
        );
    }
}
