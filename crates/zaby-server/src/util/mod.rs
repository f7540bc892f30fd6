//! Small helpers shared by every layer: ids, clocks, canonical JSON, hashing, input checks.

pub mod canonical;
pub mod clock;
pub mod crypto;
pub mod ids;
pub mod input;
