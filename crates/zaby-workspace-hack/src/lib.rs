//! Empty on purpose: this crate only carries dependencies (see its Cargo.toml).
