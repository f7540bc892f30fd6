//! Signals recorded by runs.

use serde_json::Value;

use crate::args;
use crate::storage::columns::Json;
use crate::storage::sql::{Arg, Conn, DbResult, all_as, exec};

#[allow(clippy::too_many_arguments)]
pub async fn insert_signal(
    conn: &mut Conn,
    id: &str,
    tenant_id: &str,
    agent_id: &str,
    run_id: Option<&str>,
    kind: &str,
    value: Option<f64>,
    payload: &Value,
    is_test_run: bool,
    now: i64,
) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO signals (id, tenant_id, agent_id, run_id, type, value, payload, is_test_run, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            id.into(),
            tenant_id.into(),
            agent_id.into(),
            run_id.into(),
            kind.into(),
            Arg::Float(value),
            payload.into(),
            is_test_run.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// `(type, value, payload)` of a run's signals, oldest first (tests, diagnostics).
pub async fn signals_of_run(conn: &mut Conn, run_id: &str) -> DbResult<Vec<(String, Option<f64>, Value)>> {
    let rows: Vec<(String, Option<f64>, Json)> = all_as(
        conn,
        "SELECT type, value, payload FROM signals WHERE run_id = $1 ORDER BY created_at, id",
        args![run_id],
    )
    .await?;
    Ok(rows.into_iter().map(|(kind, value, payload)| (kind, value, payload.into())).collect())
}
