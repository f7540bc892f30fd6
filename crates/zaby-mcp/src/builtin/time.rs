//! Time zones of the `current_time` tool: `UTC` and fixed offsets. Named
//! zones (`Europe/Paris`) need a tz database, which the server does not ship.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

/// Parses `UTC`/`Z`/`GMT`, `±HH:MM`, `±HHMM`, `±HH`, optionally prefixed with
/// `UTC` or `GMT` (`UTC+02:00`). Offsets range over ±23:59.
pub fn parse_timezone(zone: &str) -> Result<FixedOffset, String> {
    let unknown =
        || format!("unknown timezone {zone:?}: use \"UTC\" or a fixed offset such as \"+02:00\" or \"-05:30\"");
    let trimmed = zone.trim();
    let upper = trimmed.to_ascii_uppercase();
    if matches!(upper.as_str(), "UTC" | "Z" | "GMT") {
        return Ok(FixedOffset::east_opt(0).expect("zero offset"));
    }
    let offset = upper.strip_prefix("UTC").or_else(|| upper.strip_prefix("GMT")).unwrap_or(&upper);
    let (sign, digits) = match offset.as_bytes().first() {
        Some(b'+') => (1, &offset[1..]),
        Some(b'-') => (-1, &offset[1..]),
        _ => return Err(unknown()),
    };
    let (hours, minutes) = match digits.len() {
        2 => (digits, "00"),
        4 => (&digits[..2], &digits[2..]),
        5 if digits.as_bytes()[2] == b':' => (&digits[..2], &digits[3..]),
        _ => return Err(unknown()),
    };
    let number = |s: &str| {
        if s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<i32>().ok() } else { None }
    };
    let (Some(hours), Some(minutes)) = (number(hours), number(minutes)) else {
        return Err(unknown());
    };
    if hours > 23 || minutes > 59 {
        return Err(format!("timezone offset {zone:?} is out of range (at most ±23:59)"));
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(unknown)
}

/// `now` in `offset` as ISO-8601 with milliseconds; UTC is written with `Z`.
pub fn format_time(now: DateTime<Utc>, offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        now.to_rfc3339_opts(SecondsFormat::Millis, true)
    } else {
        now.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::Millis, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_utc_and_offsets() {
        assert_eq!(parse_timezone("UTC").unwrap().local_minus_utc(), 0);
        assert_eq!(parse_timezone("z").unwrap().local_minus_utc(), 0);
        assert_eq!(parse_timezone("+02:00").unwrap().local_minus_utc(), 7200);
        assert_eq!(parse_timezone("-05:30").unwrap().local_minus_utc(), -19800);
        assert_eq!(parse_timezone("+0545").unwrap().local_minus_utc(), 20700);
        assert_eq!(parse_timezone("UTC+01").unwrap().local_minus_utc(), 3600);
    }

    #[test]
    fn rejects_unknown_zones() {
        for zone in ["Europe/Paris", "", "+2", "+24:00", "+02:60", "02:00", "+0a:00", "+02-00"] {
            assert!(parse_timezone(zone).is_err(), "{zone} should be rejected");
        }
    }

    #[test]
    fn formats_with_the_offset() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(format_time(now, parse_timezone("UTC").unwrap()), "2026-03-01T10:00:00.000Z");
        assert_eq!(format_time(now, parse_timezone("+02:00").unwrap()), "2026-03-01T12:00:00.000+02:00");
    }
}
