//! `mmprov ping`: reach every host of the playbook at once through the engine and print whether SSH and
//! mysqld answer.

use super::args::{Input, Limit};
use super::shell::Shell;
use crate::engine::Engine;
use crate::error::Error;
use crate::load;

/// Under `-q` only the hosts that failed are listed.
// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct PingArgs {
    #[command(flatten)]
    pub input: Input,
    #[command(flatten)]
    pub limit: Limit,
}

pub fn run(args: &PingArgs, shell: &mut Shell<'_>) -> Result<(), Error> {
    let project = load::load(&args.input.playbook, &args.input.limited(&args.limit))?;
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
