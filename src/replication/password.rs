//! Whether a replication account's stored password is the playbook's, without the password or anything
//! equivalent to it leaving mmprov or entering a plan.
//!
//! `mysql_native_password` stores `*` + HEX(SHA1(SHA1(password))). Facts keep only a fingerprint of what is
//! stored (a SHA-256 prefix: not usable to log in, and not the stored hash); the plan compares it with the
//! same fingerprint computed from the secret. Accounts under other plugins (salted hashes) are not compared:
//! for them only a refused connection (1045) shows that the password changed.

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The plugin whose stored hashes can be compared.
pub const NATIVE_PLUGIN: &str = "mysql_native_password";

/// The fingerprint of what the server stores for an account (`authentication_string`).
pub fn stored_fingerprint(authentication_string: &str) -> String {
    let digest = Sha256::digest(authentication_string.to_ascii_uppercase().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint the server would hold for `password` under `mysql_native_password`.
pub fn native_fingerprint(password: &str) -> String {
    let stage1 = Sha1::digest(password.as_bytes());
    let stage2 = Sha1::digest(stage1);
    let stored: String = std::iter::once('*'.to_string())
        .chain(stage2.iter().map(|b| format!("{b:02X}")))
        .collect();
    stored_fingerprint(&stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_what_the_server_stores_for_the_same_password() {
        // MariaDB: SELECT CONCAT('*', UPPER(SHA1(UNHEX(SHA1('x'))))).
        let stored = "*B69027D44F6E5EDC07F1AEAD1477967B16F28227";
        assert_eq!(native_fingerprint("x"), stored_fingerprint(stored));
        assert_ne!(native_fingerprint("y"), stored_fingerprint(stored));
        assert_eq!(native_fingerprint("x").len(), 32);
    }
}
