//! The guard that keeps input from changing a rendered option file's structure.
//!
//! An option file is read line by line: a line is a comment, a `[group]` header, an `!include`/`!includedir`
//! directive or an option. Input (host and play names, paths, option names and values) may only ever fill in
//! part of a line the template wrote. Two checks make that hold for every template:
//!
//! 1. [`check_context`]: no string the template can see holds a line break or other control character, so no
//!    value can end the template's line and start one of its own.
//! 2. [`mark`] (the registry's escape function) wraps every value the template prints between two control
//!    characters that step 1 keeps out of values; [`unmark`] removes them and, while doing so, refuses a line
//!    whose first non-blank text comes from a value that begins with `[` or `!`: a header or directive the
//!    template did not write.
//!
//! Triple-stash `{{{value}}}` bypasses the escape function, so step 2 does not see it; step 1 still does.

use serde::Serialize;
use serde_json::Value;

use crate::mycnf;

const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';

/// Every string in the context must be able to stand inside one line.
pub fn check_context(context: &impl Serialize) -> Result<(), String> {
    let value = serde_json::to_value(context).map_err(|e| format!("context: {e}"))?;
    check_value("", &value)
}

fn check_value(path: &str, value: &Value) -> Result<(), String> {
    match value {
        Value::String(s) => match mycnf::value_problem(s) {
            Some(problem) => Err(format!(
                "the value of `{path}` ({}) {problem}: it would write a line of its own into the file",
                quoted(s)
            )),
            None => Ok(()),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_value(&format!("{path}[{i}]"), v)),
        Value::Object(fields) => fields.iter().try_for_each(|(k, v)| {
            let inner = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            check_value(&inner, v)
        }),
        _ => Ok(()),
    }
}

/// A value shortened and escaped for a diagnostic.
fn quoted(s: &str) -> String {
    let mut shown: String = s
        .chars()
        .take(60)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if s.chars().count() > 60 {
        shown.push('…');
    }
    format!("\"{shown}\"")
}

/// The escape function: every printed value between markers, so [`unmark`] knows where values stand.
pub fn mark(value: &str) -> String {
    format!("{OPEN}{value}{CLOSE}")
}

/// The first line (1-based) of a template text that holds one of the markers, if any.
pub fn marker_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.contains([OPEN, CLOSE]))
        .map(|i| i + 1)
}

/// The rendered text without markers; an error when a value opens a line as a header or directive.
pub fn unmark(marked: &str) -> Result<String, String> {
    for (number, line) in marked.lines().enumerate() {
        if let Some(value) = leading_value(line)
            && value.starts_with(['[', '!'])
        {
            return Err(format!(
                "line {} of the rendered file would begin with the value {}: a value may not start a \
                 `[group]` header or an `!include` directive",
                number + 1,
                quoted(value)
            ));
        }
    }
    Ok(marked.replace([OPEN, CLOSE], ""))
}

/// The text of the value that a line's first non-blank character comes from, if it comes from a value.
fn leading_value(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    while let Some(inner) = rest.strip_prefix(OPEN) {
        let end = inner.find(CLOSE)?;
        let value = inner[..end].trim_start();
        if !value.is_empty() {
            return Some(value);
        }
        rest = inner[end + CLOSE.len_utf8()..].trim_start();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_with_a_line_break_is_named_with_its_path() {
        let context = serde_json::json!({
            "play": "p",
            "extra": [{"name": "a", "value": "1"}, {"name": "b", "value": "x\n[client]"}],
        });
        let err = check_context(&context).expect_err("a line break must be refused");
        assert!(err.contains("`extra[1].value`"), "{err}");
        assert!(err.contains("line break"), "{err}");
        assert!(err.contains(r#""x\n[client]""#), "{err}");
    }

    #[test]
    fn values_may_fill_in_lines_but_not_open_headers_or_directives() {
        let ok = format!("# play {}\nkey = {}\n", mark("[prod] pair"), mark("!x"));
        assert_eq!(unmark(&ok).as_deref(), Ok("# play [prod] pair\nkey = !x\n"));
        for opening in ["[client]", "!include /etc/x", " [mysqld]"] {
            let text = format!("{} = 1\n", mark(opening));
            assert!(unmark(&text).is_err(), "{opening:?} opened a line");
        }
        let behind_an_empty_value = format!("  {}{}\n", mark(""), mark("[x]"));
        assert!(unmark(&behind_an_empty_value).is_err());
    }

    #[test]
    fn templates_holding_the_markers_are_found() {
        assert_eq!(marker_line("a\nb\u{1}\n"), Some(2));
        assert_eq!(marker_line("a\n\tb\r\n"), None);
    }
}
