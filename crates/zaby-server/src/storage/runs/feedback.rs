//! Feedback on runs.

use serde_json::Value;

use crate::args;
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec};

pub async fn insert_feedback(conn: &mut Conn, tenant_id: &str, agent_id: &str, f: &Value, now: i64) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO feedback (id, tenant_id, run_id, agent_id, rating, label, comment, domain_key, topic_key, metadata, \
         source, agent_session_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        args![
            f["id"].as_str(),
            tenant_id,
            f["runId"].as_str(),
            agent_id,
            f["rating"].as_i64(),
            f["label"].as_str(),
            f["comment"].as_str(),
            f["domainKey"].as_str(),
            f["topicKey"].as_str(),
            &f["metadata"],
            f["source"].as_str(),
            f["agentSessionId"].as_str(),
            now
        ],
    )
    .await?;
    Ok(())
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
