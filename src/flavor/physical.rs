//! Physical copies of a whole instance: the backup tool's commands, as plain text. A copy is streamed from the
//! source's `backup` command (xbstream on its stdout, nothing written on the source's disk but the tool's
//! own temporary files) into the target's `extract` command, then made consistent by `prepare`; the backup
//! records the source's binary log coordinates in a file beside the data.

use serde::{Deserialize, Serialize};

use crate::shell::quote;

/// The tool that copies a running server's files consistently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhysicalTool {
    /// MariaDB's `mariadb-backup` (`mariabackup` before 10.5) with `mbstream`.
    MariaDbBackup,
    /// Percona XtraBackup with `xbstream`, for MySQL.
    XtraBackup,
    /// MySQL's clone plugin (8.0.17 and later): the target pulls the copy over a SQL connection
    /// (`flavor::clone`), so it has no stream commands.
    Clone,
}

impl PhysicalTool {
    pub fn name(self) -> &'static str {
        match self {
            PhysicalTool::MariaDbBackup => "mariadb-backup",
            PhysicalTool::XtraBackup => "xtrabackup",
            PhysicalTool::Clone => "the clone plugin",
        }
    }

    /// Streams a consistent copy of the server behind `socket` to stdout; its temporary files go under a
    /// fresh directory of `/tmp`, removed when it ends.
    pub fn backup(self, socket: &str) -> String {
        let (tool, _) = self.binaries();
        format!(
            "set -e; tmp=$(mktemp -d); trap 'rm -rf \"$tmp\"' EXIT; \
             {tool} --backup --stream=xbstream --target-dir=\"$tmp\" --user=root --socket={}",
            quote(socket)
        )
    }

    /// Unpacks the stream on stdin into `dir`, which must exist.
    pub fn extract(self, dir: &str) -> String {
        let (_, stream) = self.binaries();
        format!("{stream} -x -C {}", quote(dir))
    }

    /// Makes the unpacked copy consistent (applies the redo log).
    pub fn prepare(self, dir: &str) -> String {
        let (tool, _) = self.binaries();
        format!("{tool} --prepare --target-dir={}", quote(dir))
    }

    /// The files, in the copy, that may hold the source's binary log coordinates (`file<TAB>pos[<TAB>gtid]`),
    /// newest name first.
    pub fn binlog_info_files(self) -> &'static [&'static str] {
        match self {
            PhysicalTool::MariaDbBackup => {
                &["mariadb_backup_binlog_info", "xtrabackup_binlog_info"]
            }
            PhysicalTool::XtraBackup => &["xtrabackup_binlog_info"],
            PhysicalTool::Clone => &[],
        }
    }

    fn binaries(self) -> (&'static str, &'static str) {
        match self {
            PhysicalTool::MariaDbBackup => (
                "\"$(command -v mariadb-backup || command -v mariabackup)\"",
                "mbstream",
            ),
            PhysicalTool::XtraBackup => ("xtrabackup", "xbstream"),
            // Never streamed: a command that fails, saying why, rather than one that could do anything.
            PhysicalTool::Clone => (NOT_STREAMED, NOT_STREAMED),
        }
    }
}

const NOT_STREAMED: &str = "{ echo 'the clone plugin copies over SQL, not a stream' >&2; false; }";

/// `file<TAB>position[<TAB>gtid]`, as the backup tools write it.
pub fn parse_binlog_info(text: &str) -> Option<(String, u64)> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    let mut fields = line.split_whitespace();
    let file = fields.next()?.to_string();
    let pos = fields.next()?.parse().ok()?;
    Some((file, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tool_streams_unpacks_and_prepares_with_its_own_binaries() {
        let m = PhysicalTool::MariaDbBackup;
        let backup = m.backup("/run/mysqld/mysqld.sock");
        assert!(
            backup.contains("mariadb-backup || command -v mariabackup"),
            "{backup}"
        );
        assert!(backup.contains("--backup --stream=xbstream --target-dir=\"$tmp\" --user=root --socket=/run/mysqld/mysqld.sock"));
        assert!(
            backup.contains("trap 'rm -rf \"$tmp\"' EXIT"),
            "its temporary files go"
        );
        assert_eq!(
            m.extract("/var/lib/mysql/.mmprov-seed"),
            "mbstream -x -C /var/lib/mysql/.mmprov-seed"
        );
        assert!(m.prepare("/d").ends_with("--prepare --target-dir=/d"));
        let x = PhysicalTool::XtraBackup;
        assert!(
            x.backup("/var/run/mysqld/mysqld.sock")
                .starts_with("set -e; tmp=$(mktemp -d);")
        );
        assert!(
            x.backup("/s")
                .contains("xtrabackup --backup --stream=xbstream")
        );
        assert_eq!(x.extract("/d"), "xbstream -x -C /d");
        assert_eq!(x.prepare("/d"), "xtrabackup --prepare --target-dir=/d");
        assert_eq!(x.binlog_info_files(), ["xtrabackup_binlog_info"]);
        assert_eq!(m.extract("/it's"), "mbstream -x -C '/it'\\''s'");
    }

    #[test]
    fn binlog_info_is_read_or_refused() {
        assert_eq!(
            parse_binlog_info("mysql-bin.000003\t328\t0-1-5\n"),
            Some(("mysql-bin.000003".into(), 328))
        );
        assert_eq!(
            parse_binlog_info("binlog.000002\t157\n"),
            Some(("binlog.000002".into(), 157))
        );
        assert_eq!(parse_binlog_info(""), None);
        assert_eq!(parse_binlog_info("mysql-bin.000003\tNULL\n"), None);
    }
}
