//! MySQL's clone plugin (8.0.17 and later): the statements of a physical seed made over a SQL connection.
//! The target (recipient) pulls a consistent copy of the source's (donor's) whole instance with
//! `CLONE INSTANCE FROM`, replaces its own data with it and restarts; the source's binary log coordinates of
//! the copy are then in the target's `performance_schema.clone_status`. Plain text, like the rest of the
//! dialect.

use super::ServerVersion;
use crate::model::Coordinates;
use crate::sqltext::{Row, Statement, literal};

/// The account the target clones through, on the source; dropped once the copy is made.
pub const CLONE_USER: &str = "mmprov_clone";

/// Whether the server has the clone plugin loaded: `loaded` is 0 or 1.
pub const PLUGIN_LOADED: &str = "SELECT COUNT(*) AS loaded FROM information_schema.PLUGINS \
    WHERE PLUGIN_NAME = 'clone' AND PLUGIN_STATUS = 'ACTIVE'";

/// Loads the plugin (it ships with the server; the statement records it, so it loads again at start).
pub const INSTALL_PLUGIN: &str = "INSTALL PLUGIN clone SONAME 'mysql_clone.so'";

/// How many bytes the clone copied, over its stages.
pub const COPIED: &str =
    "SELECT COALESCE(SUM(DATA), 0) AS bytes FROM performance_schema.clone_progress";

/// Where a finished clone says how it went, and the source's coordinates of the copy.
pub const STATUS: &str = "SELECT STATE AS state, ERROR_NO AS error, ERROR_MESSAGE AS message, \
    BINLOG_FILE AS file, BINLOG_POSITION AS pos FROM performance_schema.clone_status";

/// Whether the clone plugin copies from `source` to `target`: both have it, and they run the same release
/// (or, where the plugin allows it, releases of one series).
pub fn copies_between(source: &ServerVersion, target: &ServerVersion) -> bool {
    let (s, t) = (
        &source.dialect().capabilities,
        &target.dialect().capabilities,
    );
    s.clone_plugin
        && (source == target
            || (source.same_series(target) && s.clone_across_releases && t.clone_across_releases))
}

fn account(target_address: &str) -> String {
    format!("{}@{}", literal(CLONE_USER), literal(target_address))
}

/// On the source: the account the target clones through (BACKUP_ADMIN only), its password the play's
/// secret; not written to the binary log, so no peer gets it.
pub fn donor_account(target_address: &str, password: &str) -> Statement {
    let text = |p: &str| {
        let account = account(target_address);
        format!(
            "SET SESSION sql_log_bin = 0;\nCREATE USER IF NOT EXISTS {account} IDENTIFIED BY {p};\n\
             ALTER USER {account} IDENTIFIED BY {p};\nGRANT BACKUP_ADMIN ON *.* TO {account};\n"
        )
    };
    Statement::secret(text("(sensitive)"), text(&literal(password)))
}

/// On the source, once the copy is made.
pub fn drop_donor_account(target_address: &str) -> String {
    format!(
        "SET SESSION sql_log_bin = 0;\nDROP USER IF EXISTS {};\n",
        account(target_address)
    )
}

/// On the target: the one source it may clone from.
pub fn valid_donor(source_address: &str, port: u16) -> String {
    format!(
        "SET GLOBAL clone_valid_donor_list = {}",
        literal(&format!("{source_address}:{port}"))
    )
}

/// On the target: the copy. Its data is replaced, and the server restarts (or stops, when nothing
/// supervises it).
pub fn clone_instance(source_address: &str, port: u16, password: &str) -> Statement {
    let text = |p: &str| {
        format!(
            "CLONE INSTANCE FROM {}@{}:{port} IDENTIFIED BY {p}",
            literal(CLONE_USER),
            literal(source_address)
        )
    };
    Statement::secret(text("(sensitive)"), text(&literal(password)))
}

/// The errors `CLONE INSTANCE` ends with when the copy is in place and only the restart is left: the
/// connection dropped by the restart (2013), or no supervisor to restart the server (3707).
pub fn ends_in_restart(code: u32) -> bool {
    matches!(code, 2006 | 2013 | 3707)
}

/// The clone's outcome from [`STATUS`]: the source's coordinates of the copy, or what went wrong.
pub fn outcome(row: &Row) -> Result<Coordinates, String> {
    let state = row.text(&["state"]).map_err(|e| e.to_string())?;
    if !state.eq_ignore_ascii_case("Completed") {
        let error = row.nullable(&["error"]).ok().flatten().unwrap_or("?");
        let message = row.nullable(&["message"]).ok().flatten().unwrap_or("");
        return Err(format!("the clone is {state} (error {error}: {message})"));
    }
    let file = row.text(&["file"]).map_err(|e| e.to_string())?;
    if file.is_empty() {
        return Err("the clone records no binary log file: is the source's binary log on?".into());
    }
    let pos = row.number(&["pos"]).map_err(|e| e.to_string())?;
    Ok(Coordinates {
        file: file.to_string(),
        pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clone_statements_name_one_donor_and_never_show_the_password() {
        let account = donor_account("10.0.0.2", "it's secret");
        assert!(account.expose().contains("IDENTIFIED BY 'it''s secret'"));
        assert!(account.expose().starts_with("SET SESSION sql_log_bin = 0;"));
        assert!(
            account
                .expose()
                .contains("GRANT BACKUP_ADMIN ON *.* TO 'mmprov_clone'@'10.0.0.2'")
        );
        assert!(!account.shown().contains("secret"), "{}", account.shown());
        let clone = clone_instance("10.0.0.1", 3306, "it's secret");
        assert_eq!(
            clone.expose(),
            "CLONE INSTANCE FROM 'mmprov_clone'@'10.0.0.1':3306 IDENTIFIED BY 'it''s secret'"
        );
        assert!(!clone.shown().contains("secret"));
        assert_eq!(
            valid_donor("10.0.0.1", 3306),
            "SET GLOBAL clone_valid_donor_list = '10.0.0.1:3306'"
        );
        assert!(
            drop_donor_account("10.0.0.2")
                .contains("DROP USER IF EXISTS 'mmprov_clone'@'10.0.0.2'")
        );
    }

    #[test]
    fn the_plugin_copies_from_8_0_17_between_equal_releases_and_from_8_0_37_within_a_series() {
        let v = |hint: &str| ServerVersion::parse_hint(hint).expect("valid hint");
        assert!(copies_between(&v("mysql-8.0.17"), &v("mysql-8.0.17")));
        assert!(!copies_between(&v("mysql-8.0.16"), &v("mysql-8.0.16")));
        assert!(!copies_between(&v("mysql-8.0.30"), &v("mysql-8.0.31")));
        assert!(copies_between(&v("mysql-8.0.37"), &v("mysql-8.0.40")));
        assert!(copies_between(&v("mysql-9.7.4"), &v("mysql-9.7.4")));
        assert!(!copies_between(&v("mysql-8.4.3"), &v("mysql-9.7.4")));
        assert!(!copies_between(&v("mariadb-11.8"), &v("mariadb-11.8")));
    }

    #[test]
    fn a_finished_clone_gives_the_sources_coordinates_and_anything_else_is_an_error() {
        let row = |state: &str, file: &str, pos: &str| {
            let columns = ["state", "error", "message", "file", "pos"].map(String::from);
            let values = [state, "0", "", file, pos].map(|v| Some(v.to_string()));
            Row::new(std::sync::Arc::new(columns.to_vec()), values.to_vec())
        };
        assert_eq!(
            outcome(&row("Completed", "binlog.000007", "1234")),
            Ok(Coordinates {
                file: "binlog.000007".into(),
                pos: 1234
            })
        );
        assert!(outcome(&row("Failed", "", "0")).is_err());
        assert!(
            outcome(&row("Completed", "", "0")).is_err(),
            "no binary log"
        );
        assert!(outcome(&row("Completed", "binlog.000007", "NULL")).is_err());
        assert!(ends_in_restart(3707) && ends_in_restart(2013) && !ends_in_restart(1045));
    }
}
