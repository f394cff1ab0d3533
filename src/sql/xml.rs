//! Reading the host client's `--xml` output: one `<resultset>` per statement that returns rows (an empty one
//! for an empty result), each `<row>` holding `<field name="…">` elements; a NULL is `xsi:nil="true"`.
//!
//! The client writes one XML document per result set, each with its own declaration, one after another; the
//! reader takes them as one stream of events. Field text is taken raw and unescaped once, so every character
//! of a value (a carriage return, a tab, `<`, `&`) comes back as the server sent it.

use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::sqltext::Row;

/// Every result set in the output, in order; an error names what could not be read.
pub fn result_sets(xml: &str) -> Result<Vec<Vec<Row>>, String> {
    let mut reader = Reader::from_str(xml);
    let mut sets = Vec::new();
    let mut set: Option<ResultSet> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the client's XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) if e.name().as_ref() == b"resultset" => {
                set = Some(ResultSet::default())
            }
            Event::Empty(e) if e.name().as_ref() == b"resultset" => sets.push(Vec::new()),
            Event::End(e) if e.name().as_ref() == b"resultset" => {
                let done = set.take().ok_or("a result set closed that never opened")?;
                sets.push(done.rows);
            }
            Event::Start(e) if e.name().as_ref() == b"row" => {
                in_set(&mut set)?.row = Some(Vec::new())
            }
            Event::End(e) if e.name().as_ref() == b"row" => in_set(&mut set)?.end_row()?,
            Event::Start(e) if e.name().as_ref() == b"field" => {
                let name = field_name(&e)?;
                let raw = reader
                    .read_text(e.name())
                    .map_err(|e| format!("the value of field {name}: {e}"))?;
                let value = quick_xml::escape::unescape(&raw)
                    .map_err(|e| format!("the value of field {name}: {e}"))?;
                in_set(&mut set)?.field(name, Some(value.into_owned()))?;
            }
            Event::Empty(e) if e.name().as_ref() == b"field" => {
                let name = field_name(&e)?;
                let value = if is_nil(&e)? {
                    None
                } else {
                    Some(String::new())
                };
                in_set(&mut set)?.field(name, value)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if set.is_some() {
        return Err("the client's output ends inside a result set".into());
    }
    Ok(sets)
}

#[derive(Default)]
struct ResultSet {
    columns: Option<Arc<Vec<String>>>,
    rows: Vec<Row>,
    /// The row being read: its fields' names and values.
    row: Option<Vec<(String, Option<String>)>>,
}

impl ResultSet {
    fn field(&mut self, name: String, value: Option<String>) -> Result<(), String> {
        self.row
            .as_mut()
            .ok_or_else(|| format!("field {name} outside a row"))?
            .push((name, value));
        Ok(())
    }

    /// Every row of a result set has the columns of its first.
    fn end_row(&mut self) -> Result<(), String> {
        let fields = self.row.take().ok_or("a row closed that never opened")?;
        let (names, values): (Vec<String>, Vec<Option<String>>) = fields.into_iter().unzip();
        let columns = self.columns.get_or_insert_with(|| Arc::new(names.clone()));
        if **columns != names {
            return Err(format!(
                "a row has the columns {} where the first had {}",
                names.join(", "),
                columns.join(", ")
            ));
        }
        self.rows.push(Row::new(Arc::clone(columns), values));
        Ok(())
    }
}

fn in_set(set: &mut Option<ResultSet>) -> Result<&mut ResultSet, String> {
    set.as_mut()
        .ok_or_else(|| "a row outside a result set".to_string())
}

fn field_name(e: &BytesStart<'_>) -> Result<String, String> {
    let attribute = e
        .try_get_attribute("name")
        .map_err(|err| format!("a field's attributes: {err}"))?
        .ok_or("a field without a name")?;
    attribute
        .unescape_value()
        .map(|v| v.into_owned())
        .map_err(|err| format!("a field's name: {err}"))
}

fn is_nil(e: &BytesStart<'_>) -> Result<bool, String> {
    let nil = e
        .try_get_attribute("xsi:nil")
        .map_err(|err| format!("a field's attributes: {err}"))?;
    Ok(nil.is_some_and(|a| a.value.as_ref() == b"true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `mariadb --batch --xml` printed for `SELECT NULL AS x, 'NULL' AS y, 'a\rb\t<&>' AS z; SELECT 1 AS n
    /// FROM DUAL WHERE 0; SELECT 7 AS n`.
    const SAID: &str = "<?xml version=\"1.0\"?>\n\n<resultset statement=\"SELECT NULL AS x, 'NULL' AS y\" \
        xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <row>\n\t<field name=\"x\" xsi:nil=\"true\" />\n\
        \t<field name=\"y\">NULL</field>\n\t<field name=\"z\">a\rb\t&lt;&amp;&gt;</field>\n  </row>\n</resultset>\n\
        <?xml version=\"1.0\"?>\n\n<resultset statement=\"SELECT 1 AS n FROM DUAL WHERE 0\" \
        xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"></resultset>\n<?xml version=\"1.0\"?>\n\n\
        <resultset statement=\"SELECT 7 AS n\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <row>\n\
        \t<field name=\"n\">7</field>\n  </row>\n</resultset>\n";

    #[test]
    fn null_and_the_text_null_are_told_apart_and_values_keep_every_character() {
        let sets = result_sets(SAID).expect("reads");
        assert_eq!(sets.len(), 3, "one set per statement, the empty one too");
        let row = &sets[0][0];
        assert_eq!(row.nullable(&["x"]), Ok(None));
        assert_eq!(row.text(&["y"]), Ok("NULL"));
        assert_eq!(row.text(&["z"]), Ok("a\rb\t<&>"));
        assert!(sets[1].is_empty());
        assert_eq!(sets[2][0].number::<u32>(&["n"]), Ok(7));
    }

    #[test]
    fn output_cut_short_is_an_error() {
        let cut = &SAID[..SAID.find("</resultset>").expect("a set")];
        assert!(result_sets(cut).is_err());
        assert_eq!(result_sets("").map(|s| s.len()), Ok(0));
    }
}
