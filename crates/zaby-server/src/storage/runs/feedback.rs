//! Feedback on runs.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::Json;
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as};

/// One piece of feedback on a run.
#[derive(Debug, Clone, FromRow)]
pub struct FeedbackRow {
    pub id: String,
    pub tenant_id: String,
    pub run_id: String,
    pub agent_id: String,
    pub rating: Option<i64>,
    pub label: Option<String>,
    pub comment: Option<String>,
    pub domain_key: Option<String>,
    pub topic_key: Option<String>,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    /// `RUNTIME` or `PROVISIONING`.
    pub source: String,
    pub agent_session_id: Option<String>,
    pub created_at: i64,
}

pub async fn insert_feedback(conn: &mut Conn, f: &FeedbackRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO feedback (id, tenant_id, run_id, agent_id, rating, label, comment, domain_key, topic_key, metadata, \
         source, agent_session_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        args![
            &f.id,
            &f.tenant_id,
            &f.run_id,
            &f.agent_id,
            f.rating,
            &f.label,
            &f.comment,
            &f.domain_key,
            &f.topic_key,
            &f.metadata,
            &f.source,
            &f.agent_session_id,
            f.created_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_feedback(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<FeedbackRow>> {
    one_as(conn, "SELECT * FROM feedback WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// Ratings (`None` when unrated) of the feedback created in `[from, to]`.
pub async fn feedback_ratings(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: Option<&str>,
    from: i64,
    to: i64,
) -> DbResult<Vec<Option<f64>>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = agent_id {
        f.eq("agent_id", a);
    }
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    let rows: Vec<(Option<i64>,)> =
        all_as(conn, &format!("SELECT rating FROM feedback WHERE {}", f.sql()), f.args).await?;
    Ok(rows.into_iter().map(|(rating,)| rating.map(|v| v as f64)).collect())
}
