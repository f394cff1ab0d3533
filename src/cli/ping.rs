//! `mmprov ping`: reach every host of the playbook at once through the engine and print whether SSH and
//! mysqld answer.

use std::io::Write;
use std::path::Path;

use crate::engine::Engine;
use crate::error::Error;
use crate::load::{self, LoadOptions};

/// `quiet`: only the hosts that failed are listed.
pub fn run(
    playbook: &Path,
    options: &LoadOptions,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = load::load(playbook, options)?;
    let pinged = Engine::reading(&project, 1).ping();
    let total = pinged.len();
    let mut failed = Vec::new();
    for p in pinged {
        let host = p.host;
        let target = format!("{}@{}:{}", host.user, host.address, host.port);
        match p.answer {
            Ok(_) if quiet => {}
            Ok(pong) => writeln!(
                out,
                "{:<12} ok   {target:<24} hostname={} mysqld: {}",
                host.name, pong.hostname, pong.mysqld
            )?,
            Err(e) => {
                writeln!(out, "{:<12} FAIL {target:<24} {e}", host.name)?;
                failed.push(e.into());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::Unreachable { total, failed })
    }
}
