//! Deterministic analytics for `zaby-server` (`docs/api/usage.md`, `docs/api/intelligence.md`, `docs/server.md`): UTC
//! buckets, rollup metrics, improvement rules and the usage report.
//!
//! Nothing here reads storage or speaks HTTP: the server loads signals and runs,
//! calls these functions, and stores or renders the results. Timestamps are epoch
//! milliseconds (`i64`, UTC), as in the server.

pub mod buckets;
mod error;
pub mod improvements;
pub mod rollup;
pub mod signal;
pub mod stats;
pub mod usage;

pub use buckets::{Bucket, Granularity, bucket_end, bucket_of, bucket_start, expand_window, utc_date};
pub use error::FieldError;
pub use improvements::{Category, Proposal, ToolCall, propose};
pub use rollup::{Metric, Rollup, rollups};
pub use signal::{Signal, SignalKind};
pub use usage::{DailyUsage, RunRecord, RunStatus, UsageReport, UsageTotals, usage_report};
