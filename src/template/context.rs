//! What a host's my.cnf is rendered from. Lists, not maps, reach the template, so output order is fixed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::flavor::{Flavor, Setting};
use crate::model::{Play, Project, ReplicationTls};

#[derive(Debug, Clone, Serialize)]
pub struct MyCnfContext {
    pub host: String,
    pub play: String,
    /// The server series the config is for, e.g. "MariaDB 10.11": what decides its option names.
    pub server: String,
    /// Absent when the host has none; strict mode then refuses to render.
    pub server_id: Option<u32>,
    pub auto_increment_increment: u32,
    pub auto_increment_offset: u32,
    pub datadir: String,
    pub socket: String,
    /// `None`: the server logs to its journal (or standard error), and the config names no file.
    pub log_error: Option<String>,
    pub bind_address: String,
    pub log_bin: String,
    pub relay_log: String,
    pub max_binlog_size: String,
    pub binlog_expiry: Setting,
    pub log_replica_updates: String,
    pub skip_replica_start: String,
    /// Crash-safe GTID replication settings; empty when the play keeps file/position (`gtid: false`), and
    /// then replicas do not start with the server (`skip_replica_start`).
    pub gtid: Vec<Setting>,
    /// The node's own GTID domain where the server has domains, when the play keeps file and position.
    pub gtid_domain: Option<Setting>,
    /// How long a replica waits on a silent source before it reconnects.
    pub replica_net_timeout: Setting,
    pub skip_errors: Option<Setting>,
    /// Whether the host is a passive node of its play.
    pub passive: bool,
    /// Held read-only until its peers' sessions from before an `auto_increment` change have ended.
    pub held: bool,
    /// `read_only` (and `super_read_only` where the server has it): ON on passive nodes, OFF on the others,
    /// so a node that stops being passive is made writable again.
    pub read_only: Vec<Setting>,
    /// The server's certificate files when the play replicates over TLS.
    pub tls: Option<ReplicationTls>,
    /// Extra `[mysqld]` options: the play's, overridden by the host's, sorted by name.
    pub extra: Vec<Setting>,
    /// Whether the server may be started by `mysqld_safe` (a sysv init script), whose own group then keeps
    /// the log out of syslog; under systemd nothing reads that group.
    pub mysqld_safe: bool,
}

impl MyCnfContext {
    /// The node's `auto_increment` values as planned from its group's (see `plan::interleave`).
    pub fn with_interleave(mut self, increment: u32, offset: u32) -> Self {
        self.auto_increment_increment = increment;
        self.auto_increment_offset = offset;
        self
    }

    /// The node joins held read-only (see `plan::interleave`).
    /// The server's files where the host has them (`plan::paths`), rather than the playbook's defaults.
    pub fn with_paths(
        mut self,
        datadir: String,
        socket: String,
        log_error: Option<String>,
    ) -> Self {
        self.datadir = datadir;
        self.socket = socket;
        self.log_error = log_error;
        self
    }

    /// The server is started by systemd, never by `mysqld_safe`.
    pub fn under_systemd(mut self) -> Self {
        self.mysqld_safe = false;
        self
    }

    /// The binary log where the host keeps it (see `plan::paths`).
    pub fn with_log_bin(mut self, log_bin: String) -> Self {
        self.log_bin = log_bin;
        self
    }

    pub fn held(mut self, flavor: &dyn Flavor) -> Self {
        self.held = true;
        self.read_only = flavor.read_only(true);
        self
    }

    pub fn new(project: &Project, play: &Play, host: &str, flavor: &dyn Flavor) -> Self {
        let vars = &play.vars;
        let host_entry = project.hosts.get(host);
        let mut extra: BTreeMap<String, String> = vars.mysqld.clone();
        if let Some(h) = host_entry {
            extra.extend(h.mysqld.clone());
        }
        let skip_errors = vars
            .skip_errors
            .as_ref()
            .filter(|s| !s.value.is_empty())
            .map(|s| Setting {
                name: flavor.skip_errors().to_string(),
                value: s
                    .value
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            });
        Self {
            host: host.to_string(),
            play: play.name.clone(),
            server: flavor.version().series(),
            server_id: host_entry
                .and_then(|h| h.server_id.as_ref())
                .map(|s| s.value),
            auto_increment_increment: play.auto_increment_increment(),
            auto_increment_offset: project.auto_increment_offset(play, host),
            datadir: vars.datadir_or_default().to_string(),
            socket: vars.socket_or_default().to_string(),
            log_error: Some(
                vars.log_error
                    .clone()
                    .unwrap_or_else(|| crate::model::DEFAULT_LOG_ERROR.to_string()),
            ),
            bind_address: vars.bind_address.clone(),
            log_bin: vars.log_bin_or_default().to_string(),
            relay_log: vars.relay_log.clone(),
            max_binlog_size: vars.max_binlog_size.clone(),
            binlog_expiry: flavor.binlog_expiry(vars.binlog_expire_days),
            log_replica_updates: flavor.log_replica_updates().to_string(),
            skip_replica_start: flavor.skip_replica_start().to_string(),
            gtid: if vars.gtid {
                let server_id = host_entry
                    .and_then(|h| h.server_id.as_ref())
                    .map(|s| s.value);
                flavor.gtid_settings(server_id, vars.gtid_strict_mode)
            } else {
                Vec::new()
            },
            gtid_domain: if vars.gtid {
                None
            } else {
                flavor.gtid_domain(
                    host_entry
                        .and_then(|h| h.server_id.as_ref())
                        .map(|s| s.value),
                )
            },
            replica_net_timeout: flavor.replica_net_timeout(),
            skip_errors,
            passive: play.is_read_only(host),
            held: false,
            read_only: flavor.read_only(play.is_read_only(host)),
            tls: play.vars.replication_tls.clone(),
            extra: extra
                .into_iter()
                .map(|(name, value)| Setting { name, value })
                .collect(),
            mysqld_safe: true,
        }
    }
}
