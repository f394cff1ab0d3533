//! One play's replication plan: its steps, its warnings, the hosts it is decided again after, and the
//! directions it leaves broken; and what it answers about itself (the hosts it touches, whether a plan made
//! again does the same).

use serde::{Deserialize, Serialize};

use super::{BrokenDirection, ReplStep};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationPlan {
    pub play: String,
    pub steps: Vec<ReplStep>,
    pub warnings: Vec<String>,
    /// Hosts whose restart (or start) this plan waits for: it was made from what they will be after it, and
    /// is decided again from what they are then. Apply runs it only if the steps are still the same in kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decided_after: Vec<String>,
    /// Directions stopped on an error that mmprov cannot repair safely: left as they are, each with its fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub broken: Vec<BrokenDirection>,
}

impl ReplicationPlan {
    /// Whether `now` (decided after the restarts) does what this plan showed: the same steps, in the same
    /// order, each the same in kind.
    pub fn same_steps(&self, now: &ReplicationPlan) -> bool {
        self.play == now.play
            && self.steps.len() == now.steps.len()
            && self
                .steps
                .iter()
                .zip(&now.steps)
                .all(|(a, b)| a.same_kind(b))
    }

    /// Whether every step of `now` was shown in this plan (the same kind on the same hosts), in the order
    /// shown: `now` then runs only what was confirmed, perhaps less (a replica that reconnected by itself
    /// needs none of the start planned for it).
    pub fn shows_every_step_of(&self, now: &ReplicationPlan) -> bool {
        let mut shown = self.steps.iter();
        self.play == now.play && now.steps.iter().all(|n| shown.any(|s| s.same_kind(n)))
    }

    /// Every host its steps touch.
    pub fn hosts(&self) -> std::collections::BTreeSet<String> {
        self.steps
            .iter()
            .flat_map(|s| match s {
                ReplStep::Account {
                    source, replica, ..
                }
                | ReplStep::Connect {
                    replica, source, ..
                }
                | ReplStep::Start {
                    replica, source, ..
                }
                | ReplStep::Credentials {
                    replica, source, ..
                }
                | ReplStep::Tls {
                    replica, source, ..
                }
                | ReplStep::Positioning {
                    replica, source, ..
                }
                | ReplStep::Move {
                    replica, source, ..
                }
                | ReplStep::Repair {
                    replica, source, ..
                } => [source.clone(), replica.clone()],
                ReplStep::Seed { from, to, .. } => [from.clone(), to.clone()],
            })
            .collect()
    }
}
