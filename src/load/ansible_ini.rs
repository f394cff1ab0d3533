//! Ansible's INI inventory format, by the rules of Ansible's own INI plugin:
//! - lines starting with `#` or `;` are comments; a section header may carry a trailing `# comment`;
//! - `[group]` host lines are split like a shell line (`shlex`, comments on): the first word is a host
//!   pattern (ranges `db[01:03]`, `[a:c]`, `[1:9:2]`; `host:port`), the others `key=value`;
//! - `[group:vars]` lines are `key = value`, split at the first `=`;
//! - `[group:children]` lines name groups, which may be defined further down; a `:vars` or `:children`
//!   section naming a group never defined anywhere is refused;
//! - every value is what Python's `literal_eval` makes of it, or the text itself (`pyliteral`).

use indexmap::IndexMap;

use super::inventory::InventoryData;
use super::pattern::expand_host_pattern;
use super::problem::Problem;
use super::pyliteral;
use crate::model::{FileId, Source, Sourced, Span};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Hosts,
    Vars,
    Children,
}

/// A group named in a `:vars` or `:children` section before (or without) being defined.
struct Pending {
    at: Span,
    state: State,
    parents: Vec<(String, Span)>,
}

pub fn parse(source: &Source, file: FileId) -> InventoryData {
    let mut reader = Reader {
        data: InventoryData::new(),
        group: "ungrouped".to_string(),
        state: State::Hosts,
        pending: IndexMap::new(),
    };
    let mut offset = 0;
    for raw in source.text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let at = |start: usize, len: usize| Span {
            file,
            offset: line_start + lead + start,
            len: len.max(1),
        };
        reader.line(trimmed, &at);
    }
    reader.finish()
}

/// The file read so far: the data, and the section the next line belongs to.
struct Reader {
    data: InventoryData,
    group: String,
    state: State,
    pending: IndexMap<String, Pending>,
}

impl Reader {
    /// One line that is neither blank nor a comment: a section header, or a line of the current section.
    fn line(&mut self, trimmed: &str, at: &dyn Fn(usize, usize) -> Span) {
        let whole = at(0, trimmed.len());
        if let Some((name, kind)) = section(trimmed) {
            self.section(name, kind, whole);
            return;
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            self.data.problems.push(
                Problem::at(whole, format!("invalid section `{trimmed}`"), "here").help(
                    "a section header has no spaces: [group], [group:vars] or [group:children]",
                ),
            );
            return;
        }
        match self.state {
            State::Hosts => host_line(&mut self.data, &self.group, trimmed, at),
            State::Vars => self.var_line(trimmed, at),
            State::Children => self.child_line(trimmed, whole),
        }
    }

    /// `[name]`, `[name:vars]` or `[name:children]`: the lines that follow belong to it.
    fn section(&mut self, name: &str, kind: Option<&str>, whole: Span) {
        self.state = match kind {
            None | Some("hosts") => State::Hosts,
            Some("vars") => State::Vars,
            Some("children") => State::Children,
            Some(other) => {
                self.data.problems.push(
                    Problem::at(
                        whole,
                        format!("section [{name}:{other}] has an unknown type `{other}`"),
                        "here",
                    )
                    .help("a section is [group], [group:vars] or [group:children]"),
                );
                State::Hosts
            }
        };
        self.group = name.to_string();
        if !self.data.groups.contains_key(&self.group) {
            if self.state == State::Vars {
                self.pending.entry(self.group.clone()).or_insert(Pending {
                    at: whole,
                    state: self.state,
                    parents: Vec::new(),
                });
            }
            self.data.group(&self.group);
        }
        if self.state != State::Vars {
            define(&mut self.data, &mut self.pending, &self.group);
        }
    }

    /// `key=value` in a `[group:vars]` section.
    fn var_line(&mut self, trimmed: &str, at: &dyn Fn(usize, usize) -> Span) {
        match trimmed.split_once('=') {
            Some((k, v)) => {
                let after = v.len() - v.trim_start().len();
                let (k, v) = (k.trim(), v.trim());
                let start =
                    trimmed.len() - trimmed.split_once('=').map_or(0, |(_, r)| r.len()) + after;
                let value = Sourced::new(pyliteral::value(v), at(start, v.len()));
                self.data.group(&self.group).set_var(k.to_string(), value);
            }
            None => self.data.problems.push(Problem::at(
                at(0, trimmed.len()),
                format!("expected key=value, got `{trimmed}`"),
                "here",
            )),
        }
    }

    /// A group's name in a `[group:children]` section; one not defined yet waits in `pending`.
    fn child_line(&mut self, trimmed: &str, whole: Span) {
        match group_name(trimmed) {
            Some(child) if self.data.groups.contains_key(child) => {
                self.data.add_child(&self.group, child, whole);
            }
            Some(child) => {
                self.pending
                    .entry(child.to_string())
                    .or_insert(Pending {
                        at: whole,
                        state: State::Children,
                        parents: Vec::new(),
                    })
                    .parents
                    .push((self.group.clone(), whole));
            }
            None => self.data.problems.push(Problem::at(
                whole,
                format!("expected a group name, got `{trimmed}`"),
                "here",
            )),
        }
    }

    /// The data, with a problem for every group a section named and no section defined.
    fn finish(mut self) -> InventoryData {
        for (name, p) in self.pending {
            let (message, help) = match p.state {
                State::Vars => (
                    format!("section [{name}:vars] is for a group that is never defined"),
                    format!("define [{name}] (or list it under a [parent:children] section)"),
                ),
                _ => (
                    format!(
                        "section [{}:children] names `{name}`, a group that is never defined",
                        p.parents.last().map(|(g, _)| g.as_str()).unwrap_or("?")
                    ),
                    format!("define [{name}] or remove it from the children"),
                ),
            };
            self.data
                .problems
                .push(Problem::at(p.at, message, "here").help(help));
        }
        self.data
    }
}

/// A group is defined (as hosts or children) here: the sections that named it as a child take it now.
fn define(data: &mut InventoryData, pending: &mut IndexMap<String, Pending>, group: &str) {
    let Some(p) = pending.shift_remove(group) else {
        return;
    };
    if p.state == State::Children {
        for (parent, at) in p.parents {
            data.add_child(&parent, group, at);
            if pending
                .get(&parent)
                .is_some_and(|pp| pp.state == State::Children)
            {
                define(data, pending, &parent);
            }
        }
    }
}

/// `[name]` or `[name:kind]`, with an optional trailing comment, as Ansible's section pattern.
fn section(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let after = rest[close + 1..].trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let inside = &rest[..close];
    let (name, kind) = match inside.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (inside, None),
    };
    let name_ok = !name.is_empty() && !name.contains(char::is_whitespace);
    let kind_ok =
        kind.is_none_or(|k| !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_'));
    (name_ok && kind_ok).then_some((name, kind))
}

/// A `:children` line: one group name, then an optional comment.
fn group_name(line: &str) -> Option<&str> {
    let word = line.split(|c: char| c.is_whitespace() || c == '#').next()?;
    let rest = line[word.len()..].trim_start();
    (!word.is_empty() && !word.contains([':', ']']) && (rest.is_empty() || rest.starts_with('#')))
        .then_some(word)
}

fn host_line(data: &mut InventoryData, group: &str, line: &str, at: &dyn Fn(usize, usize) -> Span) {
    let words = match super::shlex::split(line) {
        Ok(words) => words,
        Err(why) => {
            data.problems.push(Problem::at(
                at(0, line.len()),
                format!("cannot read the host line: {why}"),
                "here",
            ));
            return;
        }
    };
    let Some((pattern, pattern_at)) = words.first() else {
        return;
    };
    let pattern_span = at(*pattern_at, pattern.len());
    if pattern.trim() == "---" {
        data.problems.push(
            Problem::at(
                pattern_span,
                "`---` is not a host: this looks like a YAML file",
                "here",
            )
            .help("name the file .yml, or write it as an INI inventory"),
        );
        return;
    }
    if let Some(problem) = super::names::name_problem(pattern) {
        data.problems
            .push(super::host_name_refused(pattern, &problem, pattern_span));
        return;
    }
    let (hosts, port) = match expand_host_pattern(pattern) {
        Ok(expanded) => expanded,
        Err(why) => {
            data.problems.push(Problem::at(
                pattern_span,
                format!("invalid host pattern {why}"),
                "here",
            ));
            return;
        }
    };
    let mut vars = Vec::new();
    for (word, start) in &words[1..] {
        match word.split_once('=') {
            Some((k, v)) => {
                let span = at(start + k.len() + 1, v.len());
                vars.push((k.to_string(), Sourced::new(pyliteral::value(v), span)));
            }
            None => data.problems.push(Problem::at(
                at(*start, word.len()),
                format!("expected key=value after the host, got `{word}`"),
                "here",
            )),
        }
    }
    data.add_hosts(group, hosts, port, vars.into_iter().collect(), pattern_span);
}

#[cfg(test)]
mod tests {
    use super::{group_name, section};

    #[test]
    fn sections_and_children_lines_take_a_trailing_comment() {
        assert_eq!(section("[db]  # pair"), Some(("db", None)));
        assert_eq!(section("[db:vars]"), Some(("db", Some("vars"))));
        assert_eq!(section("[db x]"), None);
        assert_eq!(section("[db] extra"), None);
        assert_eq!(group_name("web  # the front"), Some("web"));
        assert_eq!(group_name("web extra"), None);
    }
}
