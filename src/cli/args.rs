//! The arguments several subcommands share: the playbook and its inventory ([`Input`]), `--limit`,
//! `--forks`, `--format` and `--serial`. Each subcommand's own arguments live in its own file with its run.

use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;

use crate::load::LoadOptions;
use crate::model::Serial;

/// The playbook and where its hosts come from.
#[derive(Debug, clap::Args)]
pub struct Input {
    /// The playbook (YAML).
    pub playbook: PathBuf,
    /// An Ansible inventory (YAML or INI, a file or a folder), used as it is; overrides the playbook's
    /// `inventory:`.
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Option<PathBuf>,
    /// The Ansible Vault password, in this file (or printed by it, when it is executable); else
    /// ANSIBLE_VAULT_PASSWORD_FILE, else asked on the terminal when something is encrypted.
    #[arg(long, value_name = "FILE")]
    pub vault_password_file: Option<PathBuf>,
}

impl Input {
    /// How to load the playbook, every host included.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            inventory: self.inventory.clone(),
            limit: None,
            vault_password_file: self.vault_password_file.clone(),
        }
    }

    /// How to load the playbook, the hosts limited by `--limit`.
    pub fn limited(&self, limit: &Limit) -> LoadOptions {
        LoadOptions {
            limit: limit.limit.clone(),
            ..self.options()
        }
    }
}

/// Which hosts a run may contact.
#[derive(Debug, Clone, clap::Args)]
pub struct Limit {
    /// Contact only the hosts this Ansible pattern selects (`h1`, `db*`, `pair:!h3`, `a:&b`). Replication
    /// between a host inside and one outside is left as it is.
    #[arg(short = 'l', long, value_name = "PATTERN")]
    pub limit: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Forks {
    /// How many hosts are worked on at once.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    pub forks: u16,
}

impl Forks {
    pub fn count(self) -> usize {
        usize::from(self.forks)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// `--serial`: a count of nodes (1 or more), or a percentage of a play's nodes.
pub fn parse_serial(text: &str) -> Result<Serial, String> {
    let refused =
        || format!("`{text}` is not a count of nodes (1 or more) or a percentage such as 50%");
    let serial = match text.trim().strip_suffix('%') {
        Some(percent) => Serial::Percent(percent.trim().parse().map_err(|_| refused())?),
        None => Serial::Count(text.trim().parse().map_err(|_| refused())?),
    };
    match serial {
        Serial::Count(0) | Serial::Percent(0) => Err(refused()),
        Serial::Percent(p) if p > 100 => Err(refused()),
        ok => Ok(ok),
    }
}

/// Seconds given on the command line, as a duration.
pub fn seconds(secs: u64) -> Duration {
    Duration::from_secs(secs)
}
