//! Whether a replication account's stored password is the playbook's, without the password or anything
//! equivalent to it leaving mmprov or entering a plan.
//!
//! Facts keep only what cannot log in: a fingerprint (a SHA-256 prefix) of the stored hash, with the salt and
//! rounds of a salted one. The engine, which holds the secret, hands the plan a [`PasswordCheck`]: the plan
//! asks it whether an account stores the playbook's password and never sees the secret.
//! - `mysql_native_password` stores `*` + HEX(SHA1(SHA1(password))): the fingerprint of the same computation
//!   from the secret is compared.
//! - `caching_sha2_password` (MySQL's default) stores `$A$`, the rounds / 1000 in three hex digits, `$`, a
//!   20-byte salt and 43 characters of SHA-256 crypt (Drepper's, with the salt used whole where crypt(3)
//!   stops at 16 bytes). The secret is hashed again with that salt and those rounds.
//! - Accounts under other plugins are not compared: for them only a refused connection (1045) shows that the
//!   password changed.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The plugin whose stored hashes are unsalted.
pub const NATIVE_PLUGIN: &str = "mysql_native_password";
const CACHING_SHA2_PLUGIN: &str = "caching_sha2_password";
const CACHING_SHA2_SALT: usize = 20;

/// What facts keep of an account's stored password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "plugin", rename_all = "snake_case")]
pub enum StoredPassword {
    /// `mysql_native_password`: the fingerprint of its stored hash.
    Native { fingerprint: String },
    /// `caching_sha2_password`: its rounds, its salt (hex) and the fingerprint of its hash.
    CachingSha2 {
        rounds: u32,
        salt: String,
        fingerprint: String,
    },
}

impl StoredPassword {
    /// What the server stores for an account under `plugin`, given `authentication_string` as bytes; `None`
    /// for a plugin whose hashes cannot be compared, or a hash not in its plugin's format.
    pub fn read(plugin: &str, stored: &[u8]) -> Option<StoredPassword> {
        match plugin {
            NATIVE_PLUGIN => Some(StoredPassword::Native {
                fingerprint: stored_fingerprint(&String::from_utf8_lossy(stored)),
            }),
            CACHING_SHA2_PLUGIN => read_caching_sha2(stored),
            _ => None,
        }
    }
}

/// `$A$RRR$` + salt + hash, as caching_sha2_password writes it.
fn read_caching_sha2(stored: &[u8]) -> Option<StoredPassword> {
    let rest = stored.strip_prefix(b"$A$")?;
    let (rounds, rest) = (rest.get(..3)?, rest.get(3..)?);
    let rounds = u32::from_str_radix(std::str::from_utf8(rounds).ok()?, 16).ok()? * 1000;
    let rest = rest.strip_prefix(b"$")?;
    let (salt, hash) = (
        rest.get(..CACHING_SHA2_SALT)?,
        rest.get(CACHING_SHA2_SALT..)?,
    );
    (hash.len() == 43).then(|| StoredPassword::CachingSha2 {
        rounds,
        salt: hex::encode(salt),
        fingerprint: stored_fingerprint(&String::from_utf8_lossy(hash)),
    })
}

/// The play's replication password, as the plan may use it: to ask whether an account stores it.
pub struct PasswordCheck {
    secret: SecretString,
    native: String,
}

impl PasswordCheck {
    pub fn new(secret: &SecretString) -> Self {
        PasswordCheck {
            native: native_fingerprint(secret.expose_secret()),
            secret: secret.clone(),
        }
    }

    /// Whether `stored` is what the server keeps for this password.
    pub fn is_stored_as(&self, stored: &StoredPassword) -> bool {
        match stored {
            StoredPassword::Native { fingerprint } => *fingerprint == self.native,
            StoredPassword::CachingSha2 {
                rounds,
                salt,
                fingerprint,
            } => hex::decode(salt).is_ok_and(|salt| {
                let hash = sha256_crypt(self.secret.expose_secret().as_bytes(), &salt, *rounds);
                stored_fingerprint(&hash) == *fingerprint
            }),
        }
    }
}

impl std::fmt::Debug for PasswordCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordCheck(sensitive)")
    }
}

/// The fingerprint of a stored hash.
pub fn stored_fingerprint(hash: &str) -> String {
    let digest = Sha256::digest(hash.to_ascii_uppercase().as_bytes());
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

/// SHA-256 crypt (Ulrich Drepper's specification, steps 1–22) with the salt used whole, in crypt's base64.
fn sha256_crypt(password: &[u8], salt: &[u8], rounds: u32) -> String {
    let b = Sha256::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    let mut a = Sha256::new().chain_update(password).chain_update(salt);
    a.update(repeated(&b, password.len()));
    let mut n = password.len();
    while n > 0 {
        if n & 1 == 1 {
            a.update(b);
        } else {
            a.update(password);
        }
        n >>= 1;
    }
    let a = a.finalize();
    let dp = Sha256::digest(password.repeat(password.len()));
    let p = repeated(&dp, password.len());
    let ds = Sha256::digest(salt.repeat(16 + usize::from(a[0])));
    let s = repeated(&ds, salt.len());
    let mut c = a;
    for round in 0..rounds {
        let mut h = Sha256::new();
        if round % 2 == 1 {
            h.update(&p);
        } else {
            h.update(c);
        }
        if round % 3 != 0 {
            h.update(&s);
        }
        if round % 7 != 0 {
            h.update(&p);
        }
        if round % 2 == 1 {
            h.update(c);
        } else {
            h.update(&p);
        }
        c = h.finalize();
    }
    crypt_base64(&c)
}

/// `digest` repeated, then cut, to `len` bytes.
fn repeated(digest: &[u8], len: usize) -> Vec<u8> {
    digest.iter().copied().cycle().take(len).collect()
}

/// The 32 bytes of SHA-256 crypt in crypt's alphabet and its byte order.
fn crypt_base64(c: &[u8]) -> String {
    const ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ORDER: [(usize, usize, usize); 10] = [
        (0, 10, 20),
        (21, 1, 11),
        (12, 22, 2),
        (3, 13, 23),
        (24, 4, 14),
        (15, 25, 5),
        (6, 16, 26),
        (27, 7, 17),
        (18, 28, 8),
        (9, 19, 29),
    ];
    let mut out = String::with_capacity(43);
    let mut put = |w: u32, chars: usize| {
        for i in 0..chars {
            out.push(char::from(ALPHABET[((w >> (6 * i)) & 0x3f) as usize]));
        }
    };
    for (x, y, z) in ORDER {
        put(
            (u32::from(c[x]) << 16) | (u32::from(c[y]) << 8) | u32::from(c[z]),
            4,
        );
    }
    put((u32::from(c[31]) << 8) | u32::from(c[30]), 3);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> PasswordCheck {
        PasswordCheck::new(&SecretString::from(password.to_string()))
    }

    #[test]
    fn matches_what_the_server_stores_for_the_same_password() {
        // MariaDB: SELECT CONCAT('*', UPPER(SHA1(UNHEX(SHA1('x'))))).
        let stored = b"*B69027D44F6E5EDC07F1AEAD1477967B16F28227";
        let stored = StoredPassword::read(NATIVE_PLUGIN, stored).expect("native");
        assert!(check("x").is_stored_as(&stored));
        assert!(!check("y").is_stored_as(&stored));
        assert_eq!(native_fingerprint("x").len(), 32);
    }

    /// MySQL 9.7.4: `CREATE USER ... IDENTIFIED WITH caching_sha2_password BY 'x'`, then
    /// `SELECT HEX(authentication_string)` (10,000 rounds, a salt with control characters in it).
    #[test]
    fn matches_what_mysql_stores_under_caching_sha2_password() {
        let stored = hex::decode(
            "244124303041241D0E7A1A21224D78456678785132545750450E44315A3747796441614C7645527A79787A3335\
             686C2E59596F66636556576343616C70325A38614E49483138",
        )
        .expect("hex");
        let stored = StoredPassword::read(CACHING_SHA2_PLUGIN, &stored).expect("caching_sha2");
        assert!(matches!(
            stored,
            StoredPassword::CachingSha2 { rounds: 10_000, .. }
        ));
        assert!(check("x").is_stored_as(&stored));
        assert!(!check("y").is_stored_as(&stored));
    }

    #[test]
    fn a_hash_of_another_plugin_or_shape_is_not_compared() {
        assert_eq!(StoredPassword::read("ed25519", b"abc"), None);
        assert_eq!(
            StoredPassword::read(CACHING_SHA2_PLUGIN, b"$A$005$short"),
            None
        );
    }

    #[test]
    fn the_check_never_shows_its_secret() {
        assert_eq!(format!("{:?}", check("s3cret")), "PasswordCheck(sensitive)");
    }
}
