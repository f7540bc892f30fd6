//! Runtime-token (quota) policies (E31–E34).

use zaby::types::{E31Query, PolicyStatus, RuntimeTokenPolicyInput, RuntimeTokenPolicyUpdateInput};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::page::Page;
use crate::storage::policies::{self as store, PolicyDoc, PolicyFilter, PolicyRow};
use crate::storage::sql::Conn;
use crate::storage::{apps, deployments};
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

const NAME_MAX: usize = 200;
const ID_MAX: usize = 100;

/// The nullable integer settings kept in the policy document, with their bounds.
struct Limits {
    max_concurrent_runs: Option<i64>,
    token_ttl_seconds: Option<i64>,
    max_uses_per_token: Option<i64>,
    rotate_before_expiry_seconds: Option<i64>,
    window_duration_ms: Option<i64>,
    max_tokens: Option<i64>,
}

impl Limits {
    fn check(&self, p: &mut Problems) {
        let big = i64::MAX / 2;
        for (field, value, min, max) in [
            ("maxConcurrentRuns", self.max_concurrent_runs, 1, 1_000_000),
            ("tokenTtlSeconds", self.token_ttl_seconds, 1, 86_400),
            ("maxUsesPerToken", self.max_uses_per_token, 1, big),
            ("rotateBeforeExpirySeconds", self.rotate_before_expiry_seconds, 0, 86_400),
            ("windowDurationMs", self.window_duration_ms, 1, big),
            ("maxTokens", self.max_tokens, 1, big),
        ] {
            if let Some(n) = value {
                p.range(field, n, min, max);
            }
        }
    }
}

pub async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<PolicyRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("runtime token policy"))
}

/// E32.
pub(crate) async fn create(ctx: &Ctx, caller: &Caller, input: RuntimeTokenPolicyInput) -> ApiResult<PolicyRow> {
    let mut p = Problems::default();
    p.text("name", &input.name, NAME_MAX, false);
    p.text("externalAppId", &input.external_app_id, ID_MAX, false);
    p.text("deploymentId", &input.deployment_id, ID_MAX, false);
    Limits {
        max_concurrent_runs: input.max_concurrent_runs,
        token_ttl_seconds: input.token_ttl_seconds,
        max_uses_per_token: input.max_uses_per_token,
        rotate_before_expiry_seconds: input.rotate_before_expiry_seconds,
        window_duration_ms: input.window_duration_ms,
        max_tokens: input.max_tokens,
    }
    .check(&mut p);
    p.finish()?;
    let mut tx = ctx.db.write().await?;
    if apps::get(tx.conn(), &caller.tenant_id, &input.external_app_id).await?.is_none() {
        return Err(ApiError::invalid("externalAppId", "does not name an external app of this tenant"));
    }
    if deployments::get(tx.conn(), &caller.tenant_id, &input.deployment_id).await?.is_none() {
        return Err(ApiError::invalid("deploymentId", "does not name a deployment of this tenant"));
    }
    let now = now_ms();
    let policy = PolicyRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        external_app_id: input.external_app_id,
        deployment_id: input.deployment_id,
        name: input.name,
        status: input.status.unwrap_or(PolicyStatus::Active).as_str().to_string(),
        doc: PolicyDoc {
            max_concurrent_runs: input.max_concurrent_runs,
            token_ttl_seconds: input.token_ttl_seconds,
            max_uses_per_token: input.max_uses_per_token,
            auto_rotate_enabled: input.auto_rotate_enabled.unwrap_or(false),
            rotate_before_expiry_seconds: input.rotate_before_expiry_seconds,
            metadata: input.metadata.unwrap_or_default(),
            window_duration_ms: input.window_duration_ms,
            max_tokens: input.max_tokens,
        },
        created_at: now,
        updated_at: now,
    };
    store::insert(tx.conn(), &policy).await?;
    tx.commit().await?;
    Ok(policy)
}

/// E33.
pub(crate) async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<PolicyRow> {
    let mut conn = ctx.db.read().await?;
    load(&mut conn, &caller.tenant_id, id).await
}

/// E31. `activeOnly=true` narrows to `ACTIVE` (nothing when `status=INACTIVE`).
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, q: E31Query) -> ApiResult<Page<PolicyRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let mut status = q.status.map(|s| s.as_str().to_string());
    if q.active_only.unwrap_or(false) {
        let active = PolicyStatus::Active.as_str();
        if status.as_deref() == Some(PolicyStatus::Inactive.as_str()) {
            status = Some("__none__".into());
        } else {
            status = Some(active.into());
        }
    }
    let filter = PolicyFilter {
        external_app_id: q.external_app_id,
        deployment_id: q.deployment_id,
        status,
        ..Default::default()
    };
    let mut conn = ctx.db.read().await?;
    Ok(store::list(&mut conn, &caller.tenant_id, &filter, &page).await?)
}

/// E34: only the members present change; `null` clears a nullable setting. The body
/// is checked after the policy is found (404 first).
pub(crate) async fn update(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<RuntimeTokenPolicyUpdateInput>,
) -> ApiResult<PolicyRow> {
    let mut tx = ctx.db.write().await?;
    let mut policy = load(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    if let Some(name) = &input.name {
        p.text("name", name, NAME_MAX, false);
    }
    Limits {
        max_concurrent_runs: input.max_concurrent_runs.flatten(),
        token_ttl_seconds: input.token_ttl_seconds.flatten(),
        max_uses_per_token: input.max_uses_per_token.flatten(),
        rotate_before_expiry_seconds: input.rotate_before_expiry_seconds.flatten(),
        window_duration_ms: input.window_duration_ms.flatten(),
        max_tokens: input.max_tokens.flatten(),
    }
    .check(&mut p);
    p.finish()?;
    if let Some(n) = input.name {
        policy.name = n;
    }
    if let Some(s) = input.status {
        policy.status = s.as_str().to_string();
    }
    let doc = &mut policy.doc;
    for (member, value) in [
        (&mut doc.max_concurrent_runs, input.max_concurrent_runs),
        (&mut doc.token_ttl_seconds, input.token_ttl_seconds),
        (&mut doc.max_uses_per_token, input.max_uses_per_token),
        (&mut doc.rotate_before_expiry_seconds, input.rotate_before_expiry_seconds),
        (&mut doc.window_duration_ms, input.window_duration_ms),
        (&mut doc.max_tokens, input.max_tokens),
    ] {
        if let Some(v) = value {
            *member = v;
        }
    }
    if let Some(b) = input.auto_rotate_enabled {
        doc.auto_rotate_enabled = b;
    }
    if let Some(m) = input.metadata {
        doc.metadata = m;
    }
    policy.updated_at = now_ms();
    store::update(tx.conn(), &policy).await?;
    tx.commit().await?;
    Ok(policy)
}
