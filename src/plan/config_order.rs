//! Whether the server reads mmprov's config file, and reads it last among the files that set the same
//! options: a later file's value wins, so a distribution's own file read after mmprov's (Debian's MySQL
//! `mysql.conf.d/mysqld.cnf` with `bind-address = 127.0.0.1`) would make the server run on a config that is
//! not the one planned. PURE: from the option files the probe listed in the server's order.
//!
//! 1. Where mmprov's file falls in that order: where it is listed, or else where the folder that would hold
//!    it is included, after that folder's files whose names sort before its own.
//! 2. Every file after it that sets one of the options mmprov's file sets is a conflict.

use std::path::Path;

use crate::facts::{OptionFiles, OptionSource};

/// Why mmprov's file would not decide the server's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDeciding {
    /// No file or folder the server reads holds it.
    NotRead { folders: Vec<String> },
    /// Files read after it set some of its options: each with those options.
    Overridden(Vec<(String, Vec<String>)>),
}

impl NotDeciding {
    /// What is wrong with `config_path` where the server's option files put it, and the way out.
    pub fn explain(&self, config_path: &str) -> (String, String) {
        match self {
            NotDeciding::NotRead { folders } => (
                format!(
                    "the server reads no file at {config_path}: its option files include only {}",
                    folders.join(", ")
                ),
                "set `config_path` to a file in one of those folders, named to sort after the files there"
                    .into(),
            ),
            NotDeciding::Overridden(later) => {
                let said: Vec<String> = later
                    .iter()
                    .map(|(file, options)| format!("{file} sets {}", options.join(", ")))
                    .collect();
                (
                    format!(
                        "the server reads {config_path} before other files that set the same options, whose \
                         values would win: {}",
                        said.join("; ")
                    ),
                    "set `config_path` to a file read after those (in their folder, a name that sorts after \
                     theirs: zz-mmprov.cnf), or remove those options from them"
                        .into(),
                )
            }
        }
    }
}

/// `None` when the server reads `config_path` after every other file that sets one of `options` (the
/// names mmprov's file sets), or when nothing is known of its option files.
pub fn check(files: &OptionFiles, config_path: &str, options: &[String]) -> Option<NotDeciding> {
    if files.read.is_empty() {
        return None;
    }
    let Some(at) = position(files, config_path) else {
        let folders = files
            .read
            .iter()
            .filter_map(|s| match s {
                OptionSource::Folder { path } => Some(path.clone()),
                OptionSource::File { .. } => None,
            })
            .collect();
        return Some(NotDeciding::NotRead { folders });
    };
    let later: Vec<(String, Vec<String>)> = files.read[at..]
        .iter()
        .filter_map(|s| match s {
            OptionSource::File { path, sets } if path != config_path => {
                let clashing: Vec<String> = sets
                    .iter()
                    .filter(|o| options.contains(o))
                    .cloned()
                    .collect();
                (!clashing.is_empty()).then(|| (path.clone(), clashing))
            }
            _ => None,
        })
        .collect();
    (!later.is_empty()).then_some(NotDeciding::Overridden(later))
}

/// The index in the read order from which files come after `config_path`.
fn position(files: &OptionFiles, config_path: &str) -> Option<usize> {
    let listed = files
        .read
        .iter()
        .position(|s| matches!(s, OptionSource::File { path, .. } if path == config_path));
    if let Some(i) = listed {
        return Some(i + 1);
    }
    let path = Path::new(config_path);
    let folder = path.parent()?.to_str()?;
    let name = path.file_name()?.to_str()?;
    let included = files.read.iter().position(
        |s| matches!(s, OptionSource::Folder { path } if path.trim_end_matches('/') == folder),
    )?;
    // The folder's own files follow it; those whose names sort before mmprov's are read before it.
    let mut at = included + 1;
    while let Some(OptionSource::File { path, .. }) = files.read.get(at) {
        let p = Path::new(path);
        let in_folder = p.parent().and_then(Path::to_str) == Some(folder);
        let before = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.as_bytes() < name.as_bytes());
        if !(in_folder && before) {
            break;
        }
        at += 1;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sets: &[&str]) -> OptionSource {
        OptionSource::File {
            path: path.into(),
            sets: sets.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn folder(path: &str) -> OptionSource {
        OptionSource::Folder { path: path.into() }
    }

    /// Debian's MySQL: my.cnf includes conf.d, then mysql.conf.d, whose mysqld.cnf sets bind-address.
    fn debian_mysql() -> OptionFiles {
        OptionFiles {
            read: vec![
                file("/etc/mysql/my.cnf", &[]),
                folder("/etc/mysql/conf.d"),
                file("/etc/mysql/conf.d/mysql.cnf", &[]),
                folder("/etc/mysql/mysql.conf.d"),
                file(
                    "/etc/mysql/mysql.conf.d/mysqld.cnf",
                    &["user", "bind_address", "mysqlx_bind_address", "log_error"],
                ),
            ],
            ..OptionFiles::default()
        }
    }

    fn mmprov_options() -> Vec<String> {
        ["bind_address", "server_id", "log_error"]
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn a_file_that_sorts_before_the_distributions_own_is_overridden_by_it() {
        let found = check(
            &debian_mysql(),
            "/etc/mysql/mysql.conf.d/60-mmprov.cnf",
            &mmprov_options(),
        );
        assert_eq!(
            found,
            Some(NotDeciding::Overridden(vec![(
                "/etc/mysql/mysql.conf.d/mysqld.cnf".into(),
                vec!["bind_address".into(), "log_error".into()]
            )]))
        );
    }

    #[test]
    fn a_file_that_sorts_after_it_decides_whether_it_exists_yet_or_not() {
        let path = "/etc/mysql/mysql.conf.d/zz-mmprov.cnf";
        assert_eq!(check(&debian_mysql(), path, &mmprov_options()), None);
        let mut written = debian_mysql();
        written
            .read
            .push(file(path, &["bind_address", "server_id"]));
        assert_eq!(check(&written, path, &mmprov_options()), None);
        // In conf.d, read before mysql.conf.d: overridden.
        let early = "/etc/mysql/conf.d/zz-mmprov.cnf";
        assert!(matches!(
            check(&debian_mysql(), early, &mmprov_options()),
            Some(NotDeciding::Overridden(_))
        ));
    }

    #[test]
    fn a_folder_the_server_does_not_read_is_said_with_the_ones_it_reads() {
        let found = check(
            &debian_mysql(),
            "/etc/mysql/mariadb.conf.d/60-mmprov.cnf",
            &mmprov_options(),
        );
        assert_eq!(
            found,
            Some(NotDeciding::NotRead {
                folders: vec!["/etc/mysql/conf.d".into(), "/etc/mysql/mysql.conf.d".into()]
            })
        );
        assert_eq!(
            check(&OptionFiles::default(), "/x.cnf", &mmprov_options()),
            None
        );
    }
}
