//! Helpers shared by the integration tests.
#![allow(dead_code)]

use serde_json::{Value, json};
use time::{Date, Month, PrimitiveDateTime, Time};
use zaby_analytics::{Signal, SignalKind};

/// Epoch ms of a UTC date and time (with milliseconds).
pub fn at_ms(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, ms: u16) -> i64 {
    let date = Date::from_calendar_date(y, Month::try_from(mo).unwrap(), d).unwrap();
    let time = Time::from_hms_milli(h, mi, s, ms).unwrap();
    let dt = PrimitiveDateTime::new(date, time).assume_utc();
    (dt.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Epoch ms of a UTC date and time.
pub fn at(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> i64 {
    at_ms(y, mo, d, h, mi, s, 0)
}

pub fn signal(id: &str, kind: &str, value: Option<f64>, payload: Value, created_at_ms: i64) -> Signal {
    Signal {
        id: id.to_string(),
        kind: SignalKind::parse(kind),
        run_id: None,
        value,
        payload,
        created_at_ms,
        is_test_run: false,
    }
}

/// A run signal with tool calls and tokens in its payload.
pub fn run(
    id: &str,
    kind: &str,
    value: Option<f64>,
    tools: u64,
    input: u64,
    output: u64,
    created_at_ms: i64,
) -> Signal {
    signal(
        id,
        kind,
        value,
        json!({"isTestRun": false, "toolCalls": tools, "inputTokens": input, "outputTokens": output}),
        created_at_ms,
    )
}

pub fn test_run(mut s: Signal) -> Signal {
    s.is_test_run = true;
    s
}

pub fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}
