//! The values of an INI inventory as Ansible reads them: Python's `ast.literal_eval` on the text, and the
//! text itself when that fails. Ansible's INI plugin does exactly this for every variable, so `port=2222`
//! is a number, `x="1"` (shlex has already removed the quotes) is the number 1, `name=db1` stays text, and in
//! a `[group:vars]` section `2222  # note` is 2222 (the comment is Python's) while `abc  # note` is the
//! whole text. Pure.
//!
//! Covered: integers (decimal, `0x`, `0o`, `0b`, `_` separators, unary `+`/`-`), floats, strings
//! (single, double and triple quotes, escapes, `r`/`b`/`u` prefixes, adjacent literals joined), `True`,
//! `False`, `None`, lists, tuples and sets (as lists), dicts, and `#` comments. Complex numbers and
//! `...` are kept as text, as Ansible keeps them.

use serde_json::{Map, Number, Value};

/// The value `text` stands for, as Ansible's INI plugin reads it.
pub fn value(text: &str) -> Value {
    if plain_text(text) {
        return Value::String(text.to_string());
    }
    if let Some(value) = digits_and_dots(text) {
        return value;
    }
    literal_eval(text).unwrap_or_else(|| Value::String(text.to_string()))
}

/// Text no Python literal can be: it starts with a letter or `_`, holds no quote, bracket or `#`, and is not
/// a keyword or a string prefix followed by a quote. Most inventory values are such (`db1`, `deploy`,
/// `10.0.0.1` is not: it starts with a digit); they skip the parser.
fn plain_text(text: &str) -> bool {
    let starts_as_word = text
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_');
    starts_as_word
        && !matches!(text, "True" | "False" | "None")
        && !text.contains(['\'', '"', '[', '(', '{', '#'])
}

/// A whole decimal number (`2222`) or an address of dotted digits (`10.0.0.1`, which no literal can be),
/// read without the parser: with words, most inventory values. `None` for anything else (`012`, `1.5`,
/// `-1`, a number too big for 64 bits), which the parser reads.
fn digits_and_dots(text: &str) -> Option<Value> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    match text.bytes().filter(|b| *b == b'.').count() {
        0 if text == "0" || !text.starts_with('0') => text.parse::<u64>().ok().map(Value::from),
        0 | 1 => None,
        _ => Some(Value::String(text.to_string())),
    }
}

/// `ast.literal_eval`: `None` where Python raises.
pub fn literal_eval(text: &str) -> Option<Value> {
    let mut p = Parser {
        chars: text.chars().collect(),
        at: 0,
    };
    p.skip_blank();
    let v = p.expression()?;
    p.skip_blank();
    (p.at == p.chars.len()).then_some(v)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// White space and a `#` comment to the end of the line.
    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
            } else if c.is_whitespace() {
                self.at += 1;
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_blank();
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expression(&mut self) -> Option<Value> {
        self.skip_blank();
        match self.peek()? {
            '[' => {
                self.at += 1;
                self.sequence(']').map(Value::Array)
            }
            '(' => {
                self.at += 1;
                self.tuple_or_group()
            }
            '{' => {
                self.at += 1;
                self.dict_or_set()
            }
            '-' | '+' => {
                let negative = self.peek() == Some('-');
                self.at += 1;
                let n = self.expression()?;
                negate(n, negative)
            }
            c if c.is_ascii_digit() || c == '.' => self.number(),
            _ => self.word_or_string(),
        }
    }

    /// Items up to `close`, separated by commas (a trailing comma allowed).
    fn sequence(&mut self, close: char) -> Option<Vec<Value>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.expression()?);
            if !self.eat(',') {
                return self.eat(close).then_some(items);
            }
        }
    }

    fn tuple_or_group(&mut self) -> Option<Value> {
        if self.eat(')') {
            return Some(Value::Array(Vec::new()));
        }
        let first = self.expression()?;
        if self.eat(')') {
            return Some(first);
        }
        if !self.eat(',') {
            return None;
        }
        let mut rest = self.sequence(')')?;
        rest.insert(0, first);
        Some(Value::Array(rest))
    }

    fn dict_or_set(&mut self) -> Option<Value> {
        if self.eat('}') {
            return Some(Value::Object(Map::new()));
        }
        let first = self.expression()?;
        if self.eat(':') {
            let mut map = Map::new();
            let value = self.expression()?;
            map.insert(key_text(&first)?, value);
            while self.eat(',') {
                if self.eat('}') {
                    return Some(Value::Object(map));
                }
                let k = self.expression()?;
                if !self.eat(':') {
                    return None;
                }
                let v = self.expression()?;
                map.insert(key_text(&k)?, v);
            }
            return self.eat('}').then_some(Value::Object(map));
        }
        let mut items = vec![first];
        if self.eat(',') {
            items.extend(self.sequence('}')?);
            return Some(Value::Array(items));
        }
        self.eat('}').then_some(Value::Array(items))
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
            || (self.peek().is_some_and(|c| c == '+' || c == '-')
                && matches!(self.chars.get(self.at - 1), Some('e' | 'E'))
                && !self.chars[start..self.at]
                    .iter()
                    .any(|c| matches!(c, 'x' | 'X')))
        {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().collect();
        parse_number(&text)
    }

    fn word_or_string(&mut self) -> Option<Value> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.at += 1;
        }
        let word: String = self.chars[start..self.at].iter().collect();
        match (word.as_str(), self.peek()) {
            ("True", _) => Some(Value::Bool(true)),
            ("False", _) => Some(Value::Bool(false)),
            ("None", _) => Some(Value::Null),
            (prefix, Some('\'' | '"')) if is_string_prefix(prefix) => {
                let raw = prefix.to_ascii_lowercase().contains('r');
                self.strings(raw)
            }
            _ => None,
        }
    }

    /// One string literal, and any literals written right after it (Python joins them).
    fn strings(&mut self, raw: bool) -> Option<Value> {
        let mut out = self.string(raw)?;
        loop {
            let save = self.at;
            self.skip_blank();
            let start = self.at;
            while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                self.at += 1;
            }
            let prefix: String = self.chars[start..self.at].iter().collect();
            if matches!(self.peek(), Some('\'' | '"')) && is_string_prefix(&prefix) {
                out.push_str(&self.string(prefix.to_ascii_lowercase().contains('r'))?);
            } else {
                self.at = save;
                return Some(Value::String(out));
            }
        }
    }

    fn string(&mut self, raw: bool) -> Option<String> {
        let quote = self.peek()?;
        let triple = self.chars.get(self.at..self.at + 3) == Some(&[quote, quote, quote][..]);
        self.at += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            if c == quote {
                if !triple {
                    self.at += 1;
                    return Some(out);
                }
                if self.chars.get(self.at..self.at + 3) == Some(&[quote, quote, quote][..]) {
                    self.at += 3;
                    return Some(out);
                }
            }
            if c == '\n' && !triple {
                return None;
            }
            self.at += 1;
            if c != '\\' {
                out.push(c);
                continue;
            }
            let next = self.peek()?;
            self.at += 1;
            if raw {
                out.push('\\');
                out.push(next);
                continue;
            }
            match next {
                '\n' => {}
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'v' => out.push('\x0b'),
                '\\' | '\'' | '"' => out.push(next),
                'x' => out.push(self.hex_escape(2)?),
                'u' => out.push(self.hex_escape(4)?),
                'U' => out.push(self.hex_escape(8)?),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }

    fn hex_escape(&mut self, digits: usize) -> Option<char> {
        let text: String = self.chars.get(self.at..self.at + digits)?.iter().collect();
        self.at += digits;
        char::from_u32(u32::from_str_radix(&text, 16).ok()?)
    }
}

fn is_string_prefix(prefix: &str) -> bool {
    matches!(
        prefix.to_ascii_lowercase().as_str(),
        "" | "r" | "u" | "b" | "br" | "rb"
    )
}

/// A dict key as JSON has them: text, or a number or constant written as text (as Ansible's JSON output
/// writes them).
fn key_text(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        Value::Null => Some("None".into()),
        _ => None,
    }
}

fn negate(v: Value, negative: bool) -> Option<Value> {
    let Value::Number(n) = v else { return None };
    if !negative {
        return Some(Value::Number(n));
    }
    if let Some(i) = n.as_i64() {
        return Some(Value::Number(Number::from(i.checked_neg()?)));
    }
    if let Some(u) = n.as_u64() {
        return i64::try_from(u)
            .ok()
            .and_then(i64::checked_neg)
            .map(|i| Value::Number(Number::from(i)));
    }
    Number::from_f64(-n.as_f64()?).map(Value::Number)
}

fn parse_number(text: &str) -> Option<Value> {
    if text.ends_with(['j', 'J']) {
        return None;
    }
    if text.starts_with('_') || text.ends_with('_') || text.contains("__") {
        return None;
    }
    let clean = text.replace('_', "");
    let lower = clean.to_ascii_lowercase();
    let radix = |digits: &str, radix: u32| {
        u64::from_str_radix(digits, radix)
            .ok()
            .map(|n| Value::Number(Number::from(n)))
    };
    if let Some(h) = lower.strip_prefix("0x") {
        return radix(h, 16);
    }
    if let Some(o) = lower.strip_prefix("0o") {
        return radix(o, 8);
    }
    if let Some(b) = lower.strip_prefix("0b") {
        return radix(b, 2);
    }
    let is_float = lower.contains(['.', 'e']) || lower.contains("inf") || lower.contains("nan");
    if !is_float {
        // Python refuses leading zeros on a non-zero decimal (`010`).
        if clean.len() > 1 && clean.starts_with('0') && clean.chars().any(|c| c != '0') {
            return None;
        }
        if !clean.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        return match clean.parse::<u64>() {
            Ok(n) => Some(Value::Number(Number::from(n))),
            // Beyond 64 bits: kept exact as text would lose nothing, but JSON numbers cannot hold it.
            Err(_) => None,
        };
    }
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    lower
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{literal_eval, value};
    use serde_json::Value;

    #[test]
    fn numbers_booleans_and_none_are_what_python_reads() {
        assert_eq!(value("2222"), json!(2222));
        assert_eq!(value("-5"), json!(-5));
        assert_eq!(value("1_000"), json!(1000));
        assert_eq!(value("0x1F"), json!(31));
        assert_eq!(value("1.5"), json!(1.5));
        assert_eq!(value("True"), json!(true));
        assert_eq!(value("None"), json!(null));
        assert_eq!(value("true"), json!("true"), "only Python's spelling");
        assert_eq!(value("yes"), json!("yes"));
        assert_eq!(
            value("010"),
            json!("010"),
            "Python refuses the leading zero"
        );
        assert_eq!(value("1j"), json!("1j"), "complex numbers stay text");
        assert_eq!(value("..."), json!("..."));
    }

    #[test]
    fn comments_are_python_comments() {
        assert_eq!(value("2222  # custom"), json!(2222));
        assert_eq!(
            value("abc  # custom"),
            json!("abc  # custom"),
            "not a literal: the text whole"
        );
        assert_eq!(value("'x # y'"), json!("x # y"));
    }

    #[test]
    fn strings_collections_and_nesting() {
        assert_eq!(value("'it''s'"), json!("its"), "adjacent literals join");
        assert_eq!(value(r#""a\tb\x41""#), json!("a\tbA"));
        assert_eq!(value(r"r'\d+'"), json!(r"\d+"));
        assert_eq!(value("[1, 'two', [3]]"), json!([1, "two", [3]]));
        assert_eq!(value("(1,)"), json!([1]));
        assert_eq!(value("(1)"), json!(1));
        assert_eq!(
            value("{'a': 1, 'b': [True, None]}"),
            json!({"a": 1, "b": [true, null]})
        );
        assert_eq!(value("{1, 2}"), json!([1, 2]));
        assert_eq!(value("[1, 2"), json!("[1, 2"));
        assert_eq!(value("db1.example.com"), json!("db1.example.com"));
        assert_eq!(value("deploy"), json!("deploy"));
        assert_eq!(value("r'x'"), json!("x"), "a prefixed string is still read");
        assert_eq!(
            value("-o ConnectTimeout=\"7\""),
            json!("-o ConnectTimeout=\"7\"")
        );
    }

    #[test]
    fn numbers_and_addresses_read_without_the_parser_read_as_the_parser_reads_them() {
        for text in [
            "2222",
            "0",
            "10.0.0.1",
            "1.2.3",
            "012",
            "1.5",
            "00",
            "99999999999999999999999",
        ] {
            let parsed = literal_eval(text).unwrap_or_else(|| Value::String(text.to_string()));
            assert_eq!(value(text), parsed, "{text}");
        }
    }
}
