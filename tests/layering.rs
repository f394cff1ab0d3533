//! The CLI parses, confirms and prints; everything that reaches a host goes through the engine. Checked on
//! the source itself, so a shortcut from a subcommand to the host shows up here and not in review.

mod support;

/// Every line of code (comments left out) of every file under `src/cli/`, with its place.
fn cli_code() -> Vec<(String, usize, String)> {
    let dir = support::root().join("src/cli");
    let mut lines = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("src/cli is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "the CLI's files were not found in {}",
        dir.display()
    );
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a CLI file is readable");
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("").to_string();
            lines.push((name.clone().unwrap_or_default(), i + 1, code));
        }
    }
    lines
}

#[test]
fn the_cli_reaches_hosts_only_through_the_engine() {
    for (file, line, code) in cli_code() {
        for layer in [
            "crate::apply",
            "crate::facts",
            "crate::sql",
            "crate::link",
            "crate::transport",
            "crate::verify",
        ] {
            assert!(
                !code.contains(layer),
                "src/cli/{file}:{line} uses {layer} directly: `{}`",
                code.trim()
            );
        }
    }
}

#[test]
fn the_cli_holds_no_sql() {
    for (file, line, code) in cli_code() {
        let upper = code.to_ascii_uppercase();
        for word in [
            "SELECT ",
            "INSERT ",
            "UPDATE ",
            "DELETE FROM",
            "SET GLOBAL",
            "SHOW ",
            "CHANGE MASTER",
            "CHANGE REPLICATION",
            "START SLAVE",
            "STOP SLAVE",
            "CREATE ",
            "DROP ",
        ] {
            assert!(
                !upper.contains(word),
                "src/cli/{file}:{line} holds SQL (`{word}`): `{}`",
                code.trim()
            );
        }
    }
}
