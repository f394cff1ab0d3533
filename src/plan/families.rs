//! Which servers may replicate with which, in one play. PURE.
//!
//! 1. Nodes of different families (MariaDB and MySQL) are refused before anything changes: their GTIDs,
//!    statements and binary log events are not each other's, and neither vendor supports the mix.
//! 2. Different releases of one family are allowed: a rolling upgrade passes through that state. The plan
//!    warns of each direction the vendor does not support: a newer source replicating to an older replica,
//!    whose events the older server may not understand.

use std::collections::BTreeMap;

use super::refusal::Refusal;
use crate::facts::HostFacts;
use crate::flavor::ServerVersion;
use crate::model::Play;

/// The play's nodes as their servers report them: refused when families differ; otherwise the warnings
/// for each direction from a newer release to an older one.
pub fn check_families(
    play: &Play,
    facts: &BTreeMap<String, HostFacts>,
) -> Result<Vec<String>, Refusal> {
    let versions: Vec<(&str, ServerVersion)> = play
        .hosts
        .iter()
        .filter_map(|h| Some((h.as_str(), facts.get(h)?.server?)))
        .collect();
    let Some((first, first_version)) = versions.first() else {
        return Ok(Vec::new());
    };
    if let Some((other, other_version)) = versions
        .iter()
        .find(|(_, v)| v.family != first_version.family)
    {
        let listed: Vec<String> = versions
            .iter()
            .map(|(h, v)| format!("{h} runs {v}"))
            .collect();
        return Err(Refusal {
            play: play.name.clone(),
            message: format!(
                "its nodes run different servers ({first} runs {first_version}, {other} runs {other_version}): \
                 MariaDB and MySQL do not replicate with each other ({})",
                listed.join(", ")
            ),
            help: Some(
                "give the play nodes of one server family; to move between families, seed a node of the \
                 other family from a dump and switch over"
                    .into(),
            ),
        });
    }
    let version_of: BTreeMap<&str, ServerVersion> = versions.iter().copied().collect();
    Ok(play
        .ring()
        .into_iter()
        .filter_map(|(replica, source)| {
            let (r, s) = (version_of.get(replica)?, version_of.get(source)?);
            newer(s, r).then(|| {
                format!(
                    "{replica} ({r}) replicates from {source} ({s}), a newer release: the vendor supports \
                     replication from an older source to a newer replica only; finish the upgrade of {replica}"
                )
            })
        })
        .collect())
}

/// Whether `a` is a later release than `b` (of one family).
fn newer(a: &ServerVersion, b: &ServerVersion) -> bool {
    (a.major, a.minor, a.patch) > (b.major, b.minor, b.patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ReplicationFacts;

    /// The fixture pair's play: db1 and db2.
    fn play() -> Play {
        let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
        let project = crate::load::load(path, &Default::default()).expect("fixture loads");
        project.plays[0].clone()
    }

    fn running(host: &str, version: &str) -> (String, HostFacts) {
        let mut f = HostFacts::running_for_tests(host, ReplicationFacts::default());
        f.server = Some(ServerVersion::parse_hint(version).expect("a version"));
        (host.to_string(), f)
    }

    #[test]
    fn nodes_of_different_families_are_refused_naming_each_host_and_version() {
        let facts = [
            running("db1", "mariadb-11.8.3"),
            running("db2", "mysql-9.7.4"),
        ]
        .into();
        let refusal = check_families(&play(), &facts).expect_err("refused");
        assert!(
            refusal.message.contains("db1 runs MariaDB 11.8.3")
                && refusal.message.contains("db2 runs MySQL 9.7.4"),
            "{}",
            refusal.message
        );
    }

    #[test]
    fn releases_of_one_family_are_allowed_with_a_warning_for_newer_to_older() {
        let facts = [running("db1", "mysql-8.4.6"), running("db2", "mysql-9.7.4")].into();
        let warnings = check_families(&play(), &facts).expect("allowed");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("db1 (MySQL 8.4.6) replicates from db2 (MySQL 9.7.4)"),
            "{}",
            warnings[0]
        );
        let same = [running("db1", "mysql-9.7.4"), running("db2", "mysql-9.7.4")].into();
        assert!(check_families(&play(), &same).expect("allowed").is_empty());
    }
}
