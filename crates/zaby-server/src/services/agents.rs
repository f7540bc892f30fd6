//! Agents: create, read, list, partial update, delete, publish and attachments.

use serde_json::{Map, Value};
use zaby::types::{
    AgentInput, AgentModel, AgentStatus, AgentUpdateInput, AgentVisibility, AttachKnowledgeBaseInput,
    AttachMcpToolInput, AttachSkillInput, DeploymentStatus, E3Query, KnowledgeBaseAttachment, McpToolAttachment,
    OnBusy, SkillAttachment,
};

use super::paging::page_of;
use super::tool_secrets;
use super::{Caller, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::storage::agents::{self as store, AgentDoc, AgentFilter, AgentRow, AgentSnapshot, VersionRow};
use crate::storage::deployments::{self, DeploymentRow};
use crate::storage::page::Page;
use crate::storage::sql::{Conn, lock_row};
use crate::util::canonical::canonical_json;
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;
use crate::util::input::{Problems, is_slug};

const SLUG_MAX: usize = 100;
const NAME_MAX: usize = 200;
const TEXT_MAX: usize = 10_000;
const INSTRUCTIONS_MAX: usize = 200_000;
const SHORT_MAX: usize = 200;

/// An agent as the API shows it: its row and its `ACTIVE` deployments.
pub(crate) struct Agent {
    pub(crate) row: AgentRow,
    /// Oldest first.
    pub(crate) active_deployments: Vec<DeploymentRow>,
    /// A new `functionToolSecret`, in the answers of a create and of a rotation only.
    pub(crate) function_tool_secret: Option<String>,
}

async fn view(conn: &mut Conn, row: AgentRow) -> ApiResult<Agent> {
    let active_deployments =
        deployments::by_agent_status(conn, &row.tenant_id, &row.id, DeploymentStatus::Active.as_str()).await?;
    Ok(Agent { row, active_deployments, function_tool_secret: None })
}

/// Loads an agent of the caller's tenant or answers 404.
pub async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<AgentRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("agent"))
}

fn check_slug(p: &mut Problems, slug: &str) {
    p.text("slug", slug, SLUG_MAX, false);
    if !p.has("slug") && !is_slug(slug) {
        p.add("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
    }
}

/// What the catalogue cannot say about the members both inputs share: lengths and
/// the slug's pattern. `None` is a member left out (or `null` where allowed).
struct Texts<'a> {
    slug: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    default_model: Option<&'a AgentModel>,
    instructions: Option<&'a str>,
    tags: Option<&'a [String]>,
    provider: Option<&'a str>,
    /// `config.onBusy`, the agent's default for busy sessions (docs/busy-sessions.md).
    on_busy: Option<&'a Value>,
}

impl Texts<'_> {
    fn check(&self, p: &mut Problems) {
        if let Some(slug) = self.slug {
            check_slug(p, slug);
        }
        if let Some(name) = self.name {
            p.text("name", name, NAME_MAX, false);
        }
        if let Some(d) = self.description {
            p.text("description", d, TEXT_MAX, true);
        }
        if let Some(m) = self.default_model {
            p.text("defaultModel", m.as_str(), SHORT_MAX, false);
        }
        if let Some(i) = self.instructions {
            p.text("instructions", i, INSTRUCTIONS_MAX, true);
        }
        if let Some(tags) = self.tags {
            p.texts("tags", tags, SHORT_MAX);
        }
        if let Some(provider) = self.provider {
            p.text("provider", provider, SHORT_MAX, true);
        }
        if let Some(mode) = self.on_busy.filter(|v| !v.is_null())
            && mode.as_str().and_then(|m| m.parse::<OnBusy>().ok()).is_none()
        {
            p.add("config.onBusy", "must be one of \"parallel\", \"reject\", \"enqueue\", \"interrupt\"");
        }
    }
}

/// E2 / E99. A new agent is `DRAFT`.
pub(crate) async fn create(ctx: &Ctx, caller: &Caller, input: AgentInput) -> ApiResult<Agent> {
    let mut p = Problems::default();
    Texts {
        slug: Some(&input.slug),
        name: Some(&input.name),
        description: input.description.as_deref(),
        default_model: input.default_model.as_ref(),
        instructions: input.instructions.as_deref(),
        tags: input.tags.as_deref(),
        provider: input.provider.as_deref(),
        on_busy: input.config.as_ref().and_then(|c| c.get("onBusy")),
    }
    .check(&mut p);
    p.finish()?;
    if let Some(tools) = &input.function_tools {
        super::runs::function_tools::check("functionTools", tools)?;
    }
    let now = now_ms();
    let row = AgentRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug: input.slug,
        name: input.name,
        status: AgentStatus::Draft.as_str().to_string(),
        category: input.category.map(|c| c.as_str().to_string()),
        visibility: input.visibility.unwrap_or(AgentVisibility::Private).as_str().to_string(),
        doc: AgentDoc {
            description: input.description,
            default_model: input.default_model.unwrap_or(AgentModel::Zaby),
            instructions: input.instructions,
            config: input.config.unwrap_or_default(),
            metadata: input.metadata.unwrap_or_default(),
            tags: input.tags.unwrap_or_default(),
            provider: input.provider,
            mcp_tools: Vec::new(),
            knowledge_bases: Vec::new(),
            skills: Vec::new(),
            function_tools: input.function_tools.unwrap_or_default(),
        },
        latest_version: None,
        latest_version_id: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = ctx.db.write().await?;
    if store::slug_taken(tx.conn(), &row.tenant_id, &row.slug, None).await? {
        return Err(ApiError::slug_taken(&row.slug));
    }
    store::insert(tx.conn(), &row).await.map_err(|e| unique_to_clash(e, &row.slug))?;
    let secret = tool_secrets::renew(tx.conn(), &ctx.runs.secrets, &row.tenant_id, &row.id).await?;
    let mut out = view(tx.conn(), row).await?;
    out.function_tool_secret = Some(secret);
    tx.commit().await?;
    Ok(out)
}

/// A unique-index violation racing past the pre-check is still a slug clash.
fn unique_to_clash(err: sqlx::Error, slug: &str) -> ApiError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => ApiError::slug_taken(slug),
        _ => err.into(),
    }
}

/// E4 / E100.
pub(crate) async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Agent> {
    let mut conn = ctx.db.read().await?;
    let a = load(&mut conn, &caller.tenant_id, id).await?;
    view(&mut conn, a).await
}

/// E3 / E98.
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, q: &E3Query) -> ApiResult<Page<Agent>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let filter = AgentFilter {
        status: q.status.as_ref().map(|s| s.as_str().to_string()),
        category: q.category.as_ref().map(|s| s.as_str().to_string()),
        visibility: q.visibility.as_ref().map(|s| s.as_str().to_string()),
        q: q.q.clone(),
    };
    let mut conn = ctx.db.read().await?;
    let rows = store::list(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for a in rows.items {
        items.push(view(&mut conn, a).await?);
    }
    Ok(Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total })
}

/// E5 / E101: only the members present change; `null` clears a nullable member (the
/// catalogue refuses it for the others). The body is checked after the agent is
/// found, so an unknown agent is 404 whatever the body holds.
pub(crate) async fn update(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<AgentUpdateInput>,
) -> ApiResult<Agent> {
    let mut tx = ctx.db.write().await?;
    let mut a = load(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    Texts {
        slug: input.slug.as_deref(),
        name: input.name.as_deref(),
        description: input.description.as_ref().and_then(Option::as_deref),
        default_model: input.default_model.as_ref(),
        instructions: input.instructions.as_ref().and_then(Option::as_deref),
        tags: input.tags.as_deref(),
        provider: input.provider.as_ref().and_then(Option::as_deref),
        on_busy: input.config.as_ref().and_then(|c| c.get("onBusy")),
    }
    .check(&mut p);
    if input.status == Some(AgentStatus::Draft) && a.latest_version.is_some() {
        p.add("status", "cannot return to DRAFT after the agent was published");
    }
    p.finish()?;
    if let Some(tools) = &input.function_tools {
        super::runs::function_tools::check("functionTools", tools)?;
    }
    if let Some(s) = input.slug {
        if s != a.slug && store::slug_taken(tx.conn(), &a.tenant_id, &s, Some(&a.id)).await? {
            return Err(ApiError::slug_taken(&s));
        }
        a.slug = s;
    }
    if let Some(n) = input.name {
        a.name = n;
    }
    let doc = &mut a.doc;
    set(&mut doc.description, input.description);
    set(&mut doc.instructions, input.instructions);
    set(&mut doc.provider, input.provider);
    set(&mut doc.default_model, input.default_model);
    set(&mut doc.config, input.config);
    set(&mut doc.metadata, input.metadata);
    set(&mut doc.tags, input.tags);
    set(&mut doc.function_tools, input.function_tools);
    if let Some(c) = input.category {
        a.category = c.map(|c| c.as_str().to_string());
    }
    if let Some(v) = input.visibility {
        a.visibility = v.as_str().to_string();
    }
    if let Some(s) = input.status {
        a.status = s.as_str().to_string();
    }
    a.updated_at = now_ms();
    let slug_for_err = a.slug.clone();
    store::update(tx.conn(), &a).await.map_err(|e| unique_to_clash(e, &slug_for_err))?;
    let secret = match input.rotate_function_tool_secret {
        Some(true) => Some(tool_secrets::renew(tx.conn(), &ctx.runs.secrets, &a.tenant_id, &a.id).await?),
        _ => None,
    };
    let mut out = view(tx.conn(), a).await?;
    out.function_tool_secret = secret;
    tx.commit().await?;
    Ok(out)
}

/// Writes a member of the stored document when the update carries it.
fn set<T>(member: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *member = v;
    }
}

/// E6 / E102: the id of the deleted agent.
pub(crate) async fn delete(ctx: &Ctx, caller: &Caller, id: &str, force: bool) -> ApiResult<String> {
    let mut tx = ctx.db.write().await?;
    // Lock the agent before its deployments (same order as activation).
    lock_row(tx.conn(), "agents", id).await?;
    let a = load(tx.conn(), &caller.tenant_id, id).await?;
    let live = deployments::count_live(tx.conn(), &a.tenant_id, &a.id).await?;
    if live > 0 {
        if !force {
            return Err(ApiError::conflict(
                "AGENT_HAS_ACTIVE_DEPLOYMENTS",
                format!("agent has {live} pending or active deployment(s); pass force=true to delete it anyway"),
            ));
        }
        deployments::deactivate_agent(tx.conn(), &a.tenant_id, &a.id, now_ms()).await?;
    }
    store::delete(tx.conn(), &a.tenant_id, &a.id).await?;
    tool_secrets::forget(tx.conn(), &a.tenant_id, &a.id).await?;
    tx.commit().await?;
    Ok(a.id)
}

/// The frozen part of an agent, as stored in its version. Serialising it cannot fail:
/// its members are strings, lists and string-keyed maps.
pub fn snapshot(a: &AgentRow) -> Value {
    serde_json::to_value(AgentSnapshot::of(a)).unwrap_or_default()
}

/// A publish: the version, and whether it is new (an unchanged agent gives its
/// latest version back).
pub(crate) struct Published {
    pub(crate) version: VersionRow,
    pub(crate) created: bool,
}

/// E7 / E103.
pub(crate) async fn publish(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Published> {
    let mut tx = ctx.db.write().await?;
    lock_row(tx.conn(), "agents", id).await?;
    let mut a = load(tx.conn(), &caller.tenant_id, id).await?;
    let snap = snapshot(&a);
    if let Some(latest) = store::latest_version(tx.conn(), &a.tenant_id, &a.id).await?
        && canonical_json(&latest.snapshot) == canonical_json(&snap)
    {
        return Ok(Published { version: latest, created: false });
    }
    let now = now_ms();
    let v = VersionRow {
        id: new_id(),
        tenant_id: a.tenant_id.clone(),
        agent_id: a.id.clone(),
        version: a.latest_version.unwrap_or(0) + 1,
        snapshot: snap,
        created_at: now,
    };
    store::insert_version(tx.conn(), &v).await?;
    a.latest_version = Some(v.version);
    a.latest_version_id = Some(v.id.clone());
    if a.status == AgentStatus::Draft.as_str() {
        a.status = AgentStatus::Active.as_str().to_string();
    }
    a.updated_at = now;
    store::update(tx.conn(), &a).await?;
    tx.commit().await?;
    Ok(Published { version: v, created: true })
}

/// An attachment stored on an agent: a new `key` adds it, a known one replaces the
/// attachment of that key in place.
pub(crate) struct Attached<T> {
    pub(crate) attachment: T,
    pub(crate) replaced: bool,
}

/// An attachment of one of the agent's lists, found again by its key.
trait Attachment: Clone {
    fn key(&self) -> &str;
    /// Takes the `id` and `createdAt` of the attachment this one replaces.
    fn keep_identity(&mut self, old: &Self);
}

/// The three attachment types share `key`, `id` and `createdAt`.
macro_rules! attachment {
    ($($t:ty),+) => {$(
        impl Attachment for $t {
            fn key(&self) -> &str {
                &self.key
            }
            fn keep_identity(&mut self, old: &Self) {
                self.id.clone_from(&old.id);
                self.created_at.clone_from(&old.created_at);
            }
        }
    )+};
}

attachment!(McpToolAttachment, KnowledgeBaseAttachment, SkillAttachment);

/// Stores `attachment` in the agent's list that `list` picks. A replaced attachment
/// keeps its `id` and `createdAt`.
async fn store_attachment<T: Attachment>(
    conn: &mut Conn,
    mut a: AgentRow,
    list: fn(&mut AgentDoc) -> &mut Vec<T>,
    mut attachment: T,
) -> ApiResult<Attached<T>> {
    let list = list(&mut a.doc);
    let replaced = match list.iter_mut().find(|x| x.key() == attachment.key()) {
        Some(old) => {
            attachment.keep_identity(old);
            *old = attachment.clone();
            true
        }
        None => {
            list.push(attachment.clone());
            false
        }
    };
    a.updated_at = now_ms();
    store::update(conn, &a).await?;
    Ok(Attached { attachment, replaced })
}

/// The agent an attachment goes to, locked, with the new attachment's id and time.
async fn attach_target(conn: &mut Conn, caller: &Caller, agent_id: &str) -> ApiResult<(AgentRow, String, String)> {
    lock_row(conn, "agents", agent_id).await?;
    let a = load(conn, &caller.tenant_id, agent_id).await?;
    Ok((a, new_id(), iso(now_ms())))
}

/// E9 / E114. The body is checked after the agent is found (404 first).
pub(crate) async fn attach_mcp_tool(
    ctx: &Ctx,
    caller: &Caller,
    agent_id: &str,
    input: ApiResult<AttachMcpToolInput>,
) -> ApiResult<Attached<McpToolAttachment>> {
    let mut tx = ctx.db.write().await?;
    let (a, id, now) = attach_target(tx.conn(), caller, agent_id).await?;
    let attachment = super::attachment_refs::mcp_tool(tx.conn(), &a, input?, id, now).await?;
    let out = store_attachment(tx.conn(), a, |d| &mut d.mcp_tools, attachment).await?;
    tx.commit().await?;
    Ok(out)
}

/// E10 / E115, as [`attach_mcp_tool`].
pub(crate) async fn attach_knowledge_base(
    ctx: &Ctx,
    caller: &Caller,
    agent_id: &str,
    input: ApiResult<AttachKnowledgeBaseInput>,
) -> ApiResult<Attached<KnowledgeBaseAttachment>> {
    let mut tx = ctx.db.write().await?;
    let (a, id, now) = attach_target(tx.conn(), caller, agent_id).await?;
    let attachment = super::attachment_refs::knowledge_base(tx.conn(), &a, input?, id, now).await?;
    let out = store_attachment(tx.conn(), a, |d| &mut d.knowledge_bases, attachment).await?;
    tx.commit().await?;
    Ok(out)
}

/// E11 / E116, as [`attach_mcp_tool`]; there is no skill registry, so `skillId` is
/// any non-empty string.
pub(crate) async fn attach_skill(
    ctx: &Ctx,
    caller: &Caller,
    agent_id: &str,
    input: ApiResult<AttachSkillInput>,
) -> ApiResult<Attached<SkillAttachment>> {
    let mut tx = ctx.db.write().await?;
    let (a, id, created_at) = attach_target(tx.conn(), caller, agent_id).await?;
    let input = input?;
    let mut p = Problems::default();
    p.text("skillId", &input.skill_id, SHORT_MAX, false);
    for (field, v) in [("key", &input.key), ("name", &input.name)] {
        if let Some(v) = v {
            p.text(field, v, SHORT_MAX, false);
        }
    }
    p.finish()?;
    let attachment = SkillAttachment {
        id,
        agent_id: a.id.clone(),
        key: input.key.unwrap_or_else(|| input.skill_id.clone()),
        name: input.name.unwrap_or_else(|| input.skill_id.clone()),
        skill_id: input.skill_id,
        enabled: input.enabled.unwrap_or(true),
        config: input.config.unwrap_or_default(),
        metadata: input.metadata.unwrap_or_default(),
        created_at,
        extra: Map::new(),
    };
    let out = store_attachment(tx.conn(), a, |d| &mut d.skills, attachment).await?;
    tx.commit().await?;
    Ok(out)
}
