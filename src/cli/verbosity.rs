//! How much mmprov says: `-q` for the result alone, `-v` (repeatable) for what it does on each host.
//!
//! Messages beyond the normal output go through the `log` facade and reach stderr here, so library modules
//! never print (they only log) and stdout stays the command's result:
//! - `-v`: per host, connections, facts and locks with their timings;
//! - `-vv`: every remote command (its first line: secrets never travel on command lines) and every SQL
//!   round trip by purpose (never its text, which may carry a password), with durations and exit codes;
//!
//! A failed command's stderr is never logged: a server's error message can quote the statement it refused,
//! password included. Errors reach the operator through diagnostics, which scrub it.
//!
//! Each line carries the seconds since mmprov started, so slow hosts and steps stand out.
//!
//! `MMPROV_LOG` (env_logger syntax, e.g. `mmprov::transport=debug`) overrides the level for finer choices.

use std::io::Write;

/// The `-v`/`-q` flags, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verbosity {
    pub quiet: bool,
    pub verbose: u8,
    /// Colour on stdout (`--color`, `NO_COLOR`, a terminal).
    pub color: bool,
}

impl Verbosity {
    pub fn level(self) -> log::LevelFilter {
        match (self.quiet, self.verbose) {
            (true, _) => log::LevelFilter::Error,
            (false, 0) => log::LevelFilter::Warn,
            (false, 1) => log::LevelFilter::Info,
            (false, 2) => log::LevelFilter::Debug,
            (false, _) => log::LevelFilter::Trace,
        }
    }

    /// Send mmprov's log to stderr at this level, once per process.
    pub fn install(self) {
        let started = std::time::Instant::now();
        // A logger installed earlier in this process (tests) keeps logging: nothing to do.
        let _ = env_logger::Builder::new()
            .filter_level(log::LevelFilter::Off)
            .filter_module("mmprov", self.level())
            .parse_env("MMPROV_LOG")
            .format(move |buf, record| {
                let level = record.level().as_str().to_ascii_lowercase();
                let at = started.elapsed().as_secs_f64();
                writeln!(buf, "mmprov: {at:7.3}s {level}: {}", record.args())
            })
            .target(env_logger::Target::Stderr)
            .try_init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_v_shows_more_and_quiet_shows_errors_only() {
        let v = |quiet, verbose| {
            Verbosity {
                quiet,
                verbose,
                color: false,
            }
            .level()
        };
        assert_eq!(v(false, 0), log::LevelFilter::Warn);
        assert_eq!(v(false, 1), log::LevelFilter::Info);
        assert_eq!(v(false, 2), log::LevelFilter::Debug);
        assert_eq!(v(false, 7), log::LevelFilter::Trace);
        assert_eq!(v(true, 0), log::LevelFilter::Error);
    }
}
