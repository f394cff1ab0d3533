//! Why a failover was refused or failed. Defined below the engine that raises it, beside the crate's
//! [`Error`] that wraps it, so the error layer never reaches up into the engine.
//!
//! [`Error`]: super::Error

use miette::Diagnostic;
use thiserror::Error;

use crate::facts::FactsError;
use crate::sql::SqlError;
use crate::transport::TransportError;

/// Why a failover was refused or failed.
#[derive(Debug, Error, Diagnostic)]
pub enum FailoverError {
    #[error("{host} cannot take over: {reason}")]
    #[diagnostic(code(mmprov::failover))]
    Refused {
        host: String,
        reason: String,
        #[help]
        help: Option<String>,
    },

    #[error(
        "{host} did not apply everything it received within {seconds} s (it holds {held}, received {received}); \
         nothing was changed"
    )]
    #[diagnostic(
        code(mmprov::failover),
        help(
            "see why with `mmprov status`, then run failover again (a longer --gate-timeout if it is only slow)"
        )
    )]
    NotDrained {
        host: String,
        seconds: u64,
        held: String,
        received: String,
    },

    #[error(
        "hook after_failover failed: {detail}. {host} takes writes: move the application by hand"
    )]
    #[diagnostic(code(mmprov::hook))]
    Hook { host: String, detail: String },

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
