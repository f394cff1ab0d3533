//! Reading the playbook and its inventory into a [`Project`], and refusing bad input before anything runs.
//!
//! This layer reads local files only; it never contacts a host. All problems it can find are collected and
//! returned together (one report, one exit), so a user fixes a playbook in one pass.
//!
//! 1. Read the playbook (YAML via the `yaml` adapter; syntax, unknown keys and wrong types stop here).
//! 2. Read the inventory named by `-i` or the playbook's `inventory:` key (Ansible YAML or INI, as is).
//! 3. Merge hosts and groups; resolve each play's host pattern, roles and vars.
//! 4. Check what only makes sense across the whole (`validate`): server ids, offsets, secrets, templates.

mod ansible_ini;
mod ansible_yaml;
mod become_settings;
pub mod input;
mod install_settings;
mod inventory;
mod inventory_files;
mod names;
mod pattern;
mod play_vars;
mod playbook_file;
mod problem;
mod pyliteral;
pub mod secret;
mod shlex;
mod ssh_args;
mod ssh_config;
mod validate;
pub mod vault;
mod yaml;
mod yaml11;

pub use inventory::{AnsibleView, ansible_json, default_user, expand_home};
pub use problem::{LoadError, Problem, ProblemDiagnostic, plural};
pub use validate::secret_problem;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use play_vars::{checked_text, option_map, play_vars, role};
use playbook_file::{BecomeYaml, ConnectionYaml, HostYaml, HostsField, PlaybookYaml, SshYaml};
use serde_saphyr::Spanned;

use crate::model::{Connection, FileId, Host, Play, Project, Role, Source, Sourced, SshOptions};

/// Where to read from. `inventory` overrides the playbook's own `inventory:` key.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub inventory: Option<PathBuf>,
    /// An Ansible host pattern (`--limit`): only the hosts it selects are contacted.
    pub limit: Option<String>,
    /// Where the Ansible Vault password is (`--vault-password-file`); `ANSIBLE_VAULT_PASSWORD_FILE`, then
    /// the terminal, when not given.
    pub vault_password_file: Option<PathBuf>,
}

/// A playbook or inventory file (see `input` for what is refused).
pub fn read_source(path: &Path) -> Result<Source, LoadError> {
    read_source_capped(path, input::DOCUMENT_CAP)
}

/// A template file.
pub fn read_template(path: &Path) -> Result<Source, LoadError> {
    read_source_capped(path, input::TEMPLATE_CAP)
}

fn read_source_capped(path: &Path, cap: u64) -> Result<Source, LoadError> {
    let text = input::read_capped(path, cap).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Source {
        path: path.to_path_buf(),
        text: Arc::new(text),
    })
}

/// An inventory file as `ansible-inventory --list` shows it (`_meta.hostvars`, each group's own hosts and
/// children); every problem where Ansible refuses the inventory. Variables mmprov reads are not checked
/// here: this is the inventory as Ansible sees it.
pub fn inventory_list(
    path: &Path,
    playbook_dir: Option<&Path>,
    vault_password_file: Option<PathBuf>,
) -> Result<serde_json::Value, LoadError> {
    ansible_view(&[path.to_path_buf()], playbook_dir, vault_password_file).map(|v| v.list())
}

/// Inventory sources (`-i`: files, folders, host lists) as `ansible-inventory` reads them, with the vars
/// files beside them and beside `playbook_dir`, to be shown as it shows them; every problem where Ansible
/// refuses the inventory.
pub fn ansible_view(
    paths: &[PathBuf],
    playbook_dir: Option<&Path>,
    vault_password_file: Option<PathBuf>,
) -> Result<AnsibleView, LoadError> {
    let mut sources = Vec::new();
    let vault = vault::Vault::new(vault_password_file);
    let mut data = inventory_files::read_all(paths, playbook_dir, &vault, &mut sources)?;
    let problems = std::mem::take(&mut data.problems);
    if problems.is_empty() {
        Ok(AnsibleView::new(data))
    } else {
        Err(invalid(problems, &sources))
    }
}

/// Where Ansible reads its inventory when no `-i` is given: the sources `ANSIBLE_INVENTORY` lists (comma
/// separated), else `/etc/ansible/hosts`.
pub fn default_inventory_sources() -> Result<Vec<PathBuf>, LoadError> {
    let listed: Vec<PathBuf> = std::env::var("ANSIBLE_INVENTORY")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(expand_home)
        .collect();
    if !listed.is_empty() {
        return Ok(listed);
    }
    let default = PathBuf::from("/etc/ansible/hosts");
    if default.exists() {
        Ok(vec![default])
    } else {
        Err(LoadError::NoInventory {
            default: default.display().to_string(),
        })
    }
}

/// Load and check a playbook. Either a whole, consistent project or every problem found.
pub fn load(playbook: &Path, options: &LoadOptions) -> Result<Project, LoadError> {
    let mut sources = vec![read_source(playbook)?];
    let book: PlaybookYaml = yaml::parse(&sources[0], "playbook")?;
    let base = playbook.parent().map(Path::to_path_buf).unwrap_or_default();
    let vault =
        vault::Vault::new(options.vault_password_file.clone()).hiding_env(secret_env(&book));
    let mut problems = Vec::new();
    let ssh_defaults = ssh_options(&book.ssh, &base, &mut problems);
    let become_default = become_settings::from_playbook(&book, &base, &mut problems);
    let ssh_config = client_config(&book.ssh, &base, &mut problems);

    let started = std::time::Instant::now();
    let inventory = read_inventory(
        options,
        &book,
        &base,
        &vault,
        &mut sources,
        &inventory::HostDefaults {
            ssh: &ssh_defaults,
            run_as: &become_default,
            ssh_config: ssh_config.as_ref(),
            user: default_user(),
        },
        &mut problems,
    )?;
    let inventory::Resolved {
        mut hosts,
        mut groups,
        mut order,
        hostvars,
        warnings,
    } = inventory;
    for warning in &warnings {
        log::warn!("{warning}");
    }

    let file = FileId(0);
    let declared = PlaybookHosts {
        ssh_defaults: &ssh_defaults,
        ssh_config: ssh_config.as_ref(),
        become_default: &become_default,
        base: &base,
    };
    declared.add(book.hosts, &mut hosts, &mut order, &mut problems);
    add_playbook_groups(book.groups, &hosts, &mut groups, &mut problems);

    let plays: Vec<Play> = book
        .plays
        .into_iter()
        .map(|play| resolve_play(play, file, &base, &order, &groups, &mut problems))
        .collect();
    let limit = options
        .limit
        .as_deref()
        .and_then(|pattern| resolve_limit(pattern, &order, &groups, &plays, &mut problems));
    let inventory_secrets = inventory_secrets(&plays, &hostvars, &vault, &mut problems);
    let project = Project {
        sources,
        hosts,
        groups,
        plays,
        limit,
        inventory_secrets,
    };
    log::info!(
        "phase: plays resolved in {} ms",
        started.elapsed().as_millis()
    );
    validate::check(&project, &mut problems);
    log::info!("phase: checked in {} ms", started.elapsed().as_millis());
    if problems.is_empty() {
        Ok(project)
    } else {
        Err(invalid(problems, &project.sources))
    }
}

/// The inventory the options or the playbook name, read and resolved into hosts and groups; none named: an
/// empty one (the playbook's own `hosts` then are all there is).
fn read_inventory(
    options: &LoadOptions,
    book: &PlaybookYaml,
    base: &Path,
    vault: &vault::Vault,
    sources: &mut Vec<Source>,
    defaults: &inventory::HostDefaults,
    problems: &mut Vec<Problem>,
) -> Result<inventory::Resolved, LoadError> {
    let inventory_path = match (&options.inventory, &book.inventory) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(path)) => Some(base.join(&path.value)),
        (None, None) => None,
    };
    let started = std::time::Instant::now();
    let inventory = match inventory_path {
        Some(path) => inventory_files::read(&path, Some(base), vault, sources)
            .inspect(|_| {
                log::info!(
                    "phase: inventory read in {} ms",
                    started.elapsed().as_millis()
                )
            })?
            .resolve(defaults, vault, &secret_vars(book), problems),
        None => Default::default(),
    };
    log::info!(
        "phase: inventory read and resolved in {} ms",
        started.elapsed().as_millis()
    );
    Ok(inventory)
}

/// What a host declared in the playbook's own `hosts` gets where it says nothing.
struct PlaybookHosts<'a> {
    ssh_defaults: &'a SshOptions,
    ssh_config: Option<&'a ssh_config::ClientConfig>,
    become_default: &'a inventory::BecomeDefault,
    base: &'a Path,
}

impl PlaybookHosts<'_> {
    /// The playbook's own hosts, added after the inventory's; a name that is refused, or that the inventory
    /// declares too, is a problem.
    fn add(
        &self,
        declared: BTreeMap<String, Spanned<HostYaml>>,
        hosts: &mut BTreeMap<String, Host>,
        order: &mut Vec<String>,
        problems: &mut Vec<Problem>,
    ) {
        let file = FileId(0);
        for (name, spanned) in declared {
            let at = yaml::span(file, &spanned);
            if let Some(problem) = names::host_name_problem(&name) {
                problems.push(host_name_refused(&name, &problem, at));
                continue;
            }
            if hosts.contains_key(&name) {
                problems.push(
                    Problem::at(
                        at,
                        format!("host `{name}` is declared both here and in the inventory"),
                        "again here",
                    )
                    .help("declare each host once: in the inventory or in the playbook's `hosts`"),
                );
                continue;
            }
            let host = playbook_host(
                &name,
                spanned.value,
                at,
                self.ssh_defaults,
                self.ssh_config,
                self.base,
                problems,
            );
            let host = Host {
                run_as: self.become_default.enabled.then(|| crate::model::Become {
                    user: self
                        .become_default
                        .user
                        .clone()
                        .unwrap_or_else(|| "root".into()),
                    password: self.become_default.password.clone(),
                }),
                ..host
            };
            order.push(name.clone());
            hosts.insert(name, host);
        }
    }
}

/// The playbook's own `groups`, added to the inventory's; a refused name, an unknown member or a group the
/// inventory defines too is a problem.
fn add_playbook_groups(
    declared: BTreeMap<String, Spanned<Vec<String>>>,
    hosts: &BTreeMap<String, Host>,
    groups: &mut BTreeMap<String, Vec<String>>,
    problems: &mut Vec<Problem>,
) {
    let file = FileId(0);
    for (name, members) in declared {
        let at = yaml::span(file, &members);
        if let Some(problem) = names::name_problem(&name) {
            problems.push(Problem::at(
                at,
                format!("group name \"{}\" {problem}", name.escape_debug()),
                "this group",
            ));
            continue;
        }
        for m in &members.value {
            if !hosts.contains_key(m) {
                problems.push(Problem::at(
                    at,
                    format!("group `{name}` names unknown host `{m}`"),
                    "in this list",
                ));
            }
        }
        if groups.insert(name.clone(), members.value).is_some() {
            problems.push(Problem::at(
                at,
                format!("group `{name}` is also defined in the inventory"),
                "here",
            ));
        }
    }
}

/// The environment variables the playbook's plays take secrets from.
fn secret_env(book: &PlaybookYaml) -> Vec<String> {
    let become_password = match book.run_as.as_ref().map(|b| &b.value) {
        Some(BecomeYaml::With(settings)) => settings.password.as_ref(),
        _ => None,
    };
    book.plays
        .iter()
        .filter_map(|p| p.value.vars.replication_password.as_ref().map(|s| &s.value))
        .chain(become_password)
        .filter_map(|s| match s {
            crate::model::SecretRef::Env(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// The inventory variables the playbook's plays take secrets from.
fn secret_vars(book: &PlaybookYaml) -> BTreeSet<String> {
    book.plays
        .iter()
        .filter_map(|p| p.value.vars.replication_password.as_ref())
        .filter_map(|s| match &s.value {
            crate::model::SecretRef::Var(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// The secrets plays take from inventory variables (`replication_password: { var: NAME }`): opened from
/// the vault where encrypted, and the same on every host of the play.
fn inventory_secrets(
    plays: &[Play],
    hostvars: &BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    vault: &vault::Vault,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, secrecy::SecretString> {
    use secrecy::ExposeSecret;
    let mut out = BTreeMap::new();
    for play in plays {
        let Some(secret) = &play.vars.replication_password else {
            continue;
        };
        let crate::model::SecretRef::Var(name) = &secret.value else {
            continue;
        };
        let refuse = |message: String| Problem::at(secret.span, message, "read from here");
        let mut value: Option<secrecy::SecretString> = None;
        for host in &play.hosts {
            let found = hostvars.get(host).and_then(|v| v.get(name));
            let opened = match found {
                None => Err(format!("{host} has no inventory variable `{name}`")),
                Some(v) => match vault::vaulted(v) {
                    Some(text) => vault
                        .decrypt(text)
                        .map_err(|e| format!("`{name}` of {host}: {e}")),
                    None => v
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .map(|s| secrecy::SecretString::from(s.to_string()))
                        .ok_or_else(|| format!("`{name}` of {host} is not a non-empty text")),
                },
            };
            match (opened, &value) {
                (Err(message), _) => {
                    problems.push(refuse(message));
                    break;
                }
                (Ok(v), Some(first)) if v.expose_secret() != first.expose_secret() => {
                    problems.push(
                        refuse(format!(
                            "`{name}` differs between the hosts of play `{}` (its value is not shown)",
                            play.name
                        ))
                        .help("give every host of the play the same value, e.g. in group_vars of the play's group"),
                    );
                    break;
                }
                (Ok(v), None) => value = Some(v),
                (Ok(_), Some(_)) => {}
            }
        }
        if let Some(v) = value {
            out.insert(play.name.clone(), v);
        }
    }
    out
}

/// One report of all problems, in file order.
pub fn invalid(mut problems: Vec<Problem>, sources: &[Source]) -> LoadError {
    problems.sort_by_key(|p| p.span.map(|s| (s.file, s.offset)));
    LoadError::Invalid {
        problems: problems
            .into_iter()
            .map(|p| p.into_diagnostic(sources))
            .collect(),
    }
}

/// The user's ssh client config: the playbook's `ssh.config` (`none`: none), else `~/.ssh/config`.
fn client_config(
    ssh: &SshYaml,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Option<ssh_config::ClientConfig> {
    let path = match ssh.config.as_deref() {
        Some("none") => return None,
        Some(path) => base.join(expand_home(path)),
        None => expand_home("~/.ssh/config"),
    };
    let mut warnings = Vec::new();
    let config = ssh_config::ClientConfig::read(&path, &mut warnings).unwrap_or_else(|why| {
        problems.push(Problem::nowhere(format!("the ssh client config {why}")));
        None
    });
    for warning in warnings {
        log::warn!("{warning}");
    }
    config
}

fn ssh_options(ssh: &SshYaml, base: &Path, problems: &mut Vec<Problem>) -> SshOptions {
    let defaults = SshOptions::default();
    let jump = match &ssh.jump {
        Some(spec) => ssh_args::jump_hosts(&spec.value).unwrap_or_else(|why| {
            problems.push(Problem::at(
                yaml::span(FileId(0), spec),
                format!("ssh.jump: {why}"),
                "here",
            ));
            Vec::new()
        }),
        None => Vec::new(),
    };
    SshOptions {
        jump,
        proxy_command: None,
        known_hosts: ssh
            .known_hosts
            .as_deref()
            .map(|p| base.join(expand_home(p))),
        strict_host_key_checking: ssh.strict_host_key_checking.unwrap_or(true),
        connect_timeout: ssh
            .connect_timeout
            .map(Duration::from_secs)
            .unwrap_or(defaults.connect_timeout),
        command_timeout: ssh
            .command_timeout
            .map(Duration::from_secs)
            .unwrap_or(defaults.command_timeout),
    }
}

/// A host name that cannot be used, said with the name escaped so a line break shows as `\n`.
fn host_name_refused(name: &str, problem: &str, at: crate::model::Span) -> Problem {
    Problem::at(
        at,
        format!("host name \"{}\" {problem}", name.escape_debug()),
        "this host",
    )
    .help("rename the host and give its address in `address` (or `ansible_host` in an inventory)")
}

fn playbook_host(
    name: &str,
    h: HostYaml,
    at: crate::model::Span,
    defaults: &SshOptions,
    ssh_config: Option<&ssh_config::ClientConfig>,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Host {
    let mut ssh = defaults.clone();
    if let Some(k) = &h.known_hosts {
        ssh.known_hosts = Some(base.join(expand_home(k)));
    }
    let given = h.address.unwrap_or_else(|| name.to_string());
    let found = ssh_config.map(|c| c.query(&given)).unwrap_or_default();
    if let Some(config) = ssh_config
        && let Err(why) = config.apply_route(&found, &mut ssh)
    {
        problems.push(Problem::at(at, why, "this host"));
    }
    Host {
        name: name.to_string(),
        run_as: None,
        address: found.host_name.clone().unwrap_or(given),
        port: h.port.or(found.port).unwrap_or(22),
        user: h.user.or(found.user).unwrap_or_else(default_user),
        key: h
            .key
            .map(|k| base.join(expand_home(&k)))
            .or_else(|| ssh_config::first_existing(&found.identity_files)),
        connection: match h.connection {
            Some(ConnectionYaml::Local) => Connection::Local,
            _ => Connection::Ssh,
        },
        ssh,
        service: crate::model::ServiceSpec {
            manager: h.service_manager,
            name: h.service_name,
            restart_command: h.restart_command,
        },
        server_id: h.server_id.map(|s| yaml::sourced(at.file, s)),
        auto_increment_offset: h.auto_increment_offset.map(|s| yaml::sourced(at.file, s)),
        mysqld: option_map(at.file, h.mysqld, problems),
        declared_at: at,
    }
}

fn resolve_play(
    spanned: Spanned<playbook_file::PlayYaml>,
    file: FileId,
    base: &Path,
    hosts: &[String],
    groups: &BTreeMap<String, Vec<String>>,
    problems: &mut Vec<Problem>,
) -> Play {
    let declared_at = yaml::span(file, &spanned);
    let play = spanned.value;
    let name = checked_text(file, play.name, "play name", names::name_problem, problems);
    let pattern_at = yaml::span(file, &play.hosts);
    let pattern = match play.hosts.value {
        HostsField::Pattern(p) => p,
        HostsField::List(list) => list.join(":"),
    };
    let selected = match pattern::select(&pattern, hosts, groups) {
        Ok(selected) => selected,
        Err(unknown) => {
            let names = backticked(&unknown);
            let known = hosts
                .iter()
                .chain(groups.keys())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            problems.push(
                Problem::at(
                    pattern_at,
                    format!("play `{name}` names unknown host or group {names}"),
                    "unknown",
                )
                .help(format!("known hosts and groups: {known}")),
            );
            Vec::new()
        }
    };
    let roles = match play.roles {
        None => Role::ALL.to_vec(),
        Some(names) => names
            .into_iter()
            .filter_map(|r| role(r, file, problems))
            .collect(),
    };
    Play {
        name,
        pattern: Sourced::new(pattern, pattern_at),
        hosts: selected,
        roles,
        vars: play_vars(play.vars, file, base, problems),
        template: play.template.map(|t| {
            let at = yaml::span(file, &t);
            Sourced::new(base.join(expand_home(&t.value)), at)
        }),
        serial: play.serial.and_then(|s| serial(s, file, problems)),
        declared_at,
    }
}

/// `serial: N` or `serial: "N%"`, at least one node (or one percent) at a time.
fn serial(
    value: Spanned<playbook_file::SerialYaml>,
    file: FileId,
    problems: &mut Vec<Problem>,
) -> Option<Sourced<crate::model::Serial>> {
    use crate::model::Serial;
    let at = yaml::span(file, &value);
    let parsed = match &value.value {
        playbook_file::SerialYaml::Count(n) => Some(Serial::Count(*n)),
        playbook_file::SerialYaml::Text(text) => text
            .trim()
            .strip_suffix('%')
            .and_then(|p| p.trim().parse().ok())
            .filter(|p| *p <= 100)
            .map(Serial::Percent),
    };
    match parsed {
        Some(Serial::Count(n) | Serial::Percent(n)) if n > 0 => parsed.map(|s| Sourced::new(s, at)),
        _ => {
            problems.push(
                Problem::at(
                    at,
                    "`serial` must be a number of nodes (1 or more) or a percentage (\"50%\")",
                    "here",
                )
                .help("`serial: 1` restarts one node of a live group at a time, the safe default"),
            );
            None
        }
    }
}

/// The hosts `--limit` selects; a problem when it names unknown hosts or selects none of the plays' hosts.
fn resolve_limit(
    pattern: &str,
    hosts: &[String],
    groups: &BTreeMap<String, Vec<String>>,
    plays: &[Play],
    problems: &mut Vec<Problem>,
) -> Option<BTreeSet<String>> {
    match pattern::select(pattern, hosts, groups) {
        Err(unknown) => {
            problems.push(
                Problem::nowhere(format!(
                    "--limit `{pattern}` names unknown host or group {}",
                    backticked(&unknown)
                ))
                .help(format!(
                    "known hosts and groups: {}",
                    hosts
                        .iter()
                        .chain(groups.keys())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            None
        }
        Ok(selected) => {
            let selected: BTreeSet<String> = selected.into_iter().collect();
            let touched = plays
                .iter()
                .flat_map(|p| &p.hosts)
                .any(|h| selected.contains(h));
            if !touched {
                problems.push(Problem::nowhere(format!(
                    "--limit `{pattern}` selects no host of any play"
                )));
            }
            Some(selected)
        }
    }
}

fn backticked(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
