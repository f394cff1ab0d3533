//! What each play acts on, as mmprov resolved it (`mmprov inventory PLAYBOOK --plays`): the hosts its
//! pattern selects, in order; each host's replication identity (server_id, auto_increment offset, the node
//! it replicates from) and its route (how mmprov reaches it: user, address, port, bastions or proxy
//! command, become).
//!
//! Derived from the [`Project`] alone, through the same methods plan and render use
//! ([`Project::auto_increment_offset`], [`Play::auto_increment_increment`], [`Play::ring`]): nothing is
//! contacted. So the auto_increment values are those of a ring as the playbook describes it; a live ring
//! that grows keeps its members' running offsets, which `mmprov plan` shows.

use std::path::PathBuf;

use serde::Serialize;

use super::{Connection, Host, Play, Project, Role};

/// One play and the hosts it selects.
#[derive(Debug, Clone, Serialize)]
pub struct PlayHosts {
    pub play: String,
    /// The host pattern as written.
    pub pattern: String,
    pub roles: Vec<&'static str>,
    /// `auto_increment_increment`, for a play that configures servers.
    pub increment: Option<u32>,
    pub hosts: Vec<PlayHost>,
}

/// One host of a play.
#[derive(Debug, Clone, Serialize)]
pub struct PlayHost {
    pub name: String,
    pub server_id: Option<u32>,
    /// `auto_increment_offset`, for a play that configures servers.
    pub offset: Option<u32>,
    /// The node it replicates from, for a play that sets up replication.
    pub replicates_from: Option<String>,
    /// A passive (read-only) node of the play.
    pub read_only: bool,
    pub route: Route,
}

/// How mmprov reaches a host, every default filled in (the playbook's, the ssh config's, the local user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// `ssh`, or `local` (commands run on this machine).
    pub connection: &'static str,
    pub user: String,
    pub address: String,
    pub port: u16,
    /// The private key offered; none: the agent's keys, then the user's default keys.
    pub key: Option<PathBuf>,
    /// Bastions passed through, first to last, as `user@address:port`.
    pub jump: Vec<String>,
    pub proxy_command: Option<String>,
    /// The user every action runs as through sudo; none: the login user itself.
    pub become_user: Option<String>,
}

impl Host {
    /// How mmprov reaches this host.
    pub fn route(&self) -> Route {
        Route {
            connection: match self.connection {
                Connection::Ssh => "ssh",
                Connection::Local => "local",
            },
            user: self.user.clone(),
            address: self.address.clone(),
            port: self.port,
            key: self.key.clone(),
            jump: self
                .ssh
                .jump
                .iter()
                .map(|j| {
                    let user = j.user.as_deref().unwrap_or(&self.user);
                    format!("{user}@{}:{}", j.address, j.port.unwrap_or(22))
                })
                .collect(),
            proxy_command: self.ssh.proxy_command.clone(),
            become_user: self.run_as.as_ref().map(|b| b.user.clone()),
        }
    }
}

impl Project {
    /// Every play, in playbook order, with the hosts it selects and what mmprov resolved for each.
    pub fn play_hosts(&self) -> Vec<PlayHosts> {
        self.plays.iter().map(|play| self.one_play(play)).collect()
    }

    fn one_play(&self, play: &Play) -> PlayHosts {
        let server = play.has_role(Role::Server);
        let ring = play.ring();
        let hosts = play
            .hosts
            .iter()
            .filter_map(|name| Some((name, self.hosts.get(name)?)))
            .map(|(name, host)| PlayHost {
                name: name.clone(),
                server_id: host.server_id.as_ref().map(|s| s.value),
                offset: server.then(|| self.auto_increment_offset(play, name)),
                replicates_from: ring
                    .iter()
                    .find(|(node, _)| *node == name.as_str())
                    .filter(|_| play.has_role(Role::Replication))
                    .map(|(_, source)| source.to_string()),
                read_only: play.is_read_only(name),
                route: host.route(),
            })
            .collect();
        PlayHosts {
            play: play.name.clone(),
            pattern: play.pattern.value.clone(),
            roles: play.roles.iter().map(|r| r.name()).collect(),
            increment: server.then(|| play.auto_increment_increment()),
            hosts,
        }
    }
}
