//! `mmprov man`: the man page (roff) for the whole command line, printed.

use std::io::Write;

use crate::error::Error;

/// `command`: the whole command line's definition, handed down by `cli` (which owns it).
pub fn run(command: clap::Command, out: &mut dyn Write) -> Result<(), Error> {
    clap_mangen::Man::new(command).render(out)?;
    Ok(())
}
