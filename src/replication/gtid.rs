//! GTID positions as the servers write them, and how many transactions a replica still lacks. Pure.
//!
//! - MariaDB: a position is one `domain-server-seq` per domain (`0-1-500,2-2-37`); within a domain, sequence
//!   numbers grow, so a replica at seq 498 of a domain whose source is at 500 lacks 2 transactions.
//! - MySQL: a GTID set is `uuid:interval[:interval...]` per source server (`3e11...:1-5:7-9`), and what a
//!   replica lacks is the set difference.

use std::collections::BTreeMap;
use std::fmt;

/// One MySQL transaction's GTID: its origin (the source server's uuid, with a tag where it has one) and its
/// number there. An origin numbers its transactions one after another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gtid {
    origin: String,
    number: u64,
}

impl Gtid {
    /// `uuid[:tag]:number` as the server writes one; `None` for anything else.
    pub fn parse(text: &str) -> Option<Gtid> {
        let (origin, number) = text.trim().rsplit_once(':')?;
        let (uuid, tag) = match origin.split_once(':') {
            Some((uuid, tag)) => (uuid, Some(tag)),
            None => (origin, None),
        };
        let uuid_ok = uuid.len() == 36 && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let tag_ok = tag.is_none_or(|t| {
            !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        let number: u64 = number.parse().ok().filter(|n| *n > 0)?;
        (uuid_ok && tag_ok).then(|| Gtid {
            origin: origin.to_string(),
            number,
        })
    }

    /// This transaction and the `count - 1` its origin numbered after it.
    pub fn and_following(&self, count: u32) -> Vec<Gtid> {
        (0..u64::from(count.max(1)))
            .map(|k| Gtid {
                origin: self.origin.clone(),
                number: self.number + k,
            })
            .collect()
    }
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.origin, self.number)
    }
}

/// How many transactions `source` holds that `replica` does not, from their positions (MariaDB) or GTID
/// sets (MySQL); `None` when either cannot be read.
pub fn missing(source: &str, replica: &str) -> Option<u64> {
    if source.contains(':') || replica.contains(':') {
        let have = mysql_set(replica)?;
        let total = mysql_set(source)?
            .iter()
            .map(|(uuid, intervals)| {
                let theirs = have.get(uuid).map(Vec::as_slice).unwrap_or_default();
                intervals.iter().map(|i| uncovered(*i, theirs)).sum::<u64>()
            })
            .sum();
        Some(total)
    } else {
        let have = mariadb_position(replica)?;
        let total = mariadb_position(source)?
            .iter()
            .map(|(domain, seq)| seq.saturating_sub(have.get(domain).copied().unwrap_or(0)))
            .sum();
        Some(total)
    }
}

/// Whether a server whose positions are `held` (MariaDB: its binary log's and its replica's; MySQL: its
/// executed set) holds every transaction of `wanted`, so a replica at `wanted` can go on from it. `None` when
/// one cannot be read.
pub fn covers(held: &[&str], wanted: &str) -> Option<bool> {
    if wanted.contains(':') || held.iter().any(|h| h.contains(':')) {
        let mut have: BTreeMap<String, Vec<Interval>> = BTreeMap::new();
        for text in held {
            for (uuid, intervals) in mysql_set(text)? {
                have.entry(uuid).or_default().extend(intervals);
            }
        }
        Some(mysql_set(wanted)?.iter().all(|(uuid, intervals)| {
            let theirs = have.get(uuid).map(Vec::as_slice).unwrap_or_default();
            intervals.iter().all(|i| uncovered(*i, theirs) == 0)
        }))
    } else {
        let mut have: BTreeMap<u32, u64> = BTreeMap::new();
        for text in held {
            for (domain, seq) in mariadb_position(text)? {
                let at = have.entry(domain).or_default();
                *at = (*at).max(seq);
            }
        }
        Some(
            mariadb_position(wanted)?
                .iter()
                .all(|(domain, seq)| have.get(domain).is_some_and(|h| h >= seq)),
        )
    }
}

/// `domain-server-seq,...` as the last sequence number of each domain.
fn mariadb_position(text: &str) -> Option<BTreeMap<u32, u64>> {
    let mut out = BTreeMap::new();
    for gtid in text.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        let mut parts = gtid.split('-');
        let domain = parts.next()?.parse().ok()?;
        let _server: u32 = parts.next()?.parse().ok()?;
        let seq = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        out.insert(domain, seq);
    }
    Some(out)
}

type Interval = (u64, u64);

/// `uuid:a-b:c,uuid2:d-e` as each server's intervals (inclusive).
fn mysql_set(text: &str) -> Option<BTreeMap<String, Vec<Interval>>> {
    let mut out: BTreeMap<String, Vec<Interval>> = BTreeMap::new();
    for member in text.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let mut parts = member.split(':');
        let uuid = parts.next()?.trim().to_ascii_lowercase();
        let intervals = out.entry(uuid).or_default();
        for interval in parts {
            let (start, end) = match interval.split_once('-') {
                Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
                None => {
                    let n = interval.trim().parse().ok()?;
                    (n, n)
                }
            };
            if end < start {
                return None;
            }
            intervals.push((start, end));
        }
    }
    Some(out)
}

/// How many numbers of `interval` none of `covered` holds.
fn uncovered(interval: Interval, covered: &[Interval]) -> u64 {
    let (start, end) = interval;
    let mut overlaps: Vec<Interval> = covered
        .iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a.max(start), b.min(end));
            (a <= b).then_some((a, b))
        })
        .collect();
    overlaps.sort_unstable();
    let mut held = 0;
    let mut next = start;
    for (a, b) in overlaps {
        let a = a.max(next);
        if a <= b {
            held += b - a + 1;
            next = b + 1;
        }
    }
    (end - start + 1) - held
}

#[cfg(test)]
mod tests {
    use super::{Gtid, covers, missing};

    #[test]
    fn a_gtid_is_read_as_the_server_writes_it_and_nothing_else() {
        let g = Gtid::parse("2caa772f-ef14-11f1-99b2-026d6c090b00:6").expect("gtid");
        let next: Vec<String> = g.and_following(3).iter().map(Gtid::to_string).collect();
        assert_eq!(
            next,
            [
                "2caa772f-ef14-11f1-99b2-026d6c090b00:6",
                "2caa772f-ef14-11f1-99b2-026d6c090b00:7",
                "2caa772f-ef14-11f1-99b2-026d6c090b00:8"
            ]
        );
        let tagged =
            Gtid::parse("2caa772f-ef14-11f1-99b2-026d6c090b00:batch_1:12").expect("tagged");
        assert_eq!(
            tagged.to_string(),
            "2caa772f-ef14-11f1-99b2-026d6c090b00:batch_1:12"
        );
        for bad in [
            "",
            "0-1-500",
            "x:1",
            "2caa772f-ef14-11f1-99b2-026d6c090b00:0",
            "2caa772f-ef14-11f1-99b2-026d6c090b00:1'; DROP",
        ] {
            assert_eq!(Gtid::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_server_covers_a_position_when_it_holds_every_domain_that_far() {
        assert_eq!(
            covers(&["1-1-10,2-2-5", "2-2-7"], "1-1-9,2-2-7"),
            Some(true)
        );
        assert_eq!(
            covers(&["1-1-10", "2-2-6"], "1-1-9,2-2-7"),
            Some(false),
            "one domain short"
        );
        assert_eq!(
            covers(&["1-1-10", ""], "1-1-9,3-3-1"),
            Some(false),
            "a domain it never saw"
        );
        assert_eq!(covers(&["", ""], ""), Some(true));
        assert_eq!(
            covers(&["1-1-z"], "1-1-1"),
            None,
            "unreadable is not covered"
        );
        let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        assert_eq!(
            covers(&[&format!("{a}:1-5:7-9")], &format!("{a}:1-5:8")),
            Some(true)
        );
        assert_eq!(
            covers(&[&format!("{a}:1-5")], &format!("{a}:1-6")),
            Some(false)
        );
    }

    #[test]
    fn mariadb_positions_count_what_each_domain_lacks() {
        assert_eq!(missing("0-1-500,2-2-37", "0-1-498,2-2-37"), Some(2));
        assert_eq!(
            missing("0-1-5,1-1-10", "0-1-5"),
            Some(10),
            "a domain the replica never saw"
        );
        assert_eq!(missing("", ""), Some(0));
        assert_eq!(missing("1-1-3", "1-1-9"), Some(0), "ahead is not behind");
        assert_eq!(missing("0-1-x", ""), None, "unreadable is not zero");
    }

    #[test]
    fn mysql_sets_count_the_difference() {
        let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        let b = "4f22fa47-71ca-11e1-9e33-c80aa9429563";
        assert_eq!(missing(&format!("{a}:1-10"), &format!("{a}:1-7")), Some(3));
        assert_eq!(
            missing(&format!("{a}:1-10,\n{b}:1-4"), &format!("{a}:1-3:5-10")),
            Some(5),
            "a gap inside, and a server the replica has nothing of"
        );
        assert_eq!(missing(&format!("{a}:1-5"), &format!("{a}:1-9")), Some(0));
        assert_eq!(missing(&format!("{a}:5-1"), ""), None);
    }
}
