//! The one place YAML is parsed. serde-saphyr gives typed deserialization, source locations (`Spanned`) and
//! miette reports that quote the offending line; nothing else in mmprov names the YAML crate's error types.

use serde::de::DeserializeOwned;
use serde_saphyr::Spanned;

use super::problem::LoadError;
use crate::model::{FileId, Source, Sourced, Span};

/// Parse a whole file into `T`; the error quotes the file at the offending place.
pub fn parse<T: DeserializeOwned>(source: &Source, what: &'static str) -> Result<T, LoadError> {
    // Inputs are capped in size (`input`); the node and event budgets follow that cap rather than the
    // parser's defaults (250,000 nodes), so a 100,000-host inventory reads. Alias expansion keeps the
    // parser's own limits, which are what stop a billion-laughs document.
    let options = serde_saphyr::options! {
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_nodes: 32_000_000,
            max_events: 64_000_000,
        },
    };
    serde_saphyr::from_str_with_options::<T>(&source.text, options).map_err(|err| {
        let name = source.path.display().to_string();
        let report = serde_saphyr::miette::to_miette_report(&err, &source.text, &name);
        LoadError::Yaml {
            path: source.path.clone(),
            what,
            cause: vec![super::problem::ParserDiagnostic(report)],
        }
    })
}

/// The byte range of a parsed value in `file`.
pub fn span<T>(file: FileId, value: &Spanned<T>) -> Span {
    let s = value.referenced.span();
    let offset = s.byte_offset().unwrap_or(0);
    let len = s.byte_len().unwrap_or(0).max(1);
    Span {
        file,
        offset: to_usize(offset),
        len: to_usize(len),
    }
}

pub fn sourced<T>(file: FileId, value: Spanned<T>) -> Sourced<T> {
    let at = span(file, &value);
    Sourced::new(value.value, at)
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
