//! How a seed copies the data: a dump of the application schemas (logical) or a copy of the whole
//! instance's files (physical). PURE.
//!
//! 1. `seed_method: logical`: a dump, always.
//! 2. `seed_method: physical`: a copy of the files, refused when either host lacks the tool for its server
//!    (mariadb-backup for MariaDB, XtraBackup for MySQL) or the two run different release series (a
//!    prepared copy starts only on the series that made it).
//! 3. `seed_method: auto`: physical when it can be, and the seed source holds at least
//!    [`PHYSICAL_SEED_ABOVE`] of tables (below that a dump is as quick, and copies only the application
//!    schemas); logical otherwise, saying why.

use serde::{Deserialize, Serialize};

use crate::facts::HostFacts;
use crate::flavor::{PhysicalTool, clone};
use crate::model::{PHYSICAL_SEED_ABOVE, Play, SeedMethod};

/// A physical seed: the tool, the source's socket it reads through, the target's data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhysicalSeed {
    pub tool: PhysicalTool,
    pub source_socket: String,
    pub target_datadir: String,
    /// For the clone plugin: the address the target clones from, and its own (the source's account for it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_address: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_address: String,
}

/// Why a seed copies the way it does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum MethodWhy {
    /// The play's `seed_method` says so.
    #[default]
    Asked,
    /// `auto`: the source holds `bytes` of tables, at least the threshold, and both hosts have the tool.
    Large { bytes: u64 },
    /// `auto`: the source holds `bytes` of tables, less than the threshold.
    Small { bytes: u64 },
    /// `auto`: a physical copy cannot be made (`detail` says why).
    CannotCopyFiles { detail: String },
}

impl MethodWhy {
    /// The reason, as the end of "because ...": `physical` says which way it went.
    pub fn describe(&self, physical: bool) -> String {
        let mib = |b: &u64| format!("{:.1} MiB", *b as f64 / 1048576.0);
        let threshold = mib(&PHYSICAL_SEED_ABOVE);
        match self {
            MethodWhy::Asked if physical => "the play says seed_method: physical".into(),
            MethodWhy::Asked => "the play says seed_method: logical".into(),
            MethodWhy::Large { bytes } => format!(
                "seed_method is auto, the source holds {} of tables (at least {threshold}) and both hosts have \
                 the tool: its files are copied",
                mib(bytes)
            ),
            MethodWhy::Small { bytes } => format!(
                "seed_method is auto and the source holds {} of tables (under {threshold}): a dump is as quick",
                mib(bytes)
            ),
            MethodWhy::CannotCopyFiles { detail } => {
                format!("seed_method is auto and {detail}: a dump it is")
            }
        }
    }
}

/// The physical seed from `from` to `to` (`None`: logical), and why; or, when the play asks for a physical
/// seed that cannot be made, what stands in the way.
pub fn choose(
    play: &Play,
    facts: &std::collections::BTreeMap<String, HostFacts>,
    from: &str,
    to: &str,
    bytes: u64,
) -> Result<(Option<PhysicalSeed>, MethodWhy), String> {
    let method = play.vars.seed_method;
    if method == SeedMethod::Logical {
        return Ok((None, MethodWhy::Asked));
    }
    let physical = physical_seed(play, facts, from, to);
    match (method, physical) {
        (SeedMethod::Physical, Ok(seed)) => Ok((Some(seed), MethodWhy::Asked)),
        (SeedMethod::Physical, Err(detail)) => Err(detail),
        (_, Err(detail)) => Ok((None, MethodWhy::CannotCopyFiles { detail })),
        (_, Ok(_)) if bytes < PHYSICAL_SEED_ABOVE => Ok((None, MethodWhy::Small { bytes })),
        (_, Ok(seed)) => Ok((Some(seed), MethodWhy::Large { bytes })),
    }
}

fn physical_seed(
    play: &Play,
    facts: &std::collections::BTreeMap<String, HostFacts>,
    from: &str,
    to: &str,
) -> Result<PhysicalSeed, String> {
    let server = |host: &str| {
        facts
            .get(host)
            .and_then(|f| f.server)
            .ok_or_else(|| format!("{host}'s server is not known yet"))
    };
    let (source, target) = (server(from)?, server(to)?);
    if !source.same_series(&target) {
        return Err(format!(
            "{from} runs {} and {to} runs {}: a copy of the files starts only on the series that made it",
            source.series(),
            target.series()
        ));
    }
    let streamed = source.dialect().capabilities.physical_tool;
    let lacking = [from, to]
        .into_iter()
        .find(|host| facts.get(*host).and_then(|f| f.os.physical_tool) != Some(streamed));
    let tool = match lacking {
        None => streamed,
        Some(_) if clone::copies_between(&source, &target) => PhysicalTool::Clone,
        Some(host) => return Err(no_physical_tool(host, streamed, &source)),
    };
    let paths = |host: &str| {
        facts
            .get(host)
            .map(|f| super::paths::server_paths(&play.vars, f))
            .ok_or_else(|| format!("{host}'s facts were not read"))
    };
    Ok(PhysicalSeed {
        tool,
        source_socket: paths(from)?.socket,
        target_datadir: paths(to)?.datadir,
        source_address: String::new(),
        target_address: String::new(),
    })
}

/// Why `host` cannot take part in a physical copy: it lacks the streaming tool, and (where the family has
/// a clone plugin) what the plugin would need instead.
fn no_physical_tool(
    host: &str,
    streamed: PhysicalTool,
    source: &crate::flavor::ServerVersion,
) -> String {
    let lacks = format!(
        "{host} has no {} (with its stream unpacker)",
        streamed.name()
    );
    match source.dialect().capabilities.clone_requirement {
        Some(requirement) => format!("{lacks}, and {requirement}"),
        None => lacks,
    }
}
