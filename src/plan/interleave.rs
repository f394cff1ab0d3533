//! Which `auto_increment_increment` and offset each node of a play uses, so that no two nodes ever generate
//! the same id: neither once a change is done, nor while it rolls out. Pure, like the rest of `plan`.
//!
//! A node generates the ids of its class, `offset + k * increment`. Two classes meet exactly when their
//! offsets agree modulo the gcd of their increments. An application session keeps the values it connected
//! with after a `SET GLOBAL`, so a node's old class stays in use until its last old session ends. Hence:
//! 1. The members (nodes already running with an increment above 1 that replicate or hold data) keep their
//!    offsets, and the increment only grows, to a multiple of theirs: each member's new class lies inside its
//!    old one, so no member's new ids can meet another member's old ones. An increment that already leaves
//!    room is kept: a ring that shrinks changes nothing, and growing back into the room it left changes
//!    nothing either.
//! 2. A newcomer takes a free offset, preferably one whose class meets no member's current class. When none
//!    is left (a pair at increment 2 covers every id between them), its class meets some members' old
//!    sessions: it joins held read-only, and opens for writes only once every session those members had
//!    before the change has ended. A node left held by an interrupted run (its marker) stays held.
//!
//! An increment the play sets that its live members cannot reach this way is refused, with the nearest one
//! that can.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::replication::Refusal;
use crate::facts::HostFacts;
use crate::model::{Play, Project};

/// The ids a node generates: `offset`, `offset + increment`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interleave {
    pub increment: u32,
    pub offset: u32,
}

impl Interleave {
    /// Whether some id is in both classes.
    pub fn meets(self, other: Interleave) -> bool {
        let gcd = gcd(self.increment.max(1), other.increment.max(1));
        self.offset % gcd == other.offset % gcd
    }
}

impl std::fmt::Display for Interleave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} + k*{}", self.offset, self.increment)
    }
}

/// What a play's nodes are given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub nodes: BTreeMap<String, Interleave>,
    /// Members whose values change on the running server: (live, wanted).
    pub changes: BTreeMap<String, (Interleave, Interleave)>,
    /// Nodes kept read-only until these members' sessions from before the change have ended.
    pub held: BTreeMap<String, Vec<String>>,
}

/// One play's interleaving stage: holds and live changes before the host steps, opens after replication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interleaving {
    pub play: String,
    /// Members whose values change on the running server (each inside its old class).
    pub changes: Vec<IncrementChange>,
    /// Nodes that join held read-only, opened at the end of the apply.
    pub held: Vec<HeldNode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncrementChange {
    pub host: String,
    pub from: Interleave,
    pub to: Interleave,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldNode {
    pub host: String,
    /// The members whose sessions from before the change must end first.
    pub drain: Vec<String>,
    /// An earlier run already holds it (its marker is there).
    pub marked: bool,
    /// Its server runs now: it is made read-only at once, not only by its config.
    pub running: bool,
    pub config_path: String,
    /// Its config once open: what the held one becomes.
    pub open_config: String,
}

/// The interleaving stage of each play whose nodes change or join held, from the desired state.
pub fn interleavings(
    desired: &[super::Desired],
    facts: &BTreeMap<String, HostFacts>,
) -> Vec<Interleaving> {
    let mut plays: BTreeMap<&str, Interleaving> = BTreeMap::new();
    for d in desired {
        let stage = || Interleaving {
            play: d.play.clone(),
            changes: Vec::new(),
            held: Vec::new(),
        };
        if let Some((from, to)) = d.interleave_change {
            plays
                .entry(&d.play)
                .or_insert_with(stage)
                .changes
                .push(IncrementChange {
                    host: d.host.clone(),
                    from,
                    to,
                });
        }
        if let Some(held) = &d.held {
            let f = facts.get(&d.host);
            plays
                .entry(&d.play)
                .or_insert_with(stage)
                .held
                .push(HeldNode {
                    host: d.host.clone(),
                    drain: held.drain.clone(),
                    marked: f.is_some_and(|f| f.writes_held),
                    running: f.is_some_and(|f| f.running),
                    config_path: d.config_path.clone(),
                    open_config: held.open_config.clone(),
                });
        }
    }
    plays.into_values().collect()
}

/// The values a running node generates with now, when it is a member of a live group.
fn member_class(facts: &HostFacts) -> Result<Option<Interleave>, String> {
    if !facts.running {
        return Ok(None);
    }
    // A running server always reports both: one missing is an unreadable value, not a fresh node.
    let read = |name: &str| -> Result<u32, String> {
        let v = facts
            .variables
            .get(name)
            .ok_or_else(|| format!("{} does not report {name}", facts.host))?;
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("{} reports {name} = '{v}', not a number", facts.host))
    };
    let increment = read("auto_increment_increment")?;
    let offset = read("auto_increment_offset")?;
    let live = facts
        .replication
        .as_ref()
        .is_some_and(|r| r.replica.is_some() || r.holds_data());
    Ok((increment > 1 && live).then_some(Interleave { increment, offset }))
}

/// The values of every node of `play` (within the run's facts), and how a running group gets there.
pub fn assign(
    project: &Project,
    play: &Play,
    facts: &BTreeMap<String, HostFacts>,
) -> Result<Assignment, Refusal> {
    let mut members: BTreeMap<&str, Interleave> = BTreeMap::new();
    for host in &play.hosts {
        let Some(f) = facts.get(host) else { continue };
        if let Some(class) = member_class(f).map_err(|m| refuse(play, m, None))? {
            members.insert(host, class);
        }
    }
    if members.is_empty() {
        return Ok(fresh(project, play, facts));
    }
    let common = members.values().fold(1, |l, c| lcm(l, c.increment));
    let needed = u32::try_from(play.hosts.len()).unwrap_or(u32::MAX).max(1);
    let group = Group {
        project,
        play,
        increment: match &play.vars.auto_increment_increment {
            Some(set) => set.value,
            None => common * needed.div_ceil(common),
        },
        members,
        common,
        needed,
    };
    let mut nodes = group.members_kept();
    group.check_members_apart(&nodes)?;
    let mut held = group.place_newcomers(&mut nodes)?;
    let all: Vec<String> = group.members.keys().map(|m| m.to_string()).collect();
    for (host, drain) in marked_held(play, facts, &all) {
        held.entry(host).or_insert(drain);
    }
    let changes = group
        .members
        .iter()
        .filter(|(h, live)| nodes[**h] != **live)
        .map(|(h, live)| (h.to_string(), (*live, nodes[*h])))
        .collect();
    Ok(Assignment {
        nodes,
        changes,
        held,
    })
}

fn refuse(play: &Play, message: String, help: Option<String>) -> Refusal {
    Refusal {
        play: play.name.clone(),
        message,
        help,
    }
}

/// A group with no running member: every node takes the play's values.
fn fresh(project: &Project, play: &Play, facts: &BTreeMap<String, HostFacts>) -> Assignment {
    let nodes = play
        .hosts
        .iter()
        .map(|h| {
            let class = Interleave {
                increment: play.auto_increment_increment(),
                offset: project.auto_increment_offset(play, h),
            };
            (h.clone(), class)
        })
        .collect();
    Assignment {
        nodes,
        changes: BTreeMap::new(),
        held: marked_held(play, facts, &[]),
    }
}

/// A running group: its members with their live values, and the increment they move to.
struct Group<'a> {
    project: &'a Project,
    play: &'a Play,
    members: BTreeMap<&'a str, Interleave>,
    /// The least common multiple of the members' live increments.
    common: u32,
    /// How many nodes the play has: the increment must leave an offset for each.
    needed: u32,
    increment: u32,
}

impl Group<'_> {
    fn explicit_offset(&self, host: &str) -> Option<u32> {
        self.project
            .hosts
            .get(host)
            .and_then(|h| h.auto_increment_offset.as_ref())
            .map(|s| s.value)
    }

    /// Each member keeps its offset (unless the inventory sets one) under the new increment.
    fn members_kept(&self) -> BTreeMap<String, Interleave> {
        self.members
            .iter()
            .map(|(&host, &live)| {
                let offset = self.explicit_offset(host).unwrap_or(live.offset);
                let class = Interleave {
                    increment: self.increment,
                    offset,
                };
                (host.to_string(), class)
            })
            .collect()
    }

    /// Refused when a member's new values would generate an id another member's live sessions still can.
    fn check_members_apart(&self, nodes: &BTreeMap<String, Interleave>) -> Result<(), Refusal> {
        for &host in self.members.keys() {
            let new = nodes[host];
            for (&other, &live) in self.members.iter().filter(|(o, _)| **o != host) {
                if new.meets(live) {
                    return Err(refuse(
                        self.play,
                        format!(
                            "{host} would generate ids {new} while sessions on {other} still generate {live}: \
                             the two would meet"
                        ),
                        Some(format!(
                            "leave auto_increment_increment unset, or set a multiple of {} and keep each \
                             node's auto_increment_offset, so every node's new ids stay within its old ones",
                            self.common
                        )),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Each node that is not running yet gets a free offset (one whose ids no member's live sessions can
    /// generate, where there is one); one whose ids can still meet a member's joins held, waiting on those.
    fn place_newcomers(
        &self,
        nodes: &mut BTreeMap<String, Interleave>,
    ) -> Result<BTreeMap<String, Vec<String>>, Refusal> {
        let mut held = BTreeMap::new();
        let newcomers = self
            .play
            .hosts
            .iter()
            .filter(|h| !self.members.contains_key(h.as_str()));
        for host in newcomers {
            let offset = match self.explicit_offset(host) {
                Some(o) => o,
                None => self.free_offset(host, nodes)?,
            };
            let class = Interleave {
                increment: self.increment,
                offset,
            };
            let meets: Vec<String> = self
                .members
                .iter()
                .filter(|(_, live)| class.meets(**live))
                .map(|(m, _)| m.to_string())
                .collect();
            if !meets.is_empty() && !self.play.is_read_only(host) {
                held.insert(host.clone(), meets);
            }
            nodes.insert(host.clone(), class);
        }
        Ok(held)
    }

    /// The first offset no node takes whose ids no member's live sessions generate; else the first free one.
    fn free_offset(
        &self,
        host: &str,
        nodes: &BTreeMap<String, Interleave>,
    ) -> Result<u32, Refusal> {
        let increment = self.increment;
        let taken: Vec<u32> = nodes.values().map(|c| c.offset).collect();
        let clean = |offset: u32| {
            let class = Interleave { increment, offset };
            !self.members.values().any(|live| class.meets(*live))
        };
        let free: Vec<u32> = (1..=increment).filter(|o| !taken.contains(o)).collect();
        let Some(&first) = free.first() else {
            return Err(refuse(
                self.play,
                format!("auto_increment_increment {increment} leaves no offset for {host}"),
                Some(format!(
                    "leave it unset, or set a multiple of {} of at least {}",
                    self.common, self.needed
                )),
            ));
        };
        Ok(free.iter().copied().find(|o| clean(*o)).unwrap_or(first))
    }
}

/// Nodes an earlier run left held (its marker is on them): they wait on every member, since which of them
/// changed is no longer known.
fn marked_held(
    play: &Play,
    facts: &BTreeMap<String, HostFacts>,
    members: &[String],
) -> BTreeMap<String, Vec<String>> {
    play.hosts
        .iter()
        .filter(|h| facts.get(*h).is_some_and(|f| f.writes_held))
        .map(|h| {
            let others = members.iter().filter(|m| *m != h).cloned().collect();
            (h.clone(), others)
        })
        .collect()
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: u32, b: u32) -> u32 {
    a / gcd(a, b) * b
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::facts::{ReplicationFacts, SchemaSize};

    /// The fixture pair's project, its play's hosts replaced by `hosts` (comma-separated).
    fn project(hosts: &str) -> Project {
        let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
        let mut p = crate::load::load(path, &Default::default()).expect("fixture loads");
        p.plays[0].hosts = hosts.split(',').map(String::from).collect();
        p
    }

    /// A running node replicating (a member) with these values, or a fresh one.
    fn node(host: &str, class: Option<(u32, u32)>) -> HostFacts {
        let (increment, offset) = class.unwrap_or((1, 1));
        let schemas = match class {
            Some(_) => vec![SchemaSize {
                name: "shop".into(),
                tables: 1,
                bytes: 16384,
            }],
            None => Vec::new(),
        };
        let mut f = HostFacts::running_for_tests(
            host,
            ReplicationFacts {
                schemas,
                ..Default::default()
            },
        );
        f.variables = [
            (
                "auto_increment_increment".to_string(),
                increment.to_string(),
            ),
            ("auto_increment_offset".to_string(), offset.to_string()),
        ]
        .into();
        f
    }

    fn facts(nodes: &[(&str, Option<(u32, u32)>)]) -> BTreeMap<String, HostFacts> {
        nodes
            .iter()
            .map(|(h, c)| (h.to_string(), node(h, *c)))
            .collect()
    }

    fn class(increment: u32, offset: u32) -> Interleave {
        Interleave { increment, offset }
    }

    /// Every pair of distinct nodes: neither's new ids meet the other's new or old ones.
    fn never_meet(a: &Assignment, f: &BTreeMap<String, HostFacts>) {
        for (x, cx) in &a.nodes {
            for (y, cy) in a.nodes.iter().filter(|(y, _)| *y != x) {
                assert!(!cx.meets(*cy), "{x} {cx} meets {y} {cy}");
                let old = member_class(&f[y])
                    .expect("reads")
                    .filter(|_| !a.held.contains_key(x));
                if let Some(old) = old {
                    assert!(!cx.meets(old), "{x} {cx} meets {y}'s old sessions {old}");
                }
            }
        }
    }

    #[test]
    fn a_fresh_group_takes_one_step_per_host() {
        let p = project("h1,h2,h3");
        let f = facts(&[("h1", None), ("h2", None), ("h3", None)]);
        let a = assign(&p, &p.plays[0], &f).expect("assigns");
        assert_eq!(a.nodes["h3"], class(3, 3));
        assert!(a.changes.is_empty() && a.held.is_empty());
    }

    #[test]
    fn a_pair_growing_into_a_ring_refines_its_classes_and_holds_the_newcomer() {
        let p = project("h1,h2,h3");
        let f = facts(&[("h1", Some((2, 1))), ("h2", Some((2, 2))), ("h3", None)]);
        let a = assign(&p, &p.plays[0], &f).expect("assigns");
        assert_eq!(a.nodes["h1"], class(4, 1));
        assert_eq!(a.nodes["h2"], class(4, 2));
        assert_eq!(a.nodes["h3"], class(4, 3));
        assert_eq!(a.changes["h1"], (class(2, 1), class(4, 1)));
        assert_eq!(a.held["h3"], ["h1"], "3 + k*4 meets only h1's old odd ids");
        never_meet(&a, &f);
    }

    #[test]
    fn a_ring_shrinking_keeps_its_values_and_grows_back_into_the_room_it_left() {
        let p = project("h1,h2");
        let f = facts(&[("h1", Some((3, 1))), ("h2", Some((3, 2)))]);
        let a = assign(&p, &p.plays[0], &f).expect("assigns");
        assert_eq!(a.nodes["h2"], class(3, 2));
        assert!(a.changes.is_empty());

        let p = project("h1,h2,h3");
        let f = facts(&[("h1", Some((4, 1))), ("h2", Some((4, 2))), ("h3", None)]);
        let a = assign(&p, &p.plays[0], &f).expect("assigns");
        assert_eq!(a.nodes["h3"], class(4, 3));
        assert!(a.changes.is_empty() && a.held.is_empty(), "{a:?}");
        never_meet(&a, &f);
    }

    #[test]
    fn a_ring_of_three_growing_to_four_stays_clear_of_every_old_class() {
        let p = project("h1,h2,h3,h4");
        let f = facts(&[
            ("h1", Some((3, 1))),
            ("h2", Some((3, 2))),
            ("h3", Some((3, 3))),
            ("h4", None),
        ]);
        let a = assign(&p, &p.plays[0], &f).expect("assigns");
        assert_eq!(a.nodes["h1"].increment, 6);
        assert!(a.held.contains_key("h4"));
        never_meet(&a, &f);
    }

    #[test]
    fn an_increment_that_would_cross_live_classes_is_refused() {
        let mut p = project("h1,h2,h3");
        let nowhere = crate::model::Span {
            file: crate::model::FileId(0),
            offset: 0,
            len: 0,
        };
        p.plays[0].vars.auto_increment_increment = Some(crate::model::Sourced::new(3, nowhere));
        let f = facts(&[("h1", Some((2, 1))), ("h2", Some((2, 2))), ("h3", None)]);
        let refused = assign(&p, &p.plays[0], &f).expect_err("refused");
        assert!(refused.message.contains("would meet"), "{refused:?}");
        assert!(
            refused
                .help
                .as_deref()
                .unwrap_or("")
                .contains("multiple of 2"),
            "{refused:?}"
        );
    }

    #[test]
    fn an_unreadable_increment_is_an_error() {
        let p = project("h1,h2");
        let mut f = facts(&[("h1", Some((2, 1))), ("h2", Some((2, 2)))]);
        if let Some(h) = f.get_mut("h2") {
            h.variables
                .insert("auto_increment_increment".into(), "NULL".into());
        }
        assert!(assign(&p, &p.plays[0], &f).is_err());
        if let Some(h) = f.get_mut("h2") {
            h.variables.remove("auto_increment_increment");
        }
        let refused = assign(&p, &p.plays[0], &f).expect_err("a running server that does not say");
        assert!(refused.message.contains("does not report"), "{refused:?}");
    }

    #[test]
    fn a_node_an_earlier_run_left_held_stays_held_on_every_member() {
        let p = project("h1,h2,h3");
        let mut f = facts(&[("h1", Some((4, 1))), ("h2", Some((4, 2))), ("h3", None)]);
        if let Some(h) = f.get_mut("h3") {
            h.writes_held = true;
        }
        let a = assign(&p, &p.plays[0], &f).expect("assigns");
        assert_eq!(a.held["h3"], ["h1", "h2"]);
    }
}
