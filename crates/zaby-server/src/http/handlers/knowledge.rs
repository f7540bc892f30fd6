//! `/api/v1/provisioning/agentic-os/knowledge-bases/…` and `…/knowledge-library/…`
//! (E41–E67).

use axum::extract::State;
use serde_json::Value;
use zaby::types::{
    self as types, Document, GovernancePolicy, GovernancePolicyInput, IngestionPolicy, IngestionPolicyInput,
    IngestionPolicyUpdateInput, KnowledgeBase, KnowledgeBaseInput, KnowledgeJob, KnowledgeProfile, LibraryDocument,
    LibraryDocumentSelection, LinkLibraryDocumentInput, LinkSourceCredentialInput, ProfileInput, ProfileUpdateInput,
    ProjectLibraryDocumentInput, ProjectionResult, ProvisionalAnswer, RetrievalResult, RetrieveInput, Source,
    SourceGroup, SourceGroupInput, SourceGroupUpdateInput, SourceInput, SourceUpdateInput, TextDocumentInput,
};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Authed;
use crate::http::extract::{Body, JsonBody, PathIds, Query, decode};
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::knowledge::{self as kb, library, retrieval, setup};

type S = State<SharedCtx>;

pub async fn create(
    State(ctx): S,
    Authed(c): Authed,
    Body(input): Body<KnowledgeBaseInput>,
) -> ApiResult<Reply<KnowledgeBase>> {
    // A new knowledge base holds no documents yet.
    Ok(Reply::Created(wire::knowledge_base(kb::create_kb(&ctx, &c, input).await?, 0)?))
}

/// A `TextDocumentInput` of endpoint `id`, its aliases (`text`, `name`) read first:
/// the typed extractor alone would find `content` missing when only `text` is given.
fn text_document(id: &str, body: Value) -> ApiResult<TextDocumentInput> {
    decode(id, kb::text_aliases(body))
}

pub async fn upload_text(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Reply<Document>> {
    let input = text_document("E42", b)?;
    Ok(Reply::Created(wire::document(kb::upload_text(&ctx, &c, p.get("knowledgeBaseId"), input).await?)?))
}

pub async fn create_library_text(
    State(ctx): S,
    Authed(c): Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Reply<LibraryDocument>> {
    let input = text_document("E43", b)?;
    Ok(Reply::Created(wire::library_document(library::create_text(&ctx, &c, input).await?)?))
}

pub async fn list_library(
    State(ctx): S,
    Authed(c): Authed,
    Query(q): Query<types::E44Query>,
) -> ApiResult<Reply<Value>> {
    let page = library::list_docs(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::library_document)?))
}

pub async fn list_findings(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E45Query>,
) -> ApiResult<Reply<Value>> {
    let page = library::list_findings(&ctx, &c, p.get("libraryDocumentId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::finding)?))
}

pub async fn link_library(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<LinkLibraryDocumentInput>,
) -> ApiResult<Reply<LibraryDocumentSelection>> {
    let (s, created) = library::link(&ctx, &c, p.get("knowledgeBaseId"), input).await?;
    let s = wire::selection(s);
    Ok(if created { Reply::Created(s) } else { Reply::Ok(s) })
}

pub async fn project(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<ProjectLibraryDocumentInput>,
) -> ApiResult<Reply<ProjectionResult>> {
    let made = library::project(&ctx, &c, p.get("knowledgeBaseId"), p.get("selectionId"), input).await?;
    Ok(Reply::Created(wire::projection(made)?))
}

pub async fn retrieve(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<RetrieveInput>,
) -> ApiResult<Reply<RetrievalResult>> {
    let found = retrieval::retrieve(&ctx, &c, p.get("knowledgeBaseId"), input).await?;
    Ok(Reply::Ok(retrieval::retrieval_result(found)))
}

pub async fn provisional_answer(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<RetrieveInput>,
) -> ApiResult<Reply<ProvisionalAnswer>> {
    let answer = retrieval::provisional_answer(&ctx, &c, p.get("knowledgeBaseId"), input).await?;
    Ok(Reply::Ok(wire::provisional_answer(answer)))
}

/// A saved setup row: 201 when new, 200 when updated.
fn saved<R, W>(s: setup::Saved<R>, to_wire: impl Fn(R) -> ApiResult<W>) -> ApiResult<Reply<W>> {
    let out = to_wire(s.row)?;
    Ok(if s.created { Reply::Created(out) } else { Reply::Ok(out) })
}

/// A body read after the path's rows were found, so an unknown id stays a 404
/// before any 422; a create's input is read as the update setting what it gives.
fn input<C: setup::AsUpdate<U>, U>(body: Result<Body<C>, ApiError>) -> ApiResult<U> {
    body.map(|Body(b)| b.into_update())
}

pub async fn list_groups(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E50Query>,
) -> ApiResult<Reply<Value>> {
    let page = setup::list_groups(&ctx, &c, p.get("knowledgeBaseId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::source_group)?))
}

pub async fn create_group(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<SourceGroupInput>, ApiError>,
) -> ApiResult<Reply<SourceGroup>> {
    let s = setup::save_group(&ctx, &c, p.get("knowledgeBaseId"), None, input(body)).await?;
    saved(s, wire::source_group)
}

pub async fn update_group(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<SourceGroupUpdateInput>, ApiError>,
) -> ApiResult<Reply<SourceGroup>> {
    let s = setup::save_group(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("sourceGroupId")), input(body)).await?;
    saved(s, wire::source_group)
}

pub async fn list_sources(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E53Query>,
) -> ApiResult<Reply<Value>> {
    let page = setup::list_sources(&ctx, &c, p.get("knowledgeBaseId"), q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::source)?))
}

pub async fn create_source(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<SourceInput>, ApiError>,
) -> ApiResult<Reply<Source>> {
    let s = setup::save_source(&ctx, &c, p.get("knowledgeBaseId"), None, input(body)).await?;
    saved(s, wire::source)
}

pub async fn update_source(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<SourceUpdateInput>, ApiError>,
) -> ApiResult<Reply<Source>> {
    let s = setup::save_source(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("sourceId")), input(body)).await?;
    saved(s, wire::source)
}

pub async fn reprocess_source(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<KnowledgeJob>> {
    let job = setup::reprocess_source(&ctx, &c, p.get("knowledgeBaseId"), p.get("sourceId")).await?;
    Ok(Reply::Created(wire::job(job)?))
}

pub async fn link_credential(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<LinkSourceCredentialInput>, ApiError>,
) -> ApiResult<Reply<Source>> {
    let s = setup::link_credential(&ctx, &c, p.get("knowledgeBaseId"), p.get("sourceId"), input(body)).await?;
    Ok(Reply::Ok(wire::source(s)?))
}

pub async fn list_policies(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E58Query>,
) -> ApiResult<Reply<Value>> {
    let page = setup::list_policies(&ctx, &c, p.get("knowledgeBaseId"), q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::ingestion_policy)?))
}

pub async fn create_policy(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<IngestionPolicyInput>, ApiError>,
) -> ApiResult<Reply<IngestionPolicy>> {
    let s = setup::save_policy(&ctx, &c, p.get("knowledgeBaseId"), None, input(body)).await?;
    saved(s, wire::ingestion_policy)
}

pub async fn update_policy(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<IngestionPolicyUpdateInput>, ApiError>,
) -> ApiResult<Reply<IngestionPolicy>> {
    let s = setup::save_policy(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("policyId")), input(body)).await?;
    saved(s, wire::ingestion_policy)
}

pub async fn upsert_governance(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<GovernancePolicyInput>, ApiError>,
) -> ApiResult<Reply<GovernancePolicy>> {
    let s = setup::upsert_governance(&ctx, &c, p.get("knowledgeBaseId"), input(body)).await?;
    saved(s, wire::governance)
}

pub async fn list_profiles(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::ListQuery>,
) -> ApiResult<Reply<Value>> {
    let page = setup::list_profiles(&ctx, &c, p.get("knowledgeBaseId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::profile)?))
}

pub async fn create_profile(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<ProfileInput>, ApiError>,
) -> ApiResult<Reply<KnowledgeProfile>> {
    let s = setup::save_profile(&ctx, &c, p.get("knowledgeBaseId"), None, input(body)).await?;
    saved(s, wire::profile)
}

pub async fn update_profile(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    body: Result<Body<ProfileUpdateInput>, ApiError>,
) -> ApiResult<Reply<KnowledgeProfile>> {
    let s = setup::save_profile(&ctx, &c, p.get("knowledgeBaseId"), Some(p.get("profileId")), input(body)).await?;
    saved(s, wire::profile)
}

pub async fn list_jobs(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E65Query>,
) -> ApiResult<Reply<Value>> {
    let page = kb::list_jobs(&ctx, &c, p.get("knowledgeBaseId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::job)?))
}

pub async fn get_job(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<KnowledgeJob>> {
    Ok(Reply::Ok(wire::job(kb::get_job(&ctx, &c, p.get("knowledgeBaseId"), p.get("jobId")).await?)?))
}

pub async fn cancel_job(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<KnowledgeJob>> {
    Ok(Reply::Ok(wire::job(kb::cancel_job(&ctx, &c, p.get("knowledgeBaseId"), p.get("jobId")).await?)?))
}
