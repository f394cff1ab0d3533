//! The playbook's `become:` key: becoming on or off for every host, and with whom and which sudo password.
//! The password is read at load, since every host needs it from its first command on; inventory variables
//! (`ansible_become*`, in `inventory`) override these settings host by host.

use std::path::Path;

use super::inventory::BecomeDefault;
use super::playbook_file::{BecomeYaml, PlaybookYaml};
use super::problem::Problem;
use super::{secret, yaml};
use crate::model::{FileId, SecretRef, Span};

/// The playbook's `become:`, its password read now: every host needs it from its first command on.
pub fn from_playbook(
    book: &PlaybookYaml,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> BecomeDefault {
    let file = FileId(0);
    let Some(spanned) = &book.run_as else {
        return Default::default();
    };
    let at = yaml::span(file, spanned);
    let settings = match &spanned.value {
        BecomeYaml::On(enabled) => {
            return BecomeDefault {
                enabled: *enabled,
                ..Default::default()
            };
        }
        BecomeYaml::With(settings) => settings,
    };
    if let Some(method) = settings.method.as_deref().filter(|m| *m != "sudo") {
        problems.push(
            Problem::at(at, format!("become method `{method}` is not supported"), "here")
                .help("mmprov becomes with sudo: give the login user sudo rights, or log in as the user itself"),
        );
    }
    let password = match &settings.password {
        Some(SecretRef::Var(name)) => {
            problems.push(
                Problem::at(at, format!("the become password cannot come from `{{ var: {name} }}`"), "here")
                    .help("set ansible_become_password in the inventory (vaulted or not), or use { env: NAME } or { file: path }"),
            );
            None
        }
        // Relative to the playbook, as every path it names.
        Some(SecretRef::File(path)) => {
            read_password(&SecretRef::File(base.join(path)), at, problems)
        }
        Some(secret) => read_password(secret, at, problems),
        None => None,
    };
    BecomeDefault {
        enabled: true,
        user: settings.user.clone(),
        password,
    }
}

fn read_password(
    secret: &SecretRef,
    at: Span,
    problems: &mut Vec<Problem>,
) -> Option<secrecy::SecretString> {
    match secret::read(secret, None) {
        Ok(password) => Some(password),
        Err(e) => {
            problems.push(Problem::at(at, format!("the become password: {e}"), "here"));
            None
        }
    }
}
