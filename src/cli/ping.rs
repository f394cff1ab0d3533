//! `mmprov ping`: reach every host of the playbook at once through the engine and print whether SSH and
//! mysqld answer.

use std::path::Path;

use super::shell::Shell;
use crate::engine::Engine;
use crate::error::Error;
use crate::load::{self, LoadOptions};

/// Under `-q` only the hosts that failed are listed.
pub fn run(playbook: &Path, options: &LoadOptions, shell: &mut Shell<'_>) -> Result<(), Error> {
    let project = load::load(playbook, options)?;
    let pinged = Engine::reading(&project, 1).ping();
    let total = pinged.len();
    let mut failed = Vec::new();
    for p in pinged {
        let host = p.host;
        let target = format!("{}@{}:{}", host.user, host.address, host.port);
        match p.answer {
            Ok(pong) => shell.ok(format!(
                "{:<12} {target:<24} hostname={} mysqld: {}",
                host.name, pong.hostname, pong.mysqld
            ))?,
            Err(e) => {
                shell.fail(format!("{:<12} {target:<24} {e}", host.name))?;
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
