//! The one shell round trip that reads a host's environment: service manager, server binary, config file.

use super::{DatadirState, FactsError, Layout, OptionSource, ServiceSocket, Wanted};
use crate::flavor::ServerVersion;
use crate::model::{
    DATADIR_MARKER, INSTALL_MARKER, REJOIN_MARKER, SEED_MARKER, ServiceKind, WRITES_HELD_MARKER,
};
use crate::packages::PackageManagerKind;
use crate::shell::quote;
use crate::transport::Transport;

pub struct Probe {
    pub service: ServiceKind,
    pub package_manager: Option<PackageManagerKind>,
    pub os_codename: Option<String>,
    pub install_unfinished: bool,
    pub physical_tool: Option<crate::flavor::PhysicalTool>,
    pub service_name: String,
    pub binary_version: Option<ServerVersion>,
    pub config_base64: Option<String>,
    /// The config file mmprov owns: the playbook's, or the one the host's layout calls for.
    pub config_path: String,
    pub option_files: super::OptionFiles,
    pub seed_incomplete: bool,
    pub writes_held: bool,
    /// The old writer named by the rejoin marker, when `mmprov failover` opened this node.
    pub rejoin: Option<String>,
    /// Of the files asked about, those that are missing or unreadable.
    pub missing_files: Vec<String>,
    pub layout: Layout,
}

/// The client config the Debian service script's admin client reads (`--defaults-file`), and nothing else.
pub const SERVICE_CLIENT_CONFIG: &str = "/etc/mysql/debian.cnf";

/// `binary`: also ask the installed server binary its version (only needed when no server answers SQL).
fn script(wanted: &Wanted, binary: bool) -> String {
    let checks: String = wanted
        .files
        .iter()
        .map(|f| format!("[ -r {q} ] || echo missing={q}\n", q = quote(f)))
        .collect();
    format!(
        r#"cfg={cfg}
if [ -z "$cfg" ]; then
  if [ -d /etc/mysql/mariadb.conf.d ]; then cfg=/etc/mysql/mariadb.conf.d/60-mmprov.cnf
  elif [ -d /etc/mysql/mysql.conf.d ]; then cfg=/etc/mysql/mysql.conf.d/{mysql_file}
  elif [ -d /etc/my.cnf.d ]; then cfg=/etc/my.cnf.d/{mysql_file}
  fi
fi
echo "config_path=$cfg"
{walk}d={datadir}
if [ -z "$d" ] && [ -n "$cfg" ] && [ -r "$cfg" ]; then
  d=$(awk '/^[[:space:]]*\[/ {{ g = $0 }} g ~ /^[[:space:]]*\[mysqld\]/ && $1 ~ /^datadir/ {{ sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]+$/, ""); print; exit }}' "$cfg")
  d=${{d%/}}
fi
[ -n "$d" ] || d={default_datadir}
if [ ! -e "$d" ]; then echo datadir=missing
elif [ -f "$d/{marker_file}" ]; then echo "datadir=moved $(head -n 1 "$d/{marker_file}")"
elif [ -z "$(ls -A "$d" 2>/dev/null)" ]; then echo datadir=empty
else echo datadir=foreign; fi
if [ -r {service_cnf} ]; then echo "service_socket=$(awk '/^[[:space:]]*\[/ {{ g = $0 }} g ~ /^[[:space:]]*\[client\]/ && $1 ~ /^socket/ {{ sub(/^[^=]*=[[:space:]]*/, ""); print; exit }}' {service_cnf})"; fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo manager=systemd; else echo manager=service; fi
if [ -e /etc/init.d/mariadb ] || [ -e /lib/systemd/system/mariadb.service ] || [ -e /usr/lib/systemd/system/mariadb.service ]; then echo unit=mariadb; else echo unit=mysql; fi
if command -v apt-get >/dev/null 2>&1; then echo packages=apt; elif command -v dnf >/dev/null 2>&1; then echo packages=dnf; fi
if [ -r /etc/os-release ]; then echo "codename=$(. /etc/os-release; echo "${{VERSION_CODENAME:-}}")"; fi
if [ -e {install_marker} ]; then echo install=unfinished; fi
if [ -e {held_marker} ]; then echo writes=held; fi
if [ -r {rejoin_marker} ]; then echo "rejoin=$(head -n 1 {rejoin_marker})"; fi
if {{ command -v mariadb-backup || command -v mariabackup; }} >/dev/null 2>&1 && command -v mbstream >/dev/null 2>&1; then echo physical=mariadb-backup
elif command -v xtrabackup >/dev/null 2>&1 && command -v xbstream >/dev/null 2>&1; then echo physical=xtrabackup; fi
{binary}if [ -e {marker} ]; then echo seed=incomplete; fi
{checks}if [ -n "$cfg" ] && [ -e "$cfg" ]; then echo config=present; base64 -w 0 < "$cfg"; echo; else echo config=absent; fi
"#,
        cfg = quote(wanted.config_path.as_deref().unwrap_or_default()),
        mysql_file = MYSQL_CONFIG_FILE,
        walk = OPTION_FILES,
        datadir = quote(
            wanted
                .datadir
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('/')
        ),
        default_datadir = quote(crate::model::DEFAULT_DATADIR),
        marker_file = DATADIR_MARKER,
        service_cnf = SERVICE_CLIENT_CONFIG,
        marker = SEED_MARKER,
        install_marker = INSTALL_MARKER,
        held_marker = WRITES_HELD_MARKER,
        rejoin_marker = REJOIN_MARKER,
        checks = checks,
        binary = if binary { BINARY_VERSION } else { "" },
    )
}

/// mmprov's file in a MySQL layout's folder: named to sort after the distribution's own (`mysqld.cnf`), which
/// the server reads first, so mmprov's values win.
pub const MYSQL_CONFIG_FILE: &str = crate::flavor::MYSQL_CONFIG_FILE;

/// Prints the option files the server reads, in its order: `optfile=PATH` then one `optset=NAME` per option
/// it sets in a server group, `optdir=PATH` where a folder is included (its `.cnf` files follow in byte
/// order, as the server sorts them). Nesting is bounded, so a loop of includes ends. The server's paths the
/// distribution's files set (socket, datadir; `[client-server]` counts, MariaDB's server reads it) follow as
/// `optpath=NAME VALUE`, except those of mmprov's own file (`$cfg`, where the probe names it).
pub const OPTION_FILES: &str = r#"mmwalk() {
  [ "$2" -lt 6 ] && [ -r "$1" ] && [ -f "$1" ] || return 0
  echo "optfile=$1"
  awk -v own="$([ "$1" = "${cfg:-}" ] && echo 1)" '/^[[:space:]]*\[/ { g = tolower($0); gsub(/[][[:space:]]/, "", g); next }
       /^[[:space:]]*[A-Za-z]/ {
         k = $0; sub(/^[[:space:]]*/, "", k); sub(/[[:space:]]*(=.*)?$/, "", k); k = tolower(k); gsub(/-/, "_", k)
         server = g ~ /^(mysqld|server|mariadb|mariadbd)(-[0-9.]+)?$/
         if (server) print "optset=" k
         if ((server || g == "client-server") && own == "" && (k == "socket" || k == "datadir") && index($0, "=")) {
           v = $0; sub(/^[^=]*=[[:space:]]*/, "", v); sub(/[[:space:]]+$/, "", v); gsub(/^"|"$/, "", v)
           print "optpath=" k " " v
         } }' "$1"
  grep -E '^[[:space:]]*!include(dir)?[[:space:]]' "$1" | while read -r kw arg; do
    case $kw in
      '!includedir') echo "optdir=${arg%/}"
        for f in $(LC_ALL=C ls -1 "$arg" 2>/dev/null); do case $f in *.cnf) mmwalk "${arg%/}/$f" $(($2 + 1)) ;; esac; done ;;
      '!include') mmwalk "$arg" $(($2 + 1)) ;;
    esac
  done
}
for top in /etc/my.cnf /etc/mysql/my.cnf; do mmwalk "$top" 0; done
"#;

/// The option files [`OPTION_FILES`] printed, in the server's order.
pub fn option_files(printed: &str) -> super::OptionFiles {
    let mut files = super::OptionFiles::default();
    for (key, value) in printed.lines().filter_map(|l| l.split_once('=')) {
        read_option_line(&mut files, key, value);
    }
    files
}

/// One line [`OPTION_FILES`] printed, added to what was read so far.
fn read_option_line(files: &mut super::OptionFiles, key: &str, value: &str) {
    match key {
        "optfile" => files.read.push(OptionSource::File {
            path: value.to_string(),
            sets: Vec::new(),
        }),
        "optdir" => files.read.push(OptionSource::Folder {
            path: value.to_string(),
        }),
        "optset" => {
            if let Some(OptionSource::File { sets, .. }) = files.read.last_mut() {
                sets.push(value.to_string());
            }
        }
        "optpath" => {
            if let Some((name, path)) = value.split_once(' ') {
                files
                    .paths
                    .insert(name.to_string(), path.trim_end_matches('/').to_string());
            }
        }
        _ => {}
    }
}

/// Prints `binary=<the installed server binary's version line>`, or nothing when there is none.
pub const BINARY_VERSION: &str = r#"for b in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld /usr/libexec/mariadbd /usr/libexec/mysqld; do
  if command -v "$b" >/dev/null 2>&1; then echo "binary=$("$b" --version 2>/dev/null | head -n 1)"; break; fi
done
"#;

pub fn run(t: &mut dyn Transport, wanted: &Wanted, binary: bool) -> Result<Probe, FactsError> {
    let out = t.check(&script(wanted, binary), &[])?.stdout_text();
    let host = t.host().to_string();
    let mut probe = Probe {
        service: ServiceKind::Service,
        service_name: "mysql".into(),
        package_manager: None,
        os_codename: None,
        install_unfinished: false,
        physical_tool: None,
        binary_version: None,
        config_base64: None,
        config_path: String::new(),
        option_files: Default::default(),
        seed_incomplete: false,
        writes_held: false,
        rejoin: None,
        missing_files: Vec::new(),
        layout: Layout::default(),
    };
    let mut saw_datadir = false;
    let mut lines = out.lines();
    let mut saw_config = false;
    while let Some(line) = lines.next() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "manager" if value == "systemd" => probe.service = ServiceKind::Systemd,
            "unit" => probe.service_name = value.to_string(),
            "binary" => probe.binary_version = binary_version(value),
            "seed" => probe.seed_incomplete = value == "incomplete",
            "packages" => probe.package_manager = package_manager(value),
            "codename" => {
                probe.os_codename = Some(value.trim().to_string()).filter(|c| !c.is_empty())
            }
            "install" => probe.install_unfinished = value == "unfinished",
            "writes" => probe.writes_held = value == "held",
            "rejoin" => probe.rejoin = Some(value.trim().to_string()).filter(|v| !v.is_empty()),
            "physical" => probe.physical_tool = physical_tool(value),
            "missing" => probe.missing_files.push(value.to_string()),
            "config_path" => probe.config_path = value.to_string(),
            "optfile" | "optdir" | "optset" | "optpath" => {
                read_option_line(&mut probe.option_files, key, value)
            }
            "datadir" => {
                saw_datadir = true;
                probe.layout.datadir_target = datadir_state(value);
            }
            "service_socket" => probe.layout.service_socket = Some(service_socket(value)),
            "config" => {
                saw_config = true;
                if value == "present" {
                    probe.config_base64 = Some(lines.next().unwrap_or("").to_string());
                }
            }
            _ => {}
        }
    }
    if !saw_config || !saw_datadir {
        return Err(FactsError::Probe {
            host,
            detail: "the probe's output is incomplete (no config or datadir line)".into(),
        });
    }
    Ok(probe)
}

fn package_manager(value: &str) -> Option<PackageManagerKind> {
    match value {
        "apt" => Some(PackageManagerKind::Apt),
        "dnf" => Some(PackageManagerKind::Dnf),
        _ => None,
    }
}

fn physical_tool(value: &str) -> Option<crate::flavor::PhysicalTool> {
    match value {
        "mariadb-backup" => Some(crate::flavor::PhysicalTool::MariaDbBackup),
        "xtrabackup" => Some(crate::flavor::PhysicalTool::XtraBackup),
        _ => None,
    }
}

/// What the data directory the config names holds: `missing`, `empty`, `moved FROM` (a copy of ours,
/// marked), or anything else (someone else's files).
fn datadir_state(value: &str) -> DatadirState {
    match value {
        "missing" => DatadirState::Missing,
        "empty" => DatadirState::Empty,
        v => match v.strip_prefix("moved ") {
            Some(from) => DatadirState::Moved {
                from: from.trim().to_string(),
            },
            None => DatadirState::Foreign,
        },
    }
}

/// The socket the service script's admin client is pointed at; none named: its default.
fn service_socket(value: &str) -> ServiceSocket {
    let socket = value.trim().trim_matches(['"', '\'']);
    if socket.is_empty() {
        ServiceSocket::Default
    } else {
        ServiceSocket::At(socket.to_string())
    }
}

/// The first Unix socket a server listens on: the one its option files name, else its usual places.
pub fn find_socket(t: &mut dyn Transport) -> Result<Option<String>, FactsError> {
    let script = r#"for s in $(my_print_defaults mysqld server mariadb mariadbd client-server client 2>/dev/null | sed -n 's/^--socket=//p') \
  /run/mysqld/mysqld.sock /var/run/mysqld/mysqld.sock /run/mariadbd/mysqld.sock /run/mariadbd/mariadbd.sock /tmp/mysql.sock; do
  if [ -S "$s" ]; then echo "$s"; break; fi
done
true"#;
    let out = t.check(script, &[])?.stdout_text();
    Ok(out
        .lines()
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string))
}

/// `/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu ...`
pub fn binary_version(line: &str) -> Option<ServerVersion> {
    let version = line.split_whitespace().skip_while(|w| *w != "Ver").nth(1)?;
    ServerVersion::from_server(version, line).ok()
}

#[cfg(test)]
mod tests {
    use super::binary_version;
    use crate::flavor::Family;

    #[test]
    fn reads_the_installed_binary_version() {
        let v = binary_version(
            "/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)",
        );
        assert_eq!(
            v.map(|v| (v.family, v.major, v.minor, v.patch)),
            Some((Family::MariaDb, 10, 11, 19))
        );
        let v = binary_version(
            "/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)",
        );
        assert_eq!(v.map(|v| (v.family, v.major)), Some((Family::MySql, 8)));
    }

    /// The probe's datadir line, run by the local shell for `wanted`.
    fn probed_datadir(wanted: &super::Wanted) -> String {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(super::script(wanted, false))
            .output()
            .expect("sh runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("datadir=").map(str::to_string))
            .expect("the probe says what the datadir holds")
    }

    #[test]
    fn a_datadir_the_playbook_does_not_name_is_read_where_mmprovs_config_puts_it() {
        // A server that is down, whose config (mmprov's) puts its data elsewhere than the package default.
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("mariadb");
        std::fs::create_dir(&data).expect("datadir");
        let config = dir.path().join("60-mmprov.cnf");
        std::fs::write(
            &config,
            format!("[client]\ndatadir = /nowhere\n[mysqld]\nserver-id = 1\ndatadir                        = {}/\n", data.display()),
        )
        .expect("config");
        let mut wanted = super::Wanted {
            config_path: Some(config.display().to_string()),
            variables: Vec::new(),
            replication_user: None,
            files: Vec::new(),
            socket: "/run/mysqld/mysqld.sock".into(),
            socket_named: false,
            datadir: None,
        };
        assert_eq!(
            probed_datadir(&wanted),
            "empty",
            "the config's datadir, not the package's"
        );
        std::fs::write(data.join("ibdata1"), b"x").expect("a data file");
        assert_eq!(
            probed_datadir(&wanted),
            "foreign",
            "it holds the server's files"
        );
        // The playbook's own datadir is read as named.
        wanted.datadir = Some(dir.path().join("new").display().to_string());
        assert_eq!(probed_datadir(&wanted), "missing");
    }
}
