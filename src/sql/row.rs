//! One result row, read by column name.

use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    columns: Arc<Vec<String>>,
    values: Vec<Option<String>>,
}

impl Row {
    pub fn new(columns: Arc<Vec<String>>, values: Vec<Option<String>>) -> Self {
        Self { columns, values }
    }

    /// The value of the first of `names` the row has (NULL as `None`).
    pub fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|name| {
            let i = self
                .columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(name))?;
            self.values.get(i)?.as_deref()
        })
    }

    /// The value at a column position.
    pub fn at(&self, i: usize) -> Option<&str> {
        self.values.get(i)?.as_deref()
    }
}

/// Parse the client's `--batch` output: a header line, then rows; NULL is the bare word NULL.
pub fn parse_batch(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let columns = Arc::new(header.split('\t').map(unescape).collect::<Vec<_>>());
    lines
        .map(|line| Row {
            columns: Arc::clone(&columns),
            values: line
                .split('\t')
                .map(|v| (v != "NULL").then(|| unescape(v)))
                .collect(),
        })
        .collect()
}

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_by_either_column_spelling() {
        let rows = parse_batch("Source_Host\tLast_Error\tNote\n10.0.0.1\tline\\none\\ttab\tNULL\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].get(&["Master_Host", "Source_Host"]),
            Some("10.0.0.1")
        );
        assert_eq!(rows[0].get(&["Last_Error"]), Some("line\none\ttab"));
        assert_eq!(rows[0].get(&["Note"]), None);
        assert_eq!(parse_batch(""), Vec::new());
    }
}
