//! Seeding: a consistent dump of the source streamed into the target, host to host, never stored.
//!
//! The dump runs on the source (`--single-transaction` for a consistent InnoDB snapshot, binlog coordinates
//! as a comment, routines, events, triggers); its stdout goes through an OS pipe straight into the target's
//! client, whose session turns binary logging off first, so the restored rows are not replicated back. The
//! coordinates are read from the stream as it passes. Nothing is written on the source. A marker on the target
//! (`model::SEED_MARKER`) lives from the start of the seed until the target replicates (the connect step
//! removes it): if anything interrupts the run in between, the next plan knows the target's data is a copy
//! of ours, not the operator's, and seeds it again instead of refusing to touch it.

use std::io::{Cursor, Read};
use std::time::Instant;

use super::ApplyError;
use crate::flavor::Flavor;
use crate::model::SEED_MARKER;
use crate::replication::{Coordinates, CoordinatesSniffer};
use crate::shell::quote;
use crate::sql::CLIENT;
use crate::transport::{Transport, TransportError};

pub struct Seeded {
    pub coordinates: Coordinates,
    pub bytes: u64,
    pub seconds: f64,
}

fn dump_command(flavor: &dyn Flavor, schemas: &[String], overwrite: bool) -> String {
    let names: Vec<String> = schemas.iter().map(|s| quote(s)).collect();
    let drop_first = if overwrite {
        " --add-drop-database"
    } else {
        ""
    };
    format!(
        "if command -v mariadb-dump >/dev/null 2>&1; then d=mariadb-dump; else d=mysqldump; fi; \
         exec $d --single-transaction {} --routines --events --triggers --hex-blob{drop_first} --databases {}",
        flavor.dump_coordinates_option(),
        names.join(" ")
    )
}

/// Counts what passes and reports it at most once a second.
pub(super) struct Progress<'a, W> {
    pub inner: W,
    pub bytes: u64,
    pub last: Instant,
    pub report: &'a (dyn Fn(u64) + Sync),
}

impl<W: std::io::Write> std::io::Write for Progress<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        if self.last.elapsed().as_secs() >= 1 {
            self.last = Instant::now();
            (self.report)(self.bytes);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub fn stream(
    source: &mut dyn Transport,
    target: &mut dyn Transport,
    flavor: &dyn Flavor,
    schemas: &[String],
    overwrite: bool,
    report: &(dyn Fn(u64) + Sync),
) -> Result<Seeded, ApplyError> {
    let started = Instant::now();
    let dump = dump_command(flavor, schemas, overwrite);
    let marker = format!("mkdir -p /var/lib/mmprov && date -u +%Y-%m-%dT%H:%M:%SZ > {SEED_MARKER}");
    target.check(&marker, &[])?;
    let target_host = target.host().to_string();
    let (reader, writer) = std::io::pipe().map_err(|source| TransportError::Io {
        host: target_host.clone(),
        command: "seed pipe".into(),
        source,
    })?;
    let (dumped, restored) = std::thread::scope(|scope| {
        let dumper = scope.spawn(move || {
            let progress = Progress {
                inner: writer,
                bytes: 0,
                last: Instant::now(),
                report,
            };
            let mut sniffer = CoordinatesSniffer::new(progress);
            let finished = source.run(&dump, &mut std::io::empty(), &mut sniffer);
            // Dropping the sniffer closes the pipe: the restore sees the end of the dump.
            (finished, sniffer.found.clone(), sniffer.bytes)
        });
        // A passive or held target keeps application accounts out by read_only; super_read_only, which
        // would refuse the restore itself, is lifted for it and put back after.
        let (lift, restore) = flavor.super_read_only_lifted();
        let head = format!("{lift}SET SESSION sql_log_bin = 0;\n");
        let mut input = Cursor::new(head.into_bytes())
            .chain(reader)
            .chain(Cursor::new(restore.as_bytes()));
        let restored = target.run(CLIENT, &mut input, &mut std::io::sink());
        // Close our end first, so a dump still writing after a failed restore stops instead of blocking.
        drop(input);
        let dumped = dumper.join().unwrap_or_else(|_| {
            (
                Err(TransportError::Io {
                    host: "seed".into(),
                    command: "dump".into(),
                    source: std::io::Error::other("dump thread panicked"),
                }),
                None,
                0,
            )
        });
        (dumped, restored)
    });
    let (dump_result, coordinates, bytes) = dumped;
    let restore = restored?;
    // A restore that fails closes the pipe under the dump, whose broken pipe explains nothing: the restore's
    // own error is the one reported.
    if restore.status != 0 {
        return Err(ApplyError::SeedFailed {
            host: target_host,
            stage: "restore",
            detail: String::from_utf8_lossy(&restore.stderr).trim().to_string(),
        });
    }
    let dump_finished = dump_result?;
    if dump_finished.status != 0 {
        return Err(ApplyError::SeedFailed {
            host: target_host,
            stage: "dump",
            detail: String::from_utf8_lossy(&dump_finished.stderr)
                .trim()
                .to_string(),
        });
    }
    let coordinates = coordinates.ok_or_else(|| ApplyError::SeedFailed {
        host: target_host,
        stage: "dump",
        detail: "the dump carried no binlog coordinates (is log_bin on at the source?)".into(),
    })?;
    Ok(Seeded {
        coordinates,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}
