//! The suites come in tiers. The pure tier is what plain `cargo test` runs, for anyone: no root, no lab. The
//! lab tier, the suites that reach the lab's real hosts, is built only with `cargo test --features lab`
//! (`required-features = ["lab"]` on each of them in Cargo.toml) and fails, never skips, when the lab is not up.
//! Which round of `scripts/test` runs which lab suite is listed at the top of that script.
//!
//! A suite that reaches the lab outside the lab tier would fail every contributor's `cargo test`; a suite in
//! the lab tier that does not reach it would hide pure tests from them. Both are caught here, from cargo's own
//! reading of Cargo.toml (`cargo metadata`), not from a second parser of it.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use support::text;

/// A test suite as cargo sees it: its source, and whether it is in the lab tier.
struct Suite {
    source: PathBuf,
    lab_tier: bool,
}

/// Every test suite of the package (tests/NAME.rs), by name.
fn suites() -> BTreeMap<String, Suite> {
    let out = Command::new(env!("CARGO"))
        .current_dir(support::root())
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        text(&out.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "mmprov"))
        .expect("cargo metadata lists mmprov");
    let listed = |value: &serde_json::Value, word: &str| {
        value
            .as_array()
            .is_some_and(|words| words.iter().any(|w| w == word))
    };
    package["targets"]
        .as_array()
        .expect("cargo metadata lists mmprov's targets")
        .iter()
        .filter(|target| listed(&target["kind"], "test"))
        .map(|target| {
            let name = target["name"].as_str().expect("a target's name");
            let source = target["src_path"].as_str().expect("a target's source");
            let suite = Suite {
                source: PathBuf::from(source),
                lab_tier: listed(&target["required-features"], "lab"),
            };
            (name.to_string(), suite)
        })
        .collect()
}

/// Whether a suite's code (its comments aside) reaches the lab: the lab's support, or the lab itself.
fn reaches_the_lab(source: &str) -> bool {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .any(|line| {
            ["support::lab", "Lab::require", "support::replication"]
                .iter()
                .any(|word| line.contains(word))
        })
}

#[test]
fn every_suite_that_reaches_the_lab_is_in_the_lab_tier_and_no_other() {
    let suites = suites();
    assert!(
        suites.len() > 20 && suites.values().any(|s| s.lab_tier),
        "cargo metadata lists the test suites, the lab's among them: {:?}",
        suites.keys().collect::<Vec<_>>()
    );
    let mut wrong = Vec::new();
    for (name, suite) in &suites {
        // This file names the words it looks for; it reaches nothing.
        if name == env!("CARGO_CRATE_NAME") {
            assert!(!suite.lab_tier, "{name} is in the pure tier");
            continue;
        }
        let source = std::fs::read_to_string(&suite.source).expect("read a suite's source");
        match (reaches_the_lab(&source), suite.lab_tier) {
            (true, false) => wrong.push(format!(
                "{name} reaches the lab but is in the pure tier: add [[test]] name = \"{name}\", \
                 required-features = [\"lab\"] to Cargo.toml, or move its lab tests to a lab suite"
            )),
            (false, true) => wrong.push(format!(
                "{name} is in the lab tier but reaches no lab: its tests belong to the pure tier (take its \
                 [[test]] entry out of Cargo.toml)"
            )),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_suite_is_seen_reaching_the_lab_by_its_code_and_not_by_its_comments() {
    assert!(reaches_the_lab("use support::lab::Lab;\n"));
    assert!(reaches_the_lab(
        "    let lab = support::lab::Lab::require(2);\n"
    ));
    assert!(reaches_the_lab(
        "use support::replication::{playbook, run};\n"
    ));
    assert!(!reaches_the_lab(
        "//! Nothing here reaches support::lab.\nuse support::text;\n"
    ));
}

/// Plain `cargo test` does not build the lab tier; this line of its output says how to run it.
#[cfg(not(feature = "lab"))]
#[test]
#[ignore = "the lab tiers: as root, `lab/lab.sh up 3` then `cargo test --features lab`; \
            or `scripts/test`, every tier and round (README, \"Tests\")"]
fn lab_tiers_not_built() {}
