//! Moving the writer as the human plan shows it: a planned switchover (the old and new writer, then every
//! step in the order it runs, each with its gate or reason), and an old writer rejoining after a failover.
//! Pure.

use crate::plan::{Rejoin, SwitchStep, Switchover};

/// `SET GLOBAL a = x, b = y` for a step's settings.
fn settings(settings: &[(String, String)]) -> String {
    let said: Vec<String> = settings.iter().map(|(n, v)| format!("{n} = {v}")).collect();
    format!("SET GLOBAL {}", said.join(", "))
}

/// One step's line and the lines under it.
fn step(s: &Switchover, step: &SwitchStep) -> (String, Vec<String>) {
    let (old, new) = (&s.old_writer, &s.new_writer);
    match step {
        SwitchStep::BeforeHook { command } => (
            format!(
                "hook before_switchover on the controller: {command}   (at most {} s)",
                s.hook_timeout
            ),
            vec![format!(
                "gate: it exits 0; otherwise the switchover stops here and nothing has changed ({old} stays the writer)"
            )],
        ),
        SwitchStep::Close {
            host,
            settings: set,
        } => (
            format!("close {host}: {}", settings(set)),
            vec![format!(
                "because the old writer stops taking writes before {new} opens: never two writers"
            )],
        ),
        SwitchStep::Drain { host } => (
            format!(
                "{host}: its client transactions still open are waited out within --drain-timeout, then ended"
            ),
            vec![
                "because a closed writer refuses their commit: none of them can be acknowledged"
                    .into(),
            ],
        ),
        SwitchStep::CatchUp { host, from } => (
            format!(
                "{host}: wait until it has executed every transaction {from} wrote (its GTIDs, read once {from} is closed), within --gate-timeout"
            ),
            vec![format!(
                "gate: read again before {host} opens; if it fails, {from} is put back open (read_only = OFF) and apply says so"
            )],
        ),
        SwitchStep::Open {
            host,
            settings: set,
        } => {
            let lag = s.new_writer_lag.map_or(String::new(), |l| {
                format!(", {l} s behind {old} when planned")
            });
            (
                format!("open {host}: {}", settings(set)),
                vec![format!(
                    "because the play declares `writer: {host}` and {host}'s replica is healthy{lag}"
                )],
            )
        }
        SwitchStep::AfterHook { command } => (
            format!(
                "hook after_switchover on the controller: {command}   (at most {} s)",
                s.hook_timeout
            ),
            vec![format!(
                "once {new} is open; it is told MMPROV_OLD_WRITER, MMPROV_NEW_WRITER, their addresses (MMPROV_*_ADDRESS) and MMPROV_PLAY"
            )],
        ),
    }
}

/// The switchover section.
pub(super) fn section(out: &mut String, s: &Switchover) {
    put!(
        out,
        "switchover (play \"{}\"): the writer moves from {} ({}) to {} ({}), first, one step at a time",
        s.play,
        s.old_writer,
        s.old_address,
        s.new_writer,
        s.new_address
    );
    for (i, st) in s.steps.iter().enumerate() {
        let (line, under) = step(s, st);
        put!(out, "  ~ {}. {line}", i + 1);
        for u in under {
            put!(out, "      {u}");
        }
    }
    out.push('\n');
}

/// An old writer back after a failover: rejoining, or rejoining with the errant transactions accepted.
pub(super) fn rejoin_section(out: &mut String, r: &Rejoin) {
    put!(
        out,
        "rejoin (play \"{}\"): {} is back after {} took over",
        r.play,
        r.old_writer,
        r.successor
    );
    if r.errant.is_empty() {
        put!(
            out,
            "  ~ {} rejoins as a replica: {} replicates from it again, and the rejoin marker on {} goes",
            r.old_writer,
            r.successor,
            r.successor
        );
        put!(
            out,
            "      because it holds no transaction {} lacks (GTIDs compared)",
            r.successor
        );
    } else {
        let named: Vec<&str> = r.errant.iter().map(|(g, _)| g.as_str()).collect();
        let count: u64 = r.errant.iter().map(|(_, n)| n).sum();
        put!(
            out,
            "  ~ {} rejoins WITH {count} errant transaction(s), accepted: {}",
            r.old_writer,
            named.join(", ")
        );
        put!(
            out,
            "  ! WARNING: --accept-errant: they replicate to {} as they are",
            r.successor
        );
    }
    out.push('\n');
}
