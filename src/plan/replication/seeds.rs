//! The replicas on no source (or on another): seeded from the play's seed source when it holds data (a
//! target holding data of its own refused unless the play lets it go), then connected at the position the
//! seed recorded or the source's position at that moment.

use super::planner::{Planner, Unconnected};
use super::{ConnectReason, MYSQL_PORT, Position, Refusal, ReplStep, StartReason};

impl<'a> Planner<'a> {
    /// Seeds for the unconnected replicas when the seed source holds application data; the replicas seeded.
    /// A target holding data of its own is refused (unless the play says it may go, or the data is what an
    /// interrupted seed left). With the seed source outside `--limit`, nothing unconnected is planned.
    pub(super) fn seeds(
        &self,
        unconnected: &mut Vec<Unconnected<'a>>,
        warnings: &mut Vec<String>,
    ) -> Result<(Vec<ReplStep>, Vec<&'a str>), Refusal> {
        let seed_source = self.play.seed_source().unwrap_or_default();
        if !self.project.in_limit(seed_source) {
            // Whether these replicas must first be seeded depends on data the run may not read.
            for (replica, source, _) in unconnected.iter().filter(|(r, _, _)| *r != seed_source) {
                warnings.push(format!(
                    "{replica} replicating from {source} is not planned: whether {replica} must first be seeded \
                     from {seed_source} cannot be known while {seed_source} is outside --limit"
                ));
            }
            unconnected.clear();
            return Ok((Vec::new(), Vec::new()));
        }
        let truth = self.repl(seed_source);
        let mut seeds = Vec::new();
        let mut seeded = Vec::new();
        for (replica, _, _) in unconnected.iter().filter(|(r, _, _)| *r != seed_source) {
            let target_has_data = self.repl(replica).is_some_and(|r| r.holds_data());
            // Data left by an interrupted seed of ours is not the operator's: the seed is simply redone.
            let interrupted = self.facts.get(*replica).is_some_and(|f| f.seed_incomplete);
            match truth {
                Some(t) if t.holds_data() => {
                    if target_has_data && !self.play.vars.seed_overwrite && !interrupted {
                        return Err(self.refuse(
                            format!("{replica} holds application data and does not replicate yet: seeding it from {seed_source} would replace that data"),
                            Some("if its data may go, set `seed_overwrite: true` in the play's vars; if it is the truth, set `seed_from` to it".into()),
                        ));
                    }
                    let bytes = t.schemas.iter().map(|s| s.bytes).sum();
                    let (physical, method_why) =
                        crate::plan::seed_method::choose(self.play, self.facts, seed_source, replica, bytes)
                            .map_err(|detail| {
                                self.refuse(
                                    format!("seed_method: physical, but {detail}"),
                                    Some("install the tool on both hosts (Debian and RPM packages: mariadb-backup for MariaDB, \
                                          percona-xtrabackup for MySQL), or set `seed_method: logical`".into()),
                                )
                            })?;
                    let physical = self.addressed(physical, seed_source, replica);
                    seeds.push(ReplStep::Seed {
                        from: seed_source.into(),
                        to: (*replica).into(),
                        schemas: t.schemas.iter().map(|s| s.name.clone()).collect(),
                        tables: t.schemas.iter().map(|s| s.tables).sum(),
                        bytes,
                        overwrite: target_has_data || interrupted,
                        interrupted,
                        physical,
                        method_why,
                    });
                    seeded.push(*replica);
                }
                _ if target_has_data && !interrupted => {
                    return Err(self.refuse(
                        format!(
                            "{replica} holds application data but the seed source {seed_source} holds none"
                        ),
                        Some(format!(
                            "set `seed_from: {replica}` in the play's vars to make {replica}'s data the truth"
                        )),
                    ));
                }
                _ => {}
            }
        }
        Ok((seeds, seeded))
    }

    /// The replicas whose source a seed gives new binary logs (a copy of its files, or a dump onto a server
    /// whose GTID history is emptied first, MySQL's): the log they read is gone, so each starts again after
    /// the seed and asks the seeded node by GTID for what it lacks. Those already planned to (re)start,
    /// connect or move are left to that step.
    pub(super) fn replicas_of_replaced_logs(
        &self,
        seeds: &[ReplStep],
        directions: &[(&str, &str)],
        planned: &[&[ReplStep]],
    ) -> Vec<ReplStep> {
        let planned = |replica: &str| {
            planned
                .iter()
                .flat_map(|steps| steps.iter())
                .any(|s| match s {
                    ReplStep::Start { replica: r, .. }
                    | ReplStep::Connect { replica: r, .. }
                    | ReplStep::Move { replica: r, .. } => r == replica,
                    _ => false,
                })
        };
        seeds
            .iter()
            .filter_map(|seed| match seed {
                ReplStep::Seed {
                    to,
                    overwrite,
                    physical,
                    ..
                } if physical.is_some() || (*overwrite && self.resets_binary_logs(to)) => {
                    Some(to.as_str())
                }
                _ => None,
            })
            .flat_map(|seeded| {
                directions
                    .iter()
                    .filter(move |(replica, source)| *source == seeded && *replica != seeded)
            })
            .filter(|(replica, _)| !planned(replica) && self.status_then(replica).is_some())
            .map(|&(replica, seeded)| ReplStep::Start {
                replica: replica.into(),
                source: seeded.into(),
                reason: StartReason::SourceRebuilt,
            })
            .collect()
    }

    /// Whether a dump restored onto `host` empties its binary logs and GTID history first (MySQL).
    fn resets_binary_logs(&self, host: &str) -> bool {
        self.facts
            .get(host)
            .and_then(|f| f.server)
            .is_some_and(|v| v.dialect().words.reset_binary_logs.is_some())
    }

    /// A node seeded from another node than its source starts from the seed's coordinates, which are in the
    /// seed source's binary log: they carry over to its own source only by GTID (the play's, or MariaDB's
    /// domains). Without either (MySQL with `gtid: false`) it could only start at its source's position
    /// when connected, and whatever its source wrote since the seed would be missing on it: refused.
    pub(super) fn check_joins_can_carry_the_seed_over(
        &self,
        unconnected: &[(&str, &str, ConnectReason)],
        seeded: &[&str],
    ) -> Result<(), Refusal> {
        let seed_source = self.play.seed_source().unwrap_or_default();
        let stranded = unconnected.iter().find(|(replica, source, _)| {
            seeded.contains(replica)
                && *source != seed_source
                && !self.play.vars.gtid
                && !self.positions_by_domain(replica)
        });
        match stranded {
            Some((replica, source, _)) => Err(self.refuse(
                format!(
                    "{replica} would be seeded from {seed_source} but replicate from {source}: without GTIDs \
                     (`gtid: false` on this server) the seed's position in {seed_source}'s binary log does not \
                     carry over to {source}'s, and what {source} writes meanwhile would be missing on {replica}"
                ),
                Some(format!(
                    "set `gtid: true` for the play, or `seed_from: {source}` so {replica} starts where its own \
                     source's binary log has it"
                )),
            )),
            None => Ok(()),
        }
    }

    /// The replica pointed at its source: a replica seeded from its own source starts at the dump's
    /// coordinates, every other one at its source's position when connected. A node seeded from another node
    /// than its source (joining a ring) starts at the seed's GTID position, which carries over to any node
    /// that holds it; where the play keeps file and position (MariaDB), it then switches to file and
    /// position at the point it has applied: the equivalent coordinates in its own source's binary log.
    pub(super) fn connect(
        &self,
        replica: &str,
        source: &str,
        reason: ConnectReason,
        seeded: &[&str],
    ) -> Vec<ReplStep> {
        let seed_source = self.play.seed_source().unwrap_or_default();
        let gtid = self.play.vars.gtid;
        let joins = seeded.contains(&replica) && source != seed_source;
        let through_gtid = joins && !gtid && self.positions_by_domain(replica);
        let position =
            if seeded.contains(&replica) && (source == seed_source || gtid || through_gtid) {
                Position::Seed
            } else {
                Position::SourceNow
            };
        let mut steps = vec![ReplStep::Connect {
            replica: replica.into(),
            source: source.into(),
            source_address: self.address(source),
            port: MYSQL_PORT,
            user: self.user().into(),
            position,
            tls: self.tls.cloned(),
            gtid: gtid || through_gtid,
            reason,
        }];
        if through_gtid {
            steps.push(self.back_to_file_position(replica, source));
        }
        steps
    }
}
