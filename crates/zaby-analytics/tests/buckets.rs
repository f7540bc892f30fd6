//! UTC bucket alignment across hour, day, week, month and year boundaries.

mod common;

use common::{at, at_ms};
use zaby_analytics::{Bucket, Granularity, bucket_of, expand_window, utc_date};

fn bucket(ms: i64, g: Granularity) -> (i64, i64) {
    let Bucket { start_ms, end_ms } = bucket_of(ms, g);
    (start_ms, end_ms)
}

#[test]
fn hourly() {
    let g = Granularity::Hourly;
    assert_eq!(bucket(at_ms(2024, 3, 5, 10, 59, 59, 999), g), (at(2024, 3, 5, 10, 0, 0), at(2024, 3, 5, 11, 0, 0)));
    assert_eq!(bucket(at(2024, 3, 5, 11, 0, 0), g), (at(2024, 3, 5, 11, 0, 0), at(2024, 3, 5, 12, 0, 0)));
    assert_eq!(bucket(at(2023, 12, 31, 23, 30, 0), g), (at(2023, 12, 31, 23, 0, 0), at(2024, 1, 1, 0, 0, 0)));
}

#[test]
fn daily() {
    let g = Granularity::Daily;
    assert_eq!(bucket(at_ms(2023, 12, 31, 23, 59, 59, 999), g), (at(2023, 12, 31, 0, 0, 0), at(2024, 1, 1, 0, 0, 0)));
    assert_eq!(bucket(at(2024, 1, 1, 0, 0, 0), g), (at(2024, 1, 1, 0, 0, 0), at(2024, 1, 2, 0, 0, 0)));
    assert_eq!(bucket(at(2024, 2, 29, 12, 0, 0), g), (at(2024, 2, 29, 0, 0, 0), at(2024, 3, 1, 0, 0, 0)));
    // Before the epoch.
    assert_eq!(bucket(at(1969, 12, 31, 23, 0, 0), g), (at(1969, 12, 31, 0, 0, 0), at(1970, 1, 1, 0, 0, 0)));
}

#[test]
fn weekly_starts_on_monday() {
    let g = Granularity::Weekly;
    // 2024-01-01 is a Monday; Sunday 2023-12-31 belongs to the week of Christmas.
    assert_eq!(bucket(at(2023, 12, 31, 23, 0, 0), g), (at(2023, 12, 25, 0, 0, 0), at(2024, 1, 1, 0, 0, 0)));
    assert_eq!(bucket(at(2024, 1, 1, 0, 0, 0), g), (at(2024, 1, 1, 0, 0, 0), at(2024, 1, 8, 0, 0, 0)));
    assert_eq!(bucket(at_ms(2024, 1, 7, 23, 59, 59, 999), g), (at(2024, 1, 1, 0, 0, 0), at(2024, 1, 8, 0, 0, 0)));
    // A week across a month end: Friday 2024-03-01 → Monday 2024-02-26.
    assert_eq!(bucket(at(2024, 3, 1, 9, 0, 0), g), (at(2024, 2, 26, 0, 0, 0), at(2024, 3, 4, 0, 0, 0)));
    // The epoch was a Thursday.
    assert_eq!(bucket(0, g).0, at(1969, 12, 29, 0, 0, 0));
    assert_eq!(bucket(at(1969, 12, 31, 0, 0, 0), g).0, at(1969, 12, 29, 0, 0, 0));
}

#[test]
fn monthly_is_the_calendar_month() {
    let g = Granularity::Monthly;
    assert_eq!(bucket(at(2024, 2, 29, 12, 0, 0), g), (at(2024, 2, 1, 0, 0, 0), at(2024, 3, 1, 0, 0, 0)));
    assert_eq!(bucket(at(2023, 2, 28, 23, 0, 0), g), (at(2023, 2, 1, 0, 0, 0), at(2023, 3, 1, 0, 0, 0)));
    assert_eq!(bucket(at(2023, 12, 15, 0, 0, 0), g), (at(2023, 12, 1, 0, 0, 0), at(2024, 1, 1, 0, 0, 0)));
    assert_eq!(bucket(at_ms(2024, 1, 31, 23, 59, 59, 999), g), (at(2024, 1, 1, 0, 0, 0), at(2024, 2, 1, 0, 0, 0)));
    assert_eq!(bucket(at(2024, 2, 1, 0, 0, 0), g), (at(2024, 2, 1, 0, 0, 0), at(2024, 3, 1, 0, 0, 0)));
}

#[test]
fn windows_expand_to_whole_buckets() {
    assert_eq!(
        expand_window(at(2024, 1, 10, 12, 0, 0), at(2024, 2, 3, 0, 0, 0), Granularity::Monthly),
        (at(2024, 1, 1, 0, 0, 0), at(2024, 3, 1, 0, 0, 0))
    );
    assert_eq!(
        expand_window(at(2024, 1, 10, 12, 0, 0), at(2024, 1, 11, 0, 0, 0), Granularity::Daily),
        (at(2024, 1, 10, 0, 0, 0), at(2024, 1, 12, 0, 0, 0))
    );
}

#[test]
fn dates_and_parsing() {
    assert_eq!(utc_date(at_ms(2024, 2, 29, 23, 59, 59, 999)), "2024-02-29");
    assert_eq!(utc_date(at(1969, 12, 31, 1, 0, 0)), "1969-12-31");
    assert_eq!(Granularity::parse("weekly").unwrap(), Granularity::Weekly);
    assert_eq!(Granularity::default(), Granularity::Daily);
    let err = Granularity::parse("yearly").unwrap_err();
    assert_eq!(err.field, "granularity");
}
