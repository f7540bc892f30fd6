//! Runtime-token (quota) policies.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;

use super::columns::stored_document;
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, all_as, exec, one_as};
use crate::args;

/// A runtime-token policy row; `doc` holds its settings.
#[derive(Debug, Clone, FromRow)]
pub struct PolicyRow {
    pub id: String,
    pub tenant_id: String,
    pub external_app_id: String,
    pub deployment_id: String,
    pub name: String,
    pub status: String,
    pub doc: PolicyDoc,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The settings of a policy, stored as the JSON object `runtime_token_policies.doc`
/// by their wire names; `None` is no limit. A member added later takes
/// `#[serde(default)]`, so the rows written before it still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyDoc {
    #[serde(default)]
    pub(crate) max_concurrent_runs: Option<i64>,
    #[serde(default)]
    pub(crate) token_ttl_seconds: Option<i64>,
    #[serde(default)]
    pub(crate) max_uses_per_token: Option<i64>,
    #[serde(default)]
    pub(crate) auto_rotate_enabled: bool,
    #[serde(default)]
    pub(crate) rotate_before_expiry_seconds: Option<i64>,
    #[serde(default)]
    pub(crate) metadata: Map<String, Value>,
    #[serde(default)]
    pub(crate) window_duration_ms: Option<i64>,
    #[serde(default)]
    pub(crate) max_tokens: Option<i64>,
}

stored_document!(PolicyDoc);

pub async fn insert(conn: &mut Conn, p: &PolicyRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO runtime_token_policies (id, tenant_id, external_app_id, deployment_id, name, status, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![&p.id, &p.tenant_id, &p.external_app_id, &p.deployment_id, &p.name, &p.status, &p.doc, p.created_at, p.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn update(conn: &mut Conn, p: &PolicyRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE runtime_token_policies SET name = $3, status = $4, doc = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
        args![&p.tenant_id, &p.id, &p.name, &p.status, &p.doc, p.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<PolicyRow>> {
    one_as(conn, "SELECT * FROM runtime_token_policies WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

#[derive(Debug, Default)]
pub struct PolicyFilter {
    pub external_app_id: Option<String>,
    pub deployment_id: Option<String>,
    pub agent_id: Option<String>,
    pub status: Option<String>,
    pub ids: Option<Vec<String>>,
}

fn filter(tenant_id: &str, pf: &PolicyFilter) -> Filter {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = &pf.external_app_id {
        f.eq("external_app_id", a.as_str());
    }
    if let Some(d) = &pf.deployment_id {
        f.eq("deployment_id", d.as_str());
    }
    if let Some(s) = &pf.status {
        f.eq("status", s.as_str());
    }
    if let Some(agent) = &pf.agent_id {
        let p = f.bind(agent.as_str());
        f.clause(format!("deployment_id IN (SELECT id FROM deployments WHERE agent_id = {p})"));
    }
    if let Some(ids) = &pf.ids {
        let ps: Vec<String> = ids.iter().map(|i| f.bind(i.as_str())).collect();
        if ps.is_empty() {
            f.clause("1 = 0".into());
        } else {
            f.clause(format!("id IN ({})", ps.join(", ")));
        }
    }
    f
}

pub async fn list(
    conn: &mut Conn,
    tenant_id: &str,
    pf: &PolicyFilter,
    page: &PageRequest,
) -> DbResult<Page<PolicyRow>> {
    let f = filter(tenant_id, pf);
    fetch_page(conn, "runtime_token_policies", &f, page).await
}

/// Matching policies, oldest first, at most `limit`.
pub async fn matching(conn: &mut Conn, tenant_id: &str, pf: &PolicyFilter, limit: i64) -> DbResult<Vec<PolicyRow>> {
    let mut f = filter(tenant_id, pf);
    let lim = f.bind(limit);
    all_as(
        conn,
        &format!("SELECT * FROM runtime_token_policies WHERE {} ORDER BY created_at, id LIMIT {lim}", f.sql()),
        f.args,
    )
    .await
}

pub async fn of_deployment(conn: &mut Conn, deployment_id: &str) -> DbResult<Vec<PolicyRow>> {
    all_as(
        conn,
        "SELECT * FROM runtime_token_policies WHERE deployment_id = $1 ORDER BY created_at, id",
        args![deployment_id],
    )
    .await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_old_policy_document_reads_and_is_written_back_unchanged() {
        // As the server wrote it before `PolicyDoc` (built member by member).
        let old = json!({
            "maxConcurrentRuns": 2, "tokenTtlSeconds": null, "maxUsesPerToken": 10, "autoRotateEnabled": true,
            "rotateBeforeExpirySeconds": null, "metadata": {"k": 1}, "windowDurationMs": 60000, "maxTokens": null,
        });
        let doc: PolicyDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(
            (doc.max_concurrent_runs, doc.max_uses_per_token, doc.auto_rotate_enabled),
            (Some(2), Some(10), true)
        );
        assert_eq!(doc.window_duration_ms, Some(60_000));
        assert_eq!(serde_json::to_value(&doc).unwrap(), old);
        assert_eq!(serde_json::from_value::<PolicyDoc>(json!({})).unwrap(), PolicyDoc::default());
    }
}
