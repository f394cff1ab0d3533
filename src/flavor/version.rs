//! Which server a version string names. The family is settled before any number is compared: MariaDB 10.x is
//! not "newer" than MySQL 8.x in any sense that matters to config names.

use std::fmt;

use thiserror::Error;

use super::{Dialect, Flavor, MariaDb, MySql, dialect_of};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Family {
    MariaDb,
    MySql,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerVersion {
    pub family: Family,
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("`{0}` is not a server version (expected e.g. mariadb-10.11, mysql-8.0.36, mysql-5.7)")]
pub struct VersionError(pub String);

impl ServerVersion {
    /// The version a fresh Debian 12 host runs; used for offline rendering when nothing else is known.
    pub const DEBIAN_DEFAULT: ServerVersion = ServerVersion {
        family: Family::MariaDb,
        major: 10,
        minor: 11,
        patch: 0,
    };

    /// A playbook hint: `mariadb-10.11`, `mysql-8.0.36`, `mysql-5.7`.
    pub fn parse_hint(hint: &str) -> Result<Self, VersionError> {
        let err = || VersionError(hint.to_string());
        let (family, numbers) = hint.split_once(['-', ' ']).ok_or_else(err)?;
        let family = match family.to_ascii_lowercase().as_str() {
            "mariadb" => Family::MariaDb,
            "mysql" => Family::MySql,
            _ => return Err(err()),
        };
        let (major, minor, patch) = numbers_of(numbers).ok_or_else(err)?;
        Ok(Self {
            family,
            major,
            minor,
            patch,
        })
    }

    /// What a server reports: `SELECT VERSION(), @@version_comment`.
    pub fn from_server(version: &str, comment: &str) -> Result<Self, VersionError> {
        let is_mariadb = [version, comment]
            .iter()
            .any(|s| s.to_ascii_lowercase().contains("mariadb"));
        let family = if is_mariadb {
            Family::MariaDb
        } else {
            Family::MySql
        };
        // Old MariaDB replication-compatibility builds prefix "5.5.5-" to the real version.
        let numbers = version.strip_prefix("5.5.5-").unwrap_or(version);
        let numbers = numbers.split(['-', '+', ' ']).next().unwrap_or("");
        let (major, minor, patch) =
            numbers_of(numbers).ok_or_else(|| VersionError(version.to_string()))?;
        Ok(Self {
            family,
            major,
            minor,
            patch,
        })
    }

    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// The dialect for this server, chosen once.
    pub fn flavor(self) -> Box<dyn Flavor + Send + Sync> {
        match self.family {
            Family::MariaDb => Box::new(MariaDb(self)),
            Family::MySql => Box::new(MySql(self)),
        }
    }

    /// This version's row of the dialect table: its words and capabilities.
    pub fn dialect(&self) -> &'static Dialect {
        dialect_of(self)
    }
}

fn numbers_of(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    Some((major, minor, patch))
}

impl ServerVersion {
    /// The release series, as packages and hints name it: `MariaDB 10.11`.
    pub fn series(&self) -> String {
        let name = match self.family {
            Family::MariaDb => "MariaDB",
            Family::MySql => "MySQL",
        };
        format!("{name} {}.{}", self.major, self.minor)
    }

    /// Whether `other` is of this one's family and release series.
    pub fn same_series(&self, other: &ServerVersion) -> bool {
        (self.family, self.major, self.minor) == (other.family, other.major, other.minor)
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.family {
            Family::MariaDb => "MariaDB",
            Family::MySql => "MySQL",
        };
        write!(f, "{name} {}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_is_decided_before_numbers() {
        let v =
            ServerVersion::from_server("10.11.19-MariaDB-0+deb12u1", "Debian 12").expect("parses");
        assert_eq!(
            (v.family, v.major, v.minor, v.patch),
            (Family::MariaDb, 10, 11, 19)
        );
        let v = ServerVersion::from_server("5.5.5-10.3.39-MariaDB", "mariadb.org binary")
            .expect("parses");
        assert_eq!((v.family, v.major, v.minor), (Family::MariaDb, 10, 3));
        let v =
            ServerVersion::from_server("8.0.36", "MySQL Community Server - GPL").expect("parses");
        assert_eq!(
            (v.family, v.major, v.minor, v.patch),
            (Family::MySql, 8, 0, 36)
        );
    }

    #[test]
    fn hints_parse_and_bad_ones_are_refused() {
        assert_eq!(
            ServerVersion::parse_hint("mariadb-10.11"),
            Ok(ServerVersion::DEBIAN_DEFAULT)
        );
        assert!(ServerVersion::parse_hint("postgres-16").is_err());
        assert!(ServerVersion::parse_hint("mysql-eight").is_err());
        assert_eq!(
            ServerVersion::parse_hint("mysql-8.4").map(|v| v.to_string()),
            Ok("MySQL 8.4.0".into())
        );
    }
}
