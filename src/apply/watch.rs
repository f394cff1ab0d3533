//! The one polling loop that produces each replica's verdict (`replication::verdict`) at the end of apply and
//! rebuild: what they report is what the servers say once their steps are done.
//!
//! 1. For every direction, read where it begins ([`Evidence`]): what the source has written (its GTID
//!    position or set, and its binary log position) and where the replica's SQL thread stands.
//! 2. Look at every direction not yet settled, every [`LOOK_EVERY`]: its status and what it holds by GTID,
//!    judged against its evidence. A broken direction, or one not replicating from its source at all, is
//!    settled at once. A healthy one is settled once
//!    seen healthy on [`STEADY_LOOKS`] looks in a row, so a replica restarted into an error it meets a moment
//!    later is not called healthy on the one look before.
//! 3. At the timeout, each direction not settled keeps the verdict of its last look (catching up, retrying,
//!    stopped): none of them is healthy.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{ApplyError, flavor_of, link};
use crate::flavor::ServerVersion;
use crate::link::{HostLink, Links};
use crate::replication::verdict::{Evidence, Held};
use crate::replication::{ReplicaStatus, Verdict};
use crate::sql::{SqlError, SqlExecutor};

/// How often each direction is looked at.
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// How many looks in a row a direction must be healthy on to be called so.
const STEADY_LOOKS: u32 = 2;

/// A direction to watch: `replica` reading from `source` at `address` as `user`.
#[derive(Debug, Clone)]
pub struct Watch {
    pub play: String,
    pub replica: String,
    pub source: String,
    pub address: String,
    pub port: u16,
    pub user: String,
}

/// A direction and the verdict the watch came to.
#[derive(Debug, Clone, Serialize)]
pub struct Watched {
    pub play: String,
    pub replica: String,
    pub source: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The known cause of a verdict that is not healthy, with what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<&'static str>,
}

/// One direction under watch: where it began, its last look's verdict (`None` before the first), and how
/// many healthy looks in a row.
struct Watching {
    watch: Watch,
    evidence: Evidence,
    verdict: Option<Verdict>,
    healthy_looks: u32,
}

/// Watch every direction until each is settled or `timeout` passes; the verdicts, in the order given.
pub fn watch(
    links: &mut Links,
    versions: &BTreeMap<String, ServerVersion>,
    directions: Vec<Watch>,
    timeout: Duration,
) -> Result<Vec<Watched>, ApplyError> {
    let mut watching = Vec::new();
    for watch in directions {
        let evidence = evidence(links, versions, &watch)?;
        watching.push(Watching {
            watch,
            evidence,
            verdict: None,
            healthy_looks: 0,
        });
    }
    let deadline = Instant::now() + timeout;
    loop {
        for w in watching.iter_mut().filter(|w| !settled(w)) {
            look(links, versions, w)?;
        }
        if watching.iter().all(settled) || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(LOOK_EVERY);
    }
    Ok(watching
        .into_iter()
        .filter_map(|w| {
            // Every direction was looked at once at least: the loop looks before it checks the clock.
            let verdict = w.verdict?;
            Some(Watched {
                play: w.watch.play,
                replica: w.watch.replica,
                source: w.watch.source,
                explanation: verdict.explanation(),
                verdict,
            })
        })
        .collect())
}

fn settled(w: &Watching) -> bool {
    match &w.verdict {
        // Configured as it is once apply's steps are done: waiting would not change it.
        Some(Verdict::Broken { .. } | Verdict::NotReplicating { .. }) => true,
        Some(Verdict::Healthy) => w.healthy_looks >= STEADY_LOOKS,
        _ => false,
    }
}

/// One look at a direction: its verdict now, and the run of healthy looks it extends or ends.
fn look(
    links: &mut Links,
    versions: &BTreeMap<String, ServerVersion>,
    w: &mut Watching,
) -> Result<(), ApplyError> {
    let replica = &w.watch.replica;
    let t = link(links, replica)?;
    let status = replica_status(t, versions, replica)?;
    let verdict = match status {
        None => Verdict::NotReplicating {
            why: "no replication configured".into(),
        },
        Some(s) if !s.points_at(&w.watch.address, w.watch.port, &w.watch.user) => {
            Verdict::NotReplicating {
                why: format!(
                    "replicates from {}:{} as {}, not from {}",
                    s.source_host, s.source_port, s.source_user, w.watch.source
                ),
            }
        }
        Some(s) => {
            let held = held(t, versions, replica)?;
            w.evidence.judge(&s, &held)
        }
    };
    w.healthy_looks = if verdict.is_healthy() {
        w.healthy_looks + 1
    } else {
        0
    };
    w.verdict = Some(verdict);
    Ok(())
}

/// Where a direction begins: the source's GTIDs and binary log position (when the run reaches the source),
/// and where the replica's SQL thread stands.
fn evidence(
    links: &mut Links,
    versions: &BTreeMap<String, ServerVersion>,
    watch: &Watch,
) -> Result<Evidence, ApplyError> {
    let replica_exec = replica_status(link(links, &watch.replica)?, versions, &watch.replica)?
        .map(|s| (s.exec_log_file, s.exec_pos));
    let Some(t) = links.get_mut(&watch.source) else {
        // A source outside the run (--limit): the replica shows it applies only by moving past where it
        // stands.
        return Ok(Evidence {
            replica_exec,
            ..Evidence::default()
        });
    };
    let source_written = held(t, versions, &watch.source)?.written;
    let flavor = flavor_of(versions, &watch.source)?;
    let what = "reading the binary log position";
    let rows = t.sql().query(what, flavor.binlog_status())?;
    let source_binlog = match rows.first() {
        None => None,
        Some(row) => {
            let unreadable = |e| SqlError::unreadable(&watch.source, what, e);
            Some((
                row.text(&["File"]).map_err(unreadable)?.to_string(),
                row.number(&["Position"]).map_err(unreadable)?,
            ))
        }
    };
    Ok(Evidence {
        source_written,
        source_binlog,
        replica_exec,
    })
}

fn replica_status(
    t: &mut HostLink,
    versions: &BTreeMap<String, ServerVersion>,
    host: &str,
) -> Result<Option<ReplicaStatus>, ApplyError> {
    let flavor = flavor_of(versions, host)?;
    let what = "reading the replica status";
    let rows = t.sql().query(what, flavor.replica_status())?;
    Ok(ReplicaStatus::from_rows(&rows).map_err(|e| SqlError::unreadable(host, what, e))?)
}

/// What a server holds by GTID: applied as a replica, and written to its binary log.
fn held(
    t: &mut HostLink,
    versions: &BTreeMap<String, ServerVersion>,
    host: &str,
) -> Result<Held, ApplyError> {
    let flavor = flavor_of(versions, host)?;
    let (written, applied) = crate::facts::gtid_positions(t, flavor.as_ref())?;
    Ok(Held { applied, written })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Watch, Watched, watch};
    use crate::fake::{FakeHost, ReplicaFailure};
    use crate::flavor::ServerVersion;
    use crate::link::Links;
    use crate::replication::Verdict;

    /// h2 replicating from h1 (192.0.2.11), its threads running, holding what h1 wrote.
    fn pair() -> (FakeHost, FakeHost) {
        let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
        h1.state().gtid_written = "1-1-10".into();
        let mut s = h2.state();
        s.replica = Some(("192.0.2.11".into(), true));
        s.gtid_applied = "1-1-10".into();
        s.gtid_written = "2-2-3".into();
        drop(s);
        (h1, h2)
    }

    /// h2 replicating by auto position from h1 (192.0.2.11), both MySQL 8.4, its threads running, its
    /// executed set holding what h1 wrote and what it wrote itself.
    fn mysql_pair() -> (FakeHost, FakeHost) {
        let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
        h1.state().gtid_written = format!("{H1_UUID}:1-10");
        let mut s = h2.state();
        s.replica = Some(("192.0.2.11".into(), true));
        s.gtid_written = format!("{H1_UUID}:1-10,{H2_UUID}:1-3");
        drop(s);
        (h1, h2)
    }

    const H1_UUID: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const H2_UUID: &str = "4f22fb58-82db-22f2-af44-d91bba530673";

    /// The verdict on h2 <- h1, watched for at most `timeout`, each server read in its own dialect.
    fn watched(h1: &FakeHost, h2: &FakeHost, timeout: Duration) -> Watched {
        let mut links: Links =
            [("h1".to_string(), h1.link()), ("h2".to_string(), h2.link())].into();
        let versions = [
            ("h1".to_string(), h1.state().server()),
            ("h2".to_string(), h2.state().server()),
        ]
        .into();
        let direction = Watch {
            play: "pair".into(),
            replica: "h2".into(),
            source: "h1".into(),
            address: "192.0.2.11".into(),
            port: 3306,
            user: "repl".into(),
        };
        let mut verdicts = watch(&mut links, &versions, vec![direction], timeout).expect("watched");
        verdicts.remove(0)
    }

    #[test]
    fn a_replica_holding_what_its_source_wrote_is_healthy_after_steady_looks() {
        let (h1, h2) = pair();
        let w = watched(&h1, &h2, Duration::from_secs(5));
        assert_eq!(w.verdict, Verdict::Healthy);
        assert!(
            h2.state().status_looks >= 3,
            "the start, then two healthy looks"
        );
    }

    #[test]
    fn a_replica_restarted_into_its_error_is_broken_though_it_said_yes_at_first() {
        let (h1, h2) = pair();
        h2.state().replica_fails = Some(ReplicaFailure {
            sql: true,
            errno: 1396,
            message: "Operation CREATE USER failed for 'dup'@'%'".into(),
            after: 2,
        });
        let w = watched(&h1, &h2, Duration::from_secs(5));
        assert!(
            matches!(&w.verdict, Verdict::Broken { errno: 1396, .. }),
            "{:?}",
            w.verdict
        );
    }

    #[test]
    fn a_replica_that_never_gets_what_its_source_wrote_is_still_catching_up_at_the_timeout() {
        let (h1, h2) = pair();
        h1.state().gtid_written = "1-1-12".into();
        let w = watched(&h1, &h2, Duration::from_millis(600));
        assert!(
            matches!(w.verdict, Verdict::CatchingUp { .. }),
            "{:?}",
            w.verdict
        );
        assert!(!w.verdict.is_healthy());
    }

    #[test]
    fn a_replica_that_cannot_reach_its_source_is_retrying() {
        let (h1, h2) = pair();
        h2.state().io_state = Some("Connecting".into());
        h2.state().replica_fails = Some(ReplicaFailure {
            sql: false,
            errno: 2003,
            message: "Can't connect to server on '192.0.2.11'".into(),
            after: 0,
        });
        // Its IO thread gave up (No) with a connect error: still the retry class, which a start clears.
        let w = watched(&h1, &h2, Duration::from_millis(500));
        assert!(
            matches!(w.verdict, Verdict::Retrying { errno: 2003, .. }),
            "{:?}",
            w.verdict
        );
    }

    #[test]
    fn a_stopped_replica_and_one_on_another_source_are_not_healthy() {
        let (h1, h2) = pair();
        h2.state().replica = Some(("192.0.2.11".into(), false));
        let w = watched(&h1, &h2, Duration::from_millis(400));
        assert!(
            matches!(w.verdict, Verdict::Stopped { .. }),
            "{:?}",
            w.verdict
        );
        assert!(w.explanation.is_some());

        h2.state().replica = Some(("192.0.2.99".into(), true));
        let w = watched(&h1, &h2, Duration::from_millis(400));
        assert!(
            matches!(&w.verdict, Verdict::NotReplicating { why } if why.contains("192.0.2.99")),
            "{:?}",
            w.verdict
        );
        h2.state().replica = None;
        let w = watched(&h1, &h2, Duration::from_millis(400));
        assert!(matches!(w.verdict, Verdict::NotReplicating { .. }));
    }

    #[test]
    fn an_unreachable_replica_fails_the_watch_never_reads_healthy() {
        let (h1, h2) = pair();
        h2.state().running = false;
        let mut links: Links =
            [("h1".to_string(), h1.link()), ("h2".to_string(), h2.link())].into();
        let versions = [
            ("h1".to_string(), ServerVersion::DEBIAN_DEFAULT),
            ("h2".to_string(), ServerVersion::DEBIAN_DEFAULT),
        ]
        .into();
        let direction = Watch {
            play: "pair".into(),
            replica: "h2".into(),
            source: "h1".into(),
            address: "192.0.2.11".into(),
            port: 3306,
            user: "repl".into(),
        };
        assert!(
            watch(
                &mut links,
                &versions,
                vec![direction],
                Duration::from_secs(1)
            )
            .is_err()
        );
    }

    #[test]
    fn a_mysql_replica_holding_what_its_source_wrote_is_healthy_read_in_its_own_words() {
        let (h1, h2) = mysql_pair();
        let w = watched(&h1, &h2, Duration::from_secs(5));
        assert_eq!(w.verdict, Verdict::Healthy);
        let statements = h2.state().statements.clone();
        assert!(
            statements.iter().any(|s| s == "SHOW REPLICA STATUS"),
            "{statements:?}"
        );
        assert!(
            !statements.iter().any(|s| s.contains("SLAVE")),
            "{statements:?}"
        );
    }

    #[test]
    fn a_mysql_replica_missing_transactions_of_its_source_is_not_healthy() {
        let (h1, h2) = mysql_pair();
        h1.state().gtid_written = format!("{H1_UUID}:1-12");
        let w = watched(&h1, &h2, Duration::from_millis(600));
        assert!(
            matches!(w.verdict, Verdict::CatchingUp { .. }),
            "{:?}",
            w.verdict
        );
    }

    #[test]
    fn a_mysql_replica_whose_source_lost_its_logs_is_broken() {
        let (h1, h2) = mysql_pair();
        h2.state().replica_fails = Some(ReplicaFailure {
            sql: false,
            errno: 13114,
            message: "Got fatal error 1236 from source when reading data from binary log: \
                      'could not find next log'"
                .into(),
            after: 2,
        });
        let w = watched(&h1, &h2, Duration::from_secs(5));
        assert!(
            matches!(&w.verdict, Verdict::Broken { errno: 13114, .. }),
            "{:?}",
            w.verdict
        );
        assert!(!w.verdict.is_healthy());
    }

    #[test]
    fn a_mysql_replica_refused_by_its_source_is_not_healthy() {
        let (h1, h2) = mysql_pair();
        h2.state().replica_fails = Some(ReplicaFailure {
            sql: false,
            errno: 1045,
            message: "Access denied for user 'repl'@'192.0.2.12' (using password: YES)".into(),
            after: 0,
        });
        let w = watched(&h1, &h2, Duration::from_millis(600));
        assert!(
            matches!(&w.verdict, Verdict::Broken { errno: 1045, .. }),
            "a refused account is no retry: {:?}",
            w.verdict
        );
    }

    #[test]
    fn a_mysql_replica_that_cannot_reach_its_source_is_retrying() {
        let (h1, h2) = mysql_pair();
        h2.state().io_state = Some("Connecting".into());
        h2.state().replica_fails = Some(ReplicaFailure {
            sql: false,
            errno: 2003,
            message: "Can't connect to MySQL server on '192.0.2.11:3306' (111)".into(),
            after: 0,
        });
        let w = watched(&h1, &h2, Duration::from_millis(500));
        assert!(
            matches!(w.verdict, Verdict::Retrying { errno: 2003, .. }),
            "{:?}",
            w.verdict
        );
    }
}
