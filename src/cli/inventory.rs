//! `mmprov inventory`: the inventory as mmprov reads it, without Ansible installed.
//!
//! - `--list`, `--graph [GROUP]`, `--host NAME`: what `ansible-inventory` prints for the same sources, in
//!   its format (`load::AnsibleView`); `-i` (repeatable; a file, a folder or `host1,host2,`),
//!   `--playbook-dir` and `--vault-password-file` as Ansible takes them.
//! - `PLAYBOOK --plays`: per play, the hosts it selects, their server_id, auto_increment offset, replication
//!   source and route, as mmprov resolved them (`model::PlayHosts`).
//!
//! This file parses and prints; what is shown is computed by `load` and `model`.

use std::io::Write;
use std::path::PathBuf;

use super::args::Format;
use crate::error::Error;
use crate::load::{self, LoadOptions};
use crate::model::{PlayHost, PlayHosts};

#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    /// With --plays: the playbook. With --graph: the group to draw (default: all), as ansible-inventory
    /// takes it.
    #[arg(value_name = "PLAYBOOK|GROUP")]
    pub target: Option<String>,
    /// An inventory source: a file, a folder, or a comma-separated list of hosts (`db1,db2,`); repeat for
    /// several. Default: ANSIBLE_INVENTORY, else /etc/ansible/hosts. With --plays: overrides the
    /// playbook's `inventory:` (one source).
    #[arg(short = 'i', long = "inventory", value_name = "SOURCE")]
    pub inventory: Vec<PathBuf>,
    /// The Ansible Vault password, in this file (or printed by it, when it is executable); else
    /// ANSIBLE_VAULT_PASSWORD_FILE, else asked on the terminal when something is encrypted.
    #[arg(long, value_name = "FILE")]
    pub vault_password_file: Option<PathBuf>,
    /// A playbook's folder, whose group_vars/ and host_vars/ are read over the inventory's, as Ansible's
    /// --playbook-dir (ANSIBLE_PLAYBOOK_DIR). With --plays, the playbook's own folder is.
    #[arg(
        long,
        value_name = "DIR",
        env = "ANSIBLE_PLAYBOOK_DIR",
        conflicts_with = "plays"
    )]
    pub playbook_dir: Option<PathBuf>,
    #[command(flatten)]
    pub action: Action,
    /// Output format of --plays.
    #[arg(long, value_enum, default_value_t = Format::Human, requires = "plays")]
    pub format: Format,
}

/// What to show: exactly one.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Action {
    /// Every host with its variables and every group, as `ansible-inventory --list` prints them (JSON).
    #[arg(long)]
    pub list: bool,
    /// The tree of groups and hosts under GROUP (default: all), as `ansible-inventory --graph` draws it.
    #[arg(long)]
    pub graph: bool,
    /// One host's variables, as `ansible-inventory --host` prints them (JSON).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// For PLAYBOOK: per play, the hosts it selects and, for each, its server_id, auto_increment offset,
    /// replication source and route (user, address, port, bastions, become), as mmprov resolved them.
    #[arg(long)]
    pub plays: bool,
}

pub fn run(args: &InventoryArgs, out: &mut dyn Write) -> Result<(), Error> {
    if args.action.plays {
        return plays(args, out);
    }
    let sources = match args.inventory.as_slice() {
        [] => load::default_inventory_sources()?,
        given => given.to_vec(),
    };
    let view = load::ansible_view(
        &sources,
        args.playbook_dir.as_deref(),
        args.vault_password_file.clone(),
    )?;
    for warning in view.warnings() {
        log::warn!("{warning}");
    }
    let text = if let Some(host) = &args.action.host {
        load::ansible_json(&view.host(host)?)
    } else if args.action.graph {
        view.graph(args.target.as_deref().unwrap_or("all"))?
    } else {
        load::ansible_json(&view.list())
    };
    writeln!(out, "{text}")?;
    Ok(())
}

fn plays(args: &InventoryArgs, out: &mut dyn Write) -> Result<(), Error> {
    let Some(playbook) = &args.target else {
        return Err(load::LoadError::NoPlaybook.into());
    };
    let inventory = match args.inventory.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        _ => return Err(load::LoadError::SeveralInventories.into()),
    };
    let options = LoadOptions {
        inventory,
        limit: None,
        vault_password_file: args.vault_password_file.clone(),
    };
    let project = load::load(std::path::Path::new(playbook), &options)?;
    let plays = project.play_hosts();
    if args.format == Format::Json {
        let doc = serde_json::json!({ "format_version": 1, "plays": plays });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )?;
        return Ok(());
    }
    for (i, play) in plays.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        write_play(play, out)?;
    }
    Ok(())
}

/// One play: a heading, then a table of its hosts.
fn write_play(play: &PlayHosts, out: &mut dyn Write) -> Result<(), Error> {
    let increment = play
        .increment
        .map(|n| format!(", auto_increment_increment {n}"))
        .unwrap_or_default();
    writeln!(
        out,
        "play `{}` ({}) on `{}`: {}{increment}",
        play.play,
        play.roles.join(", "),
        play.pattern,
        load::plural(play.hosts.len(), "host"),
    )?;
    let mut rows =
        vec![["host", "server_id", "offset", "replicates from", "route"].map(String::from)];
    rows.extend(play.hosts.iter().map(row));
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:w$}"))
            .collect();
        writeln!(out, "  {}", line.join("  ").trim_end())?;
    }
    Ok(())
}

fn row(host: &PlayHost) -> [String; 5] {
    let dash = || "-".to_string();
    let name = if host.read_only {
        format!("{} (read-only)", host.name)
    } else {
        host.name.clone()
    };
    [
        name,
        host.server_id.map_or_else(dash, |n| n.to_string()),
        host.offset.map_or_else(dash, |n| n.to_string()),
        host.replicates_from.clone().unwrap_or_else(dash),
        route(host),
    ]
}

/// `user@address:port`, then how: `via` bastions, a proxy command, `become` a user through sudo.
fn route(host: &PlayHost) -> String {
    let r = &host.route;
    if r.connection == "local" {
        return match &r.become_user {
            Some(user) => format!("local, become {user}"),
            None => "local".into(),
        };
    }
    let mut text = format!("{}@{}:{}", r.user, r.address, r.port);
    if !r.jump.is_empty() {
        text.push_str(&format!(" via {}", r.jump.join(", ")));
    }
    if let Some(key) = &r.key {
        text.push_str(&format!(", key {}", key.display()));
    }
    if let Some(command) = &r.proxy_command {
        text.push_str(&format!(" via proxy command `{command}`"));
    }
    if let Some(user) = &r.become_user {
        text.push_str(&format!(", become {user}"));
    }
    text
}
