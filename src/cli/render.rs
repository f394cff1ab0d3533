//! `mmprov render --host H`: the my.cnf mmprov would write on H, rendered offline after full validation.

use std::io::Write;

use super::args::Input;
use crate::error::Error;
use crate::flavor::ServerVersion;
use crate::load::{self, Problem};
use crate::model::Role;
use crate::template::{MyCnfContext, MyCnfTemplate};

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: Input,
    /// The host to render for.
    #[arg(long)]
    pub host: String,
    /// Render for this server (e.g. mariadb-10.11, mysql-8.0.36) instead of the playbook's server_version.
    #[arg(long)]
    pub server_version: Option<String>,
}

pub fn run(args: &RenderArgs, out: &mut dyn Write) -> Result<(), Error> {
    let (host, server_version) = (args.host.as_str(), args.server_version.as_deref());
    let project = super::validate::validated(&args.input.playbook, &args.input.options())?;
    let servers = || project.plays.iter().filter(|p| p.has_role(Role::Server));
    let Some(play) = servers().find(|p| p.hosts.iter().any(|h| h == host)) else {
        let known: Vec<&str> = servers()
            .flat_map(|p| p.hosts.iter().map(String::as_str))
            .collect();
        return Err(Error::NotConfigured {
            host: host.to_string(),
            known: known.join(", "),
        });
    };
    let mut problems = Vec::new();
    let version = match server_version {
        Some(v) => ServerVersion::parse_hint(v).unwrap_or_else(|e| {
            problems.push(Problem::nowhere(format!("--server-version: {e}")));
            ServerVersion::DEBIAN_DEFAULT
        }),
        None => super::validate::play_version(play, &mut problems),
    };
    if !problems.is_empty() {
        return Err(load::invalid(problems, &project.sources).into());
    }
    let template = match &play.template {
        Some(path) => {
            let source = load::read_template(&path.value)?;
            MyCnfTemplate::compile(&source.text, &source.path)
        }
        None => MyCnfTemplate::builtin(),
    };
    let context = MyCnfContext::new(&project, play, host, version.flavor().as_ref());
    // Validation rendered this same template for this host already; an error now means the file changed since.
    let text = template
        .and_then(|t| t.render(&context))
        .map_err(|e| load::invalid(vec![Problem::nowhere(e.to_string())], &project.sources))?;
    out.write_all(text.as_bytes())?;
    Ok(())
}
