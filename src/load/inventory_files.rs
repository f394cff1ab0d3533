//! Where an inventory's parts are on disk, found as Ansible finds them:
//! - a source is a file, a directory, or a list of hosts (`db1,db2,`); several are read in order;
//! - a directory is every inventory file in it, in name order, its sub-directories too, leaving out hidden
//!   names, `group_vars`, `host_vars`, `vars_plugins` and Ansible's ignored extensions (`.orig`, `.cfg`,
//!   `.retry`, `.bak`, `~`, `.md`, `.txt`, ...);
//! - `group_vars/NAME` and `host_vars/NAME` beside the inventory (the directory itself, or the file's
//!   folder) and beside the playbook: the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that
//!   exists; a directory by that name is every YAML file in it (no extension, `.yml`, `.yaml`, `.json`), in
//!   name order, and every such file in its sub-folders whose names have no extension (`extra.d/` is
//!   skipped, as Ansible skips it).
//!
//! An inventory file's format is chosen as Ansible's plugins try them: by extension (`.yml`, `.yaml`, `.json`:
//! YAML; others: INI), and for a file without one by content: YAML first (a mapping that is not a plugin
//! config), else INI.
//!
//! A file encrypted whole by `ansible-vault` is opened with the vault password; what it sets points at its
//! first line (its text is secret, and is never quoted).

use std::path::{Path, PathBuf};

use super::LoadError;
use super::inventory::{InventoryData, Vars, VarsLayer};
use super::vault::Vault;
use crate::model::{FileId, Source, Span};

/// Extensions Ansible skips in an inventory directory.
const IGNORED_EXTENSIONS: &[&str] = &[
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];

/// Read the inventory at `path` (a file or a directory) with the vars files beside it and beside the
/// playbook (`playbook_dir`); every file read is added to `sources`.
pub fn read(
    path: &Path,
    playbook_dir: Option<&Path>,
    vault: &Vault,
    sources: &mut Vec<Source>,
) -> Result<InventoryData, LoadError> {
    read_all(&[path.to_path_buf()], playbook_dir, vault, sources)
}

/// Read several inventory sources as Ansible reads its `-i` sources: each a file, a directory, or a list
/// of hosts (`db1,db2:2222,`: text with a comma that names no file), into one inventory, in order; then
/// the vars files beside each file or directory, in the same order (a later one wins), then beside the
/// playbook.
pub fn read_all(
    paths: &[PathBuf],
    playbook_dir: Option<&Path>,
    vault: &Vault,
    sources: &mut Vec<Source>,
) -> Result<InventoryData, LoadError> {
    let mut files = Files { vault, sources };
    let mut data = InventoryData::new();
    let mut beside = Vec::new();
    for path in paths {
        if let Some(list) = host_list(path) {
            data.merge(files.host_list(list));
            continue;
        }
        files.read_source_files(path, &mut data)?;
        beside.push(if path.is_dir() {
            path.to_path_buf()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        });
    }
    for dir in &beside {
        files.read_vars_files(dir, VarsLayer::Inventory, &mut data)?;
    }
    if let Some(dir) = playbook_dir.filter(|d| !beside.iter().any(|b| same_dir(d, b))) {
        files.read_vars_files(dir, VarsLayer::Playbook, &mut data)?;
    }
    Ok(data)
}

/// A source that is a list of hosts, as Ansible's `host_list` plugin takes one: text with a comma that
/// is not the name of a file.
fn host_list(path: &Path) -> Option<&str> {
    path.to_str().filter(|t| t.contains(',') && !path.exists())
}

/// The files read so far, and the vault that opens encrypted ones.
struct Files<'a> {
    vault: &'a Vault,
    sources: &'a mut Vec<Source>,
}

/// A file as read: its id among the run's sources, and the text to parse (the plaintext of a vault, whose
/// registered source keeps the encrypted text, so no diagnostic ever quotes a secret).
struct Opened {
    file: FileId,
    text: Source,
    /// Where everything the file sets points: its first line, when it is a vault.
    vault_header: Option<Span>,
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

impl Files<'_> {
    /// The hosts of a list (`db1,db2:2222,`), each in `ungrouped` with its port; the list is registered
    /// as a source of its own, so a problem points into it.
    fn host_list(&mut self, list: &str) -> InventoryData {
        self.sources.push(Source {
            path: PathBuf::from("the -i host list"),
            text: std::sync::Arc::new(list.to_string()),
        });
        let file = FileId(self.sources.len() - 1);
        let mut data = InventoryData::new();
        let mut offset = 0;
        for item in list.split(',') {
            let start = offset + (item.len() - item.trim_start().len());
            offset += item.len() + 1;
            let name = item.trim();
            if name.is_empty() {
                continue;
            }
            let at = Span {
                file,
                offset: start,
                len: name.len(),
            };
            if let Some(problem) = super::names::name_problem(name) {
                data.problems
                    .push(super::host_name_refused(name, &problem, at));
                continue;
            }
            // As Ansible: `host:port` where that reads as one, else the whole item is the name.
            let (host, port) = super::pattern::split_port(name).unwrap_or((name, None));
            data.add_hosts(
                "ungrouped",
                vec![host.to_string()],
                port,
                Vars::default(),
                at,
            );
        }
        data
    }

    fn open(&mut self, path: &Path) -> Result<Opened, LoadError> {
        let source = super::read_source(path)?;
        self.sources.push(source.clone());
        let file = FileId(self.sources.len() - 1);
        if !super::vault::is_vault(&source.text) {
            return Ok(Opened {
                file,
                text: source,
                vault_header: None,
            });
        }
        let plain = self
            .vault
            .decrypt(&source.text)
            .map_err(|e| LoadError::Vault {
                path: path.to_path_buf(),
                source: e,
            })?;
        let header = source.text.lines().next().map_or(1, str::len);
        Ok(Opened {
            file,
            text: Source {
                path: path.to_path_buf(),
                text: std::sync::Arc::new(secrecy::ExposeSecret::expose_secret(&plain).to_string()),
            },
            vault_header: Some(Span {
                file,
                offset: 0,
                len: header,
            }),
        })
    }

    fn read_source_files(
        &mut self,
        path: &Path,
        data: &mut InventoryData,
    ) -> Result<(), LoadError> {
        if !path.is_dir() {
            let opened = self.open(path)?;
            let mut part = match read_format(&opened.text, opened.file) {
                Err(LoadError::Yaml { .. }) if opened.vault_header.is_some() => {
                    return Err(LoadError::VaultedUnreadable {
                        path: path.to_path_buf(),
                        what: "inventory",
                    });
                }
                other => other?,
            };
            if let Some(header) = opened.vault_header {
                part.point_at(header);
            }
            data.merge(part);
            return Ok(());
        }
        for entry in sorted_entries(path)? {
            let name = entry
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if ignored(&name) {
                continue;
            }
            self.read_source_files(&entry, data)?;
        }
        Ok(())
    }

    /// The `group_vars/` and `host_vars/` files under `dir` for every group and host of the inventory.
    fn read_vars_files(
        &mut self,
        dir: &Path,
        layer: VarsLayer,
        data: &mut InventoryData,
    ) -> Result<(), LoadError> {
        // Each folder is listed once: an inventory of many hosts costs no look-up per host.
        let group_vars = Listing::of(&dir.join("group_vars"))?;
        let groups: Vec<String> = data.groups.keys().cloned().collect();
        for group in groups {
            if let Some(found) = group_vars.find(&group) {
                let vars = self.vars_from(&found, &mut data.warnings)?;
                data.group(&group).add_file_vars(layer, vars);
            }
        }
        let host_vars = Listing::of(&dir.join("host_vars"))?;
        let hosts: Vec<String> = data.hosts.keys().cloned().collect();
        for host in hosts {
            if let (Some(found), Some(declared)) =
                (host_vars.find(&host), data.hosts.get_mut(&host))
            {
                let vars = self.vars_from(&found, &mut data.warnings)?;
                declared.add_file_vars(layer, vars);
            }
        }
        Ok(())
    }

    /// The variables a vars file (or every file of a vars folder) sets.
    fn vars_from(&mut self, found: &Path, warnings: &mut Vec<String>) -> Result<Vars, LoadError> {
        let mut vars = Vars::default();
        for file in vars_files(found)? {
            let opened = self.open(&file)?;
            let mut set = match super::ansible_yaml::vars_file(&opened.text, opened.file, warnings)
            {
                Err(LoadError::Yaml { .. }) if opened.vault_header.is_some() => {
                    return Err(LoadError::VaultedUnreadable {
                        path: file,
                        what: "vars file",
                    });
                }
                other => other?,
            };
            if let Some(header) = opened.vault_header {
                for value in set.values_mut() {
                    value.span = header;
                }
            }
            vars.extend(set);
        }
        Ok(vars)
    }
}

fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || matches!(name, "group_vars" | "host_vars" | "vars_plugins")
        || IGNORED_EXTENSIONS.iter().any(|e| name.ends_with(e))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let read = std::fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries = Vec::new();
    for entry in read {
        let entry = entry.map_err(|source| LoadError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        entries.push(entry.path());
    }
    entries.sort();
    Ok(entries)
}

/// The names in a `group_vars/` or `host_vars/` folder (none when there is no such folder).
struct Listing {
    dir: PathBuf,
    names: std::collections::BTreeSet<String>,
}

impl Listing {
    fn of(dir: &Path) -> Result<Self, LoadError> {
        let names = if dir.is_dir() {
            sorted_entries(dir)?
                .into_iter()
                .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
                .collect()
        } else {
            Default::default()
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            names,
        })
    }

    /// The first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` there, as Ansible looks.
    fn find(&self, name: &str) -> Option<PathBuf> {
        if self.names.is_empty() {
            return None;
        }
        ["", ".yml", ".yaml", ".json"]
            .iter()
            .map(|ext| format!("{name}{ext}"))
            .find(|n| self.names.contains(n))
            .map(|n| self.dir.join(n))
    }
}

/// A vars file, or every YAML file in a vars folder (sub-folders without an extension too), in name order.
fn vars_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    for entry in sorted_entries(path)? {
        let name = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if entry.is_dir() {
            // A folder with an extension in its name (`extra.d`) is skipped, as Ansible skips it.
            if entry.extension().is_none() {
                out.extend(vars_files(&entry)?);
            }
        } else if matches!(
            entry.extension().and_then(|e| e.to_str()),
            None | Some("yml" | "yaml" | "json")
        ) {
            out.push(entry);
        }
    }
    Ok(out)
}

/// Read an inventory file in the format its name, or else its content, says.
fn read_format(source: &Source, file: FileId) -> Result<InventoryData, LoadError> {
    match source.path.extension().and_then(|e| e.to_str()) {
        Some("yml" | "yaml" | "json") => super::ansible_yaml::parse(source, file),
        None if super::ansible_yaml::looks_like_inventory(source) => {
            super::ansible_yaml::parse(source, file)
        }
        None => Ok(super::ansible_ini::parse(source, file)),
        Some(_) => Ok(super::ansible_ini::parse(source, file)),
    }
}
