//! Ansible's own YAML: inventories and `group_vars`/`host_vars` files read the way Ansible's loader (PyYAML,
//! YAML 1.1) reads them, not as a YAML 1.2 parser would. `yes`/`on` are booleans but `y` and `tRUE` are text,
//! `017` is octal, `1:30` is 90, `1e3` is text; `<<` merges mappings; `!vault` is a string, and `!unsafe`
//! a string Ansible marks (`{"__ansible_unsafe": text}`, as `ansible-inventory` shows it).
//! Text that is valid JSON is JSON to Ansible's loader (it tries JSON first), so its numbers are JSON's.
//!
//! Owns: the event-level reading of one document into a small tree with byte places ([`Node`]), anchors
//! and aliases (with a budget, so aliases cannot multiply a file into millions of nodes), merge keys, and
//! the typing of scalars ([`Node::into_value`]). The tree is built straight from the parser's events, with
//! no serde layer in between: a 100,000-host inventory is one pass.

use std::sync::Arc;

use miette::{LabeledSpan, NamedSource};
use serde_json::Value;
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, ScanError};

use super::problem::{LoadError, ParserDiagnostic};
use crate::model::{FileId, Source, Span};

/// How Ansible shows an `!unsafe` value: `{"__ansible_unsafe": text}`.
pub const UNSAFE_KEY: &str = "__ansible_unsafe";

/// The text of an `!unsafe` value, as [`Node::into_value`] gives it.
pub fn unsafe_text(value: &Value) -> Option<&str> {
    let map = value.as_object().filter(|m| m.len() == 1)?;
    map.get(UNSAFE_KEY)?.as_str()
}

/// A value with its `!unsafe` marks taken off, at any depth: the text itself.
pub fn without_unsafe(value: &Value) -> Value {
    match value {
        Value::Object(map) => match unsafe_text(value) {
            Some(text) => Value::String(text.to_string()),
            None => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), without_unsafe(v)))
                    .collect(),
            ),
        },
        Value::Array(items) => Value::Array(items.iter().map(without_unsafe).collect()),
        other => other.clone(),
    }
}

/// One YAML node with the bytes it was read from.
#[derive(Debug, Clone)]
pub struct Node {
    pub offset: usize,
    pub len: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    Scalar(Scalar),
    /// Entries in the order written (merged entries first, as PyYAML puts them); a repeated key keeps its
    /// first place and its last value, as in the dict Ansible's loader builds.
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
}

#[derive(Debug, Clone)]
pub struct Scalar {
    pub text: String,
    /// Written without quotes or block indicator and without a tag: the only scalars whose type is guessed.
    pub plain: bool,
    pub tag: ScalarTag,
}

/// The explicit tags Ansible's loader knows on a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarTag {
    None,
    /// `!!str`, the non-specific `!` and `!vault` (encrypted text).
    Str,
    /// `!unsafe`: text Ansible never templates, and shows as `{"__ansible_unsafe": text}`.
    Unsafe,
    Int,
    Float,
    Bool,
    Null,
    /// A bare number, `true`, `false` or `null` of a JSON document.
    Json,
}

/// A parsed document: its root (`None` for an empty file) and the warnings Ansible would print for it.
pub struct Document {
    pub root: Option<Node>,
    /// Keys written twice in one mapping: where the repeat is, and the key. The later value is used.
    pub duplicate_keys: Vec<(usize, String)>,
}

/// Aliases may expand to at most this many nodes more than the file holds: enough for any real inventory's
/// shared blocks, far below what a "billion laughs" file asks for.
const ALIAS_NODE_BUDGET: usize = 1_000_000;

/// Read the one document of `source`. `what` names it in errors ("Ansible YAML inventory").
pub fn parse(source: &Source, what: &'static str) -> Result<Document, LoadError> {
    let fail = |offset: usize, message: String| yaml_error(source, what, offset, message);
    let mut builder = Builder::default();
    // As Ansible's loader: JSON when the whole text is JSON, else YAML.
    let json = serde_json::from_str::<serde::de::IgnoredAny>(&source.text).is_ok();
    let mut documents = 0;
    for event in Parser::new_from_str(&source.text) {
        let (event, span) = event.map_err(|e| scan_error(source, what, &e))?;
        let start = byte_offset(&source.text, &span.start);
        let end = byte_offset(&source.text, &span.end);
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(fail(
                        start,
                        "more than one YAML document: an inventory or vars file holds one".into(),
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let mut tag = scalar_tag(tag.as_deref()).map_err(|m| fail(start, m))?;
                if json && matches!(style, ScalarStyle::Plain) {
                    tag = ScalarTag::Json;
                }
                let node = Node {
                    offset: start,
                    len: end.saturating_sub(start),
                    kind: Kind::Scalar(Scalar {
                        plain: matches!(style, ScalarStyle::Plain) && tag == ScalarTag::None,
                        text: text.into_owned(),
                        tag,
                    }),
                };
                builder.add(node, anchor).map_err(|m| fail(start, m))?;
            }
            Event::SequenceStart(_, anchor, tag) => {
                collection_tag(tag.as_deref(), "seq").map_err(|m| fail(start, m))?;
                builder.open(start, anchor, Kind::Seq(Vec::new()));
            }
            Event::MappingStart(_, anchor, tag) => {
                collection_tag(tag.as_deref(), "map").map_err(|m| fail(start, m))?;
                builder.open(start, anchor, Kind::Map(Vec::new()));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                builder.close(end).map_err(|m| fail(start, m))?;
            }
            Event::Alias(id) => builder.alias(id, start).map_err(|m| fail(start, m))?,
            _ => {}
        }
    }
    Ok(Document {
        root: builder.root,
        duplicate_keys: builder.duplicate_keys,
    })
}

/// The place of a node in `file`, for a [`crate::model::Sourced`] value or a problem.
pub fn span(file: FileId, node: &Node) -> Span {
    Span {
        file,
        offset: node.offset,
        len: node.len.max(1),
    }
}

impl Node {
    /// The node's text when it is a scalar (a key, a name): as written, whatever its type would be.
    pub fn as_text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// Whether the node is a null (`~`, `null`, an empty value).
    pub fn is_null(&self) -> bool {
        match &self.kind {
            Kind::Scalar(s) => s.resolve() == Resolved::Null,
            _ => false,
        }
    }

    /// Whether the node is text (a string, as Ansible's loader types it).
    pub fn is_text(&self) -> bool {
        match &self.kind {
            Kind::Scalar(s) => s.resolve() == Resolved::Str,
            _ => false,
        }
    }

    /// What the node is, in words, for a message ("a list", "a number").
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Map(_) => "a mapping",
            Kind::Seq(_) => "a list",
            Kind::Scalar(s) => match s.resolve() {
                Resolved::Null => "empty",
                Resolved::Bool(_) => "a boolean",
                Resolved::Int(_) | Resolved::Float(_) => "a number",
                Resolved::Str => "text",
            },
        }
    }

    /// The node as the value Ansible's loader makes of it. Mapping keys become their text.
    pub fn into_value(self) -> Value {
        match self.kind {
            Kind::Scalar(s) => s.into_value(),
            Kind::Seq(items) => Value::Array(items.into_iter().map(Node::into_value).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.into_key(), v.into_value()))
                    .collect(),
            ),
        }
    }

    /// The node as a mapping key: a scalar's text as written, anything else as its JSON.
    pub fn into_key(self) -> String {
        match self.kind {
            Kind::Scalar(s) => s.text,
            other => Node {
                kind: other,
                ..self
            }
            .into_value()
            .to_string(),
        }
    }

    fn size(&self) -> usize {
        match &self.kind {
            Kind::Scalar(_) => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(Value),
    Float(f64),
    Str,
}

impl Scalar {
    fn resolve(&self) -> Resolved {
        let text = self.text.as_str();
        match self.tag {
            ScalarTag::Str | ScalarTag::Unsafe => Resolved::Str,
            ScalarTag::Null => Resolved::Null,
            ScalarTag::Bool => bool_11(text).map_or(Resolved::Str, Resolved::Bool),
            ScalarTag::Int => int_11(text).map_or(Resolved::Str, Resolved::Int),
            ScalarTag::Float => float_11(text)
                .or_else(|| int_11(text).and_then(|v| v.as_f64()))
                .map_or(Resolved::Str, Resolved::Float),
            ScalarTag::Json => match serde_json::from_str(text) {
                Ok(Value::Bool(b)) => Resolved::Bool(b),
                Ok(Value::Number(n)) if n.is_f64() => {
                    n.as_f64().map_or(Resolved::Str, Resolved::Float)
                }
                Ok(Value::Number(n)) => Resolved::Int(Value::Number(n)),
                Ok(Value::Null) => Resolved::Null,
                _ => Resolved::Str,
            },
            ScalarTag::None if !self.plain => Resolved::Str,
            ScalarTag::None => implicit(text),
        }
    }

    fn into_value(self) -> Value {
        match self.resolve() {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(n) => n,
            // JSON has no infinity or NaN: such a value stays as written.
            Resolved::Float(f) => {
                serde_json::Number::from_f64(f).map_or(Value::String(self.text), Value::Number)
            }
            Resolved::Str if self.tag == ScalarTag::Unsafe => {
                serde_json::json!({ UNSAFE_KEY: self.text })
            }
            Resolved::Str => Value::String(self.text),
        }
    }
}

/// PyYAML's implicit resolvers (YAML 1.1), in its order: bool, int, float, null; anything else is text.
fn implicit(text: &str) -> Resolved {
    if let Some(b) = bool_11(text) {
        return Resolved::Bool(b);
    }
    if let Some(n) = int_11(text) {
        return Resolved::Int(n);
    }
    if let Some(f) = float_11(text) {
        return Resolved::Float(f);
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Resolved::Null;
    }
    Resolved::Str
}

fn bool_11(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// `[-+]?` then binary `0b…`, hex `0x…`, octal `0…`, decimal, or base 60 `1:30`; `_` may separate digits.
fn int_11(text: &str) -> Option<Value> {
    let (negative, body) = split_sign(text);
    let value: i128 = if let Some(bits) = body.strip_prefix("0b") {
        radix(bits, 2)?
    } else if let Some(hex) = body.strip_prefix("0x") {
        radix(hex, 16)?
    } else if body.len() > 1 && body.starts_with('0') {
        radix(&body[1..], 8)?
    } else if body.contains(':') {
        sexagesimal(body)?
    } else if body == "0" {
        0
    } else if body.starts_with(|c: char| c.is_ascii_digit()) {
        radix(body, 10)?
    } else {
        return None;
    };
    let value = if negative { -value } else { value };
    i64::try_from(value)
        .map(Value::from)
        .or_else(|_| u64::try_from(value).map(Value::from))
        .ok()
        .or_else(|| Some(Value::String(text.to_string())))
}

/// Digits of one radix with `_` separators (at least one digit).
fn radix(digits: &str, base: u32) -> Option<i128> {
    let mut value: i128 = 0;
    let mut any = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        value = value
            .checked_mul(i128::from(base))?
            .checked_add(i128::from(c.to_digit(base)?))?;
        any = true;
    }
    any.then_some(value)
}

/// `1:30` (90), `12:30:00` (45000): a first part `[1-9][0-9_]*`, then parts `[0-5]?[0-9]`.
fn sexagesimal(body: &str) -> Option<i128> {
    let mut parts = body.split(':');
    let first = parts.next()?;
    if !first.starts_with(|c: char| ('1'..='9').contains(&c)) {
        return None;
    }
    let mut value = radix(first, 10)?;
    for part in parts {
        value = value
            .checked_mul(60)?
            .checked_add(base60_digit(part)?.into())?;
    }
    Some(value)
}

fn base60_digit(part: &str) -> Option<u8> {
    match part.as_bytes() {
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        [t @ b'0'..=b'5', d @ b'0'..=b'9'] => Some((t - b'0') * 10 + (d - b'0')),
        _ => None,
    }
}

/// PyYAML's float: `[-+]?` digits `.` digits with an optional *signed* exponent (`1.0e+3`, never `1e3`),
/// `.5`, base 60 with a fraction (`1:30.5`), `.inf`, `.nan`.
fn float_11(text: &str) -> Option<f64> {
    let (negative, body) = split_sign(text);
    let sign = if negative { -1.0 } else { 1.0 };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(sign * f64::INFINITY);
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    if let Some((whole, fraction)) = body.rsplit_once(':').filter(|_| body.contains('.')) {
        // Base 60: every part but the last is whole; the last is `[0-5]?[0-9]` then `.` digits.
        let (last, decimals) = fraction.split_once('.')?;
        let whole = sexagesimal(&format!("{whole}:{last}"))?;
        let decimals = if decimals.is_empty() {
            0.0
        } else {
            format!("0.{}", decimals.replace('_', ""))
                .parse::<f64>()
                .ok()?
        };
        return Some(sign * (whole as f64 + decimals));
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, decimals) = mantissa.split_once('.')?;
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let whole_ok = if whole.is_empty() {
        // `.5`: a leading dot needs a digit after it, and takes no sign in PyYAML's pattern.
        !negative && !text.starts_with('+') && decimals.starts_with(|c: char| c.is_ascii_digit())
    } else {
        whole.starts_with(|c: char| c.is_ascii_digit()) && digits_ok(whole)
    };
    if !whole_ok || !digits_ok(decimals) {
        return None;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-'])?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let clean = if clean.starts_with('.') {
        format!("0{clean}")
    } else {
        clean
    };
    clean.parse::<f64>().ok().map(|f| sign * f)
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

const CORE: &str = "tag:yaml.org,2002:";

fn scalar_tag(tag: Option<&serde_saphyr::granit_parser::Tag>) -> Result<ScalarTag, String> {
    let Some(tag) = tag else {
        return Ok(ScalarTag::None);
    };
    Ok(match (tag.handle(), tag.suffix()) {
        ("!", "unsafe") => ScalarTag::Unsafe,
        ("!", "" | "vault") => ScalarTag::Str,
        (CORE, "str") => ScalarTag::Str,
        (CORE, "int") => ScalarTag::Int,
        (CORE, "float") => ScalarTag::Float,
        (CORE, "bool") => ScalarTag::Bool,
        (CORE, "null") => ScalarTag::Null,
        (handle, suffix) => return Err(unknown_tag(handle, suffix)),
    })
}

fn collection_tag(
    tag: Option<&serde_saphyr::granit_parser::Tag>,
    kind: &str,
) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(tag) if tag.handle() == "!" && tag.suffix().is_empty() => Ok(()),
        Some(tag) if tag.handle() == CORE && tag.suffix() == kind => Ok(()),
        Some(tag) => Err(unknown_tag(tag.handle(), tag.suffix())),
    }
}

fn unknown_tag(handle: &str, suffix: &str) -> String {
    let shown = if handle == CORE {
        format!("!!{suffix}")
    } else {
        format!("{handle}{suffix}")
    };
    format!("the tag `{shown}` is not one Ansible's loader knows here")
}

/// Builds the tree from events: open collections on a stack, anchored nodes kept for their aliases.
#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: Vec<Option<Arc<Node>>>,
    root: Option<Node>,
    alias_nodes: usize,
    duplicate_keys: Vec<(usize, String)>,
}

struct Open {
    node: Node,
    anchor: usize,
    /// A mapping's key waiting for its value.
    key: Option<Node>,
}

impl Builder {
    fn open(&mut self, offset: usize, anchor: usize, kind: Kind) {
        self.stack.push(Open {
            node: Node {
                offset,
                len: 0,
                kind,
            },
            anchor,
            key: None,
        });
    }

    fn close(&mut self, end: usize) -> Result<(), String> {
        let Some(mut open) = self.stack.pop() else {
            return Err("a collection ends that never started".into());
        };
        open.node.len = end.saturating_sub(open.node.offset);
        if let Kind::Map(entries) = &mut open.node.kind {
            let mut merged = merge_keys(std::mem::take(entries))?;
            let repeated = duplicates(&merged);
            if !repeated.is_empty() {
                // As a Python dict built from the entries: a repeated key keeps its first place and takes
                // its last value; the earlier values are dropped whole (a group's earlier block is not read).
                merged = dedup_keep_first_place(merged);
                self.duplicate_keys.extend(repeated);
            }
            *entries = merged;
        }
        self.add(open.node, open.anchor)
    }

    fn alias(&mut self, id: usize, offset: usize) -> Result<(), String> {
        let target = self
            .anchors
            .get(id)
            .and_then(Option::as_ref)
            .ok_or("an alias to an anchor that is not defined before it")?;
        self.alias_nodes += target.size();
        if self.alias_nodes > ALIAS_NODE_BUDGET {
            return Err(format!(
                "aliases expand to more than {ALIAS_NODE_BUDGET} nodes: refused, as a file that multiplies itself"
            ));
        }
        let mut node = Node::clone(target);
        // Places point at the alias, where the value is used.
        node.offset = offset;
        self.add(node, 0)
    }

    fn add(&mut self, node: Node, anchor: usize) -> Result<(), String> {
        if anchor != 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some(Arc::new(node.clone()));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match &mut parent.node.kind {
            Kind::Seq(items) => items.push(node),
            Kind::Map(entries) => match parent.key.take() {
                None => parent.key = Some(node),
                Some(key) => entries.push((key, node)),
            },
            Kind::Scalar(_) => return Err("a value inside a scalar".into()),
        }
        Ok(())
    }
}

/// PyYAML's merge keys: `<<: *a` or `<<: [*a, *b]` puts the entries of those mappings first (the earlier
/// mapping in the list winning over a later one), then the mapping's own entries, which win over both.
fn merge_keys(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, String> {
    let is_merge = |k: &Node| matches!(&k.kind, Kind::Scalar(s) if s.plain && s.text == "<<");
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return Ok(entries);
    }
    let mut merged = Vec::new();
    let mut own = Vec::new();
    for (key, value) in entries {
        if !is_merge(&key) {
            own.push((key, value));
            continue;
        }
        let sources = match value.kind {
            Kind::Map(entries) => vec![entries],
            Kind::Seq(items) => {
                let mut maps = Vec::new();
                for item in items {
                    match item.kind {
                        Kind::Map(entries) => maps.push(entries),
                        _ => return Err(MERGE_NEEDS_MAPS.into()),
                    }
                }
                maps.reverse();
                maps
            }
            Kind::Scalar(_) => return Err(MERGE_NEEDS_MAPS.into()),
        };
        merged.extend(sources.into_iter().flatten());
    }
    // The entries merged in come first; a key merged twice keeps its first place and the later value, as a
    // Python dict built from them does. Own keys then override.
    merged.extend(own);
    Ok(dedup_keep_first_place(merged))
}

const MERGE_NEEDS_MAPS: &str = "a merge key (`<<`) takes a mapping or a list of mappings";

/// Repeated keys resolve as a dict would: first place, last value.
fn dedup_keep_first_place(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let mut places: std::collections::HashMap<String, usize> = Default::default();
    let mut out: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let text = key.as_text().map(str::to_string);
        match text.and_then(|t| places.get(&t).copied().map(|i| (t, i))) {
            Some((_, i)) => out[i].1 = value,
            None => {
                if let Some(t) = key.as_text() {
                    places.insert(t.to_string(), out.len());
                }
                out.push((key, value));
            }
        }
    }
    out
}

/// Keys written more than once in one mapping, at their later places.
fn duplicates(entries: &[(Node, Node)]) -> Vec<(usize, String)> {
    if entries.len() < 2 {
        return Vec::new();
    }
    // Most mappings here are a host's few variables: comparing pairs beats building a set for each.
    if entries.len() <= 8 {
        return entries
            .iter()
            .enumerate()
            .filter_map(|(i, (k, _))| {
                let text = k.as_text()?;
                let repeated = entries[..i].iter().any(|(e, _)| e.as_text() == Some(text));
                repeated.then(|| (k.offset, text.to_string()))
            })
            .collect();
    }
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    entries
        .iter()
        .filter_map(|(k, _)| {
            let text = k.as_text()?;
            (!seen.insert(text)).then(|| (k.offset, text.to_string()))
        })
        .collect()
}

fn byte_offset(text: &str, marker: &serde_saphyr::granit_parser::Marker) -> usize {
    marker.byte_offset().unwrap_or_else(|| {
        text.char_indices()
            .nth(marker.index())
            .map_or(text.len(), |(at, _)| at)
    })
}

fn scan_error(source: &Source, what: &'static str, err: &ScanError) -> LoadError {
    let offset = byte_offset(&source.text, err.marker());
    yaml_error(source, what, offset, err.info())
}

fn yaml_error(source: &Source, what: &'static str, offset: usize, message: String) -> LoadError {
    let named = NamedSource::new(source.path.display().to_string(), Arc::clone(&source.text));
    let offset = offset.min(source.text.len());
    let report = miette::miette!(
        labels = vec![LabeledSpan::at_offset(offset, "here")],
        "{message}"
    )
    .with_source_code(named);
    LoadError::Yaml {
        path: source.path.clone(),
        what,
        cause: vec![ParserDiagnostic(report)],
    }
}

#[cfg(test)]
mod tests;
