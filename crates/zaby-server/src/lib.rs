//! `zaby-server`: the Zaby platform in one binary.
//!
//! Layers (ARCHITECTURE rule 8): `http` (routing from the SDK's endpoint table,
//! credential extraction, error rendering) → `services` (one module per domain)
//! → `storage` (one backend trait, SQLite and PostgreSQL).
//!
//! The modules are private, so the compiler reports any item nothing uses: the binary
//! needs [`main`], an embedding test [`start`] with its [`Settings`]; the integration
//! tests reach further through `testing` only.

mod app;
mod cli;
mod config;
mod error;
mod http;
#[cfg(test)]
mod module_cycles;
mod services;
mod startup_report;
mod storage;
#[doc(hidden)]
pub mod testing;
mod util;

pub use app::{RunningServer, start};
pub use cli::main;
pub use config::Settings;
