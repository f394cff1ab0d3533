//! One result row, read by column name.
//!
//! Two ways to read a value: [`Row::get`] for columns whose absence or NULL the caller means to treat as
//! "none", and the strict readers ([`Row::text`], [`Row::nullable`], [`Row::number`]) that fail with a
//! [`ValueError`] quoting what was there, for values that must be read: a number is never taken as 0 because
//! it did not parse, a NULL is never taken as empty text.

use std::fmt::Display;
use std::str::FromStr;
use std::sync::Arc;

/// A value a row did not hold in the form asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {detail}")]
pub struct ValueError {
    pub column: String,
    pub detail: String,
}

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

    /// The value of the first of `names` the row has, NULL as `None`; an error when it has none of them.
    pub fn nullable(&self, names: &[&str]) -> Result<Option<&str>, ValueError> {
        let found = names.iter().find_map(|name| {
            self.columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(name))
        });
        match found {
            Some(i) => Ok(self.values.get(i).and_then(|v| v.as_deref())),
            None => Err(ValueError {
                column: names.join("/"),
                detail: format!("not in the result (columns: {})", self.columns.join(", ")),
            }),
        }
    }

    /// Text that must be there: a missing column or a NULL is an error.
    pub fn text(&self, names: &[&str]) -> Result<&str, ValueError> {
        self.nullable(names)?.ok_or_else(|| ValueError {
            column: names.join("/"),
            detail: "NULL where a value is needed".into(),
        })
    }

    /// A number that must be there and must parse; the error quotes the text.
    pub fn number<T: FromStr>(&self, names: &[&str]) -> Result<T, ValueError>
    where
        T::Err: Display,
    {
        let text = self.text(names)?;
        parse(names, text)
    }

    /// A number, or NULL (`None`); anything else that does not parse is an error.
    pub fn nullable_number<T: FromStr>(&self, names: &[&str]) -> Result<Option<T>, ValueError>
    where
        T::Err: Display,
    {
        self.nullable(names)?
            .map(|text| parse(names, text))
            .transpose()
    }

    /// The value at a column position.
    pub fn at(&self, i: usize) -> Option<&str> {
        self.values.get(i)?.as_deref()
    }
}

fn parse<T: FromStr>(names: &[&str], text: &str) -> Result<T, ValueError>
where
    T::Err: Display,
{
    text.trim().parse().map_err(|e: T::Err| ValueError {
        column: names.join("/"),
        detail: format!("{text:?} is not a number of the kind expected ({e})"),
    })
}

/// Rows from tab-separated text with a header line (NULL is the bare word NULL): test data in the shape
/// status and facts readers receive.
#[cfg(test)]
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

#[cfg(test)]
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

    #[test]
    fn strict_readers_never_default() {
        let rows = parse_batch("n\tbig\tnothing\tword\n7\t99999999999\tNULL\tseven\n");
        let row = &rows[0];
        assert_eq!(row.number::<u64>(&["n"]), Ok(7));
        assert!(row.number::<u32>(&["big"]).is_err(), "overflow is not 0");
        let err = row
            .number::<u64>(&["word"])
            .expect_err("text is not a number");
        assert!(err.detail.contains("\"seven\""), "{err}");
        assert!(row.text(&["nothing"]).is_err(), "NULL is not empty text");
        assert_eq!(row.nullable_number::<u64>(&["nothing"]), Ok(None));
        assert!(
            row.nullable(&["absent"]).is_err(),
            "a missing column is not NULL"
        );
    }
}
