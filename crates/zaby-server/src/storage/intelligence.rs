//! Intelligence (`docs/api/intelligence.md`, `docs/server.md`): reads of the `signals` table (written by the
//! runs domain, migration 0002), the tool calls of runs (their `tool_result`
//! events), and improvements (table from 0004, open-cause index from 0005).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;
use zaby::types::ImprovementCategory;
use zaby_analytics::{Signal, SignalKind};

use super::columns::{Flag, Json, stored_document};
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, all_as, exec, one_as};
use crate::args;

/// A stored signal with the deployment of its run.
#[derive(Debug, Clone, FromRow)]
pub struct SignalRow {
    pub id: String,
    pub agent_id: String,
    #[sqlx(default)]
    pub deployment_id: Option<String>,
    pub run_id: Option<String>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub value: Option<f64>,
    #[sqlx(try_from = "Json")]
    pub payload: Value,
    #[sqlx(try_from = "Flag")]
    pub is_test_run: bool,
    pub created_at: i64,
}

/// Signals joined with their run's deployment; a relation for [`fetch_page`].
const SIGNALS_WITH_DEPLOYMENT: &str = "(SELECT s.id, s.tenant_id, s.agent_id, s.run_id, s.type, s.value, s.payload, \
     s.is_test_run, s.created_at, r.deployment_id FROM signals s LEFT JOIN runs r ON r.id = s.run_id) sd";

/// E93's filters; `None` = any. `to` is inclusive.
#[derive(Debug, Clone, Default)]
pub struct SignalFilter {
    pub agent_id: Option<String>,
    pub kind: Option<String>,
    pub run_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

pub async fn list_signals(
    conn: &mut Conn,
    tenant_id: &str,
    sf: &SignalFilter,
    page: &PageRequest,
) -> DbResult<Page<SignalRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = &sf.agent_id {
        f.eq("agent_id", a.as_str());
    }
    if let Some(k) = &sf.kind {
        f.eq("type", k.as_str());
    }
    if let Some(r) = &sf.run_id {
        f.eq("run_id", r.as_str());
    }
    if let Some(from) = sf.from {
        let p = f.bind(from);
        f.clause(format!("created_at >= {p}"));
    }
    if let Some(to) = sf.to {
        let p = f.bind(to);
        f.clause(format!("created_at <= {p}"));
    }
    fetch_page(conn, SIGNALS_WITH_DEPLOYMENT, &f, page).await
}

/// An agent's signals created in `[from, to)`, test runs' included only when asked.
pub async fn agent_signals(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    from: i64,
    to_exclusive: i64,
    include_test_runs: bool,
) -> DbResult<Vec<Signal>> {
    let test = if include_test_runs { "" } else { " AND is_test_run = 0" };
    let sql = format!(
        "SELECT id, agent_id, run_id, type, value, payload, is_test_run, created_at FROM signals WHERE tenant_id = $1 AND agent_id = $2 AND created_at >= $3 AND created_at < $4{test} \
         ORDER BY created_at, id"
    );
    // The signals table has no deployment; [`SignalRow`] reads it as none.
    let rows: Vec<SignalRow> = all_as(conn, &sql, args![tenant_id, agent_id, from, to_exclusive]).await?;
    Ok(rows
        .into_iter()
        .map(|r| Signal {
            id: r.id,
            kind: SignalKind::parse(&r.kind),
            run_id: r.run_id,
            value: r.value,
            payload: r.payload,
            created_at_ms: r.created_at,
            is_test_run: r.is_test_run,
        })
        .collect())
}

/// Per agent (of the tenant, or just `agent_id`): how many non-test signals were
/// created since `since`, and the newest time — the fingerprint of an improvement pass.
pub async fn signal_fingerprints(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: Option<&str>,
    since: i64,
) -> DbResult<Vec<(String, String)>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = agent_id {
        f.eq("agent_id", a);
    }
    let p = f.bind(since);
    f.clause(format!("created_at >= {p} AND is_test_run = 0"));
    let sql = format!(
        "SELECT agent_id, COUNT(*) AS n, MAX(created_at) AS newest FROM signals WHERE {} GROUP BY agent_id ORDER BY agent_id",
        f.sql()
    );
    let rows: Vec<(String, i64, Option<i64>)> = all_as(conn, &sql, f.args).await?;
    Ok(rows.into_iter().map(|(agent, n, newest)| (agent, format!("{n}:{}", newest.unwrap_or(0)))).collect())
}

pub async fn scan_fingerprints(conn: &mut Conn, tenant_id: &str) -> DbResult<Vec<(String, String)>> {
    all_as(conn, "SELECT agent_id, fingerprint FROM improvement_scans WHERE tenant_id = $1", args![tenant_id]).await
}

pub async fn save_fingerprint(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    fingerprint: &str,
    now: i64,
) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO improvement_scans (tenant_id, agent_id, fingerprint, scanned_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, agent_id) DO UPDATE SET fingerprint = excluded.fingerprint, scanned_at = excluded.scanned_at",
        args![tenant_id, agent_id, fingerprint, now],
    )
    .await?;
    Ok(())
}

/// A finished tool call as stored in a `tool_result` event.
#[derive(Debug, Clone, FromRow)]
pub struct ToolResultRow {
    pub run_id: String,
    #[sqlx(try_from = "Json")]
    pub data: Value,
    pub created_at: i64,
    #[sqlx(try_from = "Flag")]
    pub is_test_run: bool,
}

/// The `tool_result` events of the agent's runs created since `since`.
pub async fn tool_results(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    since: i64,
) -> DbResult<Vec<ToolResultRow>> {
    all_as(
        conn,
        "SELECT e.run_id, e.data, e.created_at, r.is_test_run FROM runs r JOIN run_events e ON e.run_id = r.id \
         WHERE r.tenant_id = $1 AND r.agent_id = $2 AND r.created_at >= $3 AND e.event = 'tool_result' \
         ORDER BY e.created_at, e.run_id, e.seq",
        args![tenant_id, agent_id, since],
    )
    .await
}

// ---- improvements ----

#[derive(Debug, Clone, FromRow)]
pub struct ImprovementRow {
    pub id: String,
    pub tenant_id: String,
    pub agent_id: String,
    pub status: String,
    pub cause: String,
    pub doc: ImprovementDoc,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The members of an improvement without a column, stored as the JSON object
/// `improvements.doc` by their wire names. A member added later takes
/// `#[serde(default)]`, so the rows written before it still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImprovementDoc {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub category: Option<ImprovementCategory>,
    /// What the rule proposes, free-form (`zaby_analytics`' proposals).
    #[serde(default)]
    pub suggested_change: Map<String, Value>,
    /// Evidence, in time order.
    #[serde(default)]
    pub signal_ids: Vec<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// Epoch milliseconds of the decision.
    #[serde(default)]
    pub decided_at: Option<i64>,
}

stored_document!(ImprovementDoc);

/// Inserts unless an open improvement of the same agent and cause exists (the
/// unique index of 0005); returns whether the row was inserted.
pub async fn insert_improvement(conn: &mut Conn, i: &ImprovementRow) -> DbResult<bool> {
    let n = exec(
        conn,
        "INSERT INTO improvements (id, tenant_id, agent_id, status, cause, doc, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        args![&i.id, &i.tenant_id, &i.agent_id, &i.status, &i.cause, &i.doc, i.created_at, i.updated_at],
    )
    .await?;
    Ok(n > 0)
}

/// Every improvement of the agent (any status), oldest first.
pub async fn agent_improvements(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> DbResult<Vec<ImprovementRow>> {
    all_as(
        conn,
        "SELECT * FROM improvements WHERE tenant_id = $1 AND agent_id = $2 ORDER BY created_at, id",
        args![tenant_id, agent_id],
    )
    .await
}

pub async fn list_improvements(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: Option<&str>,
    status: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<ImprovementRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = agent_id {
        f.eq("agent_id", a);
    }
    if let Some(s) = status {
        f.eq("status", s);
    }
    fetch_page(conn, "improvements", &f, page).await
}

pub async fn get_improvement(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ImprovementRow>> {
    one_as(conn, "SELECT * FROM improvements WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// Stores a decision if the row is still in `from_status`; returns whether it was.
pub async fn decide_improvement(conn: &mut Conn, i: &ImprovementRow, from_status: &str) -> DbResult<bool> {
    let n = exec(
        conn,
        "UPDATE improvements SET status = $3, doc = $4, updated_at = $5 WHERE id = $1 AND status = $2",
        args![&i.id, from_status, &i.status, &i.doc, i.updated_at],
    )
    .await?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_old_improvement_document_reads_and_is_written_back_unchanged() {
        // As the server wrote it before `ImprovementDoc`, then decided.
        let old = json!({
            "title": "Fix search", "description": "It fails", "category": "TOOLS",
            "suggestedChange": {"type": "tool", "toolName": "search"}, "signalIds": ["s-1", "s-2"],
            "comment": null, "reason": "not now", "decidedAt": 9,
        });
        let doc: ImprovementDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(doc.category, Some(ImprovementCategory::Tools));
        assert_eq!((doc.signal_ids.len(), doc.decided_at), (2, Some(9)));
        assert_eq!(serde_json::to_value(&doc).unwrap(), old);
        assert_eq!(serde_json::from_value::<ImprovementDoc>(json!({})).unwrap(), ImprovementDoc::default());
    }
}
