//! Query-string helpers shared by list endpoints.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::storage::page::{Page, PageRequest, decode_cursor};
use crate::storage::runs::EventRow;

/// The page of a typed query: `cursor` (→ 422 when it is not one of ours) and `limit`
/// (already within the endpoint's bounds, `http::extract::Query`), `default` when absent.
pub(crate) fn page_of(cursor: Option<&str>, limit: Option<i64>, default: i64) -> ApiResult<PageRequest> {
    page_at(cursor, limit.unwrap_or(default))
}

fn page_at(cursor: Option<&str>, limit: i64) -> ApiResult<PageRequest> {
    let after = match cursor {
        None | Some("") => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| ApiError::invalid("cursor", "is not a valid cursor"))?),
    };
    Ok(PageRequest { limit, after })
}

/// `{items, nextCursor, total}`, at most `max_bytes` of JSON: items are kept while the
/// page stays within it (the first one always), and when one is left out `nextCursor`
/// goes on right after the last one kept, so walking the pages still lists each item once.
pub fn list_body(max_bytes: usize, page: Page<Value>) -> Value {
    let Page { mut items, cursors, mut next_cursor, total } = page;
    let kept = items_within(&items, envelope_bytes(&cursors, total), max_bytes);
    if kept < items.len()
        && let Some(cursor) = cursors.get(kept - 1)
    {
        items.truncate(kept);
        next_cursor = Some(cursor.clone());
    }
    json!({ "items": items, "nextCursor": next_cursor, "total": total })
}

/// The bytes of the envelope around the items, with room for the longest cursor.
fn envelope_bytes(cursors: &[String], total: i64) -> usize {
    let cursor = cursors.iter().map(String::len).max().unwrap_or(0);
    r#"{"items":[],"nextCursor":"","total":}"#.len() + cursor + total.to_string().len()
}

/// How many leading items fit in `max_bytes` after `used` (at least one, when there is one).
fn items_within(items: &[Value], used: usize, max_bytes: usize) -> usize {
    sizes_within(items.iter().map(json_len), used, max_bytes)
}

/// How many leading entries, of these sizes and comma-separated, fit in `max_bytes` after
/// `used` (at least one, when there is one).
fn sizes_within(sizes: impl IntoIterator<Item = usize>, mut used: usize, max_bytes: usize) -> usize {
    let mut fit = 0;
    for (i, size) in sizes.into_iter().enumerate() {
        used += size + usize::from(i > 0);
        if i > 0 && used > max_bytes {
            break;
        }
        fit = i + 1;
    }
    fit
}

/// How many of a run's leading events an event page holds within `max_bytes` (at least
/// one). The page (`RunEventPage`, http/handlers/wire/runs.rs) lists each event twice,
/// in `items` and in `events`, as `{"id","seq","runId","event","data","createdAt"}`;
/// the sizes counted here are upper bounds of that rendering.
pub(crate) fn events_within(max_bytes: usize, run_id: &str, events: &[EventRow]) -> usize {
    // The members' names and punctuation, a timestamp, and room for the two seqs.
    const EVENT: usize = r#"{"id":"","seq":,"runId":"","event":"","data":,"createdAt":""}"#.len() + 30 + 2 * 20;
    // The page's other members: status, latestSeq, runId, nextCursor, total.
    const PAGE: usize =
        r#"{"status":"","latestSeq":,"runId":"","events":[],"items":[],"nextCursor":"","total":}"#.len() + 32 + 3 * 20;
    let event = |e: &EventRow| {
        let one = EVENT + run_id.len() + json_len(&Value::String(e.event.clone())) + json_len(&e.data);
        // Twice, with the comma of the second array.
        2 * one + 1
    };
    sizes_within(events.iter().map(event), PAGE + run_id.len(), max_bytes)
}

/// The length of `value` as compact JSON, counted without building the text.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` into a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// The `from`/`to` window of a report query, in epoch ms: `to` defaults to `now` and
/// `from` to `default_span_ms` before `to`; each is a timestamp or a `YYYY-MM-DD` date
/// (`to` inclusive of its whole day), and `from` must not be after `to`.
pub fn time_window(from: Option<&str>, to: Option<&str>, now: i64, default_span_ms: i64) -> ApiResult<(i64, i64)> {
    use crate::util::clock::parse_bound;
    let bound = |key: &str, value: Option<&str>, end: bool| -> ApiResult<Option<i64>> {
        match value.filter(|s| !s.is_empty()) {
            Some(s) => {
                parse_bound(s, end).map(Some).ok_or_else(|| ApiError::invalid(key, "must be a timestamp or YYYY-MM-DD"))
            }
            None => Ok(None),
        }
    };
    let to = bound("to", to, true)?.unwrap_or(now);
    let from = bound("from", from, false)?.unwrap_or(to - default_span_ms);
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(sizes: &[usize], next: Option<&str>) -> Page<Value> {
        Page {
            items: sizes.iter().map(|n| json!("x".repeat(*n))).collect(),
            cursors: (0..sizes.len()).map(|i| format!("c{i}")).collect(),
            next_cursor: next.map(str::to_string),
            total: 50,
        }
    }

    #[test]
    fn a_page_stops_before_the_item_that_passes_the_bound() {
        let body = list_body(300, page(&[100, 100, 100], None));
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        assert_eq!(body["nextCursor"], "c1");
        assert!(body.to_string().len() <= 300, "{}", body.to_string().len());
    }

    #[test]
    fn an_event_page_counts_each_event_twice() {
        let events: Vec<EventRow> = (1..=4)
            .map(|seq| EventRow { seq, event: "text".into(), data: json!({"content": "x".repeat(100)}), created_at: 0 })
            .collect();
        let one = events_within(usize::MAX, "run", &events[..1]);
        assert_eq!((one, events_within(usize::MAX, "run", &events)), (1, 4));
        // 1,000 bytes would hold three of these events (~250 bytes of JSON each) listed
        // once; listed twice, only one fits beside the envelope.
        assert_eq!(events_within(1_000, "run", &events), 1);
        assert_eq!(events_within(0, "run", &events), 1, "one event at least");
    }

    #[test]
    fn a_page_keeps_one_item_even_above_the_bound() {
        let body = list_body(10, page(&[100, 100], Some("c1")));
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        assert_eq!(body["nextCursor"], "c0");
    }

    #[test]
    fn a_page_within_the_bound_is_left_whole() {
        let body = list_body(10_000, page(&[100, 100], Some("next")));
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        assert_eq!(body["nextCursor"], "next");
        let body = list_body(10_000, page(&[100, 100], None));
        assert_eq!(body["nextCursor"], Value::Null);
    }
}
