//! OpenSSH command-line options as an Ansible inventory passes them (`ansible_ssh_common_args`,
//! `ansible_ssh_extra_args`), read the way `ssh` reads them. Pure.
//!
//! The text is split into words as Ansible splits it (`shlex.split`), so a quoted `ProxyCommand="ssh -o
//! StrictHostKeyChecking=no -W %h:%p bastion"` is one option whose `-o` belongs to the bastion's ssh, never
//! to the target. Understood: `-o Key=Value` (also `-oKey=Value` and `-o "Key Value"`) for
//! UserKnownHostsFile, StrictHostKeyChecking, ConnectTimeout, ProxyJump and ProxyCommand; `-J jumps`. As in
//! OpenSSH, the first value given for an option is the one used. Other flags and options are left alone.

use std::time::Duration;

use crate::model::{JumpHost, SshOptions};

/// Apply `args` to `ssh`; what cannot be read is said in words (the caller points at the variable).
pub fn apply(args: &str, ssh: &mut SshOptions, seen: &mut Seen) -> Result<(), String> {
    let words =
        super::shlex::words(args).map_err(|e| format!("cannot be split into words: {e}"))?;
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let option = match word.as_str() {
            "-o" => words.next().ok_or("-o without an option")?,
            "-J" => format!("ProxyJump={}", words.next().ok_or("-J without a host")?),
            w if w.starts_with("-o") => w[2..].to_string(),
            w if w.starts_with("-J") => format!("ProxyJump={}", &w[2..]),
            _ => continue,
        };
        set_option(&option, ssh, seen)?;
    }
    if ssh.proxy_command.is_some() && !ssh.jump.is_empty() {
        return Err("both ProxyJump and ProxyCommand are set: give one".into());
    }
    Ok(())
}

/// The options already set: OpenSSH keeps the first value it is given for each.
#[derive(Debug, Default)]
pub struct Seen(std::collections::BTreeSet<String>);

fn set_option(option: &str, ssh: &mut SshOptions, seen: &mut Seen) -> Result<(), String> {
    let (key, value) = option
        .split_once(['=', ' ', '\t'])
        .map(|(k, v)| (k.trim(), v.trim_start_matches(['=', ' ', '\t']).trim()))
        .ok_or_else(|| format!("`{option}` has no value"))?;
    let key = key.to_ascii_lowercase();
    if !seen.0.insert(key.clone()) {
        return Ok(());
    }
    match key.as_str() {
        "userknownhostsfile" => ssh.known_hosts = Some(super::expand_home(value)),
        "stricthostkeychecking" => {
            ssh.strict_host_key_checking =
                !matches!(value.to_ascii_lowercase().as_str(), "no" | "off")
        }
        "connecttimeout" => {
            let secs = value
                .parse()
                .map_err(|_| "ConnectTimeout is not a number of seconds".to_string())?;
            ssh.connect_timeout = Duration::from_secs(secs);
        }
        "proxyjump" => ssh.jump = jump_hosts(value)?,
        "proxycommand" if value.eq_ignore_ascii_case("none") => ssh.proxy_command = None,
        "proxycommand" => ssh.proxy_command = Some(value.to_string()),
        _ => {}
    }
    Ok(())
}

/// A ProxyJump value: `none`, or bastions separated by commas, each `[user@]host[:port]` or
/// `ssh://[user@]host[:port]`.
pub fn jump_hosts(value: &str) -> Result<Vec<JumpHost>, String> {
    if value.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    value.split(',').map(jump_host).collect()
}

fn jump_host(spec: &str) -> Result<JumpHost, String> {
    let spec = spec.trim();
    let bare = spec.strip_prefix("ssh://").unwrap_or(spec);
    let (user, rest) = match bare.rsplit_once('@') {
        Some((user, rest)) => (Some(user.to_string()), rest),
        None => (None, bare),
    };
    let (address, port) = match rest.strip_prefix('[') {
        // [v6]:port
        Some(v6) => {
            let (address, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("jump host `{spec}`: no closing `]`"))?;
            (address, after.strip_prefix(':'))
        }
        None => match rest.split_once(':') {
            Some((address, port)) => (address, Some(port)),
            None => (rest, None),
        },
    };
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("jump host `{spec}`: `{p}` is not a port"))?,
        ),
        None => None,
    };
    if address.is_empty() || user.as_deref() == Some("") {
        return Err(format!("jump host `{spec}` is not [user@]host[:port]"));
    }
    Ok(JumpHost {
        user,
        address: address.to_string(),
        port,
        key: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(args: &str) -> Result<SshOptions, String> {
        let mut ssh = SshOptions::default();
        apply(args, &mut ssh, &mut Seen::default()).map(|()| ssh)
    }

    #[test]
    fn options_inside_a_proxy_command_belong_to_it_not_to_the_target() {
        let ssh = read(r#"-o ProxyCommand="ssh -o StrictHostKeyChecking=no -W %h:%p bastion" -o ConnectTimeout=7"#)
            .expect("reads");
        assert!(ssh.strict_host_key_checking, "the target is still checked");
        assert_eq!(
            ssh.proxy_command.as_deref(),
            Some("ssh -o StrictHostKeyChecking=no -W %h:%p bastion")
        );
        assert_eq!(ssh.connect_timeout, Duration::from_secs(7));
    }

    #[test]
    fn proxy_jump_takes_chains_users_ports_and_both_spellings() {
        let ssh = read("-J ops@b1:2222,b2 -o StrictHostKeyChecking=yes").expect("reads");
        assert_eq!(
            ssh.jump,
            vec![
                JumpHost {
                    user: Some("ops".into()),
                    address: "b1".into(),
                    port: Some(2222),
                    key: None,
                },
                JumpHost {
                    user: None,
                    address: "b2".into(),
                    port: None,
                    key: None,
                },
            ]
        );
        let ssh = read("-oProxyJump=ssh://[2001:db8::1]:2200").expect("reads");
        assert_eq!(ssh.jump[0].address, "2001:db8::1");
        assert_eq!(ssh.jump[0].port, Some(2200));
        let ssh = read("-o 'ProxyJump b3'").expect("reads");
        assert_eq!(ssh.jump[0].address, "b3");
    }

    #[test]
    fn the_first_value_of_an_option_is_the_one_used_as_in_openssh() {
        let ssh = read("-o StrictHostKeyChecking=yes -o StrictHostKeyChecking=no").expect("reads");
        assert!(ssh.strict_host_key_checking);
    }

    #[test]
    fn unreadable_options_are_refused() {
        for bad in [
            "-o ConnectTimeout=soon",
            "-J b1:99999",
            "-J @b1",
            "-o",
            "-o ProxyCommand=x -J b1",
            "-o 'ProxyJump=b1",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
