//! Moving a server's data directory, and pointing the service script at a moved socket.
//!
//! The move never leaves a server without its data:
//! 1. mysqld is stopped (`SHUTDOWN`, over the SQL link the old config still describes), and its process
//!    waited for;
//! 2. the old directory is copied into the new one with owners, modes and sparse files kept (the new one
//!    may lie inside the old, as `/var/lib/mysql/data` does: that part is left out), then the two listings
//!    (path, size, mode, owner, group, type) are compared, and only a copy that matches gets the marker
//!    that names it a finished copy;
//! 3. the config and restart steps start mysqld from the copy; a start that fails puts the old config
//!    back, and mysqld starts from the old directory, untouched;
//! 4. once mysqld serves from the copy, the old files are set aside in one folder inside the old directory
//!    (a rename on the same file system, which also works when the old directory is a mount point), for
//!    the DBA to remove.

use std::time::{Duration, Instant};

use super::ApplyError;
use crate::link::HostLink;
use crate::model::DATADIR_MARKER;
use crate::shell::quote;
use crate::sql::SqlExecutor;
use crate::transport::{Transport, TransportError};

/// Where the old files go, inside the old directory.
pub const ASIDE_PREFIX: &str = ".mmprov-old-datadir-";

/// Stop mysqld and copy its data directory from `from` to `to`, verified.
pub fn stop_and_copy(
    t: &mut HostLink,
    from: &str,
    to: &str,
    timeout: Duration,
    say: &dyn Fn(String),
) -> Result<(), ApplyError> {
    let pid_file = pid_file(t)?;
    say(format!(
        "stopping mysqld to move its data directory to {to}"
    ));
    shut_down(t, &pid_file, timeout)?;
    say(format!(
        "copying {from} to {to} (owners, modes kept) and verifying the copy"
    ));
    let out = t.exec(&copy_script(from, to))?;
    if !out.success() {
        return Err(ApplyError::Datadir {
            host: t.host().to_string(),
            detail: format!(
                "the copy of {from} to {to} failed (mysqld is stopped; its data is untouched in {from}): {}",
                out.stderr_text().trim()
            ),
        });
    }
    Ok(())
}

/// Stop mysqld by `SHUTDOWN` over its SQL link, and wait until the process named by `pid_file` has ended.
pub fn shut_down(t: &mut HostLink, pid_file: &str, timeout: Duration) -> Result<(), ApplyError> {
    // The server closes the connection as it goes: an error here is expected, the wait below decides.
    let _ = t.sql().execute("stopping mysqld", "SHUTDOWN");
    wait_stopped(t, pid_file, timeout)
}

/// The server's pid file, as it says.
pub fn pid_file(t: &mut HostLink) -> Result<String, ApplyError> {
    t.sql()
        .query(
            "reading the server's pid file",
            "SELECT @@pid_file AS pid_file",
        )?
        .first()
        .and_then(|r| r.get(&["pid_file"]).map(str::to_string))
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApplyError::Datadir {
            host: t.host().to_string(),
            detail: "the server did not say where its pid file is".into(),
        })
}

/// Wait until the process named by the pid file has ended.
fn wait_stopped(t: &mut HostLink, pid_file: &str, timeout: Duration) -> Result<(), ApplyError> {
    let check = format!(
        "p={0}; if [ -f \"$p\" ] && kill -0 \"$(cat \"$p\")\" 2>/dev/null; then echo running; else echo stopped; fi",
        quote(pid_file)
    );
    let deadline = Instant::now() + timeout;
    loop {
        let out = t.check(&check, &[])?;
        if out.stdout_text().trim() == "stopped" {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(ApplyError::Datadir {
                host: t.host().to_string(),
                detail: format!("mysqld did not stop within {}s", timeout.as_secs()),
            });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The copy: a stale earlier copy (its marker says so) is cleared first; the part of the new directory
/// inside the old one, and earlier set-aside folders, are left out; the listings must match.
fn copy_script(from: &str, to: &str) -> String {
    format!(
        r#"set -eu
old={old}; new={new}; marker="$new/{marker}"
{top}
if [ -f "$marker" ]; then find "$new" -mindepth 1 -delete; fi
mkdir -p "$new"
chown --reference="$old" "$new"; chmod --reference="$old" "$new"
(cd "$old" && tar --create --file=- --sparse --numeric-owner --exclude="./{aside}*" ${{top:+--exclude="./$top"}} .) |
  (cd "$new" && tar --extract --file=- --numeric-owner --same-owner --same-permissions)
# Directories are compared without their size (it depends on their history), sockets not at all.
listing() {{
  (cd "$1" && {{ find . -mindepth 1 -type d -printf '%p\t-\t%m\t%U\t%G\td\n'
    find . -mindepth 1 ! -type d ! -type s -printf '%p\t%s\t%m\t%U\t%G\t%y\n'; }} | LC_ALL=C sort)
}}
lists=$(mktemp -d)
listing "$old" | grep -v -F -e "./{aside}" ${{top:+-e "./$top	" -e "./$top/"}} >"$lists/old" || true
listing "$new" >"$lists/new"
if ! cmp -s "$lists/old" "$lists/new"; then
  echo "the copy differs from the original:" >&2
  diff "$lists/old" "$lists/new" | head -n 20 >&2 || true
  rm -rf "$lists"
  exit 1
fi
rm -rf "$lists"
printf '%s\n' "$old" >"$marker"
sync
"#,
        old = quote(from),
        new = quote(to),
        marker = DATADIR_MARKER,
        aside = ASIDE_PREFIX,
        top = inner_top(from, to),
    )
}

/// `top=NAME` when the new directory lies inside the old one (NAME: its first part below the old);
/// `top=` otherwise.
fn inner_top(from: &str, to: &str) -> String {
    let inner = to
        .strip_prefix(from.trim_end_matches('/'))
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.split('/').next())
        .filter(|t| !t.is_empty());
    match inner {
        Some(top) => format!("top={}", quote(top)),
        None => "top=".to_string(),
    }
}

/// Once mysqld serves from the copy: the old files into one folder inside the old directory. Returns it.
pub fn set_old_aside(t: &mut HostLink, from: &str, to: &str) -> Result<String, ApplyError> {
    let script = format!(
        r#"set -eu
old={old}
{top}
aside="$old/{aside}$(date -u +%Y%m%dT%H%M%SZ)"
mkdir "$aside"; chmod 700 "$aside"
for e in "$old"/* "$old"/.[!.]* "$old"/..?*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  # The running server's socket (and its lock) may live here, as the classic recipe's does: it stays.
  [ -S "$e" ] && continue
  case "$e" in "$aside"|"$old"/{aside}*|*.sock|*.sock.lock|*.pid) continue ;; esac
  if [ -n "$top" ] && [ "$e" = "$old/$top" ]; then continue; fi
  mv "$e" "$aside"/
done
echo "$aside""#,
        old = quote(from),
        aside = ASIDE_PREFIX,
        top = inner_top(from, to),
    );
    let out = t.check(&script, &[])?;
    Ok(out.stdout_text().trim().to_string())
}

/// Point `[client] socket` of the service script's config at `socket` (backed up first; the file's owner
/// and mode kept). Edited on the host: the file may hold a password, which never travels to mmprov.
/// Returns the command that puts the file back.
pub fn point_service_client(
    t: &mut dyn Transport,
    path: &str,
    socket: &str,
) -> Result<String, TransportError> {
    let f = quote(path);
    let backup = format!("{path}.mmprov-backup-socket");
    let script = format!(
        r#"set -eu
f={f}; b={b}; s={s}
cp -p "$f" "$b"
awk -v s="$s" '
  function flush() {{ if (inclient && !done) {{ print "socket = " s; done = 1 }} }}
  /^[[:space:]]*\[/ {{ flush(); inclient = ($0 ~ /^[[:space:]]*\[client\]/) }}
  inclient && $1 ~ /^socket/ && !done {{ print "socket = " s; done = 1; next }}
  inclient && $1 ~ /^socket/ {{ next }}
  {{ print }}
  END {{ if (inclient) flush(); else if (!done) {{ print ""; print "[client]"; print "socket = " s }} }}
' "$f" >"$f.mmprov-tmp"
chown --reference="$f" "$f.mmprov-tmp"; chmod --reference="$f" "$f.mmprov-tmp"
mv -f "$f.mmprov-tmp" "$f"
"#,
        b = quote(&backup),
        s = quote(socket),
    );
    t.check(&script, &[])?;
    Ok(format!("cp -p -- {} {f}", quote(&backup)))
}

#[cfg(test)]
mod tests {
    use super::inner_top;

    #[test]
    fn a_new_directory_inside_the_old_is_left_out_by_its_first_part() {
        assert_eq!(
            inner_top("/var/lib/mysql", "/var/lib/mysql/data"),
            "top=data"
        );
        assert_eq!(inner_top("/var/lib/mysql/", "/var/lib/mysql/a/b"), "top=a");
        assert_eq!(inner_top("/var/lib/mysql", "/srv/mysql"), "top=");
        assert_eq!(inner_top("/var/lib/mysql", "/var/lib/mysql-new"), "top=");
    }
}
