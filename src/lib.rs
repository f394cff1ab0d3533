//! mmprov: turns bare-metal MySQL/MariaDB hosts into a verified master-master replication pair.
//!
//! Layers, arrows pointing one way (see docs/architecture.md):
//! `cli` -> `load` -> `model` ; `cli` -> `template` -> `flavor` ; `cli` -> `transport`.
//! `model`, `flavor` and `template` are pure; only `load` (local files) and `transport` (hosts) do I/O.

pub mod apply;
pub mod cli;
pub mod engine;
pub mod error;
pub mod facts;
#[cfg(test)]
pub mod fake;
pub mod fanout;
pub mod flavor;
pub mod link;
pub mod load;
pub mod model;
pub mod mycnf;
pub mod packages;
pub mod plan;
pub mod render;
pub mod replication;
pub mod service;
pub mod shell;
pub mod sql;
pub mod sqltext;
pub mod template;
pub mod transport;
pub mod verify;

pub use cli::run;
pub use error::Error;
