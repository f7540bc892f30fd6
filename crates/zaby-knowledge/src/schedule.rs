//! Ingestion-policy schedules (`docs/api/knowledge-bases.md` `IngestionPolicyInput.schedule`): cron
//! expressions with exactly five fields (minute, hour, day of month, month, day of
//! week), evaluated in UTC.
//!
//! Parsing and evaluation are the `croner` crate's (Vixie-cron semantics: when both
//! day of month and day of week are restricted, a day matching either fires; `0` and
//! `7` are Sunday; names such as `MON` and `JAN` are accepted; croner's extensions
//! `L`, `W`, `#` and `?` too). This module adds what the API needs on top: the exact
//! field count (croner would also take six or seven fields, and `@daily`), errors
//! that name the offending field, and epoch-millisecond instants.

use chrono::{DateTime, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::error::FieldError;

const FIELD: &str = "schedule";
const FIELD_NAMES: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];

/// A validated schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    expression: String,
    cron: Cron,
}

fn parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build()
}

impl Schedule {
    /// Validates a five-field cron expression. Errors name the `schedule` field and,
    /// when one field is at fault, which one.
    pub fn parse(expression: &str) -> Result<Schedule, FieldError> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(FieldError::new(
                FIELD,
                format!(
                    "must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), got {} field{}",
                    fields.len(),
                    if fields.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        let normalized = fields.join(" ");
        match parser().parse(&normalized) {
            Ok(cron) => {
                let schedule = Schedule { expression: normalized, cron };
                // Reject expressions that can never fire (e.g. `0 0 30 2 *`): croner
                // would report that only when the policy is first evaluated.
                if schedule.next_after(0).is_none() {
                    return Err(FieldError::new(FIELD, format!("\"{expression}\" never matches a date")));
                }
                Ok(schedule)
            }
            Err(err) => Err(FieldError::new(FIELD, describe_error(&fields, &err))),
        }
    }

    /// The expression, with its fields separated by single spaces.
    pub fn as_str(&self) -> &str {
        &self.expression
    }

    /// The first due time strictly after `after_ms` (epoch ms, UTC). `None` only when
    /// there is none before the year 5000.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let start = DateTime::<Utc>::from_timestamp_millis(after_ms)?;
        let next = self.cron.find_next_occurrence(&start, false).ok()?;
        Some(next.timestamp_millis())
    }

    /// The latest due time in `(after_ms, up_to_ms]`, if any. A scheduler that last
    /// looked at `after_ms` fires once when this is `Some`, so due times missed while
    /// no server ran collapse into one firing instead of being replayed.
    pub fn latest_due(&self, after_ms: i64, up_to_ms: i64) -> Option<i64> {
        if up_to_ms <= after_ms {
            return None;
        }
        let end = DateTime::<Utc>::from_timestamp_millis(up_to_ms)?;
        let due = self.cron.find_previous_occurrence(&end, true).ok()?.timestamp_millis();
        (due > after_ms).then_some(due)
    }
}

/// Finds the field croner rejects by parsing each one alone (all others `*`).
fn describe_error(fields: &[&str], err: &croner::errors::CronError) -> String {
    for (i, field) in fields.iter().enumerate() {
        let mut probe = ["*"; 5];
        probe[i] = field;
        if let Err(field_err) = parser().parse(&probe.join(" ")) {
            return format!("has an invalid {} field \"{field}\": {field_err}", FIELD_NAMES[i]);
        }
    }
    format!("is not a valid cron expression: {err}")
}
