//! A replication thread's state as the server reports it (`Slave_IO_Running`, `Replica_SQL_Running`):
//! `Yes`, `No`, `Connecting`, or a word of a server version not known here, kept as written. Read once
//! into this enum, so code asks `is_running()` instead of comparing text; shown and serialized as the
//! server's own word.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ThreadState {
    /// Running.
    Yes,
    /// Stopped.
    No,
    /// The IO thread is (re)connecting to its source.
    Connecting,
    /// Any other word, as the server wrote it.
    Other(String),
}

impl ThreadState {
    pub fn parse(text: &str) -> Self {
        match text {
            "Yes" => Self::Yes,
            "No" => Self::No,
            "Connecting" => Self::Connecting,
            other => Self::Other(other.to_string()),
        }
    }

    /// The server's own word for it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Yes => "Yes",
            Self::No => "No",
            Self::Connecting => "Connecting",
            Self::Other(text) => text,
        }
    }

    pub fn is_running(&self) -> bool {
        *self == Self::Yes
    }
}

impl From<&str> for ThreadState {
    fn from(text: &str) -> Self {
        Self::parse(text)
    }
}

impl From<String> for ThreadState {
    fn from(text: String) -> Self {
        Self::parse(&text)
    }
}

impl From<ThreadState> for String {
    fn from(state: ThreadState) -> Self {
        state.as_str().to_string()
    }
}

impl fmt::Display for ThreadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ThreadState;

    #[test]
    fn every_word_reads_back_as_written() {
        for word in ["Yes", "No", "Connecting", "Preparing"] {
            assert_eq!(ThreadState::parse(word).as_str(), word);
        }
        assert!(ThreadState::parse("Yes").is_running());
        assert!(!ThreadState::parse("Connecting").is_running());
    }

    #[test]
    fn it_serializes_as_the_servers_word() {
        let json = serde_json::to_string(&ThreadState::Connecting).expect("serializes");
        assert_eq!(json, "\"Connecting\"");
        let back: ThreadState = serde_json::from_str("\"Preparing\"").expect("reads back");
        assert_eq!(back, ThreadState::Other("Preparing".into()));
    }
}
