//! The return of a writer that `mmprov failover` replaced. Pure, like the rest of `plan`.
//!
//! The node failover opened carries a marker naming the old writer, and its replica from that writer was
//! stopped, so nothing the old writer holds reaches it unseen. When the old writer answers again:
//! 1. its GTIDs (what it wrote) are compared with what its successor holds (written and applied);
//! 2. transactions only the old writer has are **errant**: it committed them after the successor stopped
//!    hearing from it, and no one else has them. They are named (GTIDs, count) and the plan refuses to
//!    reconnect, offering `--accept-errant` once the operator has dealt with them, or a fresh server in the
//!    old writer's place (`mmprov rebuild` keeps its binary logs, which would serve them, so it is refused) (they then flow to the successor); where the
//!    old writer's binary logs hold them is read by the engine (I/O) for the refusal;
//! 3. with none, it rejoins as a replica: the successor's replica is started again by the replication steps,
//!    and the marker goes once replication has run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::replication::Refusal;
use crate::facts::HostFacts;
use crate::model::{Project, Role};
use crate::replication::gtid;

/// An old writer rejoining its play's replication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejoin {
    pub play: String,
    /// The node failover opened, which carries the marker.
    pub successor: String,
    pub old_writer: String,
    /// Transactions only the old writer has, named, with how many each names; empty when none.
    pub errant: Vec<(String, u64)>,
}

/// The rejoin of every old writer that answers again, errant transactions named; whether they may rejoin
/// so is the caller's call ([`refuse_errant`] when not).
pub fn plan_rejoins(
    project: &Project,
    facts: &BTreeMap<String, HostFacts>,
) -> Result<Vec<Rejoin>, Refusal> {
    let mut out = Vec::new();
    for play in project
        .plays
        .iter()
        .filter(|p| p.has_role(Role::Replication))
    {
        for successor in &play.hosts {
            let Some(f) = facts.get(successor) else {
                continue;
            };
            let Some(old) = f.rejoin.as_deref() else {
                continue;
            };
            out.extend(compare(&play.name, successor, f, old, facts.get(old))?);
        }
    }
    Ok(out)
}

/// The comparison of `old`'s transactions with its successor's; `None` while the old writer does not answer.
fn compare(
    play: &str,
    successor: &str,
    f: &HostFacts,
    old: &str,
    old_facts: Option<&HostFacts>,
) -> Result<Option<Rejoin>, Refusal> {
    let (Some(theirs), Some(ours)) = (
        old_facts
            .filter(|o| o.running)
            .and_then(|o| o.replication.as_ref()),
        f.replication.as_ref(),
    ) else {
        return Ok(None);
    };
    let errant = gtid::beyond(&theirs.gtid_written, &[&ours.gtid_written, &ours.gtid_applied])
        .ok_or_else(|| Refusal {
            play: play.to_string(),
            message: format!(
                "the GTIDs of {old} ({}) or {successor} ({}, {}) cannot be read, so whether {old} holds \
                 transactions {successor} never received is not known",
                theirs.gtid_written, ours.gtid_written, ours.gtid_applied
            ),
            help: Some(format!("mmprov rebuild --host {old} replaces its data with {successor}'s")),
        })?;
    Ok(Some(Rejoin {
        play: play.to_string(),
        successor: successor.to_string(),
        old_writer: old.to_string(),
        errant,
    }))
}

/// The first errant transaction of a rejoin, as one GTID (`domain-server-seq`, `uuid:n`).
pub fn first_errant(r: &Rejoin) -> Option<String> {
    let (name, _) = r.errant.first()?;
    let first = name.split("..").next().unwrap_or(name);
    Some(match first.rsplit_once(':') {
        Some((uuid, interval)) => {
            format!("{uuid}:{}", interval.split('-').next().unwrap_or(interval))
        }
        None => first.to_string(),
    })
}

/// The refusal that names an old writer's errant transactions, where its binary logs hold them (`span`,
/// when it could be read), and the two ways on.
pub fn refuse_errant(r: &Rejoin, span: Option<&str>) -> Refusal {
    let span = span.map_or(String::new(), |s| format!(" ({s})"));
    let count: u64 = r.errant.iter().map(|(_, n)| n).sum();
    let named: Vec<&str> = r.errant.iter().map(|(g, _)| g.as_str()).collect();
    Refusal {
        play: r.play.clone(),
        message: format!(
            "{old} came back holding {count} errant transaction(s) that {new} never received: {}{span}. They \
             were committed on {old} after {new} took over (or never replicated before it did); reconnecting \
             would splice them into {new}'s data silently",
            named.join(", "),
            old = r.old_writer,
            new = r.successor,
        ),
        help: Some(format!(
            "look at them on {old} (its binary log holds them: mysqlbinlog, or SHOW BINLOG EVENTS); then either \
             re-apply, undo or accept them and plan and apply again with --accept-errant (they replicate to \
             {new}), or replace {old} with a fresh server, data and binary logs alike, which mmprov then seeds \
             from {new}. `mmprov rebuild` is refused here: it replaces {old}'s data but not its binary logs, \
             from which {new} would fetch them",
            old = r.old_writer,
            new = r.successor,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ReplicationFacts;

    fn project() -> Project {
        let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
        crate::load::load(path, &Default::default()).expect("fixture loads")
    }

    fn node(host: &str, written: &str, applied: &str) -> HostFacts {
        HostFacts::running_for_tests(
            host,
            ReplicationFacts {
                gtid_written: written.into(),
                gtid_applied: applied.into(),
                ..Default::default()
            },
        )
    }

    /// db2 took over from db1 (its marker), and db1 is back having written `db1_wrote`.
    fn back(db1_wrote: &str) -> BTreeMap<String, HostFacts> {
        let mut db2 = node("db2", "1-1-10,2-2-7", "1-1-10");
        db2.rejoin = Some("db1".into());
        [
            ("db1".to_string(), node("db1", db1_wrote, "2-2-5")),
            ("db2".to_string(), db2),
        ]
        .into()
    }

    #[test]
    fn an_old_writer_with_transactions_its_successor_never_received_is_refused_and_they_are_named()
    {
        let p = project();
        let rejoins = plan_rejoins(&p, &back("1-1-12,2-2-5")).expect("compared");
        assert_eq!(rejoins[0].errant, [("1-1-11..1-1-12".to_string(), 2)]);
        assert_eq!(first_errant(&rejoins[0]).as_deref(), Some("1-1-11"));
        let refused = refuse_errant(&rejoins[0], Some("binary logs b.000002 to b.000003"));
        assert!(
            refused
                .message
                .contains("(binary logs b.000002 to b.000003)")
        );
        assert!(
            refused.message.contains("2 errant transaction(s)")
                && refused.message.contains("1-1-11..1-1-12"),
            "{refused:?}"
        );
        let help = refused.help.unwrap_or_default();
        assert!(
            help.contains("--accept-errant") && help.contains("fresh server"),
            "{help}"
        );
    }

    #[test]
    fn an_old_writer_with_nothing_of_its_own_rejoins() {
        let p = project();
        let rejoins = plan_rejoins(&p, &back("1-1-10,2-2-5")).expect("planned");
        assert_eq!(rejoins.len(), 1);
        assert!(rejoins[0].errant.is_empty());
        assert_eq!(rejoins[0].old_writer, "db1");
    }

    #[test]
    fn an_old_writer_still_down_is_waited_for() {
        let p = project();
        let mut facts = back("1-1-12");
        if let Some(f) = facts.get_mut("db1") {
            f.running = false;
        }
        assert_eq!(plan_rejoins(&p, &facts).expect("planned"), Vec::new());
    }
}
