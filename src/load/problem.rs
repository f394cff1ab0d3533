//! Load errors as miette diagnostics: one report for all problems found, each pointing at the file and line.

use std::path::PathBuf;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

use crate::model::{Source, Span};

/// Something wrong with the input, found before anything is contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub span: Option<Span>,
    /// Short text under the pointed-at range.
    pub label: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn at(span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span: Some(span),
            label: label.into(),
            help: None,
        }
    }

    pub fn nowhere(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span: None,
            label: String::new(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn into_diagnostic(self, sources: &[Source]) -> ProblemDiagnostic {
        let (src, span) = match self.span {
            Some(span) => {
                let source = &sources[span.file.0];
                let named =
                    NamedSource::new(source.path.display().to_string(), Arc::clone(&source.text));
                (Some(named), Some(SourceSpan::from((span.offset, span.len))))
            }
            None => (None, None),
        };
        ProblemDiagnostic {
            message: self.message,
            label: self.label,
            help: self.help,
            src,
            span,
        }
    }
}

#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(mmprov::invalid))]
pub struct ProblemDiagnostic {
    message: String,
    label: String,
    #[help]
    help: Option<String>,
    #[source_code]
    src: Option<NamedSource<Arc<String>>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
}

#[derive(Debug, Error, Diagnostic)]
pub enum LoadError {
    #[error("cannot read {path}")]
    #[diagnostic(code(mmprov::read))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The YAML itself (syntax, unknown key, wrong type), as located by the parser.
    #[error("{path} is not a valid {what}")]
    #[diagnostic(code(mmprov::yaml))]
    Yaml {
        path: PathBuf,
        what: &'static str,
        #[related]
        cause: Vec<ParserDiagnostic>,
    },

    #[error("{path}: {source}")]
    #[diagnostic(
        code(mmprov::vault),
        help(
            "the vault password comes from --vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE, or the terminal"
        )
    )]
    Vault {
        path: PathBuf,
        #[source]
        source: super::vault::VaultError,
    },

    /// A vaulted file whose plaintext does not parse: said without quoting it, since it is secret.
    #[error(
        "{path} is encrypted, and what it holds is not a valid {what} (not shown: it is secret)"
    )]
    #[diagnostic(
        code(mmprov::vault),
        help("check it with `ansible-vault view` and fix it with `ansible-vault edit`")
    )]
    VaultedUnreadable { path: PathBuf, what: &'static str },

    #[error("--host `{pattern}` selects {selected} hosts of the inventory, not one")]
    #[diagnostic(
        code(mmprov::inventory),
        help("name one host (`mmprov inventory --list` shows them all)")
    )]
    NotOneHost { pattern: String, selected: usize },

    #[error("`{name}` is not a group of the inventory")]
    #[diagnostic(
        code(mmprov::inventory),
        help("--graph draws a group and what it holds; `mmprov inventory --graph` draws them all")
    )]
    NotAGroup { name: String },

    #[error("no inventory given, and {default} does not exist")]
    #[diagnostic(
        code(mmprov::inventory),
        help("give one with -i (a file, a folder, or `host1,host2,`), or set ANSIBLE_INVENTORY")
    )]
    NoInventory { default: String },

    #[error("--plays shows the plays of a playbook, and none was given")]
    #[diagnostic(code(mmprov::inventory), help("mmprov inventory PLAYBOOK --plays"))]
    NoPlaybook,

    #[error("--plays reads one inventory, and -i was given more than once")]
    #[diagnostic(
        code(mmprov::inventory),
        help(
            "give one -i (a folder holds several files), or none to use the playbook's `inventory:`"
        )
    )]
    SeveralInventories,

    #[error("{} found in the playbook; nothing was contacted", plural(problems.len(), "problem"))]
    #[diagnostic(code(mmprov::invalid))]
    Invalid {
        #[related]
        problems: Vec<ProblemDiagnostic>,
    },
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The YAML parser's own report (it quotes the offending line), carried as a diagnostic of ours.
#[derive(Debug)]
pub struct ParserDiagnostic(pub miette::Report);

impl std::fmt::Display for ParserDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ParserDiagnostic {}

impl Diagnostic for ParserDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.code()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.0.related()
    }
}
