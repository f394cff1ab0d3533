//! Reading an input file (playbook, inventory, template, secret, saved plan) the way every input is read:
//! only a regular file, and only up to a size that no real input reaches, so `-i /dev/zero` or a FIFO is
//! refused at once with the reason instead of filling memory or waiting for ever.

use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// Playbooks, inventories and saved plans: an inventory of 100,000 hosts with their variables is a few MiB.
pub const DOCUMENT_CAP: u64 = 64 << 20;
/// A my.cnf template.
pub const TEMPLATE_CAP: u64 = 1 << 20;
/// A password file.
pub const SECRET_CAP: u64 = 64 << 10;

/// The text of the regular file at `path`, refused when it is anything else or larger than `cap` bytes.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", kind_of(&meta)),
        ));
    }
    let too_large = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!("it is larger than {}, far beyond any real input", size(cap)),
        )
    };
    if meta.len() > cap {
        return Err(too_large());
    }
    let mut text = String::new();
    // The file may grow between the check and the read: never read past the cap.
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(text)
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_at_once() {
        let err = read_capped(Path::new("/dev/zero"), DOCUMENT_CAP).expect_err("a device");
        assert!(err.to_string().contains("a character device"), "{err}");
        let err = read_capped(Path::new("/"), DOCUMENT_CAP).expect_err("a directory");
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[test]
    fn a_file_past_the_cap_is_refused_and_one_within_it_read() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("big.yml");
        std::fs::write(&path, vec![b'x'; 2048]).expect("written");
        let err = read_capped(&path, 1024).expect_err("too large");
        assert!(err.to_string().contains("larger than 1 KiB"), "{err}");
        assert_eq!(read_capped(&path, 4096).map(|t| t.len()).ok(), Some(2048));
    }
}
