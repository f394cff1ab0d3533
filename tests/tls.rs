//! Replication over TLS (`replication_tls`) on the lab's real hosts: a plan refuses when a host lacks the
//! certificate files; a plain replicating pair is moved onto TLS by one apply (servers restarted with their
//! certificates, accounts that require TLS, replicas switched with their position kept); a connection
//! without TLS is then refused; a second apply changes nothing.

mod support;

use std::path::Path;
use std::process::Command;

use support::lab::Lab;
use support::text;

const TLS_DIR: &str = "/etc/mysql/mmprov-test-tls";
const PASSWORD: &str = "tls-repl-pw";

support::run_with!(PASSWORD);

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        text(&out.stderr)
    );
}

/// A CA, and for each host a certificate for its address, installed on the host at the same paths.
fn install_certificates(lab: &Lab, hosts: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=mmprov test CA",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
        ],
    );
    for host in hosts {
        let address = lab.address(host);
        std::fs::write(d.join("ext.cnf"), format!("subjectAltName=IP:{address}\n"))
            .expect("write ext");
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={address}"),
                "-keyout",
                "key.pem",
                "-out",
                "req.pem",
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "req.pem",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
                "-out",
                "cert.pem",
            ],
        );
        let mut script = format!("set -e; mkdir -p {TLS_DIR}; ");
        for name in ["ca.pem", "cert.pem", "key.pem"] {
            let content = std::fs::read_to_string(d.join(name)).expect("read pem");
            script.push_str(&format!("printf '%s' '{content}' > {TLS_DIR}/{name}; "));
        }
        script.push_str(&format!(
            "chown -R mysql:mysql {TLS_DIR}; chmod 600 {TLS_DIR}/key.pem"
        ));
        let out = lab.ssh(host, &script);
        assert!(out.status.success(), "{host}: {}", text(&out.stderr));
    }
}

fn playbook(lab: &Lab, dir: &Path, tls: bool, ca: &str) -> std::path::PathBuf {
    let file = dir.join("tls.yml");
    let mut text = format!(
        "inventory: {}\nplays:\n  - name: tls pair\n    hosts: pair\n    vars:\n      \
         replication_password: {{ env: MMPROV_REPL_PASSWORD }}\n",
        lab.inventory_yaml().display()
    );
    if tls {
        text.push_str(&format!(
            "      replication_tls:\n        ca: {ca}\n        cert: {TLS_DIR}/cert.pem\n        key: {TLS_DIR}/key.pem\n"
        ));
    }
    std::fs::write(&file, text).expect("write playbook");
    file
}

#[test]
fn a_plain_pair_moves_onto_tls_in_one_apply_and_plain_connections_are_refused() {
    let lab = Lab::require(2);
    for host in ["h1", "h2"] {
        lab.reset_server(host);
        let _ = lab.ssh(host, &format!("rm -rf {TLS_DIR}"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = playbook(&lab, dir.path(), false, "");
    let (code, out, err) = run(&["apply", plain.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    lab.sql("h1", "CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY); INSERT INTO shop.t VALUES (1)");
    assert_eq!(lab.wait_for("h2", "SELECT COUNT(*) FROM shop.t", "1"), "1");

    // No certificates on the hosts yet: refused at plan time, nothing changed.
    let with_tls = playbook(&lab, dir.path(), true, &format!("{TLS_DIR}/ca.pem"));
    let before = lab.mysqld_pid("h1");
    let (code, out, err) = run(&["apply", with_tls.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!(
            "h1 lacks the replication_tls files: ca {TLS_DIR}/ca.pem"
        )),
        "{err}"
    );
    assert_eq!(lab.mysqld_pid("h1"), before, "nothing was restarted");

    install_certificates(&lab, &["h1", "h2"]);
    let (code, plan, err) = run(&["plan", with_tls.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    // MariaDB starts with no certificate; MySQL with one it generated for itself.
    let had = if lab.is_mysql() {
        "server-cert.pem"
    } else {
        "(empty)"
    };
    assert!(
        plan.contains(&format!("ssl_cert is {had}, wants {TLS_DIR}/cert.pem")),
        "{plan}"
    );
    assert!(plan.contains("TLS required"), "{plan}");
    assert!(
        plan.contains("~ h2: replicate from h1, over TLS with CA /etc/mysql/mmprov-test-tls/ca.pem, the source's certificate verified; source, account and position kept"),
        "{plan}"
    );
    let (code, out, err) = run(&["apply", with_tls.to_str().expect("utf-8"), "--yes"]);
    assert_eq!(code, 0, "{out}{err}");

    for (host, source) in [("h1", "h2"), ("h2", "h1")] {
        let field = |name: &str| lab.replica_field(host, name);
        assert_eq!(field("Master_SSL_Allowed"), "Yes", "{host}");
        assert_eq!(field("Master_SSL_Verify_Server_Cert"), "Yes", "{host}");
        assert_eq!(field("Slave_IO_Running"), "Yes", "{host}");
        let account = lab.sql(
            source,
            &format!(
                "SELECT ssl_type FROM mysql.user WHERE User = 'repl' AND Host = '{}'",
                lab.address(host)
            ),
        );
        assert_eq!(account, "ANY", "the account on {source} requires TLS");
    }
    lab.sql("h2", "INSERT INTO shop.t VALUES (2)");
    assert_eq!(
        lab.wait_for("h1", "SELECT COUNT(*) FROM shop.t", "2"),
        "2",
        "replicates over TLS"
    );

    // The account on h1 refuses a plain connection from h2.
    let plain_login = lab.ssh(
        "h2",
        &format!(
            "{} {} -h {} -urepl -p{PASSWORD} -e 'SELECT 1'",
            lab.client(),
            if lab.is_mysql() {
                "--ssl-mode=DISABLED"
            } else {
                "--skip-ssl"
            },
            lab.address("h1")
        ),
    );
    assert!(
        !plain_login.status.success(),
        "a plain connection must be refused"
    );
    assert!(
        text(&plain_login.stderr).contains("1045"),
        "{}",
        text(&plain_login.stderr)
    );

    let (code, out, err) = run(&[
        "plan",
        with_tls.to_str().expect("utf-8"),
        "--detailed-exitcode",
    ]);
    assert_eq!(code, 0, "converged: {out}{err}");
    // The servers' config names the certificates: it goes first (the servers restart without it), so no
    // later test restarts a server into files that are gone.
    for host in ["h1", "h2"] {
        lab.reset_server(host);
        lab.ssh_ok(host, &format!("rm -rf {TLS_DIR}"));
    }
}
