//! Why a skip was refused or failed. Defined below the engine that raises it, beside the crate's [`Error`]
//! that wraps it, so the error layer never reaches up into the engine.
//!
//! [`Error`]: super::Error

use miette::Diagnostic;
use thiserror::Error;

use crate::facts::FactsError;
use crate::sql::SqlError;
use crate::transport::TransportError;

/// Why a skip was refused or failed.
#[derive(Debug, Error, Diagnostic)]
pub enum SkipError {
    #[error("host `{host}` is not in the inventory or the playbook")]
    #[diagnostic(code(mmprov::skip), help("known hosts: {known}"))]
    UnknownHost { host: String, known: String },

    #[error("{host}: nothing to skip: {reason}")]
    #[diagnostic(code(mmprov::skip))]
    NothingToSkip { host: String, reason: &'static str },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Facts(#[from] FactsError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Sql(#[from] SqlError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Transport(#[from] TransportError),
}
