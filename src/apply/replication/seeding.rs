//! A seed of one node from another, as one step of a play's replication run: the target made ready (its
//! replica stopped and its binary logs emptied when its data is replaced, or a target found holding data
//! refused), the copy made by the way the plan chose (a dump, MySQL's clone plugin, a physical backup), and
//! the accounts that a copy of files brought from the source made again.

use super::{Run, flavor_of, say, transport};
use crate::apply::{ApplyError, seed};
use crate::link::HostLink;
use crate::plan::PhysicalSeed;
use crate::sql::SqlExecutor;

impl Run<'_, '_> {
    /// A seed: the target made ready, the copy made (a dump, the clone plugin or a physical backup), and
    /// what the copy brought undone again.
    pub(super) fn seed(
        &mut self,
        from: &str,
        to: &str,
        schemas: &[String],
        overwrite: bool,
        physical: Option<&PhysicalSeed>,
    ) -> Result<(), ApplyError> {
        if overwrite {
            self.stop_for_overwrite(to, physical)?;
        } else {
            refuse_a_target_holding_data(transport(self.links, to)?, to)?;
        }
        let done = self.copy(from, to, schemas, overwrite, physical)?;
        if physical.is_some() {
            self.accounts_again(to)?;
        }
        self.say(
            to,
            format!(
                "seeded from {from}: {:.1} MiB in {:.1} s ({:.1} MiB/s)",
                done.bytes as f64 / 1048576.0,
                done.seconds,
                done.bytes as f64 / 1048576.0 / done.seconds.max(0.001)
            ),
        );
        self.seeded
            .insert(to.to_string(), (from.to_string(), done.coordinates));
        Ok(())
    }

    /// A replica still applying events into data being replaced would mix the two: it stops first (the
    /// connect step that follows the seed starts it again).
    fn stop_for_overwrite(
        &mut self,
        to: &str,
        physical: Option<&PhysicalSeed>,
    ) -> Result<(), ApplyError> {
        let flavor = flavor_of(self.ctx, to)?;
        let t = transport(self.links, to)?;
        t.sql()
            .execute("stopping replication", flavor.stop_replica())?;
        // A dump that sets the source's GTID history (MySQL) is refused where it overlaps the target's:
        // the target's own history goes first, as its data does.
        if let (None, Some(reset)) = (physical, flavor.reset_binary_logs()) {
            self.say(
                to,
                format!("emptying its binary logs and GTID history ({reset})"),
            );
            transport(self.links, to)?
                .sql()
                .execute("emptying the binary logs and GTID history", reset)?;
        }
        Ok(())
    }

    /// The copy itself, source to target. The source's link is taken out of the run for the copy's two
    /// threads and always put back.
    fn copy(
        &mut self,
        from: &str,
        to: &str,
        schemas: &[String],
        overwrite: bool,
        physical: Option<&PhysicalSeed>,
    ) -> Result<seed::Seeded, ApplyError> {
        // Settled before the source's link is taken out of the run: an early return would lose it.
        let flavor = flavor_of(self.ctx, from)?;
        let start = self.start_command(to, physical)?;
        self.say(to, format!("seeding from {from}"));
        let mut source = self
            .links
            .remove(from)
            .ok_or_else(|| ApplyError::NoConnection { host: from.into() })?;
        let events = self.events;
        let report = |bytes: u64| {
            say(
                events,
                to,
                format!(
                    "seeding from {from}: {:.1} MiB streamed",
                    bytes as f64 / 1048576.0
                ),
            )
        };
        let say_to = |message: String| say(events, to, message);
        let result = match (self.links.get_mut(to), physical) {
            (None, _) => Err(ApplyError::NoConnection { host: to.into() }),
            (Some(target), None) => seed::stream(
                &mut source,
                target,
                flavor.as_ref(),
                schemas,
                overwrite,
                &report,
            ),
            (Some(target), Some(seed)) if seed.tool == crate::flavor::PhysicalTool::Clone => {
                crate::apply::clone::Cloning {
                    seed,
                    password: self.password,
                    start: &start,
                    timeout: self.ctx.serve_timeout,
                }
                .run(&mut source, target, &say_to)
            }
            (Some(target), Some(seed)) => crate::apply::physical::Physical {
                seed,
                start: &start,
                timeout: self.ctx.serve_timeout,
            }
            .run(&mut source, target, &report, &say_to),
        };
        self.links.insert(from.to_string(), source);
        result
    }

    /// How the target's mysqld starts again after a physical copy; without one its files are not replaced.
    fn start_command(
        &self,
        to: &str,
        physical: Option<&PhysicalSeed>,
    ) -> Result<String, ApplyError> {
        match (physical, self.ctx.start_commands.get(to)) {
            (Some(_), None) => Err(ApplyError::SeedFailed {
                host: to.into(),
                stage: "start",
                detail: "how to start its mysqld is not known, so its files are not replaced"
                    .into(),
            }),
            (_, start) => Ok(start.cloned().unwrap_or_default()),
        }
    }

    /// The copy brought the source's accounts: the ones this run made on the target go in again.
    fn accounts_again(&mut self, to: &str) -> Result<(), ApplyError> {
        let made: Vec<_> = self
            .accounts
            .iter()
            .filter(|(source, ..)| source == to)
            .cloned()
            .collect();
        for (source, replica_address, user, tls) in made {
            self.set_account(&source, &replica_address, &user, tls)?;
        }
        Ok(())
    }
}

/// The target's data may have been unknown at plan time (its mysqld was down): a seed that would replace
/// data of its own is refused now, before anything streams.
fn refuse_a_target_holding_data(t: &mut HostLink, to: &str) -> Result<(), ApplyError> {
    let found = crate::facts::application_schemas(to, &mut t.sql())?;
    let held: Vec<String> = found
        .iter()
        .filter(|s| s.tables > 0)
        .map(|s| s.name.clone())
        .collect();
    if held.is_empty() {
        Ok(())
    } else {
        Err(ApplyError::SeedRefused {
            host: to.to_string(),
            schemas: held.join(", "),
        })
    }
}
