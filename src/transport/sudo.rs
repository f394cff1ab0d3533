//! Ansible's become, through sudo: every command of a transport runs as another user (root by default).
//!
//! Whether sudo wants a password is asked once, when the transport opens (`sudo -k -n true`: with `-k`
//! no earlier success counts, so the answer holds for every later command, which uses `-k` too). Then:
//! - no password wanted (NOPASSWD): commands run with `sudo -n`, and a configured password is never sent;
//! - a password wanted: it is checked once (`sudo -k -S true`), before anything changes, and then goes
//!   first on each command's stdin, where `sudo -S` reads exactly its line and leaves the rest to the
//!   command. It is never in a command line, an environment or a log.
//!
//! SQL runs as the become user through the host's client: a forwarded socket would reach the server as the
//! login user, which `unix_socket` authentication does not know.

use std::io::{Read, Write};

use secrecy::{ExposeSecret, SecretString};

use super::{Finished, SocketStream, Transport, TransportError};
use crate::model::Become;
use crate::shell::quote;

pub struct Sudo<T> {
    inner: T,
    user: String,
    /// The password sudo reads on stdin; `None` when sudo asks for none.
    password: Option<SecretString>,
}

/// What sudo prints when the host's own name does not resolve; harmless, and not the command's.
const UNRESOLVED_HOST: &str = "sudo: unable to resolve host";

impl<T: Transport> Sudo<T> {
    /// Wrap `inner`, after checking that its login user may become `run_as.user` (with the password, when
    /// sudo wants one). Refused before any other command runs.
    pub fn new(mut inner: T, run_as: &Become) -> Result<Self, TransportError> {
        let user = run_as.user.clone();
        let probe = format!("sudo -k -n -u {} -- true", quote(&user));
        let without_password = inner.exec(&probe)?;
        if without_password.success() {
            return Ok(Self {
                inner,
                user,
                password: None,
            });
        }
        let refused = |detail: String, inner: &T| TransportError::Become {
            host: inner.host().to_string(),
            user: user.clone(),
            detail,
        };
        let stderr = clean_stderr(&without_password.stderr);
        if !stderr.contains("password") {
            // sudo missing, or the login user may not become this user at all.
            return Err(refused(stderr.trim().to_string(), &inner));
        }
        let Some(password) = run_as.password.clone() else {
            return Err(refused(
                "sudo wants a password and none is set (ansible_become_password, or the playbook's become.password)"
                    .into(),
                &inner,
            ));
        };
        let check = format!("sudo -k -S -p '' -u {} -- true", quote(&user));
        let line = zeroize::Zeroizing::new(password_line(&password));
        let checked = inner.exec_with_input(&check, &line)?;
        if !checked.success() {
            let stderr = clean_stderr(&checked.stderr);
            let detail = if stderr.contains("incorrect password") || stderr.contains("try again") {
                "the become password was not accepted".to_string()
            } else {
                stderr.trim().to_string()
            };
            return Err(refused(detail, &inner));
        }
        Ok(Self {
            inner,
            user,
            password: Some(password),
        })
    }

    fn wrap(&self, command: &str) -> String {
        let mode = match self.password {
            Some(_) => "-k -S -p ''",
            None => "-n",
        };
        format!(
            "sudo {mode} -H -u {} -- sh -c {}",
            quote(&self.user),
            quote(command)
        )
    }
}

fn password_line(password: &SecretString) -> Vec<u8> {
    let mut line = password.expose_secret().as_bytes().to_vec();
    line.push(b'\n');
    line
}

/// The command's own stderr: sudo's warning about the host's name is dropped.
fn clean_stderr(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| !l.starts_with(UNRESOLVED_HOST))
        .map(|l| format!("{l}\n"))
        .collect()
}

impl<T: Transport> Transport for Sudo<T> {
    fn host(&self) -> &str {
        self.inner.host()
    }

    fn run(
        &mut self,
        command: &str,
        stdin: &mut (dyn Read + Send),
        stdout: &mut (dyn Write + Send),
    ) -> Result<Finished, TransportError> {
        let wrapped = self.wrap(command);
        let mut finished = match &self.password {
            None => self.inner.run(&wrapped, stdin, stdout)?,
            Some(password) => {
                let line = zeroize::Zeroizing::new(password_line(password));
                let mut first = std::io::Cursor::new(line.as_slice()).chain(stdin);
                self.inner.run(&wrapped, &mut first, stdout)?
            }
        };
        finished.stderr = clean_stderr(&finished.stderr).into_bytes();
        Ok(finished)
    }

    fn open_socket(&mut self, path: &str) -> Result<Box<dyn SocketStream>, TransportError> {
        Err(TransportError::Socket {
            host: self.host().to_string(),
            path: path.to_string(),
            detail: format!(
                "SQL runs as {} through the host's client (a forwarded socket would log in as the SSH user)",
                self.user
            ),
            refused: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Every command a scripted host ran, with the stdin it was given.
    type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

    /// A host whose sudo wants `wants` as password (`None`: NOPASSWD), recording every command and stdin.
    struct SudoHost {
        wants: Option<&'static str>,
        seen: Seen,
    }

    impl Transport for SudoHost {
        fn host(&self) -> &str {
            "h1"
        }

        fn run(
            &mut self,
            command: &str,
            stdin: &mut (dyn Read + Send),
            stdout: &mut (dyn Write + Send),
        ) -> Result<Finished, TransportError> {
            let mut input = Vec::new();
            stdin.read_to_end(&mut input).expect("stdin");
            self.seen
                .lock()
                .expect("lock")
                .push((command.to_string(), input.clone()));
            let finish = |status: i32, err: &str| Finished {
                status,
                stderr: format!("{UNRESOLVED_HOST} h1: Name or service not known\n{err}")
                    .into_bytes(),
            };
            if command.contains(" -n ") {
                return Ok(match self.wants {
                    None => finish(0, ""),
                    Some(_) => finish(1, "sudo: a password is required\n"),
                });
            }
            let (line, rest) = input
                .iter()
                .position(|b| *b == b'\n')
                .map_or((&input[..], &[][..]), |i| (&input[..i], &input[i + 1..]));
            if Some(line) != self.wants.map(str::as_bytes) {
                return Ok(finish(1, "sudo: 1 incorrect password attempt\n"));
            }
            stdout.write_all(rest).expect("stdout");
            Ok(finish(0, ""))
        }
    }

    fn host(wants: Option<&'static str>) -> (SudoHost, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        (
            SudoHost {
                wants,
                seen: Arc::clone(&seen),
            },
            seen,
        )
    }

    fn become_with(password: Option<&str>) -> Become {
        Become {
            user: "root".into(),
            password: password.map(|p| SecretString::from(p.to_string())),
        }
    }

    #[test]
    fn the_password_goes_first_on_stdin_and_the_command_gets_the_rest() {
        let (h, seen) = host(Some("s3cret"));
        let mut sudo = Sudo::new(h, &become_with(Some("s3cret"))).expect("accepted");
        let out = sudo
            .exec_with_input("cat > /etc/x", b"payload")
            .expect("runs");
        assert!(out.success());
        assert_eq!(out.stdout, b"payload");
        assert!(out.stderr.is_empty(), "sudo's host warning is dropped");
        for (command, _) in seen.lock().expect("lock").iter() {
            assert!(!command.contains("s3cret"), "{command}");
        }
        let last = seen
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("a command");
        assert_eq!(
            last.0,
            "sudo -k -S -p '' -H -u root -- sh -c 'cat > /etc/x'"
        );
    }

    #[test]
    fn a_nopasswd_sudoer_is_never_sent_the_password() {
        let (h, seen) = host(None);
        let mut sudo = Sudo::new(h, &become_with(Some("s3cret"))).expect("accepted");
        sudo.exec_with_input("cat", b"data").expect("runs");
        for (command, input) in seen.lock().expect("lock").iter() {
            assert!(
                command.starts_with("sudo -n") || command.starts_with("sudo -k -n"),
                "{command}"
            );
            assert!(!String::from_utf8_lossy(input).contains("s3cret"));
        }
    }

    #[test]
    fn a_wrong_or_missing_password_is_refused_before_any_command() {
        let (h, seen) = host(Some("right"));
        let err = Sudo::new(h, &become_with(Some("wrong")))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("h1"), "{err}");
        assert!(format!("{err:?}").contains("not accepted"), "{err:?}");
        assert_eq!(
            seen.lock().expect("lock").len(),
            2,
            "the probe and the check only"
        );
        let (h, _) = host(Some("right"));
        let err = Sudo::new(h, &become_with(None)).err().expect("refused");
        assert!(format!("{err:?}").contains("none is set"), "{err:?}");
    }

    #[test]
    fn sql_goes_through_the_client() {
        let (h, _) = host(None);
        let mut sudo = Sudo::new(h, &become_with(None)).expect("accepted");
        assert!(matches!(
            sudo.open_socket("/run/mysqld/mysqld.sock"),
            Err(TransportError::Socket { refused: true, .. })
        ));
    }
}
