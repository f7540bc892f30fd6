//! Cron schedules of ingestion policies: five fields, UTC.

use chrono::{NaiveDate, TimeZone, Utc};
use zaby_knowledge::Schedule;

/// Epoch ms of a UTC date and time.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    Utc.from_utc_datetime(&NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, s).unwrap()).timestamp_millis()
}

fn next(expr: &str, after: i64) -> i64 {
    Schedule::parse(expr).unwrap().next_after(after).unwrap()
}

#[test]
fn daily_at_six_is_strictly_after() {
    let s = "0 6 * * *";
    assert_eq!(next(s, at(2024, 1, 1, 5, 59, 59) + 999), at(2024, 1, 1, 6, 0, 0));
    assert_eq!(next(s, at(2024, 1, 1, 6, 0, 0)), at(2024, 1, 2, 6, 0, 0));
    assert_eq!(next(s, at(2024, 1, 1, 6, 0, 0) + 1), at(2024, 1, 2, 6, 0, 0));
}

#[test]
fn steps_within_the_hour() {
    assert_eq!(next("*/15 * * * *", at(2024, 3, 5, 10, 7, 30)), at(2024, 3, 5, 10, 15, 0));
    assert_eq!(next("*/15 * * * *", at(2024, 3, 5, 23, 50, 0)), at(2024, 3, 6, 0, 0, 0));
}

#[test]
fn month_edges() {
    // April has no 31st.
    assert_eq!(next("0 0 31 * *", at(2024, 4, 1, 0, 0, 0)), at(2024, 5, 31, 0, 0, 0));
    // The next 29 February after March 2023 is in 2024.
    assert_eq!(next("0 0 29 2 *", at(2023, 3, 1, 0, 0, 0)), at(2024, 2, 29, 0, 0, 0));
    assert_eq!(next("0 0 29 2 *", at(2024, 2, 29, 0, 0, 0)), at(2028, 2, 29, 0, 0, 0));
    // Year rollover.
    assert_eq!(next("0 0 1 1 *", at(2024, 6, 1, 0, 0, 0)), at(2025, 1, 1, 0, 0, 0));
    assert_eq!(next("59 23 31 12 *", at(2024, 12, 31, 23, 59, 0)), at(2025, 12, 31, 23, 59, 0));
    // Month names.
    assert_eq!(next("0 12 1 jun *", at(2024, 6, 1, 12, 0, 0)), at(2025, 6, 1, 12, 0, 0));
}

#[test]
fn day_of_week_edges() {
    // 2024-01-06 is a Saturday; the next Monday is the 8th.
    assert_eq!(next("30 9 * * 1", at(2024, 1, 6, 0, 0, 0)), at(2024, 1, 8, 9, 30, 0));
    assert_eq!(next("30 9 * * MON", at(2024, 1, 6, 0, 0, 0)), at(2024, 1, 8, 9, 30, 0));
    // 0 and 7 are both Sunday; 2024-01-01 is a Monday.
    assert_eq!(next("0 0 * * 0", at(2024, 1, 1, 0, 0, 0)), at(2024, 1, 7, 0, 0, 0));
    assert_eq!(next("0 0 * * 7", at(2024, 1, 1, 0, 0, 0)), at(2024, 1, 7, 0, 0, 0));
    // Weekdays across a month end: Wednesday 2024-01-31 23:00 → Thursday 1 Feb.
    assert_eq!(next("0 8 * * 1-5", at(2024, 1, 31, 23, 0, 0)), at(2024, 2, 1, 8, 0, 0));
    // Friday 2024-02-02 after 08:00 → Monday 2024-02-05.
    assert_eq!(next("0 8 * * 1-5", at(2024, 2, 2, 8, 0, 0)), at(2024, 2, 5, 8, 0, 0));
    // Day of month and day of week both restricted: either matches (Vixie cron).
    // The 13th of January 2024 is a Saturday; Friday the 5th comes first.
    assert_eq!(next("0 0 13 * 5", at(2024, 1, 1, 0, 0, 0)), at(2024, 1, 5, 0, 0, 0));
    assert_eq!(next("0 0 13 * 5", at(2024, 1, 12, 0, 0, 0)), at(2024, 1, 13, 0, 0, 0));
}

#[test]
fn latest_due_collapses_missed_times() {
    let s = Schedule::parse("0 * * * *").unwrap();
    assert_eq!(s.latest_due(at(2024, 1, 1, 10, 30, 0), at(2024, 1, 1, 13, 10, 0)), Some(at(2024, 1, 1, 13, 0, 0)));
    assert_eq!(s.latest_due(at(2024, 1, 1, 13, 0, 0), at(2024, 1, 1, 13, 59, 59)), None);
    // The end is inclusive, the start exclusive.
    assert_eq!(s.latest_due(at(2024, 1, 1, 13, 0, 0), at(2024, 1, 1, 14, 0, 0)), Some(at(2024, 1, 1, 14, 0, 0)));
    assert_eq!(s.latest_due(at(2024, 1, 1, 14, 0, 0), at(2024, 1, 1, 14, 0, 0)), None);
}

#[test]
fn field_count_errors_name_the_count() {
    for (expr, count) in [("0 6 * *", 4), ("0 6 * * * *", 6), ("@daily", 1), ("", 0), ("0 0 1 1 * 2030", 6)] {
        let err = Schedule::parse(expr).unwrap_err();
        assert_eq!(err.field, "schedule");
        assert!(err.message.contains(&format!("got {count} field")), "{expr:?}: {}", err.message);
        assert!(err.message.contains("5 fields"), "{}", err.message);
    }
}

#[test]
fn invalid_fields_are_named() {
    for (expr, field) in [
        ("61 * * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 0 32 * *", "day-of-month"),
        ("0 0 * 13 *", "month"),
        ("0 0 * * 8", "day-of-week"),
        ("0 0 * * funday", "day-of-week"),
        ("x * * * *", "minute"),
    ] {
        let err = Schedule::parse(expr).unwrap_err();
        assert_eq!(err.field, "schedule");
        assert!(err.message.contains(&format!("invalid {field} field")), "{expr:?}: {}", err.message);
    }
}

#[test]
fn impossible_dates_are_rejected() {
    let err = Schedule::parse("0 0 30 2 *").unwrap_err();
    assert!(err.message.contains("never"), "{}", err.message);
}

#[test]
fn whitespace_is_normalized() {
    assert_eq!(Schedule::parse("  0   6 *\t* * ").unwrap().as_str(), "0 6 * * *");
}
