//! Why a replication plan cannot be made as the playbook stands: the play, the message and its help, shown
//! as a miette diagnostic.

/// Why a replication plan cannot be made as the playbook stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("play `{play}`: {message}")]
#[diagnostic(code(mmprov::refused))]
pub struct Refusal {
    pub play: String,
    pub message: String,
    #[help]
    pub help: Option<String>,
}
