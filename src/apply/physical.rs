//! Physical seeding: a copy of the source's whole instance, streamed host to host, swapped in as the
//! target's data directory. The target's old files are never lost:
//!
//! 1. The seed marker goes on the target (as for a dump): until it replicates, its data is ours to redo.
//! 2. The backup tool on the source writes the copy (xbstream) to stdout; it flows through an OS pipe here
//!    into the tool's unpacker on the target, into `<datadir>/.mmprov-seed` (same file system as the
//!    datadir, so the swap is renames). Nothing is stored on this machine, nor on the source's disk.
//! 3. The copy is prepared on the target (made consistent), and the source's binary log coordinates are read
//!    from the file the backup wrote beside it.
//! 4. Only then does the target's mysqld stop. Its files go aside into `<datadir>.mmprov-old-<time>`, beside
//!    the datadir where no server takes the folder for a database (MariaDB would list it, and its upgrade
//!    check would fail on it at every start); inside, as `<datadir>/.mmprov-old-datadir-<time>`, only when
//!    the datadir is a mount of its own, which a rename cannot leave. The copy's files take their place
//!    (owned as the datadir is), and mysqld starts.
//!
//! An interruption before step 4 leaves the target's server and data as they were; a partial copy in
//! `.mmprov-seed` is cleared by the next seed. A failed start leaves the old files aside, named in the error.

use std::io::Read;
use std::time::{Duration, Instant};

use super::ApplyError;
use super::datadir::ASIDE_PREFIX;
use super::seed::{Progress, Seeded};
use crate::flavor::parse_binlog_info;
use crate::link::HostLink;
use crate::model::SEED_MARKER;
use crate::plan::PhysicalSeed;
use crate::replication::Coordinates;
use crate::shell::quote;
use crate::transport::{Transport, TransportError};

/// Where the copy is unpacked, inside the target's datadir.
const STAGING: &str = ".mmprov-seed";

pub struct Physical<'a> {
    pub seed: &'a PhysicalSeed,
    /// The target's start command (its service manager's).
    pub start: &'a str,
    pub timeout: Duration,
}

impl Physical<'_> {
    pub fn run(
        &self,
        source: &mut HostLink,
        target: &mut HostLink,
        report: &(dyn Fn(u64) + Sync),
        say: &dyn Fn(String),
    ) -> Result<Seeded, ApplyError> {
        let started = Instant::now();
        let datadir = self.seed.target_datadir.trim_end_matches('/');
        let staging = format!("{datadir}/{STAGING}");
        target.check(
            &format!(
                "mkdir -p /var/lib/mmprov && date -u +%Y-%m-%dT%H:%M:%SZ > {SEED_MARKER} && rm -rf {s} && \
                 mkdir -m 700 {s}",
                s = quote(&staging)
            ),
            &[],
        )?;
        let bytes = self.stream(source, target, &staging, report)?;
        say(format!(
            "copied {:.1} MiB; preparing the copy",
            bytes as f64 / 1048576.0
        ));
        let tool = self.seed.tool;
        let out = target.exec(&tool.prepare(&staging))?;
        if !out.success() {
            return Err(failed(target, "prepare", &out.stderr_text()));
        }
        let coordinates = self.coordinates(target, &staging)?;
        say(format!(
            "stopping mysqld to swap in the copy (source at {}:{})",
            coordinates.file, coordinates.pos
        ));
        let pid_file = super::datadir::pid_file(target)?;
        super::datadir::shut_down(target, &pid_file, self.timeout)?;
        let aside = target
            .check(&swap_script(datadir), &[])?
            .stdout_text()
            .trim()
            .to_string();
        say(format!(
            "starting mysqld from the copy; the old files are kept in {aside}"
        ));
        self.start(target, &aside)?;
        Ok(Seeded {
            coordinates,
            bytes,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// The backup on the source, piped into the unpacker on the target: the bytes that passed.
    fn stream(
        &self,
        source: &mut HostLink,
        target: &mut HostLink,
        staging: &str,
        report: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, ApplyError> {
        let backup = self.seed.tool.backup(&self.seed.source_socket);
        let extract = self.seed.tool.extract(staging);
        let (reader, writer) = std::io::pipe().map_err(|source| TransportError::Io {
            host: target.host().to_string(),
            command: "seed pipe".into(),
            source,
        })?;
        let (copied, unpacked) = std::thread::scope(|scope| {
            let copier = scope.spawn(move || {
                let mut progress = Progress {
                    inner: writer,
                    bytes: 0,
                    last: Instant::now(),
                    report,
                };
                let finished = source.run(&backup, &mut std::io::empty(), &mut progress);
                // Dropping the writer closes the pipe: the unpacker sees the end of the stream.
                (finished, progress.bytes)
            });
            let mut input: Box<dyn Read + Send> = Box::new(reader);
            let unpacked = target.run(&extract, &mut input, &mut std::io::sink());
            drop(input);
            let copied = copier.join().unwrap_or_else(|_| {
                (
                    Err(TransportError::Io {
                        host: "seed".into(),
                        command: "backup".into(),
                        source: std::io::Error::other("backup thread panicked"),
                    }),
                    0,
                )
            });
            (copied, unpacked)
        });
        let (backup_result, bytes) = copied;
        let unpacked = unpacked?;
        // Either end failing cuts the other off: both are said, the unpacker's first (a backup that lost
        // its reader only says "broken pipe").
        let unpack_said =
            (unpacked.status != 0).then(|| String::from_utf8_lossy(&unpacked.stderr).into_owned());
        let backup_said = match backup_result {
            Ok(f) if f.status == 0 => None,
            Ok(f) => Some(String::from_utf8_lossy(&f.stderr).into_owned()),
            Err(e) => Some(e.to_string()),
        };
        match (unpack_said, backup_said) {
            (None, None) => Ok(bytes),
            (Some(unpack), None) => Err(failed(target, "unpack", &unpack)),
            (None, Some(backup)) => Err(failed(target, "backup", &backup)),
            (Some(unpack), Some(backup)) => Err(failed(
                target,
                "unpack",
                &format!(
                    "{}\n(the backup on the source: {})",
                    unpack.trim(),
                    backup.trim()
                ),
            )),
        }
    }

    /// The source's binary log coordinates, as the backup recorded them.
    fn coordinates(&self, target: &mut HostLink, staging: &str) -> Result<Coordinates, ApplyError> {
        let files: Vec<String> = self
            .seed
            .tool
            .binlog_info_files()
            .iter()
            .map(|f| quote(&format!("{staging}/{f}")))
            .collect();
        let text = target
            .check(
                &format!(
                    "for f in {}; do if [ -s \"$f\" ]; then cat \"$f\"; exit 0; fi; done",
                    files.join(" ")
                ),
                &[],
            )?
            .stdout_text();
        let (file, pos) = parse_binlog_info(&text).ok_or_else(|| ApplyError::SeedFailed {
            host: target.host().to_string(),
            stage: "backup",
            detail: format!(
                "the copy carries no binary log coordinates ({:?}): is log_bin on at the source?",
                text.trim()
            ),
        })?;
        Ok(Coordinates { file, pos })
    }

    fn start(&self, target: &mut HostLink, aside: &str) -> Result<(), ApplyError> {
        super::restart::restart_and_wait(target, self.start, self.timeout).map_err(|e| {
            ApplyError::SeedFailed {
                host: target.host().to_string(),
                stage: "start",
                detail: format!(
                    "mysqld did not start from the copy ({}); its old files are in {aside}",
                    e.to_string().trim()
                ),
            }
        })
    }
}

fn failed(target: &HostLink, stage: &'static str, stderr: &str) -> ApplyError {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    ApplyError::SeedFailed {
        host: target.host().to_string(),
        stage,
        detail: lines[lines.len().saturating_sub(8)..].join("\n"),
    }
}

/// With mysqld stopped: the datadir's files aside (its socket and pid file stay), the copy's in their
/// place, owned as the datadir is. Prints the folder the old files went to.
fn swap_script(datadir: &str) -> String {
    format!(
        r#"set -eu
d={d}; d=${{d%/}}; new="$d/{staging}"
[ -d "$new" ] || {{ echo "no copy in $new" >&2; exit 1; }}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
# Beside the datadir when a rename can get there (a hard link is the probe: it fails across mounts, where
# mv would copy instead), else inside it.
probe="$d/.mmprov-probe-$$"; : >"$probe"
if ln "$probe" "$d.mmprov-probe-$$" 2>/dev/null; then aside="$d.mmprov-old-$stamp"; rm -f "$d.mmprov-probe-$$"
else aside="$d/{aside}$stamp"; fi
rm -f "$probe"
mkdir "$aside"; chmod 700 "$aside"
for e in "$d"/* "$d"/.[!.]* "$d"/..?*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  [ -S "$e" ] && continue
  case "$e" in "$new"|"$aside"|"$d"/{aside}*|*.sock|*.sock.lock|*.pid) continue ;; esac
  mv "$e" "$aside"/
done
for e in "$new"/* "$new"/.[!.]* "$new"/..?*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  mv "$e" "$d"/
  chown -R --reference="$d" "$d/$(basename "$e")"
done
rmdir "$new"
echo "$aside""#,
        d = quote(datadir),
        staging = STAGING,
        aside = ASIDE_PREFIX,
    )
}
