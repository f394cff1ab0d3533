//! The Transport against real hosts: SSH to the lab with strict host-key checking, and the local backend.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use mmprov::transport::{FileAttrs, LocalTransport, SshTransport, Transport, TransportError};
use support::lab::Lab;

fn lab_transport(lab: &Lab, name: &str) -> SshTransport {
    match SshTransport::connect(&lab.host(name)) {
        Ok(t) => t,
        Err(e) => panic!("connect to {name}: {e:?}"),
    }
}

fn local() -> LocalTransport {
    LocalTransport::new("local", Duration::from_secs(30))
}

/// Behaviour every backend must share.
fn exercise(t: &mut dyn Transport, scratch: &str) {
    let out = t.exec("echo out; echo err >&2; exit 3").expect("runs");
    assert_eq!(
        (out.status, out.stdout_text(), out.stderr_text()),
        (3, "out\n".into(), "err\n".into())
    );

    // A command that closes its output and goes on working (as `mysqld --initialize` does, its output sent to
    // its error log) is waited for: its status is its own, whatever the quiet between the two.
    let out = t
        .exec("echo before; exec >/dev/null 2>&1; sleep 3; exit 7")
        .expect("waited for past the end of its output");
    assert_eq!((out.status, out.stdout_text()), (7, "before\n".into()));

    // Large stdin while the command also fills stderr: must not deadlock, and nothing may be lost.
    let input = vec![b'x'; 8 * 1024 * 1024];
    let out = t
        .exec_with_input("head -c 2000000 /dev/zero >&2; wc -c", &input)
        .expect("runs");
    assert_eq!(out.stdout_text().trim(), "8388608");
    assert_eq!(out.stderr.len(), 2_000_000);

    assert!(matches!(
        t.check("false", &[]),
        Err(TransportError::CommandFailed { status: 1, .. })
    ));

    t.check(&format!("rm -rf {scratch}; mkdir -p {scratch}"), &[])
        .expect("scratch dir");
    let path = format!("{scratch}/it's a file.cnf");
    assert_eq!(t.read_file(&path).expect("reads"), None);
    let attrs = FileAttrs {
        mode: 0o640,
        owner: Some("root".into()),
        group: Some("mysql".into()),
    };
    t.write_file(&path, b"[mysqld]\nserver-id = 1\n", &attrs)
        .expect("writes");
    t.write_file(&path, b"[mysqld]\nserver-id = 2\n", &attrs)
        .expect("replaces");
    assert_eq!(
        t.read_file(&path).expect("reads").as_deref(),
        Some(&b"[mysqld]\nserver-id = 2\n"[..])
    );
    let listing = t
        .check(
            &format!("cd {scratch} && ls -A && stat -c '%a %U %G' *"),
            &[],
        )
        .expect("lists");
    assert_eq!(
        listing.stdout_text(),
        "it's a file.cnf\n640 root mysql\n",
        "no temporary file is left behind"
    );

    let failed = t.write_file(
        &format!("{scratch}/no/such/dir/x.cnf"),
        b"x",
        &FileAttrs::default(),
    );
    assert!(
        matches!(failed, Err(TransportError::CommandFailed { .. })),
        "{failed:?}"
    );
    t.check(&format!("rm -rf {scratch}"), &[]).expect("cleanup");
}

#[test]
fn once_ssh_transport_runs_commands_and_writes_files_atomically() {
    let lab = Lab::require(2);
    let mut t = lab_transport(&lab, "h1");
    assert_eq!(t.exec("hostname").expect("runs").stdout_text(), "h1\n");
    exercise(
        &mut t,
        &format!("/tmp/mmprov-transport-{}", std::process::id()),
    );
}

#[test]
fn once_local_transport_behaves_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    exercise(
        &mut local(),
        &dir.path().join("scratch").display().to_string(),
    );
}

#[test]
fn once_a_command_past_its_timeout_is_an_error_naming_the_host() {
    let lab = Lab::require(1);
    let mut host = lab.host("h1");
    host.ssh.command_timeout = Duration::from_secs(1);
    let mut t = SshTransport::connect(&host).expect("connects");
    let err = t.exec("sleep 5").expect_err("times out");
    assert!(
        matches!(&err, TransportError::Timeout { host, .. } if host == "h1"),
        "{err:?}"
    );

    let mut l = LocalTransport::new("here", Duration::from_secs(1));
    assert!(matches!(
        l.exec("sleep 5"),
        Err(TransportError::Timeout { .. })
    ));
}

fn known_hosts_with(lines: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("known_hosts");
    std::fs::write(&file, lines).expect("write known_hosts");
    (dir, file)
}

fn lab_fingerprint(lab: &Lab, name: &str) -> String {
    let out = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(
            lab.dir
                .join(format!("hosts/{name}/etc-ssh/ssh_host_ed25519_key.pub")),
        )
        .output()
        .expect("ssh-keygen runs");
    assert!(out.status.success(), "ssh-keygen -lf failed for {name}");
    let said = support::text(&out.stdout);
    let fingerprint = said.split_whitespace().nth(1).unwrap_or_default();
    assert!(
        fingerprint.starts_with("SHA256:"),
        "{name}: no fingerprint in {said:?}"
    );
    fingerprint.to_string()
}

#[test]
fn once_an_unknown_host_key_is_refused_naming_its_fingerprint() {
    let lab = Lab::require(1);
    let (_dir, empty) = known_hosts_with("");
    let mut host = lab.host("h1");
    host.ssh.known_hosts = Some(empty);
    match SshTransport::connect(&host) {
        Err(TransportError::UnknownHostKey {
            host, fingerprint, ..
        }) => {
            assert_eq!(host, "h1");
            assert_eq!(fingerprint, lab_fingerprint(&lab, "h1"));
        }
        Err(other) => panic!("wrong error: {other:?}"),
        Ok(_) => panic!("connected to a host whose key is not known"),
    }
}

#[test]
fn once_a_changed_host_key_is_refused_even_when_checking_is_relaxed() {
    let lab = Lab::require(2);
    // known_hosts claims h2's key belongs to h1's address: exactly what a changed key looks like.
    let h2_key = std::fs::read_to_string(lab.dir.join("hosts/h2/etc-ssh/ssh_host_ed25519_key.pub"))
        .expect("key");
    let fields: Vec<&str> = h2_key.split_whitespace().take(2).collect();
    let (_dir, file) = known_hosts_with(&format!("{} {}\n", lab.address("h1"), fields.join(" ")));
    let mut host = lab.host("h1");
    host.ssh.known_hosts = Some(file);
    host.ssh.strict_host_key_checking = false;
    match SshTransport::connect(&host) {
        Err(TransportError::HostKeyChanged { fingerprint, .. }) => {
            assert_eq!(fingerprint, lab_fingerprint(&lab, "h1"));
        }
        Err(other) => panic!("wrong error: {other:?}"),
        Ok(_) => panic!("connected despite a changed host key"),
    }
}

#[test]
fn once_a_wrong_key_file_fails_authentication_clearly() {
    let lab = Lab::require(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("other_key");
    let made = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(made.success());
    let mut host = lab.host("h1");
    host.key = Some(key);
    assert!(matches!(
        SshTransport::connect(&host),
        Err(TransportError::Auth { .. })
    ));
}

#[test]
fn once_an_unreachable_address_fails_within_the_connect_timeout() {
    let lab = Lab::require(1);
    let mut host = lab.host("h1");
    host.address = "10.213.7.250".into(); // on the lab bridge, but no host there
    host.ssh.connect_timeout = Duration::from_secs(1);
    let started = std::time::Instant::now();
    assert!(matches!(
        SshTransport::connect(&host),
        Err(TransportError::Connect { .. })
    ));
    assert!(started.elapsed() < Duration::from_secs(10));
}
