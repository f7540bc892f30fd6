//! Memory (`docs/api/memory.md`, E85–E92): items per agent and end user, candidates and
//! their review, retrieval scored like knowledge (`zaby_knowledge`), and what runs
//! need (retrieval of the end user's items, proposing candidates).

use serde_json::{Map, Value};
use zaby::types::{
    ApproveMemoryCandidateInput, DeleteMemoryItemInput, DisableMemoryItemInput, E85Query, E90Query,
    MemoryCandidateStatus, MemoryItemStatus, MemoryKind, MemoryRetrieveInput, RejectMemoryCandidateInput,
};
use zaby_knowledge::{Doc, Mode, ScoreOptions};

use super::paging::page_of;
use super::run_seams::EndUser;
use super::{Caller, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::storage::memory::{self as store, CandidateRow, ItemDoc, ItemRow, MemoryFilter, Owner};
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

const CONTENT_MAX: usize = 10_000;
/// `reviewedBy`: a name or id of whoever reviewed.
const REVIEWER_MAX: usize = 200;

/// What E89 found: the query and the items ranked for it, best first.
pub struct Recall {
    pub query: String,
    pub ranked: Vec<(ItemRow, f64)>,
}

/// The filter selecting an end user's memory of an agent: by `externalUserId` when
/// the token had one, else by `uniqueIdHash`. `None` when the user has neither.
pub fn end_user_filter(agent_id: &str, user: &EndUser) -> Option<MemoryFilter> {
    let mut f = MemoryFilter { agent_id: Some(agent_id.to_string()), ..Default::default() };
    if let Some(e) = &user.external_user_id {
        f.external_user_id = Some(e.clone());
    } else if let Some(h) = &user.unique_id_hash {
        f.unique_id_hash = Some(h.clone());
    } else {
        return None;
    }
    Some(f)
}

async fn load_item(conn: &mut Conn, caller: &Caller, id: &str) -> ApiResult<ItemRow> {
    store::get_item(conn, &caller.tenant_id, id).await?.ok_or_else(|| ApiError::not_found("memory item"))
}

/// E85.
pub async fn list_items(ctx: &Ctx, caller: &Caller, q: E85Query) -> ApiResult<Page<ItemRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let mf = MemoryFilter {
        agent_id: q.agent_id,
        deployment_id: q.deployment_id,
        external_user_id: q.external_user_id,
        unique_id_hash: q.unique_id_hash,
        session_id: q.session_id,
        status: q.status.map(|s| s.as_str().to_string()),
    };
    let mut conn = ctx.db.read().await?;
    Ok(store::list_items(&mut conn, &caller.tenant_id, &mf, &page).await?)
}

/// E86.
pub async fn get_item(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<ItemRow> {
    let mut conn = ctx.db.read().await?;
    load_item(&mut conn, caller, id).await
}

/// E87 (idempotent: a disabled item keeps its first `disabledAt`).
pub async fn disable_item(ctx: &Ctx, caller: &Caller, id: &str, input: DisableMemoryItemInput) -> ApiResult<ItemRow> {
    let reason = checked_reason(input.reason)?;
    let mut tx = ctx.db.write().await?;
    let mut i = load_item(tx.conn(), caller, id).await?;
    let disabled = MemoryItemStatus::Disabled.as_str();
    if i.status != disabled {
        let now = now_ms();
        i.status = disabled.into();
        i.doc.disabled_at = Some(now);
        i.doc.disable_reason = reason;
        i.updated_at = now;
        store::update_item(tx.conn(), &i).await?;
    }
    tx.commit().await?;
    Ok(i)
}

/// A disable or delete reason: any text up to `CONTENT_MAX` characters.
fn checked_reason(reason: Option<String>) -> ApiResult<Option<String>> {
    let mut p = Problems::default();
    if let Some(r) = &reason {
        p.text("reason", r, CONTENT_MAX, true);
    }
    p.finish()?;
    Ok(reason)
}

/// E88: the content is gone; an audit record keeps the id, owner and reason. Returns
/// the deleted item's id.
pub async fn delete_item(ctx: &Ctx, caller: &Caller, id: &str, input: DeleteMemoryItemInput) -> ApiResult<String> {
    let reason = checked_reason(input.reason)?;
    let mut tx = ctx.db.write().await?;
    let i = load_item(tx.conn(), caller, id).await?;
    store::delete_item(tx.conn(), &i, &new_id(), reason.as_deref(), now_ms()).await?;
    tx.commit().await?;
    Ok(i.id)
}

/// Ranks ACTIVE items for a query as `docs/api/knowledge-bases.md` does (hybrid with an embeddings provider,
/// else lexical; ties by `createdAt`, then `id`).
pub async fn rank(
    ctx: &Ctx,
    items: &[ItemRow],
    query: &str,
    top_k: usize,
    min_score: f64,
) -> ApiResult<Vec<(ItemRow, f64)>> {
    let mut embeddings: Option<Vec<Vec<f32>>> = None;
    let mut query_embedding = None;
    if let Some(client) = ctx.embeddings.as_ref()
        && !items.is_empty()
        && !zaby_knowledge::query_terms(query).is_empty()
    {
        let mut texts: Vec<&str> = vec![query];
        texts.extend(items.iter().map(|i| i.content.as_str()));
        let mut vectors = client.embed(&texts).await.map_err(|e| {
            ApiError::new(
                http::StatusCode::BAD_GATEWAY,
                "EMBEDDINGS_ERROR",
                format!("the embeddings provider failed: {e}"),
            )
        })?;
        query_embedding = Some(vectors.remove(0));
        embeddings = Some(vectors);
    }
    let docs: Vec<Doc<'_, (i64, &str)>> = items
        .iter()
        .enumerate()
        .map(|(n, i)| Doc {
            id: &i.id,
            text: &i.content,
            tiebreak: (i.created_at, i.id.as_str()),
            embedding: embeddings.as_ref().map(|e| e[n].as_slice()),
        })
        .collect();
    let options = ScoreOptions { top_k, min_score, mode: Mode::Hybrid, query_embedding };
    Ok(zaby_knowledge::score(&docs, query, &options).into_iter().map(|s| (items[s.index].clone(), s.score)).collect())
}

/// E89.
pub async fn retrieve(ctx: &Ctx, caller: &Caller, input: MemoryRetrieveInput) -> ApiResult<Recall> {
    let mut p = Problems::default();
    p.text("query", &input.query, CONTENT_MAX, true);
    let ids = [
        ("agentId", &input.agent_id, 100),
        ("externalUserId", &input.external_user_id, 200),
        ("uniqueIdHash", &input.unique_id_hash, 200),
        ("deploymentId", &input.deployment_id, 100),
        ("sessionId", &input.session_id, 200),
    ];
    for (field, value, max) in ids {
        if let Some(v) = value {
            p.text(field, v, max, false);
        }
    }
    let top_k = top_k(&mut p, input.top_k, &input.extra);
    let min_score = input.min_score.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&min_score) {
        p.add("minScore", "must be a number between 0 and 1");
    }
    p.finish()?;
    let mf = MemoryFilter {
        agent_id: input.agent_id,
        external_user_id: input.external_user_id,
        unique_id_hash: input.unique_id_hash,
        deployment_id: input.deployment_id,
        session_id: input.session_id,
        status: Some(MemoryItemStatus::Active.as_str().into()),
    };
    let query = input.query;
    let items = {
        let mut conn = ctx.db.read().await?;
        store::matching_items(&mut conn, &caller.tenant_id, &mf).await?
    };
    let ranked = rank(ctx, &items, &query, top_k, min_score).await?;
    Ok(Recall { query, ranked })
}

/// `topK` (1–50, default 5), else `limit`, `docs/api/README.md`'s alias of it, which the typed
/// extractor accepts but leaves untyped among the other members (`extra`). Memory
/// (E89) and knowledge retrieval (E48, E49) read it alike.
pub(crate) fn top_k(p: &mut Problems, top_k: Option<i64>, extra: &Map<String, Value>) -> usize {
    let (field, n) = match (top_k, extra.get("limit")) {
        (Some(n), _) => ("topK", n),
        (None, None | Some(Value::Null)) => return 5,
        (None, Some(v)) => match v.as_i64() {
            Some(n) => ("limit", n),
            None => {
                p.add("limit", "must be an integer");
                return 5;
            }
        },
    };
    p.range(field, n, 1, 50);
    n.clamp(1, 50) as usize
}

/// E90 (`status` defaults to PENDING).
pub async fn list_candidates(ctx: &Ctx, caller: &Caller, q: E90Query) -> ApiResult<Page<CandidateRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let mf = MemoryFilter {
        agent_id: q.agent_id,
        deployment_id: None,
        external_user_id: q.external_user_id,
        unique_id_hash: q.unique_id_hash,
        session_id: q.session_id,
        status: Some(q.status.unwrap_or(MemoryCandidateStatus::Pending).as_str().to_string()),
    };
    let mut conn = ctx.db.read().await?;
    Ok(store::list_candidates(&mut conn, &caller.tenant_id, &mf, &page).await?)
}

fn already_reviewed(c: &CandidateRow) -> ApiError {
    ApiError::conflict("CANDIDATE_ALREADY_REVIEWED", format!("the candidate is already {}", c.status))
}

/// Approves a PENDING candidate in the caller's transaction: creates the ACTIVE item.
async fn approve_in(
    conn: &mut Conn,
    mut c: CandidateRow,
    reviewed_by: Option<String>,
    content: Option<String>,
    metadata: Option<Map<String, Value>>,
) -> ApiResult<CandidateRow> {
    if c.status != MemoryCandidateStatus::Pending.as_str() {
        return Err(already_reviewed(&c));
    }
    let now = now_ms();
    let item = ItemRow {
        id: new_id(),
        tenant_id: c.tenant_id.clone(),
        owner: c.owner.clone(),
        content: content.unwrap_or_else(|| c.content.clone()),
        kind: c.kind.clone(),
        status: MemoryItemStatus::Active.as_str().into(),
        candidate_id: Some(c.id.clone()),
        doc: ItemDoc {
            metadata: metadata.clone().unwrap_or_else(|| c.metadata.as_object().cloned().unwrap_or_default()),
            disabled_at: None,
            disable_reason: None,
        },
        created_at: now,
        updated_at: now,
    };
    c.status = MemoryCandidateStatus::Approved.as_str().into();
    c.reviewed_by = reviewed_by;
    c.memory_item_id = Some(item.id.clone());
    if let Some(m) = metadata {
        c.metadata = Value::Object(m);
    }
    c.reviewed_at = Some(now);
    if !store::review_candidate(conn, &c).await? {
        return Err(already_reviewed(&c));
    }
    store::insert_item(conn, &item).await?;
    Ok(c)
}

/// E91.
pub async fn approve_candidate(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApproveMemoryCandidateInput,
) -> ApiResult<CandidateRow> {
    let mut p = Problems::default();
    if let Some(r) = &input.reviewed_by {
        p.text("reviewedBy", r, REVIEWER_MAX, false);
    }
    if let Some(c) = &input.content {
        p.text("content", c, CONTENT_MAX, false);
    }
    p.finish()?;
    let (reviewed_by, content, metadata) = (input.reviewed_by, input.content, input.metadata);
    let mut tx = ctx.db.write().await?;
    let c = store::get_candidate(tx.conn(), &caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("memory candidate"))?;
    let c = approve_in(tx.conn(), c, reviewed_by, content, metadata).await?;
    tx.commit().await?;
    Ok(c)
}

/// E92.
pub async fn reject_candidate(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: RejectMemoryCandidateInput,
) -> ApiResult<CandidateRow> {
    let mut p = Problems::default();
    if let Some(r) = &input.reason {
        p.text("reason", r, CONTENT_MAX, true);
    }
    if let Some(r) = &input.reviewed_by {
        p.text("reviewedBy", r, REVIEWER_MAX, false);
    }
    p.finish()?;
    let (reason, reviewed_by) = (input.reason, input.reviewed_by);
    let mut tx = ctx.db.write().await?;
    let mut c = store::get_candidate(tx.conn(), &caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("memory candidate"))?;
    if c.status != MemoryCandidateStatus::Pending.as_str() {
        return Err(already_reviewed(&c));
    }
    c.status = MemoryCandidateStatus::Rejected.as_str().into();
    c.reason = reason;
    c.reviewed_by = reviewed_by;
    c.reviewed_at = Some(now_ms());
    if !store::review_candidate(tx.conn(), &c).await? {
        return Err(already_reviewed(&c));
    }
    tx.commit().await?;
    Ok(c)
}

/// A proposed candidate, before storage.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub content: String,
    pub kind: String,
}

/// Stores candidates for an end user (docs/server.md#memory): trimmed, skipping contents equal to an
/// ACTIVE item or a PENDING candidate of the same end user and agent; with
/// `auto_approve` each is approved at once (`reviewedBy: "auto"`). Returns them.
pub async fn propose(
    ctx: &Ctx,
    tenant_id: &str,
    owner: Owner,
    user: &EndUser,
    run_id: Option<String>,
    proposals: Vec<Proposal>,
    auto_approve: bool,
) -> ApiResult<Vec<CandidateRow>> {
    let Some(mf) = end_user_filter(&owner.agent_id, user) else {
        return Ok(Vec::new());
    };
    let mut tx = ctx.db.write().await?;
    let mut out = Vec::new();
    for p in proposals {
        let content = p.content.trim().to_string();
        if content.is_empty() || store::content_known(tx.conn(), tenant_id, &mf, &content).await? {
            continue;
        }
        let kind =
            if MemoryKind::VALUES.contains(&p.kind.as_str()) { p.kind } else { MemoryKind::Fact.as_str().into() };
        let c = CandidateRow {
            id: new_id(),
            tenant_id: tenant_id.to_string(),
            owner: owner.clone(),
            run_id: run_id.clone(),
            content,
            kind,
            status: MemoryCandidateStatus::Pending.as_str().into(),
            reviewed_by: None,
            reason: None,
            memory_item_id: None,
            metadata: Value::Object(Map::new()),
            created_at: now_ms(),
            reviewed_at: None,
        };
        store::insert_candidate(tx.conn(), &c).await?;
        let c = if auto_approve { approve_in(tx.conn(), c, Some("auto".into()), None, None).await? } else { c };
        out.push(c);
    }
    tx.commit().await?;
    Ok(out)
}

/// The end user's ACTIVE items of the agent ranked for `query`, at most `top_k`.
pub async fn for_run(
    ctx: &Ctx,
    tenant_id: &str,
    agent_id: &str,
    user: &EndUser,
    query: &str,
    top_k: usize,
) -> ApiResult<Vec<(ItemRow, f64)>> {
    let Some(mut mf) = end_user_filter(agent_id, user) else {
        return Ok(Vec::new());
    };
    mf.status = Some(MemoryItemStatus::Active.as_str().into());
    let items = {
        let mut conn = ctx.db.read().await?;
        store::matching_items(&mut conn, tenant_id, &mf).await?
    };
    rank(ctx, &items, query, top_k, 0.0).await
}
