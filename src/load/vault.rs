//! Ansible Vault: values (`!vault |`) and whole files encrypted by `ansible-vault`, formats 1.1 and 1.2
//! (`$ANSIBLE_VAULT;1.2;AES256;<vault id>`), decrypted with the vault password.
//!
//! The format: after the header line, hex of `hex(salt) \n hex(hmac) \n hex(ciphertext)`. PBKDF2-HMAC-SHA256
//! (10,000 rounds) of the password and salt gives 80 bytes: the AES-256 key, the HMAC-SHA256 key and the
//! CTR counter's start. The HMAC of the ciphertext is checked before anything is decrypted (a wrong
//! password is said as such); the plaintext is PKCS#7-padded. The crypto is RustCrypto's.
//!
//! The password comes from `--vault-password-file`, else `ANSIBLE_VAULT_PASSWORD_FILE`, else a prompt on
//! the terminal; a password file that is executable is run and its output is the password (as Ansible
//! does). It is read once, only when something is encrypted, and kept as a secret.

use std::cell::OnceCell;
use std::path::PathBuf;

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};

/// What every vault starts with.
pub const HEADER: &str = "$ANSIBLE_VAULT;";

/// How an encrypted value is held among variables (and shown), as Ansible shows it.
pub const VALUE_KEY: &str = "__ansible_vault";

/// The vault text of an encrypted variable value.
pub fn vaulted(value: &serde_json::Value) -> Option<&str> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    map.get(VALUE_KEY)?.as_str()
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VaultError {
    #[error("the vault password does not open it")]
    #[diagnostic(
        code(mmprov::vault),
        help(
            "give the password it was encrypted with (--vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE)"
        )
    )]
    WrongPassword,
    #[error("it is encrypted, and no vault password was given")]
    #[diagnostic(
        code(mmprov::vault),
        help(
            "give --vault-password-file FILE, or set ANSIBLE_VAULT_PASSWORD_FILE, or run mmprov on a terminal to be asked"
        )
    )]
    NoPassword,
    #[error("the vault password file {path} cannot be read: {detail}")]
    #[diagnostic(code(mmprov::vault))]
    PasswordFile { path: PathBuf, detail: String },
    #[error("not a vault mmprov reads: {0}")]
    #[diagnostic(
        code(mmprov::vault),
        help("mmprov reads ansible-vault's formats 1.1 and 1.2 with AES256")
    )]
    Format(String),
}

/// Whether a text (a value or a whole file) is a vault.
pub fn is_vault(text: &str) -> bool {
    text.trim_start().starts_with(HEADER)
}

/// The vault password, asked for once, when first needed.
pub struct Vault {
    password_file: Option<PathBuf>,
    /// Environment variables holding the playbook's secrets: a password script never sees them.
    hidden_env: Vec<String>,
    password: OnceCell<SecretString>,
}

impl Vault {
    /// `password_file`: `--vault-password-file`; `ANSIBLE_VAULT_PASSWORD_FILE` when not given.
    pub fn new(password_file: Option<PathBuf>) -> Self {
        let password_file = password_file.or_else(|| {
            std::env::var_os("ANSIBLE_VAULT_PASSWORD_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        Self {
            password_file,
            hidden_env: Vec::new(),
            password: OnceCell::new(),
        }
    }

    /// Keep these environment variables (the playbook's `{ env: NAME }` secrets) from a password script.
    pub fn hiding_env(mut self, names: Vec<String>) -> Self {
        self.hidden_env = names;
        self
    }

    fn password(&self) -> Result<&SecretString, VaultError> {
        if let Some(p) = self.password.get() {
            return Ok(p);
        }
        let p = read_password(self.password_file.as_ref(), &self.hidden_env)?;
        Ok(self.password.get_or_init(|| p))
    }

    /// The plaintext of a vault (a `!vault` value or a whole file's text).
    pub fn decrypt(&self, text: &str) -> Result<SecretString, VaultError> {
        let payload = payload(text)?;
        let password = self.password()?;
        let plain = open(&payload, password.expose_secret().as_bytes())?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| VaultError::Format("the plaintext is not UTF-8 text".into()))
    }
}

fn read_password(
    file: Option<&PathBuf>,
    hidden_env: &[String],
) -> Result<SecretString, VaultError> {
    let Some(path) = file else {
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return rpassword::prompt_password("Vault password: ")
                .map(SecretString::from)
                .map_err(|e| VaultError::PasswordFile {
                    path: "(terminal)".into(),
                    detail: e.to_string(),
                });
        }
        return Err(VaultError::NoPassword);
    };
    let failed = |detail: String| VaultError::PasswordFile {
        path: path.clone(),
        detail,
    };
    let executable = std::fs::metadata(path)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
        .map_err(|e| failed(e.to_string()))?;
    let text = if executable {
        // A password client script, as Ansible runs it: its output is the password. It keeps the
        // environment it may need (HOME, an agent's socket), never the playbook's secrets.
        let mut command = std::process::Command::new(path);
        for name in hidden_env {
            command.env_remove(name);
        }
        let out = command
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| failed(e.to_string()))?;
        if !out.status.success() {
            return Err(failed(format!("it ran and failed ({})", out.status)));
        }
        String::from_utf8(out.stdout).map_err(|_| failed("its output is not text".into()))?
    } else {
        super::input::read_capped(path, super::input::SECRET_CAP)
            .map_err(|e| failed(e.to_string()))?
    };
    let password = text.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(failed("it is empty".into()));
    }
    Ok(SecretString::from(password))
}

/// The salt, HMAC and ciphertext of a vault text.
struct Payload {
    salt: Vec<u8>,
    hmac: Vec<u8>,
    ciphertext: Vec<u8>,
}

fn payload(text: &str) -> Result<Payload, VaultError> {
    let mut lines = text.trim().lines().map(str::trim);
    let header = lines.next().unwrap_or_default();
    let fields: Vec<&str> = header.split(';').collect();
    match fields.as_slice() {
        ["$ANSIBLE_VAULT", "1.1", "AES256"] | ["$ANSIBLE_VAULT", "1.2", "AES256", _] => {}
        _ => return Err(VaultError::Format(format!("header `{header}`"))),
    }
    let body: String = lines.collect();
    let inner = hex::decode(body.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| VaultError::Format("its body is not hex".into()))?;
    let parts: Vec<&str> = inner.split('\n').map(str::trim).collect();
    let [salt, hmac, ciphertext] = parts.as_slice() else {
        return Err(VaultError::Format(
            "its body is not salt, HMAC and ciphertext".into(),
        ));
    };
    let decode = |h: &str, what: &str| {
        hex::decode(h).map_err(|_| VaultError::Format(format!("its {what} is not hex")))
    };
    Ok(Payload {
        salt: decode(salt, "salt")?,
        hmac: decode(hmac, "HMAC")?,
        ciphertext: decode(ciphertext, "ciphertext")?,
    })
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;
type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

fn open(p: &Payload, password: &[u8]) -> Result<Vec<u8>, VaultError> {
    let mut keys = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &p.salt, 10_000, &mut keys);
    let (cipher_key, rest) = keys.split_at(32);
    let (hmac_key, iv) = rest.split_at(32);
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(hmac_key)
        .map_err(|_| VaultError::Format("HMAC key".into()))?;
    mac.update(&p.ciphertext);
    mac.verify_slice(&p.hmac)
        .map_err(|_| VaultError::WrongPassword)?;
    let mut plain = p.ciphertext.clone();
    let mut cipher = Aes256Ctr::new_from_slices(cipher_key, iv)
        .map_err(|_| VaultError::Format("AES key".into()))?;
    cipher.apply_keystream(&mut plain);
    let pad = usize::from(
        *plain
            .last()
            .ok_or_else(|| VaultError::Format("empty".into()))?,
    );
    if pad == 0
        || pad > 16
        || pad > plain.len()
        || !plain[plain.len() - pad..]
            .iter()
            .all(|b| usize::from(*b) == pad)
    {
        return Err(VaultError::Format("its padding is not PKCS#7".into()));
    }
    plain.truncate(plain.len() - pad);
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::{Vault, VaultError};

    /// `ansible-vault encrypt_string 'r3pl-s3cret'` with the password `vaultpw` (ansible-core 2.19).
    const VALUE_1_1: &str = "$ANSIBLE_VAULT;1.1;AES256
          39643238313965366464613062313633306265663330343930643230383537316637326363376662
          6562363662383333386631613664616131363435336266390a323836663965656563343466663430
          36323136386638613163333035316164643663643365356533333633313064363035303939643662
          6138303363323339390a323335663132353832626237303837363334613962663035616236356132
          3139";

    fn vault_with(password: &str) -> (tempfile::TempDir, Vault) {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("pw");
        std::fs::write(&file, format!("{password}\n")).expect("password file");
        (dir, Vault::new(Some(file)))
    }

    #[test]
    fn a_value_encrypted_by_ansible_vault_opens_with_its_password() {
        let (_dir, vault) = vault_with("vaultpw");
        let plain = vault.decrypt(VALUE_1_1).expect("opens");
        assert_eq!(plain.expose_secret(), "r3pl-s3cret");
    }

    #[test]
    fn a_wrong_password_is_said_as_such_and_a_bad_header_as_a_format() {
        let (_dir, vault) = vault_with("not-it");
        assert!(matches!(
            vault.decrypt(VALUE_1_1),
            Err(VaultError::WrongPassword)
        ));
        let (_dir, vault) = vault_with("vaultpw");
        assert!(matches!(
            vault.decrypt("$ANSIBLE_VAULT;1.0;AES\n00"),
            Err(VaultError::Format(_))
        ));
    }

    #[test]
    fn an_executable_password_file_is_run_for_the_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("pw.sh");
        std::fs::write(&script, "#!/bin/sh\necho vaultpw\n").expect("script");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .expect("chmod");
        let vault = Vault::new(Some(script));
        assert_eq!(
            vault.decrypt(VALUE_1_1).expect("opens").expose_secret(),
            "r3pl-s3cret"
        );
    }
}
