//! The command line: arguments (clap), one function per subcommand, and the one place that prints errors and
//! picks the exit code. Subcommands write to the writer they are given, so tests drive them without a terminal.
//!
//! Exit codes: 0 success; 1 any error (bad input, unreachable host, failed command); 2 reserved for
//! `plan --detailed-exitcode` ("there are changes").

mod apply;
mod failover;
mod inventory;
mod ping;
mod plan;
mod rebuild;
mod render;
mod shell;
mod skip;
mod status;
mod validate;
mod verbosity;
mod verify;

pub use verbosity::Verbosity;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::load::LoadOptions;

#[derive(Debug, Parser)]
#[command(
    name = "mmprov",
    version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("MMPROV_GIT_SHA"), ")"),
    about = "Provision and verify MySQL/MariaDB master-master replication"
)]
pub struct Cli {
    /// When to use colors in diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,

    /// Say more on stderr: -v connections, facts and timings per host; -vv every remote command and SQL round
    /// trip, with durations and exit codes.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Say only the result: summary lines, warnings and failures.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// The playbook and where its hosts come from.
#[derive(Debug, clap::Args)]
pub struct Input {
    /// The playbook (YAML).
    pub playbook: PathBuf,
    /// An Ansible inventory (YAML or INI, a file or a folder), used as it is; overrides the playbook's
    /// `inventory:`.
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Option<PathBuf>,
    /// The Ansible Vault password, in this file (or printed by it, when it is executable); else
    /// ANSIBLE_VAULT_PASSWORD_FILE, else asked on the terminal when something is encrypted.
    #[arg(long, value_name = "FILE")]
    pub vault_password_file: Option<PathBuf>,
}

impl Input {
    fn options(&self) -> LoadOptions {
        LoadOptions {
            inventory: self.inventory.clone(),
            limit: None,
            vault_password_file: self.vault_password_file.clone(),
        }
    }

    fn limited(&self, limit: &Limit) -> LoadOptions {
        LoadOptions {
            limit: limit.limit.clone(),
            ..self.options()
        }
    }
}

/// Which hosts a run may contact.
#[derive(Debug, Clone, clap::Args)]
pub struct Limit {
    /// Contact only the hosts this Ansible pattern selects (`h1`, `db*`, `pair:!h3`, `a:&b`). Replication
    /// between a host inside and one outside is left as it is.
    #[arg(short = 'l', long, value_name = "PATTERN")]
    pub limit: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a playbook and its inventory without contacting any host.
    Validate(#[command(flatten)] Input),
    /// Show the inventory as mmprov reads it: as ansible-inventory does (--list, --graph, --host), or what
    /// each play of a playbook acts on (PLAYBOOK --plays). Contacts nothing.
    Inventory(inventory::InventoryArgs),
    /// Print the my.cnf mmprov would write on a host.
    Render {
        #[command(flatten)]
        input: Input,
        /// The host to render for.
        #[arg(long)]
        host: String,
        /// Render for this server (e.g. mariadb-10.11, mysql-8.0.36) instead of the playbook's server_version.
        #[arg(long)]
        server_version: Option<String>,
    },
    /// Connect to every host of the playbook and report whether SSH and mysqld answer. Changes nothing.
    Ping {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        limit: Limit,
    },
    /// Read every host (read-only) and print what apply would change.
    Plan {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        limit: Limit,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit 0 when there are no changes, 2 when there are, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Save the plan, with a fingerprint of each host's state, for `mmprov apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Restart this many nodes of a live play at once (a count, or a share such as `50%`), over the
        /// plays' own `serial:`.
        #[arg(long, value_name = "N", value_parser = parse_serial)]
        serial: Option<crate::model::Serial>,
        /// Let an old writer back after a failover rejoin although it holds transactions its successor never
        /// received (they then replicate to it): only once you have dealt with them.
        #[arg(long)]
        accept_errant: bool,
        #[command(flatten)]
        forks: Forks,
    },
    /// Plan and carry out the changes (or carry out a plan saved with `plan --out`, if the hosts are unchanged).
    Apply {
        /// A playbook, or a plan file saved by `mmprov plan --out`.
        target: PathBuf,
        /// An Ansible inventory (YAML or INI, a file or a folder); overrides the playbook's `inventory:`.
        #[arg(short = 'i', long = "inventory")]
        inventory: Option<PathBuf>,
        /// The Ansible Vault password, in this file (or printed by it, when it is executable).
        #[arg(long, value_name = "FILE")]
        vault_password_file: Option<PathBuf>,
        #[command(flatten)]
        limit: Limit,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Seconds to wait for another apply's lock on a host before giving up (0: give up at once).
        #[arg(long, default_value_t = 0, value_name = "SECS")]
        lock_timeout: u64,
        /// Restart this many nodes of a live play at once (a count, or a share such as `50%`), over the
        /// plays' own `serial:`.
        #[arg(long, value_name = "N", value_parser = parse_serial)]
        serial: Option<crate::model::Serial>,
        /// Seconds a rolling restart's gate may take (the node's replicas running and caught up); also how long
        /// a node may take to catch up with a replica moving onto it, and a node held read-only may wait for
        /// its peers' sessions from before an auto_increment change to end.
        #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        gate_timeout: u64,
        /// Seconds a switchover waits for the old writer's open transactions to end once it is closed;
        /// those still open then are ended (a read-only server refuses their commit anyway).
        #[arg(long, default_value_t = 10, value_name = "SECS")]
        drain_timeout: u64,
        /// Let an old writer back after a failover rejoin with transactions its successor never received.
        #[arg(long)]
        accept_errant: bool,
        #[command(flatten)]
        forks: Forks,
    },
    /// Show every replication direction: threads, lag, position, last error explained. Exit 1 if any is broken.
    Status {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        limit: Limit,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        #[command(flatten)]
        forks: Forks,
    },
    /// Skip N events on a replica stopped by an error (explicit, confirmed, logged on the host).
    Skip {
        #[command(flatten)]
        input: Input,
        /// The replica to recover.
        #[arg(long)]
        host: String,
        /// How many events to skip.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        count: u32,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Open HOST for writes when the writer cannot be reached (explicit, confirmed): once HOST has applied
    /// everything it received, its replica from the old writer is stopped, HOST opened, and the old writer
    /// recorded as to rejoin (its transactions are compared when it comes back).
    Failover {
        #[command(flatten)]
        input: Input,
        /// The node that takes over as the writer.
        #[arg(long)]
        to: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Seconds HOST may take to apply what it has received.
        #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        gate_timeout: u64,
    },
    /// Replace a node's data with a fresh seed from its source and connect it again (explicit, confirmed).
    Rebuild {
        #[command(flatten)]
        input: Input,
        /// The node to rebuild.
        #[arg(long)]
        host: String,
        /// The node to copy from: the one the host replicates from in its play (the default).
        #[arg(long)]
        from: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Seconds to wait for another apply's lock on a host before giving up (0: give up at once).
        #[arg(long, default_value_t = 0, value_name = "SECS")]
        lock_timeout: u64,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Prove replication works: a probe row written on each node must arrive on every other one.
    Verify {
        #[command(flatten)]
        input: Input,
        #[command(flatten)]
        limit: Limit,
        /// Seconds a probe may take to arrive.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Also compare CHECKSUM TABLE of every application table across the nodes (at a quiet point).
        #[arg(long)]
        checksum: bool,
        #[command(flatten)]
        forks: Forks,
    },
}

/// `--serial`: a count of nodes (1 or more), or a percentage of a play's nodes.
fn parse_serial(text: &str) -> Result<crate::model::Serial, String> {
    use crate::model::Serial;
    let refused =
        || format!("`{text}` is not a count of nodes (1 or more) or a percentage such as 50%");
    let serial = match text.trim().strip_suffix('%') {
        Some(percent) => Serial::Percent(percent.trim().parse().map_err(|_| refused())?),
        None => Serial::Count(text.trim().parse().map_err(|_| refused())?),
    };
    match serial {
        Serial::Count(0) | Serial::Percent(0) => Err(refused()),
        Serial::Percent(p) if p > 100 => Err(refused()),
        ok => Ok(ok),
    }
}

#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Forks {
    /// How many hosts are worked on at once.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    pub forks: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Parse arguments, run the command, print any error; the binary's whole life.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own message; a closed terminal cannot be told more, and the exit code says it.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    // On a terminal, diagnostics wrap to its width; in logs and pipes lines stay whole, so server error lines
    // quoted in a diagnostic can be searched for as they are.
    let terminal = std::io::stderr().is_terminal();
    // A hook set earlier in this process (tests) formats the same way.
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .wrap_lines(terminal)
                .build(),
        )
    }));
    let verbosity = Verbosity {
        quiet: cli.quiet,
        verbose: cli.verbose,
        color: match cli.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        },
    };
    verbosity.install();
    let mut stdout = std::io::stdout().lock();
    match execute(&cli.command, verbosity, &mut stdout) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The error below is what matters; what did not flush is lost with the terminal.
            let _ = stdout.flush();
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(1)
        }
    }
}

/// Run one command; the exit code on success (0, or 2 for `plan --detailed-exitcode` with changes).
pub fn execute(command: &Command, verbosity: Verbosity, out: &mut dyn Write) -> Result<u8, Error> {
    let quiet = verbosity.quiet;
    let shell = |out| shell::Shell::new(out, quiet, verbosity.color);
    match command {
        Command::Validate(input) => {
            validate::run(&input.playbook, &input.options(), out).map(|()| 0)
        }
        Command::Inventory(args) => inventory::run(args, out).map(|()| 0),
        Command::Render {
            input,
            host,
            server_version,
        } => render::run(
            &input.playbook,
            &input.options(),
            host,
            server_version.as_deref(),
            out,
        )
        .map(|()| 0),
        Command::Ping { input, limit } => {
            ping::run(&input.playbook, &input.limited(limit), &mut shell(out)).map(|()| 0)
        }
        Command::Plan {
            input,
            limit,
            format,
            detailed_exitcode,
            out: save_to,
            serial,
            accept_errant,
            forks,
        } => {
            let request = plan::PlanRequest {
                playbook: &input.playbook,
                options: input.limited(limit),
                json: *format == Format::Json,
                detailed_exitcode: *detailed_exitcode,
                save_to: save_to.as_deref(),
                serial: *serial,
                accept_errant: *accept_errant,
                forks: usize::from(forks.forks),
                quiet,
            };
            plan::run(&request, out)
        }
        Command::Apply {
            target,
            inventory,
            vault_password_file,
            limit,
            yes,
            lock_timeout,
            serial,
            gate_timeout,
            drain_timeout,
            accept_errant,
            forks,
        } => {
            let request = apply::ApplyRequest {
                target,
                options: LoadOptions {
                    inventory: inventory.clone(),
                    limit: limit.limit.clone(),
                    vault_password_file: vault_password_file.clone(),
                },
                yes: *yes,
                lock_timeout: std::time::Duration::from_secs(*lock_timeout),
                serial: *serial,
                gate_timeout: std::time::Duration::from_secs(*gate_timeout),
                drain_timeout: std::time::Duration::from_secs(*drain_timeout),
                accept_errant: *accept_errant,
                forks: usize::from(forks.forks),
                quiet,
            };
            apply::run(&request, out)
        }
        Command::Status {
            input,
            limit,
            format,
            forks,
        } => status::run(
            &input.playbook,
            &input.limited(limit),
            *format == Format::Json,
            usize::from(forks.forks),
            &mut shell(out),
        )
        .map(|()| 0),
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "mmprov",
                out,
            );
            Ok(0)
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out)?;
            Ok(0)
        }
        Command::Rebuild {
            input,
            host,
            from,
            yes,
            lock_timeout,
        } => {
            let request = rebuild::RebuildRequest {
                playbook: &input.playbook,
                options: input.options(),
                host,
                from: from.as_deref(),
                yes: *yes,
                lock_timeout: std::time::Duration::from_secs(*lock_timeout),
                quiet,
            };
            rebuild::run(&request, out)
        }
        Command::Failover {
            input,
            to,
            yes,
            gate_timeout,
        } => {
            let request = failover::FailoverRequest {
                playbook: &input.playbook,
                options: input.options(),
                to,
                yes: *yes,
                timeout: std::time::Duration::from_secs(*gate_timeout),
            };
            failover::run(&request, out).map(|()| 0)
        }
        Command::Skip {
            input,
            host,
            count,
            yes,
        } => {
            let request = skip::SkipRequest {
                playbook: &input.playbook,
                options: input.options(),
                host,
                count: *count,
                yes: *yes,
            };
            skip::run(&request, out).map(|()| 0)
        }
        Command::Verify {
            input,
            limit,
            timeout,
            checksum,
            forks,
        } => {
            let request = verify::VerifyRequest {
                playbook: &input.playbook,
                options: input.limited(limit),
                timeout: std::time::Duration::from_secs(*timeout),
                checksum: *checksum,
                forks: usize::from(forks.forks),
            };
            verify::run(&request, &mut shell(out)).map(|()| 0)
        }
    }
}
