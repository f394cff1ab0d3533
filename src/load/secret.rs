//! Reading a secret from where the playbook says it is. The value goes into a `SecretString` at once and is
//! never part of an error.

use secrecy::SecretString;

use crate::model::SecretRef;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SecretError {
    #[error("the environment variable {0} holding a secret is not set")]
    #[diagnostic(code(mmprov::secret))]
    Env(String),
    #[error("the inventory variable {0} holding a secret was not read with the inventory")]
    #[diagnostic(code(mmprov::secret))]
    NotLoaded(String),
    #[error("the secret file {path} cannot be read")]
    #[diagnostic(code(mmprov::secret))]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The secret, from its environment variable or file; `loaded`: the secret when it came with the inventory
/// (`{ var: NAME }`, opened at load).
pub fn read(
    secret: &SecretRef,
    loaded: Option<&SecretString>,
) -> Result<SecretString, SecretError> {
    match secret {
        SecretRef::Var(name) => loaded
            .cloned()
            .ok_or_else(|| SecretError::NotLoaded(name.clone())),
        SecretRef::Env(var) => match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(SecretString::from(v)),
            _ => Err(SecretError::Env(var.clone())),
        },
        SecretRef::File(path) => {
            let text =
                super::input::read_capped(path, super::input::SECRET_CAP).map_err(|source| {
                    SecretError::File {
                        path: path.display().to_string(),
                        source,
                    }
                })?;
            Ok(SecretString::from(
                text.trim_end_matches(['\n', '\r']).to_string(),
            ))
        }
    }
}
