//! Physical seeding through MySQL's clone plugin (see `flavor::clone`): the target pulls a copy of the
//! source's whole instance over a SQL connection, replaces its own data with it and restarts.
//!
//! 1. The seed marker goes on the target: until it replicates, its data is ours to redo.
//! 2. The plugin is loaded on both servers where it is not; an account for the target (BACKUP_ADMIN, the
//!    play's secret as its password, unlogged) is made on the source.
//! 3. `CLONE INSTANCE FROM` on the target. It ends with the target restarting (its connection drops) or,
//!    with nothing supervising the server, stopped (3707): mmprov then starts it with its service command.
//! 4. The source's account goes, whatever happened; the clone's own status, read on the restarted target,
//!    says whether the copy is complete and gives the source's coordinates of it.
//!
//! The clone replaces the target's data only once the copy is complete (the plugin keeps the old data
//! until then), so an interruption leaves it serving its own data.

use std::time::{Duration, Instant};

use super::ApplyError;
use super::seed::Seeded;
use crate::flavor::clone;
use crate::link::HostLink;
use crate::model::SEED_MARKER;
use crate::plan::MYSQL_PORT;
use crate::plan::PhysicalSeed;
use crate::sql::{SqlError, SqlExecutor, first_row};
use crate::sqltext::Statement;
use crate::transport::Transport;

pub struct Cloning<'a> {
    pub seed: &'a PhysicalSeed,
    /// The play's replication secret, the clone account's password.
    pub password: &'a str,
    /// The target's start command (its service manager's), for a server nothing restarts.
    pub start: &'a str,
    pub timeout: Duration,
}

impl Cloning<'_> {
    pub fn run(
        &self,
        source: &mut HostLink,
        target: &mut HostLink,
        say: &dyn Fn(String),
    ) -> Result<Seeded, ApplyError> {
        let started = Instant::now();
        target.check(
            &format!("mkdir -p /var/lib/mmprov && date -u +%Y-%m-%dT%H:%M:%SZ > {SEED_MARKER}"),
            &[],
        )?;
        for t in [&mut *source, &mut *target] {
            load_plugin(t)?;
        }
        self.secret(
            source,
            "the clone account",
            &clone::donor_account(&self.seed.target_address, self.password),
        )?;
        say(format!("cloning from {}", self.seed.source_address));
        let cloned = self.clone_into(target);
        let dropped = source.sql().execute(
            "dropping the clone account",
            &clone::drop_donor_account(&self.seed.target_address),
        );
        cloned?;
        dropped?;
        self.serving(target)?;
        let (coordinates, bytes) = status(target)?;
        Ok(Seeded {
            coordinates,
            bytes,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// `CLONE INSTANCE` on the target; an end that is the restart is no error.
    fn clone_into(&self, target: &mut HostLink) -> Result<(), ApplyError> {
        let address = &self.seed.source_address;
        target.sql().execute(
            "naming the clone's source",
            &clone::valid_donor(address, MYSQL_PORT),
        )?;
        let statement = clone::clone_instance(address, MYSQL_PORT, self.password);
        match target.sql().execute("cloning", statement.expose()) {
            Ok(()) => Ok(()),
            Err(SqlError::Server { code, .. }) if clone::ends_in_restart(code) => Ok(()),
            Err(SqlError::Server { code, .. }) => Err(ApplyError::SeedFailed {
                host: target.host().to_string(),
                stage: "clone",
                detail: format!(
                    "CLONE INSTANCE failed with error {code} (see the server's error log)"
                ),
            }),
            // The connection dropped with the restart: the clone's status, read afterwards, says how it went.
            Err(_) => Ok(()),
        }
    }

    /// A statement holding the password; an error gives only its code.
    fn secret(
        &self,
        t: &mut HostLink,
        what: &'static str,
        statement: &Statement,
    ) -> Result<(), ApplyError> {
        t.sql()
            .execute(what, statement.expose())
            .map_err(|e| match e {
                SqlError::Server { host, code, .. } => ApplyError::SeedFailed {
                    host,
                    stage: what,
                    detail: format!("error {code}"),
                },
                other => ApplyError::Sql(other),
            })
    }

    /// The target serves again: restarted by its supervisor, or started here.
    fn serving(&self, target: &mut HostLink) -> Result<(), ApplyError> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if target
                .sql()
                .query("waiting for mysqld", "SELECT 1 AS up")
                .is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        super::restart::restart_and_wait(target, self.start, self.timeout).map_err(|e| {
            ApplyError::SeedFailed {
                host: target.host().to_string(),
                stage: "start",
                detail: format!(
                    "mysqld did not start from the clone ({})",
                    e.to_string().trim()
                ),
            }
        })
    }
}

fn load_plugin(t: &mut HostLink) -> Result<(), ApplyError> {
    let what = "reading whether the clone plugin is loaded";
    let rows = t.sql().query(what, clone::PLUGIN_LOADED)?;
    let loaded: u64 = first_row(&rows, t.host(), what)?
        .number(&["loaded"])
        .map_err(|e| SqlError::unreadable(t.host(), what, e))?;
    if loaded == 0 {
        t.sql()
            .execute("loading the clone plugin", clone::INSTALL_PLUGIN)?;
    }
    Ok(())
}

/// The source's coordinates of the copy and the bytes it moved, from the target's clone tables.
fn status(target: &mut HostLink) -> Result<(crate::replication::Coordinates, u64), ApplyError> {
    let host = target.host().to_string();
    let what = "reading the clone's status";
    let rows = target.sql().query(what, clone::STATUS)?;
    let row = first_row(&rows, &host, what)?;
    let coordinates = clone::outcome(row).map_err(|detail| ApplyError::SeedFailed {
        host: host.clone(),
        stage: "clone",
        detail,
    })?;
    let what = "reading how much the clone copied";
    let rows = target.sql().query(what, clone::COPIED)?;
    let bytes = first_row(&rows, &host, what)?
        .number(&["bytes"])
        .map_err(|e| SqlError::unreadable(&host, what, e))?;
    Ok((coordinates, bytes))
}
