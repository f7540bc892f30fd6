//! Token families, end-user sessions, grants (one per minted token), the runtime
//! request log and the per-minute rate windows.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;
use zaby::types::{GrantStatus, TokenFamilyStatus};

use super::apps::{AppDoc, AppRow, BindingRow};
use super::columns::{FlagOpt, JsonOpt, StringList, stored_document};
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, RowExt, all, exec, one, one_as, scalar_i64};
use crate::args;
use crate::util::ids::new_id;

#[derive(Debug, Clone, FromRow)]
pub struct FamilyRow {
    pub id: String,
    pub tenant_id: String,
    pub app_key: String,
    pub external_app_id: Option<String>,
    pub deployment_id: String,
    pub user_key: String,
    pub status: String,
    pub name: Option<String>,
    pub unique_id_hash: Option<String>,
    pub external_user_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

pub async fn get_family(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<FamilyRow>> {
    one_as(conn, "SELECT * FROM token_families WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn active_family(
    conn: &mut Conn,
    tenant_id: &str,
    app_key: &str,
    deployment_id: &str,
    user_key: &str,
) -> DbResult<Option<FamilyRow>> {
    one_as(
        conn,
        "SELECT * FROM token_families WHERE tenant_id = $1 AND app_key = $2 AND deployment_id = $3 AND user_key = $4 AND status = 'ACTIVE'",
        args![tenant_id, app_key, deployment_id, user_key],
    ).await
}

/// Inserts an ACTIVE family unless one already exists for the same end user;
/// returns the family that is active afterwards.
pub async fn insert_or_get_active_family(conn: &mut Conn, f: &FamilyRow) -> DbResult<FamilyRow> {
    exec(
        conn,
        "INSERT INTO token_families (id, tenant_id, app_key, external_app_id, deployment_id, user_key, status, name, unique_id_hash, external_user_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'ACTIVE', $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING",
        args![
            &f.id, &f.tenant_id, &f.app_key, &f.external_app_id, &f.deployment_id, &f.user_key,
            &f.name, &f.unique_id_hash, &f.external_user_id, f.created_at
        ],
    )
    .await?;
    match active_family(conn, &f.tenant_id, &f.app_key, &f.deployment_id, &f.user_key).await? {
        Some(existing) => Ok(existing),
        None => Err(sqlx::Error::RowNotFound),
    }
}

/// Revokes a family and every unrevoked grant in it. Returns the number of grants
/// revoked now; a family already revoked is left as it was.
pub async fn revoke_family(
    conn: &mut Conn,
    tenant_id: &str,
    id: &str,
    reason: Option<&str>,
    now: i64,
) -> DbResult<i64> {
    let changed = exec(
        conn,
        "UPDATE token_families SET status = 'REVOKED', revoked_at = $3, revoke_reason = $4, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = 'ACTIVE'",
        args![tenant_id, id, now, reason],
    )
    .await?;
    if changed == 0 {
        return Ok(0);
    }
    let n = exec(
        conn,
        "UPDATE token_grants SET revoked_at = $2, revoke_reason = $3 WHERE family_id = $1 AND revoked_at IS NULL",
        args![id, now, reason.unwrap_or("family_revoked")],
    )
    .await?;
    Ok(n as i64)
}

#[derive(Debug, Default)]
pub struct FamilyFilter {
    pub external_app_id: Option<String>,
    pub deployment_id: Option<String>,
    pub status: Option<String>,
    pub external_user_id: Option<String>,
}

pub async fn list_families(
    conn: &mut Conn,
    tenant_id: &str,
    ff: &FamilyFilter,
    page: &PageRequest,
) -> DbResult<Page<FamilyRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = &ff.external_app_id {
        f.eq("external_app_id", a.as_str());
    }
    if let Some(d) = &ff.deployment_id {
        f.eq("deployment_id", d.as_str());
    }
    if let Some(s) = &ff.status {
        f.eq("status", s.as_str());
    }
    if let Some(u) = &ff.external_user_id {
        f.eq("external_user_id", u.as_str());
    }
    fetch_page(conn, "token_families", &f, page).await
}

/// `(grantCount, activeGrantCount)` of a family at `now`.
pub async fn family_grant_counts(conn: &mut Conn, family_id: &str, now: i64) -> DbResult<(i64, i64)> {
    let total = scalar_i64(conn, "SELECT COUNT(*) FROM token_grants WHERE family_id = $1", args![family_id]).await?;
    let active = scalar_i64(
        conn,
        "SELECT COUNT(*) FROM token_grants WHERE family_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND (max_uses IS NULL OR used_count < max_uses)",
        args![family_id, now],
    )
    .await?;
    Ok((total, active))
}

/// The session of an end user (created on first use).
pub async fn ensure_session(
    conn: &mut Conn,
    tenant_id: &str,
    app_key: &str,
    deployment_id: &str,
    user_key: &str,
    session_key: &str,
    now: i64,
) -> DbResult<String> {
    exec(
        conn,
        "INSERT INTO agent_sessions (id, tenant_id, app_key, deployment_id, user_key, session_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        args![new_id(), tenant_id, app_key, deployment_id, user_key, session_key, now],
    )
    .await?;
    let row = one(
        conn,
        "SELECT id FROM agent_sessions WHERE tenant_id = $1 AND app_key = $2 AND deployment_id = $3 AND user_key = $4 AND session_key = $5",
        args![tenant_id, app_key, deployment_id, user_key, session_key],
    )
    .await?
    .ok_or(sqlx::Error::RowNotFound)?;
    row.text("id")
}

#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub id: String,
    pub tenant_id: String,
    pub family_id: String,
    pub external_app_id: Option<String>,
    pub deployment_id: String,
    pub policy_id: Option<String>,
    pub session_id: String,
    pub channel: String,
    #[sqlx(try_from = "StringList")]
    pub scopes: Vec<String>,
    pub max_uses: Option<i64>,
    pub used_count: i64,
    pub expires_at: i64,
    pub doc: GrantDoc,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

/// A grant's document, stored as the JSON object `token_grants.doc` by wire names:
/// the end user and what was asked for (reused by rotation). A member added later
/// takes `#[serde(default)]`, so the rows written before it still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantDoc {
    #[serde(flatten)]
    pub end_user: GrantUser,
    #[serde(default)]
    pub requested_ttl_seconds: Option<i64>,
    #[serde(default)]
    pub requested_max_uses: Option<i64>,
}

stored_document!(GrantDoc);

/// The end user a token is minted for. Only the hash of `uniqueId` is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantUser {
    #[serde(default)]
    pub unique_id_hash: Option<String>,
    #[serde(default)]
    pub external_user_id: Option<String>,
    #[serde(default)]
    pub external_session_id: Option<String>,
    #[serde(default)]
    pub external_conversation_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email_hash: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

impl GrantUser {
    /// The family key: `uniqueId`, else `externalUserId`.
    pub fn user_key(&self) -> String {
        match (&self.unique_id_hash, &self.external_user_id) {
            (Some(h), _) => format!("u:{h}"),
            (None, Some(e)) => format!("e:{e}"),
            (None, None) => String::new(),
        }
    }

    /// The session key: `externalSessionId`, else `externalConversationId`.
    pub fn session_key(&self) -> String {
        self.external_session_id.clone().or_else(|| self.external_conversation_id.clone()).unwrap_or_default()
    }
}

impl GrantRow {
    /// `docs/api/runtime-token-grants.md`: computed on read.
    pub fn status(&self, now: i64) -> GrantStatus {
        if self.revoked_at.is_some() {
            GrantStatus::Revoked
        } else if now >= self.expires_at {
            GrantStatus::Expired
        } else if self.max_uses.is_some_and(|m| self.used_count >= m) {
            GrantStatus::Exhausted
        } else {
            GrantStatus::Active
        }
    }

    pub fn remaining_uses(&self) -> Option<i64> {
        self.max_uses.map(|m| (m - self.used_count).max(0))
    }
}

pub async fn insert_grant(conn: &mut Conn, g: &GrantRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO token_grants (id, tenant_id, family_id, external_app_id, deployment_id, policy_id, session_id, channel, scopes, max_uses, used_count, expires_at, doc, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13)",
        args![
            &g.id, &g.tenant_id, &g.family_id, &g.external_app_id, &g.deployment_id, &g.policy_id,
            &g.session_id, &g.channel, &Value::from(g.scopes.clone()), g.max_uses, g.expires_at,
            &g.doc, g.created_at
        ],
    )
    .await?;
    Ok(())
}

/// What authenticating a runtime request reads (`docs/authentication.md`, steps 1, 2 and 6).
pub struct RuntimeAuthRows {
    pub grant: GrantRow,
    /// The grant's family exists and is `ACTIVE`.
    pub family_active: bool,
    /// The grant's external app, when it has one and it exists.
    pub app: Option<AppRow>,
    /// The binding of that app to the grant's deployment.
    pub binding: Option<BindingRow>,
}

/// The row of [`runtime_auth_rows`]: the grant's columns, then its family's status and
/// the columns of its app and binding under `a_` and `b_` (the three tables share column
/// names, and rows are decoded by name). The outer joins make every joined column
/// nullable.
#[derive(FromRow)]
struct RuntimeAuthJoin {
    #[sqlx(flatten)]
    grant: GrantRow,
    f_status: Option<String>,
    a_id: Option<String>,
    a_tenant_id: Option<String>,
    a_slug: Option<String>,
    a_name: Option<String>,
    a_agent_id: Option<String>,
    a_status: Option<String>,
    a_doc: Option<AppDoc>,
    a_created_at: Option<i64>,
    a_updated_at: Option<i64>,
    b_id: Option<String>,
    b_tenant_id: Option<String>,
    b_external_app_id: Option<String>,
    b_deployment_id: Option<String>,
    #[sqlx(try_from = "FlagOpt")]
    b_allow_browser_runtime: Option<bool>,
    #[sqlx(try_from = "FlagOpt")]
    b_allow_server_runtime: Option<bool>,
    #[sqlx(try_from = "FlagOpt")]
    b_allow_approvals: Option<bool>,
    b_rate_limit_per_minute: Option<i64>,
    #[sqlx(try_from = "JsonOpt")]
    b_metadata: Option<Value>,
    b_created_at: Option<i64>,
    b_updated_at: Option<i64>,
}

/// A grant with its family's status, its external app and the app's binding to
/// the grant's deployment: one statement where there were four round trips on
/// every runtime request.
pub async fn runtime_auth_rows(conn: &mut Conn, tenant_id: &str, grant_id: &str) -> DbResult<Option<RuntimeAuthRows>> {
    let Some(j) = one_as::<RuntimeAuthJoin>(
        conn,
        "SELECT g.*, f.status AS f_status, \
         a.id AS a_id, a.tenant_id AS a_tenant_id, a.slug AS a_slug, a.name AS a_name, a.agent_id AS a_agent_id, \
         a.status AS a_status, a.doc AS a_doc, a.created_at AS a_created_at, a.updated_at AS a_updated_at, \
         b.id AS b_id, b.tenant_id AS b_tenant_id, b.external_app_id AS b_external_app_id, \
         b.deployment_id AS b_deployment_id, b.allow_browser_runtime AS b_allow_browser_runtime, \
         b.allow_server_runtime AS b_allow_server_runtime, b.allow_approvals AS b_allow_approvals, \
         b.rate_limit_per_minute AS b_rate_limit_per_minute, b.metadata AS b_metadata, \
         b.created_at AS b_created_at, b.updated_at AS b_updated_at \
         FROM token_grants g \
         LEFT JOIN token_families f ON f.tenant_id = g.tenant_id AND f.id = g.family_id \
         LEFT JOIN external_apps a ON a.tenant_id = g.tenant_id AND a.id = g.external_app_id \
         LEFT JOIN deployment_bindings b ON b.external_app_id = a.id AND b.deployment_id = g.deployment_id \
         WHERE g.tenant_id = $1 AND g.id = $2",
        args![tenant_id, grant_id],
    )
    .await?
    else {
        return Ok(None);
    };
    let app = (|| {
        Some(AppRow {
            id: j.a_id?,
            tenant_id: j.a_tenant_id?,
            slug: j.a_slug?,
            name: j.a_name?,
            agent_id: j.a_agent_id,
            status: j.a_status?,
            doc: j.a_doc?,
            created_at: j.a_created_at?,
            updated_at: j.a_updated_at?,
        })
    })();
    let binding = (|| {
        Some(BindingRow {
            id: j.b_id?,
            tenant_id: j.b_tenant_id?,
            external_app_id: j.b_external_app_id?,
            deployment_id: j.b_deployment_id?,
            allow_browser_runtime: j.b_allow_browser_runtime?,
            allow_server_runtime: j.b_allow_server_runtime?,
            allow_approvals: j.b_allow_approvals?,
            rate_limit_per_minute: j.b_rate_limit_per_minute,
            metadata: j.b_metadata?,
            created_at: j.b_created_at?,
            updated_at: j.b_updated_at?,
        })
    })();
    Ok(Some(RuntimeAuthRows {
        grant: j.grant,
        family_active: j.f_status.as_deref() == Some(TokenFamilyStatus::Active.as_str()),
        app,
        binding,
    }))
}

pub async fn get_grant(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<GrantRow>> {
    one_as(conn, "SELECT * FROM token_grants WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// Those of the given grants (at most 500 ids) that can no longer be used by an open
/// stream: revoked, gone, or whose family is gone or not `ACTIVE`.
pub async fn revoked_among(conn: &mut Conn, ids: &[String]) -> DbResult<Vec<String>> {
    let (list, args) = crate::storage::sql::id_list(ids);
    let rows = all(
        conn,
        &format!(
            "SELECT g.id FROM token_grants g JOIN token_families f ON f.id = g.family_id \
             WHERE g.id IN ({list}) AND g.revoked_at IS NULL AND f.status = 'ACTIVE'"
        ),
        args,
    )
    .await?;
    let usable: std::collections::HashSet<String> = rows.iter().map(|r| r.text("id")).collect::<DbResult<_>>()?;
    Ok(ids.iter().filter(|id| !usable.contains(*id)).cloned().collect())
}

/// Revokes one grant; a grant already revoked keeps its first revocation.
pub async fn revoke_grant(
    conn: &mut Conn,
    tenant_id: &str,
    id: &str,
    reason: Option<&str>,
    now: i64,
) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE token_grants SET revoked_at = $3, revoke_reason = $4 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
        args![tenant_id, id, now, reason],
    )
    .await?
        > 0)
}

/// Revokes every unrevoked grant of a family (rotation by unique id).
pub async fn revoke_family_grants(conn: &mut Conn, family_id: &str, reason: &str, now: i64) -> DbResult<u64> {
    exec(
        conn,
        "UPDATE token_grants SET revoked_at = $2, revoke_reason = $3 WHERE family_id = $1 AND revoked_at IS NULL",
        args![family_id, now, reason],
    )
    .await
}

pub async fn newest_grant_of_family(conn: &mut Conn, family_id: &str) -> DbResult<Option<GrantRow>> {
    one_as(
        conn,
        "SELECT * FROM token_grants WHERE family_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        args![family_id],
    )
    .await
}

/// Consumes one use if the grant is unrevoked and has uses left. Exact under
/// concurrency: the condition and the increment are one statement.
pub async fn consume_use(conn: &mut Conn, grant_id: &str) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE token_grants SET used_count = used_count + 1 WHERE id = $1 AND revoked_at IS NULL AND (max_uses IS NULL OR used_count < max_uses)",
        args![grant_id],
    )
    .await?
        > 0)
}

/// Counts one hit in a fixed window; `false` (and nothing counted) when the window
/// already holds `limit` hits.
pub async fn hit_window(conn: &mut Conn, key: &str, window_start: i64, limit: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "INSERT INTO rate_windows (window_key, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (window_key, window_start) DO UPDATE SET hits = rate_windows.hits + 1 WHERE rate_windows.hits < $3",
        args![key, window_start, limit],
    )
    .await?
        > 0)
}

pub async fn log_runtime_request(conn: &mut Conn, g: &GrantRow, now: i64) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO runtime_requests (id, tenant_id, grant_id, external_app_id, deployment_id, policy_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![new_id(), &g.tenant_id, &g.id, &g.external_app_id, &g.deployment_id, &g.policy_id, now],
    )
    .await?;
    Ok(())
}

/// Selection for usage counts; every field narrows.
#[derive(Debug, Default, Clone)]
pub struct UsageScope {
    pub external_app_id: Option<String>,
    pub deployment_id: Option<String>,
    pub agent_id: Option<String>,
    pub policy_id: Option<String>,
}

fn usage_filter(tenant_id: &str, s: &UsageScope) -> Filter {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = &s.external_app_id {
        f.eq("external_app_id", a.as_str());
    }
    if let Some(d) = &s.deployment_id {
        f.eq("deployment_id", d.as_str());
    }
    if let Some(p) = &s.policy_id {
        f.eq("policy_id", p.as_str());
    }
    if let Some(agent) = &s.agent_id {
        let p = f.bind(agent.as_str());
        f.clause(format!("deployment_id IN (SELECT id FROM deployments WHERE agent_id = {p})"));
    }
    f
}

/// Tokens minted in `[from, to]`.
pub async fn count_grants(conn: &mut Conn, tenant_id: &str, s: &UsageScope, from: i64, to: i64) -> DbResult<i64> {
    let mut f = usage_filter(tenant_id, s);
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    scalar_i64(conn, &format!("SELECT COUNT(*) FROM token_grants WHERE {}", f.sql()), f.args).await
}

/// Grants usable right now.
pub async fn count_active_grants(conn: &mut Conn, tenant_id: &str, s: &UsageScope, now: i64) -> DbResult<i64> {
    let mut f = usage_filter(tenant_id, s);
    let a = f.bind(now);
    f.clause(format!("revoked_at IS NULL AND expires_at > {a} AND (max_uses IS NULL OR used_count < max_uses)"));
    scalar_i64(conn, &format!("SELECT COUNT(*) FROM token_grants WHERE {}", f.sql()), f.args).await
}

/// Authenticated runtime requests in `[from, to]`.
pub async fn count_requests(conn: &mut Conn, tenant_id: &str, s: &UsageScope, from: i64, to: i64) -> DbResult<i64> {
    let mut f = usage_filter(tenant_id, s);
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    scalar_i64(conn, &format!("SELECT COUNT(*) FROM runtime_requests WHERE {}", f.sql()), f.args).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_old_grant_document_reads_and_is_written_back_unchanged() {
        // As the server wrote it before `GrantDoc` could be read back (end user flattened).
        let old = json!({
            "uniqueIdHash": "ab12", "externalUserId": "u-1", "externalSessionId": null,
            "externalConversationId": "c-1", "displayName": null, "emailHash": null, "locale": "fr",
            "timezone": null, "dpopJkt": null, "metadata": {"k": 1},
            "requestedTtlSeconds": 600, "requestedMaxUses": null,
        });
        let doc: GrantDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!((doc.end_user.user_key().as_str(), doc.end_user.session_key().as_str()), ("u:ab12", "c-1"));
        assert_eq!((doc.requested_ttl_seconds, doc.requested_max_uses), (Some(600), None));
        assert_eq!(serde_json::to_value(&doc).unwrap(), old);
        assert_eq!(serde_json::from_value::<GrantDoc>(json!({})).unwrap(), GrantDoc::default());
    }
}
