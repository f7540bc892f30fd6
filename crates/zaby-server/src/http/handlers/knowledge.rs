//! `/api/v1/provisioning/agentic-os/knowledge-bases/…` and `…/knowledge-library/…`
//! (E41–E67).

use axum::extract::State;

use crate::error::ApiResult;
use crate::http::auth::Authed;
use crate::http::extract::{JsonBody, PathIds, QueryMap};
use crate::services::knowledge::{self as kb, library, retrieval, setup};
use crate::services::{Outcome, SharedCtx};

type S = State<SharedCtx>;

pub async fn create(State(ctx): S, Authed(c): Authed, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    kb::create_kb(&ctx, &c, &b).await
}

pub async fn upload_text(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    kb::upload_text(&ctx, &c, p.get("knowledgeBaseId"), &b).await
}

pub async fn create_library_text(State(ctx): S, Authed(c): Authed, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    library::create_text(&ctx, &c, &b).await
}

pub async fn list_library(State(ctx): S, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    library::list_docs(&ctx, &c, &q).await
}

pub async fn list_findings(State(ctx): S, Authed(c): Authed, p: PathIds, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    library::list_findings(&ctx, &c, p.get("libraryDocumentId"), &q).await
}

pub async fn link_library(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    library::link(&ctx, &c, p.get("knowledgeBaseId"), &b).await
}

pub async fn project(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    library::project(&ctx, &c, p.get("knowledgeBaseId"), p.get("selectionId"), &b).await
}

pub async fn retrieve(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    retrieval::retrieve(&ctx, &c, p.get("knowledgeBaseId"), &b).await
}

pub async fn provisional_answer(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    retrieval::provisional_answer(&ctx, &c, p.get("knowledgeBaseId"), &b).await
}

pub async fn list_groups(State(ctx): S, Authed(c): Authed, p: PathIds, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    setup::list_groups(&ctx, &c, p.get("knowledgeBaseId"), &q).await
}

pub async fn create_group(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_group(&ctx, &c, p.get("knowledgeBaseId"), None, &b).await
}

pub async fn update_group(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_group(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("sourceGroupId")), &b).await
}

pub async fn list_sources(State(ctx): S, Authed(c): Authed, p: PathIds, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    setup::list_sources(&ctx, &c, p.get("knowledgeBaseId"), &q).await
}

pub async fn create_source(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_source(&ctx, &c, p.get("knowledgeBaseId"), None, &b).await
}

pub async fn update_source(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_source(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("sourceId")), &b).await
}

pub async fn reprocess_source(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    setup::reprocess_source(&ctx, &c, p.get("knowledgeBaseId"), p.get("sourceId")).await
}

pub async fn link_credential(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    setup::link_credential(&ctx, &c, p.get("knowledgeBaseId"), p.get("sourceId"), &b).await
}

pub async fn list_policies(State(ctx): S, Authed(c): Authed, p: PathIds, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    setup::list_policies(&ctx, &c, p.get("knowledgeBaseId"), &q).await
}

pub async fn create_policy(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_policy(&ctx, &c, p.get("knowledgeBaseId"), None, &b).await
}

pub async fn update_policy(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_policy(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("policyId")), &b).await
}

pub async fn upsert_governance(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    setup::upsert_governance(&ctx, &c, p.get("knowledgeBaseId"), &b).await
}

pub async fn list_profiles(State(ctx): S, Authed(c): Authed, p: PathIds, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    setup::list_profiles(&ctx, &c, p.get("knowledgeBaseId"), &q).await
}

pub async fn create_profile(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_profile(&ctx, &c, p.get("knowledgeBaseId"), None, &b).await
}

pub async fn update_profile(State(ctx): S, Authed(c): Authed, p: PathIds, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    setup::save_profile(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("profileId")), &b).await
}

pub async fn list_jobs(State(ctx): S, Authed(c): Authed, p: PathIds, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    kb::list_jobs(&ctx, &c, p.get("knowledgeBaseId"), &q).await
}

pub async fn get_job(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    kb::get_job(&ctx, &c, p.get("knowledgeBaseId"), p.get("jobId")).await
}

pub async fn cancel_job(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    kb::cancel_job(&ctx, &c, p.get("knowledgeBaseId"), p.get("jobId")).await
}
