//! Where a value was written: a file of the run and a byte range in it.

use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in [`super::Project::sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// A file the run read, kept whole so diagnostics can quote it.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: Arc<String>,
}

/// A byte range in one of the run's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub file: FileId,
    pub offset: usize,
    pub len: usize,
}

/// A value together with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sourced<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}
