//! `Feedback` (E28, E125).

use serde_json::{Map, Value};
use zaby::types::Feedback;

use super::stored;
use crate::error::ApiResult;
use crate::storage::runs::FeedbackRow;
use crate::util::clock::iso;

/// `Feedback`.
pub(crate) fn feedback(f: FeedbackRow) -> ApiResult<Feedback> {
    Ok(Feedback {
        source: Some(stored("feedback source", &f.source)?),
        metadata: match f.metadata {
            Value::Object(m) => Some(m),
            _ => None,
        },
        created_at: Some(iso(f.created_at)),
        id: Some(f.id),
        run_id: Some(f.run_id),
        accepted: true,
        rating: f.rating,
        label: f.label,
        comment: f.comment,
        domain_key: f.domain_key,
        topic_key: f.topic_key,
        agent_session_id: f.agent_session_id,
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;

    fn row() -> FeedbackRow {
        FeedbackRow {
            id: "fb-1".into(),
            tenant_id: "t".into(),
            run_id: "run-1".into(),
            agent_id: "a-1".into(),
            rating: Some(5),
            label: Some("great".into()),
            comment: None,
            domain_key: None,
            topic_key: Some("billing".into()),
            metadata: json!({"k": 1}),
            source: "RUNTIME".into(),
            agent_session_id: Some("s-1".into()),
            created_at: 2,
        }
    }

    #[test]
    fn feedback_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(feedback(row()).unwrap()).unwrap();
        assert_eq!(response_problems("Feedback", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "fb-1", "runId": "run-1", "accepted": true, "rating": 5, "label": "great",
                "comment": null, "domainKey": null, "topicKey": "billing", "metadata": {"k": 1},
                "source": "RUNTIME", "agentSessionId": "s-1", "createdAt": "1970-01-01T00:00:00.002Z",
            })
        );
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(feedback(row()).unwrap()).unwrap();
        wire["rating"] = json!("positive");
        wire.as_object_mut().unwrap().remove("accepted");
        let problems = response_problems("Feedback", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"rating") && fields.contains(&"accepted"), "{problems:?}");
    }

    #[test]
    fn a_stored_source_the_catalogue_does_not_know_is_an_internal_error() {
        let mut f = row();
        f.source = "EMAIL".into();
        assert_eq!(feedback(f).unwrap_err().code, "INTERNAL_ERROR");
    }
}
