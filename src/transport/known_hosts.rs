//! Host-key checking against an OpenSSH known_hosts file, done by libssh2, plus the one thing it does not
//! do: telling which key types known_hosts records for a host, so the handshake asks for exactly those (a
//! server with several keys would otherwise offer one known_hosts does not list, and fail a good host).

use std::path::{Path, PathBuf};

use base64::Engine;
use ssh2::{CheckResult, HashType, KnownHostFileKind, Session};

use super::TransportError;

/// The known_hosts file used when the inventory names none.
pub fn default_file() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".ssh/known_hosts")
}

/// The name a host has in known_hosts: `addr` on port 22, `[addr]:port` elsewhere.
fn entry_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_string()
    } else {
        format!("[{address}]:{port}")
    }
}

/// Host-key algorithms to offer in the handshake, from the plain (unhashed) entries for this host.
pub fn pinned_algorithms(file: &Path, address: &str, port: u16) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let wanted = entry_name(address, port);
    let mut algorithms: Vec<&str> = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut fields = line.split_whitespace();
        let Some(hosts) = fields.next().filter(|h| !h.starts_with('@')) else {
            continue;
        };
        let Some(key_type) = fields.next() else {
            continue;
        };
        if !hosts.split(',').any(|h| h == wanted) {
            continue;
        }
        let names: &[&str] = match key_type {
            "ssh-rsa" => &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
            _ => std::slice::from_ref(&key_type),
        };
        for name in names {
            if !algorithms.contains(name) {
                algorithms.push(name);
            }
        }
    }
    (!algorithms.is_empty()).then(|| algorithms.join(","))
}

/// The server key's SHA256 fingerprint, as `ssh-keygen -l` prints it.
pub fn fingerprint(session: &Session) -> String {
    match session.host_key_hash(HashType::Sha256) {
        Some(hash) => format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(hash)
        ),
        None => "(no host key)".to_string(),
    }
}

/// Accept the server's key only if known_hosts lists it for this host (or checking is off and the host is
/// simply not listed: a changed key is refused either way).
pub fn verify(
    session: &Session,
    host: &str,
    address: &str,
    port: u16,
    file: &Path,
    strict: bool,
) -> Result<(), TransportError> {
    let ssh_err = |source| TransportError::Ssh {
        host: host.to_string(),
        stage: "known_hosts check",
        source,
    };
    let (key, _) = session
        .host_key()
        .ok_or_else(|| TransportError::UnknownHostKey {
            host: host.to_string(),
            fingerprint: "(none offered)".into(),
            known_hosts: file.to_path_buf(),
        })?;
    let mut known = session.known_hosts().map_err(ssh_err)?;
    if file.exists() {
        known
            .read_file(file, KnownHostFileKind::OpenSSH)
            .map_err(ssh_err)?;
    }
    let fingerprint = fingerprint(session);
    let known_hosts = file.to_path_buf();
    match known.check_port(address, port, key) {
        CheckResult::Match => Ok(()),
        CheckResult::NotFound if !strict => Ok(()),
        CheckResult::Mismatch => Err(TransportError::HostKeyChanged {
            host: host.to_string(),
            fingerprint,
            known_hosts,
        }),
        CheckResult::NotFound | CheckResult::Failure => Err(TransportError::UnknownHostKey {
            host: host.to_string(),
            fingerprint,
            known_hosts,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_the_key_types_recorded_for_the_host() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("known_hosts");
        std::fs::write(
            &file,
            "10.0.0.1 ssh-ed25519 AAAA\n10.0.0.1,db1 ssh-rsa BBBB\n[10.0.0.2]:2222 ecdsa-sha2-nistp256 CCCC\n|1|hashed ssh-ed25519 DDDD\n",
        )
        .expect("write");
        assert_eq!(
            pinned_algorithms(&file, "10.0.0.1", 22).as_deref(),
            Some("ssh-ed25519,rsa-sha2-512,rsa-sha2-256,ssh-rsa")
        );
        assert_eq!(
            pinned_algorithms(&file, "10.0.0.2", 2222).as_deref(),
            Some("ecdsa-sha2-nistp256")
        );
        assert_eq!(pinned_algorithms(&file, "10.0.0.2", 22), None);
    }
}
