//! Knowledge and memory for runs: the [`RunKnowledge`] implementation (`docs/server.md`
//! "Retrieval in runs", "Memory candidates"), installed in `Ctx::run_knowledge`.

use std::sync::Weak;

use async_trait::async_trait;
use serde_json::Value;
use zaby_knowledge::{Mode, Scored};

use super::retrieval::{Hit, SearchParams, search};
use crate::error::{ApiError, ApiResult};
use crate::services::memory::{self, Proposal};
use crate::services::run_seams::{Passage, RunKnowledge, RunScope};
use crate::services::{Ctx, SharedCtx};
use crate::storage::knowledge::{self as store, ProfileDoc};
use crate::storage::memory::Owner;

/// Chunks a run retrieves at most, after merging the attachments (docs/server.md#runs).
pub const RUN_CHUNKS: usize = 5;
/// Memory items a run retrieves at most (docs/server.md#runs).
pub const RUN_MEMORY_ITEMS: usize = 3;

/// Holds the context weakly: `Ctx` owns this object.
pub struct KnowledgeForRuns(Weak<Ctx>);

impl KnowledgeForRuns {
    pub fn new(ctx: Weak<Ctx>) -> Self {
        KnowledgeForRuns(ctx)
    }

    fn ctx(&self) -> ApiResult<SharedCtx> {
        self.0.upgrade().ok_or_else(|| ApiError::unavailable("the server is shutting down"))
    }
}

/// `topK` for one attachment: its profile's `maxChunks`, else the default profile's,
/// else 5.
async fn attachment_top_k(ctx: &Ctx, tenant_id: &str, kb_id: &str, att: &Value) -> ApiResult<usize> {
    let mut conn = ctx.db.read().await?;
    let profile = match att["knowledgeProfileId"].as_str() {
        Some(p) => match store::get_item::<ProfileDoc>(&mut conn, tenant_id, kb_id, p).await? {
            Some(row) => row.doc.profile_config().unwrap_or_default(),
            None => super::kb_profile(&mut conn, kb_id).await?,
        },
        None => super::kb_profile(&mut conn, kb_id).await?,
    };
    Ok(profile.run_top_k())
}

/// Chunks of the enabled attachments whose knowledge base is ACTIVE, merged by score
/// (ties: attachment order, then `docs/api/knowledge-bases.md` order) and cut to 5.
pub async fn run_chunks(ctx: &Ctx, tenant_id: &str, attachments: &[Value], query: &str) -> ApiResult<Vec<Hit>> {
    let mut lists: Vec<Vec<Hit>> = Vec::new();
    for att in attachments {
        if att["enabled"] == Value::Bool(false) {
            continue;
        }
        let Some(kb_id) = att["knowledgeBaseId"].as_str() else { continue };
        let kb = {
            let mut conn = ctx.db.read().await?;
            store::get_kb(&mut conn, tenant_id, kb_id).await?
        };
        let Some(kb) = kb.filter(|k| k.status == "ACTIVE") else { continue };
        let top_k = attachment_top_k(ctx, tenant_id, &kb.id, att).await?;
        let params =
            SearchParams { query: query.to_string(), top_k, min_score: 0.0, mode: Mode::Hybrid, source_ids: None };
        let mut conn = ctx.db.read().await?;
        lists.push(search(ctx.embeddings.as_ref(), &mut conn, &kb, &params).await?);
    }
    let scored: Vec<Vec<Scored>> = lists
        .iter()
        .map(|l| {
            l.iter()
                .enumerate()
                .map(|(i, h)| Scored {
                    index: i,
                    id: h.chunk.id.clone(),
                    score: h.score,
                    lexical: h.score,
                    semantic: None,
                })
                .collect()
        })
        .collect();
    Ok(zaby_knowledge::merge_ranked(&scored, RUN_CHUNKS).into_iter().map(|(l, s)| lists[l][s.index].clone()).collect())
}

#[async_trait]
impl RunKnowledge for KnowledgeForRuns {
    async fn retrieve(&self, scope: &RunScope, kb_attachments: &[Value], message: &str) -> ApiResult<Vec<Passage>> {
        let ctx = self.ctx()?;
        let mut out: Vec<Passage> = run_chunks(&ctx, &scope.tenant_id, kb_attachments, message)
            .await?
            .into_iter()
            .map(|h| Passage {
                kind: "chunk",
                document_id: Some(h.chunk.document_id),
                chunk_id: Some(h.chunk.id),
                memory_item_id: None,
                title: Some(h.chunk.title),
                content: h.chunk.content,
                score: h.score,
            })
            .collect();
        if let Some(user) = scope.end_user.as_ref().filter(|_| !scope.is_test_run) {
            let items =
                memory::for_run(&ctx, &scope.tenant_id, &scope.agent_id, user, message, RUN_MEMORY_ITEMS).await?;
            out.extend(items.into_iter().map(|(i, score)| Passage {
                kind: "memory",
                document_id: None,
                chunk_id: None,
                memory_item_id: Some(i.id),
                title: None,
                content: i.content,
                score,
            }));
        }
        Ok(out)
    }

    async fn propose_memory(
        &self,
        scope: &RunScope,
        agent_config: &Value,
        candidates: Vec<(String, String)>,
    ) -> ApiResult<()> {
        let Some(user) = scope.end_user.as_ref().filter(|_| !scope.is_test_run) else {
            return Ok(());
        };
        if candidates.is_empty() {
            return Ok(());
        }
        let ctx = self.ctx()?;
        let owner = Owner {
            agent_id: scope.agent_id.clone(),
            deployment_id: scope.deployment_id.clone(),
            external_user_id: user.external_user_id.clone(),
            unique_id_hash: user.unique_id_hash.clone(),
            session_id: Some(scope.session_id.clone()),
        };
        let auto = agent_config["memory"]["autoApprove"] == Value::Bool(true);
        let proposals = candidates.into_iter().map(|(content, kind)| Proposal { content, kind }).collect();
        memory::propose(&ctx, &scope.tenant_id, owner, user, Some(scope.run_id.clone()), proposals, auto).await?;
        Ok(())
    }
}
