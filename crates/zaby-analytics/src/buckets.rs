//! UTC-aligned time buckets (`docs/api/intelligence.md` `Rollup`): an hour, a day, an ISO week
//! starting Monday 00:00, or a calendar month. A bucket is the half-open interval
//! `[start, end)`; `end` is the next bucket's start.

use time::{Date, Month};

use crate::error::FieldError;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Granularity {
    Hourly,
    #[default]
    Daily,
    Weekly,
    Monthly,
}

impl Granularity {
    /// Parses the wire value (`hourly`, `daily`, `weekly`, `monthly`).
    pub fn parse(value: &str) -> Result<Granularity, FieldError> {
        match value {
            "hourly" => Ok(Granularity::Hourly),
            "daily" => Ok(Granularity::Daily),
            "weekly" => Ok(Granularity::Weekly),
            "monthly" => Ok(Granularity::Monthly),
            _ => Err(FieldError::new("granularity", "must be one of \"hourly\", \"daily\", \"weekly\", \"monthly\"")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hourly => "hourly",
            Granularity::Daily => "daily",
            Granularity::Weekly => "weekly",
            Granularity::Monthly => "monthly",
        }
    }
}

/// A bucket: `[start_ms, end_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bucket {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The date of a day number (days since 1970-01-01). Days outside the years
/// −9999..=9999 are clamped to that range.
fn date_of_day(day: i64) -> Date {
    let min = i64::from(Date::MIN.to_julian_day());
    let max = i64::from(Date::MAX.to_julian_day());
    let julian = (day + UNIX_EPOCH_JULIAN_DAY).clamp(min, max);
    Date::from_julian_day(julian as i32).unwrap_or(Date::MIN)
}

fn day_of_date(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// Start of the bucket containing `ms`.
pub fn bucket_start(ms: i64, granularity: Granularity) -> i64 {
    let day = ms.div_euclid(DAY_MS);
    match granularity {
        Granularity::Hourly => ms.div_euclid(HOUR_MS) * HOUR_MS,
        Granularity::Daily => day * DAY_MS,
        Granularity::Weekly => {
            // 1970-01-01 was a Thursday, three days after a Monday.
            let since_monday = (day + 3).rem_euclid(7);
            (day - since_monday) * DAY_MS
        }
        Granularity::Monthly => {
            let date = date_of_day(day);
            let first = Date::from_calendar_date(date.year(), date.month(), 1).unwrap_or(date);
            day_of_date(first) * DAY_MS
        }
    }
}

/// End (exclusive) of the bucket that starts at `start_ms`.
pub fn bucket_end(start_ms: i64, granularity: Granularity) -> i64 {
    match granularity {
        Granularity::Hourly => start_ms + HOUR_MS,
        Granularity::Daily => start_ms + DAY_MS,
        Granularity::Weekly => start_ms + WEEK_MS,
        Granularity::Monthly => {
            let date = date_of_day(start_ms.div_euclid(DAY_MS));
            let (year, month) = match date.month() {
                Month::December => (date.year() + 1, Month::January),
                m => (date.year(), m.next()),
            };
            match Date::from_calendar_date(year, month, 1) {
                Ok(next) => day_of_date(next) * DAY_MS,
                // Past the last representable month: a 31-day month.
                Err(_) => start_ms + 31 * DAY_MS,
            }
        }
    }
}

/// The bucket containing `ms`.
pub fn bucket_of(ms: i64, granularity: Granularity) -> Bucket {
    let start_ms = bucket_start(ms, granularity);
    Bucket { start_ms, end_ms: bucket_end(start_ms, granularity) }
}

/// The span `[start, end)` of the whole buckets that overlap the window
/// `[from_ms, to_ms]`. Load the signals created in that span so that the buckets at
/// the window's edges are computed from all of their signals, not from a part.
pub fn expand_window(from_ms: i64, to_ms: i64, granularity: Granularity) -> (i64, i64) {
    (bucket_start(from_ms, granularity), bucket_of(to_ms, granularity).end_ms)
}

/// The UTC date of `ms` as `YYYY-MM-DD`.
pub fn utc_date(ms: i64) -> String {
    let date = date_of_day(ms.div_euclid(DAY_MS));
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}
