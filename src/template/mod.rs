//! Rendering my.cnf from a handlebars template: the built-in `templates/my.cnf.hbs` or a play's own.
//!
//! Pure: text in, text out. Strict mode makes a misspelt variable an error instead of an empty string, and HTML
//! escaping is off (my.cnf is not HTML: `'` and `&` must stay as written).
//!
//! No value may change the file's structure, whatever template it is rendered into (the built-in one or a
//! play's own): the guard sits here, under every template, rather than in what each template writes.
//!
//! 1. [`MyCnfContext::new`] gathers what a host's config needs (play vars, host identity, the flavor's names).
//! 2. [`MyCnfTemplate::render`] refuses a context holding a value that would start a line of its own (a line
//!    break or other control character), fills the template, and refuses output in which a value stands at
//!    the start of a line as a `[group]` header or an `!include` directive; errors carry the template line
//!    or the value's name for diagnostics.

mod guard;

mod context;

pub use context::MyCnfContext;

use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use thiserror::Error;

/// The template shipped with mmprov.
pub const BUILTIN: &str = include_str!("../../templates/my.cnf.hbs");
pub const BUILTIN_NAME: &str = "templates/my.cnf.hbs (built in)";

const NAME: &str = "my.cnf";

#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("template {}: {message}", path.display())]
pub struct TemplateError {
    pub path: PathBuf,
    pub message: String,
    /// 1-based line and column in the template, where handlebars knows them.
    pub position: Option<(usize, usize)>,
}

pub struct MyCnfTemplate {
    registry: Handlebars<'static>,
    path: PathBuf,
}

impl MyCnfTemplate {
    pub fn builtin() -> Result<Self, TemplateError> {
        Self::compile(BUILTIN, Path::new(BUILTIN_NAME))
    }

    /// Compile a template text; `path` names it in errors.
    pub fn compile(text: &str, path: &Path) -> Result<Self, TemplateError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(guard::mark);
        if let Some(line) = guard::marker_line(text) {
            return Err(TemplateError {
                path: path.to_path_buf(),
                message: "holds a control character other than a tab or a line break".into(),
                position: Some((line, 1)),
            });
        }
        registry
            .register_template_string(NAME, text)
            .map_err(|e| TemplateError {
                path: path.to_path_buf(),
                message: e.reason().to_string(),
                position: e.pos(),
            })?;
        Ok(Self {
            registry,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn render(&self, context: &MyCnfContext) -> Result<String, TemplateError> {
        let refuse = |message: String| TemplateError {
            path: self.path.clone(),
            message,
            position: None,
        };
        guard::check_context(context).map_err(refuse)?;
        let marked = self
            .registry
            .render(NAME, context)
            .map_err(|e| TemplateError {
                path: self.path.clone(),
                message: e.reason().to_string(),
                position: e.line_no.zip(e.column_no),
            })?;
        guard::unmark(&marked).map_err(refuse)
    }
}

#[cfg(test)]
mod tests;
