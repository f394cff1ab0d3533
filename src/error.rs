//! Every way a command can fail, in one enum. `cli::run` renders it and maps it to the exit code.

use miette::Diagnostic;
use thiserror::Error;

use crate::load::LoadError;
use crate::transport::TransportError;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] LoadError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Transport(#[from] TransportError),

    #[error("{} of {total} hosts could not be reached or are not serving", failed.len())]
    #[diagnostic(code(mmprov::unreachable))]
    Unreachable {
        total: usize,
        #[related]
        failed: Vec<TransportError>,
    },

    #[error("host `{host}` is not in any play that configures servers")]
    #[diagnostic(
        code(mmprov::unknown_host),
        help("hosts with a server config: {known}")
    )]
    NotConfigured { host: String, known: String },

    #[error("cannot write output")]
    #[diagnostic(code(mmprov::output))]
    Output(#[from] std::io::Error),
}
