//! Splitting an INI inventory host line into words as Ansible does: Python's `shlex.split(line,
//! comments=True)` in POSIX mode. Pure.
//!
//! - Words are separated by white space; `'...'` keeps everything literally, `"..."` keeps everything but
//!   a backslash before `"` or `\`, and outside quotes a backslash keeps the next
//!   character, so `o\'brien` is `o'brien` and `"-o Opt=\"7\""` is `-o Opt="7"`.
//! - `#` outside quotes ends the line, even inside a word: `b=x#y` is `b=x`.

/// The words of `line`, each with the byte offset where it starts; `Err` for an unclosed quote or a
/// trailing backslash (as shlex raises).
pub fn split(line: &str) -> Result<Vec<(String, usize)>, &'static str> {
    split_with(line, true)
}

/// The words of `line` as `shlex.split(line)` gives them (no comments: `#` is an ordinary character), as
/// Ansible splits `ansible_ssh_common_args`.
pub fn words(line: &str) -> Result<Vec<String>, &'static str> {
    Ok(split_with(line, false)?
        .into_iter()
        .map(|(w, _)| w)
        .collect())
}

fn split_with(line: &str, comments: bool) -> Result<Vec<(String, usize)>, &'static str> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut start = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' if comments => break,
            c if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push((std::mem::take(&mut word), s));
                }
            }
            '\'' => {
                start.get_or_insert(i);
                loop {
                    match chars.next() {
                        Some((_, '\'')) => break,
                        Some((_, ch)) => word.push(ch),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            '"' => {
                start.get_or_insert(i);
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, ch @ ('"' | '\\'))) => word.push(ch),
                            Some((_, ch)) => {
                                word.push('\\');
                                word.push(ch);
                            }
                            None => return Err("No closing quotation"),
                        },
                        Some((_, ch)) => word.push(ch),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            '\\' => {
                start.get_or_insert(i);
                match chars.next() {
                    Some((_, ch)) => word.push(ch),
                    None => return Err("No escaped character"),
                }
            }
            c => {
                start.get_or_insert(i);
                word.push(c);
            }
        }
    }
    if let Some(s) = start {
        words.push((word, s));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::split;

    fn words(line: &str) -> Vec<String> {
        split(line)
            .expect("splits")
            .into_iter()
            .map(|(w, _)| w)
            .collect()
    }

    #[test]
    fn quotes_escapes_and_comments_as_python_shlex() {
        assert_eq!(words(r"h1 a=o\'brien"), ["h1", "a=o'brien"]);
        assert_eq!(
            words(r#"h1 args="-o ConnectTimeout=\"7\"""#),
            ["h1", r#"args=-o ConnectTimeout="7""#]
        );
        assert_eq!(words("h1 a='x y' b=2"), ["h1", "a=x y", "b=2"]);
        assert_eq!(
            words("h1 server_id=2  # was server_id=9"),
            ["h1", "server_id=2"]
        );
        assert_eq!(words("h1 b=x#y c=1"), ["h1", "b=x"]);
        assert_eq!(words(r#"h1 a="x\ny""#), ["h1", r"a=x\ny"]);
        assert_eq!(words("h1 a=''"), ["h1", "a="]);
        assert!(split("h1 a='open").is_err());
        let offsets: Vec<usize> = split("h1  a=1 'b c'=2")
            .expect("splits")
            .into_iter()
            .map(|(_, at)| at)
            .collect();
        assert_eq!(offsets, [0, 4, 8]);
    }
}
