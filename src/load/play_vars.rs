//! A play's `vars:` as the model holds them: each value checked where it is read (text that could break a
//! my.cnf line is refused at its line), the playbook's defaults filled in, the roles named.

use std::collections::BTreeMap;
use std::path::Path;

use serde_saphyr::Spanned;

use super::playbook_file::{OptionMap, PlayVarsYaml};
use super::{Problem, install_settings, yaml};
use crate::model::{FileId, PlayVars, Role};

pub(super) fn role(
    name: Spanned<String>,
    file: FileId,
    problems: &mut Vec<Problem>,
) -> Option<Role> {
    let found = Role::ALL.into_iter().find(|r| r.name() == name.value);
    if found.is_none() {
        let known = Role::ALL.map(Role::name).join(", ");
        problems.push(
            Problem::at(
                yaml::span(file, &name),
                format!("unknown role `{}`", name.value),
                "not a role",
            )
            .help(format!("mmprov's roles are: {known}")),
        );
    }
    found
}

/// A string from the playbook, held to `check`; a problem pointing at it when it fails.
pub(super) fn checked_text(
    file: FileId,
    value: Spanned<String>,
    what: &str,
    check: fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> String {
    if let Some(problem) = check(&value.value) {
        problems.push(Problem::at(
            yaml::span(file, &value),
            format!("{what} \"{}\" {problem}", value.value.escape_debug()),
            "here",
        ));
    }
    value.value
}

/// `[mysqld]` options, each name held to the option-file grammar and each value to one line.
pub(super) fn option_map(
    file: FileId,
    options: OptionMap,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    options
        .into_iter()
        .map(|(name, value)| {
            if let Some(problem) = crate::mycnf::option_name_problem(&name) {
                problems.push(Problem::at(
                    yaml::span(file, &value),
                    format!("mysqld option name \"{}\" {problem}", name.escape_debug()),
                    "the option's value",
                ));
            }
            let what = format!("the value of mysqld option `{}`", name.escape_debug());
            let value = checked_text(file, value, &what, crate::mycnf::value_problem, problems);
            (name, value)
        })
        .collect()
}

pub(super) fn play_vars(
    v: PlayVarsYaml,
    file: FileId,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> PlayVars {
    let d = PlayVars::default();
    let mysqld = option_map(file, v.mysqld, problems);
    let mut optional = |value: Option<Spanned<String>>, what: &str| {
        value.map(|value| checked_text(file, value, what, crate::mycnf::value_problem, problems))
    };
    let config_path = optional(v.config_path, "config_path");
    let datadir = optional(v.datadir, "datadir");
    let socket = optional(v.socket, "socket");
    let log_error = optional(v.log_error, "log_error");
    let log_bin = optional(v.log_bin, "log_bin");
    let mut text = |value: Option<Spanned<String>>, what: &str, default: String| match value {
        Some(value) => checked_text(file, value, what, crate::mycnf::value_problem, problems),
        None => default,
    };
    let replication_password = v.replication_password.map(|s| {
        let mut secret = yaml::sourced(file, s);
        if let crate::model::SecretRef::File(path) = &secret.value {
            secret.value = crate::model::SecretRef::File(base.join(path));
        }
        secret
    });
    PlayVars {
        config_path,
        server_version: v.server_version.map(|s| yaml::sourced(file, s)),
        binlog_expire_days: v.binlog_expire_days.unwrap_or(d.binlog_expire_days),
        max_binlog_size: text(v.max_binlog_size, "max_binlog_size", d.max_binlog_size),
        log_bin,
        relay_log: text(v.relay_log, "relay_log", d.relay_log),
        datadir,
        socket,
        bind_address: text(v.bind_address, "bind_address", d.bind_address),
        log_error,
        auto_increment_increment: v.auto_increment_increment.map(|s| yaml::sourced(file, s)),
        replication_user: text(v.replication_user, "replication_user", d.replication_user),
        replication_password,
        skip_errors: v.skip_errors.map(|s| yaml::sourced(file, s)),
        mysqld,
        seed_from: v.seed_from.map(|s| yaml::sourced(file, s)),
        seed_overwrite: v.seed_overwrite.unwrap_or(false),
        seed_method: v.seed_method.unwrap_or_default(),
        datadir_move: v.datadir_move.unwrap_or(false),
        read_only_hosts: v.read_only_hosts.map(|s| yaml::sourced(file, s)),
        writer: v.writer.map(|s| yaml::sourced(file, s)),
        max_switchover_lag: v.max_switchover_lag.unwrap_or(d.max_switchover_lag),
        hooks: v.hooks.map_or(d.hooks, |h| crate::model::Hooks {
            before_switchover: h.before_switchover,
            after_switchover: h.after_switchover,
            after_failover: h.after_failover,
            timeout: h.timeout.unwrap_or(crate::model::DEFAULT_HOOK_TIMEOUT),
        }),
        replication_tls: v.replication_tls,
        gtid: v.gtid.unwrap_or(d.gtid),
        gtid_strict_mode: v.gtid_strict_mode.unwrap_or(d.gtid_strict_mode),
        install: install_settings::install(v.install, file, base, problems),
    }
}
