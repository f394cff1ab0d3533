//! How an apply fails; every variant names its host.

use miette::Diagnostic;
use thiserror::Error;

use crate::sql::SqlError;
use crate::transport::TransportError;

#[derive(Debug, Error, Diagnostic)]
pub enum ApplyError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Transport(#[from] TransportError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Sql(#[from] SqlError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Facts(#[from] crate::facts::FactsError),

    #[error(
        "{host}: which server runs there is not known, so its replication statements cannot be chosen"
    )]
    #[diagnostic(
        code(mmprov::server_unknown),
        help("run the plan again once the server answers: its version decides the dialect")
    )]
    UnknownServer { host: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Refused(#[from] crate::plan::Refusal),

    #[error(
        "{host} stays read-only: sessions on {member} that may still generate ids with its old auto_increment \
         values are open: {sessions}"
    )]
    #[diagnostic(
        code(mmprov::writes_held),
        help(
            "let the application's pool recycle them, or end them (KILL <id> on {member}), then run apply again: \
             it opens {host} once they are gone"
        )
    )]
    WritesHeld {
        host: String,
        member: String,
        sessions: String,
    },

    #[error("the writer of play `{play}` did not move to {new}: {detail}. {restored}")]
    #[diagnostic(
        code(mmprov::switchover),
        help(
            "see why {new} has not executed what {old} wrote (mmprov status); once it has, run apply again: \
             the switchover is planned afresh"
        )
    )]
    SwitchoverGate {
        play: String,
        old: String,
        new: String,
        detail: String,
        /// What became of the old writer: put back open, or why it could not be.
        restored: String,
    },

    #[error("hook {hook} of play `{play}` failed: {detail}. {state}")]
    #[diagnostic(
        code(mmprov::hook),
        help(
            "run the command by hand with the same MMPROV_* variables to see why; the plan shows it"
        )
    )]
    Hook {
        hook: String,
        play: String,
        detail: String,
        /// What the hosts are like after it (nothing changed, or the writer moved).
        state: String,
    },

    #[error("{host}: no connection to apply with")]
    #[diagnostic(code(mmprov::apply))]
    NoConnection { host: String },

    #[error(
        "{host}: mysqld did not come back with the new config; the previous config was put back and mysqld \
         restarted with it. The server said:\n{server_said}"
    )]
    #[diagnostic(
        code(mmprov::rolled_back),
        help("fix the playbook (or template) and run apply again")
    )]
    RolledBack { host: String, server_said: String },

    #[error(
        "{host}: mysqld did not come back with the new config, and not with the previous one either \
         ({rollback}). The server said:\n{server_said}"
    )]
    #[diagnostic(
        code(mmprov::rollback_failed),
        help("the host needs a DBA: mysqld is down")
    )]
    RollbackFailed {
        host: String,
        server_said: String,
        #[source]
        rollback: Box<super::restart::RestartFailure>,
    },

    /// Moving the data directory failed before mysqld was started from the copy.
    #[error("{host}: {detail}")]
    #[diagnostic(
        code(mmprov::datadir),
        help(
            "the old data directory is untouched; start mysqld with `service`/`systemctl` if it is down, fix the cause, and run apply again"
        )
    )]
    Datadir { host: String, detail: String },

    /// Installing the server failed; what was installed stays, and the next apply finishes it.
    #[error("{host}: installing the server failed: {detail}")]
    #[diagnostic(
        code(mmprov::install),
        help(
            "fix the cause on the host (its package sources, its network, the play's server_version), then run apply again: it finishes the install"
        )
    )]
    Install { host: String, detail: String },

    #[error("{host}: mysqld did not start. The server said:\n{server_said}")]
    #[diagnostic(code(mmprov::start_failed))]
    StartFailed { host: String, server_said: String },

    #[error(
        "{host}: after the restart the server still runs with {settings}: another config file overrides mmprov's"
    )]
    #[diagnostic(
        code(mmprov::overridden),
        help(
            "find the option in the server's other config files (mysqld --print-defaults) and remove it there"
        )
    )]
    NotLoaded { host: String, settings: String },

    #[error("{host}: seeding failed in the {stage}: {detail}")]
    #[diagnostic(
        code(mmprov::seed),
        help(
            "nothing was changed on the source; the target may hold part of the dump and is not replicating"
        )
    )]
    SeedFailed {
        host: String,
        stage: &'static str,
        detail: String,
    },

    #[error("{host} holds application data ({schemas}); it is not seeded over")]
    #[diagnostic(
        code(mmprov::seed_refused),
        help("set `seed_overwrite: true` in the play's vars if that data may go")
    )]
    SeedRefused { host: String, schemas: String },

    #[error("{replica} does not replicate from {from}: {detail}")]
    #[diagnostic(code(mmprov::replication))]
    NotReplicating {
        replica: String,
        from: String,
        detail: String,
    },

    #[error("{host}: the gate after its restart did not pass: {detail} (the gate: {gate})")]
    #[diagnostic(
        code(mmprov::gate),
        help(
            "the node is restarted and runs its new config; the nodes after it in the rolling order were not \
             touched. Fix the cause, then run `mmprov apply` again: it continues the rollout from there"
        )
    )]
    GateFailed {
        host: String,
        gate: String,
        detail: String,
    },

    #[error("play `{play}`: the rolling restart stopped at {at}; not touched: {untouched}")]
    #[diagnostic(
        code(mmprov::rollout_stopped),
        help("once {at} is fixed, `mmprov apply` again continues the rollout with these nodes")
    )]
    RolloutStopped {
        play: String,
        at: String,
        untouched: String,
    },

    #[error("{host}: the move to gtid_mode = ON stopped: {detail}")]
    #[diagnostic(
        code(mmprov::gtid_move),
        help(
            "no server went back a stage, and nothing else was changed. Fix the cause, then `mmprov apply` again: \
             it continues from the stage each server is at"
        )
    )]
    GtidMove { host: String, detail: String },

    #[error("play `{play}`: the replication password cannot be read: {detail}")]
    #[diagnostic(code(mmprov::secret))]
    Secret { play: String, detail: String },

    #[error("apply failed on {} host(s)", failed.len())]
    #[diagnostic(code(mmprov::apply_failed))]
    Hosts {
        #[related]
        failed: Vec<ApplyError>,
    },
}
