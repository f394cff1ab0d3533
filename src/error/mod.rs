//! Every way a command can fail, in one enum. `cli::run` renders it and maps it to the exit code.

use miette::Diagnostic;
use thiserror::Error;

use std::path::PathBuf;

mod failover;
mod skip;

pub use failover::FailoverError;
pub use skip::SkipError;

/// A plan that could not be made fails the command as the part of planning that refused it.
impl From<crate::plan::PlanError> for Error {
    fn from(e: crate::plan::PlanError) -> Self {
        match e {
            crate::plan::PlanError::Desired(e) => Error::Desired(e),
            crate::plan::PlanError::Refused(e) => Error::Refused(e),
        }
    }
}

use crate::apply::ApplyError;
use crate::facts::FactsError;
use crate::load::LoadError;
use crate::plan::DesiredError;
use crate::transport::TransportError;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] LoadError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Transport(#[from] TransportError),

    #[error("{} of {total} hosts could not be read; nothing was changed anywhere", failed.len())]
    #[diagnostic(code(mmprov::unreachable))]
    Unreachable {
        total: usize,
        #[related]
        failed: Vec<FactsError>,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Desired(#[from] DesiredError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Apply(#[from] ApplyError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Refused(#[from] crate::plan::Refusal),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Verify(#[from] crate::verify::VerifyError),

    #[error("another apply holds {} of the hosts; nothing was changed", failed.len())]
    #[diagnostic(code(mmprov::locked))]
    Locked {
        #[related]
        failed: Vec<crate::apply::lock::LockError>,
    },

    #[error("the saved plan is stale: {hosts} changed since it was made; nothing was applied")]
    #[diagnostic(
        code(mmprov::stale_plan),
        help("run `mmprov plan` again and review the new plan")
    )]
    StalePlan { hosts: String },

    /// Replication decided again after the restarts came out other than the plan showed, and could not be
    /// confirmed again: nothing of it ran.
    #[error(
        "the replication steps changed after the restarts, and {why}: they were not carried out"
    )]
    #[diagnostic(
        code(mmprov::plan_changed),
        help(
            "the host steps are done; run `mmprov plan` to review the replication steps, then `mmprov apply`"
        )
    )]
    PlanChanged { why: String },

    #[error("{} is not a plan mmprov can apply: {reason}", path.display())]
    #[diagnostic(code(mmprov::plan_file))]
    BadPlanFile { path: PathBuf, reason: String },

    #[error("cannot save the plan to {}", path.display())]
    #[diagnostic(code(mmprov::plan_file))]
    WritePlan {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{command} did its steps, but these directions do not replicate: {directions}")]
    #[diagnostic(
        code(mmprov::not_healthy),
        help(
            "see each direction's verdict and explanation above; `mmprov status` reads them again"
        )
    )]
    NotHealthy {
        command: &'static str,
        directions: String,
    },

    #[error("replication is broken: {directions}")]
    #[diagnostic(
        code(mmprov::broken),
        help("see the explanation under each broken direction above")
    )]
    Broken { directions: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Skip(#[from] SkipError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Failover(#[from] FailoverError),

    #[error("verification failed: {failures}")]
    #[diagnostic(code(mmprov::verify))]
    VerifyFailed { failures: String },

    #[error("apply needs confirmation, and there is no terminal to ask on")]
    #[diagnostic(
        code(mmprov::confirm),
        help("review the plan above, then run again with --yes")
    )]
    NeedsConfirmation,

    #[error("apply cancelled; nothing was changed")]
    #[diagnostic(code(mmprov::cancelled))]
    NotConfirmed,

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
