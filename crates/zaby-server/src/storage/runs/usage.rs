//! Run counts for the usage reports.

use super::RunRow;
use crate::storage::sql::{Conn, DbResult, Filter, all_as, scalar_i64};

/// Runs created in `[from, to]` of the tenant (and agent).
pub async fn runs_in_window(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: Option<&str>,
    from: i64,
    to: i64,
) -> DbResult<Vec<RunRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = agent_id {
        f.eq("agent_id", a);
    }
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    all_as(conn, &format!("SELECT * FROM runs WHERE {} ORDER BY created_at, id", f.sql()), f.args).await
}

/// Run counts for the token usage report: started in `[from, to]`, and live now.
/// `filter` narrows by the columns runs share with grants (tenant, app, deployment,
/// policy, agent).
pub async fn usage_counts(conn: &mut Conn, filter: &Filter, from: i64, to: i64) -> DbResult<(i64, i64)> {
    let mut f = filter.clone();
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    let started = scalar_i64(conn, &format!("SELECT COUNT(*) FROM runs WHERE {}", f.sql()), f.args).await?;
    let mut g = filter.clone();
    g.clause("status IN ('QUEUED', 'RUNNING', 'WAITING_FOR_APPROVAL', 'WAITING_FOR_TOOL_RESULT')".into());
    let live = scalar_i64(conn, &format!("SELECT COUNT(*) FROM runs WHERE {}", g.sql()), g.args).await?;
    Ok((started, live))
}
