//! Moving a running MySQL group to GTID without a restart or an outage: the documented online sequence.
//! Pure, like the rest of `plan`.
//!
//! MySQL cannot go from `gtid_mode = OFF` to `ON` in one step while it replicates: a server at ON refuses the
//! anonymous transactions an OFF peer sends. So every server of the play passes each stage before any
//! passes the next: `enforce_gtid_consistency = ON`, `gtid_mode = OFF_PERMISSIVE`, `ON_PERMISSIVE`; then no
//! anonymous transaction may remain, running or unreplicated; then `gtid_mode = ON`. The move runs before
//! the host steps, so a restart of the same apply loads a file whose `gtid_mode = ON` the server already
//! has. MariaDB has GTIDs always; there this plans nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::facts::HostFacts;
use crate::model::{Play, Project};

/// One play's move, stage by stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GtidMove {
    pub play: String,
    pub stages: Vec<GtidStage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum GtidStage {
    /// `SET GLOBAL variable = value` on each of these hosts, one at a time.
    Set {
        variable: String,
        value: String,
        hosts: Vec<String>,
    },
    /// Wait until no anonymous transaction runs on any of these hosts, and every replica of the play has
    /// applied its source's binary log up to that point. `directions`: (replica, source).
    DrainAnonymous {
        hosts: Vec<String>,
        directions: Vec<(String, String)>,
    },
}

/// The levels a MySQL server passes, in order, as (variable, value).
const LEVELS: [(&str, &str); 4] = [
    ("enforce_gtid_consistency", "ON"),
    ("gtid_mode", "OFF_PERMISSIVE"),
    ("gtid_mode", "ON_PERMISSIVE"),
    ("gtid_mode", "ON"),
];

/// How far a server is along [`LEVELS`]: 0 before `enforce_gtid_consistency = ON`, 4 at `gtid_mode = ON`.
/// `None` when it does not report both variables (not a MySQL server with GTIDs).
fn level(facts: &HostFacts) -> Option<usize> {
    let mode = facts.variables.get("gtid_mode")?.to_ascii_uppercase();
    let enforce = facts.variables.get("enforce_gtid_consistency")?;
    if !(enforce.eq_ignore_ascii_case("ON") || enforce == "1") {
        return Some(0);
    }
    Some(match mode.as_str() {
        "OFF" => 1,
        "OFF_PERMISSIVE" => 2,
        "ON_PERMISSIVE" => 3,
        _ => 4,
    })
}

/// The move of a play's MySQL servers to `gtid_mode = ON`, when the play wants GTID and one of its running
/// servers is not there yet. Every host of the play must run: a server started into ON while a peer is not
/// would refuse that peer's transactions (said as a warning, and nothing is moved).
pub fn plan_gtid_move(
    project: &Project,
    play: &Play,
    facts: &BTreeMap<String, HostFacts>,
    warnings: &mut Vec<String>,
) -> Option<GtidMove> {
    if !play.vars.gtid {
        return None;
    }
    let hosts: Vec<(&String, &HostFacts)> = play
        .hosts
        .iter()
        .filter(|h| project.in_limit(h))
        .filter_map(|h| Some((h, facts.get(h)?)))
        .filter(|(_, f)| f.server.is_some_and(|s| s.dialect().capabilities.gtid_mode))
        .collect();
    let levels: Vec<(&String, usize)> = hosts
        .iter()
        .filter(|(_, f)| f.running)
        .filter_map(|(h, f)| Some((*h, level(f)?)))
        .collect();
    if levels.iter().all(|(_, l)| *l == LEVELS.len()) {
        return None;
    }
    if levels.len() < hosts.len() {
        warnings.push(format!(
            "play `{}`: its MySQL servers are not all running, so they are not moved to gtid_mode = ON now \
             (a server started into ON would refuse its peers' transactions): apply again once every one runs",
            play.name
        ));
        return None;
    }
    let mut stages = Vec::new();
    for (i, (variable, value)) in LEVELS.iter().enumerate() {
        let behind: Vec<String> = levels
            .iter()
            .filter(|(_, l)| *l <= i)
            .map(|(h, _)| (*h).clone())
            .collect();
        if behind.is_empty() {
            continue;
        }
        if *value == "ON" && *variable == "gtid_mode" {
            stages.push(GtidStage::DrainAnonymous {
                hosts: levels.iter().map(|(h, _)| (*h).clone()).collect(),
                directions: play
                    .ring()
                    .into_iter()
                    .filter(|(r, s)| project.in_limit(r) && project.in_limit(s))
                    .map(|(r, s)| (r.to_string(), s.to_string()))
                    .collect(),
            });
        }
        stages.push(GtidStage::Set {
            variable: variable.to_string(),
            value: value.to_string(),
            hosts: behind,
        });
    }
    Some(GtidMove {
        play: play.name.clone(),
        stages,
    })
}

/// Whether the host plan leaves this variable to a GTID move (set live, stage by stage, never by a restart
/// or a single `SET GLOBAL`).
pub fn moved_online(variable: &str) -> bool {
    LEVELS.iter().any(|(v, _)| *v == variable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavor::ServerVersion;

    fn project() -> Project {
        let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
        crate::load::load(path, &Default::default()).expect("fixture loads")
    }

    fn mysql(host: &str, enforce: &str, mode: &str) -> HostFacts {
        HostFacts {
            host: host.into(),
            server: ServerVersion::parse_hint("mysql-8.0.36").ok(),
            running: true,
            service: crate::model::ServiceKind::Service,
            service_name: "mysql".into(),
            config_path: String::new(),
            option_files: Default::default(),
            config: None,
            variables: [
                ("gtid_mode".to_string(), mode.to_string()),
                ("enforce_gtid_consistency".to_string(), enforce.to_string()),
            ]
            .into(),
            replication: None,
            seed_incomplete: false,
            writes_held: false,
            missing_files: Vec::new(),
            layout: Default::default(),
            os: Default::default(),
        }
    }

    fn planned(db1: HostFacts, db2: HostFacts) -> (Option<GtidMove>, Vec<String>) {
        let p = project();
        let facts = [("db1".to_string(), db1), ("db2".to_string(), db2)].into();
        let mut warnings = Vec::new();
        (
            plan_gtid_move(&p, &p.plays[0], &facts, &mut warnings),
            warnings,
        )
    }

    fn set(variable: &str, value: &str, hosts: &[&str]) -> GtidStage {
        GtidStage::Set {
            variable: variable.into(),
            value: value.into(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    #[test]
    fn a_pair_at_off_passes_every_stage_on_every_server_and_drains_before_on() {
        let (moved, _) = planned(mysql("db1", "OFF", "OFF"), mysql("db2", "OFF", "OFF"));
        let both = ["db1", "db2"];
        assert_eq!(
            moved.map(|m| m.stages),
            Some(vec![
                set("enforce_gtid_consistency", "ON", &both),
                set("gtid_mode", "OFF_PERMISSIVE", &both),
                set("gtid_mode", "ON_PERMISSIVE", &both),
                GtidStage::DrainAnonymous {
                    hosts: vec!["db1".into(), "db2".into()],
                    directions: vec![("db1".into(), "db2".into()), ("db2".into(), "db1".into())],
                },
                set("gtid_mode", "ON", &both),
            ])
        );
    }

    #[test]
    fn an_interrupted_move_resumes_where_each_server_is_and_never_steps_one_back() {
        let (moved, _) = planned(
            mysql("db1", "ON", "ON_PERMISSIVE"),
            mysql("db2", "ON", "OFF_PERMISSIVE"),
        );
        assert_eq!(
            moved.map(|m| m.stages),
            Some(vec![
                set("gtid_mode", "ON_PERMISSIVE", &["db2"]),
                GtidStage::DrainAnonymous {
                    hosts: vec!["db1".into(), "db2".into()],
                    directions: vec![("db1".into(), "db2".into()), ("db2".into(), "db1".into())],
                },
                set("gtid_mode", "ON", &["db1", "db2"]),
            ])
        );
    }

    #[test]
    fn servers_at_on_mariadb_and_gtid_false_plan_nothing() {
        assert_eq!(
            planned(mysql("db1", "ON", "ON"), mysql("db2", "ON", "ON")).0,
            None
        );
        let mut maria = mysql("db1", "OFF", "OFF");
        maria.server = Some(ServerVersion::DEBIAN_DEFAULT);
        let mut maria2 = maria.clone();
        maria2.host = "db2".into();
        assert_eq!(planned(maria, maria2).0, None);
        let mut p = project();
        p.plays[0].vars.gtid = false;
        let facts = [
            ("db1".to_string(), mysql("db1", "OFF", "OFF")),
            ("db2".to_string(), mysql("db2", "OFF", "OFF")),
        ]
        .into();
        assert_eq!(
            plan_gtid_move(&p, &p.plays[0], &facts, &mut Vec::new()),
            None
        );
    }

    #[test]
    fn a_server_that_is_down_holds_the_move_back_with_a_warning() {
        let mut down = mysql("db2", "OFF", "OFF");
        down.running = false;
        down.variables.clear();
        let (moved, warnings) = planned(mysql("db1", "OFF", "OFF"), down);
        assert_eq!(moved, None);
        assert!(warnings[0].contains("not all running"), "{warnings:?}");
    }
}
