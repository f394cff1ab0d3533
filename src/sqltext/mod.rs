//! SQL as text, with no connection: a statement and the form in which it may be shown, string literals, and a
//! result row read by column name. Pure, so the layers that only build or read SQL (`flavor`, `replication`,
//! `mycnf`, `plan`) need not see the seam that runs it (`sql`).

mod row;

#[cfg(test)]
pub use row::parse_batch;
pub use row::{Row, ValueError};

use secrecy::{ExposeSecret, SecretString};

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
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(
            literal(r#"it's a "pass\word""#),
            r#"'it''s a "pass\\word"'"#
        );
    }
}
