//! The one way subcommands print what they found, in the manner of cargo's `Shell`: a check that passed
//! (`ok   …`, left out under `-q`), one that failed (`FAIL …`, always, red on a colour terminal), the detail
//! under a finding (shown with it), and the result line (always). Plans, diffs and JSON are written whole
//! through [`Shell::out`]. Nothing here decides anything; it only keeps every subcommand's lines alike.

use std::fmt::Display;
use std::io::Write;

pub struct Shell<'o> {
    out: &'o mut dyn Write,
    quiet: bool,
    color: bool,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const RESET: &str = "\x1b[0m";

impl<'o> Shell<'o> {
    pub fn new(out: &'o mut dyn Write, quiet: bool, color: bool) -> Self {
        Self { out, quiet, color }
    }

    /// The writer, for output that is printed whole (a plan, JSON).
    pub fn out(&mut self) -> &mut dyn Write {
        &mut *self.out
    }

    /// A check that passed.
    pub fn ok(&mut self, text: impl Display) -> std::io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        let mark = self.paint(GREEN, "ok  ");
        writeln!(self.out, "{mark} {text}")
    }

    /// A check that failed: shown whatever the verbosity.
    pub fn fail(&mut self, text: impl Display) -> std::io::Result<()> {
        let mark = self.paint(RED, "FAIL");
        writeln!(self.out, "{mark} {text}")
    }

    /// A line under the finding before it; `of_failure` says whether that finding was a failure (shown under
    /// `-q` too) or a pass (left out with it).
    pub fn detail(&mut self, text: impl Display, of_failure: bool) -> std::io::Result<()> {
        if self.quiet && !of_failure {
            return Ok(());
        }
        writeln!(self.out, "     {text}")
    }

    /// The result: shown whatever the verbosity.
    pub fn result(&mut self, text: impl Display) -> std::io::Result<()> {
        writeln!(self.out, "{text}")
    }

    fn paint(&self, color: &str, word: &str) -> String {
        if self.color {
            format!("{color}{word}{RESET}")
        } else {
            word.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Shell;

    fn said(quiet: bool, color: bool, print: impl FnOnce(&mut Shell<'_>)) -> String {
        let mut out = Vec::new();
        print(&mut Shell::new(&mut out, quiet, color));
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn quiet_leaves_out_what_passed_and_keeps_failures_and_results() {
        let print = |s: &mut Shell<'_>| {
            let _ = s.ok("h1 <- h2");
            let _ = s.detail("lag 0", false);
            let _ = s.fail("h2 <- h1");
            let _ = s.detail("error 1062", true);
            let _ = s.result("1 broken");
        };
        assert_eq!(
            said(false, false, print),
            "ok   h1 <- h2\n     lag 0\nFAIL h2 <- h1\n     error 1062\n1 broken\n"
        );
        assert_eq!(
            said(true, false, print),
            "FAIL h2 <- h1\n     error 1062\n1 broken\n"
        );
    }

    #[test]
    fn colour_marks_only_the_verdict_word() {
        let text = said(false, true, |s| {
            let _ = s.fail("h2 <- h1");
        });
        assert_eq!(text, "\x1b[31mFAIL\x1b[0m h2 <- h1\n");
    }
}
