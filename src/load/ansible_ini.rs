//! Ansible's INI inventory format: `[group]` host lines with `key=value` vars, `[group:vars]` and
//! `[group:children]` sections, numeric host ranges such as `db[01:03]`. Comments start with `#` or `;`.

use super::inventory::{InventoryData, VarValue};
use crate::model::{FileId, Source, Sourced, Span};

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

pub fn parse(source: &Source, file: FileId) -> InventoryData {
    let mut data = InventoryData::default();
    let mut section = Section::Hosts("ungrouped".into());
    let mut offset = 0;
    for raw in source.text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let at = |start: usize, len: usize| Span {
            file,
            offset: line_start + lead + start,
            len: len.max(1),
        };
        if let Some(header) = trimmed.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            section = match header.split_once(':') {
                Some((g, "vars")) => Section::Vars(g.to_string()),
                Some((g, "children")) => Section::Children(g.to_string()),
                _ => Section::Hosts(header.to_string()),
            };
            let name = match &section {
                Section::Hosts(g) | Section::Vars(g) | Section::Children(g) => g.clone(),
            };
            data.group(&name);
            continue;
        }
        match &section {
            Section::Hosts(group) => {
                let words = split_words(trimmed);
                let Some((host_pattern, host_start)) = words.first().cloned() else {
                    continue;
                };
                for host in expand_range(&host_pattern) {
                    let declared = data.declare_host(&host, at(host_start, host_pattern.len()));
                    for (word, start) in &words[1..] {
                        if let Some((k, v)) = word.split_once('=') {
                            let value =
                                Sourced::new(host_line_value(v), at(start + k.len() + 1, v.len()));
                            declared.vars.insert(k.to_string(), value);
                        }
                    }
                    data.group(group).hosts.insert(host);
                }
            }
            Section::Vars(group) => {
                if let Some((k, v)) = trimmed.split_once('=') {
                    let v_trim = v.trim();
                    let start = trimmed.len() - v.trim_start().len();
                    let value =
                        Sourced::new(VarValue::Str(unquote(v_trim)), at(start, v_trim.len()));
                    data.group(group).vars.insert(k.trim().to_string(), value);
                }
            }
            Section::Children(group) => {
                data.group(group).children.insert(trimmed.to_string());
                data.group(trimmed);
            }
        }
    }
    data
}

/// Values on host lines are literals, as Ansible reads them: whole numbers are numbers, the rest text.
fn host_line_value(v: &str) -> VarValue {
    match v.parse::<i64>() {
        Ok(n) => VarValue::Int(n),
        Err(_) => VarValue::Str(unquote(v)),
    }
}

fn unquote(v: &str) -> String {
    let quoted = v.len() >= 2
        && ((v.starts_with('\'') && v.ends_with('\'')) || (v.starts_with('"') && v.ends_with('"')));
    if quoted {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Split on white space outside quotes, keeping each word's byte offset in the line.
fn split_words(line: &str) -> Vec<(String, usize)> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push((std::mem::take(&mut current), start));
                }
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        if current.is_empty() {
            start = i;
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push((current, start));
    }
    words
}

/// `db[01:03]` is db01, db02, db03 (zero padding kept); anything else is one host.
fn expand_range(pattern: &str) -> Vec<String> {
    let parsed = pattern.split_once('[').and_then(|(head, rest)| {
        let (range, tail) = rest.split_once(']')?;
        let (from, to) = range.split_once(':')?;
        let (a, b) = (from.parse::<u64>().ok()?, to.parse::<u64>().ok()?);
        Some((head, from.len(), a, b, tail))
    });
    match parsed {
        Some((head, width, a, b, tail)) if a <= b => (a..=b)
            .map(|n| format!("{head}{n:0width$}{tail}"))
            .collect(),
        _ => vec![pattern.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_with_padding() {
        assert_eq!(
            expand_range("db[01:03].lan"),
            ["db01.lan", "db02.lan", "db03.lan"]
        );
        assert_eq!(expand_range("plain"), ["plain"]);
    }

    #[test]
    fn words_keep_quoted_spaces_and_offsets() {
        let words = split_words("h1 a=1  b='x y' c=\"z\"");
        assert_eq!(
            words,
            vec![
                ("h1".into(), 0),
                ("a=1".into(), 3),
                ("b='x y'".into(), 8),
                ("c=\"z\"".into(), 16)
            ]
        );
    }
}
