//! A play's `install:` key: how a host with no server gets one. Checked here, field by field, because what it
//! names ends up in files on the host (an apt sources entry, a dnf repo file) and in shell commands: a name,
//! a URL and plain words only, and a key that is an ASCII-armored OpenPGP public key, read now from the
//! controller.

use std::path::Path;

use super::playbook_file::{InstallYaml, RepositoryYaml};
use super::problem::Problem;
use super::yaml;
use crate::model::{FileId, Install, PackageRepository};
use serde_saphyr::Spanned;

const ARMORED_KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

pub fn install(
    value: Option<Spanned<InstallYaml>>,
    file: FileId,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Install {
    let Some(value) = value else {
        return Install::default();
    };
    let at = yaml::span(file, &value);
    match value.value {
        InstallYaml::Word(word) => match word.as_str() {
            "distribution" => Install::Distribution,
            "never" => Install::Never,
            other => {
                problems.push(
                    Problem::at(at, format!("install: `{}` is not known", other.escape_debug()), "here")
                        .help("`distribution` (the host's own package sources), `never`, or `{ repository: { name, url, ... } }`"),
                );
                Install::default()
            }
        },
        InstallYaml::From(from) => {
            Install::Repository(repository(from.repository, file, base, problems))
        }
    }
}

fn repository(
    r: RepositoryYaml,
    file: FileId,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> PackageRepository {
    let mut check =
        |value: &Spanned<String>, what: &str, problem: fn(&str) -> Option<&'static str>| {
            if let Some(p) = problem(&value.value) {
                problems.push(Problem::at(
                    yaml::span(file, value),
                    format!("repository {what} \"{}\" {p}", value.value.escape_debug()),
                    "here",
                ));
            }
            value.value.clone()
        };
    let name = check(&r.name, "name", name_problem);
    let url = check(&r.url, "url", url_problem);
    let suite = r.suite.as_ref().map(|s| check(s, "suite", word_problem));
    let components = r
        .components
        .iter()
        .flatten()
        .map(|c| check(c, "component", word_problem))
        .collect();
    let key = r
        .key
        .as_ref()
        .and_then(|k| read_key(k, file, base, problems));
    PackageRepository {
        name,
        url,
        suite,
        components,
        key,
    }
}

/// The key file's text, which must be one armored public key (the form apt's `Signed-By` and rpm read).
fn read_key(
    path: &Spanned<String>,
    file: FileId,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let at = yaml::span(file, path);
    let full = base.join(&path.value);
    match std::fs::read_to_string(&full) {
        Ok(text)
            if text.trim_start().starts_with(ARMORED_KEY) && text.trim_end().ends_with("-----") =>
        {
            Some(text)
        }
        Ok(_) => {
            problems.push(
                Problem::at(
                    at,
                    format!(
                        "{} is not an ASCII-armored OpenPGP public key",
                        full.display()
                    ),
                    "here",
                )
                .help("export it armored: `gpg --armor --export KEYID > key.asc`"),
            );
            None
        }
        Err(e) => {
            problems.push(Problem::at(
                at,
                format!("cannot read the repository key {}: {e}", full.display()),
                "here",
            ));
            None
        }
    }
}

/// Lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit: it names files.
fn name_problem(name: &str) -> Option<&'static str> {
    let first_ok = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    (!(first_ok && rest_ok) || name.len() > 64)
        .then_some("must be lower-case letters, digits, `-`, `_` or `.` (at most 64), starting with a letter or digit")
}

/// An http(s), ftp or file URL of visible characters without quotes, spaces or brackets.
fn url_problem(url: &str) -> Option<&'static str> {
    let scheme_ok = ["https://", "http://", "ftp://", "file:"]
        .iter()
        .any(|s| url.starts_with(s));
    if !scheme_ok {
        return Some("must start with https://, http://, ftp:// or file:");
    }
    let chars_ok = url.chars().all(|c| {
        c.is_ascii_graphic()
            && !matches!(
                c,
                '"' | '\'' | '`' | '\\' | '[' | ']' | '$' | ';' | '<' | '>' | '|' | '&'
            )
    });
    (!chars_ok).then_some(
        "must be visible ASCII, without quotes, brackets, `$`, `;`, `<`, `>`, `|` or `&`",
    )
}

/// A suite or component: letters, digits and `. _ - + ~ /`.
fn word_problem(word: &str) -> Option<&'static str> {
    let ok = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '~' | '/'));
    (!ok).then_some("must be letters, digits and `. _ - + ~ /`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_urls_and_words_are_checked_before_they_reach_a_host() {
        assert_eq!(name_problem("mariadb"), None);
        assert_eq!(name_problem("mariadb-10.11"), None);
        assert!(name_problem("MariaDB").is_some());
        assert!(name_problem("../etc/passwd").is_some());
        assert!(name_problem("").is_some());
        assert_eq!(
            url_problem("https://dlm.mariadb.com/repo/mariadb-server/10.11/repo/debian"),
            None
        );
        assert_eq!(url_problem("file:/srv/debs"), None);
        assert!(url_problem("gopher://x").is_some());
        assert!(url_problem("https://x/ bookworm main").is_some());
        assert!(url_problem("https://x/$(reboot)").is_some());
        assert!(url_problem("https://x/\nTypes: deb").is_some());
        assert_eq!(word_problem("bookworm"), None);
        assert_eq!(word_problem("./"), None);
        assert!(word_problem("main contrib").is_some());
        assert!(word_problem("").is_some());
    }
}
