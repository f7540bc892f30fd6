//! `zaby-server`: the Zaby platform in one binary.
//!
//! Layers (ARCHITECTURE rule 8): [`http`] (routing from the SDK's endpoint table,
//! credential extraction, error rendering) → [`services`] (one module per domain)
//! → [`storage`] (one backend trait, SQLite and PostgreSQL).
//!
//! The binary needs [`main`], an embedding test [`start`] with its [`Settings`]; the
//! integration tests reach further through [`testing`] only.

pub mod app;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
#[cfg(test)]
mod module_cycles;
pub mod services;
mod startup_report;
pub mod storage;
#[doc(hidden)]
pub mod testing;
pub mod util;

pub use app::{RunningServer, start};
pub use cli::main;
pub use config::Settings;
