//! mmprov: turns bare-metal MySQL/MariaDB hosts into a verified master-master replication pair.
//!
//! Layers, arrows pointing one way (see docs/architecture.md; `tests/layering.rs` holds them as data and
//! checks them on the parsed source): `cli` -> `engine` -> `load` -> `model`; the engine reads hosts
//! through `facts` -> `link` -> `sql` -> `transport`, plans with `plan` (pure) and carries the plan out
//! with `apply`; `render` (pure) shows it. `model`, `shell` and `sqltext` are the ground floor every layer
//! may use.

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
