//! Checks that span the whole project: what each play needs from its hosts, and identities that must not clash.
//! Pure: reads the project (and whether secrets are present, never their values) and appends [`Problem`]s.

use std::collections::BTreeMap;

use super::problem::Problem;
use crate::model::{Play, Project, Role, SecretRef, Sourced};

pub fn check(project: &Project, problems: &mut Vec<Problem>) {
    check_one_server_play_per_host(project, problems);
    for play in &project.plays {
        if play.hosts.is_empty() && !problems.iter().any(|p| p.span == Some(play.pattern.span)) {
            problems.push(Problem::at(
                play.pattern.span,
                format!("play `{}` selects no hosts", play.name),
                "empty",
            ));
        }
        if play.has_role(Role::Server) {
            check_server_ids(project, play, problems);
            check_offsets(project, play, problems);
        }
        if play.has_role(Role::Replication) {
            check_replication_secret(play, problems);
            if let Some(seed) = &play.vars.seed_from
                && !play.hosts.contains(&seed.value)
            {
                problems.push(Problem::at(
                    seed.span,
                    format!(
                        "seed_from `{}` is not a host of play `{}`",
                        seed.value, play.name
                    ),
                    "not in the play",
                ));
            }
        }
        check_read_only(play, problems);
        check_writer(play, problems);
        check_tls_paths(play, problems);
        if let Some(template) = &play.template
            && !template.value.is_file()
        {
            problems.push(Problem::at(
                template.span,
                format!("template {} does not exist", template.value.display()),
                "no such file",
            ));
        }
    }
}

/// A host's my.cnf comes from exactly one play: two would fight over it on every apply.
fn check_one_server_play_per_host(project: &Project, problems: &mut Vec<Problem>) {
    let mut owner: BTreeMap<&str, &Play> = BTreeMap::new();
    for play in project.plays.iter().filter(|p| p.has_role(Role::Server)) {
        for host in &play.hosts {
            if let Some(first) = owner.insert(host, play) {
                problems.push(
                    Problem::at(
                        play.pattern.span,
                        format!(
                            "host `{host}` is configured by plays `{}` and `{}`",
                            first.name, play.name
                        ),
                        "selected again here",
                    )
                    .help("a host's server config comes from one play; remove it from one of them"),
                );
            }
        }
    }
}

fn check_server_ids(project: &Project, play: &Play, problems: &mut Vec<Problem>) {
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for name in &play.hosts {
        let Some(host) = project.hosts.get(name) else {
            continue;
        };
        match &host.server_id {
            None => problems.push(
                Problem::at(
                    host.declared_at,
                    format!("host `{name}` has no server_id"),
                    "declared here",
                )
                .help(format!(
                    "play `{}` configures servers: give every host a distinct server_id",
                    play.name
                )),
            ),
            Some(Sourced { value: 0, span }) => problems.push(
                Problem::at(
                    *span,
                    format!("server_id of `{name}` is 0"),
                    "0 disables replication",
                )
                .help("use a distinct server_id from 1 to 4294967295"),
            ),
            Some(Sourced { value, span }) => {
                if let Some(other) = seen.insert(*value, name) {
                    problems.push(
                        Problem::at(
                            *span,
                            format!("server_id {value} is used by both `{other}` and `{name}`"),
                            "duplicate",
                        )
                        .help("every server in a replication topology needs its own server_id"),
                    );
                }
            }
        }
    }
}

fn check_offsets(project: &Project, play: &Play, problems: &mut Vec<Problem>) {
    let increment = play.auto_increment_increment();
    let count = play.hosts.len();
    if let Some(inc) = &play.vars.auto_increment_increment
        && (inc.value as usize) < count
    {
        problems.push(
            Problem::at(
                inc.span,
                format!(
                    "auto_increment_increment {} is less than the {count} hosts of the play",
                    inc.value
                ),
                "too small",
            )
            .help("with fewer steps than writers, two nodes hand out the same AUTO_INCREMENT ids"),
        );
        return;
    }
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for name in &play.hosts {
        let offset = project.auto_increment_offset(play, name);
        let span = project
            .hosts
            .get(name)
            .and_then(|h| h.auto_increment_offset.as_ref())
            .map(|s| s.span);
        let at = span.or_else(|| project.hosts.get(name).map(|h| h.declared_at));
        let Some(at) = at else { continue };
        if offset == 0 || offset > increment {
            problems.push(
                Problem::at(
                    at,
                    format!(
                        "auto_increment_offset {offset} of `{name}` is outside 1..={increment}"
                    ),
                    "out of range",
                )
                .help("each node's offset must be between 1 and auto_increment_increment"),
            );
        } else if let Some(other) = seen.insert(offset, name) {
            problems.push(
                Problem::at(
                    at,
                    format!(
                        "auto_increment_offset {offset} is used by both `{other}` and `{name}`"
                    ),
                    "overlaps",
                )
                .help(
                    "give every node of the play its own offset, or none to number them in order",
                ),
            );
        }
    }
}

fn check_replication_secret(play: &Play, problems: &mut Vec<Problem>) {
    match &play.vars.replication_password {
        None => problems.push(
            Problem::at(play.declared_at, format!("play `{}` sets up replication but has no replication_password", play.name), "this play")
                .help("add `replication_password: { env: MMPROV_REPL_PASSWORD }` (or `{ file: PATH }`) to its vars"),
        ),
        Some(secret) => {
            if let Some(problem) = secret_problem(secret) {
                problems.push(problem);
            }
        }
    }
}

/// Why a secret cannot be read, if it cannot. Never reads or reports the secret itself.
pub fn secret_problem(secret: &Sourced<SecretRef>) -> Option<Problem> {
    match &secret.value {
        SecretRef::Env(var) => match std::env::var_os(var) {
            Some(v) if !v.is_empty() => None,
            _ => Some(
                Problem::at(
                    secret.span,
                    format!("the secret's environment variable {var} is not set"),
                    "read from here",
                )
                .help(format!("export {var} before running mmprov")),
            ),
        },
        SecretRef::File(path) => match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => None,
            _ => Some(Problem::at(
                secret.span,
                format!("the secret file {} cannot be read", path.display()),
                "read from here",
            )),
        },
        // Read (and checked) with the inventory.
        SecretRef::Var(_) => None,
    }
}

/// Passive nodes must belong to the play, and their switch has one owner: `read_only_hosts`.
fn check_read_only(play: &Play, problems: &mut Vec<Problem>) {
    if let Some(passive) = &play.vars.read_only_hosts {
        for host in passive.value.iter().filter(|h| !play.hosts.contains(h)) {
            problems.push(Problem::at(
                passive.span,
                format!(
                    "read_only_hosts names `{host}`, which is not a host of play `{}`",
                    play.name
                ),
                "not in the play",
            ));
        }
    }
    for option in ["read_only", "super_read_only"] {
        let named = play
            .vars
            .mysqld
            .keys()
            .any(|k| k.to_ascii_lowercase().replace('-', "_") == option);
        if named {
            problems.push(
                Problem::at(
                    play.declared_at,
                    format!("play `{}` sets `{option}` in `mysqld`", play.name),
                    "in this play",
                )
                .help("mmprov sets it on every node: list the passive nodes in `read_only_hosts`"),
            );
        }
    }
}

/// The declared writer belongs to the play; beside it, `read_only_hosts` may only say the same thing (every
/// other node), since two lists of who writes that disagree leave nobody knowing which wins.
fn check_writer(play: &Play, problems: &mut Vec<Problem>) {
    let Some(writer) = &play.vars.writer else {
        return;
    };
    if !play.hosts.contains(&writer.value) {
        problems.push(Problem::at(
            writer.span,
            format!(
                "writer names `{}`, which is not a host of play `{}`",
                writer.value, play.name
            ),
            "not in the play",
        ));
        return;
    }
    let Some(passive) = &play.vars.read_only_hosts else {
        return;
    };
    let mut listed: Vec<&String> = passive.value.iter().collect();
    listed.sort();
    listed.dedup();
    let mut others: Vec<&String> = play.hosts.iter().filter(|h| **h != writer.value).collect();
    others.sort();
    if listed != others {
        let others: Vec<&str> = others.iter().map(|h| h.as_str()).collect();
        problems.push(
            Problem::at(
                passive.span,
                format!(
                    "read_only_hosts disagrees with `writer: {}` of play `{}`: with that writer, the passive \
                     nodes are {}",
                    writer.value,
                    play.name,
                    others.join(", ")
                ),
                "disagrees with writer",
            )
            .help("declare the writer alone (`writer:` makes every other node passive), or drop `writer:`"),
        );
    }
}

/// mysqld resolves relative certificate paths against its data directory, not where the playbook is: only
/// absolute paths mean the same thing on every host.
fn check_tls_paths(play: &Play, problems: &mut Vec<Problem>) {
    let Some(tls) = &play.vars.replication_tls else {
        return;
    };
    for (name, path) in tls.files() {
        if let Some(problem) = crate::mycnf::value_problem(path) {
            problems.push(Problem::at(
                play.declared_at,
                format!(
                    "play `{}`: replication_tls.{name} \"{}\" {problem}",
                    play.name,
                    path.escape_debug()
                ),
                "in this play",
            ));
        } else if !path.starts_with('/') {
            problems.push(Problem::at(
                play.declared_at,
                format!(
                    "play `{}`: replication_tls.{name} `{path}` is not an absolute path",
                    play.name
                ),
                "in this play",
            ));
        }
    }
}
