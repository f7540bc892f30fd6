//! Sources (E53–E57), source groups (E50–E52), ingestion policies (E58–E60), the
//! governance policy (E61) and profiles (E62–E64) of a knowledge base.
//!
//! Creating and updating share one path: a create's input is read as the update
//! that sets every member it gives, over a new row holding the defaults.

use serde_json::{Map, Value};
use zaby::types::{
    E50Query, E53Query, E58Query, GovernancePolicyInput, IngestionPolicyInput, IngestionPolicyStatus,
    IngestionPolicyUpdateInput, LinkSourceCredentialInput, ListQuery, ProfileInput, ProfileUpdateInput,
    SourceGroupInput, SourceGroupStatus, SourceGroupUpdateInput, SourceInput, SourceStatus, SourceUpdateInput,
};

use super::{from_field_error, load_kb};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::knowledge::{
    self as store, GovernanceDoc, GovernanceRow, GroupDoc, ItemDoc, ItemRow, JobRow, Kind, PolicyDoc, ProfileDoc,
    SourceDoc,
};
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

const SYNC_MODES: &[&str] = &["MANUAL", "SCHEDULED"];
const NAME_MAX: usize = 200;
const ID_MAX: usize = 100;

/// A create's input as the update that sets every member it gives (an update's
/// input is itself), so creating and updating share one path.
pub trait AsUpdate<U> {
    fn into_update(self) -> U;
}

impl<U> AsUpdate<U> for U {
    fn into_update(self) -> U {
        self
    }
}

/// A saved row and whether it is new (201) rather than updated (200).
pub struct Saved<T> {
    pub row: T,
    pub created: bool,
}

/// A source group or source with the number of its sources or documents.
pub struct Counted<D> {
    pub row: ItemRow<D>,
    pub count: i64,
}

fn new_item<D>(caller: &Caller, kb_id: &str, status: String, doc: D) -> ItemRow<D> {
    let now = now_ms();
    ItemRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        kb_id: kb_id.to_string(),
        status,
        link: None,
        extra: None,
        checked_until: now,
        doc,
        created_at: now,
        updated_at: now,
    }
}

async fn load_item<D: ItemDoc>(conn: &mut Conn, caller: &Caller, kb_id: &str, id: &str) -> ApiResult<ItemRow<D>> {
    let what = match D::KIND {
        Kind::SourceGroup => "source group",
        Kind::Source => "source",
        Kind::Policy => "ingestion policy",
        Kind::Profile => "profile",
    };
    store::get_item(conn, &caller.tenant_id, kb_id, id).await?.ok_or_else(|| ApiError::not_found(what))
}

/// The row being saved: the existing one (404 when `id` names none), else a new one
/// with `status` and the document's defaults.
async fn target<D: ItemDoc + Default>(
    conn: &mut Conn,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    status: &str,
) -> ApiResult<(ItemRow<D>, bool)> {
    Ok(match id {
        Some(id) => (load_item(conn, caller, kb_id, id).await?, false),
        None => (new_item(caller, kb_id, status.to_string(), D::default()), true),
    })
}

async fn write<D: ItemDoc>(conn: &mut Conn, r: &ItemRow<D>, created: bool) -> ApiResult<()> {
    if created {
        store::insert_item(conn, r).await?;
    } else {
        store::update_item(conn, r).await?;
    }
    Ok(())
}

/// `name` when given: 1–200 characters.
fn check_name(p: &mut Problems, name: Option<&String>) {
    if let Some(n) = name {
        p.text("name", n, NAME_MAX, false);
    }
}

/// A status member when given: one of `allowed`.
fn check_status(p: &mut Problems, status: Option<&String>, allowed: &[&str]) {
    if let Some(s) = status
        && !allowed.contains(&s.as_str())
    {
        p.add("status", format!("must be one of {}", allowed.join(", ")));
    }
}

/// An id member naming another row: 1–100 characters.
fn check_id(p: &mut Problems, field: &str, id: Option<&String>) {
    if let Some(id) = id {
        p.text(field, id, ID_MAX, false);
    }
}

/// A free-form JSON object member (config, metadata).
type Object = Map<String, Value>;

/// Stores the free-form objects given, leaving the others as they are.
fn set_objects<const N: usize>(objects: [(&mut Object, Option<Object>); N]) {
    for (member, value) in objects {
        if let Some(v) = value {
            *member = v;
        }
    }
}

async fn check_ref<D: ItemDoc>(conn: &mut Conn, caller: &Caller, kb_id: &str, field: &str, id: &str) -> ApiResult<()> {
    if store::get_item::<D>(conn, &caller.tenant_id, kb_id, id).await?.is_none() {
        let what = if D::KIND == Kind::Source { "a source" } else { "a source group" };
        return Err(ApiError::invalid(field, &format!("does not name {what} of this knowledge base")));
    }
    Ok(())
}

// ---------------------------------------------------------------- source groups

impl AsUpdate<SourceGroupUpdateInput> for SourceGroupInput {
    fn into_update(self) -> SourceGroupUpdateInput {
        let i = self;
        SourceGroupUpdateInput {
            name: Some(i.name),
            source_type: i.source_type,
            sync_mode: i.sync_mode,
            status: i.status,
            description: i.description.map(Some),
            metadata: i.metadata,
            extra: i.extra,
        }
    }
}

async fn counted_group(conn: &mut Conn, row: ItemRow<GroupDoc>) -> ApiResult<Counted<GroupDoc>> {
    let count = store::count_group_sources(conn, &row.id).await?;
    Ok(Counted { row, count })
}

/// E51 / E52.
pub async fn save_group(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    input: ApiResult<SourceGroupUpdateInput>,
) -> ApiResult<Saved<Counted<GroupDoc>>> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let (mut r, created) =
        target::<GroupDoc>(tx.conn(), caller, &kb.id, id, SourceGroupStatus::Active.as_str()).await?;
    let input = input?;
    let mut p = Problems::default();
    check_name(&mut p, input.name.as_ref());
    if let Some(t) = &input.source_type {
        p.text("sourceType", t, NAME_MAX, false);
    }
    if let Some(m) = &input.sync_mode
        && !SYNC_MODES.contains(&m.as_str())
    {
        p.add("syncMode", format!("must be one of {}", SYNC_MODES.join(", ")));
    }
    check_status(&mut p, input.status.as_ref(), SourceGroupStatus::VALUES);
    if let Some(Some(d)) = &input.description {
        p.text("description", d, 10_000, true);
    }
    p.finish()?;
    let doc = &mut r.doc;
    for (member, value) in
        [(&mut doc.name, input.name), (&mut doc.source_type, input.source_type), (&mut doc.sync_mode, input.sync_mode)]
    {
        if let Some(v) = value {
            *member = v;
        }
    }
    if let Some(d) = input.description {
        doc.description = d;
    }
    set_objects([(&mut doc.metadata, input.metadata)]);
    if let Some(s) = input.status {
        r.status = s;
    }
    r.updated_at = now_ms();
    write(tx.conn(), &r, created).await?;
    let row = counted_group(tx.conn(), r).await?;
    tx.commit().await?;
    Ok(Saved { row, created })
}

/// E50.
pub async fn list_groups(ctx: &Ctx, caller: &Caller, kb_id: &str, q: &E50Query) -> ApiResult<Page<Counted<GroupDoc>>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let eqs: Vec<(&str, String)> = q.status.iter().map(|s| ("status", s.as_str().to_string())).collect();
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let rows = store::list_items(&mut conn, &caller.tenant_id, &kb.id, &eqs, &page).await?;
    let Page { items, cursors, next_cursor, total } = rows;
    let mut counted = Vec::with_capacity(items.len());
    for r in items {
        counted.push(counted_group(&mut conn, r).await?);
    }
    Ok(Page { items: counted, cursors, next_cursor, total })
}

// ---------------------------------------------------------------- sources

impl AsUpdate<SourceUpdateInput> for SourceInput {
    fn into_update(self) -> SourceUpdateInput {
        let i = self;
        SourceUpdateInput {
            name: Some(i.name),
            r#type: Some(i.r#type),
            config: i.config,
            source_group_id: i.source_group_id.map(Some),
            status: i.status,
            metadata: i.metadata,
            extra: i.extra,
        }
    }
}

async fn counted_source(conn: &mut Conn, row: ItemRow<SourceDoc>) -> ApiResult<Counted<SourceDoc>> {
    let count = store::count_source_documents(conn, &row.id).await?;
    Ok(Counted { row, count })
}

/// E54 / E55. A new source is ACTIVE or INACTIVE; an update may also mark it ERROR.
pub async fn save_source(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    input: ApiResult<SourceUpdateInput>,
) -> ApiResult<Saved<Counted<SourceDoc>>> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let (mut r, created) = target::<SourceDoc>(tx.conn(), caller, &kb.id, id, SourceStatus::Active.as_str()).await?;
    let input = input?;
    let mut p = Problems::default();
    check_name(&mut p, input.name.as_ref());
    if let Some(t) = &input.r#type {
        p.text("type", t, NAME_MAX, false);
    }
    // Only an update may mark a source ERROR.
    let new_statuses = [SourceStatus::Active.as_str(), SourceStatus::Inactive.as_str()];
    check_status(&mut p, input.status.as_ref(), if created { &new_statuses } else { SourceStatus::VALUES });
    check_id(&mut p, "sourceGroupId", input.source_group_id.as_ref().and_then(Option::as_ref));
    p.finish()?;
    if let Some(group) = input.source_group_id {
        if let Some(g) = &group {
            check_ref::<GroupDoc>(tx.conn(), caller, &kb.id, "sourceGroupId", g).await?;
        }
        r.link = group;
    }
    if let Some(n) = input.name {
        r.doc.name = n;
    }
    if let Some(t) = input.r#type {
        r.extra = Some(t);
    }
    if let Some(s) = input.status {
        r.status = s;
    }
    set_objects([(&mut r.doc.config, input.config), (&mut r.doc.metadata, input.metadata)]);
    r.updated_at = now_ms();
    write(tx.conn(), &r, created).await?;
    let row = counted_source(tx.conn(), r).await?;
    tx.commit().await?;
    Ok(Saved { row, created })
}

/// E53.
pub async fn list_sources(ctx: &Ctx, caller: &Caller, kb_id: &str, q: E53Query) -> ApiResult<Page<Counted<SourceDoc>>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.map(|s| s.as_str().to_string());
    let eqs: Vec<(&str, String)> = [("status", status), ("type", q.r#type), ("source_group_id", q.source_group_id)]
        .into_iter()
        .filter_map(|(column, value)| value.map(|v| (column, v)))
        .collect();
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let rows = store::list_items(&mut conn, &caller.tenant_id, &kb.id, &eqs, &page).await?;
    let Page { items, cursors, next_cursor, total } = rows;
    let mut counted = Vec::with_capacity(items.len());
    for r in items {
        counted.push(counted_source(&mut conn, r).await?);
    }
    Ok(Page { items: counted, cursors, next_cursor, total })
}

/// E56: queues a SOURCE_SYNC job.
pub async fn reprocess_source(ctx: &Ctx, caller: &Caller, kb_id: &str, id: &str) -> ApiResult<JobRow> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut s = load_item::<SourceDoc>(tx.conn(), caller, &kb.id, id).await?;
    if s.status == SourceStatus::Inactive.as_str() {
        return Err(ApiError::conflict("CONFLICT", "the source is INACTIVE"));
    }
    let job = super::jobs::queue_sync(ctx, tx.conn(), &kb, &mut s, now_ms()).await?;
    tx.commit().await?;
    super::jobs::wake();
    Ok(job)
}

/// E57: sets the source's credential.
pub async fn link_credential(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: &str,
    input: ApiResult<LinkSourceCredentialInput>,
) -> ApiResult<Counted<SourceDoc>> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut s = load_item::<SourceDoc>(tx.conn(), caller, &kb.id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    p.text("credentialId", &input.credential_id, NAME_MAX, false);
    p.finish()?;
    s.doc.credential_id = Some(input.credential_id);
    set_objects([(&mut s.doc.metadata, input.metadata)]);
    s.updated_at = now_ms();
    store::update_item(tx.conn(), &s).await?;
    let out = counted_source(tx.conn(), s).await?;
    tx.commit().await?;
    Ok(out)
}

// ---------------------------------------------------------------- ingestion policies

impl AsUpdate<IngestionPolicyUpdateInput> for IngestionPolicyInput {
    fn into_update(self) -> IngestionPolicyUpdateInput {
        let i = self;
        IngestionPolicyUpdateInput {
            name: Some(i.name),
            source_id: i.source_id.map(Some),
            source_group_id: i.source_group_id.map(Some),
            schedule: i.schedule.map(Some),
            status: i.status,
            config: i.config,
            metadata: i.metadata,
            extra: i.extra,
        }
    }
}

/// E59 / E60.
pub async fn save_policy(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    input: ApiResult<IngestionPolicyUpdateInput>,
) -> ApiResult<Saved<ItemRow<PolicyDoc>>> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let active = IngestionPolicyStatus::Active.as_str();
    let (mut r, created) = target::<PolicyDoc>(tx.conn(), caller, &kb.id, id, active).await?;
    let input = input?;
    let mut p = Problems::default();
    check_name(&mut p, input.name.as_ref());
    check_id(&mut p, "sourceId", input.source_id.as_ref().and_then(Option::as_ref));
    check_id(&mut p, "sourceGroupId", input.source_group_id.as_ref().and_then(Option::as_ref));
    check_status(&mut p, input.status.as_ref(), IngestionPolicyStatus::VALUES);
    if let Some(Some(expr)) = &input.schedule {
        p.text("schedule", expr, NAME_MAX, false);
        if !p.has("schedule")
            && let Err(e) = zaby_knowledge::Schedule::parse(expr)
        {
            p.add("schedule", e.message);
        }
    }
    p.finish()?;
    if let Some(source) = input.source_id {
        if let Some(s) = &source {
            check_ref::<SourceDoc>(tx.conn(), caller, &kb.id, "sourceId", s).await?;
        }
        r.link = source;
    }
    if let Some(group) = input.source_group_id {
        if let Some(g) = &group {
            check_ref::<GroupDoc>(tx.conn(), caller, &kb.id, "sourceGroupId", g).await?;
        }
        r.doc.source_group_id = group;
    }
    let now = now_ms();
    match input.schedule {
        None => {}
        Some(None) => r.extra = None,
        Some(Some(expr)) => {
            let parsed = zaby_knowledge::Schedule::parse(&expr).map_err(from_field_error)?;
            r.extra = Some(parsed.as_str().to_string());
            // A new schedule counts from now.
            r.checked_until = now;
        }
    }
    if let Some(n) = input.name {
        r.doc.name = n;
    }
    if let Some(s) = input.status {
        if s == active && r.status != active {
            r.checked_until = now;
        }
        r.status = s;
    }
    set_objects([(&mut r.doc.config, input.config), (&mut r.doc.metadata, input.metadata)]);
    r.updated_at = now;
    write(tx.conn(), &r, created).await?;
    tx.commit().await?;
    Ok(Saved { row: r, created })
}

/// E58.
pub async fn list_policies(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    q: E58Query,
) -> ApiResult<Page<ItemRow<PolicyDoc>>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.map(|s| s.as_str().to_string());
    let eqs: Vec<(&str, String)> = [("status", status), ("source_id", q.source_id)]
        .into_iter()
        .filter_map(|(column, value)| value.map(|v| (column, v)))
        .collect();
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    Ok(store::list_items(&mut conn, &caller.tenant_id, &kb.id, &eqs, &page).await?)
}

// ---------------------------------------------------------------- governance

/// E61: one policy per knowledge base, versioned.
pub async fn upsert_governance(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    input: ApiResult<GovernancePolicyInput>,
) -> ApiResult<Saved<GovernanceRow>> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let input = input?;
    let now = now_ms();
    let doc = GovernanceDoc {
        rules: input.rules,
        settings: input.settings.unwrap_or_default(),
        metadata: input.metadata.unwrap_or_default(),
    };
    let (g, created) = match store::get_governance(tx.conn(), &kb.id).await? {
        Some(mut g) => {
            g.version += 1;
            g.doc = doc;
            g.updated_at = now;
            store::save_governance(tx.conn(), &caller.tenant_id, &g, false).await?;
            (g, false)
        }
        None => {
            let g =
                GovernanceRow { id: new_id(), kb_id: kb.id.clone(), version: 1, doc, created_at: now, updated_at: now };
            store::save_governance(tx.conn(), &caller.tenant_id, &g, true).await?;
            (g, true)
        }
    };
    tx.commit().await?;
    Ok(Saved { row: g, created })
}

// ---------------------------------------------------------------- profiles

impl AsUpdate<ProfileUpdateInput> for ProfileInput {
    fn into_update(self) -> ProfileUpdateInput {
        let i = self;
        ProfileUpdateInput {
            name: Some(i.name),
            config: i.config,
            description: i.description.map(Some),
            is_default: i.is_default,
            metadata: i.metadata,
            extra: i.extra,
        }
    }
}

/// E63 / E64. `is_default` is stored in the status column as "1"/"0".
pub async fn save_profile(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    input: ApiResult<ProfileUpdateInput>,
) -> ApiResult<Saved<ItemRow<ProfileDoc>>> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let (mut r, created) = target::<ProfileDoc>(tx.conn(), caller, &kb.id, id, "0").await?;
    let input = input?;
    let mut p = Problems::default();
    check_name(&mut p, input.name.as_ref());
    if let Some(Some(d)) = &input.description {
        p.text("description", d, 10_000, true);
    }
    set_objects([(&mut r.doc.config, input.config), (&mut r.doc.metadata, input.metadata)]);
    if let Err(e) = r.doc.profile_config() {
        p.add(&e.field, e.message);
    }
    p.finish()?;
    if let Some(n) = input.name {
        r.doc.name = n;
    }
    if let Some(d) = input.description {
        r.doc.description = d;
    }
    let now = now_ms();
    if let Some(d) = input.is_default {
        r.status = if d { "1".into() } else { "0".into() };
        if d {
            store::clear_default_profiles(tx.conn(), &kb.id, &r.id, now).await?;
        }
    }
    r.updated_at = now;
    write(tx.conn(), &r, created).await?;
    tx.commit().await?;
    Ok(Saved { row: r, created })
}

/// E62.
pub async fn list_profiles(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    q: &ListQuery,
) -> ApiResult<Page<ItemRow<ProfileDoc>>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    Ok(store::list_items(&mut conn, &caller.tenant_id, &kb.id, &[], &page).await?)
}
