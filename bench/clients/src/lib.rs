//! zaby-bench-clients: bench-only programs (not part of the product). The SSE source serves a
//! pre-rendered run; `zaby-bench-calls` measures the Rust `zaby` crate for the Python part.

pub mod sse_body;
pub mod stats;
