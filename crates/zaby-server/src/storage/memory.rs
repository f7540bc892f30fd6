//! Memory items, memory candidates and the audit records of deleted items
//! (`docs/api/memory.md`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;
use zaby::types::{MemoryCandidateStatus, MemoryItemStatus};

use super::columns::{Json, stored_document};
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};
use crate::args;

/// Who a memory belongs to: the agent and the end user.
#[derive(Debug, Clone, Default, FromRow)]
pub struct Owner {
    pub agent_id: String,
    pub deployment_id: Option<String>,
    pub external_user_id: Option<String>,
    pub unique_id_hash: Option<String>,
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
    pub id: String,
    pub tenant_id: String,
    #[sqlx(flatten)]
    pub owner: Owner,
    pub content: String,
    pub kind: String,
    pub status: String,
    pub candidate_id: Option<String>,
    pub doc: ItemDoc,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The members of a memory item without a column, stored as the JSON object
/// `memory_items.doc` by their wire names. A member added later takes
/// `#[serde(default)]`, so the rows written before it still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemDoc {
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Epoch milliseconds of the first disable.
    #[serde(default)]
    pub disabled_at: Option<i64>,
    #[serde(default)]
    pub disable_reason: Option<String>,
}

stored_document!(ItemDoc);

pub async fn insert_item(conn: &mut Conn, i: &ItemRow) -> DbResult<()> {
    let o = &i.owner;
    exec(
        conn,
        "INSERT INTO memory_items (id, tenant_id, agent_id, deployment_id, external_user_id, unique_id_hash, session_id, content, kind, status, candidate_id, doc, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        args![
            &i.id, &i.tenant_id, &o.agent_id, &o.deployment_id, &o.external_user_id, &o.unique_id_hash, &o.session_id,
            &i.content, &i.kind, &i.status, &i.candidate_id, &i.doc, i.created_at, i.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn update_item(conn: &mut Conn, i: &ItemRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE memory_items SET status = $2, doc = $3, updated_at = $4 WHERE id = $1",
        args![&i.id, &i.status, &i.doc, i.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn get_item(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ItemRow>> {
    one_as(conn, "SELECT * FROM memory_items WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// Filters shared by items and candidates; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct MemoryFilter {
    pub agent_id: Option<String>,
    pub deployment_id: Option<String>,
    pub external_user_id: Option<String>,
    pub unique_id_hash: Option<String>,
    pub session_id: Option<String>,
    pub status: Option<String>,
}

fn filter(tenant_id: &str, mf: &MemoryFilter) -> Filter {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    for (col, v) in [
        ("agent_id", &mf.agent_id),
        ("deployment_id", &mf.deployment_id),
        ("external_user_id", &mf.external_user_id),
        ("unique_id_hash", &mf.unique_id_hash),
        ("session_id", &mf.session_id),
        ("status", &mf.status),
    ] {
        if let Some(v) = v {
            f.eq(col, v.as_str());
        }
    }
    f
}

pub async fn list_items(
    conn: &mut Conn,
    tenant_id: &str,
    mf: &MemoryFilter,
    page: &PageRequest,
) -> DbResult<Page<ItemRow>> {
    fetch_page(conn, "memory_items", &filter(tenant_id, mf), page).await
}

/// Every item matching the filter, oldest first (retrieval scores them all).
pub async fn matching_items(conn: &mut Conn, tenant_id: &str, mf: &MemoryFilter) -> DbResult<Vec<ItemRow>> {
    let f = filter(tenant_id, mf);
    all_as(conn, &format!("SELECT * FROM memory_items WHERE {} ORDER BY created_at, id", f.sql()), f.args).await
}

/// Deletes an item for good and records who/why in `memory_deletions`.
pub async fn delete_item(conn: &mut Conn, i: &ItemRow, audit_id: &str, reason: Option<&str>, now: i64) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO memory_deletions (id, tenant_id, memory_item_id, agent_id, external_user_id, unique_id_hash, reason, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![audit_id, &i.tenant_id, &i.id, &i.owner.agent_id, &i.owner.external_user_id, &i.owner.unique_id_hash, reason, now],
    )
    .await?;
    exec(conn, "DELETE FROM memory_items WHERE id = $1", args![&i.id]).await?;
    Ok(())
}

pub async fn count_deletions(conn: &mut Conn, memory_item_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM memory_deletions WHERE memory_item_id = $1", args![memory_item_id]).await
}

// ---------------------------------------------------------------- candidates

#[derive(Debug, Clone, FromRow)]
pub struct CandidateRow {
    pub id: String,
    pub tenant_id: String,
    #[sqlx(flatten)]
    pub owner: Owner,
    pub run_id: Option<String>,
    pub content: String,
    pub kind: String,
    pub status: String,
    pub reviewed_by: Option<String>,
    pub reason: Option<String>,
    pub memory_item_id: Option<String>,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub created_at: i64,
    pub reviewed_at: Option<i64>,
}

pub async fn insert_candidate(conn: &mut Conn, c: &CandidateRow) -> DbResult<()> {
    let o = &c.owner;
    exec(
        conn,
        "INSERT INTO memory_candidates (id, tenant_id, agent_id, deployment_id, external_user_id, unique_id_hash, session_id, run_id, content, kind, status, reviewed_by, reason, memory_item_id, metadata, created_at, reviewed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        args![
            &c.id, &c.tenant_id, &o.agent_id, &o.deployment_id, &o.external_user_id, &o.unique_id_hash, &o.session_id,
            &c.run_id, &c.content, &c.kind, &c.status, &c.reviewed_by, &c.reason, &c.memory_item_id, &c.metadata,
            c.created_at, c.reviewed_at
        ],
    )
    .await?;
    Ok(())
}

/// PENDING → APPROVED/REJECTED; `false` when it was already reviewed.
pub async fn review_candidate(conn: &mut Conn, c: &CandidateRow) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE memory_candidates SET status = $2, reviewed_by = $3, reason = $4, memory_item_id = $5, metadata = $6, reviewed_at = $7 WHERE id = $1 AND status = 'PENDING'",
        args![&c.id, &c.status, &c.reviewed_by, &c.reason, &c.memory_item_id, &c.metadata, c.reviewed_at],
    )
    .await?
        > 0)
}

pub async fn get_candidate(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<CandidateRow>> {
    one_as(conn, "SELECT * FROM memory_candidates WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn list_candidates(
    conn: &mut Conn,
    tenant_id: &str,
    mf: &MemoryFilter,
    page: &PageRequest,
) -> DbResult<Page<CandidateRow>> {
    fetch_page(conn, "memory_candidates", &filter(tenant_id, mf), page).await
}

/// Whether the end user already has this content as an ACTIVE item or a PENDING
/// candidate of the agent.
pub async fn content_known(conn: &mut Conn, tenant_id: &str, mf: &MemoryFilter, content: &str) -> DbResult<bool> {
    let mut items = mf.clone();
    items.status = Some(MemoryItemStatus::Active.as_str().into());
    let mut f = filter(tenant_id, &items);
    f.eq("content", content);
    if scalar_i64(conn, &format!("SELECT COUNT(*) FROM memory_items WHERE {}", f.sql()), f.args).await? > 0 {
        return Ok(true);
    }
    let mut cands = mf.clone();
    cands.status = Some(MemoryCandidateStatus::Pending.as_str().into());
    let mut f = filter(tenant_id, &cands);
    f.eq("content", content);
    Ok(scalar_i64(conn, &format!("SELECT COUNT(*) FROM memory_candidates WHERE {}", f.sql()), f.args).await? > 0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_old_item_document_reads_and_is_written_back_unchanged() {
        // As the server wrote it before `ItemDoc`, then disabled.
        let old = json!({"metadata": {"k": 1}, "disabledAt": 7, "disableReason": "wrong"});
        let doc: ItemDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!((doc.disabled_at, doc.disable_reason.as_deref()), (Some(7), Some("wrong")));
        assert_eq!(serde_json::to_value(&doc).unwrap(), old);
        assert_eq!(serde_json::from_value::<ItemDoc>(json!({})).unwrap(), ItemDoc::default());
    }
}
