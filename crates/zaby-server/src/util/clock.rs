//! Wall-clock time as epoch milliseconds, and the API's timestamp format.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `2026-06-24T12:00:00.000Z` for an epoch-millisecond value.
pub fn iso(ms: i64) -> String {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.millisecond()
    )
}

/// Parses a `from`/`to` query value: an RFC 3339 timestamp or a `YYYY-MM-DD` date.
/// A date means its start, or with `end_of_day` the last millisecond of that day.
pub fn parse_bound(s: &str, end_of_day: bool) -> Option<i64> {
    if let Ok(dt) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some((dt.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(s, &fmt).ok()?;
    let start = PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc();
    let ms = (start.unix_timestamp_nanos() / 1_000_000) as i64;
    Some(if end_of_day { ms + 86_400_000 - 1 } else { ms })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_782_302_400_123), "2026-06-24T12:00:00.123Z");
    }

    #[test]
    fn parses_dates_and_timestamps() {
        assert_eq!(parse_bound("1970-01-02", false), Some(86_400_000));
        assert_eq!(parse_bound("1970-01-01", true), Some(86_399_999));
        assert_eq!(parse_bound("1970-01-01T00:00:01.500Z", false), Some(1500));
        assert_eq!(parse_bound("yesterday", false), None);
    }
}
