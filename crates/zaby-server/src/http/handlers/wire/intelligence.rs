//! Signals, rollups and improvements (E93–E97).

use serde_json::{Map, Value};
use zaby::types::{Improvement, Rollup, Signal};

use super::stored;
use crate::error::ApiResult;
use crate::services::intelligence::AgentRollup;
use crate::storage::intelligence::{ImprovementRow, SignalRow};
use crate::util::clock::iso;

fn object(v: &Value) -> Option<Map<String, Value>> {
    v.as_object().cloned()
}

/// `Signal` (E93). `type` is an open enumeration: a kind newer than the catalogue
/// still reads.
pub(crate) fn signal(s: SignalRow) -> ApiResult<Signal> {
    Ok(Signal {
        r#type: s.kind.as_str().into(),
        payload: Some(object(&s.payload).unwrap_or_default()),
        id: Some(s.id),
        agent_id: s.agent_id,
        deployment_id: s.deployment_id,
        run_id: s.run_id,
        value: s.value,
        created_at: Some(iso(s.created_at)),
        extra: Map::new(),
    })
}

/// `Rollup` (E94).
pub(crate) fn rollup(r: AgentRollup) -> ApiResult<Rollup> {
    let AgentRollup { agent_id, granularity, rollup: r } = r;
    Ok(Rollup {
        agent_id,
        metric: stored("rollup metric", r.metric.as_str())?,
        granularity: stored("granularity", granularity.as_str())?,
        bucket_start: Some(iso(r.bucket_start_ms)),
        bucket_end: Some(iso(r.bucket_end_ms)),
        value: Some(r.value),
        count: Some(r.count as i64),
        extra: Map::new(),
    })
}

/// `Improvement` (E95–E97).
pub(crate) fn improvement(i: ImprovementRow) -> ApiResult<Improvement> {
    let d = i.doc;
    Ok(Improvement {
        title: d.title,
        description: d.description,
        category: d.category,
        status: stored("improvement status", &i.status)?,
        suggested_change: Some(d.suggested_change),
        signal_ids: Some(d.signal_ids),
        comment: d.comment,
        reason: d.reason,
        decided_at: d.decided_at.map(iso),
        id: i.id,
        agent_id: Some(i.agent_id),
        created_at: Some(iso(i.created_at)),
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;

    fn improvement_row() -> ImprovementRow {
        ImprovementRow {
            id: "i-1".into(),
            tenant_id: "t".into(),
            agent_id: "a-1".into(),
            status: "PROPOSED".into(),
            cause: "tool_errors:search".into(),
            doc: serde_json::from_value(json!({
                "title": "Fix search", "description": "It fails", "category": "TOOLS",
                "suggestedChange": {"tool": "search"}, "signalIds": ["s-1"],
                "comment": null, "reason": null, "decidedAt": null,
            }))
            .expect("a stored improvement document"),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn an_improvement_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(improvement(improvement_row()).unwrap()).unwrap();
        assert_eq!(response_problems("Improvement", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "i-1", "agentId": "a-1", "title": "Fix search", "description": "It fails",
                "category": "TOOLS", "status": "PROPOSED", "suggestedChange": {"tool": "search"},
                "signalIds": ["s-1"], "comment": null, "reason": null,
                "createdAt": "1970-01-01T00:00:00.000Z", "decidedAt": null,
            })
        );
    }

    #[test]
    fn signals_and_rollups_keep_the_catalogue_wire_format() {
        let s = SignalRow {
            id: "s-1".into(),
            agent_id: "a-1".into(),
            deployment_id: None,
            run_id: Some("r-1".into()),
            kind: "user_feedback".into(),
            value: Some(5.0),
            payload: json!({"rating": 5}),
            is_test_run: false,
            created_at: 0,
        };
        assert_eq!(response_problems("Signal", &serde_json::to_value(signal(s).unwrap()).unwrap()), []);
        let r = AgentRollup {
            agent_id: "a-1".into(),
            granularity: zaby_analytics::Granularity::Daily,
            rollup: zaby_analytics::Rollup {
                metric: zaby_analytics::Metric::RunCount,
                bucket_start_ms: 0,
                bucket_end_ms: 86_400_000,
                value: 3.0,
                count: 3,
            },
        };
        let wire = serde_json::to_value(rollup(r).unwrap()).unwrap();
        assert_eq!(response_problems("Rollup", &wire), []);
        assert_eq!((&wire["metric"], &wire["granularity"]), (&json!("run_count"), &json!("daily")));
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(improvement(improvement_row()).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        map.remove("decidedAt");
        map.insert("status".into(), json!("DONE"));
        let fields: Vec<String> = response_problems("Improvement", &wire).into_iter().map(|(f, _)| f).collect();
        assert!(fields.contains(&"decidedAt".into()) && fields.contains(&"status".into()), "{fields:?}");
    }
}
