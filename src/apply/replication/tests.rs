//! A play's replication steps carried out on fake hosts.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;

use super::{ApplyError, ReplicationContext, run};
use crate::fake::FakeHost;
use crate::link::Links;
use crate::plan::{ReplStep, ReplicationPlan, StartReason};

const PASSWORD: &str = "s3cret-pass'word";

/// Run `steps` of play `pair` on fake hosts h1 and h2 (each read in its own dialect), the password
/// [`PASSWORD`].
fn run_steps(h1: &FakeHost, h2: &FakeHost, steps: Vec<ReplStep>) -> Result<(), ApplyError> {
    let mut links: Links = [("h1".to_string(), h1.link()), ("h2".to_string(), h2.link())].into();
    let plan = ReplicationPlan {
        play: "pair".into(),
        steps,
        warnings: vec![],
        decided_after: vec![],
        broken: vec![],
    };
    let passwords = BTreeMap::from([("pair".to_string(), SecretString::from(PASSWORD))]);
    let context = ReplicationContext {
        passwords: &passwords,
        versions: [
            ("h1".to_string(), h1.state().server()),
            ("h2".to_string(), h2.state().server()),
        ]
        .into(),
        healthy_timeout: Duration::from_secs(1),
        catch_up_timeout: Duration::from_secs(1),
        start_commands: BTreeMap::new(),
        serve_timeout: Duration::from_secs(1),
    };
    let (tx, _rx) = std::sync::mpsc::channel();
    run(&plan, &mut links, &context, &tx)
}

/// An earlier seed of h2 was cut off: the plan redoes it over the partial copy, and h2 then replicates
/// from the coordinates in the new dump. The marker that says "a copy of ours" lives until h2 replicates.
#[test]
fn an_interrupted_seed_is_redone_and_the_replica_starts_at_the_new_dumps_coordinates() {
    let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
    h1.state().schemas.insert("shop".into(), 3);
    h2.state().schemas.insert("shop".into(), 1);
    let steps = vec![
        ReplStep::Seed {
            from: "h1".into(),
            to: "h2".into(),
            schemas: vec!["shop".into()],
            tables: 3,
            bytes: 49152,
            overwrite: true,
            interrupted: true,
            physical: None,
            method_why: Default::default(),
        },
        ReplStep::Connect {
            replica: "h2".into(),
            source: "h1".into(),
            source_address: "192.0.2.11".into(),
            port: 3306,
            user: "repl".into(),
            position: crate::plan::Position::Seed,
            tls: None,
            gtid: false,
            reason: crate::plan::ConnectReason::NotReplicating,
        },
    ];
    run_steps(&h1, &h2, steps).expect("seeds and connects");
    let h2 = h2.state();
    let h1_commands = h1.state().commands.clone();
    let dumps: Vec<&String> = h1_commands
        .iter()
        .filter(|c| c.contains("--single-transaction"))
        .collect();
    assert_eq!(dumps.len(), 1, "one dump streamed");
    assert!(
        dumps[0].contains("--add-drop-database"),
        "the partial copy is replaced, not merged"
    );
    assert!(
        h2.restored[0].starts_with("SET SESSION sql_log_bin = 0;\n-- CHANGE MASTER"),
        "restored with binary logging off: {:?}",
        h2.restored
    );
    assert!(
        h2.commands
            .iter()
            .any(|c| c.contains(crate::model::SEED_MARKER)),
        "the marker was set before the seed"
    );
    let change = h2
        .statements
        .iter()
        .find(|s| s.starts_with("CHANGE MASTER"))
        .expect("pointed at h1");
    assert!(
        change.contains("MASTER_LOG_FILE = 'mysql-bin.000003', MASTER_LOG_POS = 1234"),
        "{change}"
    );
    assert!(
        !h2.files.contains_key(crate::model::SEED_MARKER),
        "replicating now: no longer a seed in progress"
    );
    assert_eq!(h2.replica, Some(("192.0.2.11".into(), true)));
}

#[test]
fn a_start_stops_and_starts_the_replica() {
    let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
    h2.state().replica = Some(("192.0.2.11".into(), false));
    let start = ReplStep::Start {
        replica: "h2".into(),
        source: "h1".into(),
        reason: StartReason::Stopped,
    };
    run_steps(&h1, &h2, vec![start]).expect("starts");
    let s = h2.state();
    assert_eq!(
        s.statements,
        ["STOP SLAVE", "START SLAVE"],
        "stop, start (the watch at the end reads whether it replicates)"
    );
    assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
    assert!(
        h1.state().statements.is_empty(),
        "the source is not touched"
    );
}

fn move_h2_onto_h1() -> ReplStep {
    ReplStep::Move {
        replica: "h2".into(),
        from: "h3".into(),
        source: "h1".into(),
        source_address: "192.0.2.11".into(),
        port: 3306,
        user: "repl".into(),
        tls: None,
    }
}

/// A replica moved to a source that holds its position: stopped, pointed at the new source by GTID with
/// its position kept (no GTID position is set), started and watched.
#[test]
fn a_replica_moves_to_a_source_holding_its_position_and_keeps_that_position() {
    let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
    h1.state().gtid_written = "1-1-40,3-3-12".into();
    h2.state().gtid_applied = "1-1-40,3-3-12".into();
    h2.state().replica = Some(("192.0.2.13".into(), true));
    run_steps(&h1, &h2, vec![move_h2_onto_h1()]).expect("moves");
    let s = h2.state();
    let change = s
        .statements
        .iter()
        .find(|st| st.starts_with("CHANGE MASTER"))
        .expect("pointed at h1");
    assert!(change.contains("MASTER_HOST = '192.0.2.11'"), "{change}");
    assert!(change.contains("MASTER_USE_GTID = slave_pos"), "{change}");
    assert!(
        !s.statements
            .iter()
            .any(|st| st.contains("SET GLOBAL gtid_slave_pos")),
        "the position is kept, not set: {:?}",
        s.statements
    );
    assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
}

/// A source that never holds the replica's position: the replica is not moved, and goes on replicating
/// from where it was.
#[test]
fn a_replica_whose_new_source_lacks_its_position_stays_where_it_was() {
    let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
    h1.state().gtid_written = "1-1-40,3-3-9".into();
    h2.state().gtid_applied = "1-1-40,3-3-12".into();
    h2.state().replica = Some(("192.0.2.13".into(), true));
    let refused = run_steps(&h1, &h2, vec![move_h2_onto_h1()]).expect_err("not moved");
    assert!(
        format!("{refused}").contains("does not yet hold every transaction"),
        "{refused}"
    );
    let s = h2.state();
    assert!(
        !s.statements
            .iter()
            .any(|st| st.starts_with("CHANGE MASTER"))
    );
    assert_eq!(
        s.replica,
        Some(("192.0.2.13".into(), true)),
        "still on its old source, running"
    );
}

#[test]
fn a_refused_change_of_credentials_never_repeats_the_password() {
    let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
    h2.state().replica = Some(("192.0.2.11".into(), true));
    h2.state().refuse = Some("CHANGE MASTER".into());
    let change = ReplStep::Credentials {
        replica: "h2".into(),
        source: "h1".into(),
        user: "repl".into(),
    };
    let refused = run_steps(&h1, &h2, vec![change]).expect_err("refused");
    let said = format!("{refused} {refused:?}");
    assert!(said.contains("1064"), "{said}");
    assert!(
        !said.contains("s3cret") && !said.contains("pass''word"),
        "{said}"
    );
    assert!(said.contains("(sensitive)"), "{said}");
}

/// A target whose data was not known at plan time (its server was down) and holds data now: the seed is
/// refused before anything streams, and nothing runs on either host.
#[test]
fn a_seed_onto_a_target_that_turned_out_to_hold_data_is_refused_before_it_streams() {
    let (h1, h2) = (FakeHost::new("h1"), FakeHost::new("h2"));
    h1.state().schemas.insert("shop".into(), 3);
    h2.state().schemas.insert("crm".into(), 2);
    let seed = ReplStep::Seed {
        from: "h1".into(),
        to: "h2".into(),
        schemas: vec!["shop".into()],
        tables: 3,
        bytes: 49152,
        overwrite: false,
        interrupted: false,
        physical: None,
        method_why: Default::default(),
    };
    let refused = run_steps(&h1, &h2, vec![seed]).expect_err("refused");
    assert!(
        matches!(&refused, ApplyError::SeedRefused { host, schemas } if host == "h2" && schemas == "crm"),
        "{refused:?}"
    );
    assert!(h1.state().commands.is_empty(), "nothing was dumped on h1");
    assert!(h2.state().commands.is_empty(), "nothing was restored on h2");
}

#[test]
fn server_messages_never_repeat_the_password() {
    let said = r"You have an error in your SQL syntax near 'it''s se\\cret' at line 1";
    assert_eq!(
        super::scrub(said, r"it's se\cret"),
        "You have an error in your SQL syntax near '(sensitive)' at line 1"
    );
    assert_eq!(
        super::scrub("access denied using it's", "it's"),
        "access denied using (sensitive)"
    );
}

#[test]
fn a_message_quoting_part_of_the_password_is_scrubbed() {
    let password = "correct-horse-battery";
    let tail = "syntax error near 'e-battery' at line 1";
    assert_eq!(
        super::scrub(tail, password),
        "syntax error near '(sensitive)' at line 1"
    );
    let head = "near 'correct-ho";
    assert_eq!(super::scrub(head, password), "near '(sensitive)");
    assert_eq!(
        super::scrub("replication account", "repl"),
        "(sensitive)ication account",
        "a short password is hidden wherever it appears"
    );
}

fn connect_h2_to_h1(position: crate::plan::Position, gtid: bool) -> ReplStep {
    ReplStep::Connect {
        replica: "h2".into(),
        source: "h1".into(),
        source_address: "192.0.2.11".into(),
        port: 3306,
        user: "repl".into(),
        position,
        tls: None,
        gtid,
        reason: crate::plan::ConnectReason::NotReplicating,
    }
}

/// A MySQL replica of a play on GTID is pointed at its source by auto position (no file, no position),
/// asks for the source's key (caching_sha2_password), and is started.
#[test]
fn a_mysql_replica_is_pointed_by_auto_position_and_started() {
    let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
    let connect = connect_h2_to_h1(crate::plan::Position::SourceNow, true);
    run_steps(&h1, &h2, vec![connect]).expect("connects");
    let s = h2.state();
    let change = s
        .statements
        .iter()
        .find(|st| st.starts_with("CHANGE REPLICATION SOURCE TO SOURCE_HOST = '192.0.2.11'"))
        .expect("pointed at h1");
    assert!(
        change.ends_with("SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1"),
        "{change}"
    );
    assert!(!change.contains("SOURCE_LOG_FILE"), "{change}");
    assert!(
        !change.contains(PASSWORD),
        "the password is sent, never recorded"
    );
    assert_eq!(
        s.statements.last().map(String::as_str),
        Some("START REPLICA")
    );
    assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
}

#[test]
fn a_mysql_start_stops_and_starts_the_replica_in_its_words() {
    let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
    h2.state().replica = Some(("192.0.2.11".into(), false));
    let start = ReplStep::Start {
        replica: "h2".into(),
        source: "h1".into(),
        reason: StartReason::Stopped,
    };
    run_steps(&h1, &h2, vec![start]).expect("starts");
    assert_eq!(h2.state().statements, ["STOP REPLICA", "START REPLICA"]);
    assert_eq!(h2.state().replica, Some(("192.0.2.11".into(), true)));
}

/// MySQL 8's 13114 (its source's 1236: the binary logs it read from were replaced) on a replica by
/// auto position: restarted, and it finds its place in the new logs by the GTIDs it holds.
#[test]
fn a_mysql_replica_whose_source_replaced_its_logs_is_restarted_by_gtid() {
    let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
    h2.state().replica = Some(("192.0.2.11".into(), false));
    let repair = ReplStep::Repair {
        replica: "h2".into(),
        source: "h1".into(),
        errno: 13114,
        error: "Got fatal error 1236 from source when reading data from binary log".into(),
    };
    run_steps(&h1, &h2, vec![repair]).expect("repairs");
    let s = h2.state();
    assert_eq!(
        s.statements,
        ["STOP REPLICA", "START REPLICA"],
        "no position is set: auto position finds it"
    );
    assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
}

/// A dump of MySQL sets the source's GTID history on the target, which must not overlap the target's
/// own: the target whose data is replaced has its binary logs and GTIDs emptied first, and it starts at
/// the dump's coordinates.
#[test]
fn a_seed_onto_mysql_empties_its_gtid_history_first_and_starts_at_the_dumps_coordinates() {
    let (h1, h2) = (FakeHost::mysql("h1"), FakeHost::mysql("h2"));
    h1.state().schemas.insert("shop".into(), 3);
    h2.state().gtid_written = "4f22fb58-82db-22f2-af44-d91bba530673:1-3".into();
    let seed = ReplStep::Seed {
        from: "h1".into(),
        to: "h2".into(),
        schemas: vec!["shop".into()],
        tables: 3,
        bytes: 49152,
        overwrite: true,
        interrupted: false,
        physical: None,
        method_why: Default::default(),
    };
    let connect = connect_h2_to_h1(crate::plan::Position::Seed, false);
    run_steps(&h1, &h2, vec![seed, connect]).expect("seeds and connects");
    let s = h2.state();
    let reset = s
        .statements
        .iter()
        .position(|st| st == "RESET BINARY LOGS AND GTIDS")
        .expect("the target's history emptied");
    assert!(s.gtid_written.is_empty());
    // super_read_only is lifted around the restore (a passive target refuses it otherwise) and put back.
    assert!(
        s.restored[0].starts_with(
            "SET @mmprov_super_read_only = @@GLOBAL.super_read_only;\nSET GLOBAL super_read_only = OFF;\n\
             SET SESSION sql_log_bin = 0;\n-- CHANGE REPLICATION SOURCE TO"
        ) && s.restored[0].ends_with("SET GLOBAL super_read_only = @mmprov_super_read_only;\n"),
        "{:?}",
        s.restored
    );
    let change = s
        .statements
        .iter()
        .position(|st| st.starts_with("CHANGE REPLICATION SOURCE TO"))
        .expect("pointed at h1");
    assert!(reset < change);
    assert!(
        s.statements[change]
            .contains("SOURCE_LOG_FILE = 'mysql-bin.000003', SOURCE_LOG_POS = 1234"),
        "{}",
        s.statements[change]
    );
    assert_eq!(s.replica, Some(("192.0.2.11".into(), true)));
}
