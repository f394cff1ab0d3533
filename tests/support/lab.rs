//! The lab of real hosts raised by `lab/lab.sh up N`: network namespaces with their own sshd and MariaDB.
//! Tests that need it fail (never skip) when it is not up, with the command that raises it.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use mmprov::model::{Connection, FileId, Host, Span, SshOptions};

pub struct Lab {
    pub dir: PathBuf,
}

pub struct LabHost {
    pub name: String,
    pub address: String,
}

impl Lab {
    /// The running lab with at least `hosts` hosts.
    pub fn require(hosts: usize) -> Lab {
        let dir = std::env::var_os("MMPROV_LAB_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| super::root().join("lab/.state"));
        let lab = Lab { dir };
        let have = lab.hosts().len();
        assert!(
            have >= hosts && lab.dir.join("inventory.yml").is_file(),
            "the lab is not up with {hosts} hosts (found {have} in {}): run `lab/lab.sh up {hosts}` as root",
            lab.dir.display()
        );
        lab
    }

    pub fn hosts(&self) -> Vec<LabHost> {
        self.listed("inventory.ini", 'h')
    }

    /// The lab with at least `hosts` hosts behind the bastion h3 (`lab/lab.sh behind N`).
    pub fn require_behind(hosts: usize) -> Lab {
        let lab = Lab::require(3);
        let have = lab.behind().len();
        assert!(
            have >= hosts,
            "the lab has {have} hosts behind its bastion, not {hosts}: run `MMPROV_LAB_DIR={} lab/lab.sh behind {hosts}` as root",
            lab.dir.display()
        );
        lab
    }

    /// The hosts behind the bastion: p1, p2, ... on a network this machine cannot reach.
    pub fn behind(&self) -> Vec<LabHost> {
        self.listed("behind.ini", 'p')
    }

    /// Bare hosts `names` (b1..b9), each booted again from nothing: no server package, an empty data
    /// directory, the lab's local package source as its own (`lab/lab.sh bare`).
    pub fn fresh_bare(&self, names: &[&str]) -> Vec<LabHost> {
        let out = Command::new(super::root().join("lab/lab.sh"))
            .arg("bare")
            .args(names)
            .env("MMPROV_LAB_DIR", &self.dir)
            .output()
            .expect("lab.sh runs");
        assert!(
            out.status.success(),
            "lab.sh bare {names:?} failed (it needs root and `lab/lab.sh install`): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let hosts = self.listed("bare.ini", 'b');
        names
            .iter()
            .map(|n| {
                hosts
                    .iter()
                    .find(|h| h.name == *n)
                    .map(|h| LabHost {
                        name: h.name.clone(),
                        address: h.address.clone(),
                    })
                    .expect("a bare host lab.sh raised")
            })
            .collect()
    }

    /// The key that signs the lab's local package source (ASCII-armored): the machine's server packages for
    /// the default lab, the family image's own for a lab of Debian's newest suite.
    pub fn package_key(&self) -> PathBuf {
        if self.dir.join("server").is_file() {
            return std::env::var_os("MMPROV_LAB_IMAGES")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/var/cache/mmlab-images"))
                .join(self.server())
                .join("debs/key.asc");
        }
        std::env::var_os("MMPROV_LAB_DEBS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/mmlab-debs"))
            .join("key.asc")
    }

    fn listed(&self, file: &str, prefix: char) -> Vec<LabHost> {
        let Ok(text) = std::fs::read_to_string(self.dir.join(file)) else {
            return Vec::new();
        };
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let name = words.next()?.to_string();
                let address = words
                    .find_map(|w| w.strip_prefix("ansible_host="))?
                    .to_string();
                Some(LabHost { name, address })
            })
            .collect()
    }

    pub fn key(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    pub fn inventory_yaml(&self) -> PathBuf {
        self.dir.join("inventory.yml")
    }

    pub fn inventory_ini(&self) -> PathBuf {
        self.dir.join("inventory.ini")
    }

    pub fn address(&self, name: &str) -> String {
        self.hosts()
            .into_iter()
            .chain(self.behind())
            .chain(self.listed("bare.ini", 'b'))
            .find(|h| h.name == name)
            .map(|h| h.address)
            .expect("a lab host of that name")
    }

    /// Run a command on a lab host with the system's OpenSSH client (independent of mmprov's transport);
    /// a host behind the bastion through it.
    pub fn ssh(&self, name: &str, command: &str) -> Output {
        let options = format!(
            "-i {} -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR",
            self.key().display(),
            self.known_hosts().display()
        );
        let mut ssh = Command::new("ssh");
        ssh.args(options.split(' '));
        if name.starts_with('p') {
            ssh.arg("-o").arg(format!(
                "ProxyCommand=ssh {options} -W %h:%p root@{}",
                self.address("h3")
            ));
        }
        ssh.arg(format!("root@{}", self.address(name)))
            .arg(command)
            .output()
            .expect("ssh runs")
    }

    /// The inventory entry mmprov would build for a lab host.
    pub fn host(&self, name: &str) -> Host {
        Host {
            name: name.to_string(),
            address: self.address(name),
            port: 22,
            user: "root".into(),
            key: Some(self.key()),
            connection: Connection::Ssh,
            ssh: SshOptions {
                known_hosts: Some(self.known_hosts()),
                strict_host_key_checking: true,
                connect_timeout: Duration::from_secs(5),
                command_timeout: Duration::from_secs(60),
                ..Default::default()
            },
            run_as: None,
            server_id: None,
            auto_increment_offset: None,
            service: Default::default(),
            mysqld: Default::default(),
            declared_at: Span {
                file: FileId(0),
                offset: 0,
                len: 0,
            },
        }
    }
}

impl Lab {
    /// The server the lab's hosts run, as `lab.sh up --server` recorded it (`mysql-9.7`, `mariadb-11.8`);
    /// the machine's own MariaDB 10.11 when none was named.
    pub fn server(&self) -> String {
        std::fs::read_to_string(self.dir.join("server"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "mariadb-10.11".into())
    }

    pub fn is_mysql(&self) -> bool {
        self.server().starts_with("mysql")
    }

    /// The lab's server as mmprov names it in a plan: `MySQL 9.7`, `MariaDB 11.8`.
    pub fn server_title(&self) -> String {
        let server = self.server();
        let (family, series) = server
            .split_once('-')
            .expect("a server named family-series");
        let family = if family == "mysql" {
            "MySQL"
        } else {
            "MariaDB"
        };
        format!("{family} {series}")
    }

    /// The server's own program, as its packages install it.
    pub fn server_program(&self) -> &'static str {
        if self.is_mysql() {
            "mysqld"
        } else {
            "mariadbd"
        }
    }

    /// The hosts' SQL client.
    pub fn client(&self) -> &'static str {
        if self.is_mysql() { "mysql" } else { "mariadb" }
    }

    /// The hosts' admin client (`shutdown`, `ping`).
    pub fn admin(&self) -> &'static str {
        if self.is_mysql() {
            "mysqladmin"
        } else {
            "mariadb-admin"
        }
    }

    /// The shell command that restarts the host's server, through systemd where it runs.
    pub fn restart_command(&self) -> String {
        self.service_command("restart")
    }

    /// The shell command that runs `action` (`stop`, `start`, `restart`) on the host's server, through
    /// systemd where it runs.
    pub fn service_command(&self, action: &str) -> String {
        let unit = if self.is_mysql() { "mysql" } else { "mariadb" };
        format!(
            "if [ -d /run/systemd/system ]; then systemctl {action} {unit}; else service {unit} {action} >/dev/null; fi"
        )
    }

    /// The host's end of its link to the lab's bridge, in the machine's namespace (`ip link set ... down`
    /// cuts the host off). Each family's lab names its hosts' namespaces apart, so a cut never reaches
    /// another lab's host of the same name.
    pub fn link_of(&self, name: &str) -> String {
        let prefix = match self.server().as_str() {
            "mysql-9.7" => "mmlab-my-",
            "mariadb-11.8" => "mmlab-mb-",
            _ => "mmlab-",
        };
        format!("{prefix}{name}-b")
    }

    /// Where mmprov writes its config on the lab's hosts when the playbook names no `config_path`.
    pub fn config_path(&self) -> &'static str {
        if self.is_mysql() {
            "/etc/mysql/mysql.conf.d/zz-mmprov.cnf"
        } else {
            "/etc/mysql/mariadb.conf.d/60-mmprov.cnf"
        }
    }

    /// The host's data directory as its server reports it, without the trailing `/`.
    pub fn datadir(&self, name: &str) -> String {
        self.sql(name, "SELECT @@datadir")
            .trim_end_matches('/')
            .to_string()
    }

    /// The folders a physical seed set the host's old files aside in: beside its datadir, or inside it where
    /// the datadir is a mount of its own (the default lab's hosts bind-mount theirs), in name order.
    pub fn set_aside(&self, name: &str) -> Vec<String> {
        let d = self.datadir(name);
        self.ssh_ok(
            name,
            &format!("ls -d {d}.mmprov-old-* {d}/.mmprov-old-datadir-* 2>/dev/null || true"),
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// Remove what [`Lab::set_aside`] lists.
    pub fn remove_set_aside(&self, name: &str) {
        let d = self.datadir(name);
        self.ssh_ok(
            name,
            &format!("rm -rf {d}.mmprov-old-* {d}/.mmprov-old-datadir-*"),
        );
    }

    /// Whether the host's datadir is a mount of its own.
    pub fn datadir_is_mount(&self, name: &str) -> bool {
        let d = self.datadir(name);
        match self
            .ssh_ok(
                name,
                &format!("if mountpoint -q {d}; then echo yes; else echo no; fi"),
            )
            .as_str()
        {
            "yes" => true,
            "no" => false,
            other => panic!("{name}: asking whether {d} is a mount answered {other:?}"),
        }
    }

    /// The server's UUID where it keeps one in its data directory (MySQL's `auto.cnf`): a copied data
    /// directory keeps it. `None` on MariaDB, which has none.
    pub fn server_uuid(&self, name: &str) -> Option<String> {
        self.is_mysql()
            .then(|| self.sql(name, "SELECT @@server_uuid"))
    }

    /// Whether both replication threads of the host run, as its replica status says.
    pub fn replica_runs(&self, name: &str) -> bool {
        self.replica_field(name, "Slave_IO_Running") == "Yes"
            && self.replica_field(name, "Slave_SQL_Running") == "Yes"
    }

    /// The host's replica threads and errors, for a failure message.
    pub fn replica_summary(&self, name: &str) -> String {
        [
            "Slave_IO_Running",
            "Slave_SQL_Running",
            "Last_IO_Error",
            "Last_SQL_Error",
        ]
        .iter()
        .map(|f| format!("{f}: {}", self.replica_field(name, f)))
        .collect::<Vec<_>>()
        .join("; ")
    }

    /// Stop the host's server as its init would.
    pub fn stop_server(&self, name: &str) {
        self.ssh_ok(name, &self.service_command("stop"));
    }

    /// One field of the host's replica status, named as MariaDB names it (`Master_User`, `Slave_SQL_Running`);
    /// MySQL's name (`Source_User`, `Replica_SQL_Running`) is read on MySQL. Empty when it replicates from
    /// nothing; a status without the field fails the test.
    pub fn replica_field(&self, name: &str, field: &str) -> String {
        let (statement, field) = if self.is_mysql() {
            let field = field
                .replace("Master", "Source")
                .replace("Slave", "Replica");
            ("SHOW REPLICA STATUS", field)
        } else {
            ("SHOW SLAVE STATUS", field.to_string())
        };
        let status = self.ssh_ok(
            name,
            &format!("{} --vertical -e '{statement}'", self.client()),
        );
        if status.is_empty() {
            return String::new();
        }
        // A replica that reports no such field is a misspelt field, never "empty".
        status
            .lines()
            .find_map(|line| line.trim_start().strip_prefix(&format!("{field}:")))
            .map(|value| value.trim().to_string())
            .unwrap_or_else(|| panic!("{name}: its replica status has no field {field}:\n{status}"))
    }

    /// Stop the host's replica and point it at its source as another account, its position kept.
    pub fn replicate_as(&self, name: &str, user: &str) {
        let sql = if self.is_mysql() {
            format!("STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_USER = '{user}'")
        } else {
            format!("STOP SLAVE; CHANGE MASTER TO MASTER_USER = '{user}'")
        };
        self.sql(name, &sql);
    }

    /// Whether `user` logs in to `source` from `name` with `password`, over the network.
    pub fn logs_in(&self, name: &str, source: &str, user: &str, password: &str) -> bool {
        let password = format!("'{}'", password.replace('\'', r"'\''"));
        self.ssh(
            name,
            &format!(
                "{} -h {} -u {user} -p{password} -NBe 'SELECT 1'",
                self.client(),
                self.address(source)
            ),
        )
        .status
        .success()
    }

    /// Put a host back to a fresh server: no replication, no test schemas or replication accounts, no mmprov
    /// config (nor backups), its binary logs and GTID history emptied, server restarted.
    pub fn reset_server(&self, name: &str) {
        // The replication accounts, and the application accounts the suites create.
        let accounts: Vec<String> = self
            .hosts()
            .iter()
            .chain(self.behind().iter())
            .map(|h| format!("'repl'@'{}'", h.address))
            .chain(["'app'@'localhost'".into(), "'app'@'%'".into()])
            .collect();
        let (stop, forget, reset) = if self.is_mysql() {
            (
                // A node left read-only (super_read_only) would refuse the rest.
                "SET GLOBAL super_read_only = OFF; STOP REPLICA",
                "RESET REPLICA ALL",
                "RESET BINARY LOGS AND GTIDS",
            )
        } else {
            (
                "STOP SLAVE",
                "RESET SLAVE ALL; SET GLOBAL gtid_slave_pos = ''",
                "RESET MASTER",
            )
        };
        let sql = format!(
            "SET sql_log_bin = 0; {stop}; {forget}; DROP DATABASE IF EXISTS shop; \
             DROP DATABASE IF EXISTS crm; DROP DATABASE IF EXISTS mmprov; DROP USER IF EXISTS {};",
            accounts.join(", ")
        );
        let client = self.client();
        // Emptied under mmprov's config and again under the server's own: logs left under either basename
        // would bring their GTIDs back at the next start that uses it.
        let reset_logs = format!(
            "if [ \"$({client} -NBe 'SELECT @@log_bin')\" = 1 ]; then {client} -e '{reset}'; fi"
        );
        let out = self.ssh(
            name,
            &format!(
                "{client} -e {} && {reset_logs} \
                 && rm -f /etc/mysql/mariadb.conf.d/60-mmprov.cnf /etc/mysql/mariadb.conf.d/60-mmprov.cnf.mmprov-backup-* \
                 /etc/mysql/mysql.conf.d/zz-mmprov.cnf /etc/mysql/mysql.conf.d/zz-mmprov.cnf.mmprov-backup-* \
                 && rm -rf /var/lib/mmprov/* && {} && {reset_logs}",
                shell_quote(&sql),
                self.restart_command()
            ),
        );
        assert!(
            out.status.success(),
            "reset {name}: {}",
            super::text(&out.stderr)
        );
    }

    /// h1 and h2 fresh (no old files set aside on h2 either), and `shop.orders` on h1 with `rows` rows.
    pub fn pair_with_shop(&self, rows: u32) {
        self.reset_server("h1");
        self.reset_server("h2");
        self.remove_set_aside("h2");
        // Rows from a cross join of digits: no sequence engine (MariaDB's) nor recursion limit (MySQL's).
        let digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
                      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
        self.sql(
            "h1",
            &format!(
                "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, \
                 item VARCHAR(50), node VARCHAR(10)); INSERT INTO shop.orders (item, node) \
                 SELECT 'seed', 'h1' FROM {digits} a, {digits} b, {digits} c, {digits} d, {digits} e, {digits} f \
                 LIMIT {rows}"
            ),
        );
    }

    /// One value from the host's server, through its own client.
    pub fn sql(&self, name: &str, query: &str) -> String {
        let out = self.ssh(
            name,
            &format!("{} -NBe {}", self.client(), shell_quote(query)),
        );
        assert!(
            out.status.success(),
            "{name}: {query}: {}",
            super::text(&out.stderr)
        );
        super::text(&out.stdout).trim_end().to_string()
    }

    /// Ask until the answer is `expected` (replication takes a moment), for at most 20 s; fails the test with
    /// the last answer when it never comes.
    pub fn wait_for(&self, name: &str, query: &str, expected: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.sql(name, query);
            if got == expected {
                return got;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{name}: `{query}` still answers {got:?} after 20 s, not {expected:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Run a command on a lab host that must succeed; the test fails (never reads "nothing") when it does not.
    pub fn ssh_ok(&self, name: &str, command: &str) -> String {
        let out = self.ssh(name, command);
        assert!(
            out.status.success(),
            "{name}: `{command}` failed ({}): {}",
            out.status,
            super::text(&out.stderr)
        );
        super::text(&out.stdout).trim_end().to_string()
    }

    /// The PID of the host's mysqld: unchanged means not restarted. Fails the test when it cannot be read.
    pub fn mysqld_pid(&self, name: &str) -> String {
        let pid = self.ssh_ok(
            name,
            &format!("cat \"$({} -NBe 'SELECT @@pid_file')\"", self.client()),
        );
        assert!(
            !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()),
            "{name}: mysqld.pid holds {pid:?}, not a PID"
        );
        pid
    }

    /// A playbook for the lab pair in `dir`, with `extra_vars` (YAML lines at the vars level) added.
    pub fn pair_playbook(&self, dir: &std::path::Path, hosts: &str, extra_vars: &str) -> PathBuf {
        let path = dir.join("pair.yml");
        let mut text = format!(
            "inventory: {}\nplays:\n  - name: lab pair\n    hosts: {hosts}\n    roles: [server]\n    vars:\n      \
             max_binlog_size: 100M\n",
            self.inventory_yaml().display()
        );
        for line in extra_vars.lines() {
            text.push_str(&format!("      {line}\n"));
        }
        std::fs::write(&path, text).expect("write playbook");
        path
    }
}

impl Lab {
    /// Whether a file exists on a lab host.
    /// Fails the test when the host cannot be asked: an unreachable host is not a host without the file.
    pub fn file_exists(&self, name: &str, path: &str) -> bool {
        let answer = self.ssh_ok(
            name,
            &format!(
                "if test -e {0}; then echo present; else echo absent; fi",
                shell_quote(path)
            ),
        );
        match answer.as_str() {
            "present" => true,
            "absent" => false,
            other => panic!("{name}: asking for {path} answered {other:?}"),
        }
    }

    /// An INI inventory of h1 and a host `ghost` at a lab address where nothing answers, in group `pair`.
    pub fn inventory_with_ghost(&self, dir: &std::path::Path) -> PathBuf {
        let inventory = dir.join("hosts.ini");
        std::fs::write(
            &inventory,
            format!(
                "[pair]\nh1 ansible_host={} server_id=1\nghost ansible_host=10.213.7.250 server_id=2\n\n[all:vars]\n\
                 ansible_user=root\nansible_ssh_private_key_file={}\n\
                 ansible_ssh_common_args='-o UserKnownHostsFile={} -o ConnectTimeout=1'\n",
                self.address("h1"),
                self.key().display(),
                self.known_hosts().display()
            ),
        )
        .expect("write inventory");
        inventory
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
