//! The binlog coordinates a dump records (`--master-data=2` / `--source-data=2` write them as a comment near
//! the top), read from the stream as it passes, so the dump goes host to host without being stored.

use std::io::Write;

pub use crate::model::Coordinates;

/// `-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=345;` (or the SOURCE_ spelling).
pub fn parse_line(line: &str) -> Option<Coordinates> {
    if !line.starts_with("-- CHANGE ") {
        return None;
    }
    let file_at = line.find("_LOG_FILE='")? + "_LOG_FILE='".len();
    let file = &line[file_at..file_at + line[file_at..].find('\'')?];
    let pos_at = line.find("_LOG_POS=")? + "_LOG_POS=".len();
    let digits: String = line[pos_at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(Coordinates {
        file: file.to_string(),
        pos: digits.parse().ok()?,
    })
}

/// How much of the dump's head is searched for the coordinates line; it comes before any data.
const SEARCHED: usize = 1 << 20;

/// Passes a dump through to `inner`, keeping the coordinates line when it goes by and counting bytes.
pub struct CoordinatesSniffer<W> {
    inner: W,
    head: Vec<u8>,
    pub found: Option<Coordinates>,
    pub bytes: u64,
}

impl<W: Write> CoordinatesSniffer<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            head: Vec::new(),
            found: None,
            bytes: 0,
        }
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for CoordinatesSniffer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        if self.found.is_none() && self.head.len() < SEARCHED {
            self.head.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&self.head);
            self.found = text.lines().find_map(parse_line);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_coordinates_in_either_spelling_across_writes() {
        let mut sniffer = CoordinatesSniffer::new(Vec::new());
        sniffer
            .write_all(b"-- MariaDB dump\n-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.0000")
            .expect("write");
        assert_eq!(sniffer.found, None);
        sniffer
            .write_all(b"02', MASTER_LOG_POS=345;\nCREATE TABLE t (id int);\n")
            .expect("write");
        assert_eq!(
            sniffer.found,
            Some(Coordinates {
                file: "mysql-bin.000002".into(),
                pos: 345
            })
        );
        let bytes = sniffer.bytes;
        assert_eq!(bytes, sniffer.into_inner().len() as u64);
        assert_eq!(
            parse_line(
                "-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000007', SOURCE_LOG_POS=157;"
            ),
            Some(Coordinates {
                file: "binlog.000007".into(),
                pos: 157
            })
        );
    }
}
