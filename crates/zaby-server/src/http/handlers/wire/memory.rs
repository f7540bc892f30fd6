//! Memory items and candidates (E85–E92).

use serde_json::{Map, Value};
use zaby::types::{MemoryCandidate, MemoryItem, MemoryKind, MemoryRetrievalResult, RetrievedMemoryItem};

use super::stored;
use crate::error::ApiResult;
use crate::services::memory::Recall;
use crate::storage::memory::{CandidateRow, ItemRow};
use crate::util::clock::iso;

fn kind(value: &str) -> ApiResult<MemoryKind> {
    stored("memory kind", value)
}

fn object(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// `MemoryItem` (E85–E87, E91's item).
pub(crate) fn memory_item(i: ItemRow) -> ApiResult<MemoryItem> {
    let o = i.owner;
    Ok(MemoryItem {
        kind: Some(kind(&i.kind)?),
        metadata: i.doc.metadata,
        disabled_at: i.doc.disabled_at.map(iso),
        disable_reason: i.doc.disable_reason,
        id: i.id,
        agent_id: Some(o.agent_id),
        deployment_id: o.deployment_id,
        external_user_id: o.external_user_id,
        unique_id_hash: o.unique_id_hash,
        session_id: o.session_id,
        content: i.content,
        status: Some(i.status),
        candidate_id: i.candidate_id,
        created_at: Some(iso(i.created_at)),
        updated_at: Some(iso(i.updated_at)),
        extra: Map::new(),
    })
}

/// `MemoryCandidate` (E90–E92).
pub(crate) fn memory_candidate(c: CandidateRow) -> ApiResult<MemoryCandidate> {
    let o = c.owner;
    Ok(MemoryCandidate {
        kind: Some(kind(&c.kind)?),
        metadata: Some(object(&c.metadata)),
        id: c.id,
        agent_id: Some(o.agent_id),
        deployment_id: o.deployment_id,
        external_user_id: o.external_user_id,
        unique_id_hash: o.unique_id_hash,
        session_id: o.session_id,
        run_id: c.run_id,
        content: c.content,
        status: Some(c.status),
        reviewed_by: c.reviewed_by,
        reason: c.reason,
        memory_item_id: c.memory_item_id,
        created_at: Some(iso(c.created_at)),
        reviewed_at: c.reviewed_at.map(iso),
        extra: Map::new(),
    })
}

/// `MemoryRetrievalResult` (E89): each item as `MemoryItem` plus its score.
pub(crate) fn memory_retrieval(r: Recall) -> ApiResult<MemoryRetrievalResult> {
    let items = r
        .ranked
        .into_iter()
        .map(|(i, score)| {
            let MemoryItem {
                id,
                agent_id,
                deployment_id,
                external_user_id,
                unique_id_hash,
                session_id,
                content,
                kind,
                status,
                candidate_id,
                metadata,
                created_at,
                updated_at,
                disabled_at,
                disable_reason,
                extra,
            } = memory_item(i)?;
            Ok(RetrievedMemoryItem {
                id,
                agent_id,
                deployment_id,
                external_user_id,
                unique_id_hash,
                session_id,
                content,
                kind,
                status,
                candidate_id,
                metadata,
                created_at,
                updated_at,
                disabled_at,
                disable_reason,
                score,
                extra,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(MemoryRetrievalResult { query: r.query, items, extra: Map::new() })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::storage::memory::Owner;

    fn owner() -> Owner {
        Owner {
            agent_id: "a-1".into(),
            deployment_id: None,
            external_user_id: Some("u-1".into()),
            unique_id_hash: None,
            session_id: Some("s-1".into()),
        }
    }

    fn item() -> ItemRow {
        ItemRow {
            id: "m-1".into(),
            tenant_id: "t".into(),
            owner: owner(),
            content: "likes tea".into(),
            kind: "PREFERENCE".into(),
            status: "DISABLED".into(),
            candidate_id: Some("c-1".into()),
            doc: serde_json::from_value(json!({"metadata": {"k": 1}, "disabledAt": 2, "disableReason": "wrong"}))
                .expect("a stored memory item document"),
            created_at: 0,
            updated_at: 2,
        }
    }

    fn candidate() -> CandidateRow {
        CandidateRow {
            id: "c-1".into(),
            tenant_id: "t".into(),
            owner: owner(),
            run_id: Some("r-1".into()),
            content: "likes tea".into(),
            kind: "FACT".into(),
            status: "PENDING".into(),
            reviewed_by: None,
            reason: None,
            memory_item_id: None,
            metadata: json!({}),
            created_at: 0,
            reviewed_at: None,
        }
    }

    #[test]
    fn a_memory_item_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(memory_item(item()).unwrap()).unwrap();
        assert_eq!(response_problems("MemoryItem", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "m-1", "agentId": "a-1", "deploymentId": null, "externalUserId": "u-1",
                "uniqueIdHash": null, "sessionId": "s-1", "content": "likes tea", "kind": "PREFERENCE",
                "status": "DISABLED", "candidateId": "c-1", "metadata": {"k": 1},
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.002Z",
                "disabledAt": "1970-01-01T00:00:00.002Z", "disableReason": "wrong",
            })
        );
    }

    #[test]
    fn candidates_and_retrievals_keep_the_catalogue_wire_format() {
        let wire = serde_json::to_value(memory_candidate(candidate()).unwrap()).unwrap();
        assert_eq!(response_problems("MemoryCandidate", &wire), []);
        let found = Recall { query: "tea".into(), ranked: vec![(item(), 0.5)] };
        let wire = serde_json::to_value(memory_retrieval(found).unwrap()).unwrap();
        assert_eq!(response_problems("MemoryRetrievalResult", &wire), []);
        assert_eq!(wire["items"][0]["score"], 0.5);
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(memory_item(item()).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        map.remove("candidateId");
        map.insert("kind".into(), json!("OPINION"));
        let fields: Vec<String> = response_problems("MemoryItem", &wire).into_iter().map(|(f, _)| f).collect();
        assert!(fields.contains(&"candidateId".into()) && fields.contains(&"kind".into()), "{fields:?}");
    }

    #[test]
    fn a_stored_kind_the_catalogue_does_not_know_is_an_internal_error() {
        let mut c = candidate();
        c.kind = "OPINION".into();
        assert_eq!(memory_candidate(c).unwrap_err().code, "INTERNAL_ERROR");
    }
}
