//! JSON as `ansible-inventory` prints it: Python's `json.dumps(value, sort_keys=True, indent=4)`, so that
//! `mmprov inventory --list` and `ansible-inventory --list` can be compared byte for byte.
//!
//! What differs from `serde_json`'s pretty printer, and is done here: four spaces of indent; keys sorted
//! (by code point, as Python sorts `str`); every character outside printable ASCII escaped as `\uXXXX`
//! (lowercase hex, a surrogate pair above U+FFFF: Python's `ensure_ascii`); floats as Python's `repr`
//! writes them (`100.0`, `1e+16`, `1e-05`). Empty lists and mappings stay on one line (`[]`, `{}`).

use std::fmt::Write;

use serde_json::Value;

/// `value` as Python's `json.dumps(value, sort_keys=True, indent=4)` writes it (no final newline).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, 0, &mut out);
    out
}

fn write_value(value: &Value, depth: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => out.push_str(&float_repr(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(i, depth + 1, out);
                write_value(item, depth + 1, out);
            }
            newline(depth, out);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                separator(i, depth + 1, out);
                write_string(key, out);
                out.push_str(": ");
                write_value(item, depth + 1, out);
            }
            newline(depth, out);
            out.push('}');
        }
    }
}

/// Before the item at `index`: a comma after the one before it, then a new line indented to `depth`.
fn separator(index: usize, depth: usize, out: &mut String) {
    if index > 0 {
        out.push(',');
    }
    newline(depth, out);
}

fn newline(depth: usize, out: &mut String) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', 4 * depth));
}

/// A string with Python's `ensure_ascii` escapes.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// A float as Python's `repr`: the shortest digits that read back the same, in positional notation
/// for exponents from -4 to 15 (always with a fraction: `100.0`), in scientific notation otherwise
/// (`1e+16`, `2.5e-05`: a signed exponent of at least two digits).
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `-2.5e-3`, `1e16`, `0e0`.
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exponent) {
        format!("{sign}{}", positional(&digits, exponent))
    } else {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    }
}

/// `digits` (d.ddd) times ten to `exponent`, written out, with at least one digit after the point.
fn positional(digits: &str, exponent: i32) -> String {
    if exponent < 0 {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        return format!("0.{zeros}{digits}");
    }
    let point = exponent as usize + 1;
    if digits.len() > point {
        format!("{}.{}", &digits[..point], &digits[point..])
    } else {
        format!("{digits}{}.0", "0".repeat(point - digits.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::{float_repr, to_string};
    use serde_json::json;

    #[test]
    fn floats_are_written_as_pythons_repr_writes_them() {
        for (f, want) in [
            (100.0, "100.0"),
            (1000.0, "1000.0"),
            (-0.0025, "-0.0025"),
            (1.5, "1.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789012345.6, "123456789012345.6"),
            (1e22, "1e+22"),
            (90.5, "90.5"),
        ] {
            assert_eq!(float_repr(f), want, "{f:?}");
        }
    }

    #[test]
    fn output_is_pythons_json_dumps_with_sorted_keys_and_an_indent_of_four() {
        let value = json!({"b": [1, 2.0, "x"], "a": {}, "c": [], "d": {"z": null, "y": true}});
        assert_eq!(
            to_string(&value),
            "{\n    \"a\": {},\n    \"b\": [\n        1,\n        2.0,\n        \"x\"\n    ],\n    \"c\": [],\n    \
             \"d\": {\n        \"y\": true,\n        \"z\": null\n    }\n}"
        );
    }

    #[test]
    fn text_outside_printable_ascii_is_escaped_as_python_escapes_it() {
        assert_eq!(
            to_string(&json!("é\u{7f}\u{1}\"\\\n😀")),
            "\"\\u00e9\\u007f\\u0001\\\"\\\\\\n\\ud83d\\ude00\""
        );
    }
}
