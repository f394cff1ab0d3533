//! `mmprov validate`: load the playbook and inventory, then render every host's config with its play's
//! template, so a template error is caught here and not halfway through an apply. Contacts nothing.

use std::io::Write;
use std::path::Path;

use super::args::Input;
use crate::error::Error;
use crate::flavor::ServerVersion;
use crate::load::{self, LoadOptions, Problem, plural};
use crate::model::{FileId, Play, Project, Role, Source, Span};
use crate::template::{MyCnfContext, MyCnfTemplate, TemplateError};

// The variant's doc comment in `cli::Command` is the subcommand's help.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: Input,
}

pub fn run(args: &ValidateArgs, out: &mut dyn Write) -> Result<(), Error> {
    let playbook = &args.input.playbook;
    let project = validated(playbook, &args.input.options())?;
    let hosts: usize = project.plays.iter().map(|p| p.hosts.len()).sum();
    writeln!(
        out,
        "{} is valid: {}, {} ({} host entries).",
        playbook.display(),
        plural(project.plays.len(), "play"),
        plural(project.hosts.len(), "host"),
        hosts
    )?;
    Ok(())
}

/// The project, after every check `validate` makes: load-time checks, then each host's config rendered.
pub fn validated(playbook: &Path, options: &LoadOptions) -> Result<Project, Error> {
    let project = load::load(playbook, options)?;
    let mut sources = project.sources.clone();
    let mut problems = Vec::new();
    for play in project.plays.iter().filter(|p| p.has_role(Role::Server)) {
        check_play_templates(&project, play, &mut sources, &mut problems);
    }
    if problems.is_empty() {
        Ok(project)
    } else {
        Err(load::invalid(problems, &sources).into())
    }
}

/// The play's server version hint, parsed; a bad one is a problem at its line.
pub fn play_version(play: &Play, problems: &mut Vec<Problem>) -> ServerVersion {
    match &play.vars.server_version {
        None => ServerVersion::DEBIAN_DEFAULT,
        Some(hint) => ServerVersion::parse_hint(&hint.value).unwrap_or_else(|e| {
            problems.push(Problem::at(hint.span, e.to_string(), "unknown server"));
            ServerVersion::DEBIAN_DEFAULT
        }),
    }
}

/// Compile the play's template and render it for each host; problems point into the template file.
fn check_play_templates(
    project: &Project,
    play: &Play,
    sources: &mut Vec<Source>,
    problems: &mut Vec<Problem>,
) {
    let flavor = play_version(play, problems).flavor();
    let (template, file) = match open_template(play, sources) {
        Ok(found) => found,
        Err(problem) => {
            problems.push(problem);
            return;
        }
    };
    let template = match template {
        Ok(t) => t,
        Err(e) => {
            problems.push(template_problem(&e, file, sources));
            return;
        }
    };
    for host in &play.hosts {
        let context = MyCnfContext::new(project, play, host, flavor.as_ref());
        if let Err(e) = template.render(&context) {
            problems.push(
                template_problem(&e, file, sources)
                    .help(format!("while rendering for host `{host}`")),
            );
        }
    }
}

/// The play's template compiled (or its compile error), and the file id it was added under.
#[allow(clippy::type_complexity)]
fn open_template(
    play: &Play,
    sources: &mut Vec<Source>,
) -> Result<(Result<MyCnfTemplate, TemplateError>, Option<FileId>), Problem> {
    match &play.template {
        None => Ok((MyCnfTemplate::builtin(), None)),
        Some(path) => {
            let source = load::read_template(&path.value).map_err(|e| {
                Problem::at(
                    path.span,
                    format!("cannot read template {}: {e}", path.value.display()),
                    "here",
                )
            })?;
            let compiled = MyCnfTemplate::compile(&source.text, &source.path);
            sources.push(source);
            Ok((compiled, Some(FileId(sources.len() - 1))))
        }
    }
}

fn template_problem(e: &TemplateError, file: Option<FileId>, sources: &[Source]) -> Problem {
    let message = format!("template {}: {}", e.path.display(), e.message);
    match (file, e.position) {
        (Some(file), Some((line, column))) => {
            let offset = offset_of(&sources[file.0].text, line, column);
            Problem::at(
                Span {
                    file,
                    offset,
                    len: 1,
                },
                message,
                "here",
            )
        }
        _ => Problem::nowhere(message),
    }
}

/// Byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len().saturating_sub(1))
}
